"""Whether each rule could be evaluated on each athlete-day, and if not why.

A day without data is "not evaluable", never "OK" (GGIR reports valid days the same way).
`evaluability` returns one row per athlete, calendar day and enabled rule (table
`rule_evaluability`); the calendar runs from the athlete's first to last day in `nightly`
or `daily`, so a night with no recording is a row too. Reasons (docs/rules.md):

- `no_night_recorded`: nothing recorded for that night (or day) for what the rule reads;
- `baseline_too_short`: the value is there but the personal baseline the rule compares
  against has too few earlier nights (or results);
- `coverage_too_low`: the source recorded the night but too little of it for a value
  (coverage > 0, no value), or too few nights in the rule's recent window;
- `not_measured_by_source`: the athlete's source gave no such value on this night or any of
  the `SOURCE_NIGHTS` nights before (a phone app without HRV, Apple's SDNN-only HRV; a day
  without a blood test for lab rules).

Only backward-looking windows are used, so an incremental nightly run, which reads
150 days back, gives the same rows as a rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from metrics.baseline import trailing_count
from rules.catalogue import RuleSet

#: The reason codes, in the order docs/rules.md lists them (a DuckDB ENUM in the warehouse).
REASONS = ("no_night_recorded", "baseline_too_short", "coverage_too_low",
           "not_measured_by_source")  # fmt: skip
#: A marker absent on a night and the nights before it is "not measured by the source".
SOURCE_NIGHTS = 60

EVALUABILITY_COLUMNS: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "day": pl.Date(),
    "rule_id": pl.String(),
    "evaluable": pl.Boolean(),
    "reason": pl.String(),  # null when evaluable
}

_NIGHT_MARKERS = {  # marker -> its coverage column in nightly_metrics
    "resting_hr": "resting_hr_coverage",
    "hrv_ms": "hrv_coverage",
    "sleep_hours": "sleep_coverage",
}
_R = {r: pl.lit(r) for r in REASONS}


def _calendar(nightly: pl.DataFrame, daily: pl.DataFrame) -> pl.DataFrame:
    """Every calendar day from each athlete's first to last day in either frame."""
    days = pl.concat([
        nightly.select("athlete_id", day=pl.col("night").cast(pl.Date)),
        daily.select("athlete_id", pl.col("day").cast(pl.Date)),
    ])  # fmt: skip
    if days.is_empty():
        return days
    span = days.group_by("athlete_id").agg(lo=pl.col("day").min(), hi=pl.col("day").max())
    return (
        span.with_columns(day=pl.date_ranges("lo", "hi"))
        .explode("day")
        .select("athlete_id", "day")
        .sort("athlete_id", "day")
    )


def _seen(value: str, nights: int = SOURCE_NIGHTS) -> pl.Expr:
    """Values of `value` on this day and the `nights` before it."""
    present = pl.col(value).is_not_null().cast(pl.Int64)
    return present.rolling_sum_by("day", f"{nights + 1}d", closed="right").over("athlete_id")


def _marker(marker: str) -> pl.Expr:
    """Reason a night marker is missing (null when present)."""
    cov = _NIGHT_MARKERS.get(marker)
    out = pl.when(~pl.col("_night")).then(_R["no_night_recorded"])
    out = out.when(pl.col(marker).is_not_null()).then(None)
    if cov:
        out = out.when(pl.col(cov).fill_null(0) > 0).then(_R["coverage_too_low"])
    return out.when(pl.col(f"_seen_{marker}") == 0).then(_R["not_measured_by_source"]).otherwise(
        _R["no_night_recorded"]
    )


def _then(first: pl.Expr, *checks: tuple[pl.Expr, str]) -> pl.Expr:
    """`first`, else the reason of the first check whose condition holds."""
    out = pl.when(first.is_not_null()).then(first)
    for cond, reason in checks:
        out = out.when(cond).then(_R[reason])
    return out.otherwise(None)


def _th(ruleset: RuleSet, rule_id: str, level: str, key: str, default: float) -> float:
    try:
        return ruleset.rule(rule_id).threshold(level, key)
    except KeyError:
        return default


def _reasons(ruleset: RuleSet) -> dict[str, pl.Expr]:
    """Reason expression per known rule id (null = evaluable)."""
    hrv_min = _th(ruleset, "hrv_below_baseline", "below", "baseline_min_nights", 28)
    usual_min = _th(ruleset, "hrv_usual_below_guideline", "usual_below", "baseline_min_nights", 7)
    recent_min = _th(ruleset, "hrv_below_baseline", "below", "recent_min_nights", 5)
    wd_min = _th(ruleset, "wellness_decline", "motivation", "baseline_min_days", 14)
    wd_recent = _th(ruleset, "wellness_decline", "motivation", "recent_min_days", 4)
    cort_min = _th(ruleset, "cortisol_change", "up", "min_earlier", 2)
    rest_days = _th(ruleset, "no_rest_day", "no_rest", "days", 7)
    day = pl.when(~pl.col("_day")).then(_R["no_night_recorded"])
    # no_rest_day looks back over `days` calendar days, each of which needs a daily row
    # (docs/rules.md): before that many days exist the window is too short, a gap in it is
    # too little coverage
    no_rest = _then(
        day,
        (pl.col("_day_index") < rest_days - 1, "baseline_too_short"),
        (
            pl.col("_day").cast(pl.Int32).rolling_sum(int(rest_days), min_samples=1)
            .over("athlete_id") < rest_days,
            "coverage_too_low",
        ),
    )
    sleep = _marker("sleep_hours")
    hrv = _marker("hrv_ms")
    hrv_base = _then(hrv, (pl.col("_hrv_base_n") < hrv_min, "baseline_too_short"))
    hrv_usual = _then(hrv, (pl.col("_hrv_base_n") < usual_min, "baseline_too_short"))
    wellness = (
        pl.when(pl.col("_seen_wellness") == 0)
        .then(_R["not_measured_by_source"])
        .when(~pl.col("_wellness"))
        .then(_R["no_night_recorded"])
    )
    return {
        "rhr_elevated": _then(
            _marker("resting_hr"), (pl.col("resting_hr_baseline").is_null(), "baseline_too_short")
        ),
        "sleep_short_streak": sleep,
        "sleep_out_of_range": sleep,
        "hrv_low": hrv,
        "hrv_usual_below_guideline": hrv_usual,
        "hrv_below_baseline": _then(
            hrv_base, (pl.col("_hrv_recent_n") < recent_min, "coverage_too_low")
        ),
        "no_rest_day": no_rest,
        "sedentary_long": day.when(pl.col("sedentary_hours").is_not_null())
        .then(None)
        .when(pl.col("_seen_sedentary_hours") == 0)
        .then(_R["not_measured_by_source"])
        .otherwise(_R["no_night_recorded"]),
        "fatigue_persists": wellness,
        "wellness_decline": _then(
            wellness,
            (pl.col("_wellness_base_n") < wd_min, "baseline_too_short"),
            (pl.col("_wellness_recent_n") < wd_recent, "coverage_too_low"),
        ),
        "ferritin_low": pl.when(~pl.col("_lab_ferritin")).then(_R["not_measured_by_source"]),
        "cortisol_change": pl.when(~pl.col("_lab_cortisol"))
        .then(_R["not_measured_by_source"])
        .when(pl.col("_cortisol_earlier") < cort_min)
        .then(_R["baseline_too_short"]),
    }


def _prepared(
    nightly: pl.DataFrame, daily: pl.DataFrame, extra: Mapping[str, pl.DataFrame]
) -> pl.DataFrame:
    """The calendar with every column the reasons read."""
    cal = _calendar(nightly, daily)
    n_cols = ["resting_hr", "resting_hr_baseline", "hrv_ms", "sleep_hours",
              *_NIGHT_MARKERS.values()]  # fmt: skip
    present = [
        pl.col(c) if c in nightly.columns else pl.lit(None, pl.Float64).alias(c) for c in n_cols
    ]
    night = nightly.select(
        "athlete_id", *present, day=pl.col("night").cast(pl.Date), _night=pl.lit(True)
    )
    sed = pl.col("sedentary_hours") if "sedentary_hours" in daily.columns else pl.lit(None)
    day = daily.select("athlete_id", pl.col("day").cast(pl.Date), _day=pl.lit(True),
                       sedentary_hours=sed.cast(pl.Float64))  # fmt: skip
    out = (
        cal.join(night, on=["athlete_id", "day"], how="left")
        .join(day, on=["athlete_id", "day"], how="left")
        .with_columns(pl.col("_night", "_day").fill_null(False))
    )
    wellness = extra.get("wellness")
    w_days = (
        wellness.select("athlete_id", pl.col("day").cast(pl.Date)).unique()
        if wellness is not None and not wellness.is_empty()
        else pl.DataFrame(schema={"athlete_id": pl.String, "day": pl.Date})
    )
    out = out.join(w_days.with_columns(_w=pl.lit(1.0)), on=["athlete_id", "day"], how="left")
    out = out.with_columns(_wellness=pl.col("_w").is_not_null())
    out = out.join(_labs(extra.get("lab_results")), on=["athlete_id", "day"], how="left")
    ln = pl.when(pl.col("hrv_ms") > 0).then(pl.col("hrv_ms").log())
    return (
        out.sort("athlete_id", "day")
        .with_columns(_ln=ln, _lab_ferritin=pl.col("_lab_ferritin").fill_null(False),
                      _lab_cortisol=pl.col("_lab_cortisol").fill_null(False),
                      _cortisol_earlier=pl.col("_cortisol_earlier").fill_null(0))  # fmt: skip
        .with_columns(
            *[_seen(m).alias(f"_seen_{m}") for m in (*_NIGHT_MARKERS, "sedentary_hours")],
            _seen_wellness=_seen("_w"),
            _hrv_base_n=trailing_count("_ln", on="day", window_days=60).over("athlete_id"),
            _hrv_recent_n=_seen("_ln", 6),
            _wellness_base_n=trailing_count("_w", on="day", window_days=28).over("athlete_id"),
            _wellness_recent_n=_seen("_w", 6),
            # the calendar has every day from an athlete's first to last: days before this one
            _day_index=pl.int_range(pl.len()).over("athlete_id"),
        )
    )


def _labs(lab: pl.DataFrame | None) -> pl.DataFrame:
    """Per athlete-day with a result: which markers, and cortisol results before it."""
    schema = {"athlete_id": pl.String, "day": pl.Date, "_lab_ferritin": pl.Boolean,
              "_lab_cortisol": pl.Boolean, "_cortisol_earlier": pl.Int64}  # fmt: skip
    if lab is None or lab.is_empty():
        return pl.DataFrame(schema=schema)
    per_day = (
        lab.select("athlete_id", pl.col("day").cast(pl.Date), "marker")
        .group_by("athlete_id", "day")
        .agg(
            _lab_ferritin=(pl.col("marker") == "ferritin").any(),
            _lab_cortisol=(pl.col("marker") == "cortisol").any(),
        )
        .sort("athlete_id", "day")
    )
    earlier = (pl.col("_lab_cortisol").cast(pl.Int64).cum_sum() - pl.col("_lab_cortisol")).over(
        "athlete_id"
    )
    return per_day.with_columns(_cortisol_earlier=earlier).select(list(schema))


def evaluability(
    nightly: pl.DataFrame,
    daily: pl.DataFrame,
    ruleset: RuleSet,
    extra: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """`rule_evaluability` rows: every athlete-day of the calendar times every enabled rule.

    A rule without its own definition here (a new one) is evaluable on days with a nightly
    row (`applies_to = "night"`) or a daily row (`"day"`); `multi_signal` is evaluable
    when any other rule is.
    """
    frame = _prepared(nightly, daily, extra or {})
    if frame.is_empty():
        return pl.DataFrame(schema=EVALUABILITY_COLUMNS)
    known = _reasons(ruleset)
    generic = {
        "night": pl.when(~pl.col("_night")).then(_R["no_night_recorded"]),
        "day": pl.when(~pl.col("_day")).then(_R["no_night_recorded"]),
    }
    rules = [r for r in ruleset.enabled if r.id != "multi_signal"]
    reasons = frame.select(
        "athlete_id",
        "day",
        *[known.get(r.id, generic[r.applies_to]).alias(r.id) for r in rules],
    )
    if any(r.id == "multi_signal" for r in ruleset.enabled):
        some = pl.any_horizontal(pl.col(r.id).is_null() for r in rules) if rules else pl.lit(False)
        reasons = reasons.with_columns(
            multi_signal=pl.when(some).then(None).otherwise(_R["no_night_recorded"])
        )
    return (
        reasons.unpivot(index=["athlete_id", "day"], variable_name="rule_id", value_name="reason")
        .with_columns(evaluable=pl.col("reason").is_null())
        .select(pl.col(c).cast(t) for c, t in EVALUABILITY_COLUMNS.items())
        .sort("athlete_id", "day", "rule_id")
    )
