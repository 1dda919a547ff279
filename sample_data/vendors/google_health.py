"""A Google Health Takeout (the post-Fitbit layout) written from the shared nightly plan
(`sample_data.export_plan`), with the values each night must produce.

    python -m sample_data.vendors.google_health OUT_DIR [--start 2025-10-20] [--nights 10]
                                                        [--zone Europe/Amsterdam]

writes `OUT_DIR/Takeout/Google Health/` (docs/sources/google_health.md):

* `Health Fitness Data_GoogleData/UserSleeps_<month>.csv` and `UserSleepStages_<month>.csv`:
  `sleep_start`/`sleep_end` UTC instants (`...Z`) next to per-row `start_utc_offset` /
  `end_utc_offset` (`+02:00`): the night to 26 October 2025 starts at +02:00 and ends at
  +01:00, 440 minutes in absolute time; every third day a 30-minute afternoon nap;
* `Physical Activity_GoogleData/Heart Rate/heart_rate_<month>.csv`: once a minute in bed
  (58 bpm, a 40-minute spell at the night's resting HR), daytime samples at 80 bpm, and a
  Health Connect mirror repeating a few of the watch's instants;
* `.../Heart Rate Variability/heart_rate_variability_<month>.csv`: RMSSD per 5-minute window
  in bed, alternating two values whose mean is the night's HRV (SDNN beside it, never RMSSD);
* `.../Daily Heart Rate Variability/daily_heart_rate_variability_<month>.csv` and
  `.../Daily Resting Heart Rate/daily_resting_heart_rate.csv`: one row per night stamped
  `<night>T00:00:00Z`, the LOCAL date, not midnight UTC;
* `Global Export Data/sleep-<date>.json` and `resting_heart_rate-<date>.json`: the legacy
  Fitbit JSON twins of the same nights in local wall time (the resting HR padded with zeros);
* a README per dataset and a machine-learning file (`UserActivityProbabilities_*.csv`) that
  herstel does not read.

`sleep_times="local"` writes the sleep CSVs' times as local wall times still marked `Z` (the
trap some exports show); herstel must read the same instants from either.

`google_health(athlete, expect, out, rng)` writes the same layout, zipped as Takeout does,
for the vendor study's `google_health` profile (`sample_data.vendors.study`), from the
study's plan and with its expectations.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer
from sample_data.vendors.common import (
    HOUR,
    Expect,
    Member,
    Out,
    StudyAthlete,
    fmt_offset,
    hrv_series,
    json_bytes,
    offset_s,
    sleep_hr_series,
)
from sample_data.vendors.fitbit import _fitbit_log, _fitbit_nap

ROOT = Path("Takeout") / "Google Health"
SLEEP_DIR = ROOT / "Health Fitness Data_GoogleData"
ACTIVITY_DIR = ROOT / "Physical Activity_GoogleData"
GLOBAL_DIR = ROOT / "Global Export Data"
WATCH = "Google Pixel Watch 3"
MIRROR = "Fit Health Connect"
DAY_HR_BPM = 80
NREM_HR_BPM = 51.0
#: canonical stage -> `sleep_stage_type` / Fitbit JSON `level`
STAGE_TYPES = {"light": "LIGHT", "deep": "DEEP", "rem": "REM", "awake": "AWAKE"}
JSON_LEVELS = {"light": "light", "deep": "deep", "rem": "rem", "awake": "wake"}
NAP_AT = time(14, 0)
NAP_ASLEEP_MIN, NAP_AWAKE_MIN = 28, 2
SLEEPS_HEADER = ("sleep_id,sleep_type,minutes_in_sleep_period,minutes_after_wake_up,"
                 "minutes_to_fall_asleep,minutes_asleep,minutes_awake,minutes_longest_awakening,"
                 "minutes_to_persistent_sleep,start_utc_offset,sleep_start,end_utc_offset,"
                 "sleep_end,data_source,sleep_created,sleep_last_updated")
STAGES_HEADER = ("sleep_id,sleep_stage_id,sleep_stage_type,start_utc_offset,sleep_stage_start,"
                 "end_utc_offset,sleep_stage_end,data_source,sleep_stage_created,"
                 "sleep_stage_last_updated")


def _z(moment: datetime) -> str:
    """`2025-10-25T20:50:00Z`: a UTC instant as Google writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wall_z(moment: datetime) -> str:
    """The trap: local wall time, still marked `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _offset(moment: datetime) -> str:
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _csv(header: str, rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def _seconds(a: datetime, b: datetime) -> int:
    """Elapsed seconds: aware datetimes of one zone subtract as wall clocks in Python, which
    is wrong across a clock change, so both go to UTC first."""
    return int((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds())


def _month(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-01")


def _nap(p: PlannedNight) -> list[tuple[str, datetime, datetime]]:
    start = datetime.combine(p.night, NAP_AT, p.bed.tzinfo)
    mid = start + timedelta(minutes=NAP_ASLEEP_MIN)
    return [("asleep", start, mid), ("awake", mid, mid + timedelta(minutes=NAP_AWAKE_MIN))]


def _sleeps(nights: list[PlannedNight]) -> list[tuple[int, str, list]]:
    """(sleep_id, sleep_type, [(stage, start, end)]): each night's main sleep, and the naps."""
    out = []
    for i, p in enumerate(nights):
        out.append((4400 + 2 * i, "STAGES", p.stages()))
        if i % 3 == 0:
            out.append((4401 + 2 * i, "CLASSIC", _nap(p)))
    return out


def user_sleeps_csv(nights: list[PlannedNight], sleep_times: str = "utc") -> tuple[str, str]:
    """(UserSleeps, UserSleepStages) text."""
    stamp = _z if sleep_times == "utc" else _wall_z
    sleeps, stages = [], []
    for sleep_id, kind, runs in _sleeps(nights):
        start, end = runs[0][1], runs[-1][2]
        period = _seconds(start, end) // 60
        awake = sum(_seconds(a, b) // 60 for st, a, b in runs if st == "awake")
        created = _z(end + timedelta(minutes=30))
        sleeps.append([sleep_id, kind, period, 0, 0, period - awake, awake, awake, 0,
                       _offset(start), stamp(start), _offset(end), stamp(end),
                       "PASSIVELY_MEASURED", created, created])
        for k, (stage, a, b) in enumerate(runs, 1):
            kind_name = "ASLEEP" if stage == "asleep" else STAGE_TYPES[stage]
            stages.append([sleep_id, k, kind_name, _offset(a), stamp(a), _offset(b), stamp(b),
                           "PASSIVELY_MEASURED", created, created])
    return _csv(SLEEPS_HEADER, sleeps), _csv(STAGES_HEADER, stages)


def _hrv_windows(p: PlannedNight) -> list[tuple[datetime, float]]:
    """RMSSD every 5 minutes in bed, +-3 ms around the plan, an even count: the mean is exact."""
    bed, wake = p.bed.astimezone(UTC), p.wake.astimezone(UTC)
    out, t, k = [], bed + timedelta(seconds=150), 0
    while t < wake - timedelta(minutes=5):
        out.append((t, p.hrv_ms + (3.0 if k % 2 else -3.0)))
        t, k = t + timedelta(minutes=5), k + 1
    return out[: len(out) // 2 * 2]


def _by_month(rows: list[tuple[datetime, list]]) -> dict[str, list[list]]:
    months: dict[str, list[list]] = defaultdict(list)
    for moment, row in sorted(rows, key=lambda r: r[0]):
        months[_month(moment)].append(row)
    return months


def activity_files(nights: list[PlannedNight]) -> dict[Path, str]:
    """The `Physical Activity_GoogleData` CSVs, path -> text."""
    hr, hrv, daily_hrv, resting = [], [], [], []
    for p in nights:
        samples = p.hr_in_bed()
        hr += [(t, [_z(t), float(bpm), WATCH]) for t, bpm in samples]
        hr += [(t, [_z(t), float(bpm), MIRROR]) for t, bpm in samples[::97]]  # the mirror
        for hour in (9, 12, 17):
            t = datetime.combine(p.night, time(hour), p.bed.tzinfo)
            hr.append((t, [_z(t), float(DAY_HR_BPM), WATCH]))
        hrv += [(t, [_z(t), v, round(v * 1.4, 1), WATCH]) for t, v in _hrv_windows(p)]
        midnight = f"{p.night.isoformat()}T00:00:00Z"  # the local date, not midnight UTC
        day = datetime.combine(p.night, time(), UTC)
        daily_hrv.append((day, [midnight, p.hrv_ms, NREM_HR_BPM, 2.61, p.hrv_ms + 4.0, WATCH]))
        resting.append((day, [midnight, float(p.device_resting_hr_bpm), WATCH]))
    files: dict[Path, str] = {}
    families = (
        ("Heart Rate", "heart_rate", "timestamp,beats per minute,data source", hr),
        ("Heart Rate Variability", "heart_rate_variability",
         "timestamp,root mean square of successive differences milliseconds,"
         "standard deviation milliseconds,data source", hrv),
        ("Daily Heart Rate Variability", "daily_heart_rate_variability",
         "timestamp,average heart rate variability milliseconds,non rem heart rate beats per "
         "minute,entropy,deep sleep root mean square of successive differences milliseconds,"
         "data source", daily_hrv),
    )
    for folder, stem, header, rows in families:
        for month, chunk in _by_month(rows).items():
            files[ACTIVITY_DIR / folder / f"{stem}_{month}.csv"] = _csv(header, chunk)
        files[ACTIVITY_DIR / folder / "README.txt"] = _readme(stem, header)
    files[ACTIVITY_DIR / "Daily Resting Heart Rate" / "daily_resting_heart_rate.csv"] = _csv(
        "timestamp,beats per minute,data source", [r for _, r in sorted(resting)])
    files[ACTIVITY_DIR / "Daily Resting Heart Rate" / "README.txt"] = _readme(
        "daily_resting_heart_rate", "timestamp,beats per minute,data source")
    return files


def _readme(stem: str, header: str) -> str:
    """A dataset README in the shape Takeout writes (our own words)."""
    lines = [f"    {col:<60}- see docs/sources/google_health.md" for col in header.split(",")]
    return "\n".join(["Time Series Data Export", "", "Files Included:", "----------", "",
                      f"{stem}_YYYY-MM-DD.csv - one file per month", "",
                      "Each entry has the following values:", "", *lines, ""])


def _fitbit_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000")


def _json_log(sleep_id: int, kind: str, runs: list, night) -> dict:
    """A legacy Fitbit sleep log of the same sleep, in local wall time without an offset."""
    start, end = runs[0][1], runs[-1][2]
    minutes = defaultdict(int)
    for stage, a, b in runs:
        minutes[stage] += _seconds(a, b) // 60
    level = JSON_LEVELS | {"asleep": "asleep"}
    data = [{"dateTime": _fitbit_time(a), "level": level[st],
             "seconds": _seconds(a, b)} for st, a, b in runs]
    summary = {level[st]: {"count": 1, "minutes": m} for st, m in minutes.items()}
    asleep = sum(m for st, m in minutes.items() if st != "awake")
    return {"logId": sleep_id, "dateOfSleep": night.isoformat(),
            "startTime": _fitbit_time(start), "endTime": _fitbit_time(end),
            "duration": _seconds(start, end) * 1000,
            "minutesAsleep": asleep, "minutesAwake": minutes["awake"],
            "type": kind.lower(), "mainSleep": kind == "STAGES",
            "levels": {"summary": summary, "data": data, "shortData": []}}


def global_export_files(nights: list[PlannedNight]) -> dict[Path, str]:
    """The JSON twins in `Global Export Data/` (what herstel must not count twice)."""
    logs = []
    by_id = {i: p for i, p in enumerate(nights)}
    for sleep_id, kind, runs in _sleeps(nights):
        logs.append(_json_log(sleep_id, kind, runs, by_id[(sleep_id - 4400) // 2].night))
    first = nights[0].night.isoformat()
    resting = [{"dateTime": f"{p.night:%m/%d/%y} 00:00:00",
                "value": {"date": f"{p.night:%m/%d/%y}", "value": float(p.device_resting_hr_bpm),
                          "error": 6.5}} for p in nights]
    resting.append({"dateTime": f"{nights[-1].night + timedelta(days=1):%m/%d/%y} 00:00:00",
                    "value": {"date": None, "value": 0.0, "error": 0.0}})  # padding
    return {GLOBAL_DIR / f"sleep-{first}.json": json.dumps(logs[::-1], indent=1),
            GLOBAL_DIR / f"resting_heart_rate-{first}.json": json.dumps(resting, indent=1)}


def sleep_files(nights: list[PlannedNight], sleep_times: str = "utc") -> dict[Path, str]:
    sleeps, stages = user_sleeps_csv(nights, sleep_times)
    month = _month(nights[0].bed)
    return {
        SLEEP_DIR / f"UserSleeps_{month}.csv": sleeps,
        SLEEP_DIR / "UserSleeps README.txt": _readme("UserSleeps", SLEEPS_HEADER),
        SLEEP_DIR / f"UserSleepStages_{month}.csv": stages,
        SLEEP_DIR / "UserSleepStages README.txt": _readme("UserSleepStages", STAGES_HEADER),
        # machine-learning output herstel never reads (real files run to tens of MB)
        SLEEP_DIR / f"UserActivityProbabilities_{month}.csv": _csv(
            "timestamp,activity,probability",
            [[_z(p.bed), "SLEEP", 0.97] for p in nights]),
    }


def write_export(out_dir: Path, nights: list[PlannedNight], sleep_times: str = "utc") -> Path:
    """`out_dir/Takeout/` holding the Google Health export of `nights`."""
    files = sleep_files(nights, sleep_times) | activity_files(nights) | global_export_files(
        nights)
    for rel, text in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out_dir / "Takeout"


# ---------------------------------------------------------------- the vendor study profile

#: What herstel makes of the files it skips unread (docs/sources/google_health.md).
IGNORED = {"readme": "ignored: a dataset readme", "ml": "ignored: machine-learning output",
           "twin": "ignored: legacy twin"}
STUDY_ZIP = "takeout-20260101T000000Z-001.zip"


def _zu(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _study_sleeps(a: StudyAthlete, ex: Expect) -> tuple[list[list], list[list]]:
    """UserSleeps and UserSleepStages rows of every night and nap, with the expectations."""
    tz, sleeps, stages = a.tz, [], []
    for n in a.nights:
        periods = [(n.runs, "STAGES")] + ([(n.nap, "STAGES")] if n.nap else [])
        for k, (runs, kind) in enumerate(periods):
            sleep_id = 50_000_000 + a.index * 10_000 + n.index * 2 + k
            start, end = runs[0][1], runs[-1][2]
            asleep = sum(e - b for st, b, e in runs if st != "awake") // 60
            awake = sum(e - b for st, b, e in runs if st == "awake") // 60
            lead = next(b for st, b, _ in runs if st != "awake") - start
            created = _zu(end + 1800)
            sleeps.append([sleep_id, kind, (end - start) // 60, 0, lead // 60, asleep, awake,
                           awake, lead // 60, fmt_offset(offset_s(start, tz)), _zu(start),
                           fmt_offset(offset_s(end, tz)), _zu(end), "PASSIVELY_MEASURED",
                           created, created])
            for j, (st, b, e) in enumerate(runs, 1):
                stages.append([sleep_id, j, STAGE_TYPES[st], fmt_offset(offset_s(b, tz)), _zu(b),
                               fmt_offset(offset_s(e, tz)), _zu(e), "PASSIVELY_MEASURED",
                               created, created])
        ex.add(n.night, "stages", n.sleep_hours, "google_health_sleep_stages_csv")
        ex.add(n.night, "dev_sleep_hours", n.asleep_s / HOUR, "google_health_sleeps_csv")
    return sleeps, stages


def _study_series(a: StudyAthlete, ex: Expect, rng) -> dict[str, list[tuple[int, list]]]:
    """Heart rate, 5-minute HRV, daily HRV and daily resting HR rows, by family."""
    out: dict[str, list[tuple[int, list]]] = defaultdict(list)
    for n in a.nights:
        out["hr"] += [(t, [_zu(t), float(bpm), WATCH]) for t, bpm in sleep_hr_series(n, rng)]
        out["hrv"] += [(t, [_zu(t), v, round(v * 1.4, 1), WATCH])
                       for t, v in hrv_series(n) if v is not None]
        ex.add(n.night, "sleep_hr_30min", n.resting_hr, "google_health_heart_rate_csv")
        ex.add(n.night, "device_5min", n.hrv_ms, "google_health_hrv_csv")
        day = int(datetime.combine(n.night, time(), UTC).timestamp())
        midnight = f"{n.night.isoformat()}T00:00:00Z"  # the local date (not midnight UTC)
        rmssd = round(n.hrv_ms + rng.uniform(-2, 2), 1)
        out["daily_hrv"].append((day, [midnight, rmssd, float(n.resting_hr + 2), 2.5,
                                       rmssd + 3.0, WATCH]))
        ex.add(n.night, "dev_hrv_rmssd_ms", rmssd, "google_health_daily_hrv_csv")
        bpm = 0.0 if n.index % 17 == 5 else float(n.resting_hr + rng.choice((0, 1)))
        out["resting"].append((day, [midnight, bpm, WATCH]))
        if bpm:
            ex.add(n.night, "dev_resting_hr", bpm, "google_health_resting_hr_csv")
    return out


def _monthly(folder: str, stem: str, header: str, rows: list[tuple[int, list]],
             fmt: str) -> list[Member]:
    months: dict[str, list[list]] = defaultdict(list)
    for ts, row in sorted(rows, key=lambda r: r[0]):
        months[datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-01")].append(row)
    return [Member(f"{folder}/{stem}_{m}.csv", _csv(header, chunk).encode(), fmt)
            for m, chunk in months.items()]


def _ignored(name: str, data: bytes, why: str) -> Member:
    return Member(name, data, None, "quarantined", IGNORED[why])


def google_health(a: StudyAthlete, ex: Expect, out: Out, rng) -> None:
    """The Google Health Takeout zip of one study athlete (CSV layout + JSON twins)."""
    root = "Takeout/Google Health"
    hf, pa, ge = (f"{root}/Health Fitness Data_GoogleData", f"{root}/Physical Activity_GoogleData",
                  f"{root}/Global Export Data")
    sleeps, stages = _study_sleeps(a, ex)
    series = _study_series(a, ex, rng)
    month = f"{a.start:%Y-%m}-01"
    members = [
        Member(f"{hf}/UserSleeps_{month}.csv", _csv(SLEEPS_HEADER, sleeps).encode(),
               "google_health_sleeps_csv"),
        Member(f"{hf}/UserSleepStages_{month}.csv", _csv(STAGES_HEADER, stages).encode(),
               "google_health_sleep_stages_csv"),
        _ignored(f"{hf}/UserSleeps README.txt", _readme("UserSleeps", SLEEPS_HEADER).encode(),
                 "readme"),
        _ignored(f"{hf}/UserActivityProbabilities_{month}.csv",
                 b"timestamp,activity,probability\n", "ml"),
    ]
    families = (
        ("Heart Rate", "heart_rate", "timestamp,beats per minute,data source", "hr",
         "google_health_heart_rate_csv"),
        ("Heart Rate Variability", "heart_rate_variability",
         "timestamp,root mean square of successive differences milliseconds,"
         "standard deviation milliseconds,data source", "hrv", "google_health_hrv_csv"),
        ("Daily Heart Rate Variability", "daily_heart_rate_variability",
         "timestamp,average heart rate variability milliseconds,non rem heart rate beats per "
         "minute,entropy,deep sleep root mean square of successive differences milliseconds,"
         "data source", "daily_hrv", "google_health_daily_hrv_csv"),
    )
    for folder, stem, header, key, fmt in families:
        members += _monthly(f"{pa}/{folder}", stem, header, series[key], fmt)
        members.append(_ignored(f"{pa}/{folder}/README.txt", _readme(stem, header).encode(),
                                "readme"))
    members.append(Member(
        f"{pa}/Daily Resting Heart Rate/daily_resting_heart_rate.csv",
        _csv("timestamp,beats per minute,data source",
             [r for _, r in sorted(series["resting"], key=lambda r: r[0])]).encode(),
        "google_health_resting_hr_csv"))
    logs = []
    for n in a.nights:  # the JSON twins: skipped unread, so their rng use changes nothing
        logs.append(_fitbit_log(a, n, rng)[0])
        if n.nap:
            logs.append(_fitbit_nap(a, n))
    resting = [{"dateTime": f"{n.night:%m/%d/%y} 00:00:00",
                "value": {"date": f"{n.night:%m/%d/%y}", "value": float(n.resting_hr),
                          "error": 6.5}} for n in a.nights]
    members += [_ignored(f"{ge}/sleep-{a.start}.json", json_bytes(logs[::-1], 2), "twin"),
                _ignored(f"{ge}/resting_heart_rate-{a.start}.json", json_bytes(resting), "twin")]
    out.zip(a, STUDY_ZIP, members)


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
