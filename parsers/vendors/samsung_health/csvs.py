"""Samsung Health personal-data export (Samsung Health -> Settings -> Download personal
data): a folder `samsunghealth_<user>_<timestamp>/` with one CSV per data type.

Read here:

- `com.samsung.health.sleep_stage.<ts>.csv` -> sleep_stages (codes 40001-40004)
- `com.samsung.shealth.tracker.heart_rate.<ts>.csv` -> heart_rate: a row without
  `binning_data` is one spot measurement; a row with it is a series whose per-minute values
  are in `jsons/` (`parsers.vendors.samsung_health.binning`), so the row itself is not loaded
- `com.samsung.health.hrv.<ts>.csv` -> nothing itself: its rows point to the 5-minute RMSSD
  files in `jsons/com.samsung.health.hrv/` (loaded as `samsung_hrv_json`)
- the `jsons/` binning files of both (`samsung_heart_rate_json`, `samsung_hrv_json`)

The CSVs check that every binning file they name is there and valid JSON; a row whose file
is not is counted (`heart_rate_binning_missing`, `hrv_binning_unreadable`, ...) and makes
the CSV `partial`.

Every CSV starts with a metadata line (`<type>,<version>,<count>`) before the real header;
data rows often end with one comma more than the header has. Some files prefix their columns
with the type (`com.samsung.health.heart_rate.start_time`): columns are matched without it.

Times: `start_time` / `end_time` are UTC wall times WITHOUT a marker
(`2025-10-25 21:10:00.000`), and `time_offset` (`UTC+0200`) is the phone's offset at that
moment: instants are read as UTC and the offset is kept only as the file's offset. The
binning files hold epoch milliseconds (UTC). See docs/sources/samsung_health.md.
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
from parsers.vendors.samsung_health.binning import PARSERS_JSON, Siblings, check_references

VENDOR = "samsung"
FORMAT_SLEEP_STAGE = "samsung_sleep_stage_csv"
FORMAT_HEART_RATE = "samsung_heart_rate_csv"
FORMAT_HRV = "samsung_hrv_csv"
SLEEP_STAGE_TYPE = "com.samsung.health.sleep_stage"
HEART_RATE_TYPE = "com.samsung.shealth.tracker.heart_rate"
HRV_TYPE = "com.samsung.health.hrv"
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


def sniff_hrv(data: bytes, name: str) -> bool:
    return _data_type(data) == HRV_TYPE


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


def _references(frame: pl.DataFrame) -> pl.Series:
    """The `binning_data` cells (file names), empty strings for rows without one."""
    if "binning_data" not in frame.columns:
        return pl.Series("binning_data", [""] * frame.height, pl.String)
    return frame["binning_data"].cast(pl.String).str.strip_chars().fill_null("")


def parse_heart_rate(data: bytes, name: str = "", *, tz: str | None = None,
                     siblings: Siblings | None = None) -> ParsedFile:
    """One sample per spot-measurement row, at its start; series rows live in `jsons/`."""
    # com.samsung.shealth.tracker.heart_rate,6315003,12
    # com.samsung.health.heart_rate.start_time,...,com.samsung.health.heart_rate.heart_rate,
    #   com.samsung.health.heart_rate.time_offset,...,com.samsung.health.heart_rate.binning_data
    # 2025-10-25 23:10:00.000,...,54.0,UTC+0200,...,                       <- spot: loaded
    # 2025-10-25 21:00:00.000,...,57.4,UTC+0200,...,3f2a...binning_data.json <- series: jsons/
    frame, _ = _table(data, name)
    cols = frame.columns
    start = require_column(cols, "start_time", "start_time", name=name)
    bpm = require_column(cols, "heart_rate", "heart_rate", name=name)
    refs = _references(frame)
    dropped, problems = check_references(refs, HEART_RATE_TYPE, siblings, "heart_rate")
    spot = frame.filter(refs == "")
    out = spot.select(_utc(start).alias("ts"), number(bpm).round().alias("bpm"),
                      pl.lit("monitoring").alias("context"))
    placed = out.filter(pl.col("ts").is_not_null() & pl.col("bpm").is_not_null())
    if out.height - placed.height:
        dropped["heart_rate_unreadable"] = out.height - placed.height
    _refuse_without_rows(frame, placed.height + (refs != "").sum(), name)
    return ParsedFile(FORMAT_HEART_RATE,
                      frames_of(heart_rate=conform(placed.sort("ts"), "heart_rate")),
                      vendor=VENDOR, utc_offset_s=common_offset(_offsets(frame)),
                      problems=problems, dropped=dropped)


def _refuse_without_rows(frame: pl.DataFrame, usable: int, name: str) -> None:
    """An index CSV stays `loaded` without rows of its own (its rows name binning files),
    but one with no data row, or none usable, is refused like any empty file."""
    if frame.height == 0:
        raise ParseError(f"empty: {name or 'file'} has a header but no data rows")
    if usable == 0:
        raise ParseError(f"no usable rows in {name or 'file'}: {frame.height} rows with "
                         f"neither a readable time and value nor a binning file")


def _offsets(frame: pl.DataFrame) -> pl.Series:
    if "time_offset" not in frame.columns:
        return pl.Series("_offset", [], pl.Int64)
    return frame.select(offset_seconds(pl.col("time_offset")).alias("_offset"))["_offset"]


def parse_hrv(data: bytes, name: str = "", *, tz: str | None = None,
              siblings: Siblings | None = None) -> ParsedFile:
    """Nothing to load itself: each row names the JSON file with its RMSSD windows."""
    # com.samsung.health.hrv,6315003,1
    # create_sh_ver,start_time,custom,binning_data,time_offset,deviceuuid,pkg_name,end_time,datauuid
    # 6315003,2025-10-25 20:50:00.000,,9c41....binning_data.json,UTC+0200,watch-1,...,
    #   2025-10-26 04:10:00.000,9c41...,
    frame, _ = _table(data, name)
    require_column(frame.columns, "binning_data", "binning_data", name=name)
    refs = _references(frame)
    _refuse_without_rows(frame, (refs != "").sum(), name)
    dropped, problems = check_references(refs, HRV_TYPE, siblings, "hrv")
    return ParsedFile(FORMAT_HRV, {}, vendor=VENDOR, utc_offset_s=common_offset(
        _offsets(frame)), problems=problems, dropped=dropped)


PARSERS = [
    VendorFormat(FORMAT_SLEEP_STAGE, sniff_sleep_stage, parse_sleep_stage),
    VendorFormat(FORMAT_HEART_RATE, sniff_heart_rate, parse_heart_rate, takes_siblings=True,
                 index_only=True),
    VendorFormat(FORMAT_HRV, sniff_hrv, parse_hrv, takes_siblings=True, index_only=True),
    *(VendorFormat(*entry) for entry in PARSERS_JSON),
]
