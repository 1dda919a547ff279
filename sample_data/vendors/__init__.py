"""Writers of vendors' own export files, one module per source, mirroring `parsers/vendors/`.

* `study` — the vendor study: who gets which source (`PROFILES`), each athlete's plan
  (`plan_athlete`), the driver `write_vendor_study` and its command line
  (`python -m sample_data.vendors.study`);
* `common` — what the writers share: the plan's records, the signals of a night, time
  formatting, the expectations (`Expect`) and the output (`Out`, zips with fixed timestamps);
* `compare` — checks `nightly_metrics` against `expected_vendor_nights.csv`;
* one writer per source: `garmin_connect`, `garmin_fit`, `whoop`, `oura` (with the trends
  CSV), `fitbit`, `apple_health`, `polar`, `hrv4training`, `elite_hrv`, `gadgetbridge`;
* `health_connect`, `samsung_health`, `withings` — single-source exports written from
  `sample_data.export_plan` (their own command lines); `android` feeds them the study's
  nights (profiles `health_connect`, `samsung_health`, `withings`);
* `polar_hrm`, `suunto` — beat-to-beat files (Polar `.hrm`, Suunto `.sml` and app JSON) from
  the same plan, recordings in `beats.plan`; `beats.study` puts them in the study (profile
  `beat_to_beat`, with `oura` for the sleep stages).
* `gadgetbridge` — both: the study's `gadgetbridge` profile and a stand-alone export
  (`write_export`, `python -m sample_data.vendors.gadgetbridge`).

Each writer takes the plan and writes what its vendor writes; same arguments, same bytes.
"""
