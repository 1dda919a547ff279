"""Writing derived tables: replace an athlete's rows in one transaction, so a crash mid-run leaves
the previous nightly metrics and flags intact and a re-run completes them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl

from warehouse.db import DUCKDB_CONFIG, STORAGE_VERSION
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


def inside_windows(frame: pl.DataFrame, windows: pl.DataFrame, day: str) -> pl.DataFrame:
    """The rows of `frame` whose athlete and `day` fall inside `windows` (write_lo..write_hi)."""
    w = windows.select("athlete_id", "write_lo", "write_hi")
    d = pl.col(day)
    inside = (pl.col("write_lo").is_null() | (d >= pl.col("write_lo"))) & (
        pl.col("write_hi").is_null() | (d <= pl.col("write_hi"))
    )
    return frame.join(w, on="athlete_id", how="inner").filter(inside).drop("write_lo", "write_hi")


def replace_derived(
    con: duckdb.DuckDBPyConnection,
    windows: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
) -> dict[str, int]:
    """Replace each athlete's derived rows inside its window by `frames`, atomically.

    `windows` has athlete_id, write_lo, write_hi (local dates, null = unbounded): rows of those
    athletes on days inside the window are deleted and the frames' rows inside it inserted.
    """
    written = {}
    with transaction(con):
        con.register("_windows", windows.select("athlete_id", "write_lo", "write_hi").to_arrow())
        try:
            for table, frame in frames.items():
                day = DERIVED[table]
                run(
                    con,
                    f"DELETE FROM {table} t USING _windows w WHERE t.athlete_id = w.athlete_id "
                    f"AND (w.write_lo IS NULL OR t.{day} >= w.write_lo) "
                    f"AND (w.write_hi IS NULL OR t.{day} <= w.write_hi)",
                )
                kept = inside_windows(frame, windows, day)
                _insert_by_name(con, table, kept)
                written[table] = kept.height
        finally:
            con.unregister("_windows")
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


def compact(path: Path) -> None:
    """Rewrite the database into a fresh file, so deleted rows leave no bytes behind.

    DuckDB keeps deleted data in free blocks until they are reused; after `forget` that would
    leave an athlete's values readable in the file. `COPY FROM DATABASE` copies schema,
    comments, views and live rows only; the fresh file then replaces the old one atomically.
    The fresh file is in herstel's storage format (`warehouse.db.STORAGE_VERSION`), so this
    also converts a warehouse written by DuckDB 2.0's own format for DuckDB 1.x readers.
    """
    fresh = path.with_name(path.name + ".compact")
    fresh.unlink(missing_ok=True)
    old_umask = os.umask(0o077)
    try:
        con = duckdb.connect(str(path), config=DUCKDB_CONFIG)
        try:
            # the fresh file is written in herstel's storage format, whatever the old one had
            run(con, f"ATTACH ? AS fresh (STORAGE_VERSION '{STORAGE_VERSION}')", [str(fresh)])
            run(con, f"COPY FROM DATABASE {_catalog(con)} TO fresh")
            run(con, "DETACH fresh")
        finally:
            con.close()
    finally:
        os.umask(old_umask)
    os.chmod(fresh, 0o600)
    os.replace(fresh, path)
    Path(f"{path}.wal").unlink(missing_ok=True)


def _catalog(con: duckdb.DuckDBPyConnection) -> str:
    name = run(con, "SELECT current_database()")[0][0]
    return '"' + name.replace('"', '""') + '"'


def forget_staged(staging: Path, athlete_id: str) -> int:
    """Remove an athlete's staged Parquet partitions; returns how many folders went."""
    removed = 0
    if staging.is_dir():
        for folder in staging.glob(f"*/athlete_id={athlete_id}"):
            if folder.is_dir() and folder.parent.parent == staging:
                shutil.rmtree(folder)
                removed += 1
    return removed
