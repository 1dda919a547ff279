"""Night-time HRV (RMSSD, ms) during the main sleep period.

docs/metrics.md: RMSSD over the main sleep period from RR intervals (artifacts removed, mean of
5-minute window RMSSDs), else the mean of the device's 5-minute HRV values, else the device's
nightly average. SDNN is a different statistic and is never used as RMSSD.

RR artifact filter, chosen to be simple, vectorised and explainable:

* a beat counts only when 300 <= rr_ms <= 2000 (200 down to 30 beats per minute);
* a successive difference rr[i] - rr[i-1] is used only when both beats count, it is at most
  20 % of rr[i-1] (a larger jump is a missed, extra or ectopic beat, not vagal modulation),
  the two beats are at most 3 s apart (no data gap between them), and both lie in the same
  5-minute window. Dropping the two differences around a bad beat removes that beat without
  ever bridging across it;
* when two files hold a beat at the same timestamp, one copy is kept.

A 5-minute window (aligned to sleep_start) counts when the beats of its used differences add
up to at least 3 minutes (60 % of the window, independent of heart rate). RMSSD per window is
sqrt(mean(d^2)); the night's value is the mean of the counting windows. `hrv_coverage` is the
share of the period's 5-minute windows that count; the RR value is used from
`HRV_MIN_COVERAGE` up, else the device's 5-minute values with the same coverage rule.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from metrics.sleep import samples_in_sleep, top_file

#: Plausible RR interval range in ms (30-200 bpm); beats outside are artifacts.
RR_MIN_MS = 300.0
RR_MAX_MS = 2000.0
#: Largest successive change, as a fraction of the preceding interval, kept as physiology.
RR_MAX_CHANGE = 0.20
#: Two beats further apart than this have data missing between them: no difference taken.
RR_MAX_GAP = timedelta(seconds=3)
#: Two beats are neighbours when the time between them equals the later interval within this
#: many ms; more means a beat between them was removed upstream (RR timestamps must be
#: millisecond-precise: every source herstel reads writes them so).
RR_CONTIGUITY_MS = 200.0
#: Window length for RMSSD (the standard short-term HRV recording length).
HRV_WINDOW = timedelta(minutes=5)
#: Seconds of beats with usable differences a window needs to count (60 % of 5 minutes).
HRV_WINDOW_MIN_BEAT_S = 180.0
#: Share of the period's 5-minute windows that must count for a value from the samples.
HRV_MIN_COVERAGE = 0.25

_WINDOW_US = int(HRV_WINDOW.total_seconds() * 1_000_000)

SLEEP_HRV_SCHEMA: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "night": pl.Date(),
    "hrv": pl.Float64(),
    "coverage": pl.Float64(),
    "file_id": pl.String(),
}


def _window_index(ts: str) -> pl.Expr:
    return (pl.col(ts) - pl.col("sleep_start")).dt.total_microseconds() // _WINDOW_US


def _n_windows() -> pl.Expr:
    span = (pl.col("sleep_end") - pl.col("sleep_start")).dt.total_microseconds()
    return ((span + _WINDOW_US - 1) // _WINDOW_US).clip(lower_bound=1)


def _periods(main: pl.DataFrame) -> pl.DataFrame:
    """Main periods with an integer key `_p`: cheap to sort and group 30 000 beats a night by."""
    return main.select("athlete_id", "night", "sleep_start", "sleep_end").with_row_index("_p")


def _rr_diffs(rr: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    beats = rr.select("athlete_id", "file_id", "ts", "rr_ms").filter(pl.col("rr_ms").is_not_null())
    # ts-sorted by the as-of join; a stable sort by period keeps ts order inside each period
    inside = samples_in_sleep(beats, periods, extra=("_p",)).lazy().sort("_p", maintain_order=True)
    same = pl.col("_p") == pl.col("_p").shift(1)
    # a beat stored by two files (same timestamp): keep one copy
    inside = inside.filter(~(same & (pl.col("ts") == pl.col("ts").shift(1))).fill_null(False))
    window = _window_index("ts")
    prev_rr = pl.col("rr_ms").shift(1)
    d = pl.col("rr_ms") - prev_rr
    usable = (
        same
        & pl.col("rr_ms").is_between(RR_MIN_MS, RR_MAX_MS)
        & prev_rr.is_between(RR_MIN_MS, RR_MAX_MS)
        & (d.abs() <= RR_MAX_CHANGE * prev_rr)
        & (pl.col("ts") - pl.col("ts").shift(1) <= RR_MAX_GAP)
        # the two beats are neighbours: no beat between them was removed upstream (Polar's
        # motion-blocked samples, out-of-range intervals), which would bridge a gap
        & (
            (pl.col("ts") - pl.col("ts").shift(1)).dt.total_microseconds() / 1000.0
            - pl.col("rr_ms")
        )
        .abs()
        .le(RR_CONTIGUITY_MS)
        & (window == window.shift(1))
    )
    return inside.with_columns(window=window, d=pl.when(usable.fill_null(False)).then(d)).collect()


def rr_successive_differences(rr: pl.DataFrame, main: pl.DataFrame) -> pl.DataFrame:
    """RR beats inside main sleep with `window` and `d` (successive difference, ms) where usable.

    `d` is null for every difference the artifact filter rejects (see module docstring).
    A night holds ~30 000 beats, so this works on one sort by period and plain shifts
    guarded by "same period" rather than per-group window expressions.
    """
    return _rr_diffs(rr, _periods(main)).drop("_p")


def rr_rmssd(rr: pl.DataFrame, main: pl.DataFrame) -> pl.DataFrame:
    """Per main sleep period: mean of 5-minute RMSSDs from RR intervals (`SLEEP_HRV_SCHEMA`)."""
    periods = _periods(main)
    used = _rr_diffs(rr, periods).filter(pl.col("d").is_not_null())
    if used.is_empty():
        return pl.DataFrame(schema=SLEEP_HRV_SCHEMA)
    windows = (
        used.group_by("_p", "window")
        .agg(rmssd=(pl.col("d") ** 2).mean().sqrt(), beat_s=pl.col("rr_ms").sum() / 1000.0)
        .filter(pl.col("beat_s") >= HRV_WINDOW_MIN_BEAT_S)
    )
    nights = (
        windows.group_by("_p")
        .agg(hrv=pl.col("rmssd").mean(), n_ok=pl.len())
        .join(periods, on="_p")
        .with_columns(coverage=pl.col("n_ok") / _n_windows())
    )
    files = top_file(used, ["_p"])
    return nights.join(files, on="_p", how="left").select(
        pl.col(name).cast(dtype) for name, dtype in SLEEP_HRV_SCHEMA.items()
    )


def device_5min_hrv(hrv_samples: pl.DataFrame, main: pl.DataFrame) -> pl.DataFrame:
    """Per main sleep period: mean of the device's 5-minute RMSSD values inside it.

    Coverage = share of the period's 5-minute windows holding at least one device value.
    """
    keys = ["athlete_id", "night"]
    inside = samples_in_sleep(
        hrv_samples.filter(pl.col("rmssd_ms").is_not_null() & (pl.col("rmssd_ms") > 0)), main
    )
    if inside.is_empty():
        return pl.DataFrame(schema=SLEEP_HRV_SCHEMA)
    nights = inside.group_by(keys).agg(
        hrv=pl.col("rmssd_ms").mean(),
        coverage=_window_index("ts").n_unique() / _n_windows().first(),
    )
    files = top_file(inside, keys)
    return nights.join(files, on=keys, how="left").select(
        pl.col(name).cast(dtype) for name, dtype in SLEEP_HRV_SCHEMA.items()
    )
