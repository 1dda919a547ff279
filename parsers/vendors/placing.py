"""Placing vendor rows in time: one date layout per file, and local times on clock-change
nights (docs/formats.md, "Dates"). Rows that cannot be placed are counted, never dropped
silently: each helper returns the `dropped` counts and `problems` lines for the ParsedFile.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import polars as pl

from parsers.dates import UNREADABLE, DateChoice, choose, describe, with_swapped
from parsers.vendors.common import DATE_FORMATS, NAIVE_FORMATS, date_prefix

#: Date and date-time layouts for files that may be year-day-month (HRV4Training Android).
FILE_DATE_LAYOUTS = with_swapped(DATE_FORMATS)
FILE_TIME_LAYOUTS = with_swapped(NAIVE_FORMATS)


def file_dates(frame: pl.DataFrame, day: str | None, when: str | None,
               ) -> tuple[pl.Expr, list[DateChoice]]:
    """Local dates of spot-check readings, one layout per column decided from the whole file
    (`parsers.dates.choose`, by sequence: readings come day after day): the `day` column's
    date, else the date of the `when` date-time. Returns (Date expression, the choices)."""
    choices, nights = [], []
    if day:
        text = frame.select(date_prefix(day)).to_series()
        choice = choose(text, FILE_DATE_LAYOUTS, column=day, by_sequence=True)
        choices.append(choice)
        nights.append(choice.expr(date_prefix(day), datetime=False))
    if when:
        choice = choose(frame[when], FILE_TIME_LAYOUTS, column=when, datetime=True,
                        by_sequence=True)
        choices.append(choice)
        nights.append(choice.expr(pl.col(when), datetime=True).dt.date())
    return (pl.coalesce(nights) if nights else pl.lit(None, pl.Date)), choices


def unreadable_dates(frame: pl.DataFrame, parsed: pl.Expr, raw: str, what: str = "row",
                     ) -> tuple[dict[str, int], list[str]]:
    """Rows whose `raw` date is filled but not readable (`parsed` null): (dropped, problems)
    for the `ParsedFile`, so a file that loses them says so (`date_unreadable`, partial)."""
    filled = pl.col(raw).str.strip_chars().str.len_chars() > 0
    lost = frame.filter(filled.fill_null(False) & parsed.is_null())
    if lost.is_empty():
        return {}, []
    return {UNREADABLE: lost.height}, [
        f"{lost.height} {what}{'s' if lost.height > 1 else ''} skipped: {raw} {lost[raw][0]!r} "
        f"is not a date or time herstel reads"]


def unplaced(frame: pl.DataFrame, night: pl.Expr, value: pl.Expr, choices: list[DateChoice],
             ) -> tuple[dict[str, int], list[str]]:
    """Rows holding a value but no readable date: (dropped, problems) to report them.

    Ambiguity notes of the date choices are passed on as problems too."""
    problems = [c.ambiguity for c in choices if c.ambiguity]
    lost = frame.filter(night.is_null() & value.is_not_null())
    if lost.is_empty():
        return {}, problems
    cols = [c.column for c in choices]
    example = next((v for v in lost.select(cols).row(0) if v and v.strip()), "")
    layouts = ", ".join(f"{c.column} as {describe(c.layout)}" for c in choices if c.layout)
    rows = "row" if lost.height == 1 else "rows"
    problems.append(f"{lost.height} {rows} skipped: no readable date (e.g. {example!r}; the "
                    f"file's dates read {layouts or 'in no known layout'})")
    return {UNREADABLE: lost.height}, problems


#: A step back in local time at least this long, landing in the repeated hour of an autumn
#: clock change, is the clock going back: what follows in the same stream is the second pass.
#: (Samples of one stream step forward; a shorter step back is jitter, not the clock.)
FOLD_MIN_STEP = timedelta(minutes=1)
#: `dropped` reasons for local times that cannot be placed in UTC.
AMBIGUOUS_LOCAL = "ambiguous_local_time"
NONEXISTENT_LOCAL = "nonexistent_local_time"


class Placed(NamedTuple):
    """`frame` with a UTC `ts` column (unplaceable rows removed), and what was removed."""

    frame: pl.DataFrame
    dropped: dict[str, int]
    problems: list[str]


def utc_by_sequence(frame: pl.DataFrame, naive: str, tz: str | None,
                    stream: list[str], what: str) -> Placed:
    """Local wall-clock times of a recorded stream (rows in recording order) -> UTC `ts`.

    In the repeated hour of an autumn clock change a local time happens twice; the stream's
    own order tells which: once its local time steps back by `FOLD_MIN_STEP` or more into
    the repeated hour, the rest of that hour is the second pass (as the Fitbit stage fix
    lays items end to end). Samples of the repeated hour in a stream with no such step (a
    recording that paused across the change) cannot be placed: dropped and counted
    (`ambiguous_local_time`), never laid onto the first pass. Local times in the spring-
    forward gap do not exist on a clock that changed: dropped and counted
    (`nonexistent_local_time`). `stream` names the columns of one recording (e.g. a day and
    a device); `what` names the samples in the problem lines.
    """
    zone = tz or "UTC"
    t = pl.col(naive)
    early = t.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
    late = t.dt.replace_time_zone(zone, ambiguous="latest", non_existent="null")
    by = stream or [pl.lit(0)]
    marked = frame.with_columns(
        (early != late).fill_null(False).alias("_amb"),
        (t.is_not_null() & early.is_null()).alias("_gap"),
    ).with_columns(
        (pl.col("_amb") & ((t - t.shift(1)) <= -FOLD_MIN_STEP).fill_null(False))
        .over(by).alias("_fold"),
    ).with_columns(
        (pl.col("_fold").cum_sum().over(by) > 0).alias("_second"),
        (pl.col("_fold").cum_sum(reverse=True).over(by) > 0).alias("_first"),
    )
    local = (pl.when(~pl.col("_amb")).then(early)
             .when(pl.col("_second")).then(late)
             .when(pl.col("_first")).then(early))
    placed = marked.with_columns(local.dt.convert_time_zone("UTC").alias("ts"))
    lost_amb = placed.filter(pl.col("_amb") & pl.col("ts").is_null()).height
    lost_gap = placed.filter(pl.col("_gap")).height
    dropped, problems = {}, []
    if lost_amb:
        dropped[AMBIGUOUS_LOCAL] = lost_amb
        problems.append(f"{lost_amb} {what} in the repeated hour of the clock change ({zone}) "
                        f"skipped: their recording shows no step back, so which pass they "
                        f"belong to is unknown")
    if lost_gap:
        dropped[NONEXISTENT_LOCAL] = lost_gap
        problems.append(f"{lost_gap} {what} skipped: local times that do not exist in {zone} "
                        f"(the hour skipped when the clocks went forward)")
    keep = placed.filter(pl.col("ts").is_not_null() | t.is_null())
    return Placed(keep.drop("_amb", "_gap", "_fold", "_second", "_first"), dropped, problems)
