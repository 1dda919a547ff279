"""Samsung Health personal-data export (Samsung Health -> Settings -> Download personal
data): a folder `samsunghealth_<user>_<timestamp>/` with one CSV per data type.

Read here:

- `com.samsung.health.sleep_stage.<ts>.csv` -> sleep_stages (codes 40001-40004)
- `com.samsung.shealth.tracker.heart_rate.<ts>.csv` -> heart_rate (one row per measurement)

Every CSV starts with a metadata line (`<type>,<version>,<count>`) before the real header;
data rows often end with one comma more than the header has. Some files prefix their columns
with the type (`com.samsung.health.heart_rate.start_time`): columns are matched without it.

Times: `start_time` / `end_time` are UTC wall times WITHOUT a marker
(`2025-10-25 21:10:00.000`), and `time_offset` (`UTC+0200`) is the phone's offset at that
moment: instants are read as UTC and the offset is kept only as the file's offset. The
per-minute `binning_data` JSON files under `jsons/` are not read yet. See
docs/sources/samsung_health.md.
"""

from __future__ import annotations

import polars as pl

from parsers.base import ParsedFile, ParseError, conform
from parsers.vendors.common import (
    VendorFormat,
    common_offset,
    decode_text,
    frames_of,
    head_text,
    merge_runs,
    number,
    offset_seconds,
    read_table,
    require_column,
)

VENDOR = "samsung"
FORMAT_SLEEP_STAGE = "samsung_sleep_stage_csv"
FORMAT_HEART_RATE = "samsung_heart_rate_csv"
SLEEP_STAGE_TYPE = "com.samsung.health.sleep_stage"
HEART_RATE_TYPE = "com.samsung.shealth.tracker.heart_rate"
#: Column prefixes some types put before every column name.
COLUMN_PREFIXES = ("com.samsung.health.heart_rate.", "com.samsung.shealth.tracker.heart_rate.")
#: Samsung sleep stage codes -> canonical stage.
STAGES = {"40001": "awake", "40002": "light", "40003": "deep", "40004": "rem"}
#: `2025-10-25 21:10:00.000` (milliseconds optional)
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S%.3f", "%Y-%m-%d %H:%M:%S")


def _data_type(data: bytes) -> str:
    """The type named on the metadata line (`com.samsung.health.sleep_stage,6315003,6`)."""
    first = head_text(data).split("\n", 1)[0]
    return first.split(",", 1)[0].strip().lstrip("\ufeff")


def sniff_sleep_stage(data: bytes, name: str) -> bool:
    return _data_type(data) == SLEEP_STAGE_TYPE


def sniff_heart_rate(data: bytes, name: str) -> bool:
    return _data_type(data) == HEART_RATE_TYPE


def _table(data: bytes, name: str) -> tuple[pl.DataFrame, int]:
    """The CSV below the metadata line, column prefixes removed; and the rows cut short."""
    text = decode_text(data, name)
    body = text.split("\n", 1)[1] if "\n" in text else ""
    if not body.strip():
        raise ParseError(f"{name or 'file'}: Samsung Health file without a header line")
    table = read_table(body.encode(), name)
    frame = table.frame
    renamed = {}
    for col in frame.columns:
        for prefix in COLUMN_PREFIXES:
            if col.startswith(prefix):
                renamed[col] = col.removeprefix(prefix)
    frame = frame.rename(renamed)
    return frame, table.ragged


def _utc(col: str) -> pl.Expr:
    s = pl.col(col).str.strip_chars()
    parsed = pl.coalesce([s.str.strptime(pl.Datetime("us"), f, strict=False)
                          for f in TIME_FORMATS])
    return parsed.dt.replace_time_zone("UTC")


def parse_sleep_stage(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Stage intervals, UTC wall times as instants."""
    # com.samsung.health.sleep_stage,6315003,6
    # create_sh_ver,start_time,sleep_id,...,stage,time_offset,...,end_time,datauuid
    # 6315003,2025-10-25 21:10:00.000,6c1f...,...,40002,UTC+0200,...,2025-10-25 22:40:00.000,..,
    frame, _ = _table(data, name)
    cols = frame.columns
    start = require_column(cols, "start_time", "start_time", name=name)
    end = require_column(cols, "end_time", "end_time", name=name)
    stage = require_column(cols, "stage", "stage", name=name)
    out = frame.select(
        _utc(start).alias("start_ts"), _utc(end).alias("end_ts"),
        pl.col(stage).str.strip_chars().replace_strict(STAGES, default=None,
                                                       return_dtype=pl.String).alias("stage"),
        offset_seconds(pl.col("time_offset")).alias("_offset") if "time_offset" in cols
        else pl.lit(None, pl.Int64).alias("_offset"),
    )
    placed = out.filter(pl.all_horizontal(pl.col("start_ts", "end_ts", "stage").is_not_null()))
    dropped = {"sleep_stage_unreadable": out.height - placed.height} if (
        out.height - placed.height) else {}
    stages = merge_runs(conform(placed.sort("start_ts"), "sleep_stages"))
    return ParsedFile(FORMAT_SLEEP_STAGE, frames_of(sleep_stages=stages), vendor=VENDOR,
                      utc_offset_s=common_offset(placed["_offset"]), dropped=dropped)


def parse_heart_rate(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """One heart-rate sample per measurement row, at its start."""
    # com.samsung.shealth.tracker.heart_rate,6315003,12
    # com.samsung.health.heart_rate.start_time,...,com.samsung.health.heart_rate.heart_rate,
    #   com.samsung.health.heart_rate.time_offset,...,com.samsung.health.heart_rate.binning_data
    # 2025-10-25 23:10:00.000,...,54.0,UTC+0200,...,
    frame, _ = _table(data, name)
    cols = frame.columns
    start = require_column(cols, "start_time", "start_time", name=name)
    bpm = require_column(cols, "heart_rate", "heart_rate", name=name)
    out = frame.select(
        _utc(start).alias("ts"), number(bpm).round().alias("bpm"),
        pl.lit("monitoring").alias("context"),
        offset_seconds(pl.col("time_offset")).alias("_offset") if "time_offset" in cols
        else pl.lit(None, pl.Int64).alias("_offset"),
    )
    placed = out.filter(pl.col("ts").is_not_null() & pl.col("bpm").is_not_null())
    dropped = {"heart_rate_unreadable": out.height - placed.height} if (
        out.height - placed.height) else {}
    return ParsedFile(FORMAT_HEART_RATE,
                      frames_of(heart_rate=conform(placed.sort("ts"), "heart_rate")),
                      vendor=VENDOR, utc_offset_s=common_offset(placed["_offset"]),
                      dropped=dropped)


PARSERS = [
    VendorFormat(FORMAT_SLEEP_STAGE, sniff_sleep_stage, parse_sleep_stage),
    VendorFormat(FORMAT_HEART_RATE, sniff_heart_rate, parse_heart_rate),
]
