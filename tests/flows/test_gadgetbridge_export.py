"""Gadgetbridge export end to end (issue 15 point 4): the export zip in (the app's SQLite
database and a raw Garmin FIT file under files/), nightly values out, exact against the
shared plan (sample_data.export_plan) across the autumn clock change in Amsterdam.

The athlete wore a Mi Band 3 (sleep from RAW_KIND), then a Garmin watch (stage table, HRV),
then a Xiaomi band (stage table), and an Amazfit at lunch whose RAW_KIND is not mapped."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime

import polars as pl
import pytest
from export_nights import nightly_of, planned_nights, sleep_window_utc

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.export_plan import plan
from sample_data.vendors import gadgetbridge as writer
from warehouse.db import connect
from warehouse.sql import frame

ZONE = "Europe/Amsterdam"
NIGHTS = plan(date(2025, 10, 20), 10, ZONE)
GARMIN_NIGHTS = {p.night for i, p in enumerate(NIGHTS)
                 if writer.device_for(i, len(NIGHTS)) == writer.GARMIN}


def _mixed_units_database() -> bytes:
    """A bare database ("Export DB") whose Mi Band table holds one row stamped in ms."""
    con = sqlite3.connect(":memory:")
    con.executescript(writer.SCHEMA)
    con.executemany('INSERT INTO "DEVICE" ("_id", "NAME", "MANUFACTURER", "IDENTIFIER", '
                    '"TYPE", "TYPE_NAME") VALUES (?, ?, ?, ?, ?, ?)', writer.DEVICES)
    t0 = int(datetime(2025, 10, 21, 12, 0, tzinfo=UTC).timestamp())
    con.executemany('INSERT INTO "MI_BAND_ACTIVITY_SAMPLE" VALUES (?, 1, 1, 10, 0, 1, ?)',
                    [(t0 + 60 * k, 70) for k in range(5)] + [(t0 * 1000 + 300_000, 71)])
    return con.serialize()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_server):
    root = tmp_path_factory.mktemp("gb")
    archive = writer.write_export(root / "export", NIGHTS)
    db = str(root / "gb.duckdb")
    outcomes = ingest([str(archive)], db, athlete="gb", tz=ZONE)
    bare = root / "phone" / "Gadgetbridge"
    bare.parent.mkdir()
    bare.write_bytes(_mixed_units_database())
    ingest([str(bare)], db, athlete="gb2", tz=ZONE)
    nightly(db)
    return db, outcomes


def test_the_database_and_the_fit_file_are_loaded_with_unmapped_raw_kind_counted(warehouse):
    db, outcomes = warehouse
    assert [(o.status, o.format) for o in outcomes] == [("loaded", "gadgetbridge_db"),
                                                        ("loaded", "fit")]
    with connect(db, read_only=True) as con:
        files = frame(con, "SELECT format, status, rows_dropped, dropped_reasons FROM files "
                           "WHERE athlete_id = 'gb' ORDER BY format")
    gadget = files.filter(pl.col("format") == "gadgetbridge_db").row(0)
    # the Amazfit's 30 lunch minutes a day, 10 days: HR loaded, RAW_KIND not used
    assert gadget[1:3] == ("loaded", 300)
    assert json.loads(gadget[3]) == {"raw_kind_unmapped": 300}


def test_a_row_in_the_wrong_unit_is_counted_and_named_not_converted(warehouse):
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        row = con.execute("SELECT format, status, rows_dropped, dropped_reasons, reason FROM "
                          "files WHERE athlete_id = 'gb2'").fetchone()
        bpm = con.execute("SELECT list(bpm ORDER BY ts) FROM heart_rate "
                          "WHERE athlete_id = 'gb2'").fetchone()[0]
    assert row[:3] == ("gadgetbridge_db", "partial", 1)
    assert json.loads(row[3]) == {"timestamp_not_in_table_unit": 1}
    assert row[4].startswith("MI_BAND_ACTIVITY_SAMPLE: 1 row skipped: TIMESTAMP 1761048300000 "
                             "is no time in seconds, the unit this table keeps (it looks like "
                             "milliseconds)")
    assert bpm == [70] * 5


def test_nightly_values_and_methods_match_the_plan(warehouse):
    db, _ = warehouse
    got = nightly_of(db, "gb")
    want = planned_nights(NIGHTS, lambda n: n.night in GARMIN_NIGHTS).with_columns(
        hrv_method=pl.Series(["device_5min" if n.night in GARMIN_NIGHTS else None
                              for n in NIGHTS], dtype=pl.String))
    assert got.select(want.columns).equals(want)
    assert set(got["sleep_method"]) == {"stages"}
    assert set(got["resting_hr_method"]) == {"sleep_hr_30min"}


def test_the_clock_change_night_starts_and_ends_at_its_planned_instants(warehouse):
    db, _ = warehouse
    start, end = sleep_window_utc(db, "gb", date(2025, 10, 26))
    # a Garmin night: bed 22:50 CEST (20:50 UTC) on 25 Oct; 440 minutes later 04:10 UTC
    assert date(2025, 10, 26) in GARMIN_NIGHTS
    assert start == datetime(2025, 10, 25, 20, 50, tzinfo=UTC)
    assert end == datetime(2025, 10, 26, 4, 10, tzinfo=UTC)


def test_the_raw_fit_file_under_files_gives_the_evening_run(warehouse):
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        runs = frame(con, "SELECT start_ts, duration_s, sport FROM activities "
                          "WHERE athlete_id = 'gb'")
    night = writer.run_night(NIGHTS).night
    assert runs.rows() == [(datetime(night.year, night.month, night.day, 16, 30, tzinfo=UTC),
                            writer.RUN_MIN * 60.0, "running")]
