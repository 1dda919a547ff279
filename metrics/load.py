"""Training load: TRIMP per activity and the daily load table (docs/schema.md `daily_metrics`).

TRIMP (training impulse) puts one number on a session's internal load. herstel uses one
method for every session, Banister's exponentially weighted TRIMP (Banister 1991; Morton,
Fitz-Clarke & Banister 1990), so sessions recorded by different devices add up on one scale
(docs/metrics.md "One training-load scale"):

* **`banister_hr`** when the session has heart-rate samples covering at least
  `HR_SAMPLES_MIN_COVERAGE` of its duration: the Banister weighting integrated sample by
  sample, sum of dt_min x HRr x 0.64 x e^(k x HRr) (the form of Manzi et al. 2009's iTRIMP
  with Banister's generic weighting). Each sample stands for the time until the next
  sample, at most `HR_SAMPLE_MAX_GAP` (a longer pause is a gap, not training).
* **`banister_avg_hr`** otherwise, from the session's average HR:
  duration_min x HRr x 0.64 x e^(k x HRr). For a steady session both give the same number.
* null (`trimp_method` null) when the session has neither.

HRr = (HR - HRrest) / (HRmax - HRrest) clipped to 0..1, k = 1.92 for men, 1.67 for women and
their midpoint 1.795 when sex is unknown. HRmax: `athletes.hr_max`, else 220 - age in the
activity's year, else 190. HRrest: the athlete's latest nightly resting HR within 28 days
before the session when `nightly` is given, else 60 bpm.

Before 2026-12 herstel scored sessions with samples by Edwards' zone TRIMP (about twice the
Banister number for the same hour at 150 bpm) and summed both kinds: a switch from a phone
app to a watch then read as a string of heavy weeks.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from metrics.local_time import as_utc, with_local_date
from metrics.pmc import with_pmc
from metrics.sleep import JOIN_GAP

UTC_US = pl.Datetime("us", "UTC")

#: Share of an activity's duration HR samples must cover for the per-sample TRIMP.
HR_SAMPLES_MIN_COVERAGE = 0.5
#: Longest time one HR sample stands for inside an activity.
HR_SAMPLE_MAX_GAP = timedelta(seconds=30)
#: Banister's weighting exponent per sex (Banister 1991); unknown sex takes the midpoint.
BANISTER_K = {"m": 1.92, "f": 1.67}
BANISTER_K_UNKNOWN = (1.92 + 1.67) / 2
#: Banister's weighting factor (the 0.64 of 0.64 e^(k x HRr)).
BANISTER_A = 0.64
#: trimp_method values: samples, average HR.
METHOD_SAMPLES = "banister_hr"
METHOD_AVG = "banister_avg_hr"
#: Fallbacks when the athlete record does not say: HRmax (bpm) and HRrest (bpm).
DEFAULT_HR_MAX = 190.0
DEFAULT_HR_REST = 60.0
#: How far back a nightly resting HR may be to serve as HRrest for a session.
HR_REST_MAX_AGE = timedelta(days=28)
#: Day windows of the rolling loads, in calendar days ending on (and including) the day.
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
#: A session that is shorter than REST_DAY_MAX_MINUTES *and* scores under REST_DAY_MAX_TRIMP
#: (or has no TRIMP) does not break a rest day: watches auto-record walks and commutes, and a
#: 15-minute walk is not training. 20 min is the shortest bout most watches auto-detect as a
#: workout only after a few minutes, and 10 TRIMP is about 20 minutes of easy walking
#: (HRr 0.25); both are herstel's choice (docs/metrics.md "Rest days").
REST_DAY_MAX_MINUTES = 20.0
REST_DAY_MAX_TRIMP = 10.0
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
    "is_rest_day": pl.Boolean(),  # no training session (see REST_DAY_*) started that day
    "load_trimp": pl.Float64(),  # sum of the day's TRIMP, sessions that count for load
    "acute_load": pl.Float64(),  # mean daily TRIMP over days D-6..D
    "chronic_load": pl.Float64(),  # mean daily TRIMP over days D-27..D
    "acwr": pl.Float64(),  # acute / chronic
    "strength_load": pl.Float64(),  # TRIMP of strength sessions that day
    "sedentary_hours": pl.Float64(),  # low-HR hours outside bed and training (approximation)
    "steps": pl.Int64(),  # not yet derived: null
    "ctl": pl.Float64(),  # chronic training load, 42-day EWMA of load_trimp (metrics/pmc.py)
    "atl": pl.Float64(),  # acute training load, 7-day EWMA of load_trimp
    "tsb": pl.Float64(),  # training stress balance: yesterday's ctl - atl
    "ramp_rate": pl.Float64(),  # ctl - ctl 7 days before
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


def banister(minutes: pl.Expr, hr: pl.Expr) -> pl.Expr:
    """minutes x HRr x 0.64 x e^(k x HRr) on rows with `_hr_rest`, `_hr_max`, `sex`."""
    hrr = ((hr - pl.col("_hr_rest")) / (pl.col("_hr_max") - pl.col("_hr_rest"))).clip(0.0, 1.0)
    return minutes * hrr * BANISTER_A * (_sex_k() * hrr).exp()


def _layers(spans: pl.DataFrame) -> list[pl.DataFrame]:
    """Split activities into layers in which no two of one athlete overlap, so each sample
    can be placed by an as-of join per layer: a sample inside two overlapping recordings
    (a watch and a bike computer) belongs to both, not only to the later-starting one."""
    layers, rest = [], spans.sort("athlete_id", "start_ts")
    while rest.height:
        prev_end = pl.col("_end").cum_max().shift(1).over("athlete_id")
        free = (pl.col("start_ts") >= prev_end).fill_null(True)
        marked = rest.with_columns(_free=free)
        layers.append(marked.filter("_free").drop("_free"))
        rest = marked.filter(~pl.col("_free")).drop("_free")
    return layers


def _sample_banister(acts: pl.DataFrame, heart_rate: pl.DataFrame) -> pl.DataFrame:
    """`_aid, hr_trimp, hr_cover` (seconds) for activities with HR samples inside them."""
    samples = (
        heart_rate.filter(pl.col("bpm").is_not_null())
        # one sample per instant (a watch's monitoring and activity streams can share a
        # second): the result must not depend on the order rows come in
        .group_by("athlete_id", "ts")
        .agg(pl.col("bpm").cast(pl.Float64).mean())
        .sort("ts")
    )
    spans = acts.select("_aid", "athlete_id", "start_ts", "_end")
    placed = [
        samples.join_asof(
            layer.sort("start_ts"), left_on="ts", right_on="start_ts", by="athlete_id",
            strategy="backward", check_sortedness=False,
        ).filter(pl.col("ts") < pl.col("_end"))
        for layer in _layers(spans)
    ]  # fmt: skip
    if not placed:
        return pl.DataFrame(schema={"_aid": pl.UInt32, "hr_trimp": pl.Float64,
                                    "hr_cover": pl.Float64})  # fmt: skip
    person = acts.select("_aid", "_hr_rest", "_hr_max", "sex")
    nxt = pl.col("ts").shift(-1).over("_aid").fill_null(pl.col("_end"))
    seconds = (nxt - pl.col("ts")).clip(timedelta(0), HR_SAMPLE_MAX_GAP)
    return (
        pl.concat(placed)
        .sort("_aid", "ts")
        .join(person, on="_aid", how="left")
        .with_columns(_s=seconds.dt.total_microseconds() / 1e6)
        .group_by("_aid")
        .agg(
            hr_trimp=banister(pl.col("_s") / 60.0, pl.col("bpm")).sum(),
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
    `nightly` (optional, `nightly_metrics` rows) supplies HRrest.
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
    acts = acts.join(_hr_rest(acts, nightly), on="_aid", how="left", maintain_order="left")
    acts = acts.with_columns(_hr_rest=pl.col("_hr_rest").fill_null(DEFAULT_HR_REST))
    acts = acts.join(_sample_banister(acts, heart_rate), on="_aid", how="left",
                     maintain_order="left")  # fmt: skip
    from_avg = banister(pl.col("duration_s") / 60.0, pl.col("avg_hr"))
    use_samples = (
        pl.col("hr_cover").is_not_null()
        & (pl.col("duration_s") > 0)
        & (pl.col("hr_cover") >= HR_SAMPLES_MIN_COVERAGE * pl.col("duration_s"))
    )
    use_avg = pl.col("avg_hr").is_not_null() & pl.col("duration_s").is_not_null()
    return acts.with_columns(
        trimp=pl.when(use_samples).then("hr_trimp").when(use_avg).then(from_avg),
        trimp_method=pl.when(use_samples)
        .then(pl.lit(METHOD_SAMPLES))
        .when(use_avg)
        .then(pl.lit(METHOD_AVG)),
    ).select(*activities.columns, "trimp", "trimp_method")


def is_strength() -> pl.Expr:
    """True for strength sessions: FIT training/strength_training, or either field names one
    of `STRENGTH_NAMES` (GPX `<type>` or a vendor's workout name passed through)."""
    names = list(STRENGTH_NAMES)
    return pl.any_horizontal(
        pl.col(c).cast(pl.String).str.to_lowercase().is_in(names).fill_null(False)
        for c in ("sport", "sub_sport")
    )


def is_light() -> pl.Expr:
    """True for a session too short and too easy to break a rest day (REST_DAY_*)."""
    short = pl.col("duration_s") < REST_DAY_MAX_MINUTES * 60
    easy = pl.col("trimp").is_null() | (pl.col("trimp") < REST_DAY_MAX_TRIMP)
    return (short & easy).fill_null(False)


def counts_for_load() -> pl.Expr:
    """True for a session that counts for load (not a second recording of another one)."""
    return pl.col("counts_for_load").fill_null(True)


def daily_metrics(
    activities_with_trimp: pl.DataFrame,
    athletes: pl.DataFrame,
    days: pl.DataFrame | None = None,
    *,
    heart_rate: pl.DataFrame | None = None,
    sleep_stages: pl.DataFrame | None = None,
    nightly: pl.DataFrame | None = None,
    pmc_seed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per athlete and local day, from the first to the last day with any data.

    `days` (`athlete_id` and `day` or `night`) names other dates with data, e.g. the
    `nightly_metrics` frame itself, so the calendar spans them too; activities always count.
    Rolling loads need a full window: acute_load is null for the first 6 days of the
    calendar, chronic_load and acwr for the first 27; acwr is null when chronic_load is 0.
    Sessions with `counts_for_load` false (second recordings, `metrics.sessions`) add no
    load and do not make a training day; light sessions (`is_light`) add their load but
    leave a rest day a rest day. ctl/atl/tsb/ramp_rate: `metrics.pmc.with_pmc` (`pmc_seed`:
    stored rows to continue from).

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
    if "counts_for_load" not in acts.columns:
        acts = acts.with_columns(counts_for_load=pl.lit(True))
    per_day = acts.group_by("athlete_id", "day").agg(
        n_training=(counts_for_load() & ~is_light()).sum(),
        load_trimp=pl.col("trimp").filter(counts_for_load()).sum(),
        strength_load=pl.col("trimp").filter(counts_for_load() & is_strength()).sum(),
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
            is_rest_day=pl.col("n_training").fill_null(0) == 0,
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
    daily = with_pmc(daily, pmc_seed)
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
