"""Resting heart rate from heart-rate samples during the main sleep period.

docs/metrics.md: resting_hr is the lowest 30-minute rolling mean of heart rate inside the main
sleep period, with enough coverage, else the device's own resting HR for that day.

How the samples become a 30-minute mean, and why:

1. Samples of any context inside [sleep_start, sleep_end) are averaged per UTC minute, so a
   1-second chest strap and a 2-minute wrist logger weigh the same per minute.
2. A minute without a sample takes the last minute's value for up to `HR_HOLD_MINUTES`
   minutes: watches log HR during sleep every 1-5 minutes, and a sample describes the heart
   until the next one. A longer silence is a real gap and stays empty.
3. A 30-minute window (30 consecutive minute slots, wholly inside the period) counts when
   at least `HR_WINDOW_MIN_MINUTES` of its slots have a value; resting_hr is the lowest
   such window's mean. A period shorter than 30 minutes has no window.
4. `resting_hr_coverage` is the share of the period's minute slots with a value (after the
   hold). Below `HR_MIN_COVERAGE` the night's lowest window may just be the part that was
   measured, so the device's resting HR is used instead.
"""

from __future__ import annotations

import polars as pl

from metrics.sleep import samples_in_sleep, top_file

#: Window length of the rolling mean, in minutes (docs/metrics.md).
HR_WINDOW_MINUTES = 30
#: Minute slots (of 30) that must have a value for a window to count.
HR_WINDOW_MIN_MINUTES = 20
#: Minutes a per-minute mean is carried into following empty minutes (5-minute loggers).
HR_HOLD_MINUTES = 4
#: Share of the main period's minutes with a value below which the night falls back.
HR_MIN_COVERAGE = 0.5

SLEEP_HR_SCHEMA: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "night": pl.Date(),
    "sleep_hr": pl.Float64(),
    "sleep_hr_coverage": pl.Float64(),
    "sleep_hr_file_id": pl.String(),
}


def sleep_resting_hr(heart_rate: pl.DataFrame, main: pl.DataFrame) -> pl.DataFrame:
    """Per main sleep period: lowest valid 30-minute mean (`sleep_hr`), coverage and file.

    Returns every night that has at least one sample; `sleep_hr` is null when no window is
    valid. Whether coverage suffices is decided by the caller (see `HR_MIN_COVERAGE`).
    """
    keys = ["athlete_id", "night"]
    inside = samples_in_sleep(heart_rate.filter(pl.col("bpm").is_not_null()), main)
    if inside.is_empty():
        return pl.DataFrame(schema=SLEEP_HR_SCHEMA)
    per_minute = inside.group_by(*keys, minute=pl.col("ts").dt.truncate("1m")).agg(
        bpm=pl.col("bpm").cast(pl.Float64).mean()
    )
    grid = (
        main.join(inside.select(keys).unique(), on=keys, how="semi")
        .select(
            *keys,
            minute=pl.datetime_ranges(
                pl.col("sleep_start").dt.truncate("1m"), "sleep_end", "1m", closed="left"
            ),
        )
        .explode("minute")
        .join(per_minute, on=[*keys, "minute"], how="left")
        .sort(*keys, "minute")
        .with_columns(
            bpm=pl.col("bpm").fill_null(strategy="forward", limit=HR_HOLD_MINUTES).over(keys)
        )
        .with_columns(
            # only whole windows inside the period: the first 29 minutes end no window
            window=pl.when(pl.int_range(pl.len()).over(keys) >= HR_WINDOW_MINUTES - 1).then(
                pl.col("bpm")
                .rolling_mean(HR_WINDOW_MINUTES, min_samples=HR_WINDOW_MIN_MINUTES)
                .over(keys)
            )
        )
    )
    nights = grid.group_by(keys).agg(
        sleep_hr=pl.col("window").min(),
        sleep_hr_coverage=pl.col("bpm").is_not_null().mean(),
    )
    files = top_file(inside, keys).rename({"file_id": "sleep_hr_file_id"})
    return nights.join(files, on=keys, how="left").select(
        pl.col(name).cast(dtype) for name, dtype in SLEEP_HR_SCHEMA.items()
    )
