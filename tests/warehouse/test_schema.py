"""The schema documents itself, matches the names in docs/schema.md, and migrates idempotently."""

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
    # one row per migration, numbered 1..N
    assert run(con, "SELECT count(*) FROM schema_migrations")[0][0] == len(MIGRATIONS)
    assert [v for v, _, _ in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_docs_schema_md_is_current():
    doc = Path(__file__).parents[2] / "docs" / "schema.md"
    assert doc.read_text(encoding="utf-8") == schema_markdown(), (
        "docs/schema.md is stale: run `python -m warehouse.docs`"
    )


def test_load_migration_on_a_database_with_data_marks_athletes_for_recompute():
    """An existing warehouse gains the duplicate link and PMC columns, and every athlete is
    recomputed once by the next nightly run (TRIMP moved to one scale)."""
    con = duckdb.connect()
    load_migration = next(v for v, _, f in MIGRATIONS if f.__name__ == "_migration_load")
    migrate(con, upto=load_migration - 1)
    run(con, "INSERT INTO athletes (athlete_id, time_zone, time_zone_source) "
             "VALUES ('a', 'UTC', 'default_utc')")  # fmt: skip
    run(con, "INSERT INTO daily_metrics (athlete_id, day, is_rest_day, computed_at) "
             "VALUES ('a', '2026-01-01', true, now())")  # fmt: skip
    assert migrate(con) == SCHEMA_VERSION
    assert run(con, "SELECT updated_at IS NOT NULL FROM athletes")[0][0] is True
    assert run(con, "SELECT ctl, tsb FROM daily_metrics")[0] == (None, None)
def test_every_column_of_every_table_and_view_has_a_comment():
    """Tables, views and schema_migrations alike: duckdb_columns() documents each column."""
    con = duckdb.connect()
    migrate(con)
    rows = run(
        con,
        "SELECT table_name, count(*), count(comment) FROM duckdb_columns() "
        "WHERE NOT internal AND schema_name = 'main' GROUP BY 1 ORDER BY 1",
    )
    counts = {name: (n, commented) for name, n, commented in rows}
    assert {"v_nightly", "v_flags_today", "v_athlete_summary", "schema_migrations"} <= set(counts)
    assert counts["v_nightly"] == (22, 22)
    assert counts["v_flags_today"] == (10, 10)
    assert counts["v_athlete_summary"] == (14, 14)
    assert counts["schema_migrations"] == (3, 3)
    assert counts["v_data_sufficiency"] == (14, 14)
    assert counts["v_night_sources"] == (11, 11)
    assert {name: c for name, c in counts.items() if c[0] != c[1]} == {}
    tables = run(
        con, "SELECT count(*), count(comment) FROM duckdb_tables() WHERE schema_name = 'main'"
    )
    views = run(con, "SELECT count(*), count(comment) FROM duckdb_views() WHERE NOT internal")
    assert tables[0][0] == tables[0][1] and views[0] == (5, 5)


def test_no_comment_cites_a_file_that_does_not_ship():
    con = duckdb.connect()
    migrate(con)
    cited = run(
        con,
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE comment ILIKE '%DESIGN%' OR comment ILIKE '%shared/%' "
        "UNION ALL SELECT table_name, NULL FROM duckdb_tables() WHERE comment ILIKE '%DESIGN%' "
        "UNION ALL SELECT description, NULL FROM schema_migrations "
        "WHERE description ILIKE '%DESIGN%'",
    )
    assert cited == []
