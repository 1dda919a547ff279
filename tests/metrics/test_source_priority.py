"""Several files give a device value for the same night: the athlete's `source_priority`
decides, then vendor name, then file id (docs/metrics.md, "Several sources for one night")."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.nightly import device_nightly, nightly_values, priority_ranks

NIGHT = date(2026, 6, 1)


def _summaries() -> pl.DataFrame:
    # an Oura ring and a WHOOP strap worn the same night, plus a Garmin that only gives HRV
    rows = [
        ("anna", NIGHT, "resting_hr", 48.0, "oura", "f-oura"),
        ("anna", NIGHT, "resting_hr", 52.0, "whoop", "f-whoop"),
        ("anna", NIGHT, "hrv_rmssd_ms", 70.0, "oura", "f-oura"),
        ("anna", NIGHT, "hrv_rmssd_ms", 60.0, "whoop", "f-whoop"),
        ("anna", NIGHT, "hrv_rmssd_ms", 66.0, "garmin", "f-garmin"),
        ("anna", NIGHT, "sleep_hours", 7.0, "oura", "f-oura"),
        ("anna", NIGHT, "sleep_hours", 6.5, "whoop", "f-whoop"),
        ("bob", NIGHT, "resting_hr", 61.0, "oura", "f-oura-b"),
        ("bob", NIGHT, "resting_hr", 58.0, "whoop", "f-whoop-b"),
    ]
    return pl.DataFrame(
        rows, schema=["athlete_id", "night", "metric", "value", "vendor", "file_id"], orient="row"
    )


def _athletes(anna: str | None, bob: str | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {"athlete_id": ["anna", "bob"], "time_zone": ["Europe/Amsterdam"] * 2,
         "source_priority": [anna, bob]},
        schema_overrides={"source_priority": pl.String},
    )  # fmt: skip


def _picked(athletes: pl.DataFrame | None) -> dict[tuple[str, str], tuple[float, str]]:
    wide = device_nightly(_summaries(), athletes)
    out = {}
    for row in wide.iter_rows(named=True):
        for metric in ("resting_hr", "hrv_rmssd_ms", "sleep_hours"):
            if row[f"dev_{metric}"] is not None:
                out[(row["athlete_id"], metric)] = (row[f"dev_{metric}"], row[f"dev_{metric}_file"])
    return out


def test_without_a_priority_the_first_vendor_by_name_wins_as_before():
    want = {
        ("anna", "resting_hr"): (48.0, "f-oura"),
        ("anna", "hrv_rmssd_ms"): (66.0, "f-garmin"),  # garmin < oura < whoop
        ("anna", "sleep_hours"): (7.0, "f-oura"),
        ("bob", "resting_hr"): (61.0, "f-oura-b"),
    }
    assert _picked(None) == want
    assert _picked(_athletes(None, None)) == want
    # an athletes frame from before migration 10 (no source_priority column)
    assert _picked(_athletes(None).drop("source_priority")) == want


def test_the_athletes_priority_decides_and_unnamed_vendors_come_after():
    got = _picked(_athletes("whoop>oura", None))
    assert got == {
        ("anna", "resting_hr"): (52.0, "f-whoop"),
        ("anna", "hrv_rmssd_ms"): (60.0, "f-whoop"),  # garmin is not named: after both
        ("anna", "sleep_hours"): (6.5, "f-whoop"),
        ("bob", "resting_hr"): (61.0, "f-oura-b"),  # bob has no priority: by name
    }
    # only oura named: oura first, then garmin before whoop by name
    assert _picked(_athletes("oura", "WHOOP"))[("anna", "hrv_rmssd_ms")] == (70.0, "f-oura")
    assert _picked(_athletes("oura", "WHOOP"))[("bob", "resting_hr")] == (58.0, "f-whoop-b")
    assert _picked(_athletes("whoop>garmin"))[("anna", "hrv_rmssd_ms")] == (60.0, "f-whoop")
    assert _picked(_athletes("garmin>whoop"))[("anna", "hrv_rmssd_ms")] == (66.0, "f-garmin")


def test_priority_ranks_are_per_athlete_and_case_blind():
    ranks = priority_ranks(_athletes("Whoop>oura", "garmin"))
    assert sorted(ranks.iter_rows()) == [
        ("anna", "oura", 2), ("anna", "whoop", 1), ("bob", "garmin", 1)]  # fmt: skip


def test_the_nightly_row_says_which_file_it_took():
    """Through `nightly_values`: no stages, so device values fill the night and the file id
    of the priority's vendor is recorded."""
    empty = {
        "sleep_stages": {"athlete_id": pl.String, "file_id": pl.String, "stage": pl.String,
                         "start_ts": pl.Datetime("us", "UTC"), "end_ts": pl.Datetime("us", "UTC")},
        "samples": {"athlete_id": pl.String, "file_id": pl.String,
                    "ts": pl.Datetime("us", "UTC")},
    }  # fmt: skip
    stages = pl.DataFrame(schema=empty["sleep_stages"])
    hr = pl.DataFrame(schema={**empty["samples"], "bpm": pl.Int16})
    rr = pl.DataFrame(schema={**empty["samples"], "rr_ms": pl.Float64})
    hrv = pl.DataFrame(schema={**empty["samples"], "rmssd_ms": pl.Float64})
    row = nightly_values(
        stages, hr, rr, hrv, _summaries(), _athletes("whoop>oura")
    ).filter(pl.col("athlete_id") == "anna").row(0, named=True)
    assert (row["resting_hr"], row["resting_hr_method"], row["resting_hr_file_id"]) == (
        52.0, "device", "f-whoop")  # fmt: skip
    assert (row["hrv_ms"], row["hrv_method"], row["hrv_file_id"]) == (
        60.0, "device_nightly", "f-whoop")  # fmt: skip
    assert (row["sleep_hours"], row["sleep_method"], row["sleep_file_id"]) == (
        6.5, "device", "f-whoop")  # fmt: skip
