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


def stale_athletes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Athletes with files recorded after their last nightly computation (or never computed)."""
    rows = run(
        con,
        """
        SELECT f.athlete_id
        FROM files f
        LEFT JOIN (SELECT athlete_id, max(computed_at) AS at FROM nightly_metrics GROUP BY 1) n
          USING (athlete_id)
        LEFT JOIN (SELECT athlete_id, max(computed_at) AS at FROM daily_metrics GROUP BY 1) d
          USING (athlete_id)
        WHERE f.athlete_id IS NOT NULL AND f.status IN ('loaded', 'partial')
        GROUP BY f.athlete_id
        HAVING max(f.ingested_at) > least(coalesce(max(n.at), TIMESTAMPTZ '1970-01-01'),
                                          coalesce(max(d.at), TIMESTAMPTZ '1970-01-01'))
        ORDER BY 1
        """,
    )
    return [r[0] for r in rows]
