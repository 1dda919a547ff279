"""Samsung Health `binning_data`: the per-minute heart rate and the short-window HRV that a
personal-data export keeps in JSON files under `jsons/`, one file per CSV row.

A CSV row (heart rate, HRV) names its file in the `binning_data` column; the file lives at
`jsons/<type>/<first character of the name>/<name>` beside the CSVs. Each JSON file holds
its own times (epoch milliseconds, UTC), so it is read on its own as a format of its own:

- `samsung_heart_rate_json` -> heart_rate, one sample per bin (per minute) at its start;
- `samsung_hrv_json` -> hrv_samples, the bin's RMSSD at its start (SDNN is never used,
  docs/metrics.md).

The CSV rows that point to these files are not loaded themselves (their `heart_rate` is the
mean of the bins: loading both would count the night twice); the CSV parser only checks
that each file it names is there and readable (`check_references`) and counts the rows
whose file is not. See docs/sources/samsung_health.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import frames_of, has_keys, json_head_keys, json_records, rows_frame

VENDOR = "samsung"
FORMAT_HEART_RATE_JSON = "samsung_heart_rate_json"
FORMAT_HRV_JSON = "samsung_hrv_json"
#: A `binning_data` cell that can name a file: one path component ending in `.json`.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.json")

#: reads a file beside the one being parsed by relative path; None when absent/unreadable
Siblings = Callable[[str], bytes | None]


#: epoch milliseconds outside 1970..2100 are no measurement time (a bin with one is counted)
MAX_EPOCH_MS = 4_102_444_800_000


def _epoch_ms(col: str) -> pl.Expr:
    ms = pl.col(col)
    sane = pl.when(ms.is_between(0, MAX_EPOCH_MS) & ms.is_finite()).then(ms)
    return pl.from_epoch(sane.cast(pl.Int64), time_unit="ms").dt.replace_time_zone("UTC")


# ---------------------------------------------------------------- the JSON files


def sniff_heart_rate_json(data: bytes, name: str) -> bool:
    head = json_head_keys(data)
    return head.startswith("[") and has_keys(head, "heart_rate", "heart_rate_min",
                                             "start_time")


def sniff_hrv_json(data: bytes, name: str) -> bool:
    head = json_head_keys(data)
    return head.startswith("[") and has_keys(head, "rmssd", "start_time")


def _bins(data: bytes, name: str, value: str) -> tuple[pl.DataFrame, int]:
    """(start instant, value) of every readable bin, and how many bins were not."""
    rows = rows_frame(json_records(data, name, "Samsung binning"),
                      {"start_time": pl.Float64, value: pl.Float64})
    frame = rows.select(_epoch_ms("start_time").alias("ts"), pl.col(value))
    placed = frame.filter(pl.col("ts").is_not_null() & pl.col(value).is_not_null())
    return placed.sort("ts"), frame.height - placed.height


def parse_heart_rate_json(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Per-minute heart rate of one measurement row."""
    # jsons/com.samsung.shealth.tracker.heart_rate/3/
    #   3f2a....com.samsung.health.heart_rate.binning_data.json
    # [{"end_time":1733205659000,"heart_rate":68,"heart_rate_max":71,"heart_rate_min":66,
    #   "start_time":1733205600000}, ...]          (one object per minute, epoch ms UTC)
    bins, bad = _bins(data, name, "heart_rate")
    hr = bins.select("ts", pl.col("heart_rate").round().alias("bpm"),
                     pl.lit("monitoring").alias("context"))
    return ParsedFile(FORMAT_HEART_RATE_JSON, frames_of(heart_rate=conform(hr, "heart_rate")),
                      vendor=VENDOR, dropped={"heart_rate_bin_unreadable": bad} if bad else {})


def parse_hrv_json(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """The device's short-window RMSSD values of one HRV measurement row."""
    # jsons/com.samsung.health.hrv/9/9c41....binning_data.json
    # [{"rmssd":52.171165,"sdnn":51.123722,"end_time":1733487951000,
    #   "start_time":1733487651000}, ...]           (one object per window, epoch ms UTC)
    bins, bad = _bins(data, name, "rmssd")
    hrv = bins.select("ts", pl.col("rmssd").alias("rmssd_ms"))
    return ParsedFile(FORMAT_HRV_JSON, frames_of(hrv_samples=conform(hrv, "hrv_samples")),
                      vendor=VENDOR, dropped={"hrv_bin_unreadable": bad} if bad else {})


# ---------------------------------------------------------------- the CSV side


def _readable(data: bytes | None) -> bool:
    if data is None:
        return False
    try:
        return isinstance(json.loads(data.decode("utf-8-sig")), list)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False


def _lookup(siblings: Siblings, data_type: str, file_name: str) -> bytes | None:
    """The file at `jsons/<type>/<first char>/<name>`, else directly under `jsons/<type>/`."""
    for rel in (f"jsons/{data_type}/{file_name[0]}/{file_name}",
                f"jsons/{data_type}/{file_name}"):
        if (found := siblings(rel)) is not None:
            return found
    return None


def check_references(
    references: pl.Series, data_type: str, siblings: Siblings | None, what: str
) -> tuple[dict[str, int], list[str]]:
    """Rows whose `binning_data` file is missing or unreadable: (dropped, problems).

    Without `siblings` (bytes parsed on their own, no folder around them) nothing is checked.
    """
    if siblings is None:
        return {}, []
    missing, unreadable, first = 0, 0, None
    for ref in references.drop_nulls().str.strip_chars().to_list():
        if not ref:
            continue
        found = None if FILE_NAME.fullmatch(ref) is None else _lookup(siblings, data_type, ref)
        if found is None:
            missing += 1
        elif not _readable(found):
            unreadable += 1
        else:
            continue
        first = first or ref
    dropped = {k: v for k, v in ((f"{what}_binning_missing", missing),
                                 (f"{what}_binning_unreadable", unreadable)) if v}
    if not dropped:
        return {}, []
    problems = [f"{missing + unreadable} {what} rows point to binning files under "
                f"jsons/{data_type}/ that are missing ({missing}) or not valid JSON "
                f"({unreadable}), first {first!r}: their values are not loaded; copy the whole "
                f"export folder, jsons/ included"]
    return dropped, problems


PARSERS_JSON = [
    (FORMAT_HEART_RATE_JSON, sniff_heart_rate_json, parse_heart_rate_json),
    (FORMAT_HRV_JSON, sniff_hrv_json, parse_hrv_json),
]
