"""Fitness, fatigue, form: the performance-management chart (PMC) on daily TRIMP.

Banister's impulse-response model as Coggan's Performance Manager and GoldenCheetah compute
it (docs/metrics.md "Fitness, fatigue and form"), on `daily_metrics.load_trimp`:

    CTL(D) = CTL(D-1) x e^(-1/42) + load(D) x (1 - e^(-1/42))     chronic load, "fitness"
    ATL(D) = ATL(D-1) x e^(-1/7)  + load(D) x (1 - e^(-1/7))      acute load, "fatigue"
    TSB(D) = CTL(D-1) - ATL(D-1)                                  balance, "form"
    ramp_rate(D) = CTL(D) - CTL(D-7)                              CTL points per week

CTL and ATL start from 0 on the day before the athlete's first day (GoldenCheetah's and
intervals.icu's default), so both read low for the first weeks. All are in TRIMP per day.
"""

from __future__ import annotations

import math
from datetime import timedelta

import polars as pl

#: Time constants in days (Coggan; GoldenCheetah's defaults "LTS 42, STS 7").
CTL_DAYS = 42
ATL_DAYS = 7
#: Days between the two CTL values of the ramp rate.
RAMP_DAYS = 7
PMC_COLUMNS = ("ctl", "atl", "tsb", "ramp_rate")


def _alpha(days: int) -> float:
    """Weight of today's load: 1 - e^(-1/days) (GoldenCheetah's exponential decay)."""
    return 1.0 - math.exp(-1.0 / days)


def with_pmc(daily: pl.DataFrame, seed: pl.DataFrame | None = None) -> pl.DataFrame:
    """`daily` (`athlete_id, day, load_trimp`, one row per calendar day) with ctl, atl, tsb
    and ramp_rate (replacing any present).

    `seed` (stored `daily_metrics` rows: `athlete_id, day` + PMC_COLUMNS) carries an athlete's
    history up to the last seed day: rows up to that day take the seed's values, and the
    recursion continues from its ctl and atl, so an incremental run equals a full one.
    """
    daily = daily.drop(*PMC_COLUMNS, strict=False)
    if daily.is_empty():
        return daily.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in PMC_COLUMNS)
    days = daily.select("athlete_id", "day", x=pl.col("load_trimp").fill_null(0.0))
    if seed is None or seed.is_empty():
        seed = pl.DataFrame(schema={"athlete_id": pl.String, "day": pl.Date,
                                    **{c: pl.Float64 for c in PMC_COLUMNS}})  # fmt: skip
    seed = seed.select(
        pl.col("athlete_id").cast(pl.String),
        pl.col("day").cast(pl.Date),
        *[pl.col(c).cast(pl.Float64) for c in PMC_COLUMNS],
    ).filter(pl.col("athlete_id").is_in(days["athlete_id"].unique().to_list()))
    last = (
        seed.filter(pl.col("ctl").is_not_null() & pl.col("atl").is_not_null())
        .sort("day")
        .group_by("athlete_id")
        .agg(_s=pl.col("day").last(), _ctl=pl.col("ctl").last(), _atl=pl.col("atl").last())
    )
    first = days.group_by("athlete_id").agg(_first=pl.col("day").min())
    start = first.join(last, on="athlete_id", how="left").select(
        "athlete_id",
        _s=pl.coalesce("_s", pl.col("_first") - timedelta(days=1)),
        _ctl=pl.col("_ctl").fill_null(0.0),
        _atl=pl.col("_atl").fill_null(0.0),
    )
    # the series: the start row (seed day, or a virtual zero day), then every later day
    head = start.select("athlete_id", day="_s", x_ctl="_ctl", x_atl="_atl")
    tail = (
        days.join(start.select("athlete_id", "_s"), on="athlete_id")
        .filter(pl.col("day") > pl.col("_s"))
        .select("athlete_id", "day", x_ctl="x", x_atl="x")
    )
    series = (
        pl.concat([head, tail])
        .sort("athlete_id", "day")
        .with_columns(
            ctl=pl.col("x_ctl").ewm_mean(alpha=_alpha(CTL_DAYS), adjust=False).over("athlete_id"),
            atl=pl.col("x_atl").ewm_mean(alpha=_alpha(ATL_DAYS), adjust=False).over("athlete_id"),
        )
        .select("athlete_id", "day", "ctl", "atl")
    )
    # CTL history for the ramp: seeded days before the start row, the series from it on
    # (the virtual zero day is no measured CTL: the first RAMP_DAYS days have no ramp)
    real = series.join(first, on="athlete_id").filter(pl.col("day") >= pl.col("_first"))
    history = pl.concat([
        seed.join(start.select("athlete_id", "_s"), on="athlete_id")
        .filter(pl.col("day") < pl.col("_s")).select("athlete_id", "day", "ctl"),
        real.select("athlete_id", "day", "ctl"),
    ])  # fmt: skip
    before = series.select(
        "athlete_id", day=pl.col("day") + timedelta(days=1), tsb=pl.col("ctl") - pl.col("atl")
    )
    week_ago = history.select(
        "athlete_id", day=pl.col("day") + timedelta(days=RAMP_DAYS), _ctl_7=pl.col("ctl")
    )
    computed = (
        series.join(before, on=["athlete_id", "day"], how="left")
        .join(week_ago, on=["athlete_id", "day"], how="left")
        .join(start.select("athlete_id", "_s"), on="athlete_id")
        .filter(pl.col("day") > pl.col("_s"))
        .select("athlete_id", "day", "ctl", "atl", "tsb",
                ramp_rate=pl.col("ctl") - pl.col("_ctl_7"))  # fmt: skip
    )
    kept = seed.join(start.select("athlete_id", "_s"), on="athlete_id").filter(
        pl.col("day") <= pl.col("_s")
    )
    values = pl.concat([computed, kept.select("athlete_id", "day", *PMC_COLUMNS)])
    return daily.join(values, on=["athlete_id", "day"], how="left", maintain_order="left")
