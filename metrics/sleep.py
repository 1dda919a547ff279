"""Sleep periods from stage intervals, and the main sleep period of each night.

docs/metrics.md: night D is the main sleep period that ends on local date D (the wake-up date);
main sleep is the longest sleep period ending on D; stage runs separated by less than 60
minutes awake (or unmeasurable, or no data at all) join into one period.

Stages may come from several files (a night split over two daily files, or two devices);
overlapping intervals are merged, so no minute of sleep is counted twice. An athlete's
`source_priority` may first set aside another vendor's records of a shared period
(`metrics.sources.prefer_stage_sources`, docs/metrics.md "Several sources for one night").
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from metrics.local_time import with_local_date

#: Stages that count as asleep. Awake and unmeasurable time is never sleep time.
ASLEEP_STAGES = ("light", "deep", "rem", "asleep")
#: Stage runs separated by a gap shorter than this join one sleep period; a gap of exactly
#: 60 minutes or more starts a new period. Gap = awake, unmeasurable or no record at all.
JOIN_GAP = timedelta(minutes=60)
#: Stages that do *not* count as measured time for `sleep_coverage`.
UNMEASURED_STAGES = ("unmeasurable",)

#: Main sleep periods: one row per athlete-night.
MAIN_SLEEP_SCHEMA: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "night": pl.Date(),
    "sleep_start": pl.Datetime("us", "UTC"),
    "sleep_end": pl.Datetime("us", "UTC"),
    "sleep_hours": pl.Float64(),
    "sleep_coverage": pl.Float64(),
    "sleep_file_id": pl.String(),
}


def _seconds(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_microseconds().cast(pl.Float64) / 1e6


def _merged_seconds(start: str, end: str, group: list[str]) -> pl.Expr:
    """Per row: the part of [start, end) not already covered by earlier rows of its group.

    Rows must be sorted by `start` within the group; summing this gives the length of the
    union of the intervals (overlaps from several files counted once).
    """
    covered_until = pl.col(end).cum_max().shift(1).over(group)
    eff_start = pl.max_horizontal(pl.col(start), covered_until)
    return _seconds(pl.col(end) - eff_start).clip(lower_bound=0.0)


def asleep_runs(stages: pl.DataFrame, *extra: str) -> pl.DataFrame:
    """The asleep intervals `athlete_id, file_id, start_ts, end_ts` (and `extra` columns),
    sorted, with `period`: a number per athlete, new where an interval begins `JOIN_GAP` or
    more after everything before it has ended."""
    asleep = (
        stages.filter(
            pl.col("stage").is_in(ASLEEP_STAGES)
            & pl.col("start_ts").is_not_null()
            & (pl.col("end_ts") > pl.col("start_ts"))
        )
        .select("athlete_id", "file_id", "start_ts", "end_ts", *extra)
        .sort("athlete_id", "start_ts", "end_ts")
    )
    covered_until = pl.col("end_ts").cum_max().shift(1).over("athlete_id")
    return asleep.with_columns(
        period=(covered_until.is_null() | (pl.col("start_ts") - covered_until >= JOIN_GAP))
        .cum_sum()
        .over("athlete_id")
    )


def sleep_periods(stages: pl.DataFrame) -> pl.DataFrame:
    """All sleep periods: `athlete_id, sleep_start, sleep_end, asleep_s, sleep_file_id`.

    Asleep intervals are sorted per athlete; a new period starts where the next asleep
    interval begins `JOIN_GAP` or more after everything before it has ended.
    """
    asleep = asleep_runs(stages).with_columns(
        union_s=_merged_seconds("start_ts", "end_ts", ["athlete_id", "period"]),
        raw_s=_seconds(pl.col("end_ts") - pl.col("start_ts")),
    )
    # provenance: the file contributing the most asleep time to the period
    by_file = top_file(asleep, ["athlete_id", "period"], pl.col("raw_s")).rename(
        {"file_id": "sleep_file_id"}
    )
    return (
        asleep.group_by("athlete_id", "period")
        .agg(
            sleep_start=pl.col("start_ts").min(),
            sleep_end=pl.col("end_ts").max(),
            asleep_s=pl.col("union_s").sum(),
        )
        .join(by_file, on=["athlete_id", "period"], how="left")
        .drop("period")
        .sort("athlete_id", "sleep_start")
    )


def _coverage(stages: pl.DataFrame, main: pl.DataFrame) -> pl.DataFrame:
    """Share of each main period covered by a measured stage (any stage but unmeasurable)."""
    measured = (
        stages.filter(
            ~pl.col("stage").is_in(UNMEASURED_STAGES) & (pl.col("end_ts") > pl.col("start_ts"))
        )
        .select("athlete_id", "start_ts", "end_ts")
        .sort("end_ts")
    )
    periods = main.select("athlete_id", "night", "sleep_start", "sleep_end").sort("sleep_start")
    clipped = (
        # the latest period starting before the interval ends is the one it can overlap
        measured.join_asof(
            periods,
            left_on="end_ts",
            right_on="sleep_start",
            by="athlete_id",
            strategy="backward",
            check_sortedness=False,
        )
        .filter(pl.col("night").is_not_null())
        .select(
            "athlete_id",
            "night",
            "sleep_start",
            "sleep_end",
            s=pl.max_horizontal("start_ts", "sleep_start"),
            e=pl.min_horizontal("end_ts", "sleep_end"),
        )
        .filter(pl.col("e") > pl.col("s"))
        .sort("athlete_id", "night", "s")
    )
    return (
        clipped.with_columns(m=_merged_seconds("s", "e", ["athlete_id", "night"]))
        .group_by("athlete_id", "night")
        .agg(
            sleep_coverage=pl.col("m").sum()
            / _seconds(pl.col("sleep_end").first() - pl.col("sleep_start").first())
        )
    )


def main_sleep(stages: pl.DataFrame, athletes: pl.DataFrame) -> pl.DataFrame:
    """The main sleep period of every athlete-night (`MAIN_SLEEP_SCHEMA`).

    The longest period by time asleep wins; on a tie the one that ends later.
    """
    periods = sleep_periods(stages)
    if periods.is_empty():
        return pl.DataFrame(schema=MAIN_SLEEP_SCHEMA)
    main = (
        with_local_date(periods, athletes, "sleep_end", "night")
        .sort(["asleep_s", "sleep_end"], descending=True)
        .unique(subset=["athlete_id", "night"], keep="first")
        .with_columns(sleep_hours=pl.col("asleep_s") / 3600.0)
    )
    main = main.join(_coverage(stages, main), on=["athlete_id", "night"], how="left")
    return main.select(pl.col(name).cast(dtype) for name, dtype in MAIN_SLEEP_SCHEMA.items()).sort(
        "athlete_id", "night"
    )


def samples_in_sleep(
    samples: pl.DataFrame, main: pl.DataFrame, ts: str = "ts", extra: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Samples that fall inside a main sleep period [sleep_start, sleep_end).

    Adds `night`, `sleep_start`, `sleep_end` (and the `extra` columns of `main`). Main
    periods of one athlete never overlap (they are disjoint merged runs), so a backward
    as-of join finds the only candidate.
    """
    periods = main.select("athlete_id", "night", "sleep_start", "sleep_end", *extra).sort(
        "sleep_start"
    )
    return (
        samples.sort(ts)
        .join_asof(
            periods,
            left_on=ts,
            right_on="sleep_start",
            by="athlete_id",
            strategy="backward",
            check_sortedness=False,  # both sides sorted just above
        )
        .filter(pl.col(ts) < pl.col("sleep_end"))
    )


def top_file(frame: pl.DataFrame, keys: list[str], weight: pl.Expr | None = None) -> pl.DataFrame:
    """Per group of `keys`: the `file_id` contributing the most rows (or the largest `weight`).

    Ties go to the smallest file_id so the answer is deterministic.
    """
    w = pl.len() if weight is None else weight.sum()
    return (
        frame.group_by(*keys, "file_id")
        .agg(_w=w)
        .sort("_w", "file_id", descending=[True, False])
        .unique(subset=keys, keep="first")
        .select(*keys, "file_id")
    )
