"""Small helpers over the DuckDB 2.0 Python API, shared by the warehouse modules.

DuckDB 2.0 streams `execute()` results: an unread result holds the connection, and only
relations (`con.sql`) convert to polars. These helpers always drain or convert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import polars as pl


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """Execute and drain: DuckDB 2.0 results stream and hold the connection until read."""
    return con.execute(sql, params or []).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, or None."""
    rows = run(con, sql, params)
    return rows[0] if rows else None


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    """A query's result as a polars frame (DuckDB 2.0: only relations convert to polars)."""
    return con.sql(sql, params=params or None).pl()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    run(con, "BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        run(con, "ROLLBACK")
        raise
    run(con, "COMMIT")
