"""Single-source exports end to end (Android Health Connect, Samsung Health, Withings): files in,
nightly values out, exact against the shared plan (sample_data.export_plan), across the
autumn clock change in Amsterdam."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from export_nights import nightly_of, planned_nights, sleep_window_utc

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.export_plan import plan
from sample_data.vendors import health_connect, samsung_health, withings
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
    # 8 hourly heart-rate series files and 1 HRV file a night, each its own loaded file
    assert sorted(Counter((o.status, o.format) for o in samsung_outcomes).items()) == [
        (("loaded", "samsung_heart_rate_csv"), 1), (("loaded", "samsung_heart_rate_json"), 80),
        (("loaded", "samsung_hrv_csv"), 1), (("loaded", "samsung_hrv_json"), 10),
        (("loaded", "samsung_sleep_stage_csv"), 1)]
    withings_outcomes = ingest([str(withings.write_export(root / "withings", NIGHTS))], db,
                               athlete="wit", tz=ZONE)
    assert sorted((o.status, o.format) for o in withings_outcomes) == [
        ("loaded", "withings_heart_rate_csv"), ("loaded", "withings_sleep_csv"),
        ("loaded", "withings_sleep_state_csv")]
    nightly(db)
    return db, outcomes


def test_the_database_member_is_loaded_with_the_superseded_sessions_counted(warehouse):
    db, outcomes = warehouse
    assert [(o.status, o.format) for o in outcomes] == [("loaded", "health_connect_db")]
    with connect(db, read_only=True) as con:
        files = frame(con, "SELECT status, rows_dropped, dropped_reasons FROM files")
    assert files.row(0) == ("loaded", 10, '{"sleep_session_overlaps_other_app": 10}')


@pytest.mark.parametrize("athlete, hrv", [("hc", True), ("sam", True), ("wit", False)])
def test_nightly_values_and_methods_match_the_plan(warehouse, athlete, hrv):
    """Withings' export holds no HRV: its nights have none."""
    db, _ = warehouse
    got, want = nightly_of(db, athlete), planned_nights(NIGHTS, lambda n: hrv)
    assert got.select(want.columns).equals(want)
    assert set(got["sleep_method"]) == {"stages"}
    assert set(got["resting_hr_method"]) == {"sleep_hr_30min"}
    assert set(got["hrv_method"]) == ({"device_5min"} if hrv else {None})


def test_samsung_heart_rate_is_counted_once(warehouse):
    """The series rows of the heart-rate CSV carry the mean of their JSON bins: only the bins
    (one a minute in bed) and the daytime spot rows are loaded."""
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        (rows,) = con.execute("SELECT count(*) FROM heart_rate WHERE athlete_id = 'sam'"
                              ).fetchone()
        (hrv_rows,) = con.execute("SELECT count(*) FROM hrv_samples WHERE athlete_id = 'sam'"
                                  ).fetchone()
    assert rows == sum(len(n.hr_in_bed()) for n in NIGHTS) + len(NIGHTS) == 10 * 440 + 10
    assert hrv_rows == 10 * 88


@pytest.mark.parametrize("athlete", ["hc", "sam", "wit"])
def test_the_clock_change_night_starts_at_its_planned_instant(warehouse, athlete):
    db, _ = warehouse
    start, end = sleep_window_utc(db, athlete, date(2025, 10, 26))
    # bed 22:50 CEST (20:50 UTC) on 25 Oct; 440 minutes later, 05:10 CET (04:10 UTC)
    assert start == datetime(2025, 10, 25, 20, 50, tzinfo=UTC)
    assert end == datetime(2025, 10, 26, 4, 10, tzinfo=UTC)
