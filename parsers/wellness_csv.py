"""Self-reported wellness CSV: one row per day, any subset of the score columns.

    day,fatigue,mood,motivation,stress,soreness,sleep_quality
    2024-03-01,3,7,8,4,2,6

A header is required; `date` is accepted for `day`, an optional `athlete_id` column names
the athlete per row, unknown columns are ignored, BOM and blank lines are tolerated, `;`
works as separator and `,` as decimal mark in `;` files. Scores are kept as given
(typically 1-10). A row whose day is not an ISO date is skipped and counted; a score that
is not a number becomes null and is counted.
"""

from __future__ import annotations

import polars as pl

from parsers.base import CANONICAL, ParsedFile, ParseError, conform
from parsers.csv_long import first_error, read_text_csv, summarise_errors
from parsers.dates import choose

SCORES = tuple(c for c in CANONICAL["wellness"] if c != "day")
DAY_ALIASES = ("day", "date")
#: The documented layout first; its year-day-month twin only by the rule in parsers.dates.
DAY_LAYOUTS = ("%Y-%m-%d", "%Y-%d-%m")
REASONS = {
    "wellness_bad_day": "day is not an ISO date (YYYY-MM-DD)",
    "wellness_bad_score": "score is not a number (kept as empty)",
}


def looks_like(header: list[str]) -> bool:
    """True when CSV header names (lower-cased) are those of a wellness CSV."""
    return any(d in header for d in DAY_ALIASES) and any(s in header for s in SCORES)


def _number(col: str) -> pl.Expr:
    return pl.col(col).str.replace(",", ".").cast(pl.Float64, strict=False)


def parse(data: bytes, name: str = "") -> ParsedFile:
    """Parse a wellness CSV into the `wellness` frame."""
    frame = read_text_csv(data)
    if "day" not in frame.columns and "date" in frame.columns:
        frame = frame.rename({"date": "day"})
    scores = [s for s in SCORES if s in frame.columns]
    if "day" not in frame.columns or not scores:
        raise ParseError("wellness CSV needs a header with `day` and at least one of "
                         + ", ".join(SCORES))
    # one layout for the whole file (parsers.dates): ISO, or year-day-month when ISO
    # cannot read some rows and year-day-month reads them all as a steadier sequence
    day = choose(frame["day"], DAY_LAYOUTS, column="day").expr(pl.col("day"), False)
    marked = frame.with_columns(first_error([("wellness_bad_day", day.is_null())]))
    bad_scores = pl.concat([
        marked.filter(pl.col("_error").is_null() & pl.col(s).is_not_null()
                      & _number(s).is_null())
        .select("_line", pl.lit("wellness_bad_score").alias("_error"))
        for s in scores
    ])
    dropped, problems = summarise_errors(
        pl.concat([marked.select("_line", "_error"), bad_scores]), REASONS)
    good = marked.filter(pl.col("_error").is_null()).select(
        *(["athlete_id"] if "athlete_id" in marked.columns else []),
        day.alias("day"), *[_number(s).alias(s) for s in scores],
    )
    if good.height == 0 and problems:
        raise ParseError("no usable rows in wellness CSV: " + "; ".join(problems))
    frames = {"wellness": conform(good, "wellness")} if good.height else {}
    return ParsedFile(format="wellness_csv", frames=frames, problems=problems, dropped=dropped)
