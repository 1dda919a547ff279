"""Builders for nightly/daily frames as the rules see them (tests only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from metrics.load import DAILY_COLUMNS
from metrics.nightly import NIGHTLY_COLUMNS

D0 = date(2025, 3, 1)
AT = datetime(2025, 4, 1, 4, 0, tzinfo=UTC)


def nights(athlete: str = "a", start: date = D0, **columns: list) -> pl.DataFrame:
    """Consecutive nights from `start`; pass column lists, None = missing value."""
    n = len(next(iter(columns.values())))
    data = {"athlete_id": [athlete] * n, "night": [start + timedelta(days=i) for i in range(n)]}
    data |= columns
    out = pl.DataFrame(data, schema_overrides={"night": pl.Date}, strict=False)
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in NIGHTLY_COLUMNS.items()
    )


def days(rest: list[bool | None], athlete: str = "a", start: date = D0) -> pl.DataFrame:
    out = pl.DataFrame(
        {"athlete_id": [athlete] * len(rest),
         "day": [start + timedelta(days=i) for i in range(len(rest))], "is_rest_day": rest},
        schema_overrides={"is_rest_day": pl.Boolean},
    )  # fmt: skip
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in DAILY_COLUMNS.items()
    )


def no_nights() -> pl.DataFrame:
    return pl.DataFrame(schema=NIGHTLY_COLUMNS)


def no_days() -> pl.DataFrame:
    return pl.DataFrame(schema=DAILY_COLUMNS)


#: A Monday, for rules that count ISO weeks.
MONDAY = date(2025, 3, 3)


def daily(athlete: str = "a", start: date = D0, **columns: list) -> pl.DataFrame:
    """Consecutive days from `start` with the given daily_metrics columns (is_rest_day
    defaults to load_trimp == 0 when only loads are given)."""
    n = len(next(iter(columns.values())))
    data = {"athlete_id": [athlete] * n, "day": [start + timedelta(days=i) for i in range(n)]}
    data |= columns
    if "is_rest_day" not in data and "load_trimp" in data:
        data["is_rest_day"] = [not x for x in data["load_trimp"]]
    out = pl.DataFrame(data, schema_overrides={"day": pl.Date}, strict=False)
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in DAILY_COLUMNS.items()
    )


def wellness(athlete: str = "a", start: date = D0, **columns: list) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    data = {"athlete_id": [athlete] * n, "day": [start + timedelta(days=i) for i in range(n)]}
    data |= {k: [None if v is None else float(v) for v in vs] for k, vs in columns.items()}
    return pl.DataFrame(data, schema_overrides={"day": pl.Date})


def labs(rows: list[tuple], athlete: str = "a") -> pl.DataFrame:
    """(day, marker, value, unit) rows as a lab_results frame."""
    return pl.DataFrame(
        [(athlete, *r) for r in rows],
        schema={"athlete_id": pl.String, "day": pl.Date, "marker": pl.String,
                "value": pl.Float64, "unit": pl.String},
        orient="row",
    )  # fmt: skip


def weeks_of_load(week_loads: list[float], training_days: int = 5) -> list[float]:
    """Daily loads for whole weeks: each week's load spread over its first training days."""
    out: list[float] = []
    for total in week_loads:
        out += [total / training_days] * training_days + [0.0] * (7 - training_days)
    return out
