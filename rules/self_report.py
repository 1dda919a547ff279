"""Rules on self-reported wellness (the `wellness` table, passed as `extra["wellness"]`):
fatigue that persists after rest days, and mood or motivation falling against the athlete's
own baseline. Without a wellness frame they raise nothing.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from metrics.baseline import trailing_mean
from rules.catalogue import Rule
from rules.registry import RuleInputs, consecutive, empty_candidates, rule

#: Wellness score columns the rules read (docs/schema.md `wellness`).
SCORES = ("fatigue", "mood", "motivation")


def wellness_days(inputs: RuleInputs) -> pl.DataFrame | None:
    """One row per athlete-day with the mean of each score reported that day (None: no data)."""
    w = inputs.extra.get("wellness")
    if w is None or w.is_empty():
        return None
    cols = [c for c in SCORES if c in w.columns]
    return (
        w.select(
            pl.col("athlete_id").cast(pl.String),
            pl.col("day").cast(pl.Date),
            *[pl.col(c).cast(pl.Float64) for c in cols],
        )
        .group_by("athlete_id", "day")
        .agg(pl.col(c).mean() for c in cols)
        .with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in SCORES if c not in cols)
        .sort("athlete_id", "day")
    )


# --------------------------------------------------------------------------- fatigue


@rule("fatigue_persists", levels={"persists": ("fatigue_at_least", "rest_days")},
      fields=("rest_days",))  # fmt: skip
def fatigue_persists(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Warning on day D when the fatigue reported on D is at least the threshold and the
    `rest_days` (2) days right before D were full rest days (no activity).

    "After two rest days": the run of consecutive rest days ending on D-1 is at least
    `rest_days` long (D itself may be a further rest day). baseline = mean fatigue of the 28
    days before D (at least 7 reports); rest_days = the run's length.
    """
    high = r.threshold("persists", "fatigue_at_least")
    need = r.threshold("persists", "rest_days")
    w = wellness_days(inputs)
    if w is None or inputs.daily.is_empty():
        return empty_candidates(rest_days=pl.Float64())
    w = w.with_columns(baseline=trailing_mean("fatigue", on="day").over("athlete_id"))
    runs = (
        inputs.daily.select("athlete_id", "day", "is_rest_day")
        .sort("athlete_id", "day")
        .with_columns(_run=consecutive(pl.col("is_rest_day"), "day"))
        .select("athlete_id", day=pl.col("day") + timedelta(days=1), rest_days="_run")
    )
    return (
        w.join(runs, on=["athlete_id", "day"], how="inner")
        .filter((pl.col("fatigue") >= high) & (pl.col("rest_days") >= need))
        .select(
            "athlete_id",
            "day",
            level=pl.lit("persists"),
            value=pl.col("fatigue"),
            threshold=pl.lit(high),
            baseline="baseline",
            rest_days=pl.col("rest_days").cast(pl.Float64),
        )
    )


# --------------------------------------------------------------------------- mood / motivation

_DECLINE = ("sd_factor", "min_sd", "recent_days", "recent_min_days", "baseline_days",
            "baseline_min_days")  # fmt: skip


def decline(w: pl.DataFrame, score: str, t: dict[str, float]) -> pl.DataFrame:
    """`athlete_id, day, value, threshold, baseline, sd, z` for each day with a report of
    `score` whose recent mean is below the baseline by more than the allowed drop.

    recent = mean of days D-(recent_days-1)..D (at least recent_min_days reports);
    baseline, sd = mean and SD (ddof 1) of the `baseline_days` days before the recent window
    (at least baseline_min_days reports); falling when recent < baseline - sd_factor x
    max(sd, min_sd).
    """
    recent, base_days = int(t["recent_days"]), int(t["baseline_days"])
    span = w.group_by("athlete_id").agg(first=pl.col("day").min(), last=pl.col("day").max())
    calendar = span.select("athlete_id", day=pl.date_ranges("first", "last", "1d")).explode("day")
    x = pl.col(score)
    present = x.is_not_null().cast(pl.Int64)
    frame = (
        calendar.join(w.select("athlete_id", "day", score), on=["athlete_id", "day"], how="left")
        .sort("athlete_id", "day")
        .with_columns(
            _rn=present.rolling_sum(recent, min_samples=1).over("athlete_id"),
            _rs=x.fill_null(0.0).rolling_sum(recent, min_samples=1).over("athlete_id"),
            _bn=present.rolling_sum(base_days, min_samples=1).shift(recent).over("athlete_id"),
            _bs=x.fill_null(0.0).rolling_sum(base_days, min_samples=1).shift(recent)
            .over("athlete_id"),
            _bq=(x * x).fill_null(0.0).rolling_sum(base_days, min_samples=1).shift(recent)
            .over("athlete_id"),
        )  # fmt: skip
        .filter(
            x.is_not_null()
            & (pl.col("_rn") >= t["recent_min_days"])
            & (pl.col("_bn") >= t["baseline_min_days"])
        )
        .with_columns(
            value=pl.col("_rs") / pl.col("_rn"),
            baseline=pl.col("_bs") / pl.col("_bn"),
            sd=((pl.col("_bq") - pl.col("_bs") ** 2 / pl.col("_bn")) / (pl.col("_bn") - 1))
            .clip(lower_bound=0.0)
            .sqrt(),
        )
        .with_columns(
            threshold=pl.col("baseline")
            - t["sd_factor"] * pl.max_horizontal("sd", pl.lit(t["min_sd"]))
        )
    )
    return frame.filter(pl.col("value") < pl.col("threshold")).select(
        "athlete_id", "day", "value", "threshold", "baseline", "sd",
        z=(pl.col("baseline") - pl.col("value")) / pl.max_horizontal("sd", pl.lit(t["min_sd"])),
    )  # fmt: skip


@rule(
    "wellness_decline",
    levels={"motivation": _DECLINE, "mood": _DECLINE},
    fields=("drop", "sd"),
)
def wellness_decline(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Watch while mood or motivation (7-day mean) is below the athlete's own baseline of the
    4 weeks before by more than their usual spread. When both fall on a day, the flag
    reports motivation (the article's "dalende motivatie")."""
    w = wellness_days(inputs)
    if w is None:
        return empty_candidates(drop=pl.Float64(), sd=pl.Float64())
    parts = []
    for level in ("motivation", "mood"):
        t = {k: r.threshold(level, k) for k in _DECLINE}
        parts.append(decline(w, level, t).with_columns(level=pl.lit(level)))
    both = pl.concat(parts)
    first = both.group_by("athlete_id", "day", maintain_order=True).first()
    return first.select(
        "athlete_id", "day", "level", "value", "threshold", "baseline",
        drop=pl.col("baseline") - pl.col("value"), sd="sd",
    )  # fmt: skip
