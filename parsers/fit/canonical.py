"""FIT message frames -> canonical frames (heart rate, RR, HRV, sleep, activities, summaries).

Bytes are decoded by `parsers.fit.decode` (engine "fast" or "fitparse"); this module only
maps message frames (docs/internals.md §2) to the canonical frames of `parsers.base`.
Each mapping carries the raw shape of the FIT message it reads, as decoded from real files.
Impossible values are left in: `parsers.clean.drop_impossible` removes and counts them.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from parsers.base import CANONICAL, SLEEP_STAGES, UTC_US, ParsedFile, conform, empty
from parsers.fit import profile as fp
from parsers.fit.decode import decode_fit

Messages = dict[str, pl.DataFrame]

#: The FIT messages the mappings below read; the decoder builds frames for these only
#: (tests/parsers/test_fit.py checks that no mapping reads another).
USED_MESSAGES = frozenset({
    "activity", "beat_intervals", "file_id", "hrv", "hrv_status_summary", "hrv_value",
    "monitoring", "monitoring_hr_data", "monitoring_info", "record", "session", "sleep_level",
    "sport",
})

#: The last sleep_level message has no successor to end it: it lasts one sample period.
LAST_SLEEP_LEVEL_S = 60
#: Real UTC offsets lie within ±14 h and are whole quarter hours.
MAX_UTC_OFFSET_S = 14 * 3600
_OFFSET_STEP_S = 900
#: Manufacturers whose `product` numbers are `garmin_product` values (profile sub-field map).
_GARMIN_PRODUCT_MAKERS = {"garmin", "dynastream", "dynastream_oem", "tacx"}


def parse(data: bytes, name: str = "", engine: str = "fast") -> ParsedFile:
    """Parse one FIT file (activity, monitoring, sleep, HRV) into canonical frames.

    Raises `ParseError` when the bytes are not readable FIT; damage after good data comes
    back in `problems`.
    """
    decoded = decode_fit(data, engine=engine, only=USED_MESSAGES)
    messages = decoded.messages
    vendor, device = device_of(messages)
    frames = {
        "heart_rate": heart_rate(messages),
        "rr_intervals": rr_intervals(messages),
        "hrv_samples": hrv_samples(messages),
        "sleep_stages": sleep_stages(messages),
        "activities": activities(messages),
        "device_summaries": device_summaries(messages, vendor),
    }
    return ParsedFile(
        format="fit",
        frames={table: frame for table, frame in frames.items() if frame.height},
        vendor=vendor,
        device=device,
        utc_offset_s=utc_offset_s(messages),
        problems=list(decoded.problems),
    )


def _has(messages: Messages, mesg: str, *columns: str) -> bool:
    frame = messages.get(mesg)
    return frame is not None and frame.height > 0 and all(c in frame.columns for c in columns)


def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType = pl.Float64) -> pl.Expr:
    """The column if the message had that field, else a typed null."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype)


def _without_nulls(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """`frame.drop_nulls(columns)`, skipped when none of them holds a null (the usual case:
    a null count is free, a polars query costs ~80 us, dozens of times per small file)."""
    if any(frame.get_column(c).null_count() for c in columns):
        return frame.drop_nulls(columns)
    return frame


def _in_file_order(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame.sort("_index")`, skipped when it is already in file order (decoders write it so)."""
    index = frame.get_column("_index").to_numpy()
    return frame if bool((index[1:] >= index[:-1]).all()) else frame.sort("_index")


def _canonical(table: str, **columns: pl.Series) -> pl.DataFrame:
    """The canonical frame of `table` from whole columns (one per canonical column), each
    cast as `parsers.base.conform` casts it (integers not strict): Series casts and a frame
    built from them, no polars query (~80 us each, several per small file)."""
    schema = CANONICAL[table]
    return pl.DataFrame([
        columns[name].cast(dtype, strict=not dtype.is_integer()).alias(name)
        for name, dtype in schema.items()
    ])


def _repeated(value: str | None, n: int) -> pl.Series:
    """`value` n times, as a String series (without a Python list of n items)."""
    return pl.Series([value], dtype=pl.String).new_from_index(0, n)


# --- heart rate -----------------------------------------------------------------------

# monitoring (55), vivosmart 4, after timestamp_16 resolution:
#   {_index: 15, timestamp: 2020-09-24 21:04:00Z, timestamp_16: 48576, heart_rate: 50}
# record (20), Edge 530:
#   {_index: 40, timestamp: 2022-02-07 16:47:52Z, heart_rate: 128, distance: 0.0, ...}
_HR_SOURCES = (("monitoring", "monitoring"), ("record", "activity"))


def heart_rate(messages: Messages) -> pl.DataFrame:
    """HR samples: monitoring -> context `monitoring`, record -> context `activity`."""
    parts = []
    for mesg, context in _HR_SOURCES:
        if not _has(messages, mesg, "timestamp", "heart_rate"):
            continue
        # rows without time or HR are left out before the cast: an HR that does not fit
        # Int16 becomes null and stays, for `parsers.clean` to drop and count
        frame = _without_nulls(messages[mesg], ["timestamp", "heart_rate"])
        parts.append(_canonical(
            "heart_rate", ts=frame.get_column("timestamp"), bpm=frame.get_column("heart_rate"),
            context=_repeated(context, frame.height),
        ))
    return _stack(parts, "heart_rate")


def _stack(parts: list[pl.DataFrame], table: str) -> pl.DataFrame:
    """Concatenate partial frames of one canonical table (an empty frame when none)."""
    if not parts:
        return empty(table)
    if len(parts) == 1:
        return conform(parts[0], table)
    # one cast pass for all parts: they share columns but may differ in integer width
    return conform(pl.concat(parts, how="vertical_relaxed"), table)


# --- RR intervals ---------------------------------------------------------------------

def activity_start(messages: Messages) -> datetime | None:
    """Start of the recording: first record time, else session start, else file creation."""
    for mesg, column in (("record", "timestamp"), ("session", "start_time"),
                         ("file_id", "time_created")):
        if _has(messages, mesg, column):
            first = messages[mesg].sort("_index")[column].drop_nulls()
            if first.len():
                return first[0]
    return None


# hrv (78), Edge 530: no timestamp; `time` holds up to 5 intervals in s, padded with nulls:
#   {_index: 41, time: [0.467, 0.464, 0.466, null, null]}
def _rr_from_hrv(messages: Messages) -> pl.DataFrame | None:
    if not _has(messages, "hrv", "time"):
        return None
    start = activity_start(messages)
    if start is None:
        return None
    rr = (
        messages["hrv"].sort("_index").select(pl.col("time").explode().alias("rr_s"))
        .drop_nulls()
        .select((pl.col("rr_s") * 1000).round(3).alias("rr_ms"))
    )
    elapsed_us = (pl.col("rr_ms").cum_sum() * 1000).round(0).cast(pl.Int64)
    return rr.select((pl.lit(start) + pl.duration(microseconds=elapsed_us)).alias("ts"), "rr_ms")


# beat_intervals (290), newer Garmin watches: `time` in ms, first beat after timestamp(+ms):
#   {_index: 9, timestamp: 2024-03-01 22:00:00Z, timestamp_ms: 250, time: [800, 1000]}
def _rr_from_beat_intervals(messages: Messages) -> pl.DataFrame | None:
    if not _has(messages, "beat_intervals", "timestamp", "time"):
        return None
    frame = messages["beat_intervals"]
    millis = _col(frame, "timestamp_ms", pl.Int64).fill_null(0)
    return (
        frame.sort("_index")
        .select(
            (pl.col("timestamp") + pl.duration(milliseconds=millis)).alias("t0"),
            pl.col("time").alias("rr_ms"),
        )
        .drop_nulls("t0")
        .with_row_index("message")
        .explode("rr_ms")
        .drop_nulls("rr_ms")
        .select(
            (pl.col("t0") + pl.duration(milliseconds=pl.col("rr_ms").cum_sum().over("message")))
            .alias("ts"),
            pl.col("rr_ms").cast(pl.Float64),
        )
    )


def rr_intervals(messages: Messages) -> pl.DataFrame:
    """Beat-to-beat intervals, ts = the beat that ends each interval."""
    parts = [p for p in (_rr_from_hrv(messages), _rr_from_beat_intervals(messages))
             if p is not None]
    return _stack(parts, "rr_intervals")


# --- HRV ------------------------------------------------------------------------------

# hrv_value (371): one 5-minute RMSSD, raw uint16 / 128 by the profile scale:
#   {_index: 4, timestamp: 2024-03-01 22:00:00Z, value: 42.5}
def hrv_samples(messages: Messages) -> pl.DataFrame:
    """Device 5-minute RMSSD values."""
    if not _has(messages, "hrv_value", "timestamp", "value"):
        return empty("hrv_samples")
    frame = _without_nulls(messages["hrv_value"], ["timestamp", "value"])
    return _canonical("hrv_samples", ts=frame.get_column("timestamp"),
                      rmssd_ms=frame.get_column("value"))


# --- sleep ----------------------------------------------------------------------------

# sleep_level (275), one per minute-ish; each starts a stage lasting until the next one:
#   {_index: 478, timestamp: 2020-09-25 04:56:00Z, sleep_level: "awake"}
# vivosmart 4 writes only "awake" here (staging lives in undocumented message 274).
def sleep_stages(messages: Messages) -> pl.DataFrame:
    """Stage intervals from sleep_level; an all-"awake" file is recorded as unmeasurable."""
    if not _has(messages, "sleep_level", "timestamp", "sleep_level"):
        return empty("sleep_stages")
    levels = _without_nulls(_in_file_order(messages["sleep_level"]), ["timestamp"])
    if levels.height == 0:
        return empty("sleep_stages")
    # numpy and Python on a few hundred rows: cheaper than one polars query per file
    start = levels.get_column("timestamp").cast(UTC_US).alias("start_ts")
    micros = start.to_numpy().view(np.int64)
    end_us = np.append(micros[1:], micros[-1] + LAST_SLEEP_LEVEL_S * 1_000_000)
    names = levels.get_column("sleep_level").to_list()
    if all(name == "awake" for name in names if name is not None):
        stages = ["unmeasurable"] * len(names)  # nothing but "awake": the device did not stage
    else:
        stages = [name if name in SLEEP_STAGES else "unmeasurable" for name in names]
    return pl.DataFrame([
        start,
        pl.Series("end_ts", end_us, dtype=pl.Int64).cast(UTC_US),
        pl.Series("stage", stages, dtype=pl.String),
    ])


# --- activities -----------------------------------------------------------------------

# session (18), Edge 530:
#   {start_time: 2022-02-07 16:47:52Z, total_elapsed_time: 1072.488, total_timer_time: ...,
#    sport: "cycling", sub_sport: "indoor_cycling", avg_heart_rate: 156, max_heart_rate: 185,
#    total_distance: 6873.6}
def activities(messages: Messages) -> pl.DataFrame:
    """One row per session; without sessions, one activity derived from the records."""
    if _has(messages, "session"):
        return _sessions(messages["session"])
    if _has(messages, "record", "timestamp"):
        return _from_records(messages)
    return empty("activities")


def _sessions(frame: pl.DataFrame) -> pl.DataFrame:
    start = pl.coalesce(_col(frame, "start_time", fp.KIND_DTYPES[fp.KIND_DATETIME]),
                        _col(frame, "timestamp", fp.KIND_DTYPES[fp.KIND_DATETIME]))
    out = frame.sort("_index").select(
        start.alias("start_ts"),
        pl.coalesce(_col(frame, "total_elapsed_time"), _col(frame, "total_timer_time"))
        .alias("duration_s"),
        _col(frame, "sport", pl.String).alias("sport"),
        _col(frame, "sub_sport", pl.String).alias("sub_sport"),
        _col(frame, "avg_heart_rate").alias("avg_hr"),
        _col(frame, "max_heart_rate").alias("max_hr"),
        _col(frame, "total_distance").alias("distance_m"),
    )
    return conform(out.drop_nulls("start_ts"), "activities")


# record (20) without any session (e.g. a Sigma file cut off before its summary):
#   {timestamp: ..., heart_rate: 120, distance: 1234.5};  sport (12): {sport: "cycling"}
def _from_records(messages: Messages) -> pl.DataFrame:
    rec = messages["record"].drop_nulls("timestamp")
    if rec.height == 0:
        return empty("activities")
    sport, sub_sport = None, None
    if _has(messages, "sport", "sport"):
        sport = messages["sport"]["sport"][0]
        if "sub_sport" in messages["sport"].columns:
            sub_sport = messages["sport"]["sub_sport"][0]
    hr = _col(rec, "heart_rate").filter(_col(rec, "heart_rate") > 0)
    out = rec.select(
        pl.col("timestamp").min().alias("start_ts"),
        (pl.col("timestamp").max() - pl.col("timestamp").min()).dt.total_microseconds()
        .truediv(1e6).alias("duration_s"),
        pl.lit(sport, pl.String).alias("sport"),
        pl.lit(sub_sport, pl.String).alias("sub_sport"),
        hr.mean().alias("avg_hr"),
        hr.max().cast(pl.Float64).alias("max_hr"),
        _col(rec, "distance").max().alias("distance_m"),
    )
    return conform(out, "activities")


# --- device summaries -----------------------------------------------------------------

# monitoring_hr_data (211), vivosmart 4, once a day:
#   {_index: 1682, timestamp: 2020-09-25 05:22:00Z, resting_heart_rate: 46,
#    current_day_resting_heart_rate: 47}
#   resting_heart_rate is Garmin's 7-day rolling average; current_day_... is today's value.
# hrv_status_summary (370), raw uint16 / 128:
#   {timestamp: ..., weekly_average: 55.0, last_night_average: 61.5, status: "balanced"}
_SUMMARIES = (
    ("monitoring_hr_data", "resting_hr",
     ("current_day_resting_heart_rate", "resting_heart_rate")),
    ("monitoring_hr_data", "resting_hr_7d_avg", ("resting_heart_rate",)),
    ("hrv_status_summary", "hrv_rmssd_ms", ("last_night_average",)),
)


def device_summaries(messages: Messages, vendor: str | None) -> pl.DataFrame:
    """Vendor nightly values; `night` is left null for the loader (athlete time zone)."""
    micros: list[int] = []  # ts, microseconds since 1970 UTC
    metrics: list[str] = []
    values: list[float] = []
    for mesg, metric, fields in _SUMMARIES:
        if not _has(messages, mesg, "timestamp"):
            continue
        # a few rows a day: Python lists cost microseconds, a polars query ~80 us each
        frame = messages[mesg]
        stamps = frame.get_column("timestamp").cast(UTC_US).to_numpy()  # NaT for null
        columns = [frame.get_column(f).to_list() for f in fields if f in frame.columns]
        for at, ts in enumerate(stamps):
            value = next((c[at] for c in columns if c[at] is not None), None)
            if not np.isnat(ts) and value is not None:
                micros.append(int(ts.view(np.int64)))
                metrics.append(metric)
                values.append(float(value))
    if not values:
        return empty("device_summaries")
    return _canonical(
        "device_summaries",
        night=pl.Series([None] * len(values), dtype=pl.Date),
        ts=pl.Series(micros, dtype=pl.Int64).cast(UTC_US),
        metric=pl.Series(metrics, dtype=pl.String),
        value=pl.Series(values, dtype=pl.Float64),
        vendor=_repeated(vendor, len(values)),
    )


# --- file-level facts -----------------------------------------------------------------

# monitoring_info (103): {timestamp: 2020-09-24 21:00:00Z, local_timestamp: 2020-09-25 00:00}
# activity (34):         {timestamp: ..., local_timestamp: ..., num_sessions: 1}
def utc_offset_s(messages: Messages) -> int | None:
    """UTC offset of the device clock: local_timestamp - timestamp, first one found.

    Rounded to 15 minutes (devices stamp the two a few seconds apart); offsets beyond
    ±14 h are garbage (seen in an Onelap file) and give None.
    """
    for mesg in ("monitoring_info", "activity"):
        if not _has(messages, mesg, "timestamp", "local_timestamp"):
            continue
        offset = _first_offset_s(messages[mesg])
        if offset is not None and abs(offset) <= MAX_UTC_OFFSET_S:
            return _OFFSET_STEP_S * round(offset / _OFFSET_STEP_S)
    return None


def _first_offset_s(frame: pl.DataFrame) -> int | None:
    """local_timestamp - timestamp in whole seconds (each floored, as `dt.epoch("s")`) of the
    first row holding both; None if none does. In numpy: a polars query per file costs more
    than the whole computation on these one-row messages."""
    local = frame.get_column("local_timestamp").to_numpy().astype("datetime64[us]")
    utc = frame.get_column("timestamp").to_numpy().astype("datetime64[us]")
    both = np.flatnonzero(~(np.isnat(local) | np.isnat(utc)))
    if not len(both):
        return None
    local_s, utc_s = (int(t[both[0]].view(np.int64)) // 1_000_000 for t in (local, utc))
    return local_s - utc_s


# file_id (0): {type: "monitoring_b", manufacturer: 1, product: 2927, serial_number: ...}
def device_of(messages: Messages) -> tuple[str | None, str | None]:
    """(vendor, device), e.g. ("garmin", "garmin vivosmart_4") or ("bryton", "bryton 1508")."""
    if not _has(messages, "file_id", "manufacturer"):
        return None, None
    row = messages["file_id"].row(0, named=True)
    if row["manufacturer"] is None:
        return None, None
    vendor = fp.enum_name("manufacturer", row["manufacturer"])
    product = row.get("product")
    if product is None:
        return vendor, vendor
    if vendor in _GARMIN_PRODUCT_MAKERS:
        return vendor, f"{vendor} {fp.enum_name('garmin_product', product)}"
    if vendor == "favero_electronics":
        return vendor, f"{vendor} {fp.enum_name('favero_product', product)}"
    return vendor, f"{vendor} {product}"
