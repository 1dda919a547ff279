"""Fitbit data in Google Takeout (`Takeout/Fitbit/...`), one format per file kind.

- `Global Export Data/sleep-YYYY-MM-DD.json`  -> stage intervals + nightly sleep hours
- `Global Export Data/resting_heart_rate-YYYY-MM-DD.json` -> resting HR per day
- `Heart Rate Variability/Daily Heart Rate Variability Summary - *.csv` -> nightly RMSSD
- `Heart Rate Variability/Heart Rate Variability Details - *.csv` -> 5-minute RMSSD

Sleep and HRV-details times are LOCAL wall-clock times without an offset: they are read in
the athlete's zone `tz` (UTC when not given). File-name dates are not trusted (the corpus
`resting_heart_rate-2023-03-02.json` holds 2024 values). See docs/sources/fitbit.md.
"""

from __future__ import annotations

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import (
    VendorFormat,
    frames_of,
    has_keys,
    header_of,
    is_empty_list,
    items,
    json_head_keys,
    json_records,
    local_date,
    merge_runs,
    naive_datetime,
    number,
    obj,
    read_table,
    require_column,
    rows_frame,
    summaries,
    text,
    utc_from_zone,
)
from parsers.vendors.placing import unreadable_dates, utc_by_sequence

VENDOR = "fitbit"
FORMAT_SLEEP = "fitbit_sleep_json"
FORMAT_RESTING_HR = "fitbit_resting_hr_json"
FORMAT_HRV_SUMMARY = "fitbit_hrv_summary_csv"
FORMAT_HRV_DETAILS = "fitbit_hrv_details_csv"

#: `levels.data[].level` -> canonical stage. Stages logs: wake/light/deep/rem; classic logs:
#: asleep/restless/awake, where Fitbit counts `restless` as not asleep (minutesAsleep).
LEVELS = {"wake": "awake", "light": "light", "deep": "deep", "rem": "rem",
          "asleep": "asleep", "restless": "awake", "awake": "awake"}
#: Fitbit stage epochs are 30 s; intervals are rebuilt on this grid (see `_stages`).
EPOCH_S = 30


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower()


def sniff_sleep(data: bytes, name: str) -> bool:
    """Sleep logs: `dateOfSleep` with `startTime`/`minutesAsleep`/`levels`."""
    head = json_head_keys(data)
    if head and has_keys(head, "dateOfSleep"):
        return any(has_keys(head, k) for k in ("startTime", "minutesAsleep", "levels", "logId"))
    return is_empty_list(head) and _basename(name).startswith("sleep-")


def sniff_resting_hr(data: bytes, name: str) -> bool:
    """`[{"dateTime": ..., "value": {"date": ..., "value": ..., "error": ...}}]`."""
    head = json_head_keys(data)
    if head and has_keys(head, "dateTime", "value", "error", "date"):
        return True
    return is_empty_list(head) and _basename(name).startswith("resting_heart_rate-")


def sniff_hrv_summary(data: bytes, name: str) -> bool:
    """Header `timestamp,rmssd,nremhr,entropy`."""
    h = header_of(data)
    return {"timestamp", "rmssd", "nremhr"} <= set(h)


def sniff_hrv_details(data: bytes, name: str) -> bool:
    """Header `timestamp,rmssd,coverage,low_frequency,high_frequency`."""
    h = header_of(data)
    return {"timestamp", "rmssd", "coverage"} <= set(h)


# ---------------------------------------------------------------- sleep


def _level_rows(logs: list[dict], key: str) -> list[dict]:
    # "levels": {"summary": {...}, "data": [{"dateTime": "2019-04-27T23:09:00.000",
    #   "level": "wake", "seconds": 30}, ...], "shortData": [{... "level": "wake" ...}]}
    rows = []
    for n, log in enumerate(logs):
        for i, raw in enumerate(items(obj(log.get("levels")).get(key))):
            item = obj(raw)
            level = text(item.get("level"))
            rows.append({"log": n, "item": i, "start": item.get("dateTime"),
                         "seconds": item.get("seconds"), "stage": LEVELS.get(level or "")})
    return rows


def _frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"log": pl.Int64, "item": pl.Int64, "start": pl.String, "seconds": pl.Float64,
              "stage": pl.String}
    frame = rows_frame(rows, schema).with_columns(naive=naive_datetime("start"))
    return frame.drop_nulls(["naive", "seconds"]).sort("log", "item")


def _data_utc(data: pl.DataFrame, tz: str | None) -> pl.DataFrame:
    """`levels.data` items laid end to end from the log's first start, in UTC.

    The items are contiguous, and their `dateTime` is the local wall clock, which jumps at a
    DST change; elapsed seconds do not, so only the first start is converted from local time.
    """
    offset = (pl.col("seconds").cum_sum().over("log") - pl.col("seconds")).cast(pl.Int64)
    anchor = utc_from_zone(pl.col("naive").first().over("log"), tz)
    return data.with_columns(start_utc=anchor + pl.duration(seconds=offset))


def _short_utc(short: pl.DataFrame, data: pl.DataFrame) -> pl.DataFrame:
    """`levels.shortData` wakes placed by their offset into the data item that holds them."""
    if short.is_empty() or data.is_empty():
        return short.with_columns(start_utc=pl.lit(None, pl.Datetime("us", "UTC")))
    holders = data.select(
        "log", pl.col("naive").alias("_h_naive"), pl.col("start_utc").alias("_h_utc")
    ).sort("_h_naive")
    placed = short.sort("naive").join_asof(
        holders, left_on="naive", right_on="_h_naive", by="log", strategy="backward",
        check_sortedness=False,  # both sides are sorted by local time above
    )
    start = pl.col("_h_utc") + (pl.col("naive") - pl.col("_h_naive"))
    return placed.with_columns(start_utc=start).drop("_h_naive", "_h_utc")


def _epochs(frame: pl.DataFrame) -> pl.DataFrame:
    """Intervals -> one row per 30-s epoch (UTC start, stage)."""
    frame = frame.filter(pl.col("stage").is_not_null() & (pl.col("seconds") >= EPOCH_S))
    frame = frame.drop_nulls("start_utc")
    end = pl.col("start_utc") + pl.duration(seconds=(pl.col("seconds") - EPOCH_S).cast(pl.Int64))
    return frame.select(
        pl.datetime_ranges("start_utc", end, interval=f"{EPOCH_S}s").alias("epoch"), "stage"
    ).explode("epoch")


def _stages(logs: list[dict], tz: str | None) -> pl.DataFrame:
    """`levels.data` with `levels.shortData` (wake bouts < 3 min) laid over it, as intervals.

    Fitbit reports short wakes separately and its minutesAsleep excludes them, so they are
    carved out of the long stage runs rather than stored as overlapping intervals.
    """
    data = _data_utc(_frame(_level_rows(logs, "data")), tz)
    short = _short_utc(_frame(_level_rows(logs, "shortData")), data)
    long, short = _epochs(data), _epochs(short)
    epochs = (
        pl.concat([short.with_columns(pl.lit(0).alias("_p")),
                   long.with_columns(pl.lit(1).alias("_p"))])
        .sort("epoch", "_p")
        .unique(subset=["epoch"], keep="first", maintain_order=True)
    )
    intervals = epochs.select(
        pl.col("epoch").alias("start_ts"),
        (pl.col("epoch") + pl.duration(seconds=EPOCH_S)).alias("end_ts"),
        "stage",
    ).drop_nulls()
    return merge_runs(intervals)


def _main_sleeps(logs: list[dict]) -> pl.DataFrame:
    # {"logId": 22128553286, "dateOfSleep": "2019-04-28", "startTime": "2019-04-27T23:09:00.000",
    #  "endTime": "2019-04-28T07:33:30.000", "minutesAsleep": 438, "minutesAwake": 66,
    #  "type": "stages", "levels": {"summary": {"deep": {"minutes": 103}, ...}}, "mainSleep": true}
    rows = []
    for log in logs:
        summary = obj(obj(log.get("levels")).get("summary"))
        minutes = {k: obj(summary.get(k)).get("minutes") for k in ("deep", "light", "rem")}
        rows.append({
            "night": log.get("dateOfSleep"), "end": log.get("endTime"),
            "main": log.get("mainSleep"), "asleep": log.get("minutesAsleep"),
            "awake": log.get("minutesAwake"), **minutes,
        })
    frame = rows_frame(rows, {"night": pl.String, "end": pl.String, "main": pl.Boolean,
                              "asleep": pl.Float64, "awake": pl.Float64, "deep": pl.Float64,
                              "light": pl.Float64, "rem": pl.Float64})
    frame = frame.with_columns(local_date("night").alias("night")).filter(
        pl.col("night").is_not_null() & pl.col("main").fill_null(True)
    )
    # older logs have no mainSleep flag: the longest sleep of a date is its main sleep
    return frame.sort("asleep", descending=True, nulls_last=True).unique(
        subset=["night"], keep="first", maintain_order=True).sort("night")


def parse_sleep(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """sleep-*.json -> sleep_stages (all logs, naps too) and main-sleep summaries per night."""
    logs = json_records(data, name, "Fitbit sleep log")
    nights = _main_sleeps(logs)
    metrics = {"sleep_hours": pl.col("asleep") / 60, "awake_hours": pl.col("awake") / 60}
    metrics |= {f"{k}_sleep_hours": pl.col(k) / 60 for k in ("deep", "light", "rem")}
    ts = utc_from_zone(naive_datetime("end"), tz)
    out = summaries(nights, metrics, VENDOR, night=pl.col("night"), ts=ts)
    return ParsedFile(FORMAT_SLEEP, frames_of(device_summaries=out, sleep_stages=_stages(logs, tz)),
                      vendor=VENDOR)


# ---------------------------------------------------------------- resting HR, HRV


def parse_resting_hr(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """resting_heart_rate-*.json -> resting_hr per date (value 0 = no estimate that day)."""
    # {"dateTime": "02/28/24 00:00:00",
    #  "value": {"date": "02/28/24", "value": 52.26781177520752, "error": 6.787087440490723}}
    rows = []
    for rec in json_records(data, name, "Fitbit resting heart rate"):
        value = obj(rec.get("value"))
        rows.append({"date": text(value.get("date")) or (text(rec.get("dateTime")) or "")[:8],
                     "bpm": value.get("value")})
    frame = rows_frame(rows, {"date": pl.String, "bpm": pl.Float64})
    frame = frame.with_columns(
        pl.col("date").str.strip_chars().str.to_date("%m/%d/%y", strict=False).alias("night")
    ).filter(pl.col("night").is_not_null() & (pl.col("bpm") > 0))
    out = summaries(frame, {"resting_hr": pl.col("bpm")}, VENDOR, night=pl.col("night"))
    return ParsedFile(FORMAT_RESTING_HR, frames_of(device_summaries=out), vendor=VENDOR)


def parse_hrv_summary(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Daily HRV Summary -> hrv_rmssd_ms (main-sleep RMSSD) and nrem_hr for the date."""
    # timestamp,rmssd,nremhr,entropy
    # 2024-07-21T00:00:00,29.232,49.623,2.472
    frame = read_table(data, name).frame
    ts = require_column(frame.columns, "timestamp", "timestamp", name=name)
    rmssd = require_column(frame.columns, "rmssd", "rmssd", name=name)
    metrics = {"hrv_rmssd_ms": number(rmssd)}
    if "nremhr" in frame.columns:
        metrics["nrem_hr"] = number("nremhr")
    out = summaries(frame, metrics, VENDOR, night=local_date(ts))
    dropped, problems = unreadable_dates(frame, local_date(ts), ts)
    return ParsedFile(FORMAT_HRV_SUMMARY, frames_of(device_summaries=out.drop_nulls("night")),
                      vendor=VENDOR, dropped=dropped, problems=problems)


def parse_hrv_details(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """HRV Details -> hrv_samples: Fitbit's own 5-minute RMSSD during the main sleep."""
    # timestamp,rmssd,coverage,low_frequency,high_frequency
    # 2026-03-01T01:05:00,38.2,0.93,512.1,301.2
    frame = read_table(data, name).frame
    ts = require_column(frame.columns, "timestamp", "timestamp", name=name)
    rmssd = require_column(frame.columns, "rmssd", "rmssd", name=name)
    # rows are one night's 5-minute windows in order: that order places the repeated hour
    frame = frame.select(naive_datetime(ts).alias("naive"), number(rmssd).alias("rmssd_ms"))
    placed = utc_by_sequence(frame, "naive", tz, [], "5-minute HRV values")
    samples = placed.frame.select("ts", "rmssd_ms").drop_nulls()
    return ParsedFile(FORMAT_HRV_DETAILS,
                      frames_of(hrv_samples=conform(samples, "hrv_samples")), vendor=VENDOR,
                      dropped=placed.dropped, problems=placed.problems)


PARSERS = [
    VendorFormat(FORMAT_SLEEP, sniff_sleep, parse_sleep),
    VendorFormat(FORMAT_RESTING_HR, sniff_resting_hr, parse_resting_hr),
    VendorFormat(FORMAT_HRV_SUMMARY, sniff_hrv_summary, parse_hrv_summary),
    VendorFormat(FORMAT_HRV_DETAILS, sniff_hrv_details, parse_hrv_details),
]
