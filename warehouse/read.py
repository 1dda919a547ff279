"""Frames out of the warehouse, for the metrics and rules stages and for the CLI."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from warehouse.schema import TABLE_BY_NAME
from warehouse.sql import frame, run


def table_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    athletes: list[str] | None = None,
    where: str = "",
    params: list | None = None,
) -> pl.DataFrame:
    """All rows of `table` (optionally for some athletes) as a polars frame."""
    if table not in TABLE_BY_NAME:
        raise ValueError(f"unknown table {table!r}")
    clauses, args = [], list(params or [])
    if athletes is not None:
        clauses.append("list_contains(?, athlete_id)")
        args.insert(0, athletes)
    if where:
        clauses.append(where)
    sql = f"SELECT * FROM {table}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    return frame(con, sql, args)


def athlete_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in run(con, "SELECT athlete_id FROM athletes ORDER BY 1")]


def flags(
    con: duckdb.DuckDBPyConnection, athlete: str | None = None, since: date | None = None
) -> pl.DataFrame:
    """Raised flags, newest first."""
    clauses, args = [], []
    if athlete:
        clauses.append("athlete_id = ?")
        args.append(athlete)
    if since:
        clauses.append("day >= ?")
        args.append(since)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return frame(
        con,
        "SELECT athlete_id, day, rule_id, severity, value, threshold, baseline, message, "
        f"message_nl, ruleset_version FROM daily_flags{where} "
        "ORDER BY athlete_id, day, rule_id",
        args,
    )


#: The column that places each raw table's rows in time, for windowed reads.
TIME_COLUMN = {
    "heart_rate": "ts",
    "rr_intervals": "ts",
    "hrv_samples": "ts",
    "sleep_stages": "start_ts",
    "activities": "start_ts",
    "device_summaries": "night",
    "wellness": "day",
    "nightly_metrics": "night",
    "daily_metrics": "day",
}


def pending_spans(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per athlete with data loaded since the last nightly run: the UTC span that data covers.

    `full` is true for an athlete never computed before, or whose time zone, travel or profile
    changed since the last run (`athletes.updated_at`): recompute the whole history.
    """
    return frame(
        con,
        """
        WITH last_run AS (SELECT max(started_at) AS at FROM nightly_runs),
        computed AS (SELECT DISTINCT athlete_id FROM nightly_metrics
                     UNION SELECT DISTINCT athlete_id FROM daily_metrics),
        new_files AS (
            SELECT f.athlete_id, f.first_ts, f.last_ts, c.athlete_id IS NULL AS is_full
            FROM files f CROSS JOIN last_run r
            LEFT JOIN computed c ON c.athlete_id = f.athlete_id
            WHERE f.athlete_id IS NOT NULL AND f.status IN ('loaded', 'partial')
              AND (r.at IS NULL OR f.ingested_at > r.at OR c.athlete_id IS NULL)),
        changed AS (
            SELECT a.athlete_id, NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ, TRUE
            FROM athletes a CROSS JOIN last_run r
            WHERE a.updated_at > r.at AND a.athlete_id IN (SELECT athlete_id FROM computed))
        SELECT athlete_id, min(first_ts) AS first_ts, max(last_ts) AS last_ts,
               bool_or(is_full) AS full
        FROM (SELECT * FROM new_files UNION ALL SELECT * FROM changed)
        GROUP BY athlete_id ORDER BY athlete_id
        """,
    )


def athletes_frame(con: duckdb.DuckDBPyConnection, athletes: list[str]) -> pl.DataFrame:
    """The athletes' records, each with `zone_changes`: its travel rows (list of
    `valid_from, time_zone`, oldest first; empty when it never travelled)."""
    return frame(
        con,
        """
        SELECT a.*, coalesce((
            SELECT list({'valid_from': z.valid_from, 'time_zone': z.time_zone}
                        ORDER BY z.valid_from)
            FROM athlete_time_zones z WHERE z.athlete_id = a.athlete_id), []) AS zone_changes
        FROM athletes a WHERE list_contains(?, a.athlete_id)
        """,
        [athletes],
    )


def windowed_frame(
    con: duckdb.DuckDBPyConnection, table: str, windows: pl.DataFrame
) -> pl.DataFrame:
    """Rows of `table` for the athletes in `windows` (athlete_id, read_lo, read_hi: UTC
    instants, null = unbounded), restricted in time by the table's time column."""
    if table not in TIME_COLUMN:
        return table_frame(con, table, windows["athlete_id"].to_list())
    col = TIME_COLUMN[table]
    lo, hi = ("w.read_lo", "w.read_hi")
    if col in ("night", "day"):
        lo, hi = ("CAST(w.read_lo AS DATE)", "CAST(w.read_hi AS DATE)")
    con.register("_windows", windows.select("athlete_id", "read_lo", "read_hi").to_arrow())
    try:
        return frame(
            con,
            f"SELECT t.* FROM {table} t JOIN _windows w ON t.athlete_id = w.athlete_id "
            f"WHERE (w.read_lo IS NULL OR t.{col} >= {lo}) "
            f"AND (w.read_hi IS NULL OR t.{col} <= {hi})",
        )
    finally:
        con.unregister("_windows")


def sample_rows(con: duckdb.DuckDBPyConnection, windows: pl.DataFrame) -> dict[str, int]:
    """Raw samples (HR, RR, HRV, stages) per athlete in files that overlap the athlete's raw
    read span (`athlete_id, raw_read_lo, raw_read_hi`; null = unbounded): what a recompute
    reads, so an increment's groups are sized by its few days, not by the whole history."""
    con.register("_windows", windows.select("athlete_id", "raw_read_lo", "raw_read_hi").to_arrow())
    try:
        return dict(
            run(
                con,
                "SELECT f.athlete_id, sum(rows_heart_rate + rows_rr_intervals + rows_hrv_samples"
                " + rows_sleep_stages) FROM files f JOIN _windows w USING (athlete_id) "
                "WHERE (w.raw_read_lo IS NULL OR f.last_ts >= w.raw_read_lo) "
                "AND (w.raw_read_hi IS NULL OR f.first_ts <= w.raw_read_hi) GROUP BY 1",
            )
        )
    finally:
        con.unregister("_windows")
