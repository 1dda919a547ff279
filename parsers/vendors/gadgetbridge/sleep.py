"""Sleep stage rows of a Gadgetbridge table placed inside their sleep sessions.

Gadgetbridge keeps a night as point rows (a stage code at an instant) plus a session table
that bounds the night. Which side of its interval a row stamps differs by vendor:

- Garmin (FIT sleep levels) stamps the END of a stage: the row at T covers (previous row or
  session start, T] (Gadgetbridge's GarminActivitySampleProvider reads them as upper bounds);
- Xiaomi stamps the START: the row at T covers [T, next row or the session's wake-up).

A row outside every session of its device cannot be given an interval: dropped and counted
(`sleep_stage_outside_session`). A code herstel does not know becomes `unmeasurable`,
counted under `sleep_stage_code_unmapped` (the interval is kept: the device slept there).
Where two devices slept the same night, one is kept (`one_device_per_night`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import polars as pl

OUTSIDE = "sleep_stage_outside_session"
UNMAPPED = "sleep_stage_code_unmapped"
OVERLAP = "sleep_overlaps_other_device"
#: Stages of one device closer than this belong to one sleep period (as in parsers.clean).
PERIOD_GAP = timedelta(hours=1)
#: What every function here returns: stage intervals with the device that recorded them.
SCHEMA = {"start_ts": pl.Datetime("us", "UTC"), "end_ts": pl.Datetime("us", "UTC"),
          "stage": pl.String, "device": pl.Int64}


def sessions_stages(samples: pl.DataFrame, sessions: pl.DataFrame, codes: dict[int, str], *,
                    upper_bound: bool, count: Callable[[str, int], None]) -> pl.DataFrame:
    """`samples` (`t_ms, device, code`) within `sessions` (`device, start_ms, end_ms`) ->
    stage intervals (`SCHEMA`); rows left out are counted through `count(reason, n)`."""
    if samples.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    ordered = samples.sort("device", "t_ms")
    bounds = sessions.sort("device", "start_ms").with_columns(
        pl.int_range(pl.len()).alias("session"))
    placed = ordered.join_asof(bounds, left_on="t_ms", right_on="start_ms", by="device",
                               strategy="backward", check_sortedness=False)
    inside = pl.col("session").is_not_null() & (pl.col("t_ms") <= pl.col("end_ms"))
    count(OUTSIDE, placed.filter(~inside.fill_null(False)).height)
    rows = placed.filter(inside.fill_null(False))
    if upper_bound:
        start = pl.col("t_ms").shift(1).over("session").fill_null(pl.col("start_ms"))
        spans = rows.with_columns(start.alias("a"), pl.col("t_ms").alias("b"))
    else:
        end = pl.col("t_ms").shift(-1).over("session").fill_null(pl.col("end_ms"))
        spans = rows.with_columns(pl.col("t_ms").alias("a"), end.alias("b"))
    stage = pl.col("code").replace_strict(codes, default=None, return_dtype=pl.String)
    spans = spans.with_columns(stage.alias("stage")).filter(pl.col("b") > pl.col("a"))
    count(UNMAPPED, spans.filter(pl.col("stage").is_null()).height)
    frame = spans.select(
        pl.from_epoch("a", time_unit="ms").dt.replace_time_zone("UTC").alias("start_ts"),
        pl.from_epoch("b", time_unit="ms").dt.replace_time_zone("UTC").alias("end_ts"),
        pl.col("stage").fill_null("unmeasurable"), "device")
    return frame.cast(SCHEMA)


def one_device_per_night(stages: pl.DataFrame, count: Callable[[str, int], None],
                         ) -> pl.DataFrame:
    """Stage intervals (`SCHEMA`) of several devices -> only one device's sleep where their
    sleep periods overlap (a band and a watch worn the same night): the period with the most
    time asleep is kept (ties: the lowest DEVICE id); the others are counted (`OVERLAP`), so
    a night is never asleep twice. Periods that overlap no other device's are all kept."""
    if stages.is_empty():
        return stages
    ordered = stages.sort("device", "start_ts")
    before = pl.col("end_ts").cum_max().shift(1).over("device")  # latest end so far
    gap = pl.col("start_ts") > before + PERIOD_GAP
    periods = ordered.with_columns(gap.fill_null(True).cum_sum().over("device").alias("period"))
    asleep = (pl.col("end_ts") - pl.col("start_ts")).filter(pl.col("stage") != "awake")
    spans = periods.group_by("device", "period").agg(
        pl.col("start_ts").min().alias("a"), pl.col("end_ts").max().alias("b"),
        asleep.sum().dt.total_seconds().alias("asleep_s"))
    spans = spans.sort("a", "b").with_columns(
        (pl.col("a") >= pl.col("b").cum_max().shift(1)).fill_null(True).cum_sum()
        .alias("cluster"))
    kept = spans.sort(["cluster", "asleep_s", "device"], descending=[False, True, False]).unique(
        subset=["cluster"], keep="first", maintain_order=True)
    count(OVERLAP, spans.height - kept.height)
    return periods.join(kept.select("device", "period"), on=["device", "period"],
                        how="semi").drop("period")
