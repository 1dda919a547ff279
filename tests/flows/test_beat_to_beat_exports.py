"""Beat-to-beat files end to end (Polar .hrm, Suunto .sml, Suunto app JSON): a chest-strap
night recording beside a watch's sleep stages (Samsung Health export) -> the night's HRV
from the RR intervals (`rr_rmssd_5min`), exact against the RMSSD computed by hand from the
planted intervals, across the autumn clock change in Amsterdam; artifacts counted; the
morning test outside the sleep period stored but never the night's value; cut files partial.
"""

from __future__ import annotations

import json
import math
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.export_plan import plan
from sample_data.vendors import polar_hrm, samsung_health, suunto
from sample_data.vendors.beats import plan as beat_plan
from warehouse.db import connect
from warehouse.sql import frame

ZONE = "Europe/Amsterdam"
NIGHTS = plan(date(2025, 10, 24), 4, ZONE)  # 24..27 Oct; the clock goes back on the 26th
#: athlete -> (folder the writer fills, files.format of its recordings)
SOURCES = {"hrm": ("polar_hrm", "polar_hrm"), "sml": ("suunto", "suunto_sml"),
           "app": ("suunto_app", "suunto_json")}


def rmssd_by_hand(rr_ms: list[int]) -> float:
    """RMSSD of successive differences whose beats are both 300-2000 ms (the artifacts out)."""
    d = [b - a for a, b in zip(rr_ms, rr_ms[1:], strict=False)
         if 300 <= a <= 2000 and 300 <= b <= 2000]
    return math.sqrt(sum(x * x for x in d) / len(d))


def watch_export(out, nights, athlete):
    """The sleep stages and heart rate of the night, from the athlete's own watch (its own
    device id: the same bytes for two athletes would be one file, a duplicate)."""
    folder = samsung_health.write_export(out, nights)
    for csv in folder.glob("*.csv"):
        csv.write_text(csv.read_text().replace(",watch-1,", f",watch-{athlete},"))
    return folder


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_server):
    root = tmp_path_factory.mktemp("beats")
    db = str(root / "beats.duckdb")
    polar_hrm.write_export(root / "export", NIGHTS)
    suunto.write_export(root / "export", NIGHTS)
    outcomes = {}
    for athlete, (folder, _) in SOURCES.items():
        watch = watch_export(root / athlete, NIGHTS, athlete)
        outcomes[athlete] = ingest([str(watch), str(root / "export" / folder)], db,
                                   athlete=athlete, tz=ZONE)
    nightly(db)
    return db, root, outcomes


@pytest.mark.parametrize("athlete", SOURCES)
def test_every_recording_is_loaded_with_its_artifacts_counted(warehouse, athlete):
    db, _, outcomes = warehouse
    fmt = SOURCES[athlete][1]
    assert sorted((o.status, o.format) for o in outcomes[athlete] if o.format == fmt) == [
        ("loaded", fmt)] * 2 * len(NIGHTS)
    with connect(db, read_only=True) as con:
        files = frame(con, "SELECT rows_dropped, dropped_reasons, rows_rr_intervals FROM files "
                           "WHERE athlete_id = ? AND format = ? ORDER BY rows_rr_intervals",
                      [athlete, fmt])
    mornings, nights = files.head(len(NIGHTS)), files.tail(len(NIGHTS))
    assert mornings["rows_dropped"].to_list() == [0] * len(NIGHTS)
    assert mornings["rows_rr_intervals"].to_list() == [
        len(beat_plan.morning_test(p).rr_ms) for p in NIGHTS]
    artifacts = beat_plan.ARTIFACTS_PER_NIGHT
    assert nights["rows_dropped"].to_list() == [artifacts] * len(NIGHTS)
    assert {json.loads(r)["rr_out_of_range"] for r in nights["dropped_reasons"]} == {artifacts}


@pytest.mark.parametrize("athlete", SOURCES)
def test_the_nights_hrv_is_the_rmssd_of_the_planted_beats(warehouse, athlete):
    db, _, _ = warehouse
    with connect(db, read_only=True) as con:
        got = frame(con, "SELECT night, hrv_ms, hrv_method, hrv_coverage FROM nightly_metrics "
                         "WHERE athlete_id = ? ORDER BY night", [athlete])
    by_hand = [rmssd_by_hand(beat_plan.night_recording(p).rr_ms) for p in NIGHTS]
    assert by_hand == [p.hrv_ms for p in NIGHTS]  # the plan's values, 40 + 2i ms
    assert got["night"].to_list() == [p.night for p in NIGHTS]
    assert got["hrv_ms"].to_list() == by_hand
    assert set(got["hrv_method"]) == {"rr_rmssd_5min"}
    assert set(got["hrv_coverage"]) == {1.0}


def test_the_clock_change_night_recording_starts_at_its_planned_instant(warehouse):
    db, _, _ = warehouse
    night = next(p for p in NIGHTS if p.night == date(2025, 10, 26))
    first_rr = beat_plan.night_recording(night).rr_ms[0]
    # bed 22:50 CEST on 25 Oct = 20:50 UTC; the last beat lands at wake-up, 04:10 UTC (05:10 CET)
    with connect(db, read_only=True) as con:
        for athlete in SOURCES:
            first, last = con.execute(
                "SELECT min(ts), max(ts) FROM rr_intervals WHERE athlete_id = ? AND ts BETWEEN "
                "TIMESTAMPTZ '2025-10-25 20:00:00+00' AND TIMESTAMPTZ '2025-10-26 05:00:00+00'",
                [athlete]).fetchone()
            assert first.astimezone(UTC) == datetime(2025, 10, 25, 20, 50, tzinfo=UTC) + \
                timedelta(milliseconds=first_rr), athlete
            assert datetime(2025, 10, 26, 4, 10, tzinfo=UTC) <= last.astimezone(UTC) < \
                datetime(2025, 10, 26, 4, 10, 3, tzinfo=UTC), athlete


@pytest.mark.hostile
def test_a_recording_cut_short_is_partial_and_its_night_still_computes(warehouse, tmp_path):
    """A copy interrupted half way: the beats it holds are loaded, the file says what is
    missing; a zip holding it is opened and sniffed by content."""
    db, root, _ = warehouse
    night = NIGHTS[-1]
    name = f"{night.bed:%y%m%d}01.hrm"
    data = (root / "export" / "polar_hrm" / name).read_bytes()
    archive = tmp_path / "protrainer_backup.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"ProTrainer/{name}", data[: len(data) // 2])
    copy_db = str(tmp_path / "cut.duckdb")
    watch = watch_export(tmp_path / "samsung", [night], "cut")
    outcomes = ingest([str(watch), str(archive)], copy_db, athlete="cut", tz=ZONE)
    (cut,) = [o for o in outcomes if o.format == "polar_hrm"]
    assert cut.status == "partial"
    with connect(copy_db, read_only=True) as con:
        reason = con.execute("SELECT reason FROM files WHERE format = 'polar_hrm'").fetchone()[0]
        assert "cut short" in reason and "7:20:0" in reason
    nightly(copy_db)
    with connect(copy_db, read_only=True) as con:
        hrv, method = con.execute("SELECT hrv_ms, hrv_method FROM nightly_metrics "
                                  "WHERE athlete_id = 'cut'").fetchone()
    assert (hrv, method) == (night.hrv_ms, "rr_rmssd_5min")  # half the night: coverage ~0.5


def test_a_night_across_the_spring_change_computes_exactly(tmp_path, prefect_server):
    """The night to 29 March 2026: the clock skips 02:00-03:00, the beats do not."""
    nights = plan(date(2026, 3, 28), 2, ZONE)
    db = str(tmp_path / "spring.duckdb")
    ingest([str(watch_export(tmp_path / "w", nights, "spring")),
            str(polar_hrm.write_export(tmp_path / "e", nights))], db, athlete="spring", tz=ZONE)
    nightly(db)
    with connect(db, read_only=True) as con:
        got = frame(con, "SELECT night, hrv_ms, hrv_method FROM nightly_metrics ORDER BY night")
        last = con.execute("SELECT max(ts) FROM rr_intervals WHERE ts < TIMESTAMPTZ "
                           "'2026-03-29 05:30:00+00'").fetchone()[0]  # before the morning test
    assert got.rows() == [(p.night, p.hrv_ms, "rr_rmssd_5min") for p in nights]
    # the plan's second night: bed 22:40 CET (21:40 UTC) on 28 March; 440 minutes later is
    # 05:00 UTC = 07:00 CEST (the wall clock says 8 h 20 min)
    assert datetime(2026, 3, 29, 5, 0, tzinfo=UTC) <= last.astimezone(UTC) < \
        datetime(2026, 3, 29, 5, 0, 3, tzinfo=UTC)
