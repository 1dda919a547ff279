"""Local calendar dates for UTC timestamps, in the IANA time zone the athlete was in.

Nights and days are local (docs/metrics.md), so every date we derive goes through the athlete's
own zone with its DST rules. An athlete has a home zone (`athletes.time_zone`) and, when they
travelled, zone changes (`athlete_time_zones`, passed in the athletes frame as the list column
`zone_changes`): each instant takes the zone in effect then. polars converts time zones only
to a literal zone, so we build one conditional expression with a branch per distinct zone in
the data (a handful), which stays vectorised instead of looping over rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl

#: Zone used when an athlete has no record or no `time_zone` (docs/metrics.md: "else UTC").
DEFAULT_TIME_ZONE = "UTC"
#: `valid_from` of the home zone in a zone timeline: before any data we accept (2000).
HOME_SINCE = datetime(1900, 1, 1, tzinfo=UTC)
UTC_US = pl.Datetime("us", "UTC")


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


def zone_timeline(athletes: pl.DataFrame) -> pl.DataFrame:
    """`athlete_id, valid_from, time_zone`: the home zone from HOME_SINCE, then each change."""
    home = athlete_zones(athletes).select(
        "athlete_id", pl.lit(HOME_SINCE).cast(UTC_US).alias("valid_from"), "time_zone"
    )
    if "zone_changes" not in athletes.columns:
        return home
    changes = (
        athletes.select(pl.col("athlete_id").cast(pl.String), "zone_changes")
        .explode("zone_changes")
        .drop_nulls("zone_changes")
        .unnest("zone_changes")
    )
    changes = as_utc(changes, "valid_from").select("athlete_id", "valid_from", "time_zone")
    return pl.concat([home, changes]).sort("athlete_id", "valid_from")


def with_local_date(
    frame: pl.DataFrame, athletes: pl.DataFrame, ts_col: str, out: str
) -> pl.DataFrame:
    """Add column `out`: the local date of `ts_col` in the zone its athlete was in then."""
    timeline = zone_timeline(athletes)
    if timeline["athlete_id"].is_duplicated().any():
        zoned = _zone_at(frame, timeline, ts_col)
    else:
        zoned = frame.join(
            timeline.drop("valid_from"), on="athlete_id", how="left", maintain_order="left"
        )
    zoned = zoned.with_columns(pl.col("time_zone").fill_null(DEFAULT_TIME_ZONE))
    names = zoned["time_zone"].unique().to_list()
    return zoned.with_columns(
        local_date(pl.col(ts_col), pl.col("time_zone"), names).alias(out)
    ).drop("time_zone")


def _zone_at(frame: pl.DataFrame, timeline: pl.DataFrame, ts_col: str) -> pl.DataFrame:
    """`frame` (row order kept) with `time_zone`: the athlete's zone at `ts_col`."""
    rows = frame.with_row_index("_row").with_columns(_ts=pl.col(ts_col).cast(UTC_US))
    zoned = (
        rows.filter(pl.col("_ts").is_not_null())
        .sort("_ts")
        .join_asof(
            timeline.rename({"valid_from": "_ts"}),
            on="_ts",
            by="athlete_id",
            strategy="backward",
            check_sortedness=False,
        )
    )
    nulls = rows.filter(pl.col("_ts").is_null()).with_columns(
        time_zone=pl.lit(None, dtype=pl.String)
    )
    return pl.concat([zoned, nulls]).sort("_row").drop("_row", "_ts")


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
