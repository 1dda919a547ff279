"""The exports in the mixed vendor study that the single-source writers produce: Health
Connect, Samsung Health, Withings and Zepp athletes, written by
`sample_data.vendors.health_connect`, `sample_data.vendors.samsung_health`,
`sample_data.vendors.withings` and `sample_data.vendors.zepp` from the study's own nights.

`StudyNight` shows a study `Night` to those writers with the interface of
`sample_data.export_plan.PlannedNight`: the main sleep (first to last asleep run, the awake
spells inside it kept) as the time in bed, the study's heart-rate series (`sleep_hr_series`:
its lowest 30-minute mean is the planned resting HR) inside it, and the planned RMSSD. The
writers put their 5-minute RMSSD values inside that span in an even count around the planned
value, so each night's `device_5min` HRV is exact. What each night must produce: stages ->
`sleep_hours`, heart-rate samples -> `sleep_hr_30min`, 5-minute RMSSD -> `device_5min`
(Withings: no HRV at all; Zepp: only the device's `sleep_hours`, as its export holds no
stages in time, no resting HR and no RMSSD).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sample_data.vendors import health_connect, samsung_health, withings, zepp
from sample_data.vendors.common import (
    ASLEEP,
    Expect,
    Member,
    Night,
    Out,
    StudyAthlete,
    local_time,
    sleep_hr_series,
)

#: The watch's own daily resting HR (Health Connect): off the plan on purpose, it must lose
#: to herstel's computation from the heart-rate samples (docs/metrics.md).
DEVICE_RHR_OFFSET_BPM = 4


@dataclass(frozen=True)
class StudyNight:
    """A study night with the interface of `export_plan.PlannedNight`."""

    source: Night
    tz: object
    hr: tuple[tuple[int, int], ...]

    @property
    def night(self) -> date:
        return self.source.night

    @property
    def bed(self) -> datetime:
        return local_time(self.source.main_start, self.tz)

    @property
    def wake(self) -> datetime:
        return local_time(self.source.wake, self.tz)

    @property
    def hrv_ms(self) -> float:
        return float(self.source.hrv_ms)

    @property
    def resting_hr_bpm(self) -> int:
        return self.source.resting_hr

    @property
    def device_resting_hr_bpm(self) -> int:
        return self.source.resting_hr + DEVICE_RHR_OFFSET_BPM

    @property
    def sleep_hours(self) -> float:
        return self.source.sleep_hours

    def stages(self) -> list[tuple[str, datetime, datetime]]:
        n = self.source
        return [(stage, local_time(s, self.tz), local_time(e, self.tz))
                for stage, s, e in n.runs if s >= n.main_start and e <= n.wake]

    def hr_in_bed(self) -> list[tuple[datetime, int]]:
        return [(datetime.fromtimestamp(t, UTC), bpm) for t, bpm in self.hr]


def study_nights(a: StudyAthlete, rng: random.Random) -> list[StudyNight]:
    out = []
    for n in a.nights:
        assert all(stage in ASLEEP for stage, s, _ in n.runs if s == n.main_start)
        hr = tuple((t, bpm) for t, bpm in sleep_hr_series(n, rng)
                   if n.main_start <= t < n.wake)
        out.append(StudyNight(n, a.tz, hr))
    return out


def _expect(a: StudyAthlete, ex: Expect, sleep: str, hr: str, hrv: str | None) -> None:
    for n in a.nights:
        ex.add(n.night, "stages", n.sleep_hours, sleep)
        ex.add(n.night, "sleep_hr_30min", n.resting_hr, hr)
        if hrv:
            ex.add(n.night, "device_5min", n.hrv_ms, hrv)


def health_connect_export(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """`health_connect_export.zip` holding the SQLite database."""
    db = health_connect.database_bytes(study_nights(a, rng))
    out.zip(a, "health_connect_export.zip",
            [Member("health_connect_export.db", db, "health_connect_db")])
    _expect(a, ex, "health_connect_db", "health_connect_db", "health_connect_db")


#: export folder path -> `files.format`, by the data type the path names
SAMSUNG_FORMATS = (
    ("jsons/com.samsung.shealth.tracker.heart_rate/", "samsung_heart_rate_json"),
    ("jsons/com.samsung.health.hrv/", "samsung_hrv_json"),
    ("com.samsung.health.sleep_stage.", "samsung_sleep_stage_csv"),
    ("com.samsung.shealth.tracker.heart_rate.", "samsung_heart_rate_csv"),
    ("com.samsung.health.hrv.", "samsung_hrv_csv"),
)


def samsung_export(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """`samsunghealth_<id>_<stamp>/` with its CSVs and `jsons/` binning files."""
    folder = f"samsunghealth_{a.athlete_id}_{samsung_health.EXPORT_STAMP}"
    for rel, data in samsung_health.export_files(study_nights(a, rng)).items():
        fmt = next(f for prefix, f in SAMSUNG_FORMATS if rel.startswith(prefix))
        out.file(a, f"{folder}/{rel}", data, fmt)
    _expect(a, ex, "samsung_sleep_stage_csv", "samsung_heart_rate_json", "samsung_hrv_json")


def withings_export(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """`data_<id>/` with raw_tracker_sleep-state.csv, raw_hr_hr.csv and sleep.csv."""
    formats = {"raw_tracker_sleep-state.csv": "withings_sleep_state_csv",
               "raw_hr_hr.csv": "withings_heart_rate_csv", "sleep.csv": "withings_sleep_csv"}
    for name, data in withings.export_files(study_nights(a, rng)).items():
        out.file(a, f"data_{a.athlete_id}/{name}", data, formats[name])
    _expect(a, ex, "withings_sleep_state_csv", "withings_heart_rate_csv", None)
    ex.none_note["hrv_ms"] = "withings: no RMSSD in the export"


def zepp_export(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """`<user id>_<stamp>/` with HEARTRATE_AUTO, SLEEP, and ACTIVITY and USER (skipped
    unread: `ignored: ...`)."""
    folder = f"{a.uid}_{zepp.STAMP_MS}"
    for rel, data in zepp.export_files(study_nights(a, rng)).items():
        fmt = zepp.FORMATS[rel.split("/")[0]]
        status, reason = ("loaded", "") if fmt else ("quarantined", "ignored: ")
        out.file(a, f"{folder}/{rel}", data, fmt, status, reason)
    for n in a.nights:
        ex.add(n.night, "dev_sleep_hours", n.sleep_hours, "zepp_sleep_csv")
    ex.none_note["resting_hr"] = "zepp: no sleep period or resting HR in the export"
    ex.none_note["hrv_ms"] = "zepp: no RMSSD in the export"
