"""Google Health Takeout end to end: the export folder (and the same export zipped) in,
nightly values and methods out, exact against the shared plan across the autumn clock change
in Amsterdam; the legacy JSON twins never count twice; the local-wall-time trap; a download
cut short (docs/sources/google_health.md)."""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, date, datetime

import polars as pl
import pytest
from export_nights import nightly_of, planned_nights, sleep_window_utc

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.export_plan import plan
from sample_data.vendors import google_health
from warehouse.db import connect
from warehouse.sql import frame

ZONE = "Europe/Amsterdam"
NIGHTS = plan(date(2025, 10, 20), 10, ZONE)
LOADED = sorted(["google_health_daily_hrv_csv", "google_health_heart_rate_csv",
                 "google_health_hrv_csv", "google_health_resting_hr_csv",
                 "google_health_sleep_stages_csv", "google_health_sleeps_csv"])
IGNORED = 9  # 6 READMEs, 1 machine-learning file, 2 legacy JSON twins


def _zip(folder, target):
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return target


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_server):
    root = tmp_path_factory.mktemp("gh")
    # each export in its own folder: a recorded path starts at the folder given
    takeout = google_health.write_export(root / "gh", NIGHTS)
    zipped = _zip(takeout, root / "takeout-20251101T120000Z-001.zip")
    google_health.write_export(root / "ghl", NIGHTS, sleep_times="local")
    # the JSON twins alone (copied out of the export, e.g. by hand): read, as nothing says
    # they are twins; the metrics must still not count their nights twice
    twins = root / "twins"
    shutil.copytree(takeout / "Google Health" / "Global Export Data", twins)
    cut = google_health.write_export(root / "ght", NIGHTS)
    stages = next((cut / "Google Health").rglob("UserSleepStages_*.csv"))
    text = stages.read_bytes()
    stages.write_bytes(text[: text.rindex(b"\n", 0, len(text) - 1) + 40])  # download cut short
    db = str(root / "gh.duckdb")
    outcomes = {
        athlete: ingest([str(root / athlete)], db, athlete=athlete, tz=ZONE)
        for athlete in ("gh", "ghl", "ght")
    } | {"ghz": ingest([str(zipped)], db, athlete="ghz", tz=ZONE)}
    outcomes["gh"] += ingest([str(twins)], db, athlete="gh", tz=ZONE)
    nightly(db)
    return db, outcomes


@pytest.mark.parametrize("athlete", ["gh", "ghz"])
def test_every_csv_is_loaded_and_the_rest_is_ignored_with_a_reason(warehouse, athlete):
    db, outcomes = warehouse
    with connect(db, read_only=True) as con:
        files = frame(con, "SELECT path, status, format, reason FROM files WHERE athlete_id = ? "
                           "AND path LIKE '%Google Health%' ORDER BY path", [athlete])
    loaded = files.filter(pl.col("status") == "loaded")
    assert sorted(loaded["format"]) == LOADED
    ignored = files.filter(pl.col("status") != "loaded")
    assert ignored.height == IGNORED
    assert set(ignored["status"]) == {"quarantined"}
    assert all(r.startswith("ignored: ") for r in ignored["reason"])
    twins = ignored.filter(pl.col("path").str.contains("Global Export Data"))
    assert twins.height == 2 and all("legacy twin" in r for r in twins["reason"])


@pytest.mark.parametrize("athlete", ["gh", "ghz", "ghl", "ght"])
def test_nightly_values_and_methods_match_the_plan(warehouse, athlete):
    db, _ = warehouse
    got, want = nightly_of(db, athlete), planned_nights(NIGHTS)
    assert got.select(want.columns).equals(want)
    assert set(got["sleep_method"]) == {"stages"}
    assert set(got["resting_hr_method"]) == {"sleep_hr_30min"}
    assert set(got["hrv_method"]) == {"device_5min"}


@pytest.mark.parametrize("athlete", ["gh", "ghl"])
def test_the_clock_change_night_starts_and_ends_at_its_planned_instants(warehouse, athlete):
    db, _ = warehouse
    start, end = sleep_window_utc(db, athlete, date(2025, 10, 26))
    # bed 22:50 CEST (20:50 UTC) on 25 Oct; 440 minutes later, 05:10 CET (04:10 UTC)
    assert start == datetime(2025, 10, 25, 20, 50, tzinfo=UTC)
    assert end == datetime(2025, 10, 26, 4, 10, tzinfo=UTC)


def test_the_json_twins_read_on_their_own_do_not_count_twice(warehouse):
    """The twins copied out of the export are loaded (fitbit formats) for athlete gh, whose
    CSVs hold the same nights: stage intervals merge as a union, so sleep stays 7 h (the
    values above), and the device values of one night are one value."""
    db, outcomes = warehouse
    twins = sorted((o.status, o.format) for o in outcomes["gh"] if "twins" in o.path)
    assert twins == [("loaded", "fitbit_resting_hr_json"), ("loaded", "fitbit_sleep_json")]
    with connect(db, read_only=True) as con:
        stages = frame(con, "SELECT f.format, count(*) AS n FROM sleep_stages s JOIN files f "
                            "ON f.file_id = s.file_id AND f.athlete_id = s.athlete_id "
                            "WHERE s.athlete_id = 'gh' GROUP BY 1 ORDER BY 1")
    # the same 70 night runs and 8 nap runs from each file kind: identical intervals
    assert stages.rows() == [("fitbit_sleep_json", 78), ("google_health_sleep_stages_csv", 78)]


@pytest.mark.hostile
def test_a_stages_file_cut_mid_row_is_partial_and_says_to_download_again(warehouse):
    """The cut row is the last night's nap's final awake minutes: the nights stay exact
    (above, athlete ght), the file says what was lost and what to do."""
    db, _ = warehouse
    with connect(db, read_only=True) as con:
        row = con.execute(
            "SELECT status, rows_dropped, dropped_reasons, reason FROM files WHERE athlete_id = "
            "'ght' AND format = 'google_health_sleep_stages_csv'").fetchone()
    status, dropped, reasons, reason = row
    assert (status, dropped, reasons) == ("partial", 1, '{"row_cut_short": 1}')
    assert "cut short" in reason and "download the export again" in reason
