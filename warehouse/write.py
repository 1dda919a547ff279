"""Writing derived tables: replace an athlete's rows in one transaction, so a crash mid-run leaves
the previous nightly metrics and flags intact and a re-run completes them."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from warehouse.sql import one, run, transaction

#: Derived tables and the column that holds their local date.
DERIVED = {"nightly_metrics": "night", "daily_metrics": "day", "daily_flags": "day"}


def _insert_by_name(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    con.register("_frame", frame.to_arrow())
    try:
        run(con, f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def replace_derived(
    con: duckdb.DuckDBPyConnection,
    athletes: list[str],
    frames: dict[str, pl.DataFrame],
    since: date | None = None,
) -> dict[str, int]:
    """Replace `athletes`' rows of each derived table (from `since` on) by `frames`, atomically."""
    written = {}
    with transaction(con):
        for table, frame in frames.items():
            day_col = DERIVED[table]
            sql = f"DELETE FROM {table} WHERE list_contains(?, athlete_id)"
            args: list = [athletes]
            if since is not None:
                sql += f" AND {day_col} >= ?"
                args.append(since)
                frame = frame.filter(pl.col(day_col) >= since)
            run(con, sql, args)
            _insert_by_name(con, table, frame)
            written[table] = frame.height
    return written


def set_trimp(con: duckdb.DuckDBPyConnection, activities: pl.DataFrame) -> None:
    """Store each activity's TRIMP (computed by metrics.load) back on its row."""
    if activities.height == 0:
        return
    frame = activities.select("athlete_id", "file_id", "start_ts", "trimp", "trimp_method")
    con.register("_frame", frame.to_arrow())
    try:
        run(
            con,
            "UPDATE activities SET trimp = f.trimp, trimp_method = f.trimp_method FROM _frame f "
            "WHERE activities.athlete_id = f.athlete_id AND activities.file_id = f.file_id "
            "AND activities.start_ts = f.start_ts",
        )
    finally:
        con.unregister("_frame")


def forget_athlete(con: duckdb.DuckDBPyConnection, athlete_id: str) -> dict[str, int]:
    """Delete every row of one athlete from every table that has an athlete_id column."""
    tables = [
        r[0]
        for r in run(
            con,
            "SELECT DISTINCT table_name FROM duckdb_columns() "
            "WHERE column_name = 'athlete_id' AND NOT internal AND schema_name = 'main' "
            "AND table_name IN (SELECT table_name FROM duckdb_tables())",
        )
    ]
    removed = {}
    with transaction(con):
        for table in sorted(tables):
            n = one(con, f"SELECT count(*) FROM {table} WHERE athlete_id = ?", [athlete_id])[0]
            run(con, f"DELETE FROM {table} WHERE athlete_id = ?", [athlete_id])
            removed[table] = n
    return removed
