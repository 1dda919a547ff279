"""Withings Health Mate data export (Health Mate -> Profile -> Settings -> Download my data):
a zip of CSVs, one per data type.

Read here:

- `raw_tracker_sleep-state.csv` (watches) / `raw_sleep-monitor_sleep-state.csv` (Sleep
  Analyzer mat) -> sleep_stages (0 awake, 1 light, 2 deep, 3 REM)
- `raw_hr_hr.csv` / `raw_sleep-monitor_hr.csv` -> heart_rate
- `sleep.csv` (one row per sleep session) -> device_summaries `sleep_hours` (light + deep +
  REM), the longest session per night

The raw files share one layout, `start,duration,value`: `start` is an ISO time with the
phone's offset (`2025-10-25T22:40:00+02:00`), `duration` and `value` are lists (`[60,60]`,
`[0,1]`) of seconds and values laid end to end from `start`. That layout is Withings', but
which signal a raw file holds is said only by its name (`raw_hr_hr`, `raw_tracker_steps`,
...), so these sniffers need the name besides the header; raw files of other signals (steps,
SpO2, ...) are not claimed. See docs/sources/withings.md.
"""

from __future__ import annotations

import re

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

VENDOR = "withings"
FORMAT_SLEEP_STATE = "withings_sleep_state_csv"
FORMAT_HEART_RATE = "withings_heart_rate_csv"
FORMAT_SLEEP = "withings_sleep_csv"
RAW_HEADER = ["start", "duration", "value"]
#: raw file names (any prefix/suffix, e.g. a copy `raw_hr_hr (1).csv`) -> signal
RAW_NAMES = {
    "sleep_state": re.compile(r"raw_(tracker|sleep-monitor)_sleep-state", re.I),
    "heart_rate": re.compile(r"raw_(hr_hr|sleep-monitor_hr)\b", re.I),
}
#: Withings sleep-state codes -> canonical stage
STAGES = {0: "awake", 1: "light", 2: "deep", 3: "rem"}
#: sleep.csv labels, English and German exports
SUMMARY_COLUMNS = {
    "from": ("from", "von"),
    "to": ("to", "bis"),
    "light": ("light (s)", "leicht (s)"),
    "deep": ("deep (s)", "tief (s)"),
    "rem": ("rem (s)",),
}


def _is_raw(data: bytes, name: str, signal: str) -> bool:
    return header_of(data) == RAW_HEADER and RAW_NAMES[signal].search(name or "") is not None


def sniff_sleep_state(data: bytes, name: str) -> bool:
    return _is_raw(data, name, "sleep_state")


def sniff_heart_rate(data: bytes, name: str) -> bool:
    return _is_raw(data, name, "heart_rate")


def sniff_sleep(data: bytes, name: str) -> bool:
    header = header_of(data)
    return all(any(a in header for a in SUMMARY_COLUMNS[k]) for k in ("from", "to", "light",
                                                                      "deep"))


def _numbers(col: str) -> pl.Expr:
    """`[60,60,120]` (or a bare `60`) -> list of Float64 (null where not a number)."""
    items = pl.col(col).str.strip_chars().str.strip_chars("[]").str.split(",")
    return items.list.eval(pl.element().str.strip_chars().cast(pl.Float64, strict=False))


def _skipped(rows: pl.DataFrame, ok: pl.Expr, why: str) -> list[str]:
    """"N rows skipped: <why> (first at data row K)" when some rows are not `ok` (a cut
    download ends in one): the file lost rows, so it is `partial`."""
    bad = rows.with_row_index("_row").filter(~ok.fill_null(False))
    if bad.is_empty():
        return []
    return [f"{bad.height} rows skipped: {why} (first at data row {bad['_row'][0] + 1})"]


def _segments(data: bytes, name: str, what: str
              ) -> tuple[pl.DataFrame, dict[str, int], list[str]]:
    """One row per (duration, value) element: `ts` (UTC), `duration_s`, `value`, `_offset`;
    the rows / elements that could not be placed, by reason; and the problems."""
    frame = read_table(data, name).frame
    start = require_column(frame.columns, "start", "start", name=name)
    dur = require_column(frame.columns, "duration", "duration", name=name)
    val = require_column(frame.columns, "value", "value", name=name)
    rows = frame.select(iso_utc(start).alias("_start"), iso_offset_seconds(start).alias("_offset"),
                        _numbers(dur).alias("_d"), _numbers(val).alias("_v"))
    usable = (pl.col("_start").is_not_null() & (pl.col("_d").list.len() == pl.col("_v").list.len())
              & pl.col("_d").list.eval(pl.element().is_not_null() & (pl.element() >= 0)).list.all())
    good = rows.filter(usable.fill_null(False))
    before = pl.col("_d").list.eval(pl.element().cum_sum() - pl.element()).alias("_before")
    flat = good.with_columns(before).explode(["_before", "_d", "_v"])
    out = flat.select(
        (pl.col("_start") + pl.duration(milliseconds=(pl.col("_before") * 1000).cast(pl.Int64)))
        .alias("ts"),
        pl.col("_d").alias("duration_s"), pl.col("_v").alias("value"), "_offset",
    )
    dropped = {f"{what}_row_unreadable": rows.height - good.height,
               f"{what}_value_unreadable": out["value"].null_count()}
    problems = _skipped(rows, usable, "no ISO start with an offset, or duration and value "
                                      "lists that differ in length or hold no seconds")
    return (out.filter(pl.col("value").is_not_null()), {k: v for k, v in dropped.items() if v},
            problems)


def parse_sleep_state(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Stage segments laid end to end from each row's start."""
    # start,duration,value
    # 2025-10-25T22:40:00+02:00,"[5400,3600,4800]","[1,2,1]"
    seg, dropped, problems = _segments(data, name, "sleep_state")
    stage = pl.col("value").cast(pl.Int64, strict=False).replace_strict(
        STAGES, default=None, return_dtype=pl.String)
    out = seg.select("ts", (pl.col("ts") + pl.duration(
        milliseconds=(pl.col("duration_s") * 1000).cast(pl.Int64))).alias("end_ts"),
        stage.alias("stage"), "_offset")
    placed = out.filter(pl.col("stage").is_not_null() & (pl.col("end_ts") > pl.col("ts")))
    if out.height - placed.height:
        dropped["sleep_state_unknown"] = out.height - placed.height
    stages = merge_runs(conform(placed.rename({"ts": "start_ts"}).sort("start_ts"),
                                "sleep_stages"))
    return ParsedFile(FORMAT_SLEEP_STATE, frames_of(sleep_stages=stages), vendor=VENDOR,
                      utc_offset_s=common_offset(placed["_offset"]), dropped=dropped,
                      problems=problems)


def parse_heart_rate(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """One sample per element, at its place in the row's series."""
    # start,duration,value
    # 2025-10-25T22:40:00+02:00,"[60,60,60]","[58,57,58]"
    seg, dropped, problems = _segments(data, name, "heart_rate")
    hr = seg.select("ts", pl.col("value").round().alias("bpm"),
                    pl.lit("monitoring").alias("context"))
    return ParsedFile(FORMAT_HEART_RATE,
                      frames_of(heart_rate=conform(hr.sort("ts"), "heart_rate")),
                      vendor=VENDOR, utc_offset_s=common_offset(seg["_offset"]),
                      dropped=dropped, problems=problems)


def parse_sleep(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Asleep hours of the longest session of each night (the local date it ends on)."""
    # from,to,light (s),deep (s),rem (s),awake (s),wake up,Duration to sleep (s),...
    # 2025-10-25T22:40:00+02:00,2025-10-26T05:00:00+01:00,14400,7200,4800,1200,1,600,...
    frame = read_table(data, name).frame
    cols = frame.columns
    start = require_column(cols, "from", *SUMMARY_COLUMNS["from"], name=name)
    end = require_column(cols, "to", *SUMMARY_COLUMNS["to"], name=name)
    parts = [number(c).fill_null(0) for k in ("light", "deep", "rem")
             if (c := find_column(cols, *SUMMARY_COLUMNS[k]))]
    rows = frame.select(
        local_date(end).alias("_night"), iso_utc(end).alias("_end"),
        iso_utc(start).alias("_start"), iso_offset_seconds(end).alias("_offset"),
        (pl.sum_horizontal(parts) / 3600).alias("_hours"),
    )
    readable = pl.all_horizontal(pl.col("_night", "_end", "_start").is_not_null())
    placed = rows.filter(readable)
    longest = (placed.with_columns((pl.col("_end") - pl.col("_start")).alias("_len"))
               .sort("_len", descending=True).unique("_night", keep="first").sort("_night"))
    out = summaries(longest, {"sleep_hours": pl.col("_hours")}, VENDOR,
                    night=pl.col("_night"), ts=pl.col("_end"))
    dropped = {k: v for k, v in (("sleep_row_unreadable", rows.height - placed.height),
                                 ("sleep_shorter_session", placed.height - longest.height))
               if v}
    problems = _skipped(rows, readable, "`from`/`to` not ISO times with an offset")
    return ParsedFile(FORMAT_SLEEP, frames_of(device_summaries=out), vendor=VENDOR,
                      utc_offset_s=common_offset(placed["_offset"]), dropped=dropped,
                      problems=problems)


PARSERS = [
    VendorFormat(FORMAT_SLEEP_STATE, sniff_sleep_state, parse_sleep_state),
    VendorFormat(FORMAT_HEART_RATE, sniff_heart_rate, parse_heart_rate),
    VendorFormat(FORMAT_SLEEP, sniff_sleep, parse_sleep),
]
