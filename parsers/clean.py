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

from parsers.base import FILE_KEY, ParsedFile, stack_keyed

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
#: Rows stacked into one polars pass at most: small files share a pass, a big one (an Apple
#: export of millions of rows) is cleaned alone, so stacking never doubles a large file.
STACK_ROWS = 500_000


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


def _tally(dropped: list[dict[str, int]], counts: pl.DataFrame) -> None:
    """Add (file, reason, n) rows to each file's `dropped`."""
    for file, reason, n in counts.iter_rows():
        dropped[file][reason] = dropped[file].get(reason, 0) + n


def _clean_frame(table: str, frame: pl.DataFrame, now: datetime,
                 dropped: list[dict[str, int]]) -> pl.DataFrame:
    checks = _value_checks(table) + _time_checks(frame, now)
    if not checks or frame.height == 0:
        return frame
    reason = frame.select(_reason(checks)).to_series()
    if reason.null_count() == frame.height:  # the usual case: nothing to drop
        return frame
    counts = (frame.select(pl.col(FILE_KEY), reason.alias("reason")).drop_nulls("reason")
              .group_by(FILE_KEY, "reason").len())
    _tally(dropped, counts)
    return frame.filter(reason.is_null())


def _count(dropped: list[dict[str, int]], reason: str, per_file: pl.DataFrame) -> None:
    """Add `per_file` (file, n) counts under `reason`, skipping zeros."""
    _tally(dropped, per_file.filter(pl.col("n") > 0).select(FILE_KEY, pl.lit(reason), "n"))


def _who(frame: pl.DataFrame) -> list[str]:
    """A long CSV may hold several athletes: their streams are separate (and files always)."""
    return [FILE_KEY, "athlete_id"] if "athlete_id" in frame.columns else [FILE_KEY]


def _drop_long_sleep_periods(frame: pl.DataFrame, dropped: list[dict[str, int]]) -> pl.DataFrame:
    """Stages chained with gaps <= 1 h form a period; a period over 20 h is dropped whole."""
    if frame.height == 0:
        return frame
    who = _who(frame)
    ordered = frame.with_row_index("_row").sort([*who, "start_ts"])
    prev_end = pl.col("end_ts").cum_max().shift(1).over(who)
    starts = (pl.col("start_ts") - prev_end > SLEEP_PERIOD_GAP) | prev_end.is_null()
    periods = ordered.with_columns(starts.cum_sum().alias("_period"))
    span = pl.col("end_ts").max() - pl.col("start_ts").min()
    over = (span > MAX_SLEEP_PERIOD).over([*who, "_period"])
    marked = periods.with_columns(over.alias("_long"))
    if not marked["_long"].any():
        return frame
    _count(dropped, "sleep_period_over_20h",
           marked.group_by(FILE_KEY).agg(pl.col("_long").sum().alias("n")))
    return marked.filter(~pl.col("_long")).sort("_row").drop("_row", "_period", "_long")


def _drop_duplicates(table: str, frame: pl.DataFrame,
                     dropped: list[dict[str, int]]) -> pl.DataFrame:
    """Rows repeating an earlier row of their stream exactly: the first in file order is kept."""
    if table not in STREAM_KEYS or frame.height < 2:
        return frame
    first = frame.select(pl.struct(frame.columns).is_first_distinct()).to_series()
    if first.all():
        return frame
    repeats = frame.select(pl.col(FILE_KEY), (~first).alias("n")).group_by(FILE_KEY).sum()
    _count(dropped, "duplicate_sample", repeats)
    return frame.filter(first)


def _backward_jumps(table: str, frame: pl.DataFrame) -> dict[int, str]:
    """Per file, a problem line when a stream recorded in time order steps back (clock jump)."""
    if table not in STREAM_KEYS or table == "sleep_stages" or frame.height < 2:
        return {}
    streams = [FILE_KEY, *(c for c in STREAM_KEYS[table] if c != "ts")]
    step = (pl.col("ts") - pl.col("ts").shift(1)).over(streams)
    back = frame.select(pl.col(FILE_KEY), step.alias("step")).filter(pl.col("step") < timedelta(0))
    if back.is_empty():
        return {}
    per_file = back.group_by(FILE_KEY).agg(pl.len().alias("n"), pl.col("step").min())
    return {
        file: (f"{table}: time stamps jump back {n} time(s), the largest by "
               f"{-largest} (device clock reset?); samples kept at their own times, exact "
               f"repeats dropped as duplicate_sample")
        for file, n, largest in per_file.iter_rows()
    }


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
    return drop_impossible_many([parsed], now)[0]


def drop_impossible_many(parsed: list[ParsedFile], now: datetime) -> list[ParsedFile]:
    """`drop_impossible` of each file, computed for all of them at once.

    Frames of one table (and one schema) are stacked with a file key and checked in one
    polars pass: a small daily file costs a few polars calls per batch instead of per file
    (docs/scaling.md). Every rule is per file (streams, periods and repeats never span two
    files), so each result is exactly what the file cleaned alone gives.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    dropped = [dict(p.dropped) for p in parsed]
    cleaned: dict[tuple[int, str], pl.DataFrame] = {}
    jumps: dict[tuple[int, str], str] = {}
    for table, members in _stacks(parsed):
        frame = stack_keyed([f for _, f in members], [i for i, _ in members], FILE_KEY)
        frame = _clean_frame(table, frame, now, dropped)
        if table == "sleep_stages":
            frame = _drop_long_sleep_periods(frame, dropped)
        ordered = [i for i, _ in members if parsed[i].format in RECORDING_ORDER]
        if ordered:
            mine = frame if len(ordered) == len(members) else frame.filter(
                pl.col(FILE_KEY).is_in(ordered))
            jumps.update(((i, table), text) for i, text in _backward_jumps(table, mine).items())
        frame = _drop_duplicates(table, frame, dropped)
        if frame.height == sum(f.height for _, f in members):
            continue  # the usual case: nothing dropped, each file keeps its own frame
        parts = frame.partition_by(FILE_KEY, as_dict=True, include_key=False)
        for i, original in members:
            cleaned[i, table] = parts.get((i,), original.clear())
    return [
        replace(
            p,
            frames={t: cleaned.get((i, t), f) for t, f in p.frames.items()},
            dropped=dropped[i],
            problems=[*p.problems, *(jumps[i, t] for t in p.frames if (i, t) in jumps)],
        )
        for i, p in enumerate(parsed)
    ]


def _stacks(parsed: list[ParsedFile]) -> list[tuple[str, list[tuple[int, pl.DataFrame]]]]:
    """Frames with rows, grouped by table and schema (frames of one stack line up), each
    stack at most `STACK_ROWS` rows unless one frame alone is bigger."""
    groups: dict[tuple, list[tuple[int, pl.DataFrame]]] = {}
    for i, p in enumerate(parsed):
        for table, frame in p.frames.items():
            if frame.height:
                groups.setdefault((table, *frame.schema.items()), []).append((i, frame))
    stacks = []
    for (table, *_), members in groups.items():
        chunk: list[tuple[int, pl.DataFrame]] = []
        rows = 0
        for member in members:
            if chunk and rows + member[1].height > STACK_ROWS:
                stacks.append((table, chunk))
                chunk, rows = [], 0
            chunk.append(member)
            rows += member[1].height
        stacks.append((table, chunk))
    return stacks
