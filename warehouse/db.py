"""Opening the warehouse: owner-only file, migrated schema, a bounded wait for the writer lock."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.schema import migrate
from warehouse.sql import run

#: Default database path when neither --db nor $HERSTEL_DB is given.
DEFAULT_DB = "herstel.duckdb"
#: How long a writer waits for another process to release the DuckDB file lock, in seconds.
LOCK_WAIT_S = 60.0


class WarehouseBusy(RuntimeError):
    """Another process holds the database file for longer than we are willing to wait."""


def db_path(db: str | os.PathLike[str] | None = None) -> Path:
    return Path(db or os.environ.get("HERSTEL_DB") or DEFAULT_DB)


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


def _open(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                if _is_lock_error(exc):
                    raise WarehouseBusy(
                        f"{path} is held by another process (an ingest, nightly run or a "
                        f"read-write session) for more than {wait_s:.0f} s; try again when it "
                        "has finished, or read a published snapshot (see docs/analyst.md)"
                    ) from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


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
