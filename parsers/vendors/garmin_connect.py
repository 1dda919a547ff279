"""Garmin Connect account export (DI_CONNECT): the daily JSON summaries, one format per file.

FIT files in the same export (`DI-Connect-Uploaded-Files/*.zip`) are read by `parsers.fit`
via `parsers.archive`; this module reads Garmin's own day summaries:

- `DI-Connect-Wellness/*_sleepData.json`   -> sleep totals per night (and stage intervals
  when a record carries them), `garmin_sleep_json`
- `DI-Connect-Wellness/*_healthStatusData.json` -> overnight HRV and resting HR,
  `garmin_health_status_json`
- `DI-Connect-Aggregator/UDSFile_*.json`   -> the day's resting HR, `garmin_uds_json`

Times ending in `GMT` are UTC; `calendarDate` is the night (the wake-up date) directly.
See docs/sources/garmin_connect.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import (
    VendorFormat,
    first_present,
    frames_of,
    has_keys,
    is_empty_list,
    items,
    json_head_keys,
    json_records,
    merge_runs,
    obj,
    rows_frame,
    summaries,
    text,
)

VENDOR = "garmin"
FORMAT_SLEEP = "garmin_sleep_json"
FORMAT_HEALTH_STATUS = "garmin_health_status_json"
FORMAT_UDS = "garmin_uds_json"

#: Garmin `activityLevel` in `sleepLevels` -> canonical stage (Connect's own legend).
LEVELS = {0: "deep", 1: "light", 2: "rem", 3: "awake", -1: "unmeasurable"}
#: `sleepLevelsMap` keys -> canonical stage.
LEVEL_NAMES = {"deep": "deep", "light": "light", "rem": "rem", "awake": "awake",
               "unmeasurable": "unmeasurable"}
#: healthStatusData metric types we keep -> device_summaries metric (HRV is Garmin's RMSSD).
HEALTH_METRICS = {"HRV": "hrv_rmssd_ms", "HR": "resting_hr"}


def _name_hint(name: str, *suffixes: str) -> bool:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower().endswith(suffixes)


def _sleep_keys(head: str) -> bool:
    return has_keys(head, "sleepStartTimestampGMT") or has_keys(head, "deepSleepSeconds")


def sniff_sleep(data: bytes, name: str) -> bool:
    """A JSON list whose records carry Garmin's sleep keys (GMT window or stage seconds)."""
    head = json_head_keys(data)
    if not head:
        return False
    if _sleep_keys(head):
        return not has_keys(head, "totalKilocalories")  # daily summaries (UDS) are not sleep
    return head.lstrip().startswith("[") and _name_hint(name, "sleepdata.json") and (
        "calendarDate" in head or is_empty_list(head)
    )


def sniff_health_status(data: bytes, name: str) -> bool:
    """Records of `calendarDate` + `metrics` with `type` entries (HRV, HR, SPO2, ...)."""
    head = json_head_keys(data)
    if head and has_keys(head, "calendarDate", "metrics") and has_keys(head, "type"):
        return True
    return bool(head) and _name_hint(name, "healthstatusdata.json") and is_empty_list(head)


def sniff_uds(data: bytes, name: str) -> bool:
    """UDS (user daily summary) records: `calendarDate` with calorie totals / resting HR."""
    head = json_head_keys(data)
    if head and has_keys(head, "calendarDate"):
        return has_keys(head, "totalKilocalories") or (
            has_keys(head, "restingHeartRate") and not _sleep_keys(head)
        )
    return bool(head) and "udsfile" in name.lower() and is_empty_list(head)


# ---------------------------------------------------------------- values


def _calendar_date(value: object) -> str | None:
    """`"2023-01-02"` or older `{"date": "2023-01-02"}` -> the ISO date string."""
    if isinstance(value, dict):
        value = value.get("date")
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _gmt(value: object) -> datetime | None:
    """`"2023-01-01T22:15:00.0"` (GMT, no zone) or epoch milliseconds -> aware UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):  # beyond the calendar (fuzzing)
            return None
    if isinstance(value, str) and value:
        stamp = value.strip().rstrip("Z")
        try:
            return datetime.fromisoformat(stamp[:26]).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# ---------------------------------------------------------------- sleep


def _sleep_row(rec: dict) -> dict | None:
    # {"sleepStartTimestampGMT": "2023-01-01T22:15:00.0", "sleepEndTimestampGMT":
    #  "2023-01-02T06:30:00.0", "calendarDate": "2023-01-02", "sleepWindowConfirmationType":
    #  "ENHANCED_CONFIRMED_FINAL", "deepSleepSeconds": 5400, "lightSleepSeconds": 15000,
    #  "remSleepSeconds": 6000, "awakeSleepSeconds": 1200, "unmeasurableSeconds": 0,
    #  "averageRespiration": 14.0, "retro": false, "sleepScores": {...}}
    night = _calendar_date(rec.get("calendarDate"))
    if night is None:  # the stray trailing {"retro": false} element, or junk
        return None
    stages = {k: _num(rec.get(f"{k}SleepSeconds")) for k in ("deep", "light", "rem", "awake")}
    asleep = [stages[k] for k in ("deep", "light", "rem") if stages[k] is not None]
    return {
        "night": night,
        "ts": _gmt(rec.get("sleepEndTimestampGMT")),
        "sleep_hours": sum(asleep) / 3600 if asleep else None,
        **{f"{k}_sleep_hours": (v / 3600 if v is not None else None)
           for k, v in stages.items() if k != "awake"},
        "awake_hours": stages["awake"] / 3600 if stages["awake"] is not None else None,
        # newer records (Connect's sleep JSON) also carry the night's HRV and resting HR
        "hrv_rmssd_ms": _num(rec.get("avgOvernightHrv")) or None,
        "resting_hr": _num(rec.get("restingHeartRate")) or None,
    }


def _stage_rows(rec: dict) -> list[dict]:
    """Stage intervals, only when the record lists them (never invented from totals)."""
    rows = []
    # "sleepLevels": [{"startGMT": "2023-01-01T22:15:00.0", "endGMT": "...", "activityLevel": 1.0}]
    for level in items(rec.get("sleepLevels")):
        if isinstance(level, dict):
            code = _num(level.get("activityLevel"))
            rows.append({
                "start_ts": _gmt(level.get("startGMT")),
                "end_ts": _gmt(level.get("endGMT")),
                "stage": LEVELS.get(int(code)) if code is not None and code.is_integer() else None,
            })
    # "sleepLevelsMap": {"deep": [{"startTimeInSeconds": 1705298400, "endTimeInSeconds": ...}]}
    for key, spans in obj(rec.get("sleepLevelsMap")).items():
        for span in items(spans):
            if isinstance(span, dict):
                rows.append({
                    "start_ts": _gmt(_epoch_ms(span.get("startTimeInSeconds"))),
                    "end_ts": _gmt(_epoch_ms(span.get("endTimeInSeconds"))),
                    "stage": LEVEL_NAMES.get(str(key).lower()),
                })
    return rows


def _epoch_ms(seconds: object) -> float | None:
    value = _num(seconds)
    return value * 1000 if value is not None else None


def parse_sleep(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """*_sleepData.json -> sleep_hours (deep+light+REM) per night; stages when listed."""
    records = json_records(data, name, "Garmin sleep")
    rows = [r for r in map(_sleep_row, records) if r is not None]
    schema = {"night": pl.String, "ts": pl.Datetime("us", "UTC"), "sleep_hours": pl.Float64,
              "deep_sleep_hours": pl.Float64, "light_sleep_hours": pl.Float64,
              "rem_sleep_hours": pl.Float64, "awake_hours": pl.Float64,
              "hrv_rmssd_ms": pl.Float64, "resting_hr": pl.Float64}
    nights = rows_frame(rows, schema)
    nights = (
        nights.with_columns(pl.col("night").str.to_date(strict=False))
        .filter(pl.col("night").is_not_null())
        # Garmin can list a night twice (a retro re-analysis): keep the longest sleep.
        .sort("sleep_hours", descending=True, nulls_last=True)
        .unique(subset=["night"], keep="first", maintain_order=True)
        .sort("night")
    )
    metrics = {m: pl.col(m) for m in schema if m not in ("night", "ts")}
    out = summaries(nights, metrics, VENDOR, night=pl.col("night"), ts=pl.col("ts"))
    stage_rows = [s for rec in records for s in _stage_rows(rec)]
    stages = rows_frame(stage_rows, {"start_ts": pl.Datetime("us", "UTC"),
                                     "end_ts": pl.Datetime("us", "UTC"), "stage": pl.String})
    stages = merge_runs(stages.drop_nulls())
    return ParsedFile(FORMAT_SLEEP, frames_of(device_summaries=out, sleep_stages=stages),
                      vendor=VENDOR)


# ---------------------------------------------------------------- health status, UDS


def parse_health_status(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """*_healthStatusData.json -> overnight HRV (RMSSD) and resting HR per calendar date."""
    # {"calendarDate": "2024-05-03", "metrics": [{"type": "HRV", "value": 62.0,
    #   "status": "IN_RANGE", "baselineUpperLimit": 70, ...}, {"type": "HR", "value": 57}, ...]}
    rows = []
    for rec in json_records(data, name, "Garmin health status"):
        night = _calendar_date(rec.get("calendarDate"))
        for m in items(rec.get("metrics")):
            if not isinstance(m, dict) or text(m.get("type")) not in HEALTH_METRICS:
                continue
            value = _num(m.get("value"))
            # value 0 / status UNKNOWN: not measured that night (watch off)
            if night and value and str(m.get("status", "")).upper() != "UNKNOWN":
                rows.append({"night": night, "metric": HEALTH_METRICS[m["type"]], "value": value})
    return _long(rows, FORMAT_HEALTH_STATUS)


def parse_uds(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """UDSFile_*.json -> the day's resting heart rate (`restingHeartRate`)."""
    # {"userProfilePK": 1234, "calendarDate": "2023-01-01", "totalKilocalories": 2400.0,
    #  "totalSteps": 8123, "minHeartRate": 44, "maxHeartRate": 151, "restingHeartRate": 48,
    #  "currentDayRestingHeartRate": 48, "allDayStress": {...}, ...}
    rows = []
    for rec in json_records(data, name, "Garmin daily summary (UDS)"):
        night = _calendar_date(rec.get("calendarDate"))
        value = _num(first_present(rec, "restingHeartRate", "currentDayRestingHeartRate"))
        if night and value:  # 0 / null: no resting HR that day
            rows.append({"night": night, "metric": "resting_hr", "value": value})
    return _long(rows, FORMAT_UDS)


def _long(rows: list[dict], fmt: str) -> ParsedFile:
    frame = rows_frame(rows, {"night": pl.String, "metric": pl.String, "value": pl.Float64})
    frame = frame.with_columns(pl.col("night").str.to_date(strict=False), pl.lit(VENDOR)
                               .alias("vendor")).filter(pl.col("night").is_not_null())
    frame = frame.unique(subset=["night", "metric"], keep="last", maintain_order=True)
    return ParsedFile(fmt, frames_of(device_summaries=conform(frame, "device_summaries")),
                      vendor=VENDOR)


PARSERS = [
    VendorFormat(FORMAT_SLEEP, sniff_sleep, parse_sleep),
    VendorFormat(FORMAT_HEALTH_STATUS, sniff_health_status, parse_health_status),
    VendorFormat(FORMAT_UDS, sniff_uds, parse_uds),
]
