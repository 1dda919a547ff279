"""One date layout per file, decided from all of its rows (docs/formats.md, "Dates").

Reading each row with whichever layout happens to work puts rows on wrong dates without a
word: the HRV4Training Android export writes year-day-month (`2017-29-08`, `2017-01-09`),
and row by row `2017-01-09` became 9 January while `2017-29-08` was dropped. So a column's
layout is chosen once per file:

1. a layout under which some value of the file is impossible is wrong for the file: only
   layouts that read EVERY non-empty value are candidates;
2. among several, a parser that documents one layout (wellness, lab CSV) takes the first in
   its list; a parser of readings taken day after day (`by_sequence`, the morning-HRV apps)
   takes the layout whose dates step least from row to row in file order (sum of absolute
   steps), ties to the first in its list. A tie whose layouts read some value differently
   is ambiguous and said in `problems` (the file is `partial`);
3. when no layout reads every value, the one reading most values is taken and the others are
   rows that cannot be placed: the caller drops and counts them (`date_unreadable`) and the
   problem line says which value, where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

#: `dropped` reason for a row whose date the file's layout cannot read.
UNREADABLE = "date_unreadable"
#: Year-first separators that also occur with day and month swapped.
_YEAR_FIRST = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")


def with_swapped(layouts: Sequence[str]) -> tuple[str, ...]:
    """`layouts`, each year-first one followed by its year-day-month twin (`%Y-%d-%m`)."""
    out: list[str] = []
    for layout in layouts:
        out.append(layout)
        for ymd in _YEAR_FIRST:
            if layout.startswith(ymd):
                ydm = ymd.replace("%m", "#").replace("%d", "%m").replace("#", "%d")
                out.append(ydm + layout[len(ymd):])
    return tuple(dict.fromkeys(out))


def describe(layout: str) -> str:
    """`%Y-%d-%m` -> `YYYY-DD-MM` (what a person recognises)."""
    for code, text in (("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"),
                       ("%M", "mm"), ("%S", "ss"), ("%.f", "[.fff]")):
        layout = layout.replace(code, text)
    return layout


def read_as(values: pl.Expr, layout: str, datetime: bool) -> pl.Expr:
    """Stripped text read with one layout: Date, or naive Datetime("us"); else null."""
    s = values.str.strip_chars()
    if datetime:
        return s.str.to_datetime(layout, time_unit="us", strict=False)
    return s.str.to_date(layout, strict=False)


@dataclass
class DateChoice:
    """The layout chosen for one column of one file, and what it could not read."""

    column: str
    layout: str | None  # None: the column has no value at all
    unreadable: int = 0  # non-empty values the layout cannot read (rows to drop and count)
    problems: list[str] = field(default_factory=list)  # the ambiguity and the skipped rows
    ambiguity: str | None = None  # the problem line saying the layout was a tie

    def expr(self, values: pl.Expr, datetime: bool) -> pl.Expr:
        if self.layout is None:
            return pl.lit(None, pl.Datetime("us") if datetime else pl.Date)
        return read_as(values, self.layout, datetime)


def _steps(parsed: pl.Series) -> float:
    """Sum of absolute steps between consecutive values (file order), in days."""
    seconds = parsed.drop_nulls().cast(pl.Datetime("us")).dt.epoch("s")
    return float(seconds.diff().abs().sum() or 0) / 86400


def choose(
    values: pl.Series,
    layouts: Sequence[str],
    *,
    column: str,
    datetime: bool = False,
    by_sequence: bool = False,
) -> DateChoice:
    """The one layout for `values` (a String column in file order); see the module doc.

    A value no layout reads at all (`n/a`, `yesterday`) says nothing about the layout: it is
    unreadable under any choice and counted as such.
    """
    text = values.cast(pl.String).str.strip_chars()
    text = text.filter(text.is_not_null() & (text.str.len_chars() > 0))
    if text.is_empty():
        return DateChoice(column, None)
    frame = text.to_frame("v")
    parsed = {f: frame.select(read_as(pl.col("v"), f, datetime)).to_series() for f in layouts}
    readable = pl.DataFrame([s.is_not_null().alias(f"_{i}") for i, s in
                             enumerate(parsed.values())]).select(pl.any_horizontal(pl.all()))
    readable = readable.to_series()
    reads = {f: s.len() - s.null_count() for f, s in parsed.items()}
    everywhere = [f for f in layouts if reads[f] == readable.sum()]
    if not by_sequence and layouts[0] not in everywhere:
        everywhere = _steadier(layouts[0], everywhere, parsed, reads, int(readable.sum()))
    if not everywhere or readable.sum() == 0:
        return _partly(column, text, layouts, parsed, reads, by_sequence)
    choice = _among(column, text, everywhere, parsed, by_sequence)
    if (garbage := text.len() - int(readable.sum())):
        choice.unreadable = garbage
        rows = "row" if garbage == 1 else "rows"
        choice.problems.append(
            f"{garbage} {rows} skipped: {column} {text.filter(~readable)[0]!r} is not a date "
            f"(expected {describe(choice.layout or '')})")
    return choice


def _mean_step(parsed: pl.Series, reads: int) -> float:
    return _steps(parsed) / max(reads - 1, 1)


def _steadier(documented: str, fitting: list[str], parsed: dict[str, pl.Series],
              reads: dict[str, int], total: int) -> list[str]:
    """The documented layout misses some values: an alternative reading them all replaces it
    only if its dates step no more (on average) than the documented layout's own readings;
    otherwise (a typo such as `2024-13-01` among ISO dates) the documented layout stays and
    the values it cannot read are dropped. With fewer than two of its own readings there is
    no sequence to compare: the alternative wins when the documented layout reads under half
    of the values."""
    if reads[documented] < 2:
        return fitting if reads[documented] * 2 < total else []
    own = _mean_step(parsed[documented], reads[documented])
    return [f for f in fitting if _mean_step(parsed[f], reads[f]) <= own]


def _among(column: str, text: pl.Series, fitting: list[str], parsed: dict[str, pl.Series],
           by_sequence: bool) -> DateChoice:
    """Several layouts read every value: the first, or the steadiest sequence."""
    if len(fitting) == 1 or not by_sequence:
        return DateChoice(column, fitting[0])
    score = {f: _steps(parsed[f]) for f in fitting}
    best = min(score.values())
    tied = [f for f in fitting if score[f] == best]
    choice = DateChoice(column, tied[0])
    differs = [f for f in tied[1:] if not parsed[f].equals(parsed[tied[0]])]
    if differs:
        other = differs[0]
        where = (parsed[other] != parsed[tied[0]]).fill_null(True).arg_true()[0]
        choice.ambiguity = (
            f"{column}: dates are ambiguous ({text[where]!r} reads as {describe(tied[0])} "
            f"and as {describe(other)}, and neither gives a steadier sequence); read as "
            f"{describe(tied[0])}")
        choice.problems.append(choice.ambiguity)
    return choice


def _partly(column: str, text: pl.Series, layouts: Sequence[str],
            parsed: dict[str, pl.Series], reads: dict[str, int],
            by_sequence: bool) -> DateChoice:
    """No layout reads every value. A documented layout (not `by_sequence`) stays; else the
    layout reading most values (ties: the steadier sequence, then list order). The values it
    cannot read are rows to drop."""
    if by_sequence:
        most = max(reads.values())
        tied = [f for f in layouts if reads[f] == most]
        best = min(tied, key=lambda f: _mean_step(parsed[f], reads[f]))  # first of equals
    else:  # the documented layout, unless it reads nothing at all
        best = layouts[0] if reads[layouts[0]] else max(layouts, key=lambda f: reads[f])
    if reads[best] == 0:
        return DateChoice(column, best, unreadable=text.len())
    missing = parsed[best].is_null()
    n = int(missing.sum())
    first = text.filter(missing)[0]
    rows = "row" if n == 1 else "rows"
    return DateChoice(column, best, unreadable=n, problems=[
        f"{n} {rows} skipped: {column} {first!r} does not fit the file's date layout "
        f"{describe(best)} (read from the other {reads[best]} rows)"])
