"""Shared plumbing for the vendor-export parsers: decoding, tolerant CSV, times, frames.

Vendor exports are written by phone apps in many versions and locales, so everything here
is liberal in what it reads (BOMs, UTF-16, `;` or `,` or tab, decimal commas, ragged rows,
blank lines, `UTC+09:00` / `GMT-5` / `UTCZ` offsets) and strict in what it returns
(canonical frames through `parsers.base.conform`, timestamps in UTC, nights as dates).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import polars as pl

from parsers.base import ParsedFile, ParseError, conform
from parsers.csv_long import check_width

#: Sniffers look at no more than this many leading bytes (they must stay cheap).
SNIFF_BYTES = 4096


class Sniff(Protocol):
    def __call__(self, data: bytes, name: str) -> bool: ...


class Parse(Protocol):
    def __call__(self, data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile: ...


class VendorFormat(NamedTuple):
    """One file kind of one vendor: what `files.format` records, how to spot it, how to read it."""

    format: str
    sniff: Sniff
    parse: Parse
    #: parse also takes `siblings=` (reads files beside this one: Samsung's `jsons/`)
    takes_siblings: bool = False
    #: its rows live in the files it points to: loaded even when it yields no row itself
    index_only: bool = False


# ---------------------------------------------------------------- decoding


def decode_text(data: bytes, name: str = "") -> str:
    """Bytes -> str: BOM-aware (UTF-8, UTF-16), UTF-8 else Windows-1252; never guesses binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise ParseError(f"{name or 'file'}: binary content (NUL bytes), expected a text export")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def head_text(data: bytes) -> str:
    """The first `SNIFF_BYTES` as text, for sniffers (a cut multi-byte char is harmless)."""
    chunk = data[:SNIFF_BYTES]
    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
        return chunk.decode("utf-16", errors="ignore")
    if chunk.startswith(b"\xef\xbb\xbf"):
        chunk = chunk[3:]
    return chunk.decode("utf-8", errors="ignore")


def norm(label: str) -> str:
    """A header label reduced for matching: no BOM/quotes, single spaces, case-folded."""
    label = label.replace("\ufeff", "").strip().strip('"').strip()
    return re.sub(r"\s+", " ", label).casefold()


# ---------------------------------------------------------------- CSV


def _delimiter(line: str) -> str:
    """`,`, `;` or tab, whichever splits the header line most (outside quotes)."""
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def header_of(data: bytes) -> list[str]:
    """Normalised header labels of a CSV, read from the first few KB only (for sniffers)."""
    line = _first_line(head_text(data))
    if not line:
        return []
    row = next(csv.reader([line], delimiter=_delimiter(line)), [])
    return [norm(c) for c in row]


class Table(NamedTuple):
    frame: pl.DataFrame  # every column String, named as in the file (stripped, de-duplicated)
    ragged: int  # rows with more or fewer cells than the header (padded / cut)


def read_table(data: bytes, name: str = "") -> Table:
    """A vendor CSV as an all-String frame: delimiter sniffed, blank lines skipped."""
    text = decode_text(data, name)
    line = _first_line(text)
    if not line:
        raise ParseError(f"{name or 'file'}: empty file, no header row")
    check_width(line, name)
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(line))
    header: list[str] | None = None
    rows: list[list[str]] = []
    ragged = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _unique([c.replace("\ufeff", "").strip().strip('"') for c in row])
                continue
            if len(row) != len(header):
                ragged += 1
                row = (row + [""] * len(header))[: len(header)]
            rows.append(row)
    except csv.Error as exc:
        raise ParseError(
            f"{name or 'file'}: unreadable CSV near line {reader.line_num}: {exc}"
        ) from None
    assert header is not None
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    frame = pl.DataFrame(
        {h: list(col) for h, col in zip(header, columns, strict=True)},
        schema={h: pl.String for h in header},
    )
    return Table(frame, ragged)


def _unique(labels: list[str]) -> list[str]:
    """Duplicate header labels get `_2`, `_3`, ... (Oura's trends CSV repeats `Sleep Timing`)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        label = label or "column"
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}_{seen[label]}")
    return out


def find_column(columns: Iterable[str], *aliases: str) -> str | None:
    """The first file column whose normalised label equals one of `aliases` (normalised)."""
    wanted = [norm(a) for a in aliases]
    by_norm = {norm(c): c for c in reversed(list(columns))}
    for alias in wanted:
        if alias in by_norm:
            return by_norm[alias]
    return None


def require_column(columns: list[str], what: str, *aliases: str, name: str = "") -> str:
    """Like `find_column`, but a missing column is a `ParseError` naming what was expected."""
    found = find_column(columns, *aliases)
    if found is None:
        raise ParseError(
            f"{name or 'file'}: no {what} column (expected one of {', '.join(aliases)}); "
            f"the header has: {', '.join(columns[:12])}"
        )
    return found


# ---------------------------------------------------------------- values


def number(col: str | pl.Expr) -> pl.Expr:
    """A vendor string as Float64: decimal comma accepted, `-`/blank/NaN -> null."""
    s = (pl.col(col) if isinstance(col, str) else col).cast(pl.String).str.strip_chars()
    s = pl.when(s.str.contains(r"^[+-]?\d+,\d+$")).then(s.str.replace(",", ".")).otherwise(s)
    return s.cast(pl.Float64, strict=False).fill_nan(None)


def truthy(col: str) -> pl.Expr:
    """`true`/`yes`/`1` (any case, also translated: `verdadero`, `sí`, `wahr`, `vrai`, `waar`)."""
    yes = ["true", "yes", "1", "y", "t", "verdadero", "sí", "si", "wahr", "ja", "vrai", "waar"]
    return pl.col(col).str.strip_chars().str.to_lowercase().is_in(yes)


#: Naive local date-time layouts seen in exports, tried in order.
NAIVE_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y")


def naive_datetime(col: str | pl.Expr, formats: Iterable[str] = NAIVE_FORMATS) -> pl.Expr:
    """A wall-clock string without offset as naive Datetime("us"); unknown layouts -> null."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    return pl.coalesce([s.str.to_datetime(f, time_unit="us", strict=False) for f in formats])


def date_prefix(col: str | pl.Expr) -> pl.Expr:
    """The date a string starts with, as text (`2024-02-28T07:00` -> `2024-02-28`)."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    return s.str.extract(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})")


def local_date(col: str | pl.Expr) -> pl.Expr:
    """The calendar date a string starts with (`2024-02-28`, `2024-02-28T07:00`, `28.02.2024`).

    Row by row, which is safe only because no two `DATE_FORMATS` read one string; a file
    whose dates may be year-day-month goes through `file_dates` instead."""
    return pl.coalesce([date_prefix(col).str.to_date(f, strict=False) for f in DATE_FORMATS])


def offset_seconds(col: str | pl.Expr) -> pl.Expr:
    """`UTC-04:00`, `UTC+09:00`, `GMT-5`, `-05:00`, `+0530`, `UTC`, `UTCZ`, `Z` -> seconds east."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars().str.to_uppercase()
    parts = s.str.extract_groups(r"([+-])(\d{1,2}):?(\d{2})?\s*$")
    sign = pl.when(parts.struct.field("1") == "-").then(-1).otherwise(1)
    hours = parts.struct.field("2").cast(pl.Int32, strict=False)
    minutes = parts.struct.field("3").cast(pl.Int32, strict=False).fill_null(0)
    utc_name = s.str.contains(r"^(UTC|GMT|Z)Z?$")
    return (
        pl.when(hours.is_not_null())
        .then(sign * (hours * 3600 + minutes * 60))
        .when(utc_name)
        .then(0)
        .otherwise(None)
        .cast(pl.Int32)
    )


def utc_from_local(naive: pl.Expr, offset_s: pl.Expr) -> pl.Expr:
    """Wall-clock time minus its UTC offset, tagged UTC."""
    return (naive - pl.duration(seconds=offset_s)).dt.replace_time_zone("UTC")


def utc_from_zone(naive: pl.Expr, tz: str | None) -> pl.Expr:
    """Wall-clock time read in IANA zone `tz` (None: taken as UTC, the warehouse default)."""
    zone = tz or "UTC"
    localised = naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
    return localised.dt.convert_time_zone("UTC")


def iso_utc(col: str | pl.Expr) -> pl.Expr:
    """ISO 8601 with an offset (`2024-01-01T23:12:30.000+01:00`, `...Z`) -> UTC."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    s = s.str.replace(r"Z$", "+00:00")
    return pl.coalesce(
        [
            s.str.to_datetime(f, time_unit="us", time_zone="UTC", strict=False)
            for f in ("%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%dT%H:%M%:z")
        ]
    )


def iso_offset_seconds(col: str | pl.Expr) -> pl.Expr:
    """The `+01:00` at the end of an ISO time stamp, in seconds (Z -> 0)."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    return offset_seconds(s.str.extract(r"(Z|[+-]\d{2}:?\d{2})$"))


def common_offset(offsets: pl.Series) -> int | None:
    """The most frequent UTC offset in a file (ties: the latest row's), for `utc_offset_s`."""
    values = offsets.drop_nulls()
    if values.is_empty():
        return None
    counts = values.value_counts(sort=True)
    top = counts[counts.columns[1]].max()
    tied = set(counts.filter(pl.col(counts.columns[1]) == top)[counts.columns[0]].to_list())
    for value in reversed(values.to_list()):
        if value in tied:
            return int(value)
    return None


def iso_duration_seconds(text: str | None) -> float | None:
    """`PT7H30M`, `PT3567.987S`, `P1DT2H` -> seconds; anything else -> None."""
    if not isinstance(text, str):
        return None
    m = re.fullmatch(
        r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?",
        text.strip(),
    )
    if not m or not any(m.groups()):
        return None
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


# ---------------------------------------------------------------- JSON


def load_json(data: bytes, name: str = "") -> Any:
    """Parsed JSON, or a `ParseError` saying where it broke (truncated downloads are common)."""
    text = decode_text(data, name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{name or 'file'}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None


def json_records(data: bytes, name: str, what: str) -> list[dict]:
    """A JSON file that must be a list of objects; non-objects (stray values) are skipped."""
    doc = load_json(data, name)
    if isinstance(doc, dict):  # some tools wrap the list: {"sleep": [...]}
        lists = [v for v in doc.values() if isinstance(v, list)]
        doc = lists[0] if len(lists) == 1 else None
    if not isinstance(doc, list):
        raise ParseError(f"{name or 'file'}: expected a JSON list of {what} records")
    return [r for r in doc if isinstance(r, dict)]


def obj(value: Any) -> dict:
    """`value` if it is a JSON object, else `{}`: a vendor record where an object belongs
    may hold anything (a string, a number, a list) and must not break the file."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list:
    """`value` if it is a JSON list, else `[]` (see `obj`)."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """`value` if it is a JSON string, else None (a list or object is no label or time)."""
    return value if isinstance(value, str) else None


def _coerce(value: Any, dtype: pl.DataType) -> Any:
    """One JSON value as `dtype`, or None when it is of another JSON type or out of range."""
    if value is None:
        return None
    if dtype == pl.String:
        if isinstance(value, str):
            return value
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return str(value) if is_number else None
    if dtype == pl.Boolean:
        return value if isinstance(value, bool) else None
    if isinstance(dtype, pl.Datetime):
        return value if isinstance(value, datetime) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if dtype.is_float():
        try:
            return float(value)
        except OverflowError:  # an integer beyond any float
            return None
    if dtype.is_integer():
        return int(value) if isinstance(value, int) and -(2**63) <= value < 2**63 else None
    return None


def rows_frame(rows: Iterable[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows gathered from vendor JSON -> a frame of `schema`.

    JSON gives no types: a value of the wrong kind (text where a number belongs, an object
    where text belongs, 1e400) becomes null in that cell instead of failing the whole file
    (found by fuzzing); the row's other values are kept.
    """
    rows = list(rows)
    return pl.DataFrame(
        [pl.Series(col, [_coerce(r.get(col), dtype) for r in rows], dtype=dtype)
         for col, dtype in schema.items()],
        schema=schema,
    )


def json_head_keys(data: bytes) -> str:
    """Leading text of a JSON document if it starts like one (`[` or `{`), else ''."""
    text = head_text(data).lstrip()
    return text if text[:1] in ("[", "{") else ""


def is_empty_list(text: str) -> bool:
    """`[]` (any whitespace): a valid export with no records, recognisable only by its name."""
    return re.fullmatch(r"\[\s*\]", text.strip()) is not None


def has_keys(text: str, *keys: str) -> bool:
    """All of `"key"` appear (as JSON keys) in `text`."""
    return all(re.search(rf'"{re.escape(k)}"\s*:', text) for k in keys)


# ---------------------------------------------------------------- frames


def summaries(
    frame: pl.DataFrame,
    metrics: dict[str, pl.Expr],
    vendor: str,
    night: pl.Expr | None = None,
    ts: pl.Expr | None = None,
) -> pl.DataFrame:
    """Wide rows -> canonical `device_summaries`: one row per (row, metric) with a value."""
    keys = [
        (night if night is not None else pl.lit(None, pl.Date)).alias("night"),
        (ts if ts is not None else pl.lit(None, pl.Datetime("us", "UTC"))).alias("ts"),
    ]
    parts = [
        frame.select(*keys, pl.lit(metric).alias("metric"), expr.cast(pl.Float64).alias("value"))
        for metric, expr in metrics.items()
    ]
    if not parts:
        return conform(pl.DataFrame(), "device_summaries")
    long = pl.concat(parts).filter(pl.col("value").is_not_null())
    long = long.with_columns(pl.lit(vendor).alias("vendor"))
    return conform(long, "device_summaries")


def merge_runs(stages: pl.DataFrame) -> pl.DataFrame:
    """Join touching intervals of the same stage (`start_ts, end_ts, stage`, sorted)."""
    if stages.is_empty():
        return conform(stages, "sleep_stages")
    s = stages.sort("start_ts")
    new_run = (pl.col("stage") != pl.col("stage").shift(1)) | (
        pl.col("start_ts") != pl.col("end_ts").shift(1)
    )
    runs = s.with_columns(new_run.fill_null(True).cum_sum().alias("_run"))
    merged = runs.group_by("_run", maintain_order=True).agg(
        pl.col("start_ts").first(), pl.col("end_ts").last(), pl.col("stage").first()
    )
    return conform(merged, "sleep_stages")


def frames_of(**frames: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Only the non-empty frames: an absent table says more than an empty one."""
    return {k: v for k, v in frames.items() if v is not None and v.height}


def first_present(record: dict, *keys: str) -> Any:
    """The first of `keys` that `record` has with a non-null value."""
    for key in keys:
        value = record.get(key)
        if value is not None:
            return value
    return None



def snake_expr(col: str | pl.Expr) -> pl.Expr:
    """`Functional Fitness` / `TraditionalStrengthTraining` / `RUNNING` -> snake_case."""
    s = (pl.col(col) if isinstance(col, str) else col).cast(pl.String).str.strip_chars()
    s = s.str.replace_all(r"([a-z0-9])([A-Z])", "${1}_${2}")
    s = s.str.to_lowercase().str.replace_all(r"[^0-9a-z]+", "_").str.strip_chars("_")
    return pl.when(s.str.len_chars() > 0).then(s)


#: Vendor activity names (snake_case) -> FIT (sport, sub_sport), so that metrics see strength
#: sessions as `strength_training` whichever app recorded them. Unlisted names stay as cleaned.
SPORTS: dict[str, tuple[str, str | None]] = {
    "run": ("running", None),
    "running": ("running", None),
    "treadmill_running": ("running", "treadmill"),
    "trail_running": ("running", "trail"),
    "cycling": ("cycling", None),
    "biking": ("cycling", None),
    "road_biking": ("cycling", "road"),
    "mountain_biking": ("cycling", "mountain"),
    "indoor_cycling": ("cycling", "indoor_cycling"),
    "spinning": ("cycling", "indoor_cycling"),
    "walking": ("walking", None),
    "hiking": ("hiking", None),
    "swimming": ("swimming", None),
    "pool_swimming": ("swimming", "lap_swimming"),
    "open_water_swimming": ("swimming", "open_water"),
    "rowing": ("rowing", None),
    "yoga": ("training", "yoga"),
    "pilates": ("training", "pilates"),
    "strength": ("training", "strength_training"),
    "strength_training": ("training", "strength_training"),
    "weightlifting": ("training", "strength_training"),
    "weight_lifting": ("training", "strength_training"),
    "powerlifting": ("training", "strength_training"),
    "functional_fitness": ("training", "strength_training"),
    "traditional_strength_training": ("training", "strength_training"),
    "functional_strength_training": ("training", "strength_training"),
}


def sport_columns(label: str | pl.Expr) -> list[pl.Expr]:
    """`sport` and `sub_sport` columns from a vendor's activity name."""
    s = snake_expr(label)
    sport = s.replace_strict({k: v[0] for k, v in SPORTS.items()}, default=s,
                             return_dtype=pl.String)
    sub = s.replace_strict({k: v[1] for k, v in SPORTS.items() if v[1]}, default=None,
                           return_dtype=pl.String)
    return [sport.alias("sport"), sub.alias("sub_sport")]


def check_dates(frame: pl.DataFrame, parsed: pl.Expr, raw: str, name: str) -> None:
    """Rows whose `raw` date column is filled but none of which parse: a `ParseError` that
    shows one value, rather than a silently empty result (e.g. US `3/2/2024 6:58 AM`)."""
    filled = frame.filter(pl.col(raw).str.strip_chars().str.len_chars() > 0)
    if filled.height and filled.select(parsed.is_not_null().any()).item() is False:
        raise ParseError(
            f"{name or 'file'}: no date in column {raw!r} could be read, e.g. "
            f"{filled[raw][0]!r}; expected year-first (2024-03-02 07:01) or day.month.year"
        )


def morning_readings(
    frame: pl.DataFrame, night: pl.Expr, order: pl.Expr, rmssd: str, hr: str | None, vendor: str
) -> pl.DataFrame:
    """Spot-check apps (HRV4Training, Elite HRV): the first reading of each local date ->
    hrv_rmssd_ms and resting_hr for that night (later retakes do not replace the morning)."""
    metrics = {"hrv_rmssd_ms": number(rmssd)}
    if hr:
        metrics["resting_hr"] = number(hr)
    firsts = (
        frame.with_columns(night.alias("_night"), order.alias("_order"))
        .filter(pl.col("_night").is_not_null() & number(rmssd).is_not_null())
        .sort("_night", "_order", nulls_last=True)
        .unique(subset=["_night"], keep="first", maintain_order=True)
    )
    out = summaries(firsts, metrics, vendor, night=pl.col("_night"))
    return out.filter(pl.col("value") > 0)  # 0 = "no reading" in these apps
