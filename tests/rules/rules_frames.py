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
