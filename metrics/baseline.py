"""Personal baselines: trailing statistics over previous calendar nights (or days).

docs/metrics.md: the personal baseline is the mean of the previous 28 nights, at least 7 of them
present, the current night excluded. The window is in *calendar* nights, not rows: a gap
in the data shrinks the number of values in the window rather than reaching further back.
The same helpers serve longer windows later (e.g. 60-night mean and SD of ln RMSSD).

The helpers return expressions to be evaluated per athlete (`.over("athlete_id")`) on a
frame sorted by athlete and date; `with_baselines` does that for a frame.
"""

from __future__ import annotations

import polars as pl

#: Length of the personal baseline window, in calendar nights before the current one.
BASELINE_WINDOW_NIGHTS = 28
#: Fewest nights with a value in the window for a baseline to exist.
BASELINE_MIN_NIGHTS = 7


def _window_sum(expr: pl.Expr, on: str, window_days: int, closed: str = "left") -> pl.Expr:
    # closed="left": the window is [D - window_days, D), i.e. nights D-window..D-1;
    # closed="right": (D - window_days, D], i.e. the current night and the window-1 before it
    return expr.rolling_sum_by(on, f"{window_days}d", closed=closed)


def recent_mean(
    value: str, *, on: str = "night", window_days: int = 7, min_count: int = 1
) -> pl.Expr:
    """Mean of `value` over the `window_days` calendar dates ending on (and including) the row.

    Null when fewer than `min_count` of those dates have a value (e.g. the 7-night mean of
    ln RMSSD: nights D-6..D).
    """
    present = pl.col(value).is_not_null().cast(pl.Int64)
    n = _window_sum(present, on, window_days, "right")
    total = _window_sum(pl.col(value).fill_null(0.0).cast(pl.Float64), on, window_days, "right")
    return pl.when(n >= min_count).then(total / n).otherwise(None)


def trailing_count(
    value: str, *, on: str = "night", window_days: int = BASELINE_WINDOW_NIGHTS
) -> pl.Expr:
    """Number of non-null `value`s in the `window_days` calendar dates before each row."""
    return _window_sum(pl.col(value).is_not_null().cast(pl.Int64), on, window_days)


def trailing_mean(
    value: str,
    *,
    on: str = "night",
    window_days: int = BASELINE_WINDOW_NIGHTS,
    min_count: int = BASELINE_MIN_NIGHTS,
) -> pl.Expr:
    """Mean of `value` over the `window_days` calendar dates before each row (row excluded).

    Null when fewer than `min_count` of those dates have a value. Nulls are not values:
    they neither count towards `min_count` nor pull the mean towards zero.
    """
    n = trailing_count(value, on=on, window_days=window_days)
    total = _window_sum(pl.col(value).fill_null(0.0).cast(pl.Float64), on, window_days)
    return pl.when(n >= min_count).then(total / n).otherwise(None)


def trailing_std(
    value: str,
    *,
    on: str = "night",
    window_days: int = BASELINE_WINDOW_NIGHTS,
    min_count: int = BASELINE_MIN_NIGHTS,
) -> pl.Expr:
    """Sample standard deviation (ddof=1) of `value` over the same window as `trailing_mean`."""
    n = trailing_count(value, on=on, window_days=window_days)
    x = pl.col(value).cast(pl.Float64)
    s1 = _window_sum(x.fill_null(0.0), on, window_days)
    s2 = _window_sum((x * x).fill_null(0.0), on, window_days)
    var = (s2 - s1 * s1 / n) / (n - 1)
    return pl.when((n >= min_count) & (n >= 2)).then(var.clip(lower_bound=0.0).sqrt())


def with_baselines(
    frame: pl.DataFrame,
    columns: dict[str, str],
    *,
    by: str = "athlete_id",
    on: str = "night",
    window_days: int = BASELINE_WINDOW_NIGHTS,
    min_count: int = BASELINE_MIN_NIGHTS,
) -> pl.DataFrame:
    """Add one trailing-mean column per `{value_column: baseline_column}` pair.

    Expects at most one row per (`by`, `on`); returns the frame sorted by (`by`, `on`).
    """
    return frame.sort(by, on).with_columns(
        trailing_mean(value, on=on, window_days=window_days, min_count=min_count)
        .over(by)
        .alias(out)
        for value, out in columns.items()
    )
