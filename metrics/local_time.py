"""Local calendar dates for UTC timestamps, one IANA time zone per athlete.

Nights and days are local (DESIGN §4), so every date we derive goes through the athlete's
own zone with its DST rules. polars converts time zones only to a literal zone, so we build
one conditional expression with a branch per distinct zone in the data (a handful), which
stays vectorised and lazy-friendly instead of looping over rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

#: Zone used when an athlete has no record or no `time_zone` (DESIGN §4: "else UTC").
DEFAULT_TIME_ZONE = "UTC"


def athlete_zones(athletes: pl.DataFrame) -> pl.DataFrame:
    """`athlete_id, time_zone` with one row per athlete and the UTC default filled in."""
    return athletes.select(
        pl.col("athlete_id").cast(pl.String),
        pl.col("time_zone").cast(pl.String).fill_null(DEFAULT_TIME_ZONE),
    ).unique(subset="athlete_id", keep="first", maintain_order=True)


def local_date(ts: pl.Expr, tz: pl.Expr, zones: Iterable[str]) -> pl.Expr:
    """Local calendar date of the UTC timestamp `ts` in the zone named by `tz`.

    `zones` lists every zone `tz` can take (e.g. `frame["time_zone"].unique()`). Rows whose
    zone is not listed get null, never a silently wrong date.
    """
    zones = sorted({z for z in zones if z is not None})
    if not zones:
        return pl.lit(None, dtype=pl.Date)
    expr = pl.when(tz == zones[0]).then(ts.dt.convert_time_zone(zones[0]).dt.date())
    for zone in zones[1:]:
        expr = expr.when(tz == zone).then(ts.dt.convert_time_zone(zone).dt.date())
    return expr.otherwise(None)


def with_local_date(
    frame: pl.DataFrame, athletes: pl.DataFrame, ts_col: str, out: str
) -> pl.DataFrame:
    """Add column `out`: the local date of `ts_col` in each row's athlete time zone."""
    zones = athlete_zones(athletes)
    joined = frame.join(zones, on="athlete_id", how="left").with_columns(
        pl.col("time_zone").fill_null(DEFAULT_TIME_ZONE)
    )
    names = joined["time_zone"].unique().to_list()
    return joined.with_columns(
        local_date(pl.col(ts_col), pl.col("time_zone"), names).alias(out)
    ).drop("time_zone")


def as_utc(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """`columns` as Datetime("us", "UTC"), whatever zone or unit the source frame used.

    Frames read from DuckDB may carry the session's zone; naive timestamps are taken as UTC.
    Joins between frames need one dtype, so every entry point normalises first.
    """
    exprs = []
    for name in columns:
        dtype = frame.schema.get(name)
        if not isinstance(dtype, pl.Datetime):
            continue
        col = pl.col(name)
        col = (
            col.dt.convert_time_zone("UTC") if dtype.time_zone else col.dt.replace_time_zone("UTC")
        )
        exprs.append(col.dt.cast_time_unit("us"))
    return frame.with_columns(exprs) if exprs else frame
