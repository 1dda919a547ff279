"""Training-load rules: heavy weeks without recovery, strength increases on unstable sleep,
long sitting. Each is one function registered with `@rule` plus one table in ruleset.toml;
docs/rules.md defines every term ("heavy week", "recovery training", "stable sleep").
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

import polars as pl

from metrics.baseline import trailing_mean
from rules.catalogue import Rule
from rules.evaluate import RuleInputs, rule

# --------------------------------------------------------------------------- heavy weeks

_HEAVY = ("max_weeks", "heavy_ratio", "reference_weeks", "reference_min_weeks",
          "reference_lookback_weeks", "recovery_days", "recovery_day_ratio")  # fmt: skip


def _empty_candidates(**fields: pl.DataType) -> pl.DataFrame:
    schema = {
        "athlete_id": pl.String(),
        "day": pl.Date(),
        "level": pl.String(),
        "value": pl.Float64(),
        "threshold": pl.Float64(),
        "baseline": pl.Float64(),
        **fields,
    }
    return pl.DataFrame(schema=schema)


def _monday(day: date) -> date:
    """The ISO week's Monday (as polars' `dt.truncate("1w")`)."""
    return day - timedelta(days=day.weekday())


def heavy_week_table(daily: pl.DataFrame, r: Rule) -> pl.DataFrame:
    """Every complete ISO week with its load, reference, heaviness and streak (for the rule,
    tests and analysts): `athlete_id, week_start, load, reference, heavy, recovery_reset,
    streak`. `reference` is null while fewer than `reference_min_weeks` normal weeks exist.
    """
    t = {k: r.threshold("streak", k) for k in _HEAVY}
    ref_weeks, ref_min = int(t["reference_weeks"]), int(t["reference_min_weeks"])
    lookback = timedelta(weeks=int(t["reference_lookback_weeks"]))
    rows = []
    days = daily.select("athlete_id", "day", "is_rest_day", "load_trimp").sort("athlete_id", "day")
    # A recurrence over weeks (a week's reference depends on the weeks judged before it), so
    # it runs over plain tuples: one polars query per week cost ~0.8 s per 100 athlete-years.
    for athlete, athlete_days in groupby(days.iter_rows(), key=itemgetter(0)):
        normal: list[tuple[date, float, float, int]] = []  # week, load, training load, days
        streak, run = 0, 0
        last_day: date | None = None
        for start, week_rows in groupby(athlete_days, key=lambda row: _monday(row[1])):
            week = [(day, rest, load) for _, day, rest, load in week_rows]
            usable = [w for w in normal if w[0] >= start - lookback][-ref_weeks:]
            reference = training_day = None
            if len(usable) >= ref_min:
                reference = sum(w[1] for w in usable) / len(usable)
                n_train = sum(w[3] for w in usable)
                training_day = sum(w[2] for w in usable) / n_train if n_train else None
            reset = False
            for day, rest, load in week:
                load = load or 0.0
                easy = training_day is not None and load <= t["recovery_day_ratio"] * training_day
                recovery = bool(rest) or easy
                follows = last_day is not None and day - last_day == timedelta(days=1)
                run = (run + 1 if follows else 1) if recovery else 0
                last_day = day
                if run >= t["recovery_days"]:
                    reset = True
            complete = len(week) == 7
            load = float(sum(w_load or 0.0 for _, _, w_load in week))
            heavy = complete and reference is not None and load > t["heavy_ratio"] * reference
            streak = (1 if heavy else 0) if reset else (streak + 1 if heavy else 0)
            if complete and not heavy and load > 0:
                train = [w_load for _, rest, w_load in week if rest is False]
                train_load = float(sum(x for x in train if x is not None))
                normal.append((start, load, train_load, len(train)))
            if complete:
                rows.append((athlete, start, load, reference, heavy, reset, streak))
    return pl.DataFrame(
        rows,
        schema={"athlete_id": pl.String, "week_start": pl.Date, "load": pl.Float64,
                "reference": pl.Float64, "heavy": pl.Boolean, "recovery_reset": pl.Boolean,
                "streak": pl.Int64},
        orient="row",
    )  # fmt: skip


@rule("heavy_weeks_streak", levels={"streak": _HEAVY}, fields=("weeks", "ratio"))
def heavy_weeks_streak(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Warning on the last day (Sunday) of the 4th and each further heavy week in a row.

    A complete ISO week (Monday-Sunday, 7 daily rows) is heavy when its summed TRIMP is more
    than `heavy_ratio` x the athlete's reference week: the mean of the last
    `reference_weeks` complete non-heavy weeks with any load (within
    `reference_lookback_weeks`; at least `reference_min_weeks`, else not evaluated). A run
    of `recovery_days` consecutive recovery days (a rest day, or a day whose load is at most
    `recovery_day_ratio` x the mean load of a training day in the reference weeks) resets
    the streak.
    """
    max_weeks = r.threshold("streak", "max_weeks")
    ratio = r.threshold("streak", "heavy_ratio")
    if inputs.daily.is_empty():
        return _empty_candidates(weeks=pl.Float64(), ratio=pl.Float64())
    weeks = heavy_week_table(inputs.daily, r)
    return weeks.filter(pl.col("heavy") & (pl.col("streak") > max_weeks)).select(
        "athlete_id",
        day=pl.col("week_start") + timedelta(days=6),
        level=pl.lit("streak"),
        value=pl.col("load"),
        threshold=pl.col("reference") * ratio,
        baseline=pl.col("reference"),
        weeks=pl.col("streak").cast(pl.Float64),
        ratio=pl.col("load") / pl.col("reference"),
    )


# --------------------------------------------------------------------------- strength


_STRENGTH = ("increase_ratio", "window_days", "reference_weeks", "min_sleep_hours",
             "max_sd_hours", "min_nights")  # fmt: skip


@rule(
    "strength_up_unstable_sleep",
    levels={"up": _STRENGTH},
    fields=("nights", "short_nights", "shortest_hours", "sd_hours"),
)
def strength_up_unstable_sleep(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Watch on a day with strength training that raises the strength load while sleep of
    the last 7 nights was not stable.

    Strength load up: the strength TRIMP of days D-6..D (today's session included, and
    today > 0) is more than `increase_ratio` x the mean weekly strength TRIMP of the
    `reference_weeks` weeks before (days D-34..D-7, all present in daily_metrics).
    Stable sleep: of the nights D-6..D at least `min_nights` have a sleep value, none is under
    `min_sleep_hours` and their standard deviation is at most `max_sd_hours`. Unstable = at
    least `min_nights` present and a night under the minimum or a larger spread; with fewer
    nights the rule is not evaluated.
    """
    t = {k: r.threshold("up", k) for k in _STRENGTH}
    window = int(t["window_days"])
    ref_days = 7 * int(t["reference_weeks"])
    fields = {"nights": pl.Float64(), "short_nights": pl.Float64(),
              "shortest_hours": pl.Float64(), "sd_hours": pl.Float64()}  # fmt: skip
    if inputs.daily.is_empty() or inputs.nightly.is_empty():
        return _empty_candidates(**fields)
    daily = inputs.daily.select("athlete_id", "day", "strength_load").sort("athlete_id", "day")
    s = pl.col("strength_load").fill_null(0.0)
    ones = pl.col("athlete_id").is_not_null().cast(pl.Int64)  # 1 per row
    daily = daily.with_columns(
        _s7=s.rolling_sum_by("day", f"{window}d", closed="right").over("athlete_id"),
        _sref=s.rolling_sum_by("day", f"{ref_days}d", closed="right").over("athlete_id"),
        _nref=ones.rolling_sum_by("day", f"{ref_days}d", closed="right").over("athlete_id"),
    )
    # reference at D = the ref window ending on D - window (days D-34 .. D-7)
    ref = daily.select(
        "athlete_id",
        day=pl.col("day") + timedelta(days=window),
        _ref_week=pl.col("_sref") / t["reference_weeks"],
        _ref_n=pl.col("_nref"),
    )
    up = (
        daily.join(ref, on=["athlete_id", "day"], how="left")
        .filter(
            (pl.col("strength_load").fill_null(0.0) > 0)
            & (pl.col("_ref_n") == ref_days)
            & (pl.col("_s7") > t["increase_ratio"] * pl.col("_ref_week"))
        )
        .select("athlete_id", "day", "_s7", "_ref_week")
    )
    hours = pl.col("sleep_hours")
    nights = (
        inputs.nightly.select("athlete_id", "night", "sleep_hours")
        .filter(hours.is_not_null())
        .sort("athlete_id", "night")
        .with_columns(
            nights=ones.rolling_sum_by("night", f"{window}d", closed="right").over("athlete_id"),
            short_nights=(hours < t["min_sleep_hours"])
            .cast(pl.Int64)
            .rolling_sum_by("night", f"{window}d", closed="right")
            .over("athlete_id"),
            shortest_hours=hours.rolling_min_by("night", f"{window}d", closed="right").over(
                "athlete_id"
            ),
            sd_hours=hours.rolling_std_by("night", f"{window}d", closed="right").over("athlete_id"),
        )
        .select(
            "athlete_id",
            day="night",
            nights="nights",
            short_nights="short_nights",
            shortest_hours="shortest_hours",
            sd_hours="sd_hours",
        )  # fmt: skip
    )
    # the sleep window must end on D itself: a night on D is needed for an up-to-date window
    return (
        up.join(nights, on=["athlete_id", "day"], how="inner")
        .filter(
            (pl.col("nights") >= t["min_nights"])
            & (
                (pl.col("short_nights") > 0)
                | (pl.col("sd_hours").fill_null(0.0) > t["max_sd_hours"])
            )
        )
        .select(
            "athlete_id",
            "day",
            level=pl.lit("up"),
            value=pl.col("_s7"),
            threshold=pl.col("_ref_week") * t["increase_ratio"],
            baseline=pl.col("_ref_week"),
            nights=pl.col("nights").cast(pl.Float64),
            short_nights=pl.col("short_nights").cast(pl.Float64),
            shortest_hours=pl.col("shortest_hours").cast(pl.Float64),
            sd_hours=pl.col("sd_hours").cast(pl.Float64),
        )
    )


# --------------------------------------------------------------------------- sitting


@rule("sedentary_long", levels={"long": ("hours_above",)})
def sedentary_long(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Info on a day whose `sedentary_hours` is over the threshold (exactly on it: no flag).

    baseline = the athlete's mean sedentary_hours over the 28 days before (at least 7).
    """
    limit = r.threshold("long", "hours_above")
    if inputs.daily.is_empty():
        return _empty_candidates()
    return (
        inputs.daily.select("athlete_id", "day", "sedentary_hours")
        .sort("athlete_id", "day")
        .with_columns(
            baseline=trailing_mean("sedentary_hours", on="day").over("athlete_id"),
        )
        .filter(pl.col("sedentary_hours") > limit)
        .select(
            "athlete_id",
            "day",
            level=pl.lit("long"),
            value=pl.col("sedentary_hours"),
            threshold=pl.lit(limit),
            baseline="baseline",
        )
    )
