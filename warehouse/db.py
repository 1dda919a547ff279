"""Opening the warehouse: owner-only file, migrated schema, a bounded wait for the writer lock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from warehouse.schema import migrate
from warehouse.sql import run

#: Default database path when neither --db nor $HERSTEL_DB is given.
DEFAULT_DB = "herstel.duckdb"
#: How long a writer waits for another process to release the DuckDB file lock, in seconds.
LOCK_WAIT_S = 60.0
#: On-disk format herstel writes: DuckDB 1.0's storage format (version 64), which every DuckDB
#: since 1.0 opens — the CLI, R, JDBC/DBeaver, Node, wasm — where 2.0's own format (69) opens
#: only in 2.x. The schema needs nothing newer (see docs/analyst.md, "Which DuckDB can read
#: it"). It applies when a file is created; `compact` rewrites an older file in it.
STORAGE_VERSION = "v1.0.0"
#: Settings of herstel's read-write connections (the storage format of files they create).
DUCKDB_CONFIG = {"storage_compatibility_version": STORAGE_VERSION}


class WarehouseBusy(RuntimeError):
    """Another process holds the database file for longer than we are willing to wait."""


def db_path(db: str | os.PathLike[str] | None = None) -> Path:
    return Path(db or os.environ.get("HERSTEL_DB") or DEFAULT_DB)


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


def _open(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file lock (backoff 0.05 s -> 1 s)."""
    retrying = Retrying(
        retry=retry_if_exception(lambda e: isinstance(e, duckdb.IOException) and _is_lock_error(e)),
        stop=stop_after_delay(wait_s),
        wait=wait_exponential(multiplier=0.05, max=1.0),
        reraise=True,
    )
    try:
        # readers take DuckDB's defaults, like an analyst's own `duckdb.connect(read_only=True)`:
        # one process may hold both (DuckDB refuses a second connection with other settings)
        config = {} if read_only else DUCKDB_CONFIG
        return retrying(duckdb.connect, str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if _is_lock_error(exc):
            raise WarehouseBusy(
                f"{path} is held by another process (an ingest, nightly run or a "
                f"read-write session) for more than {wait_s:.0f} s; try again when it "
                "has finished, or read a published snapshot (see docs/analyst.md)"
            ) from exc
        raise


def connect(
    db: str | os.PathLike[str] | None = None,
    read_only: bool = False,
    wait_s: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and create, owner-readable only) the warehouse; a writer gets the newest schema.
    `wait_s` defaults to LOCK_WAIT_S as it is when called (tests shorten it)."""
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    path = db_path(db)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: run `herstel ingest` first")
        return _open(path, read_only=True, wait_s=wait_s)
    path.parent.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)  # health data: the file and its WAL are the owner's alone
    try:
        con = _open(path, read_only=False, wait_s=wait_s)
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    run(con, "SET TimeZone = 'UTC'")
    migrate(con)
    return con


@contextmanager
def writer(db: str | os.PathLike[str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection: hold the file only as long as the work needs."""
    con = connect(db)
    try:
        yield con
    finally:
        con.close()
