"""Lab-results CSV: one blood value per row, converted to one unit per marker.

    day,marker,value,unit
    2026-09-03,ferritin,42,ng/mL
    2026-09-03,cortisol,14.2,µg/dL

A header is required (`date` is accepted for `day`, an optional `athlete_id` column names the
athlete per row, unknown columns are ignored); BOM, blank lines, `;` as separator and `,` as
decimal mark in `;` files are tolerated. Markers are matched case-insensitively, with a few
aliases (`ferritine`, `serum ferritin`, `serum cortisol`, ...).

Stored units (`lab_results.unit`):

| marker | stored | accepted (factor) |
|---|---|---|
| ferritin | ug/L | ug/L, µg/L, mcg/L, ng/mL (all x1: 1 ng/mL = 1 µg/L) |
| cortisol | nmol/L | nmol/L (x1), µg/dL (x27.59), ng/mL and µg/L (x2.759) |

Cortisol: 1 µg/dL = 10 µg/L = 10 / 362.46 g/mol = 27.59 nmol/L. A known marker in a unit not
listed makes the whole file unreadable (`ParseError` naming line, marker and unit): a value
in the wrong unit is worse than no value. Other markers are kept as given (marker lower-cased,
unit as written, no conversion). A row whose day is not an ISO date or whose value is not a
number is skipped and counted.
"""

from __future__ import annotations

import polars as pl

from parsers.base import ParsedFile, ParseError, conform
from parsers.csv_long import first_error, read_text_csv, summarise_errors
from parsers.dates import choose

DAY_ALIASES = ("day", "date")
#: The documented layout first; its year-day-month twin only by the rule in parsers.dates.
DAY_LAYOUTS = ("%Y-%m-%d", "%Y-%d-%m")
#: Marker names (lower-case) -> canonical marker.
MARKERS = {
    "ferritin": "ferritin", "ferritine": "ferritin", "serum ferritin": "ferritin",
    "serum_ferritin": "ferritin", "ferritin (serum)": "ferritin",
    "cortisol": "cortisol", "serum cortisol": "cortisol", "serum_cortisol": "cortisol",
    "cortisol (serum)": "cortisol", "kortisol": "cortisol",
}  # fmt: skip
#: Stored unit per canonical marker, and accepted units (normalised) -> factor to it.
STORED_UNIT = {"ferritin": "ug/L", "cortisol": "nmol/L"}
FACTORS: dict[str, dict[str, float]] = {
    "ferritin": {"ug/l": 1.0, "mcg/l": 1.0, "ng/ml": 1.0},
    "cortisol": {"nmol/l": 1.0, "ug/dl": 27.59, "mcg/dl": 27.59, "ng/ml": 2.759, "ug/l": 2.759},
}
REASONS = {
    "lab_bad_day": "day is not an ISO date (YYYY-MM-DD)",
    "lab_bad_value": "value is not a number",
    "lab_no_marker": "marker is empty",
    "lab_no_unit": "unit is empty",
}


def looks_like(header: list[str]) -> bool:
    """True when CSV header names (lower-cased) are those of a lab-results CSV."""
    return (any(d in header for d in DAY_ALIASES)
            and {"marker", "value", "unit"} <= set(header))  # fmt: skip


def normalise_unit(unit: pl.Expr) -> pl.Expr:
    """`µg/dL`, `μg/dl`, `ug / dL` -> `ug/dl`: lower-case, micro signs as u, no spaces."""
    return unit.str.to_lowercase().str.replace_all("[µμ]", "u").str.replace_all(r"\s", "")


def parse(data: bytes, name: str = "") -> ParsedFile:
    """Parse a lab-results CSV into the `lab_results` frame (one unit per known marker)."""
    frame = read_text_csv(data)
    if "day" not in frame.columns and "date" in frame.columns:
        frame = frame.rename({"date": "day"})
    missing = [c for c in ("day", "marker", "value", "unit") if c not in frame.columns]
    if missing:
        raise ParseError(f"lab-results CSV needs the columns day, marker, value, unit; "
                         f"missing: {', '.join(missing)}")  # fmt: skip
    # one layout for the whole file (parsers.dates): ISO, or year-day-month when ISO
    # cannot read some rows and year-day-month reads them all as a steadier sequence
    day = choose(frame["day"], DAY_LAYOUTS, column="day").expr(pl.col("day"), False)
    value = pl.col("value").str.replace(",", ".").cast(pl.Float64, strict=False)
    raw_marker = pl.col("marker").str.to_lowercase().str.strip_chars()
    marker = raw_marker.replace_strict(MARKERS, default=raw_marker, return_dtype=pl.String)
    marked = frame.with_columns(
        first_error([
            ("lab_bad_day", day.is_null()),
            ("lab_no_marker", pl.col("marker").is_null()),
            ("lab_bad_value", value.is_null()),
            ("lab_no_unit", pl.col("unit").is_null()),
        ]),
        _marker=marker,
        _unit=normalise_unit(pl.col("unit").fill_null("")),
    )  # fmt: skip
    good = marked.filter(pl.col("_error").is_null())
    factor = pl.lit(None, dtype=pl.Float64)
    for m, units in FACTORS.items():
        factor = pl.when(pl.col("_marker") == m).then(
            pl.col("_unit").replace_strict(units, default=None, return_dtype=pl.Float64)
        ).otherwise(factor)
    good = good.with_columns(_factor=factor)
    bad_unit = good.filter(pl.col("_marker").is_in(list(FACTORS)) & pl.col("_factor").is_null())
    if bad_unit.height:
        line, m, unit = bad_unit.select("_line", "_marker", "unit").row(0)
        accepted = ", ".join(FACTORS[m])
        raise ParseError(
            f"lab-results CSV line {line}: unknown unit {unit!r} for {m} (accepted: {accepted});"
            f" {bad_unit.height} row(s) affected, none loaded"
        )
    known = pl.col("_marker").is_in(list(FACTORS))
    stored = pl.col("_marker").replace_strict(STORED_UNIT, default=None, return_dtype=pl.String)
    rows = good.select(
        *(["athlete_id"] if "athlete_id" in good.columns else []),
        day.alias("day"),
        pl.col("_marker").alias("marker"),
        pl.when(known).then(value * pl.col("_factor")).otherwise(value).alias("value"),
        pl.when(known).then(stored).otherwise(pl.col("unit")).alias("unit"),
    )
    dropped, problems = summarise_errors(marked.select("_line", "_error"), REASONS)
    if rows.height == 0:
        why = "; ".join(problems) if problems else "no data rows"
        raise ParseError(f"no usable rows in lab-results CSV: {why}")
    return ParsedFile(format="lab_csv", frames={"lab_results": conform(rows, "lab_results")},
                      problems=problems, dropped=dropped)  # fmt: skip
