"""Training load: TRIMP per activity and the daily load table (DESIGN §3 `daily_metrics`).

TRIMP (training impulse) puts one number on a session's internal load. We use:

* **Edwards** (`edwards_hr`) when the session has heart-rate samples covering at least
  `EDWARDS_MIN_COVERAGE` of its duration: minutes in the zones 50-60, 60-70, 70-80, 80-90 and
  90-100 % of HRmax, weighted 1..5 and summed (at or above HRmax counts as zone 5, under
  50 % counts 0). Each sample stands for the time until the next sample, at most
  `HR_SAMPLE_MAX_GAP` (a longer pause is a gap, not time in zone).
* **Banister** (`banister_avg_hr`) otherwise, from the session's average HR:
  duration_min x HRr x 0.64 x e^(k x HRr), HRr = (avg_hr - HRrest) / (HRmax - HRrest) clipped
  to 0..1, k = 1.92 for men, 1.67 for women and their midpoint 1.795 when sex is unknown.
* null (`trimp_method` null) when the session has neither.

HRmax: `athletes.hr_max`, else 220 - age in the activity's year, else 190. HRrest: the
athlete's latest nightly resting HR within 28 days before the session when `nightly` is
given, else 60 bpm.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from metrics.local_time import as_utc, with_local_date
from metrics.sleep import JOIN_GAP

UTC_US = pl.Datetime("us", "UTC")

#: Share of an activity's duration HR samples must cover for Edwards TRIMP.
EDWARDS_MIN_COVERAGE = 0.5
#: Longest time one HR sample stands for inside an activity.
HR_SAMPLE_MAX_GAP = timedelta(seconds=30)
#: Banister's weighting exponent per sex (Banister 1991); unknown sex takes the midpoint.
BANISTER_K = {"m": 1.92, "f": 1.67}
BANISTER_K_UNKNOWN = (1.92 + 1.67) / 2
#: Fallbacks when the athlete record does not say: HRmax (bpm) and HRrest (bpm).
DEFAULT_HR_MAX = 190.0
DEFAULT_HR_REST = 60.0
#: How far back a nightly resting HR may be to serve as HRrest for a session.
HR_REST_MAX_AGE = timedelta(days=28)
#: Day windows of the rolling loads, in calendar days ending on (and including) the day.
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
#: A session is strength training when its sport or sub-sport says so (FIT names).
STRENGTH = "strength_training"
#: Every sport / sub-sport name (lower-case) that means strength training: the FIT name, and
#: names that GPX `<type>` and vendor exports use when a parser passes them through unmapped.
STRENGTH_NAMES = frozenset({
    STRENGTH, "strength", "weight_training", "weightlifting", "weight_lifting", "powerlifting",
    "traditional_strength_training", "functional_strength_training",
})  # fmt: skip
#: sedentary_hours: heart rate below HRrest + this share of the heart-rate reserve
#: (HRmax - HRrest) counts as sitting; ACSM's "light" intensity starts at 30 % HRR.
SEDENTARY_HRR_SHARE = 0.30
#: Longest time one heart-rate sample stands for outside activities (a watch that logs every
#: 5 minutes describes the heart until its next sample; a longer silence is not worn time).
SEDENTARY_SAMPLE_MAX_GAP = timedelta(minutes=5)
#: Fewest hours of worn time (samples outside bed and training) for a day's sedentary_hours.
SEDENTARY_MIN_WORN_HOURS = 1.0

DAILY_COLUMNS: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "day": pl.Date(),  # local calendar date
    "is_rest_day": pl.Boolean(),  # no activity started that local day
    "load_trimp": pl.Float64(),  # sum of the day's TRIMP (0 on a rest day)
    "acute_load": pl.Float64(),  # mean daily TRIMP over days D-6..D
    "chronic_load": pl.Float64(),  # mean daily TRIMP over days D-27..D
    "acwr": pl.Float64(),  # acute / chronic
    "strength_load": pl.Float64(),  # TRIMP of strength sessions that day
    "sedentary_hours": pl.Float64(),  # low-HR hours outside bed and training (approximation)
    "steps": pl.Int64(),  # not yet derived: null
}


def athlete_facts(athletes: pl.DataFrame) -> pl.DataFrame:
    """`athlete_id, hr_max, birth_year, sex`, one row per athlete; absent columns are null."""

    def col(name: str, dtype: pl.DataType) -> pl.Expr:
        if name in athletes.columns:
            return pl.col(name).cast(dtype)
        return pl.lit(None, dtype=dtype).alias(name)

    return athletes.select(
        col("athlete_id", pl.String()),
        col("hr_max", pl.Float64()),
        col("birth_year", pl.Float64()),
        col("sex", pl.String()),
    ).unique(subset="athlete_id", keep="first")


def _sex_k() -> pl.Expr:
    sex = pl.col("sex").cast(pl.String).str.to_lowercase().str.slice(0, 1)
    k = pl.lit(BANISTER_K_UNKNOWN)
    for key, value in BANISTER_K.items():
        k = pl.when(sex == key).then(value).otherwise(k)
    return k


def _edwards(activities: pl.DataFrame, heart_rate: pl.DataFrame) -> pl.DataFrame:
    """`_aid, edwards, hr_cover` for activities with HR samples inside them."""
    spans = activities.select("_aid", "athlete_id", "start_ts", "_end", "_hr_max").sort("start_ts")
    samples = (
        heart_rate.filter(pl.col("bpm").is_not_null())
        # one sample per instant (a watch's monitoring and activity streams can share a
        # second): the result must not depend on the order rows come in
        .group_by("athlete_id", "ts")
        .agg(pl.col("bpm").cast(pl.Float64).mean())
        .sort("ts")
        .join_asof(
            spans,
            left_on="ts",
            right_on="start_ts",
            by="athlete_id",
            strategy="backward",
            check_sortedness=False,
        )
        .filter(pl.col("ts") < pl.col("_end"))
        .sort("_aid", "ts")
    )
    cap = HR_SAMPLE_MAX_GAP
    nxt = pl.col("ts").shift(-1).over("_aid").fill_null(pl.col("_end"))
    seconds = (nxt - pl.col("ts")).clip(timedelta(0), cap).dt.total_microseconds() / 1e6
    # zone 1..5 = bpm at or above 50, 60, 70, 80, 90 % of HRmax; integer-safe comparisons
    zone = pl.sum_horizontal(
        (pl.col("bpm").cast(pl.Float64) * 10 >= pl.col("_hr_max") * pct).cast(pl.Int32)
        for pct in (5, 6, 7, 8, 9)
    )
    return (
        samples.with_columns(_s=seconds, _zone=zone)
        .group_by("_aid")
        .agg(
            edwards=(pl.col("_s") * pl.col("_zone")).sum() / 60.0,
            hr_cover=pl.col("_s").sum(),
        )
    )


def _hr_rest(activities: pl.DataFrame, nightly: pl.DataFrame | None) -> pl.DataFrame:
    """`_aid, _hr_rest`: the latest nightly resting HR before the session, if any."""
    if nightly is None or nightly.is_empty():
        return activities.select("_aid", _hr_rest=pl.lit(None, dtype=pl.Float64))
    rest = (
        nightly.filter(pl.col("resting_hr").is_not_null())
        .select("athlete_id", _night=pl.col("night"), _hr_rest=pl.col("resting_hr"))
        .sort("_night")
    )
    return (
        activities.select("_aid", "athlete_id", _d=pl.col("start_ts").dt.date())
        .sort("_d")
        .join_asof(
            rest,
            left_on="_d",
            right_on="_night",
            by="athlete_id",
            strategy="backward",
            tolerance=HR_REST_MAX_AGE,
            check_sortedness=False,
        )
        .select("_aid", "_hr_rest")
    )


def activity_trimp(
    activities: pl.DataFrame,
    heart_rate: pl.DataFrame,
    athletes: pl.DataFrame,
    *,
    nightly: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """`activities` with `trimp` and `trimp_method` set (rows and order unchanged).

    Existing `trimp`/`trimp_method` columns (the warehouse table has them) are recomputed.
    `nightly` (optional, `nightly_metrics` rows) supplies HRrest for Banister.
    """
    activities = as_utc(activities.drop("trimp", "trimp_method", strict=False), "start_ts")
    heart_rate = as_utc(heart_rate, "ts")
    person = athlete_facts(athletes)
    acts = (
        activities.with_row_index("_aid")
        .join(person, on="athlete_id", how="left", maintain_order="left")
        .with_columns(
            _end=pl.col("start_ts")
            + pl.duration(microseconds=(pl.col("duration_s").fill_null(0.0) * 1e6).cast(pl.Int64)),
            _hr_max=pl.coalesce(
                "hr_max",
                220.0 - (pl.col("start_ts").dt.year() - pl.col("birth_year")),
                pl.lit(DEFAULT_HR_MAX),
            ),
        )
    )
    acts = (
        acts.join(_edwards(acts, heart_rate), on="_aid", how="left", maintain_order="left")
        .join(_hr_rest(acts, nightly), on="_aid", how="left", maintain_order="left")
        .with_columns(_hr_rest=pl.col("_hr_rest").fill_null(DEFAULT_HR_REST))
    )
    hrr = ((pl.col("avg_hr") - pl.col("_hr_rest")) / (pl.col("_hr_max") - pl.col("_hr_rest"))).clip(
        0.0, 1.0
    )
    banister = (pl.col("duration_s") / 60.0) * hrr * 0.64 * (_sex_k() * hrr).exp()
    use_edwards = (
        pl.col("hr_cover").is_not_null()
        & (pl.col("duration_s") > 0)
        & (pl.col("hr_cover") >= EDWARDS_MIN_COVERAGE * pl.col("duration_s"))
    )
    use_banister = pl.col("avg_hr").is_not_null() & pl.col("duration_s").is_not_null()
    return acts.with_columns(
        trimp=pl.when(use_edwards).then("edwards").when(use_banister).then(banister),
        trimp_method=pl.when(use_edwards)
        .then(pl.lit("edwards_hr"))
        .when(use_banister)
        .then(pl.lit("banister_avg_hr")),
    ).select(*activities.columns, "trimp", "trimp_method")


def is_strength() -> pl.Expr:
    """True for strength sessions: FIT training/strength_training, or either field names one
    of `STRENGTH_NAMES` (GPX `<type>` or a vendor's workout name passed through)."""
    names = list(STRENGTH_NAMES)
    return pl.any_horizontal(
        pl.col(c).cast(pl.String).str.to_lowercase().is_in(names).fill_null(False)
        for c in ("sport", "sub_sport")
    )


def daily_metrics(
    activities_with_trimp: pl.DataFrame,
    athletes: pl.DataFrame,
    days: pl.DataFrame | None = None,
    *,
    heart_rate: pl.DataFrame | None = None,
    sleep_stages: pl.DataFrame | None = None,
    nightly: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per athlete and local day, from the first to the last day with any data.

    `days` (`athlete_id` and `day` or `night`) names other dates with data, e.g. the
    `nightly_metrics` frame itself, so the calendar spans them too; activities always count.
    Rolling loads need a full window: acute_load is null for the first 6 days of the
    calendar, chronic_load and acwr for the first 27; acwr is null when chronic_load is 0.

    `sedentary_hours` is derived only when `heart_rate` is given (see `sedentary_hours`);
    `sleep_stages` mark time in bed and `nightly` (default: `days` when it has
    `resting_hr`) gives HRrest. Without `heart_rate` the column is null.
    """
    if nightly is None and days is not None and "resting_hr" in days.columns:
        nightly = days
    sedentary = None
    if heart_rate is not None:
        sedentary = sedentary_hours(
            heart_rate, sleep_stages, activities_with_trimp, athletes, nightly=nightly
        )
    acts = with_local_date(as_utc(activities_with_trimp, "start_ts"), athletes, "start_ts", "day")
    per_day = acts.group_by("athlete_id", "day").agg(
        n_activities=pl.len(),
        load_trimp=pl.col("trimp").sum(),
        strength_load=pl.col("trimp").filter(is_strength()).sum(),
    )
    known = [per_day.select("athlete_id", "day")]
    if days is not None:
        date_col = "day" if "day" in days.columns else "night"
        known.append(
            days.select(
                pl.col("athlete_id").cast(pl.String), pl.col(date_col).cast(pl.Date).alias("day")
            )
        )
    span = (
        pl.concat(known)
        .drop_nulls()
        .group_by("athlete_id")
        .agg(first=pl.col("day").min(), last=pl.col("day").max())
    )
    calendar = span.select("athlete_id", day=pl.date_ranges("first", "last", "1d")).explode("day")
    daily = (
        calendar.join(per_day, on=["athlete_id", "day"], how="left")
        .sort("athlete_id", "day")
        .with_columns(
            is_rest_day=pl.col("n_activities").is_null(),
            load_trimp=pl.col("load_trimp").fill_null(0.0),
            strength_load=pl.col("strength_load").fill_null(0.0),
        )
        .with_columns(
            acute_load=pl.col("load_trimp")
            .rolling_mean(ACUTE_DAYS, min_samples=ACUTE_DAYS)
            .over("athlete_id"),
            chronic_load=pl.col("load_trimp")
            .rolling_mean(CHRONIC_DAYS, min_samples=CHRONIC_DAYS)
            .over("athlete_id"),
        )
        .with_columns(
            acwr=pl.when(pl.col("chronic_load") > 0).then(
                pl.col("acute_load") / pl.col("chronic_load")
            ),
            steps=pl.lit(None, dtype=pl.Int64),
        )
    )
    if sedentary is None:
        daily = daily.with_columns(sedentary_hours=pl.lit(None, dtype=pl.Float64))
    else:
        daily = daily.join(sedentary, on=["athlete_id", "day"], how="left")
    return daily.select(pl.col(name).cast(dtype) for name, dtype in DAILY_COLUMNS.items()).sort(
        "athlete_id", "day"
    )


# --------------------------------------------------------------------------- weekly load


def weekly_load(daily: pl.DataFrame) -> pl.DataFrame:
    """Weekly sums of `daily_metrics`: one row per athlete and ISO week (Monday to Sunday).

    `week_start` is the Monday, `days` the number of daily rows in the week (7 = complete;
    the first and last week of an athlete's data may be partial), `load_trimp` and
    `strength_load` the week's sums, `rest_days` the days without an activity.
    """
    return (
        daily.with_columns(week_start=pl.col("day").dt.truncate("1w"))
        .group_by("athlete_id", "week_start")
        .agg(
            days=pl.len().cast(pl.Int64),
            load_trimp=pl.col("load_trimp").sum(),
            strength_load=pl.col("strength_load").sum(),
            rest_days=pl.col("is_rest_day").cast(pl.Int64).sum(),
        )
        .sort("athlete_id", "week_start")
    )


# --------------------------------------------------------------------------- sitting


def _merged_spans(spans: pl.DataFrame) -> pl.DataFrame:
    """Union of `athlete_id, start, end` intervals per athlete: non-overlapping, sorted."""
    spans = spans.drop_nulls().filter(pl.col("end") > pl.col("start")).sort("athlete_id", "start")
    prev_end = pl.col("end").cum_max().shift(1).over("athlete_id")
    starts = (pl.col("start") > prev_end).fill_null(True)
    return (
        spans.with_columns(_grp=starts.cast(pl.Int64).cum_sum().over("athlete_id"))
        .group_by("athlete_id", "_grp")
        .agg(start=pl.col("start").min(), end=pl.col("end").max())
        .drop("_grp")
        .sort("start")
    )


def sedentary_hours(
    heart_rate: pl.DataFrame,
    sleep_stages: pl.DataFrame | None,
    activities: pl.DataFrame | None,
    athletes: pl.DataFrame,
    *,
    nightly: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """`athlete_id, day, sedentary_hours`: hours of low heart rate outside bed and training.

    The warehouse keeps no activity type per heart-rate sample, so sitting is approximated
    from heart rate alone (docs/metrics.md states the limits):

    * every heart-rate sample (any context) stands for the time until the next sample, at
      most `SEDENTARY_SAMPLE_MAX_GAP`, and never past the start of the next excluded span;
    * excluded spans: time in bed (every sleep-stage record except an `awake` one of 60
      minutes or more, which is the day between two stage messages, e.g. wake-up to a nap)
      and training sessions (`start_ts` .. `start_ts + duration_s`); samples inside them count
      for nothing;
    * the time of a sample counts as sitting when its bpm is below HRrest +
      `SEDENTARY_HRR_SHARE` x (HRmax - HRrest): HRrest is the latest nightly resting HR on or
      before the day (within 28 days; else 60 bpm), HRmax as for TRIMP;
    * the day is the sample's local date. A day with less than `SEDENTARY_MIN_WORN_HOURS`
      of sample time outside the excluded spans (watch not worn) has no row, so
      `daily_metrics` leaves it null.
    """
    hr = as_utc(heart_rate, "ts")
    hr = (
        hr.filter(pl.col("bpm").is_not_null())
        .group_by("athlete_id", "ts")
        .agg(bpm=pl.col("bpm").cast(pl.Float64).mean())
        .sort("ts")
    )
    out_schema = {"athlete_id": pl.String(), "day": pl.Date(), "sedentary_hours": pl.Float64()}
    if hr.is_empty():
        return pl.DataFrame(schema=out_schema)
    spans = [pl.DataFrame(schema={"athlete_id": pl.String, "start": UTC_US, "end": UTC_US})]
    if sleep_stages is not None and not sleep_stages.is_empty():
        st = as_utc(sleep_stages, "start_ts", "end_ts")
        # an "awake" record joins two stage messages: short ones are awake in bed, a long one
        # (wake-up to an afternoon nap) is the day itself
        in_bed = (pl.col("stage") != "awake") | (pl.col("end_ts") - pl.col("start_ts") < JOIN_GAP)
        spans.append(st.filter(in_bed).select("athlete_id", start="start_ts", end="end_ts"))
    if activities is not None and not activities.is_empty():
        ac = as_utc(activities, "start_ts")
        dur = pl.duration(microseconds=(pl.col("duration_s").fill_null(0.0) * 1e6).cast(pl.Int64))
        spans.append(ac.select("athlete_id", start="start_ts", end=pl.col("start_ts") + dur))
    excluded = _merged_spans(pl.concat([s.cast({"athlete_id": pl.String}) for s in spans]))
    nxt = excluded.select("athlete_id", _next_start="start")
    samples = (
        hr.with_columns(pl.col("athlete_id").cast(pl.String))
        .join_asof(
            excluded,
            left_on="ts",
            right_on="start",
            by="athlete_id",
            strategy="backward",
            check_sortedness=False,
        )  # fmt: skip
        .join_asof(
            nxt,
            left_on="ts",
            right_on="_next_start",
            by="athlete_id",
            strategy="forward",
            check_sortedness=False,
        )  # fmt: skip
        .with_columns(_in=(pl.col("ts") < pl.col("end")).fill_null(False))
        .sort("athlete_id", "ts")
    )
    cap = pl.col("ts") + SEDENTARY_SAMPLE_MAX_GAP
    seg_end = pl.min_horizontal(cap, pl.col("ts").shift(-1).over("athlete_id"), "_next_start")
    samples = samples.with_columns(
        _s=(seg_end - pl.col("ts")).dt.total_microseconds().clip(lower_bound=0) / 1e6
    ).filter(~pl.col("_in"))
    samples = with_local_date(samples, athletes, "ts", "day")
    # HRrest: the latest nightly resting HR on or before the local day (as for TRIMP)
    if nightly is not None and not nightly.is_empty():
        rest = (
            nightly.filter(pl.col("resting_hr").is_not_null())
            .select(
                pl.col("athlete_id").cast(pl.String),
                _night=pl.col("night").cast(pl.Date),
                _hr_rest=pl.col("resting_hr").cast(pl.Float64),
            )  # fmt: skip
            .sort("_night")
        )
        samples = samples.sort("day").join_asof(
            rest, left_on="day", right_on="_night", by="athlete_id", strategy="backward",
            tolerance=HR_REST_MAX_AGE, check_sortedness=False,
        )  # fmt: skip
    else:
        samples = samples.with_columns(_hr_rest=pl.lit(None, dtype=pl.Float64))
    person = athlete_facts(athletes)
    samples = samples.join(person, on="athlete_id", how="left").with_columns(
        _hr_rest=pl.col("_hr_rest").fill_null(DEFAULT_HR_REST),
        _hr_max=pl.coalesce(
            "hr_max",
            220.0 - (pl.col("day").dt.year() - pl.col("birth_year")),
            pl.lit(DEFAULT_HR_MAX),
        ),  # fmt: skip
    )
    limit = pl.col("_hr_rest") + SEDENTARY_HRR_SHARE * (pl.col("_hr_max") - pl.col("_hr_rest"))
    return (
        samples.group_by("athlete_id", "day")
        .agg(
            sedentary_hours=pl.col("_s").filter(pl.col("bpm") < limit).sum() / 3600.0,
            _worn=pl.col("_s").sum() / 3600.0,
        )
        .filter(pl.col("_worn") >= SEDENTARY_MIN_WORN_HOURS)
        .select(pl.col(k).cast(v) for k, v in out_schema.items())
        .sort("athlete_id", "day")
    )
