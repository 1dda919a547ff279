"""The schema documents itself, matches DESIGN.md's names, and migrates idempotently."""

from pathlib import Path

import duckdb

from warehouse.docs import schema_markdown
from warehouse.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from warehouse.sql import run

DESIGN_COLUMNS = {
    "athletes": {"athlete_id", "time_zone", "birth_year", "sex", "hr_max"},
    "files": {
        "file_id",
        "athlete_id",
        "path",
        "format",
        "vendor",
        "device",
        "size_bytes",
        "status",
        "reason",
        "ingested_at",
    },
    "heart_rate": {"athlete_id", "ts", "bpm", "context", "file_id"},
    "rr_intervals": {"athlete_id", "ts", "rr_ms", "file_id"},
    "sleep_stages": {"athlete_id", "start_ts", "end_ts", "stage", "file_id"},
    "activities": {
        "athlete_id",
        "start_ts",
        "duration_s",
        "sport",
        "avg_hr",
        "max_hr",
        "distance_m",
        "trimp",
        "file_id",
    },
    "device_summaries": {"athlete_id", "night", "metric", "value", "vendor", "file_id"},
    "daily_metrics": {
        "athlete_id",
        "day",
        "is_rest_day",
        "load_trimp",
        "acute_load",
        "chronic_load",
        "acwr",
        "strength_load",
        "sedentary_hours",
        "steps",
    },
    "lab_results": {"athlete_id", "day", "marker", "value", "unit"},
    "wellness": {
        "athlete_id",
        "day",
        "fatigue",
        "mood",
        "motivation",
        "stress",
        "soreness",
        "sleep_quality",
    },
    "nightly_metrics": {
        "athlete_id",
        "night",
        "sleep_start",
        "sleep_end",
        "sleep_hours",
        "resting_hr",
        "hrv_ms",
        "sleep_method",
        "resting_hr_method",
        "hrv_method",
    },
    "daily_flags": {
        "athlete_id",
        "day",
        "rule_id",
        "severity",
        "value",
        "threshold",
        "baseline",
        "message",
        "ruleset_version",
        "computed_at",
    },
}


def _columns(con) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for table, column in run(con, "SELECT table_name, column_name FROM duckdb_columns()"):
        out.setdefault(table, set()).add(column)
    return out


def test_design_tables_and_columns_exist():
    con = duckdb.connect()
    migrate(con)
    cols = _columns(con)
    for table, expected in DESIGN_COLUMNS.items():
        assert expected <= cols[table], (table, expected - cols[table])


def test_every_table_and_column_has_a_comment():
    con = duckdb.connect()
    migrate(con)
    missing_t = run(
        con,
        "SELECT table_name FROM duckdb_tables() WHERE comment IS NULL "
        "AND table_name <> 'schema_migrations'",
    )
    missing_c = run(
        con,
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE comment IS NULL AND NOT internal AND schema_name = 'main' "
        "AND table_name IN (SELECT table_name FROM duckdb_tables()) "
        "AND table_name <> 'schema_migrations'",
    )
    missing_v = run(
        con, "SELECT view_name FROM duckdb_views() WHERE NOT internal AND comment IS NULL"
    )
    assert missing_t == [] and missing_c == [] and missing_v == []


def test_migrate_twice_is_a_no_op():
    con = duckdb.connect()
    assert migrate(con) == SCHEMA_VERSION
    assert migrate(con) == SCHEMA_VERSION
    # one row per migration (versions may skip numbers while branches merge)
    assert run(con, "SELECT count(*) FROM schema_migrations")[0][0] == len(MIGRATIONS)


def test_docs_schema_md_is_current():
    doc = Path(__file__).parents[2] / "docs" / "schema.md"
    assert doc.read_text(encoding="utf-8") == schema_markdown(), (
        "docs/schema.md is stale: run `python -m warehouse.docs`"
    )
