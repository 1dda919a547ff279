"""The first nightly and daily rules: resting HR against the baseline, short-sleep streaks,
sleep out of range, no rest day. Each is one function registered with `@rule` plus one
table in ruleset.toml (docs/rules.md).
"""

from __future__ import annotations

import polars as pl

from rules.catalogue import Rule
from rules.registry import RuleInputs, consecutive, nightly_candidates, rule


@rule(
    "rhr_elevated",
    levels={"high": ("pct_above", "bpm_above"), "above": ("pct_above",), "below": ("pct_below",)},
    fields=("pct", "diff_bpm"),
)
def rhr_elevated(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Resting HR against the personal baseline; the most severe level per night.

    Compared as 100 x (value - baseline) > pct x baseline, so a value of exactly +8 % is
    not over +8 % even in floating point.
    """
    high_pct, high_bpm = r.threshold("high", "pct_above"), r.threshold("high", "bpm_above")
    above_pct, below_pct = r.threshold("above", "pct_above"), r.threshold("below", "pct_below")
    v, b = pl.col("value"), pl.col("baseline")
    c = nightly_candidates(inputs.nightly, "resting_hr", "resting_hr_baseline")
    c = c.filter(b.is_not_null() & (b > 0))
    level = (
        pl.when((100 * (v - b) > high_pct * b) | (v - b > high_bpm))
        .then(pl.lit("high"))
        .when(100 * (v - b) > above_pct * b)
        .then(pl.lit("above"))
        .when(100 * (b - v) > below_pct * b)
        .then(pl.lit("below"))
    )
    threshold = (
        pl.when(pl.col("level") == "high")
        .then(pl.min_horizontal(b * (1 + high_pct / 100), b + high_bpm))
        .when(pl.col("level") == "above")
        .then(b * (1 + above_pct / 100))
        .otherwise(b * (1 - below_pct / 100))
    )
    return (
        c.with_columns(level=level)
        .filter(pl.col("level").is_not_null())
        .with_columns(
            threshold=threshold,
            pct=100 * (v - b).abs() / b,
            diff_bpm=(v - b).abs(),
        )
    )


@rule("sleep_short_streak", levels={"streak": ("hours_below", "nights")}, fields=("nights",))
def sleep_short_streak(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Warning on the Nth and each further consecutive calendar night under the hours."""
    hours, need = r.threshold("streak", "hours_below"), r.threshold("streak", "nights")
    nights = (
        inputs.nightly.select("athlete_id", "night", "sleep_hours")
        .sort("athlete_id", "night")
        .with_columns(nights=consecutive(pl.col("sleep_hours") < hours, "night"))
    )
    return nights.filter(pl.col("nights") >= need).select(
        "athlete_id",
        day=pl.col("night"),
        level=pl.lit("streak"),
        value=pl.col("sleep_hours"),
        threshold=pl.lit(hours),
        baseline=pl.lit(None, dtype=pl.Float64),
        nights=pl.col("nights"),
    )


@rule("sleep_out_of_range", levels={"short": ("hours_below",), "long": ("hours_above",)})
def sleep_out_of_range(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Info when a night's sleep is outside the normal range (bounds themselves are normal)."""
    low, high = r.threshold("short", "hours_below"), r.threshold("long", "hours_above")
    v = pl.col("value")
    return (
        nightly_candidates(inputs.nightly, "sleep_hours")
        .with_columns(
            level=pl.when(v < low).then(pl.lit("short")).when(v > high).then(pl.lit("long"))
        )
        .filter(pl.col("level").is_not_null())
        .with_columns(threshold=pl.when(pl.col("level") == "short").then(low).otherwise(high))
    )


@rule("no_rest_day", levels={"no_rest": ("days",)})
def no_rest_day(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Warning on day D when each of the `days` local days D-6..D (for 7) had an activity.

    A run of training days counts only over consecutive daily rows with is_rest_day known,
    so a week with a gap in the data is not evaluated. value = training days in a row.
    """
    days = r.threshold("no_rest", "days")
    return (
        inputs.daily.select("athlete_id", "day", "is_rest_day")
        .sort("athlete_id", "day")
        .with_columns(run=consecutive(~pl.col("is_rest_day"), "day"))
        .filter(pl.col("run") >= days)
        .select(
            "athlete_id",
            "day",
            level=pl.lit("no_rest"),
            value=pl.col("run").cast(pl.Float64),
            threshold=pl.lit(days),
            baseline=pl.lit(None, dtype=pl.Float64),
        )
    )
