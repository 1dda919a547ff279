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
from rules.registry import RuleInputs, empty_candidates, rule

# --------------------------------------------------------------------------- heavy weeks

_HEAVY = ("max_weeks", "heavy_ratio", "bridge_weeks", "reference_min_weeks",
          "reference_lookback_weeks", "recovery_days", "recovery_day_ratio")  # fmt: skip


def _monday(day: date) -> date:
    """The ISO week's Monday (as polars' `dt.truncate("1w")`)."""
    return day - timedelta(days=day.weekday())


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _reference(history: list[tuple[date, float, float, int]], start: date, t: dict):
    """(usual week, usual training day) before the week starting `start`, or (None, None).

    Usual week: the median load of the complete weeks with any load in the
    `reference_lookback_weeks` before (heavy and easy weeks included: a median is not
    dragged down by two weeks of holiday, and a lasting new level becomes the usual one).
    Usual training day: the mean load of a training day in those weeks.
    """
    lookback = timedelta(weeks=int(t["reference_lookback_weeks"]))
    usable = [w for w in history if w[0] >= start - lookback]
    if len(usable) < int(t["reference_min_weeks"]):
        return None, None
    n_train = sum(w[3] for w in usable)
    training_day = sum(w[2] for w in usable) / n_train if n_train else None
    return _median([w[1] for w in usable]), training_day


def heavy_week_table(daily: pl.DataFrame, r: Rule) -> pl.DataFrame:
    """Every complete ISO week with its load, reference, heaviness and block count (for the
    rule, tests and analysts): `athlete_id, week_start, load, reference, heavy,
    recovery_reset, streak`. `streak` = heavy weeks in the current block; `reference` is
    null while fewer than `reference_min_weeks` weeks with load exist.

    A block of heavy weeks runs until a recovery block (`recovery_days` recovery days in a
    row) or more than `bridge_weeks` non-heavy weeks in a row; one ordinary week between
    heavy weeks is no recovery. While a block runs, its weeks are judged against the usual
    week of the block's first week (frozen), so the block never raises its own reference.
    """
    t = {k: r.threshold("streak", k) for k in _HEAVY}
    bridge = int(t["bridge_weeks"])
    rows = []
    days = daily.select("athlete_id", "day", "is_rest_day", "load_trimp").sort("athlete_id", "day")
    # A recurrence over weeks (a week's reference depends on the weeks judged before it), so
    # it runs over plain tuples: one polars query per week cost ~0.8 s per 100 athlete-years.
    for athlete, athlete_days in groupby(days.iter_rows(), key=itemgetter(0)):
        history: list[tuple[date, float, float, int]] = []  # week, load, training load, days
        streak, gap, run = 0, 0, 0
        frozen: tuple[float | None, float | None] = (None, None)
        last_day: date | None = None
        for start, week_rows in groupby(athlete_days, key=lambda row: _monday(row[1])):
            week = [(day, rest, load) for _, day, rest, load in week_rows]
            reference, training_day = frozen if streak else _reference(history, start, t)
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
            if reset:
                streak, gap = (1 if heavy else 0), 0
            elif heavy:
                streak, gap = streak + 1, 0
            else:
                gap += 1
                streak = streak if gap <= bridge else 0
            if heavy and streak == 1:
                frozen = (reference, training_day)
            if complete and load > 0:
                train = [w_load for _, rest, w_load in week if rest is False]
                train_load = float(sum(x for x in train if x is not None))
                history.append((start, load, train_load, len(train)))
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
    """Warning on the last day (Sunday) of the 4th and each further heavy week of a block.

    A complete ISO week (Monday-Sunday, 7 daily rows) is heavy when its summed TRIMP is more
    than `heavy_ratio` x the athlete's usual week (`_reference`: the median week of the last
    `reference_lookback_weeks`, frozen while a block runs; at least `reference_min_weeks`,
    else not evaluated). A block ends with `recovery_days` consecutive recovery days (a rest
    day, or a day whose load is at most `recovery_day_ratio` x the usual training day) or
    more than `bridge_weeks` non-heavy weeks in a row (see `heavy_week_table`).
    """
    max_weeks = r.threshold("streak", "max_weeks")
    ratio = r.threshold("streak", "heavy_ratio")
    if inputs.daily.is_empty():
        return empty_candidates(weeks=pl.Float64(), ratio=pl.Float64())
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
_QUALITY = ("min_reports", "max_quality_drop", "baseline_days", "baseline_min_reports")
_STRENGTH_FIELDS = ("nights", "short_nights", "shortest_hours", "sd_hours", "reports",
                    "lowest_quality", "quality_baseline")  # fmt: skip


def strength_increases(daily: pl.DataFrame, t: dict[str, float]) -> pl.DataFrame:
    """`athlete_id, day, _s7, _ref_week`: days whose session *makes* the increase.

    up(D): the strength TRIMP of days D-6..D is more than `increase_ratio` x the mean weekly
    strength TRIMP of the `reference_weeks` weeks before (days D-34..D-7, all present). A
    day is an increase when it has strength training, up(D) holds and up(D-1) did not: the
    usual session a week after an extra one (the extra still in the window) is no new
    increase, so the increase is flagged once.
    """
    window = int(t["window_days"])
    ref_days = 7 * int(t["reference_weeks"])
    s = pl.col("strength_load").fill_null(0.0)
    ones = pl.col("athlete_id").is_not_null().cast(pl.Int64)  # 1 per row
    frame = (
        daily.select("athlete_id", "day", "strength_load")
        .sort("athlete_id", "day")
        .with_columns(
            _s7=s.rolling_sum_by("day", f"{window}d", closed="right").over("athlete_id"),
            _sref=s.rolling_sum_by("day", f"{ref_days}d", closed="right").over("athlete_id"),
            _nref=ones.rolling_sum_by("day", f"{ref_days}d", closed="right").over("athlete_id"),
        )
    )
    # reference at D = the ref window ending on D - window (days D-34 .. D-7)
    ref = frame.select(
        "athlete_id",
        day=pl.col("day") + timedelta(days=window),
        _ref_week=pl.col("_sref") / t["reference_weeks"],
        _ref_n=pl.col("_nref"),
    )
    up = frame.join(ref, on=["athlete_id", "day"], how="left").with_columns(
        _up=((pl.col("_ref_n") == ref_days) & (pl.col("_s7") > t["increase_ratio"] * pl.col(
            "_ref_week"))).fill_null(False)
    )  # fmt: skip
    before = up.select("athlete_id", day=pl.col("day") + timedelta(days=1), _up_before="_up")
    return (
        up.join(before, on=["athlete_id", "day"], how="left")
        .filter(
            (pl.col("strength_load").fill_null(0.0) > 0)
            & pl.col("_up")
            & ~pl.col("_up_before").fill_null(False)
        )
        .select("athlete_id", "day", "_s7", "_ref_week")
    )


def _sleep_duration_window(nightly: pl.DataFrame, window: int, t: dict) -> pl.DataFrame:
    """Per night D: nights with sleep in D-6..D, short ones, the shortest, their SD, and
    `_unstable_hours` (a night under `min_sleep_hours` or SD over `max_sd_hours`)."""
    hours = pl.col("sleep_hours")
    ones = pl.col("athlete_id").is_not_null().cast(pl.Int64)

    def roll(expr: pl.Expr) -> pl.Expr:
        return expr.rolling_sum_by("night", f"{window}d", closed="right").over("athlete_id")

    return (
        nightly.select("athlete_id", "night", "sleep_hours")
        .filter(hours.is_not_null())
        .sort("athlete_id", "night")
        .with_columns(
            nights=roll(ones),
            short_nights=roll((hours < t["min_sleep_hours"]).cast(pl.Int64)),
            shortest_hours=hours.rolling_min_by("night", f"{window}d", closed="right").over(
                "athlete_id"
            ),
            sd_hours=hours.rolling_std_by("night", f"{window}d", closed="right").over("athlete_id"),
        )
        .select(
            "athlete_id",
            day="night",
            nights=pl.col("nights").cast(pl.Float64),
            short_nights=pl.col("short_nights").cast(pl.Float64),
            shortest_hours="shortest_hours",
            sd_hours="sd_hours",
            _hours_ok=pl.col("nights") >= t["min_nights"],
            _unstable_hours=(pl.col("short_nights") > 0)
            | (pl.col("sd_hours").fill_null(0.0) > t["max_sd_hours"]),
        )
    )


def _sleep_quality_window(wellness: pl.DataFrame | None, window: int, q: dict) -> pl.DataFrame:
    """Per day D with a report: reports of sleep quality in D-6..D, the lowest, the mean of
    the `baseline_days` before the window, and `_unstable_quality` (lowest more than
    `max_quality_drop` points under that mean)."""
    schema = {"athlete_id": pl.String, "day": pl.Date, "reports": pl.Float64,
              "lowest_quality": pl.Float64, "quality_baseline": pl.Float64,
              "_quality_ok": pl.Boolean, "_unstable_quality": pl.Boolean}  # fmt: skip
    if wellness is None or wellness.is_empty() or "sleep_quality" not in wellness.columns:
        return pl.DataFrame(schema=schema)
    base_days = int(q["baseline_days"])
    x = pl.col("sleep_quality")
    w = (
        wellness.select(
            pl.col("athlete_id").cast(pl.String), pl.col("day").cast(pl.Date), x.cast(pl.Float64)
        )
        .filter(x.is_not_null())
        .group_by("athlete_id", "day")
        .agg(x.mean())
        .sort("athlete_id", "day")
    )
    one = x.is_not_null().cast(pl.Float64)  # 1 per report
    span = f"{window + base_days}d"
    framed = w.with_columns(
        reports=one.rolling_sum_by("day", f"{window}d", closed="right").over("athlete_id"),
        lowest_quality=x.rolling_min_by("day", f"{window}d", closed="right").over("athlete_id"),
        _sum_all=x.rolling_sum_by("day", span, closed="right").over("athlete_id"),
        _n_all=one.rolling_sum_by("day", span, closed="right").over("athlete_id"),
        _sum_w=x.rolling_sum_by("day", f"{window}d", closed="right").over("athlete_id"),
    ).with_columns(_n_base=pl.col("_n_all") - pl.col("reports"))
    baseline = pl.when(pl.col("_n_base") > 0).then(
        (pl.col("_sum_all") - pl.col("_sum_w")) / pl.col("_n_base")
    )
    return framed.with_columns(quality_baseline=baseline).select(
        "athlete_id", "day", "reports", "lowest_quality", "quality_baseline",
        _quality_ok=(pl.col("reports") >= q["min_reports"])
        & (pl.col("_n_base") >= q["baseline_min_reports"]),
        _unstable_quality=(pl.col("quality_baseline") - pl.col("lowest_quality"))
        > q["max_quality_drop"],
    )  # fmt: skip


@rule(
    "strength_up_unstable_sleep",
    levels={"up": _STRENGTH, "up_quality": _QUALITY},
    fields=_STRENGTH_FIELDS,
)
def strength_up_unstable_sleep(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Watch on the day a strength session raises the strength load (`strength_increases`)
    while sleep of the last 7 nights was not stable.

    Stable sleep, by what the athlete has: where they report sleep quality (wellness
    `sleep_quality`, at least `min_reports` reports in D-6..D and `baseline_min_reports` in
    the `baseline_days` before), by that: unstable when the lowest report is more than
    `max_quality_drop` points under their own mean before (level `up_quality`). Otherwise
    by duration and regularity (level `up`): of the nights D-6..D at least `min_nights`
    have a sleep value (night D among them), and a night is under `min_sleep_hours` or their
    standard deviation is over `max_sd_hours`. With neither the rule is not evaluated.
    """
    t = {k: r.threshold("up", k) for k in _STRENGTH}
    q = {k: r.threshold("up_quality", k) for k in _QUALITY}
    window = int(t["window_days"])
    fields = {f: pl.Float64() for f in _STRENGTH_FIELDS}
    if inputs.daily.is_empty():
        return empty_candidates(**fields)
    up = strength_increases(inputs.daily, t)
    hours = None
    if not inputs.nightly.is_empty():
        hours = _sleep_duration_window(inputs.nightly, window, t)
    quality = _sleep_quality_window(inputs.extra.get("wellness"), window, q)
    joined = up.join(quality, on=["athlete_id", "day"], how="left")
    if hours is not None:
        joined = joined.join(hours, on=["athlete_id", "day"], how="left")
    else:
        joined = joined.with_columns(
            pl.lit(None, dtype=pl.Float64).alias(c)
            for c in ("nights", "short_nights", "shortest_hours", "sd_hours")
        ).with_columns(_hours_ok=pl.lit(None, pl.Boolean), _unstable_hours=pl.lit(None, pl.Boolean))
    by_quality = pl.col("_quality_ok").fill_null(False)
    by_hours = ~by_quality & pl.col("_hours_ok").fill_null(False)
    level = (
        pl.when(by_quality & pl.col("_unstable_quality").fill_null(False))
        .then(pl.lit("up_quality"))
        .when(by_hours & pl.col("_unstable_hours").fill_null(False))
        .then(pl.lit("up"))
    )
    return (
        joined.with_columns(level=level)
        .filter(pl.col("level").is_not_null())
        .select(
            "athlete_id",
            "day",
            "level",
            pl.col("_s7").alias("value"),
            (pl.col("_ref_week") * t["increase_ratio"]).alias("threshold"),
            pl.col("_ref_week").alias("baseline"),
            *[pl.col(f).cast(pl.Float64) for f in _STRENGTH_FIELDS],
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
        return empty_candidates()
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
