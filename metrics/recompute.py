"""Recompute a window of an athlete's history from the raw samples that changed.

A nightly run after one new night must not cost what the whole history costs. What each
derived value depends on:

* a night's own values (main sleep, resting HR, HRV, device values) and a day's
  `sedentary_hours` and each session's TRIMP depend only on the raw samples of that night,
  day or session, plus HRrest: the latest nightly resting HR up to `HR_REST_MAX_AGE` before;
* baselines, rolling loads and rules depend only on those per-night and per-day values.

So raw samples are read and computed only for the *raw days* (the days new files touch, plus
`HR_REST_MAX_AGE` after them for HRrest), and every other night, day and session keeps the
value stored by an earlier run; baselines, loads (and, in the flow, rules) are then recomputed
over the spliced history. An athlete computed for the first time, or rebuilt, has no stored
rows and unbounded raw days: the same functions then compute everything from raw samples,
which is why `herstel nightly --rebuild` gives identical results.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from metrics.load import HR_REST_MAX_AGE, activity_trimp, daily_metrics, sedentary_hours
from metrics.local_time import as_utc, with_local_date
from metrics.nightly import nightly_values, with_nightly_baselines
from metrics.pmc import PMC_COLUMNS
from metrics.sessions import link_duplicates

#: Raw tables a recompute reads, and only for the raw days.
RAW_TABLES = ("sleep_stages", "heart_rate", "rr_intervals", "hrv_samples", "device_summaries")
#: How far past the last touched day raw-derived values can change, in days: a night's resting
#: HR is HRrest for the TRIMP and sedentary hours of the days up to HR_REST_MAX_AGE after it.
RAW_DAYS_AFTER = HR_REST_MAX_AGE


@dataclass(frozen=True)
class Derived:
    activities: pl.DataFrame  # the activities passed in, with trimp and trimp_method set
    nightly: pl.DataFrame  # nightly_metrics rows over the whole window
    daily: pl.DataFrame  # daily_metrics rows over the whole window


def recompute(
    raw: dict[str, pl.DataFrame],
    activities: pl.DataFrame,
    athletes: pl.DataFrame,
    stored_nightly: pl.DataFrame,
    stored_daily: pl.DataFrame,
    raw_days: pl.DataFrame,
    files: pl.DataFrame | None = None,
) -> Derived:
    """Nightly and daily metrics for a window of history.

    `raw` holds the RAW_TABLES rows covering `raw_days` (`athlete_id, raw_lo, raw_hi`: local
    dates, null = unbounded) with two days of margin; `activities` and the stored frames
    (nightly_metrics, daily_metrics rows; empty for an athlete never computed) cover the whole
    window. Values on raw days come from `raw`, all others from the stored frames. `files`
    (`file_id, vendor`) lets a `source_priority` choose between overlapping sleep records.
    """
    fresh = nightly_values(*(raw[t] for t in RAW_TABLES), athletes, files)
    nightly = with_nightly_baselines(_splice(fresh, stored_nightly, raw_days, "night"))

    heart_rate = as_utc(raw["heart_rate"], "ts")
    trimp = activity_trimp(activities, heart_rate, athletes, nightly=nightly)
    trimp = link_duplicates(_keep_stored_trimp(trimp, activities, athletes, raw_days))

    sedentary = sedentary_hours(heart_rate, raw["sleep_stages"], trimp, athletes, nightly=nightly)
    sedentary = _splice(sedentary, stored_daily, raw_days, "day")
    daily = daily_metrics(trimp, athletes, nightly, pmc_seed=_pmc_seed(stored_daily, raw_days))
    columns = daily.columns
    daily = (
        daily.drop("sedentary_hours")
        .join(sedentary, on=["athlete_id", "day"], how="left")
        .select(columns)
    )
    return Derived(activities=trimp, nightly=nightly, daily=daily)


def _pmc_seed(stored: pl.DataFrame, raw_days: pl.DataFrame) -> pl.DataFrame | None:
    """Stored PMC rows before each athlete's first raw day: CTL and ATL are exponentially
    weighted over the whole history, longer than any read window, so the recursion continues
    from the stored values instead of restarting from 0 at the window's start."""
    if stored.is_empty() or "ctl" not in stored.columns:
        return None
    w = raw_days.select("athlete_id", "raw_lo").filter(pl.col("raw_lo").is_not_null())
    return (
        stored.join(w, on="athlete_id")
        .filter(pl.col("day") < pl.col("raw_lo"))
        .select("athlete_id", "day", *PMC_COLUMNS)
    )


def _on_raw_days(day: str) -> pl.Expr:
    d = pl.col(day)
    return (pl.col("raw_lo").is_null() | (d >= pl.col("raw_lo"))) & (
        pl.col("raw_hi").is_null() | (d <= pl.col("raw_hi"))
    )


def _splice(
    fresh: pl.DataFrame, stored: pl.DataFrame, raw_days: pl.DataFrame, day: str
) -> pl.DataFrame:
    """Rows of `fresh` on raw days and rows of `stored` on all other days (athletes of
    `raw_days` only); `stored` takes `fresh`'s columns, and extra ones are dropped."""
    w = raw_days.select("athlete_id", "raw_lo", "raw_hi")
    new = fresh.join(w, on="athlete_id").filter(_on_raw_days(day)).select(fresh.columns)
    if stored.is_empty():
        return new.sort("athlete_id", day)
    old = stored.join(w, on="athlete_id").filter(~_on_raw_days(day))
    old = as_utc(old, *[c for c, t in fresh.schema.items() if isinstance(t, pl.Datetime)])
    old = old.select(pl.col(c).cast(t) for c, t in fresh.schema.items())
    return pl.concat([new, old]).sort("athlete_id", day)


def _keep_stored_trimp(
    trimp: pl.DataFrame, stored: pl.DataFrame, athletes: pl.DataFrame, raw_days: pl.DataFrame
) -> pl.DataFrame:
    """Sessions that start outside the raw days keep their stored TRIMP: their heart-rate
    samples were not read, and no new night is within HRrest reach of them.

    `trimp` is `stored` with TRIMP recomputed, row for row (activity_trimp keeps the order).
    """
    if trimp.is_empty() or "trimp" not in stored.columns:
        return trimp
    rows = with_local_date(
        as_utc(stored, "start_ts").with_row_index("_i"), athletes, "start_ts", "_day"
    )
    keep = (
        rows.join(raw_days.select("athlete_id", "raw_lo", "raw_hi"), on="athlete_id", how="left")
        .select("_i", _keep=~_on_raw_days("_day").fill_null(False))
        .sort("_i")["_keep"]
    )
    out = trimp.with_columns(_keep=keep, _trimp=stored["trimp"], _method=stored["trimp_method"])
    return out.with_columns(
        trimp=pl.when("_keep").then("_trimp").otherwise("trimp"),
        trimp_method=pl.when("_keep").then("_method").otherwise("trimp_method"),
    ).drop("_keep", "_trimp", "_method")
