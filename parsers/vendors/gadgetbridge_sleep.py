"""Sleep stage rows of a Gadgetbridge table placed inside their sleep sessions.

Gadgetbridge keeps a night as point rows (a stage code at an instant) plus a session table
that bounds the night. Which side of its interval a row stamps differs by vendor:

- Garmin (FIT sleep levels) stamps the END of a stage: the row at T covers (previous row or
  session start, T] (Gadgetbridge's GarminActivitySampleProvider reads them as upper bounds);
- Xiaomi stamps the START: the row at T covers [T, next row or the session's wake-up).

A row outside every session of its device cannot be given an interval: dropped and counted
(`sleep_stage_outside_session`). A code herstel does not know becomes `unmeasurable`,
counted under `sleep_stage_code_unmapped` (the interval is kept: the device slept there).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from parsers.base import conform, empty

OUTSIDE = "sleep_stage_outside_session"
UNMAPPED = "sleep_stage_code_unmapped"


def sessions_stages(samples: pl.DataFrame, sessions: pl.DataFrame, codes: dict[int, str], *,
                    upper_bound: bool, count: Callable[[str, int], None]) -> pl.DataFrame:
    """`samples` (`t_ms, device, code`) within `sessions` (`device, start_ms, end_ms`) ->
    canonical sleep_stages; rows left out are counted through `count(reason, n)`."""
    if samples.is_empty():
        return empty("sleep_stages")
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
        pl.col("stage").fill_null("unmeasurable"))
    return conform(frame, "sleep_stages")
