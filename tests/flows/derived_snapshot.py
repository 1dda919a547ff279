"""What a nightly run derives, read back for comparison between two warehouses (tests only)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from warehouse.db import connect
from warehouse.sql import frame

#: Derived tables and the keys that order their rows.
DERIVED = {
    "nightly_metrics": ["athlete_id", "night"],
    "daily_metrics": ["athlete_id", "day"],
    "daily_flags": ["athlete_id", "day", "rule_id"],
    "rule_evaluability": ["athlete_id", "day", "rule_id"],
    "flag_episodes": ["athlete_id", "rule_id", "start_day"],
}
ACTIVITY_KEYS = ["athlete_id", "file_id", "start_ts"]


def derived_snapshot(db: Path | str) -> dict[str, pl.DataFrame]:
    """The derived tables without `computed_at`, and each session's TRIMP, in key order."""
    con = connect(db, read_only=True)
    try:
        tables = {t: frame(con, _select(con, t)).sort(keys) for t, keys in DERIVED.items()}
        sql = f"SELECT {', '.join(ACTIVITY_KEYS)}, trimp, trimp_method FROM activities"
        return tables | {"activities": frame(con, sql).sort(ACTIVITY_KEYS)}
    finally:
        con.close()


def _select(con, table: str) -> str:
    """All columns but computed_at (when the table has one)."""
    cols = frame(
        con,
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND column_name <> "
        "'computed_at' ORDER BY column_index",
        [table],
    )["column_name"].to_list()
    return f"SELECT {', '.join(cols)} FROM {table}"


def assert_same_derived(expected: dict[str, pl.DataFrame], got: dict[str, pl.DataFrame]) -> None:
    assert expected.keys() == got.keys()
    for table in expected:
        assert_frame_equal(expected[table], got[table], check_exact=False, rel_tol=1e-9)
