"""Drop physiologically or temporally impossible values, counting them by reason.

Called once by the registry for every parsed file (parsers themselves keep what the file
says), so the rules live in one place and `ParsedFile.dropped` tells the analyst exactly
what was removed (docs/reliability.md: "dropped and counted").
"""

from __future__ import annotations

import functools
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

#: Stages chained with gaps up to this form one sleep period; a period longer than
#: `MAX_SLEEP_PERIOD` (a device that "slept" 30 h) is dropped whole.
SLEEP_PERIOD_GAP = timedelta(hours=1)
MAX_SLEEP_PERIOD = timedelta(hours=20)
#: Nightly sleep durations (device_summaries metrics ending in `_hours`) above this are
#: impossible; heart-rate summaries (`resting_hr`, `resting_hr_7d_avg`, `nrem_hr`) follow the
#: heart-rate rule.
MAX_SLEEP_HOURS = 20.0
HR_SUMMARY_METRICS = ("resting_hr", "resting_hr_7d_avg", "nrem_hr")

TIME_COLUMNS = ("ts", "start_ts", "end_ts")
DATE_COLUMNS = ("day", "night")

#: Sample streams, by the columns that name one stream and its instant. A row repeating an
#: earlier row of the same file exactly (same stream, instant and value) is a duplicate and
#: dropped; rows at one instant with DIFFERENT values are kept (which one is right is not
#: knowable here; the metrics aggregate per night).
STREAM_KEYS = {
    "heart_rate": ("context", "ts"),
    "rr_intervals": ("ts",),
    "hrv_samples": ("ts",),
    "sleep_stages": ("start_ts",),
}
#: Formats whose rows are in recording order, so a step back in time is a device clock jump.
RECORDING_ORDER = ("fit", "gpx")


def _time_checks(frame: pl.DataFrame, now: datetime) -> list[tuple[str, pl.Expr]]:
    latest = (now + FUTURE_SLACK).replace(second=0, microsecond=0)  # shared within a minute
    # one literal per bound: a tz-aware datetime literal costs ~70 us to build, a lot for
    # a small file with several time columns
    earliest_ts, latest_ts = _datetime_lit(EARLIEST), _datetime_lit(latest)
    checks = []
    for col in TIME_COLUMNS:
        if col in frame.columns:
            c = pl.col(col)
            missing = c.is_null()
            if col == "ts" and "night" in frame.columns:  # a summary may give only its night
                missing = missing & pl.col("night").is_null()
            checks.append(("ts_missing", missing))
            checks.append(("ts_out_of_range", (c < earliest_ts) | (c > latest_ts)))
    for col in DATE_COLUMNS:
        if col in frame.columns:  # a null `night` is legal: the loader fills it
            c = pl.col(col)
            checks.append(("ts_out_of_range", (c < EARLIEST.date()) | (c > latest.date())))
    return checks


@functools.lru_cache(maxsize=8)
def _datetime_lit(value: datetime) -> pl.Expr:
    return pl.lit(value)


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
    if table == "device_summaries":
        metric, value = pl.col("metric"), pl.col("value")
        is_hr = metric.is_in(list(HR_SUMMARY_METRICS))
        is_sleep = metric.str.ends_with("_hours")
        return [
            ("hr_out_of_range", is_hr & (value.is_nan() | (value < HR_MIN_BPM)
                                         | (value > HR_MAX_BPM))),
            ("sleep_hours_out_of_range", is_sleep & (value.is_nan() | (value < 0)
                                                     | (value > MAX_SLEEP_HOURS))),
        ]
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
    reason = frame.select(_reason(checks)).to_series()
    if reason.null_count() == frame.height:  # the usual case: nothing to drop
        return frame
    for value, n in reason.drop_nulls().value_counts().iter_rows():
        dropped[value] = dropped.get(value, 0) + n
    return frame.filter(reason.is_null())


def _count(dropped: dict[str, int], reason: str, n: int) -> None:
    if n:
        dropped[reason] = dropped.get(reason, 0) + n


def _who(frame: pl.DataFrame) -> list[str]:
    """A long CSV may hold several athletes: their streams are separate."""
    return ["athlete_id"] if "athlete_id" in frame.columns else []


def _drop_long_sleep_periods(frame: pl.DataFrame, dropped: dict[str, int]) -> pl.DataFrame:
    """Stages chained with gaps <= 1 h form a period; a period over 20 h is dropped whole."""
    if frame.height == 0:
        return frame
    who = _who(frame)
    ordered = frame.with_row_index("_row").sort([*who, "start_ts"])
    prev_end = pl.col("end_ts").cum_max().shift(1)
    if who:
        prev_end = prev_end.over(who)
    starts = (pl.col("start_ts") - prev_end > SLEEP_PERIOD_GAP) | prev_end.is_null()
    periods = ordered.with_columns(starts.cum_sum().alias("_period"))
    span = pl.col("end_ts").max() - pl.col("start_ts").min()
    over = (span > MAX_SLEEP_PERIOD).over([*who, "_period"])
    marked = periods.with_columns(over.alias("_long"))
    _count(dropped, "sleep_period_over_20h", int(marked["_long"].sum()))
    return marked.filter(~pl.col("_long")).sort("_row").drop("_row", "_period", "_long")


def _drop_duplicates(table: str, frame: pl.DataFrame, dropped: dict[str, int]) -> pl.DataFrame:
    """Rows repeating an earlier row of their stream exactly: the first in file order is kept."""
    if table not in STREAM_KEYS or frame.height < 2:
        return frame
    first = pl.struct(frame.columns).is_first_distinct()
    kept = frame.filter(first)
    _count(dropped, "duplicate_sample", frame.height - kept.height)
    return kept


def _backward_jumps(table: str, frame: pl.DataFrame) -> str | None:
    """A problem line when a stream recorded in time order steps back (clock jump)."""
    if table not in STREAM_KEYS or table == "sleep_stages" or frame.height < 2:
        return None
    streams = [c for c in STREAM_KEYS[table] if c != "ts"]
    step = pl.col("ts") - pl.col("ts").shift(1)
    steps = frame.select((step.over(streams) if streams else step).alias("step"))["step"]
    back = steps.filter(steps < timedelta(0))
    if back.is_empty():
        return None
    return (f"{table}: time stamps jump back {back.len()} time(s), the largest by "
            f"{-back.min()} (device clock reset?); samples kept at their own times, exact "
            f"repeats dropped as duplicate_sample")


def drop_impossible(parsed: ParsedFile, now: datetime) -> ParsedFile:
    """A copy of `parsed` without impossible rows; `dropped` counts them by reason.

    Row checks (a row is counted once, under its first failed check): hr_out_of_range
    (heart rate, or a resting-HR summary, outside 1..250 bpm), rr_out_of_range (outside
    250..2500 ms), sleep_stage_bad_interval (end <= start or longer than 20 h),
    sleep_hours_out_of_range (a nightly `*_hours` summary below 0 or above 20), ts_out_of_range
    (before 2000-01-01 or after now + 1 day), ts_missing. Then, among the rows left:
    sleep_period_over_20h (every stage of a period of stages, chained with gaps up to 1 h,
    that spans more than 20 h) and duplicate_sample (a second row at an instant of the same
    stream in this file with the same values; the first in file order is kept).

    Time stamps that jump back (FIT, GPX: rows in recording order) are not dropped: samples
    keep their own times (repeats fall under duplicate_sample) and the jump is reported in
    `problems`, so the file is `partial`. Duplicates ACROSS files (two devices on one night)
    are not touched here: the metrics choose between sources (docs/reliability.md).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    dropped = dict(parsed.dropped)
    problems = list(parsed.problems)
    frames = {}
    for table, frame in parsed.frames.items():
        frame = _clean_frame(table, frame, now, dropped)
        if table == "sleep_stages":
            frame = _drop_long_sleep_periods(frame, dropped)
        if parsed.format in RECORDING_ORDER and (jump := _backward_jumps(table, frame)):
            problems.append(jump)
        frames[table] = _drop_duplicates(table, frame, dropped)
    return replace(parsed, frames=frames, dropped=dropped, problems=problems)

