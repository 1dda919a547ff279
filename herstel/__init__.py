"""herstel for notebooks: read a FIT file, or the warehouse, as polars frames.

    import herstel
    nights = herstel.nightly_frame("herstel.duckdb", athlete="anna", since="2026-10-01")
    flags = herstel.flags_frame("herstel.duckdb")
    nights.to_pandas()            # with `pip install 'herstel[pandas]'`

Every function opens the warehouse read-only for as long as it needs and closes it again, so a
notebook never blocks the nightly run (docs/analyst.md, "Python API"). The database defaults
to $HERSTEL_DB, else ./herstel.duckdb.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from warehouse.db import LOCK_WAIT_S, WarehouseBusy
from warehouse.db import connect as _connect
from warehouse.sql import frame

__all__ = ["WarehouseBusy", "connect", "flags_frame", "nightly_frame", "read_fit"]

Db = str | os.PathLike[str] | None


def connect(db: Db = None, wait_s: float = LOCK_WAIT_S) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse; close it when done (`with` works too).

    While a nightly run or an ingest holds the file, retries for up to `wait_s` seconds, then
    raises `WarehouseBusy`. It never creates or migrates a database.
    """
    return _connect(db, read_only=True, wait_s=wait_s)


def read_fit(
    path_or_bytes: str | os.PathLike[str] | bytes, engine: str = "fast"
) -> dict[str, pl.DataFrame]:
    """One FIT file (a path ending in .fit, or its bytes) as herstel's canonical frames
    (`heart_rate`, `rr_intervals`, `hrv_samples`, `sleep_stages`, `activities`,
    `device_summaries`; only those it has), impossible values dropped as on ingest. Raises
    `parsers.base.ParseError` when the file cannot be read; nothing is written anywhere.
    The same function is `parsers.fit.read_fit`; `parsers.fit.read_fit_messages` gives the
    decoder's message frames instead."""
    from parsers.fit import read_fit as _read_fit

    if not isinstance(path_or_bytes, bytes) and Path(path_or_bytes).suffix.lower() != ".fit":
        raise ValueError(f"{path_or_bytes} is not a .fit file")
    return _read_fit(path_or_bytes, engine=engine)


def _where(athlete: str | None, since: date | str | None, day: str) -> tuple[str, list]:
    clauses, args = [], []
    if athlete is not None:
        clauses.append("athlete_id = ?")
        args.append(athlete)
    if since is not None:
        clauses.append(f"{day} >= ?")
        args.append(date.fromisoformat(since) if isinstance(since, str) else since)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _read(db: Db, sql: str, args: list) -> pl.DataFrame:
    con = connect(db)
    try:
        return frame(con, sql, args)
    finally:
        con.close()


def nightly_frame(
    db: Db = None, athlete: str | None = None, since: date | str | None = None
) -> pl.DataFrame:
    """One row per athlete-night from `v_nightly`: markers, baselines, deviations, methods
    and source files (columns documented in docs/schema.md)."""
    where, args = _where(athlete, since, "night")
    return _read(db, f"SELECT * FROM v_nightly{where} ORDER BY athlete_id, night", args)


def flags_frame(
    db: Db = None, athlete: str | None = None, since: date | str | None = None
) -> pl.DataFrame:
    """One row per flag from `daily_flags`, with `unit` and the `ruleset_version` that
    raised it."""
    where, args = _where(athlete, since, "day")
    return _read(db, f"SELECT * FROM daily_flags{where} ORDER BY athlete_id, day, rule_id", args)
