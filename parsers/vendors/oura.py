"""Oura ring exports: the membership-hub data export (one `;`-separated CSV per category,
JSON in some cells) and the older cloud "trends" CSV.

- `sleepmodel.csv`   -> one row per sleep period: nightly totals, lowest HR, average HRV
  (RMSSD), and the period's 5-minute hypnogram / HR / HRV series (JSON cells)
- `dailysleep.csv`   -> sleep score per day
- `dailyreadiness.csv` -> readiness score and temperature deviation per day
- `oura_*_trends.csv` (older cloud export, `,`-separated, durations in seconds)

Oura's `day` is the night's wake-up date (a sleep from 23:15 on 31 May to 06:30 on 1 June
has day 2026-06-01), so it goes into `night` directly. Times carry their offset
(`2024-03-01T23:12:30.000+01:00`). See docs/sources/oura.md.
"""

from __future__ import annotations

import json

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import (
    VendorFormat,
    common_offset,
    find_column,
    frames_of,
    header_of,
    iso_offset_seconds,
    iso_utc,
    local_date,
    merge_runs,
    number,
    read_table,
    require_column,
    summaries,
)
from parsers.vendors.placing import unreadable_dates

VENDOR = "oura"
FORMAT_SLEEPMODEL = "oura_sleepmodel"
FORMAT_DAILYSLEEP = "oura_dailysleep"
FORMAT_READINESS = "oura_readiness"
FORMAT_TRENDS = "oura_trends"

#: `sleep_phase_5_min` digits -> canonical stage (Oura API: 1 deep, 2 light, 3 REM, 4 awake).
PHASES = {"1": "deep", "2": "light", "3": "rem", "4": "awake"}
PHASE_S = 300
#: Sleep period types whose stages we keep; `rest` (rest mode) and `deleted` are not sleep.
SLEEP_TYPES = ("long_sleep", "sleep", "late_nap")
#: One JSON series cell: {"interval": 300.0, "items": [null, 58.0, ...], "timestamp": "..."}.
SERIES = pl.Struct({"interval": pl.Float64, "items": pl.List(pl.Float64),
                    "timestamp": pl.String})
DAILY_ONLY = {"id", "contributors", "day", "score", "timestamp"}


def sniff_sleepmodel(data: bytes, name: str) -> bool:
    """Sleep periods: `bedtime_start` with `total_sleep_duration` or the 5-minute hypnogram."""
    h = set(header_of(data))
    return "bedtime_start" in h and bool({"total_sleep_duration", "sleep_phase_5_min"} & h)


def sniff_dailysleep(data: bytes, name: str) -> bool:
    """Exactly the daily-sleep columns: `contributors;day;score` (+ `id`, `timestamp`)."""
    h = set(header_of(data))
    return {"contributors", "day", "score"} <= h <= DAILY_ONLY


def sniff_readiness(data: bytes, name: str) -> bool:
    """Daily readiness: `contributors`, `day`, `score`, `temperature_deviation`."""
    h = set(header_of(data))
    return {"contributors", "day", "score", "temperature_deviation"} <= h


def sniff_trends(data: bytes, name: str) -> bool:
    """Older trends CSV: `date` plus Oura's title-case sleep columns."""
    h = set(header_of(data))
    return "date" in h and "bedtime start" in h and bool(
        {"lowest resting heart rate", "total sleep duration", "total sleep time",
         "sleep score"} & h)


# ---------------------------------------------------------------- sleepmodel


def _series(cells: pl.Series) -> pl.Series:
    """JSON series cells -> structs; a malformed cell becomes null instead of failing the file.

    polars decodes the column as NDJSON, which skips blank cells and splits a cell at a line
    break: both would shift rows against their periods (found by fuzzing), so line breaks
    (JSON whitespace) become spaces, blank cells null, and a length mismatch falls back to
    decoding cell by cell.
    """
    text = cells.str.replace_all(r"[\r\n]+", " ").str.strip_chars()
    text = pl.select(pl.when(text.str.len_chars() > 0).then(text)).to_series()
    try:
        decoded = text.str.json_decode(SERIES)
        if decoded.len() == text.len():
            return decoded
        raise pl.exceptions.ShapeError("decoded rows do not match the cells")
    except pl.exceptions.PolarsError:
        return pl.Series([_series_cell(c) for c in text.to_list()], dtype=SERIES)


def _number_or_none(value: object) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and abs(value) < 1e300 else None


def _series_cell(cell: str | None) -> dict | None:
    """One JSON series cell, its fields forced to the `SERIES` types (wrong type -> null)."""
    try:
        value = json.loads(cell) if cell else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    items = value.get("items")
    stamp = value.get("timestamp")
    return {
        "interval": _number_or_none(value.get("interval")),
        "items": [_number_or_none(v) for v in items] if isinstance(items, list) else None,
        "timestamp": stamp if isinstance(stamp, str) else None,
    }


def _series_samples(periods: pl.DataFrame, column: str, value: str) -> pl.DataFrame:
    """Explode a JSON series column into (ts, value) rows anchored at its own timestamp."""
    if column not in periods.columns:
        return pl.DataFrame(schema={"ts": pl.Datetime("us", "UTC"), value: pl.Float64})
    s = periods.select(pl.col("_start"), _series(periods[column]).alias("_s")).unnest("_s")
    anchor = pl.coalesce(iso_utc("timestamp"), pl.col("_start"))
    s = s.with_row_index("_row").select(
        "_row", anchor.alias("_t0"), pl.col("interval").fill_null(float(PHASE_S)), "items"
    ).explode("items").with_columns(pl.int_range(pl.len()).over("_row").alias("_i"))
    return s.select(
        (pl.col("_t0") + pl.duration(seconds=pl.col("_i") * pl.col("interval"))).alias("ts"),
        pl.col("items").alias(value),
    ).drop_nulls()


def _stages(periods: pl.DataFrame) -> pl.DataFrame:
    """`sleep_phase_5_min` ("4422211...") -> 5-minute intervals from `bedtime_start`, merged."""
    if "sleep_phase_5_min" not in periods.columns:
        return conform(pl.DataFrame(), "sleep_stages")
    chars = periods.with_row_index("_row").select(
        "_row", "_start", pl.col("sleep_phase_5_min").str.strip_chars().str.split("").alias("p")
    ).explode("p").with_columns(pl.int_range(pl.len()).over("_row").alias("_i"))
    start = pl.col("_start") + pl.duration(seconds=pl.col("_i") * PHASE_S)
    stages = chars.select(
        start.alias("start_ts"),
        (start + pl.duration(seconds=PHASE_S)).alias("end_ts"),
        pl.col("p").replace_strict(PHASES, default=None, return_dtype=pl.String).alias("stage"),
    ).drop_nulls()
    return merge_runs(stages)


def parse_sleepmodel(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """sleepmodel.csv -> device_summaries (long sleeps), sleep_stages, hrv_samples, heart_rate."""
    # id;average_breath;average_heart_rate;average_hrv;awake_time;bedtime_end;bedtime_start;day;
    # deep_sleep_duration;efficiency;heart_rate;hrv;...;lowest_heart_rate;...;rem_sleep_duration;
    # ...;sleep_phase_5_min;...;total_sleep_duration;type
    # a1;14.2;54;65;900;2026-06-01T06:30:00+02:00;2026-05-31T23:15:00+02:00;2026-06-01;5400;92;
    # {"interval": 300.0, "items": [null, 58.0], "timestamp": "2026-05-31T23:15:00+02:00"};...
    table = read_table(data, name).frame
    cols = table.columns
    start = require_column(cols, "bedtime_start", "bedtime_start", name=name)
    end = find_column(cols, "bedtime_end")
    kind = find_column(cols, "type")
    periods = table.with_columns(
        iso_utc(start).alias("_start"),
        (iso_utc(end) if end else pl.lit(None, pl.Datetime("us", "UTC"))).alias("_end"),
        (pl.col(kind).str.strip_chars().str.to_lowercase() if kind else pl.lit("long_sleep"))
        .alias("_type"),
    ).filter(pl.col("_start").is_not_null() & pl.col("_type").is_in(SLEEP_TYPES))

    day = find_column(cols, "day")
    night = pl.coalesce(local_date(day) if day else pl.lit(None, pl.Date),
                        local_date(end) if end else pl.lit(None, pl.Date))
    main = (
        periods.filter(pl.col("_type") == "long_sleep")
        .with_columns(night.alias("_night"), number("total_sleep_duration").alias("_total")
                      if "total_sleep_duration" in cols else pl.lit(None, pl.Float64)
                      .alias("_total"))
        .sort("_total", descending=True, nulls_last=True)
        .unique(subset=["_night"], keep="first", maintain_order=True)
        .sort("_night")
    )
    seconds_as_hours = {"sleep_hours": "total_sleep_duration", "deep_sleep_hours":
                        "deep_sleep_duration", "light_sleep_hours": "light_sleep_duration",
                        "rem_sleep_hours": "rem_sleep_duration", "awake_hours": "awake_time"}
    metrics = {m: number(c) / 3600 for m, c in seconds_as_hours.items() if c in cols}
    metrics |= {m: number(c) for m, c in (("resting_hr", "lowest_heart_rate"),
                                           ("hrv_rmssd_ms", "average_hrv")) if c in cols}
    # Oura writes 0 for "no value" in deleted/short periods: no HR or HRV is 0
    for m in ("resting_hr", "hrv_rmssd_ms"):
        if m in metrics:
            metrics[m] = pl.when(metrics[m] > 0).then(metrics[m])
    device = summaries(main, metrics, VENDOR, night=pl.col("_night"), ts=pl.col("_end"))

    hrv = _series_samples(periods, "hrv", "rmssd_ms")
    hr = _series_samples(periods, "heart_rate", "bpm").with_columns(
        pl.col("bpm").round(), pl.lit("sleep").alias("context"))
    frames = frames_of(
        device_summaries=device,
        sleep_stages=_stages(periods),
        hrv_samples=conform(hrv.filter(pl.col("rmssd_ms") > 0), "hrv_samples"),
        heart_rate=conform(hr, "heart_rate"),
    )
    offsets = table.select(iso_offset_seconds(start)).to_series()
    return ParsedFile(FORMAT_SLEEPMODEL, frames, vendor=VENDOR,
                      utc_offset_s=common_offset(offsets))


# ---------------------------------------------------------------- daily files, trends


def _daily(data: bytes, name: str, fmt: str, metrics: dict[str, str]) -> ParsedFile:
    frame = read_table(data, name).frame
    day = require_column(frame.columns, "day", "day", name=name)
    exprs = {m: number(c) for m, c in metrics.items() if c in frame.columns}
    out = summaries(frame, exprs, VENDOR, night=local_date(day)).drop_nulls("night")
    dropped, problems = unreadable_dates(frame, local_date(day), day)
    return ParsedFile(fmt, frames_of(device_summaries=out), vendor=VENDOR, dropped=dropped,
                      problems=problems)


def parse_dailysleep(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """dailysleep.csv -> sleep_score per night (`contributors` JSON is not stored)."""
    # id;contributors;day;score;timestamp
    # 1a2b;{"deep_sleep": 80, "efficiency": 91, ...};2026-06-01;84;2026-06-01T00:00:00+02:00
    return _daily(data, name, FORMAT_DAILYSLEEP, {"sleep_score": "score"})


def parse_readiness(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """dailyreadiness.csv -> readiness_score and temperature_deviation_c per day."""
    # id;contributors;day;score;temperature_deviation;temperature_trend_deviation;timestamp
    # b1;{"hrv_balance": 78, ...};2026-06-01;81;-0.2;0.1;2026-06-01T00:00:00+02:00
    return _daily(data, name, FORMAT_READINESS,
                  {"readiness_score": "score", "temperature_deviation_c": "temperature_deviation"})


def parse_trends(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Older trends CSV -> nightly sleep, lowest resting HR, average HRV, scores."""
    # date,Sleep Score,...,Total Bedtime,Total Sleep Time,Awake Time,REM Sleep Time,
    # Light Sleep Time,Deep Sleep Time,...,Bedtime Start,Bedtime End,Average Resting Heart Rate,
    # Lowest Resting Heart Rate,Average HRV,Temperature Deviation (°C),...,Readiness Score,...
    # 2020-03-04,74,...,27300,24690,2610,2400,14490,7800,...,2020-03-03T22:14:42-08:00,...
    frame = read_table(data, name).frame
    cols = frame.columns
    date = require_column(cols, "date", "date", name=name)
    seconds = {"sleep_hours": ("Total Sleep Duration", "Total Sleep Time"),
               "deep_sleep_hours": ("Deep Sleep Duration", "Deep Sleep Time"),
               "light_sleep_hours": ("Light Sleep Duration", "Light Sleep Time"),
               "rem_sleep_hours": ("REM Sleep Duration", "REM Sleep Time"),
               "awake_hours": ("Awake Time",)}
    plain = {"resting_hr": ("Lowest Resting Heart Rate",), "hrv_rmssd_ms": ("Average HRV",),
             "sleep_score": ("Sleep Score",), "readiness_score": ("Readiness Score",)}
    metrics = {m: number(c) / 3600 for m, labels in seconds.items()
               if (c := find_column(cols, *labels))}
    metrics |= {m: number(c) for m, labels in plain.items() if (c := find_column(cols, *labels))}
    end = find_column(cols, "Bedtime End")
    ts = iso_utc(end) if end else None
    out = summaries(frame, metrics, VENDOR, night=local_date(date), ts=ts).drop_nulls("night")
    dropped, problems = unreadable_dates(frame, local_date(date), date)
    return ParsedFile(FORMAT_TRENDS, frames_of(device_summaries=out), vendor=VENDOR,
                      dropped=dropped, problems=problems)


PARSERS = [
    VendorFormat(FORMAT_SLEEPMODEL, sniff_sleepmodel, parse_sleepmodel),
    VendorFormat(FORMAT_DAILYSLEEP, sniff_dailysleep, parse_dailysleep),
    VendorFormat(FORMAT_READINESS, sniff_readiness, parse_readiness),
    VendorFormat(FORMAT_TRENDS, sniff_trends, parse_trends),
]
