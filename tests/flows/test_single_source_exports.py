"""Single-source exports end to end (Android Health Connect, Samsung Health): files in,
nightly values out, exact against the shared plan (sample_data.export_plan), across the
autumn clock change in Amsterdam."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.export_plan import plan
from sample_data.vendors import health_connect, samsung_health
from warehouse.db import connect
from warehouse.sql import frame

ZONE = "Europe/Amsterdam"
NIGHTS = plan(date(2025, 10, 20), 10, ZONE)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_server):
    root = tmp_path_factory.mktemp("hc")
    archive = health_connect.write_export(root / "export", NIGHTS)
    samsung = samsung_health.write_export(root / "samsung", NIGHTS)
    db = str(root / "hc.duckdb")
    outcomes = ingest([str(archive)], db, athlete="hc", tz=ZONE)
    samsung_outcomes = ingest([str(samsung)], db, athlete="sam", tz=ZONE)
    assert sorted((o.status, o.format) for o in samsung_outcomes) == [
        ("loaded", "samsung_heart_rate_csv"), ("loaded", "samsung_sleep_stage_csv")]
    nightly(db)
    return db, outcomes


def test_the_database_member_is_loaded_with_the_superseded_sessions_counted(warehouse):
    db, outcomes = warehouse
    assert [(o.status, o.format) for o in outcomes] == [("loaded", "health_connect_db")]
    with connect(db, read_only=True) as con:
        files = frame(con, "SELECT status, rows_dropped, dropped_reasons FROM files")
    assert files.row(0) == ("loaded", 10, '{"sleep_session_overlaps_other_app": 10}')


@pytest.mark.parametrize("athlete, hrv", [("hc", True), ("sam", False)])
def test_nightly_values_and_methods_match_the_plan(warehouse, athlete, hrv):
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        got = frame(con, "SELECT night, sleep_hours, resting_hr, hrv_ms, sleep_method, "
                         "resting_hr_method, hrv_method FROM nightly_metrics "
                         "WHERE athlete_id = ? ORDER BY night", [athlete])
    want = pl.DataFrame({
        "night": [n.night for n in NIGHTS],
        "sleep_hours": [n.sleep_hours for n in NIGHTS],
        "resting_hr": [float(n.resting_hr_bpm) for n in NIGHTS],
        "hrv_ms": [n.hrv_ms if hrv else None for n in NIGHTS],
    }, schema_overrides={"hrv_ms": pl.Float64})
    assert got.select(want.columns).equals(want)
    assert set(got["sleep_method"]) == {"stages"}
    assert set(got["resting_hr_method"]) == {"sleep_hr_30min"}
    assert set(got["hrv_method"]) == ({"device_5min"} if hrv else {None})


def test_the_clock_change_night_starts_at_its_planned_instant(warehouse):
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        start, end = con.execute(
            "SELECT sleep_start, sleep_end FROM nightly_metrics WHERE athlete_id = 'hc' "
            "AND night = DATE '2025-10-26'").fetchone()
    # bed 22:50 CEST (20:50 UTC) on 25 Oct; 440 minutes later, 05:10 CET (04:10 UTC)
    assert start.astimezone(UTC) == datetime(2025, 10, 25, 20, 50, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2025, 10, 26, 4, 10, tzinfo=UTC)
