"""Issue 15, point 6: an Oura ring and a WHOOP strap give different values for the same
nights; the athlete's `source_priority` in athletes.csv (or the study default, the `*` row)
decides which the night takes, `v_night_sources` shows both with `chosen`, and a typo in a
priority is that athlete's problem, never a crash."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest
from hostile_study import query, write

from flows.ingest import ingest
from flows.nightly import nightly
from parsers.vendors import known_vendors
from warehouse.athlete_config import check_athletes, parse_priority

JUNE = date(2026, 6, 1)
NIGHTS = 3
VALUES_SQL = (
    "SELECT athlete_id, count(*), min(resting_hr), max(resting_hr), min(hrv_ms), max(hrv_ms), "
    "min(sleep_hours), max(sleep_hours), any_value(resting_hr_method), any_value(hrv_method), "
    "any_value(sleep_method) FROM nightly_metrics GROUP BY 1 ORDER BY 1"
)
VIEW_SQL = (
    "SELECT athlete_id, metric, vendor, value, chosen, priority_rank, nightly_method "
    "FROM v_night_sources WHERE night = ? ORDER BY athlete_id, metric, vendor"
)
PROBLEMS_SQL = "SELECT athlete_id, source, problem FROM athlete_problems ORDER BY ALL"


def oura_trends(sleep_s: int, rhr: int, hrv: int) -> str:
    # the older Oura cloud "trends" CSV (parsers/vendors/oura.py): durations in seconds
    lines = ["date,Sleep Score,Total Sleep Time,Awake Time,Bedtime Start,Bedtime End,"
             "Lowest Resting Heart Rate,Average HRV"]  # fmt: skip
    for i in range(NIGHTS):
        d = JUNE + timedelta(days=i)
        lines.append(f"{d},80,{sleep_s},1800,{d - timedelta(days=1)}T23:00:00+02:00,"
                     f"{d}T06:40:00+02:00,{rhr},{hrv}")  # fmt: skip
    return "\n".join(lines) + "\n"


def whoop_cycles(asleep_min: int, rhr: int, hrv: int) -> str:
    # WHOOP physiological_cycles.csv (parsers/vendors/whoop.py): the night is the wake date
    lines = ["Cycle start time,Cycle end time,Cycle timezone,Recovery score %,"
             "Resting heart rate (bpm),Heart rate variability (ms),Sleep onset,Wake onset,"
             "Asleep duration (min)"]  # fmt: skip
    for i in range(NIGHTS):
        d = JUNE + timedelta(days=i)
        e = d - timedelta(days=1)
        lines.append(f"{e} 22:50:00,{d} 22:40:00,UTC+02:00,70,{rhr},{hrv},{e} 23:05:00,"
                     f"{d} 06:35:00,{asleep_min}")  # fmt: skip
    return "\n".join(lines) + "\n"


def _study(tmp_path, athletes_csv: str):
    """anna: Oura 7.0 h / 48 bpm / 70 ms, WHOOP 6.5 h / 52 bpm / 60 ms every night; bob the
    same devices with other values (so no file is a duplicate of anna's)."""
    study = tmp_path / "study"
    write(study / "anna" / "oura_trends.csv", oura_trends(25200, 48, 70))
    write(study / "anna" / "physiological_cycles.csv", whoop_cycles(390, 52, 60))
    write(study / "bob" / "oura_trends.csv", oura_trends(27000, 55, 80))
    write(study / "bob" / "physiological_cycles.csv", whoop_cycles(480, 57, 75))
    write(study / "athletes.csv", athletes_csv)
    return study, str(tmp_path / "w.duckdb")


ANNA_OURA = ("anna", NIGHTS, 48.0, 48.0, 70.0, 70.0, 7.0, 7.0, "device", "device_nightly",
             "device")  # fmt: skip
ANNA_WHOOP = ("anna", NIGHTS, 52.0, 52.0, 60.0, 60.0, 6.5, 6.5, "device", "device_nightly",
              "device")  # fmt: skip
BOB_OURA = ("bob", NIGHTS, 55.0, 55.0, 80.0, 80.0, 7.5, 7.5, "device", "device_nightly",
            "device")  # fmt: skip
BOB_WHOOP = ("bob", NIGHTS, 57.0, 57.0, 75.0, 75.0, 8.0, 8.0, "device", "device_nightly",
             "device")  # fmt: skip


def test_priority_picks_the_source_and_the_view_shows_both(tmp_path, prefect_server):
    study, db = _study(tmp_path, "athlete_id,time_zone\nanna,Europe/Amsterdam\n"
                                 "bob,Europe/Amsterdam\n")  # fmt: skip
    ingest([str(study)], db)
    nightly(db)
    # no priority: the first vendor by name (oura < whoop), as before
    assert query(db, VALUES_SQL) == [ANNA_OURA, BOB_OURA]
    night = JUNE + timedelta(days=1)
    assert query(db, VIEW_SQL, [night])[:6] == [
        ("anna", "hrv_rmssd_ms", "oura", 70.0, True, None, "device_nightly"),
        ("anna", "hrv_rmssd_ms", "whoop", 60.0, False, None, "device_nightly"),
        ("anna", "resting_hr", "oura", 48.0, True, None, "device"),
        ("anna", "resting_hr", "whoop", 52.0, False, None, "device"),
        ("anna", "sleep_hours", "oura", 7.0, True, None, "device"),
        ("anna", "sleep_hours", "whoop", 6.5, False, None, "device"),
    ]
    # anna says WHOOP first: her whole history is recomputed from WHOOP; bob is unchanged
    write(study / "athletes.csv", "athlete_id,time_zone,source_priority\n"
          "anna,Europe/Amsterdam,whoop>oura\nbob,Europe/Amsterdam,\n")  # fmt: skip
    ingest([str(study)], db)
    assert query(db, "SELECT athlete_id, source_priority FROM athletes ORDER BY 1") == [
        ("anna", "whoop>oura"), ("bob", None)]  # fmt: skip
    assert nightly(db).athletes == ["anna"]
    assert query(db, VALUES_SQL) == [ANNA_WHOOP, BOB_OURA]
    assert query(db, VIEW_SQL, [night])[:6] == [
        ("anna", "hrv_rmssd_ms", "oura", 70.0, False, 2, "device_nightly"),
        ("anna", "hrv_rmssd_ms", "whoop", 60.0, True, 1, "device_nightly"),
        ("anna", "resting_hr", "oura", 48.0, False, 2, "device"),
        ("anna", "resting_hr", "whoop", 52.0, True, 1, "device"),
        ("anna", "sleep_hours", "oura", 7.0, False, 2, "device"),
        ("anna", "sleep_hours", "whoop", 6.5, True, 1, "device"),
    ]
    # every candidate of every night is listed, exactly one chosen per athlete-night-metric
    assert query(db, "SELECT count(*), count(*) FILTER (chosen) FROM v_night_sources") == [
        (2 * 2 * 3 * NIGHTS, 2 * 3 * NIGHTS)]  # fmt: skip


def test_the_study_default_applies_to_athletes_without_their_own(tmp_path, prefect_server):
    """The `*` row: bob (no value of his own) and cleo (a folder, no row) take it; anna's own
    wins."""
    study, db = _study(tmp_path, "athlete_id,time_zone,source_priority\n*,,whoop\n"
                                 "anna,Europe/Amsterdam,oura>whoop\nbob,Europe/Amsterdam,\n")
    write(study / "cleo" / "oura_trends.csv", oura_trends(21600, 50, 90))
    ingest([str(study)], db)
    assert query(db, "SELECT athlete_id, source_priority FROM athletes ORDER BY 1") == [
        ("anna", "oura>whoop"), ("bob", "whoop"), ("cleo", "whoop")]  # fmt: skip
    nightly(db)
    assert query(db, VALUES_SQL)[:2] == [ANNA_OURA, BOB_WHOOP]


@pytest.mark.hostile
def test_an_unknown_vendor_is_that_athletes_problem(tmp_path, prefect_server):
    study, db = _study(tmp_path, "athlete_id,time_zone,source_priority\n"
                                 "anna,Europe/Amsterdam,ourra>whoop\nbob,Europe/Amsterdam,whoop\n")
    outcomes = ingest([str(study)], db)
    assert sorted(o.status for o in outcomes) == ["loaded"] * 4
    assert query(db, PROBLEMS_SQL) == [
        ("anna", "athletes_file",
         "athletes.csv: source_priority: unknown vendor 'ourra'; did you mean 'oura'?")]
    summary = nightly(db)
    assert (summary.athletes, summary.skipped) == (["bob"], {"anna": summary.skipped["anna"]})
    assert query(db, VALUES_SQL) == [BOB_WHOOP]
    # corrected: the problem goes and anna is computed with her priority
    write(study / "athletes.csv", "athlete_id,time_zone,source_priority\n"
          "anna,Europe/Amsterdam,oura>whoop\nbob,Europe/Amsterdam,whoop\n")  # fmt: skip
    ingest([str(study)], db)
    assert query(db, PROBLEMS_SQL) == []
    nightly(db)
    assert query(db, VALUES_SQL) == [ANNA_OURA, BOB_WHOOP]


@pytest.mark.parametrize(
    ("text", "stored", "problem"),
    [
        ("oura>garmin>fitbit", "oura>garmin>fitbit", None),
        (" Oura > WHOOP ", "oura>whoop", None),
        ("wahoo_fitness", "wahoo_fitness", None),  # a FIT manufacturer name
        ("", None, None),
        (None, None, None),
        ("oura>>garmin", None, "source_priority 'oura>>garmin' has an empty entry "
                               "(write e.g. 'oura>garmin')"),
        ("oura>garmin>oura", None, "source_priority names 'oura' twice"),
        ("garmn", None, "source_priority: unknown vendor 'garmn'; did you mean 'garmin'?"),
        ("oura, garmin", None, "source_priority 'oura, garmin' separates vendors with ',';"
                               " write 'oura>garmin'"),
        ("ourring", None, "source_priority: unknown vendor 'ourring' (see docs/study-import.md)"),
    ],
)  # fmt: skip
def test_priority_text(text, stored, problem):
    assert parse_priority(text, known_vendors()) == (stored, problem)


@pytest.mark.hostile
def test_a_bad_study_default_is_the_problem_of_those_who_take_it():
    """check_athletes alone: the `*` row is no athlete; a bad default refuses the rows that
    would take it (bob), not the row with its own priority (anna)."""
    rows = pl.DataFrame({
        "athlete_id": ["*", "anna", "bob"], "time_zone": [None, "UTC", "UTC"],
        "birth_year": [None] * 3, "sex": [None] * 3, "hr_max": [None] * 3,
        "source_priority": ["whop", "oura", None],
    }, schema_overrides={"birth_year": pl.String, "sex": pl.String, "hr_max": pl.String})
    accepted, refused = check_athletes(rows, None, known_vendors())
    assert [(r["athlete_id"], r["source_priority"]) for r in accepted] == [("anna", "oura")]
    assert refused == {
        "bob": "study default (* row) source_priority: unknown vendor 'whop'; "
               "did you mean 'whoop'?"}  # fmt: skip
    good = rows.with_columns(source_priority=pl.Series(["whoop", "oura", None]))
    accepted, refused = check_athletes(good, None, known_vendors())
    assert [(r["athlete_id"], r["source_priority"]) for r in accepted] == [
        ("anna", "oura"), ("bob", "whoop")]  # fmt: skip
    assert refused == {}


def fitbit_sleep() -> str:
    # Fitbit Takeout sleep-2026-06-01.json: local wall times (zone UTC here), levels.data runs
    data = [
        {"dateTime": "2026-05-31T23:00:00.000", "level": "light", "seconds": 4 * 3600},
        {"dateTime": "2026-06-01T03:00:00.000", "level": "wake", "seconds": 1800},
        {"dateTime": "2026-06-01T03:30:00.000", "level": "rem", "seconds": 3 * 3600},
    ]
    log = {"logId": 1, "dateOfSleep": "2026-06-01", "startTime": "2026-05-31T23:00:00.000",
           "endTime": "2026-06-01T06:30:00.000", "minutesAsleep": 420, "minutesAwake": 30,
           "type": "stages", "mainSleep": True,
           "levels": {"summary": {"light": {"minutes": 240}, "rem": {"minutes": 180},
                                  "deep": {"minutes": 0}, "wake": {"minutes": 30}},
                      "data": data, "shortData": []}}  # fmt: skip
    return json.dumps([log])


def samsung_stages() -> str:
    # Samsung Health com.samsung.health.sleep_stage.<ts>.csv: metadata line, then the header
    return (
        "com.samsung.health.sleep_stage,6315003,6\n"
        "create_sh_ver,start_time,sleep_id,stage,time_offset,end_time,datauuid\n"
        "6315003,2026-05-31 22:30:00.000,s1,40002,UTC+0000,2026-06-01 06:00:00.000,u1\n"
    )


SLEEP_SQL = (
    "SELECT athlete_id, sleep_hours, sleep_method, strftime(sleep_start, '%H:%M'), "
    "strftime(sleep_end, '%H:%M'), (SELECT vendor FROM files f WHERE f.file_id = n.sleep_file_id)"
    " FROM nightly_metrics n WHERE night = DATE '2026-06-01' ORDER BY 1"
)


def test_overlapping_sleep_of_two_apps_follows_the_priority(tmp_path, prefect_server):
    """A Fitbit (7.0 h asleep, 23:00-06:30 with a 30-minute wake) and a Samsung watch (7.5 h,
    22:30-06:00) record the same night: united 8.0 h without a priority, one app's with."""
    study = tmp_path / "study"
    for i, who in enumerate(("anna", "bob", "cleo"), start=1):
        # distinct trailing blanks per athlete, so no file is a duplicate of another's
        write(study / who / "sleep-2026-06-01.json", fitbit_sleep() + " " * i)
        write(study / who / "com.samsung.health.sleep_stage.20260601.csv",
              samsung_stages() + "\n" * i)
    write(study / "athletes.csv", "athlete_id,time_zone,source_priority\nanna,UTC,\n"
          "bob,UTC,fitbit>samsung\ncleo,UTC,samsung\n")  # fmt: skip
    db = str(tmp_path / "w.duckdb")
    assert sorted(o.status for o in ingest([str(study)], db)) == ["loaded"] * 6
    nightly(db)
    assert query(db, SLEEP_SQL) == [
        ("anna", 8.0, "stages", "22:30", "06:30", "samsung"),
        ("bob", 7.0, "stages", "23:00", "06:30", "fitbit"),
        ("cleo", 7.5, "stages", "22:30", "06:00", "samsung"),
    ]
