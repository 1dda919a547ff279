"""Checking an imported study against its plan: `read_expected_nights` reads
`expected_vendor_nights.csv`, `compare_nights` lists every night, value, method or source
`nightly_metrics` gets wrong (used by tests/flows/test_vendor_study.py and bench/vendor_study.py).
"""

from __future__ import annotations

from pathlib import Path

#: `nightly_metrics` columns of each metric: value, method, file the value came from.
NIGHTLY_COLUMNS = {
    "sleep_hours": ("sleep_hours", "sleep_method", "sleep_file_id"),
    "resting_hr": ("resting_hr", "resting_hr_method", "resting_hr_file_id"),
    "hrv_ms": ("hrv_ms", "hrv_method", "hrv_file_id"),
}


def read_expected_nights(path: Path | str):
    """expected_vendor_nights.csv as a polars frame (`value` null where none is expected)."""
    import polars as pl

    return pl.read_csv(
        path,
        schema_overrides={
            "night": pl.Date,
            "value": pl.Float64,
            "method": pl.String,
            "source": pl.String,
        },
    )


def compare_nights(expected, nightly, files, tolerance: float = 1e-6):
    """Rows of `expected` (see `read_expected_nights`) that `nightly_metrics` does not match,
    plus nights `nightly_metrics` has and the plan has not, each with a `problem`.

    `nightly`: the `nightly_metrics` table; `files`: `files` (`file_id`, `format`), to name
    the format a value came from. Empty result: every night, value, method and source match.
    """
    import polars as pl

    keys = ["athlete_id", "night", "metric"]
    fmt = files.select("file_id", pl.col("format").alias("got_source")).unique("file_id")
    athletes = expected["athlete_id"].unique().implode()
    got = pl.concat([
        nightly.filter(pl.col("athlete_id").is_in(athletes)).select(
            "athlete_id", pl.col("night").cast(pl.Date), pl.lit(metric).alias("metric"),
            pl.col(v).cast(pl.Float64).alias("got_value"), pl.col(m).alias("got_method"),
            pl.col(f).alias("file_id"), pl.lit(True).alias("_got"),
        ).join(fmt, on="file_id", how="left").drop("file_id")
        for metric, (v, m, f) in NIGHTLY_COLUMNS.items()
    ])  # fmt: skip
    both = expected.with_columns(pl.lit(True).alias("_planned")).join(
        got, on=keys, how="full", coalesce=True
    )
    value_ok = (pl.col("value").is_null() & pl.col("got_value").is_null()) | (
        (pl.col("value") - pl.col("got_value")).abs() <= tolerance
    )
    sources = pl.col("source").fill_null("").str.split("|")
    problem = (
        pl.when(pl.col("_planned").is_null()).then(pl.lit("night not planned"))
        .when(pl.col("_got").is_null()).then(pl.lit("night missing"))
        .when(~value_ok.fill_null(False)).then(pl.lit("value"))
        .when(pl.col("method").fill_null("") != pl.col("got_method").fill_null(""))
        .then(pl.lit("method"))
        .when(pl.col("value").is_not_null()
              & ~sources.list.contains(pl.col("got_source").fill_null("")))
        .then(pl.lit("source"))
    )  # fmt: skip
    return (
        both.with_columns(problem.alias("problem"))
        .filter(pl.col("problem").is_not_null())
        .drop("_planned", "_got")
        .sort(keys)
    )
