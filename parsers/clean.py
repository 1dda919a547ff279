"""Drop physiologically or temporally impossible values, counting them by reason.

Called once by the registry for every parsed file (parsers themselves keep what the file
says), so the rules live in one place and `ParsedFile.dropped` tells the analyst exactly
what was removed (DESIGN.md §7: "dropped and counted").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import polars as pl

from parsers.base import ParsedFile

#: Heart rate a human heart can have, bpm (0 and 255 are sensor "no value" codes).
HR_MIN_BPM, HR_MAX_BPM = 1, 250
#: Beat-to-beat intervals between 250 ms (240 bpm) and 2500 ms (24 bpm).
RR_MIN_MS, RR_MAX_MS = 250.0, 2500.0
#: No wearable data before 2000; nothing later than a day after `now` (clock slack).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
#: A single sleep stage interval longer than this is a device or export error.
MAX_STAGE = timedelta(hours=20)

TIME_COLUMNS = ("ts", "start_ts", "end_ts")
DATE_COLUMNS = ("day", "night")


def _time_checks(frame: pl.DataFrame, now: datetime) -> list[tuple[str, pl.Expr]]:
    latest = now + FUTURE_SLACK
    checks = []
    for col in TIME_COLUMNS:
        if col in frame.columns:
            c = pl.col(col)
            missing = c.is_null()
            if col == "ts" and "night" in frame.columns:  # a summary may give only its night
                missing = missing & pl.col("night").is_null()
            checks.append(("ts_missing", missing))
            checks.append(("ts_out_of_range", (c < EARLIEST) | (c > latest)))
    for col in DATE_COLUMNS:
        if col in frame.columns:  # a null `night` is legal: the loader fills it
            c = pl.col(col)
            checks.append(("ts_out_of_range", (c < EARLIEST.date()) | (c > latest.date())))
    return checks


def _value_checks(table: str) -> list[tuple[str, pl.Expr]]:
    if table == "heart_rate":
        bpm = pl.col("bpm")
        return [("hr_out_of_range", bpm.is_null() | (bpm < HR_MIN_BPM) | (bpm > HR_MAX_BPM))]
    if table == "rr_intervals":
        rr = pl.col("rr_ms")
        return [("rr_out_of_range", rr.is_null() | (rr < RR_MIN_MS) | (rr > RR_MAX_MS))]
    if table == "sleep_stages":
        length = pl.col("end_ts") - pl.col("start_ts")
        bad = (length <= timedelta(0)) | (length > MAX_STAGE)
        return [("sleep_stage_bad_interval", bad)]
    return []


def _reason(checks: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """The first failed check's reason per row (null when the row is fine)."""
    expr = pl.lit(None, dtype=pl.String)
    for reason, bad in reversed(checks):
        expr = pl.when(bad.fill_null(False)).then(pl.lit(reason)).otherwise(expr)
    return expr


def _clean_frame(table: str, frame: pl.DataFrame, now: datetime,
                 dropped: dict[str, int]) -> pl.DataFrame:
    checks = _value_checks(table) + _time_checks(frame, now)
    if not checks or frame.height == 0:
        return frame
    marked = frame.with_columns(_reason(checks).alias("_drop_reason"))
    counts = marked.group_by("_drop_reason").len().drop_nulls("_drop_reason")
    for reason, n in counts.iter_rows():
        dropped[reason] = dropped.get(reason, 0) + n
    return marked.filter(pl.col("_drop_reason").is_null()).drop("_drop_reason")


def drop_impossible(parsed: ParsedFile, now: datetime) -> ParsedFile:
    """A copy of `parsed` without impossible rows; `dropped` counts them by reason.

    Reasons: hr_out_of_range (outside 1..250 bpm), rr_out_of_range (outside 250..2500 ms),
    sleep_stage_bad_interval (end <= start or longer than 20 h), ts_out_of_range (before
    2000-01-01 or after now + 1 day), ts_missing. A row is counted once, under its first
    failed check.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    dropped = dict(parsed.dropped)
    frames = {t: _clean_frame(t, f, now, dropped) for t, f in parsed.frames.items()}
    return replace(parsed, frames=frames, dropped=dropped)

