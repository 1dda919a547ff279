"""Nightly recovery markers: one row per athlete-night (docs/schema.md `nightly_metrics`;
definitions in docs/metrics.md).

Frames in, frame out. Each value records the method that produced it and the file it came
from, so an analyst can filter by method and trace every number back to an input file.

Fallback order per metric (first that exists wins):

* sleep_hours: main sleep period from stages (`stages`) > device nightly value (`device`)
* resting_hr:  lowest valid 30-minute mean in main sleep (`sleep_hr_30min`) > device (`device`)
* hrv_ms:      RR intervals (`rr_rmssd_5min`) > device 5-minute values (`device_5min`) >
               device nightly RMSSD (`device_nightly`); SDNN is never used.

Among device nightly values of several files, and between overlapping sleep records of
several vendors, the athlete's `source_priority` decides (`metrics.sources`).

See `metrics.sleep`, `metrics.heart`, `metrics.hrv` for the definitions and thresholds and
`docs/metrics.md` for the analyst's version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import polars as pl

from metrics.baseline import with_baselines
from metrics.heart import HR_MIN_COVERAGE, sleep_resting_hr
from metrics.hrv import HRV_MIN_COVERAGE, device_5min_hrv, rr_rmssd
from metrics.local_time import as_utc
from metrics.sleep import main_sleep
from metrics.sources import prefer_stage_sources, with_priority_rank

UTC_US = pl.Datetime("us", "UTC")

#: Columns and dtypes of `nightly_metrics`; the warehouse creates its table from this.
NIGHTLY_COLUMNS: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "night": pl.Date(),  # local wake-up date
    "sleep_start": UTC_US,  # main sleep period, UTC; null for device-only nights
    "sleep_end": UTC_US,
    "sleep_hours": pl.Float64(),  # hours asleep inside the main period
    "sleep_method": pl.String(),  # stages | device
    "sleep_coverage": pl.Float64(),  # share of the period with a measured stage (0-1)
    "resting_hr": pl.Float64(),  # bpm
    "resting_hr_method": pl.String(),  # sleep_hr_30min | device
    "resting_hr_coverage": pl.Float64(),  # share of the period's minutes with HR (0-1)
    "hrv_ms": pl.Float64(),  # RMSSD, ms
    "hrv_method": pl.String(),  # rr_rmssd_5min | device_5min | device_nightly
    "hrv_coverage": pl.Float64(),  # share of the period's 5-minute windows with HRV (0-1)
    "resting_hr_baseline": pl.Float64(),  # mean of nights D-28..D-1, >= 7 present
    "hrv_baseline_ms": pl.Float64(),
    "sleep_hours_baseline": pl.Float64(),
    "sleep_file_id": pl.String(),
    "resting_hr_file_id": pl.String(),
    "hrv_file_id": pl.String(),
}

#: device_summaries metrics this module reads, and the nightly column each one backs.
DEVICE_METRICS = {
    "sleep_hours": "sleep_hours",
    "resting_hr": "resting_hr",
    "hrv_rmssd_ms": "hrv_ms",
}

#: Baseline column for each nightly value (docs/metrics.md personal baseline).
BASELINES = {
    "resting_hr": "resting_hr_baseline",
    "hrv_ms": "hrv_baseline_ms",
    "sleep_hours": "sleep_hours_baseline",
}


def device_nightly(
    device_summaries: pl.DataFrame, athletes: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Wide frame `athlete_id, night, dev_<metric>, dev_<metric>_file` for the metrics we use.

    When several files give the same metric for the same night, the athlete's
    `source_priority` decides (`athletes.source_priority`, e.g. `oura>garmin`: first wins;
    vendors it does not name come after the named ones), then vendor name, then file id:
    deterministic, and the file id says which one it was (`v_night_sources` lists them all).
    """
    keys = ["athlete_id", "night"]
    candidates = device_summaries.filter(
        pl.col("metric").is_in(list(DEVICE_METRICS))
        & pl.col("value").is_not_null()
        & pl.col("night").is_not_null()
    )
    picked = (
        with_priority_rank(candidates, athletes)
        .sort(*keys, "metric", "priority_rank", "vendor", "file_id", nulls_last=True)
        .unique(subset=[*keys, "metric"], keep="first")
    )
    out = picked.select(keys).unique()
    for metric in DEVICE_METRICS:
        part = picked.filter(pl.col("metric") == metric).select(
            *keys,
            pl.col("value").cast(pl.Float64).alias(f"dev_{metric}"),
            pl.col("file_id").alias(f"dev_{metric}_file"),
        )
        out = out.join(part, on=keys, how="left")
    return out


def nightly_metrics(*raw: pl.DataFrame) -> pl.DataFrame:
    """One row per athlete-night with sleep, resting HR, HRV, methods, baselines, provenance.

    `raw`: the frames `nightly_values` takes, in its order. A night exists when the athlete
    has a main sleep period ending that local date, or a device nightly value for sleep hours,
    resting HR or RMSSD. Baselines are computed over all rows passed in, so pass at least 28
    nights of history before the nights you need.
    """
    return with_nightly_baselines(nightly_values(*raw))


def with_nightly_baselines(values: pl.DataFrame) -> pl.DataFrame:
    """`values` (nightly rows; any baseline columns are recomputed) with the personal
    baselines over the rows passed in, in the `nightly_metrics` column order."""
    out = with_baselines(values.drop(BASELINES.values(), strict=False), BASELINES)
    return out.select(pl.col(name).cast(dtype) for name, dtype in NIGHTLY_COLUMNS.items()).sort(
        "athlete_id", "night"
    )


def nightly_values(
    sleep_stages: pl.DataFrame,
    heart_rate: pl.DataFrame,
    rr_intervals: pl.DataFrame,
    hrv_samples: pl.DataFrame,
    device_summaries: pl.DataFrame,
    athletes: pl.DataFrame,
    files: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The nightly rows without baselines: each night depends only on its own raw data, so an
    incremental run computes these for the touched nights alone (baselines come after).
    `files` (`file_id, vendor`) lets an athlete's `source_priority` choose between
    overlapping sleep records of several vendors (`metrics.sources.prefer_stage_sources`)."""
    keys = ["athlete_id", "night"]
    sleep_stages = prefer_stage_sources(
        as_utc(sleep_stages, "start_ts", "end_ts"), athletes, files
    )
    heart_rate, rr_intervals, hrv_samples = (
        as_utc(f, "ts") for f in (heart_rate, rr_intervals, hrv_samples)
    )
    main = main_sleep(sleep_stages, athletes)
    hr = sleep_resting_hr(heart_rate, main)
    rr = rr_rmssd(rr_intervals, main).rename(
        {"hrv": "rr_hrv", "coverage": "rr_cov", "file_id": "rr_file"}
    )
    d5 = device_5min_hrv(hrv_samples, main).rename(
        {"hrv": "d5_hrv", "coverage": "d5_cov", "file_id": "d5_file"}
    )
    dev = device_nightly(device_summaries, athletes)

    nights = pl.concat([main.select(keys), dev.select(keys)]).unique()
    wide = nights
    for part in (main, hr, rr, d5, dev):
        wide = wide.join(part, on=keys, how="left")

    def device(metric: str) -> Source:
        col = f"dev_{metric}"
        return Source(pl.col(col).is_not_null(), col, f"{col}_file")

    def enough(value: str, coverage: str, minimum: float) -> pl.Expr:
        return pl.col(value).is_not_null() & (pl.col(coverage) >= minimum)

    out = wide.with_columns(
        *_first_usable(
            ("sleep_hours", "sleep_method", "sleep_file_id", "sleep_coverage"),
            stages=Source(pl.col("sleep_start").is_not_null(), "sleep_hours", "sleep_file_id",
                          "sleep_coverage"),
            device=device("sleep_hours"),
        ),
        *_first_usable(
            ("resting_hr", "resting_hr_method", "resting_hr_file_id", "resting_hr_coverage"),
            sleep_hr_30min=Source(enough("sleep_hr", "sleep_hr_coverage", HR_MIN_COVERAGE),
                                  "sleep_hr", "sleep_hr_file_id", "sleep_hr_coverage"),
            device=device("resting_hr"),
        ),
        *_first_usable(
            ("hrv_ms", "hrv_method", "hrv_file_id", "hrv_coverage"),
            rr_rmssd_5min=Source(enough("rr_hrv", "rr_cov", HRV_MIN_COVERAGE), "rr_hrv",
                                 "rr_file", "rr_cov"),
            device_5min=Source(enough("d5_hrv", "d5_cov", HRV_MIN_COVERAGE), "d5_hrv",
                               "d5_file", "d5_cov"),
            device_nightly=device("hrv_rmssd_ms"),
        ),
    )  # fmt: skip
    return out.select(
        pl.col(name).cast(dtype)
        for name, dtype in NIGHTLY_COLUMNS.items()
        if name not in BASELINES.values()
    ).sort(keys)


class Source(NamedTuple):
    """One candidate source of a nightly value: when it is usable, and its columns."""

    usable: pl.Expr
    value: str
    file: str
    coverage: str | None = None  # None: the source has no coverage (vendor values)


def _first_usable(out: tuple[str, str, str, str], **sources: Source) -> list[pl.Expr]:
    """Fallback chain: the first usable source (in keyword order) fills all four columns.

    `out` names the value, method, file and coverage columns; each keyword is the method
    name of its source. One when/then chain per output column, for all rows at once.
    """

    def chain(pick: Callable[[str, Source], pl.Expr]) -> pl.Expr:
        items = list(sources.items())
        expr = pl.when(items[0][1].usable).then(pick(*items[0]))
        for method, src in items[1:]:
            expr = expr.when(src.usable).then(pick(method, src))
        return expr.otherwise(None)

    null = pl.lit(None, dtype=pl.Float64)
    value, method, file, coverage = out
    return [
        chain(lambda _m, src: pl.col(src.value)).alias(value),
        chain(lambda m, _src: pl.lit(m)).alias(method),
        chain(lambda _m, src: pl.col(src.file)).alias(file),
        chain(lambda _m, src: pl.col(src.coverage) if src.coverage else null).alias(coverage),
    ]
