"""The canonical long CSV: one measurement per row (docs/formats.md, "Long CSV").

    athlete_id,timestamp,metric,value,unit,end_timestamp
    a01,2024-03-01T22:00:00Z,heart_rate,52,bpm,
    a01,2024-03-01T23:10:00+01:00,sleep_stage,deep,,2024-03-01T23:40:00+01:00
    a01,2024-03-02,resting_hr,48,bpm,

Required columns: timestamp, metric, value. Optional: athlete_id, unit, end_timestamp,
context (heart_rate: monitoring | activity | sleep, default monitoring), vendor (for nightly
summaries). Timestamps are ISO-8601 with `Z` or an offset; a naive timestamp is an error
row (counted, never guessed). Nightly summaries may give a plain date (the night).

Sleep stages: each `sleep_stage` row starts a stage; it ends at its `end_timestamp`, else
at the next `sleep_stage` row of the same athlete. A row with value `end` closes the last
stage of a night without starting a new one. A stage with neither is an error row.

Rows that cannot be used are skipped, counted in `dropped` by reason and summarised in
`problems` (so the file is `partial`); a file with only bad rows raises ParseError.
"""

from __future__ import annotations

import io

import polars as pl

from parsers.base import HR_CONTEXTS, SLEEP_STAGES, ParsedFile, ParseError, conform

UTC_US = pl.Datetime("us", "UTC")

#: metric -> (canonical frame, {accepted unit: factor to the canonical unit}); "" = default.
METRICS: dict[str, tuple[str, dict[str, float]]] = {
    "heart_rate": ("heart_rate", {"": 1, "bpm": 1}),
    "rr": ("rr_intervals", {"": 1, "ms": 1, "s": 1000}),
    "hrv_rmssd": ("hrv_samples", {"": 1, "ms": 1}),
    "sleep_stage": ("sleep_stages", {"": 1}),
    "resting_hr": ("device_summaries", {"": 1, "bpm": 1}),
    "hrv_rmssd_ms": ("device_summaries", {"": 1, "ms": 1}),
    "hrv_sdnn_ms": ("device_summaries", {"": 1, "ms": 1}),
    "sleep_hours": ("device_summaries", {"": 1, "h": 1, "hours": 1, "min": 1 / 60}),
}
SUMMARY_METRICS = [m for m, (table, _) in METRICS.items() if table == "device_summaries"]
REQUIRED = ("timestamp", "metric", "value")
SLEEP_END = "end"

#: error reason -> words for the problem summary
REASONS = {
    "csv_naive_timestamp": "timestamp has no UTC offset (add Z or +hh:mm)",
    "csv_bad_timestamp": "timestamp is not ISO-8601",
    "csv_unknown_metric": "metric is not one of " + ", ".join(METRICS),
    "csv_unknown_unit": "unit does not fit the metric",
    "csv_bad_value": "value is not a number",
    "csv_unknown_sleep_stage": "sleep stage is not one of " + ", ".join(SLEEP_STAGES),
    "csv_open_sleep_stage": "sleep stage has no end (no end_timestamp and no next stage row)",
    "csv_unknown_context": "context is not one of " + ", ".join(HR_CONTEXTS),
}

_OFFSET = r"(Z|z|[+-]\d{2}:?\d{2})$"
_DATE_ONLY = r"^\d{4}-\d{2}-\d{2}$"
_ISO_START = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"


# --- shared CSV reading (also used by wellness_csv and the vendor CSVs) -----------------

#: Widest CSV header read. Health exports have well under 100 columns; a header of millions
#: (a hostile or broken file) would make the CSV reader build millions of columns.
MAX_COLUMNS = 1_000


def check_width(header: str, name: str = "") -> None:
    """`ParseError` when a header line has more than `MAX_COLUMNS` cells by any separator
    (`,`, `;`, tab; counted without regard to quotes, so the test errs on the wide side)."""
    cells = max(header.count(sep) for sep in (",", ";", "\t")) + 1
    if cells > MAX_COLUMNS:
        raise ParseError(
            f"{name or 'CSV'}: the header line has {cells:,} columns, more than the "
            f"{MAX_COLUMNS:,} herstel reads (health exports have well under 100); refused")


def read_text_csv(data: bytes) -> pl.DataFrame:
    """All cells as stripped strings, header names lower-cased, blank lines dropped.

    `_line` is the 1-based line number in the file, for error messages. BOM tolerated;
    `;` is taken as the separator when the header has no comma.
    """
    text = data.decode("utf-8-sig", errors="replace") if data else ""
    header = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not header:
        raise ParseError("empty CSV: no header line")
    check_width(header)
    sep = ";" if ";" in header and "," not in header else ","
    try:
        frame = pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False,
                            row_index_name="_line", row_index_offset=2,
                            truncate_ragged_lines=True)
    except Exception as exc:  # noqa: BLE001 - polars raises several error types
        raise ParseError(f"CSV not readable: {exc}") from exc
    names: dict[str, str] = {}
    for c in frame.columns:
        if c != "_line":  # a name seen twice (`Unit`, `unit `): the first is used, others kept
            name = base = c.strip().lower().lstrip("\ufeff")  # as `unit_2`, ... (ignored)
            taken, k = set(names.values()), 1
            while name in taken:
                k += 1
                name = f"{base}_{k}"
            names[c] = name
    frame = frame.rename(names)
    cells = [c for c in frame.columns if c != "_line"]
    frame = frame.with_columns(pl.col(cells).str.strip_chars().replace("", None))
    return frame.filter(~pl.all_horizontal(pl.col(cells).is_null()))


def summarise_errors(marked: pl.DataFrame, reasons: dict[str, str]) -> tuple[dict, list]:
    """Counts by reason and one problem line per reason (count and first line number)."""
    stats = (marked.drop_nulls("_error").group_by("_error")
             .agg(pl.len().alias("n"), pl.col("_line").min().alias("first")).sort("_error"))
    dropped, problems = {}, []
    for reason, n, first in stats.iter_rows():
        dropped[reason] = n
        rows = "row" if n == 1 else "rows"
        why = reasons.get(reason, reason)
        problems.append(f"{n} {rows} skipped: {why} (first at line {first})")
    return dropped, problems


def first_error(checks: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """The first failing check's reason per row (null when the row is usable)."""
    expr = pl.lit(None, dtype=pl.String)
    for reason, bad in reversed(checks):
        expr = pl.when(bad.fill_null(False)).then(pl.lit(reason)).otherwise(expr)
    return expr.alias("_error")


# --- timestamps -------------------------------------------------------------------------

def parse_instant(col: str) -> pl.Expr:
    """ISO-8601 text with Z or an offset -> UTC datetime (null when naive or invalid)."""
    text = pl.col(col).str.replace(r"(Z|z)$", "+00:00").str.replace(r"^(\S{10}) ", "${1}T")
    return text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_unit="us") \
        .dt.convert_time_zone("UTC")


def _time_checks(col: str, allow_date: pl.Expr | bool = False) -> list[tuple[str, pl.Expr]]:
    c = pl.col(col)
    is_date = c.str.contains(_DATE_ONLY) & allow_date
    iso = c.str.contains(_ISO_START)
    return [
        ("csv_bad_timestamp", c.is_null() | ~(iso | is_date)),
        ("csv_naive_timestamp", ~c.str.contains(_OFFSET) & ~is_date),
        ("csv_bad_timestamp", parse_instant(col).is_null() & ~is_date),
    ]


# --- the long CSV ----------------------------------------------------------------------

def _prepare(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ParseError(
            f"long CSV needs columns {', '.join(REQUIRED)}; missing: {', '.join(missing)}")
    for opt in ("athlete_id", "unit", "end_timestamp", "context", "vendor"):
        if opt not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(opt))
    return frame.with_columns(
        pl.col("metric").str.to_lowercase(), pl.col("unit").fill_null("").str.to_lowercase(),
        pl.col("context").str.to_lowercase(),
    )


def _factor() -> pl.Expr:
    """Unit factor per row (null when the unit does not fit the metric)."""
    expr = pl.lit(None, dtype=pl.Float64)
    for metric, (_, units) in METRICS.items():
        per_unit = pl.col("unit").replace_strict(
            pl.Series(list(units), dtype=pl.String),
            pl.Series([float(f) for f in units.values()], dtype=pl.Float64),
            default=None, return_dtype=pl.Float64)
        expr = pl.when(pl.col("metric") == metric).then(per_unit).otherwise(expr)
    return expr


def _mark(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `_error` (first reason a row is unusable), `ts`, `num` (value in canonical unit)."""
    metric, value = pl.col("metric"), pl.col("value")
    is_stage = metric == "sleep_stage"
    is_summary = metric.is_in(SUMMARY_METRICS)
    num = value.str.replace(",", ".").cast(pl.Float64, strict=False)
    has_end = pl.col("end_timestamp").is_not_null()
    checks = [("csv_unknown_metric", ~metric.is_in(list(METRICS)) | metric.is_null())]
    checks += _time_checks("timestamp", allow_date=is_summary)
    checks += [(r, bad & has_end & is_stage) for r, bad in _time_checks("end_timestamp")]
    checks += [
        ("csv_unknown_unit", _factor().is_null()),
        ("csv_bad_value", ~is_stage & num.is_null()),
        ("csv_unknown_sleep_stage", is_stage & ~value.str.to_lowercase()
         .is_in([*SLEEP_STAGES, SLEEP_END])),
        ("csv_unknown_context", (metric == "heart_rate") & pl.col("context").is_not_null()
         & ~pl.col("context").is_in(list(HR_CONTEXTS))),
    ]
    return frame.with_columns(
        first_error(checks),
        parse_instant("timestamp").alias("ts"),
        (num * _factor()).alias("num"),
    )


def _stages(rows: pl.DataFrame) -> pl.DataFrame:
    """sleep_stage rows -> intervals; open stages become error rows (`csv_open_sleep_stage`)."""
    ordered = rows.sort("athlete_id", "ts", nulls_last=True).with_columns(
        pl.col("value").str.to_lowercase().alias("stage"),
        pl.coalesce(parse_instant("end_timestamp"),
                    pl.col("ts").shift(-1).over("athlete_id")).alias("end_ts"),
    ).filter(pl.col("stage") != SLEEP_END)
    return ordered.with_columns(
        pl.when(pl.col("end_ts").is_null()).then(pl.lit("csv_open_sleep_stage"))
        .alias("_error"))


def _summaries(rows: pl.DataFrame) -> pl.DataFrame:
    is_date = pl.col("timestamp").str.contains(_DATE_ONLY)
    return rows.select(
        "athlete_id",
        pl.when(is_date).then(pl.col("timestamp").str.to_date("%Y-%m-%d", strict=False))
        .alias("night"),
        pl.when(~is_date).then(pl.col("ts")).alias("ts"),
        "metric", pl.col("num").alias("value"), "vendor",
    )


def _frames(good: pl.DataFrame, stages: pl.DataFrame) -> dict[str, pl.DataFrame]:
    by_metric = {m: good.filter(pl.col("metric") == m) for m in ("heart_rate", "rr", "hrv_rmssd")}
    frames = {
        "heart_rate": by_metric["heart_rate"].select(
            "athlete_id", "ts", pl.col("num").round(0).alias("bpm"),
            pl.col("context").fill_null("monitoring")),
        "rr_intervals": by_metric["rr"].select("athlete_id", "ts", pl.col("num").alias("rr_ms")),
        "hrv_samples": by_metric["hrv_rmssd"].select(
            "athlete_id", "ts", pl.col("num").alias("rmssd_ms")),
        "sleep_stages": stages.select("athlete_id", pl.col("ts").alias("start_ts"), "end_ts",
                                      "stage"),
        "device_summaries": _summaries(good.filter(pl.col("metric").is_in(SUMMARY_METRICS))),
    }
    out = {}
    for table, frame in frames.items():
        if frame.height:
            if frame["athlete_id"].null_count() == frame.height:
                frame = frame.drop("athlete_id")
            out[table] = conform(frame, table)
    return out


def parse(data: bytes, name: str = "") -> ParsedFile:
    """Parse a long CSV; see the module docstring for the format."""
    frame = _prepare(read_text_csv(data))
    marked = _mark(frame)
    stage_rows = marked.filter(pl.col("_error").is_null() & (pl.col("metric") == "sleep_stage"))
    stages = _stages(stage_rows)
    good = marked.filter(pl.col("_error").is_null() & (pl.col("metric") != "sleep_stage"))
    errors = pl.concat([marked.select("_line", "_error"), stages.select("_line", "_error")])
    dropped, problems = summarise_errors(errors, REASONS)
    frames = _frames(good, stages.filter(pl.col("_error").is_null()))
    if problems and not frames:
        raise ParseError("no usable rows in long CSV: " + "; ".join(problems))
    return ParsedFile(format="csv_long", frames=frames, problems=problems, dropped=dropped)


def looks_like(header: list[str]) -> bool:
    """True when CSV header names (lower-cased) are those of the long CSV."""
    return set(REQUIRED) <= set(header)

