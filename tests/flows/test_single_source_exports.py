"""Single-source exports end to end (Android Health Connect, Samsung Health, Withings, Zepp):
files in, nightly values out, exact against the shared plan (sample_data.export_plan), across the
autumn clock change in Amsterdam."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import polars as pl
import pytest
from export_nights import nightly_of, planned_nights, sleep_window_utc

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.export_plan import plan
from sample_data.vendors import health_connect, samsung_health, withings, zepp
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
    zepp_outcomes = ingest([str(zepp.write_export(root / "zepp", NIGHTS))], db, athlete="zep",
                           tz=ZONE)
    assert sorted((o.status, o.format, (o.reason or "")[:40]) for o in zepp_outcomes) == [
        ("loaded", "zepp_heart_rate_csv", ""), ("loaded", "zepp_sleep_csv", ""),
        ("quarantined", None, "ignored: ACTIVITY of the Zepp export: da"),
        ("quarantined", None, "ignored: USER of the Zepp export: the ac")]
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


def test_zepp_nights_are_the_devices_sleep_hours_and_nothing_else(warehouse):
    """Zepp's SLEEP rows give each night's minutes per stage, not the stages in time: the
    night is the device's `sleep_hours` (7 h, the clock-change night too). Without a sleep
    period herstel computes no resting HR from the heart rate, and the export holds no
    resting HR and no RMSSD: those stay empty (docs/sources/zepp.md)."""
    db, _ = warehouse
    got = nightly_of(db, "zep")
    want = planned_nights(NIGHTS, lambda n: False).with_columns(
        pl.lit(None, pl.Float64).alias("resting_hr"))
    assert got.select(want.columns).equals(want)
    assert got.select("sleep_method", "resting_hr_method", "hrv_method").unique().rows() == [
        ("device", None, None)]
    with connect(db, read_only=True) as con:
        hr = frame(con, "SELECT ts, bpm FROM heart_rate WHERE athlete_id = 'zep' ORDER BY ts")
        files = frame(con, "SELECT format, status, dropped_reasons FROM files "
                           "WHERE format LIKE 'zepp%' ORDER BY format")
    # every minute in bed placed, the repeated hour of 26 October included
    assert hr.rows() == [(t, b) for n in NIGHTS for t, b in n.hr_in_bed()]
    assert files.rows() == [("zepp_heart_rate_csv", "loaded", None),
                            ("zepp_sleep_csv", "loaded", '{"sleep_no_sleep": 1}')]


def test_zepp_nights_raise_exactly_the_planned_flags(warehouse):
    """Flags out, against the plan: 7 h a night is inside the guideline's 7-9 h (no
    `sleep_out_of_range`, no short streak), and with no resting HR or HRV no rule on them can
    fire; so a Zepp athlete of this plan has no flag at all."""
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        flags = frame(con, "SELECT day, rule_id FROM daily_flags WHERE athlete_id = 'zep'")
        nights = frame(con, "SELECT count(*) AS n FROM nightly_metrics WHERE athlete_id = 'zep' "
                            "AND sleep_hours = 7.0")
    assert flags.rows() == []
    assert nights["n"].to_list() == [len(NIGHTS)]
