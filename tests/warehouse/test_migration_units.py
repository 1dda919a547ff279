"""The units-and-comments migration on a warehouse made before it: units and ruleset columns
appear (null until the next nightly run), every view column gets its comment, and the next run
sees a changed ruleset."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from flows.nightly import _ruleset_changed
from warehouse import schema
from warehouse.sql import run


@pytest.fixture
def old_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    units = next(v for v, _, f in schema.MIGRATIONS if f.__name__ == "migration_units_and_comments")
    schema.migrate(con, upto=units - 1)
    at = datetime(2026, 11, 1, 4, tzinfo=UTC)
    run(con, "INSERT INTO nightly_runs VALUES (?, ?, 3, 'incremental')", [at, at])
    run(con, "INSERT INTO daily_flags VALUES ('anna', DATE '2026-11-01', 'hrv_low', 'warning', "
             "41.0, 50.0, NULL, 'm', 'm', '2026.11.2', now())")  # fmt: skip
    return con


def test_upgrade_keeps_rows_and_documents_every_column(old_warehouse):
    con = old_warehouse
    assert "unit" not in {r[0] for r in run(con, "DESCRIBE daily_flags")}
    assert schema.migrate(con) == schema.SCHEMA_VERSION
    assert run(con, "SELECT rule_id, unit FROM daily_flags") == [("hrv_low", None)]
    assert run(con, "SELECT athletes, ruleset_version FROM nightly_runs") == [(3, None)]
    missing = run(
        con,
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE comment IS NULL AND NOT internal AND schema_name = 'main'",
    )
    assert missing == []
    assert run(con, "SELECT unit FROM v_flags_today") == []  # no nightly_metrics yet


def test_a_run_before_the_units_migration_counts_as_another_ruleset(old_warehouse):
    """Its flags have no unit: the first run after the upgrade recomputes every athlete."""
    schema.migrate(old_warehouse)
    assert _ruleset_changed(old_warehouse, "2026.11.2") is True
    run(old_warehouse, "INSERT INTO nightly_runs VALUES (now(), now(), 3, 'rebuild', '2026.11.2')")
    assert _ruleset_changed(old_warehouse, "2026.11.2") is False
    assert _ruleset_changed(old_warehouse, "2026.11.2-local.0badc0de") is True


def test_a_fresh_warehouse_has_no_run_to_compare():
    con = duckdb.connect()
    schema.migrate(con)
    assert _ruleset_changed(con, "2026.11.2") is False
