"""Zepp / Amazfit (Huami, formerly Mi Fit) GDPR data export: one folder per data type, each
holding `<TYPE>_<epoch ms>.csv` (`HEARTRATE_AUTO/HEARTRATE_AUTO_1749047212827.csv`), the whole
under `<user id>_<epoch ms>/`, often zipped. See docs/sources/zepp.md.

Read here:

- `HEARTRATE_AUTO` (`date,time,heartRate`) -> heart_rate (monitoring). `date` + `time` are
  the phone's LOCAL wall time without an offset: read in the athlete's zone `tz`, the
  repeated hour of an autumn clock change placed by the file's own order.
- `SLEEP` (`date,deepSleepTime,shallowSleepTime,wakeTime,start,stop,REMTime,naps`) ->
  device_summaries `sleep_hours` = (deep + shallow + REM minutes) / 60 for the night `date`
  (the local wake-up date). `start`/`stop` are UTC instants (`2023-02-18 02:13:00+0000`) in
  Zepp exports and Unix seconds in the older Mi Fit layout
  (`date,lastSyncTime,deepSleepTime,shallowSleepTime,wakeTime,start,stop`, no REM column).
  The export writes a row for every day; a day without sleep (all minutes 0, `start` =
  `stop`) is counted `sleep_no_sleep`, not a problem.

The other folders of the layout (ACTIVITY, ACTIVITY_MINUTE, ACTIVITY_STAGE, SPORT, BODY, USER,
SLEEP_MINUTE, HEARTRATE, HEALTH_DATA) are skipped unread by name (`unread`), each with its
reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import (
    VendorFormat,
    find_column,
    frames_of,
    header_of,
    local_date,
    naive_datetime,
    number,
    read_table,
    require_column,
    summaries,
)
from parsers.vendors.placing import utc_by_sequence

VENDOR = "zepp"
FORMAT_HEART_RATE = "zepp_heart_rate_csv"
FORMAT_SLEEP = "zepp_sleep_csv"
HR_HEADER = ["date", "time", "heartrate"]
SLEEP_COLUMNS = {"date", "deepsleeptime", "shallowsleeptime", "start", "stop"}
#: asleep stage columns, minutes; REMTime is absent in the older Mi Fit layout
ASLEEP_COLUMNS = ("deepSleepTime", "shallowSleepTime", "REMTime")
#: Zepp's own word for a missing value
NULL = "null"


def sniff_heart_rate(data: bytes, name: str) -> bool:
    return header_of(data) == HR_HEADER


def sniff_sleep(data: bytes, name: str) -> bool:
    return set(header_of(data)) >= SLEEP_COLUMNS


def _skipped(frame: pl.DataFrame, ok: pl.Expr, why: str) -> list[str]:
    """"N rows skipped: <why> (first at data row K)": the file lost rows (a download cut
    mid-row ends in one), so it is `partial`."""
    bad = frame.with_row_index("_row").filter(~ok.fill_null(False))
    if bad.is_empty():
        return []
    rows = "row" if bad.height == 1 else "rows"
    return [f"{bad.height} {rows} skipped: {why} (first at data row {bad['_row'][0] + 1})"]


def _value(col: str) -> pl.Expr:
    """A Zepp number; the literal `null` and blanks are null."""
    text = pl.col(col).str.strip_chars()
    return number(pl.when(text.str.to_lowercase() != NULL).then(text))


def parse_heart_rate(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """One sample per row, at its local wall time in `tz` (UTC when None)."""
    # date,time,heartRate
    # 2025-10-26,02:59,58      <- 02:59 CEST; the next row 02:00 is CET (the file's order says)
    frame = read_table(data, name).frame
    cols = frame.columns
    day = require_column(cols, "date", "date", name=name)
    clock = require_column(cols, "time", "time", name=name)
    bpm = require_column(cols, "heartRate", "heartrate", name=name)
    when = pl.concat_str([pl.col(day).str.strip_chars(), pl.col(clock).str.strip_chars()],
                         separator=" ")
    rows = frame.select(naive_datetime(when).alias("_naive"), _value(bpm).alias("_bpm"))
    readable = pl.col("_naive").is_not_null() & pl.col("_bpm").is_not_null()
    problems = _skipped(rows, readable, "no `date` + `time` (2025-10-26,02:59) or no heart "
                                        "rate number")
    good = rows.filter(readable)
    dropped = {"heart_rate_row_unreadable": rows.height - good.height}
    placed = utc_by_sequence(good, "_naive", tz, [], "heart-rate samples")
    hr = placed.frame.select("ts", pl.col("_bpm").round().alias("bpm"),
                             pl.lit("monitoring").alias("context"))
    hr = hr.unique(subset=["ts"], keep="first", maintain_order=True).sort("ts")
    dropped.update(placed.dropped)
    return ParsedFile(FORMAT_HEART_RATE, frames_of(heart_rate=conform(hr, "heart_rate")),
                      vendor=VENDOR, dropped={k: v for k, v in dropped.items() if v},
                      problems=problems + placed.problems)


def _instant(col: str) -> pl.Expr:
    """`2023-02-18 02:13:00+0000` (Zepp) or Unix seconds `1676686380` (Mi Fit) -> UTC."""
    text = pl.col(col).str.strip_chars()
    stamped = text.str.to_datetime("%Y-%m-%d %H:%M:%S%z", time_unit="us", time_zone="UTC",
                                   strict=False)
    unix = pl.from_epoch(text.str.extract(r"^(\d{9,10})$").cast(pl.Int64), time_unit="s")
    return pl.coalesce(stamped, unix.dt.replace_time_zone("UTC"))


def parse_sleep(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Asleep hours of each night, from the minutes the row gives per stage."""
    # date,deepSleepTime,shallowSleepTime,wakeTime,start,stop,REMTime,naps
    # 2025-10-26,60,270,20,2025-10-25 20:50:00+0000,2025-10-26 04:10:00+0000,90,
    frame = read_table(data, name).frame
    cols = frame.columns
    day = require_column(cols, "date", "date", name=name)
    start = require_column(cols, "start", "start", name=name)
    stop = require_column(cols, "stop", "stop", name=name)
    stages = [require_column(cols, c, c, name=name) for c in ASLEEP_COLUMNS[:2]]
    stages += [c for c in (find_column(cols, ASLEEP_COLUMNS[2]),) if c]
    rows = frame.select(
        local_date(day).alias("_night"), _instant(start).alias("_start"),
        _instant(stop).alias("_stop"),
        *(_value(c).alias(f"_m{i}") for i, c in enumerate(stages)),
    )
    minutes = [pl.col(f"_m{i}") for i in range(len(stages))]
    readable = (pl.col("_night").is_not_null() & pl.col("_start").is_not_null()
                & pl.col("_stop").is_not_null() & pl.all_horizontal(m.is_not_null()
                                                                    for m in minutes))
    asleep = rows.filter(readable).with_columns(pl.sum_horizontal(minutes).alias("_min"))
    slept = asleep.filter((pl.col("_min") > 0) & (pl.col("_stop") > pl.col("_start")))
    night = (slept.sort("_min", descending=True).unique("_night", keep="first").sort("_night"))
    out = summaries(night, {"sleep_hours": pl.col("_min") / 60}, VENDOR,
                    night=pl.col("_night"), ts=pl.col("_stop"))
    dropped = {"sleep_row_unreadable": rows.height - asleep.height,
               "sleep_no_sleep": asleep.height - slept.height,
               "sleep_shorter_row": slept.height - night.height}
    problems = _skipped(rows, readable, "no `date`, no `start`/`stop` time or a stage without "
                                        "minutes")
    return ParsedFile(FORMAT_SLEEP, frames_of(device_summaries=out), vendor=VENDOR,
                      dropped={k: v for k, v in dropped.items() if v}, problems=problems)


#: Folders of the layout not read -> why (docs/sources/zepp.md, "Not read").
UNREAD = {
    "ACTIVITY": "daily steps, distance and calories, no nightly value",
    "ACTIVITY_MINUTE": "steps per minute, no nightly value",
    "ACTIVITY_STAGE": "walking and running spells, no nightly value",
    "SPORT": "workout summaries with an undocumented numeric sport code and no heart rate",
    "BODY": "weight and body composition, not a nightly value",
    "USER": "the account profile (name, birthday), not measurements",
    "SLEEP_MINUTE": "per-minute sleep stages whose `date` public readers of the export "
                    "interpret differently (wake-up date or a day later); the nightly totals "
                    "are read from SLEEP instead",
    "HEARTRATE": "manual spot measurements; the automatic series is read from HEARTRATE_AUTO",
    "HEALTH_DATA": "stress, SpO2 and PAI values herstel does not use",
}


def unread(paths: Iterable[str]) -> dict[str, str]:
    """Files of a Zepp export herstel skips unread: path -> "ignored: ...". A file counts as
    the layout's only as `<TYPE>/<TYPE>_<digits>.csv`, so a stray `BODY.csv` elsewhere is not
    touched (it is sniffed like any file)."""
    out = {}
    for path in paths:
        parts = path.replace("\\", "/").split("/")
        if len(parts) < 2:
            continue
        folder = parts[-2].upper()
        if folder in UNREAD and re.fullmatch(rf"{folder}_\d+\.csv", parts[-1], re.I):
            out[path] = f"ignored: {folder} of the Zepp export: {UNREAD[folder]}; not read"
    return out



PARSERS = [
    VendorFormat(FORMAT_HEART_RATE, sniff_heart_rate, parse_heart_rate),
    VendorFormat(FORMAT_SLEEP, sniff_sleep, parse_sleep),
]
