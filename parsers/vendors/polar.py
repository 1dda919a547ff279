"""Polar Flow account export (account.polar.com -> "Download your data"): JSON files.

- `ppi_samples_*.json` / `ppi_*.json` -> rr_intervals (optical peak-to-peak intervals)
- `sleep_result_*.json` -> sleep_stages from the hypnogram, sleep hours per night
- `training-session-*.json` -> activities (older `exportVersion` 1.x and the newer layout)

PPI times are local wall-clock times without an offset (read in the athlete's zone `tz`);
sleep times carry an offset; training sessions give a separate offset in minutes.
See docs/sources/polar.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import (
    VendorFormat,
    common_offset,
    first_present,
    frames_of,
    has_keys,
    iso_duration_seconds,
    iso_offset_seconds,
    iso_utc,
    items,
    json_head_keys,
    json_records,
    load_json,
    merge_runs,
    naive_datetime,
    obj,
    rows_frame,
    sport_columns,
    summaries,
    text,
    utc_from_local,
    utc_from_zone,
)
from parsers.vendors.placing import utc_by_sequence

VENDOR = "polar"
FORMAT_PPI = "polar_ppi_json"
FORMAT_SLEEP = "polar_sleep_json"
FORMAT_TRAINING = "polar_training_session_json"

#: Hypnogram states -> canonical stage (NONREM1/2 light, NONREM3 deep).
STATES = {"WAKE": "awake", "NONREM1": "light", "NONREM2": "light", "NONREM3": "deep",
          "REM": "rem", "WS_UNKNOWN": "unmeasurable", "UNKNOWN": "unmeasurable"}


def sniff_ppi(data: bytes, name: str) -> bool:
    """`devicePpiSamplesList` / `ppiSamples` with `pulseLength`."""
    head = json_head_keys(data)
    return bool(head) and (has_keys(head, "devicePpiSamplesList")
                           or has_keys(head, "ppiSamples", "pulseLength"))


def sniff_sleep(data: bytes, name: str) -> bool:
    """Sleep results: `night` with an `evaluation` or a `hypnogram`."""
    head = json_head_keys(data)
    return bool(head) and has_keys(head, "night") and (
        has_keys(head, "hypnogram") or has_keys(head, "evaluation")
        or has_keys(head, "sleepResult"))


def sniff_training(data: bytes, name: str) -> bool:
    """A training session object: `exercises` with start/stop times."""
    head = json_head_keys(data)
    return bool(head) and head.lstrip().startswith("{") and has_keys(head, "startTime") and (
        has_keys(head, "exercises") or has_keys(head, "exportVersion")
        or has_keys(head, "durationMillis"))


# ---------------------------------------------------------------- PPI


def parse_ppi(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """ppi_samples JSON -> rr_intervals; samples flagged by the blocker bit are left out."""
    # [{"date": "2022-03-05", "devicePpiSamplesList": [{"deviceId": "A1B2C3D4",
    #   "ppiSamples": [{"sampleDateTime": "2022-03-05T00:00:01.234", "pulseLength": 925,
    #   "errorEstimate": 10, "blocker": false}, ...]}]}]
    # Times are local and offset-less: on the autumn clock-change night the hour 02:00-03:00
    # comes twice; each device list is one recording, so its order places the second pass.
    rows = []
    for d, day in enumerate(json_records(data, name, "Polar PPI")):
        lists = day.get("devicePpiSamplesList") or [day]
        for k, device in enumerate(items(lists)):
            for s in items(obj(device).get("ppiSamples")):
                if isinstance(s, dict) and not s.get("blocker") and not s.get("blockerBit"):
                    rows.append({"stream": d * 1000 + k, "t": s.get("sampleDateTime"),
                                 "rr": s.get("pulseLength")})
    frame = rows_frame(rows, {"stream": pl.Int64, "t": pl.String, "rr": pl.Float64})
    frame = frame.with_columns(naive_datetime("t").alias("naive"))
    placed = utc_by_sequence(frame, "naive", tz, ["stream"], "PPI samples")
    rr = placed.frame.select("ts", pl.col("rr").alias("rr_ms")).drop_nulls().sort("ts")
    return ParsedFile(FORMAT_PPI, frames_of(rr_intervals=conform(rr, "rr_intervals")),
                      vendor=VENDOR, dropped=placed.dropped, problems=placed.problems)


# ---------------------------------------------------------------- sleep


def _hypnogram_rows(rec: dict) -> list[dict]:
    # "sleepResult": {"hypnogram": {"sleepStart": "2026-01-05T22:30:00+01:00",
    #   "sleepEnd": "2026-01-06T06:30:00+01:00", "sleepStateChanges": [
    #   {"offsetFromStart": "PT0S", "state": "WAKE"}, {"offsetFromStart": "PT30M",
    #   "state": "NONREM2"}, ...]}}
    hyp = obj(obj(rec.get("sleepResult")).get("hypnogram") or rec.get("hypnogram"))
    changes = [c for c in items(hyp.get("sleepStateChanges")) if isinstance(c, dict)]
    start = _aware(hyp.get("sleepStart"))
    end = _aware(hyp.get("sleepEnd"))
    if start is None:
        return []
    rows = []
    for i, change in enumerate(changes):
        offset = iso_duration_seconds(change.get("offsetFromStart"))
        nxt = iso_duration_seconds(changes[i + 1].get("offsetFromStart")) \
            if i + 1 < len(changes) else None
        t0, t1 = _after(start, offset), _after(start, nxt) if nxt is not None else end
        if t0 is not None and t1 is not None and t1 > t0:
            rows.append({"start_ts": t0, "end_ts": t1,
                         "stage": STATES.get(text(change.get("state")))})
    return rows


def _after(start: datetime, seconds: float | None) -> datetime | None:
    """`start` + an offset in seconds; None when there is none or it leaves the calendar."""
    try:
        return start + timedelta(seconds=seconds) if seconds is not None else None
    except OverflowError:
        return None


def _aware(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None


def parse_sleep(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """sleep_result JSON -> sleep_stages (hypnogram) and sleep hours for `night`."""
    # [{"night": "2026-01-06", "evaluation": {"sleepType": "SLEEP_PLUS_STAGES",
    #   "sleepSpan": "PT8H", "asleepDuration": "PT7H30M", "phaseDurations": {"wake": "PT30M",
    #   "rem": "PT1H30M", "light": "PT4H", "deep": "PT1H30M", ...}, ...}, "sleepResult": {...}}]
    records = json_records(data, name, "Polar sleep result")
    nights = []
    for rec in records:
        ev = obj(rec.get("evaluation"))
        phases = obj(ev.get("phaseDurations"))
        hyp = obj(obj(rec.get("sleepResult")).get("hypnogram"))
        nights.append({
            "night": rec.get("night"), "end": hyp.get("sleepEnd"),
            "asleep": iso_duration_seconds(ev.get("asleepDuration")),
            **{k: iso_duration_seconds(phases.get(k)) for k in ("deep", "light", "rem", "wake")},
        })
    frame = rows_frame(nights, {"night": pl.String, "end": pl.String, "asleep": pl.Float64,
                                "deep": pl.Float64, "light": pl.Float64, "rem": pl.Float64,
                                "wake": pl.Float64})
    metrics = {"sleep_hours": pl.col("asleep") / 3600, "awake_hours": pl.col("wake") / 3600}
    metrics |= {f"{k}_sleep_hours": pl.col(k) / 3600 for k in ("deep", "light", "rem")}
    night = pl.col("night").str.slice(0, 10).str.to_date(strict=False)
    device = summaries(frame, metrics, VENDOR, night=night, ts=iso_utc("end")).drop_nulls("night")
    stage_rows = [r for rec in records for r in _hypnogram_rows(rec)]
    stages = rows_frame(stage_rows, {"start_ts": pl.Datetime("us", "UTC"),
                                     "end_ts": pl.Datetime("us", "UTC"),
                                     "stage": pl.String}).drop_nulls()
    offset = common_offset(frame.select(iso_offset_seconds("end")).to_series())
    return ParsedFile(FORMAT_SLEEP, frames_of(device_summaries=device,
                                              sleep_stages=merge_runs(stages)),
                      vendor=VENDOR, utc_offset_s=offset)


# ---------------------------------------------------------------- training sessions


def _session_row(s: dict) -> dict:
    # older: {"exportVersion": "1.6", "startTime": "2019-09-14T09:31:37.000", "stopTime": "...",
    #  "timeZoneOffset": 180, "distance": 10012.0, "duration": "PT3567.987S",
    #  "maximumHeartRate": 180, "averageHeartRate": 150, "exercises": [{"sport": "RUNNING",
    #  "heartRate": {"min": 90, "avg": 150, "max": 180}, ...}]}
    # newer: {"identifier": {"id": ...}, "startTime": "2026-01-04T06:15:00", "stopTime": "...",
    #  "timezoneOffsetMinutes": 60, "durationMillis": 3600000, "distanceMeters": 10000,
    #  "hrAvg": 142, "hrMax": 171, "sport": {"id": "1"}, "exercises": [...]}
    ex = next((e for e in items(s.get("exercises")) if isinstance(e, dict)), {})
    hr = obj(ex.get("heartRate"))
    sport = first_present(s, "sport") or first_present(ex, "sport")
    if isinstance(sport, dict):  # newer layout: {"id": "1"}; a bare id names no sport
        sport = sport.get("name")
    millis = first_present(s, "durationMillis")
    return {
        "start": first_present(s, "startTime") or first_present(ex, "startTime"),
        "offset_min": first_present(s, "timeZoneOffset", "timezoneOffsetMinutes",
                                    "timezoneOffset") or first_present(ex, "timezoneOffset"),
        "duration_s": millis / 1000 if isinstance(millis, int | float)
        and not isinstance(millis, bool) else
        iso_duration_seconds(first_present(s, "duration") or first_present(ex, "duration")),
        "sport": str(sport) if sport is not None else None,
        "avg_hr": first_present(s, "averageHeartRate", "hrAvg") or hr.get("avg"),
        "max_hr": first_present(s, "maximumHeartRate", "hrMax") or hr.get("max"),
        "distance_m": first_present(s, "distance", "distanceMeters") or ex.get("distance"),
    }


def parse_training(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """training-session JSON -> one activities row (start in UTC via its own offset)."""
    doc = load_json(data, name)
    sessions = doc if isinstance(doc, list) else [doc]
    rows = [_session_row(s) for s in sessions if isinstance(s, dict)]
    frame = rows_frame(rows, {"start": pl.String, "offset_min": pl.Float64,
                              "duration_s": pl.Float64, "sport": pl.String,
                              "avg_hr": pl.Float64, "max_hr": pl.Float64,
                              "distance_m": pl.Float64})
    # a real offset is within +-14 h; anything else is junk and the athlete's zone is used
    offset_min = pl.when(pl.col("offset_min").abs() <= 14 * 60).then(pl.col("offset_min"))
    frame = frame.with_columns(offset_min.alias("offset_min"))
    naive = naive_datetime("start")
    start = pl.coalesce(
        utc_from_local(naive, (pl.col("offset_min") * 60).cast(pl.Int32)),
        utc_from_zone(naive, tz),
    )
    acts = frame.select(start.alias("start_ts"), "duration_s", *sport_columns("sport"),
                        "avg_hr", "max_hr", "distance_m").filter(pl.col("start_ts").is_not_null())
    offset = common_offset((frame["offset_min"] * 60).cast(pl.Int64))
    return ParsedFile(FORMAT_TRAINING, frames_of(activities=conform(acts, "activities")),
                      vendor=VENDOR, utc_offset_s=offset)


PARSERS = [
    VendorFormat(FORMAT_PPI, sniff_ppi, parse_ppi),
    VendorFormat(FORMAT_SLEEP, sniff_sleep, parse_sleep),
    VendorFormat(FORMAT_TRAINING, sniff_training, parse_training),
]
