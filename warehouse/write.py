"""Writing derived tables: replace an athlete's rows in one transaction, so a crash mid-run leaves
the previous nightly metrics and flags intact and a re-run completes them."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl

from warehouse.db import DUCKDB_CONFIG, STORAGE_VERSION
from warehouse.sql import one, run, transaction

#: Derived tables and the column that holds their local date.
DERIVED = {
    "nightly_metrics": "night",
    "daily_metrics": "day",
    "daily_flags": "day",
    "rule_evaluability": "day",
}


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


def replace_episodes(
    con: duckdb.DuckDBPyConnection, athletes: list[str], episodes: pl.DataFrame
) -> int:
    """Replace every flag_episodes row of `athletes` by `episodes`, atomically.

    Episodes are recomputed whole per athlete from daily_flags (an episode can reach back
    before an incremental run's window), so this replaces all of an athlete's rows."""
    with transaction(con):
        run(con, "DELETE FROM flag_episodes WHERE list_contains(?, athlete_id)", [athletes])
        _insert_by_name(con, "flag_episodes", episodes)
    return episodes.height


def set_trimp(con: duckdb.DuckDBPyConnection, activities: pl.DataFrame) -> None:
    """Store each activity's TRIMP and duplicate link (computed by metrics) on its row."""
    if activities.height == 0:
        return
    links = [c for c in ("counts_for_load", "duplicate_of") if c in activities.columns]
    frame = activities.select("athlete_id", "file_id", "start_ts", "trimp", "trimp_method", *links)
    sets = ", ".join(f"{c} = f.{c}" for c in ("trimp", "trimp_method", *links))
    con.register("_frame", frame.to_arrow())
    try:
        run(
            con,
            f"UPDATE activities SET {sets} FROM _frame f "
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


def athlete_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables (not views) of the warehouse that have an `athlete_id` column."""
    return sorted(
        r[0]
        for r in run(
            con,
            "SELECT DISTINCT table_name FROM duckdb_columns() "
            "WHERE column_name = 'athlete_id' AND NOT internal AND schema_name = 'main' "
            "AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE NOT internal)",
        )
    )


def athlete_rows(con: duckdb.DuckDBPyConnection, athlete_id: str) -> dict[str, int]:
    """The athlete's rows per table (tables without any are left out)."""
    counts = {
        table: one(con, f"SELECT count(*) FROM {table} WHERE athlete_id = ?", [athlete_id])[0]
        for table in athlete_tables(con)
    }
    return {t: n for t, n in counts.items() if n}


def forget_into_fresh_file(con: duckdb.DuckDBPyConnection, path: Path, athlete_id: str) -> None:
    """Write a copy of the warehouse without the athlete's rows and swap it in for `path`.

    `con` is the caller's read-write connection to `path`, held throughout, so no other
    process writes in between. The old file is never modified: a failure (a full disk) leaves
    it whole and the athlete in it; success leaves no freed block holding her rows (DuckDB
    keeps deleted rows in free blocks, docs/reliability.md).

    The fresh file is in herstel's storage format (`warehouse.db.STORAGE_VERSION`).
    """
    fresh = path.with_name(path.name + ".forget")
    for stale in (fresh, Path(f"{fresh}.wal")):
        stale.unlink(missing_ok=True)
    run(con, "CHECKPOINT")  # nothing of the old file may wait in its WAL
    catalog = _catalog(con)
    with_athlete = set(athlete_tables(con))
    tables = [r[0] for r in run(con, "SELECT table_name FROM duckdb_tables() "
                                     "WHERE NOT internal AND schema_name = 'main' "
                                     "AND database_name = current_database()")]
    run(con, f"ATTACH ? AS fresh (STORAGE_VERSION '{STORAGE_VERSION}')", [str(fresh)])
    try:
        run(con, f"COPY FROM DATABASE {catalog} TO fresh (SCHEMA)")
        for table in tables:
            keep = " WHERE athlete_id IS DISTINCT FROM ?" if table in with_athlete else ""
            run(con, f"INSERT INTO fresh.main.{table} SELECT * FROM {catalog}.main.{table}{keep}",
                [athlete_id] if keep else None)
        run(con, "DETACH fresh")
    except BaseException:
        run(con, "DETACH DATABASE IF EXISTS fresh")
        fresh.unlink(missing_ok=True)
        raise
    os.chmod(fresh, 0o600)
    os.replace(fresh, path)


def compact(path: Path) -> None:
    """Rewrite the database into a fresh file in herstel's storage format
    (`warehouse.db.STORAGE_VERSION`): `herstel compact` converts a warehouse written in
    DuckDB 2.0's own format for DuckDB 1.x readers, and leaves no freed blocks behind.
    `COPY FROM DATABASE` copies schema, comments, views and live rows; the fresh file then
    replaces the old one atomically."""
    fresh = path.with_name(path.name + ".compact")
    fresh.unlink(missing_ok=True)
    old_umask = os.umask(0o077)
    try:
        con = duckdb.connect(str(path), config=DUCKDB_CONFIG)
        try:
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


def staged_folders(staging: str | os.PathLike[str], athlete_id: str) -> list[str]:
    """An athlete's staged partitions (`{table}/athlete_id={id}`) under a local folder or an
    fsspec URL, matched by exact name (never as a pattern)."""
    import fsspec.core

    fs, root = fsspec.core.url_to_fs(str(staging))
    if not fs.isdir(root):
        return []
    wanted = f"athlete_id={athlete_id}"
    folders = []
    for table in fs.ls(root, detail=True):
        if table["type"] != "directory":
            continue
        for part in fs.ls(table["name"], detail=True):
            name = part["name"].rstrip("/").rsplit("/", 1)[-1]
            if part["type"] == "directory" and name == wanted:
                folders.append(part["name"])
    return sorted(folders)


def forget_staged(staging: str | os.PathLike[str], athlete_id: str) -> int:
    """Remove an athlete's staged Parquet partitions; returns how many folders went."""
    import fsspec.core

    fs, _ = fsspec.core.url_to_fs(str(staging))
    folders = staged_folders(staging, athlete_id)
    for folder in folders:
        fs.rm(folder, recursive=True)
    return len(folders)
