"""A realistic Android Health Connect export written from a small plan, with the values each
night must produce.

    python -m sample_data.vendors.health_connect OUT_DIR [--start 2025-10-20] [--nights 10]
                                                         [--zone Europe/Amsterdam]

writes `OUT_DIR/health_connect_export.zip` (one SQLite file, `health_connect_export.db`, in
the layout Health Connect's export uses: epoch-millisecond instants, zone offsets in seconds,
records of several apps) and returns the expected nightly values.

What the plan puts in, per night ending on local date D (see docs/sources/health_connect.md):

* a watch app (`com.sec.android.app.shealth`) writes the main sleep with stages: light, deep,
  a 20-minute awake spell, REM; bedtime moves by night;
* the phone's own sleep detection (`com.google.android.apps.fitness`) writes an unstaged
  session overlapping it, 10 minutes wider on each side: it must not count twice;
* every third day an afternoon nap (unstaged, 30 min) that must never become the night;
* heart rate once a minute in bed, 58 bpm except a 40-minute spell at the night's resting HR;
  daytime samples at 80 bpm; the watch's own daily resting HR (a device value, lower rank);
* RMSSD every 5 minutes in bed, alternating two values whose mean is the night's HRV;
* a 45-minute run (exercise type 56) every other evening.

The plan spans the autumn clock change when `start` is a few days before it (the default):
local times are turned into instants with the zone's rules, so the night to 26 October 2025
in Amsterdam is an hour longer in absolute time than its wall clock says.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer

WATCH_APP = "com.sec.android.app.shealth"
PHONE_APP = "com.google.android.apps.fitness"
#: Health Connect `SleepSessionRecord.STAGE_TYPE_*` codes of the plan's stages.
STAGE_CODES = {"light": 4, "deep": 5, "rem": 6, "awake": 1}
DAY_HR_BPM = 80
RUN_TYPE = 56

SCHEMA = """
CREATE TABLE application_info_table (row_id INTEGER PRIMARY KEY AUTOINCREMENT,
  package_name TEXT NOT NULL UNIQUE, app_name TEXT, app_icon BLOB, record_types_used TEXT);
CREATE TABLE heart_rate_record_table (row_id INTEGER PRIMARY KEY AUTOINCREMENT, uuid BLOB,
  app_info_id INTEGER, start_time INTEGER, end_time INTEGER, start_zone_offset INTEGER,
  end_zone_offset INTEGER, local_date INTEGER, last_modified_time INTEGER);
CREATE TABLE heart_rate_record_series_table (parent_key INTEGER NOT NULL,
  epoch_millis INTEGER, beats_per_minute INTEGER);
CREATE TABLE resting_heart_rate_record_table (row_id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid BLOB, app_info_id INTEGER, time INTEGER, zone_offset INTEGER, local_date INTEGER,
  beats_per_minute INTEGER);
CREATE TABLE heart_rate_variability_rmssd_record_table (row_id INTEGER PRIMARY KEY
  AUTOINCREMENT, uuid BLOB, app_info_id INTEGER, time INTEGER, zone_offset INTEGER,
  local_date INTEGER, heart_rate_variability_millis REAL);
CREATE TABLE sleep_session_record_table (row_id INTEGER PRIMARY KEY AUTOINCREMENT, uuid BLOB,
  app_info_id INTEGER, start_time INTEGER, end_time INTEGER, start_zone_offset INTEGER,
  end_zone_offset INTEGER, local_date INTEGER, title TEXT, notes TEXT);
CREATE TABLE sleep_stages_table (parent_key INTEGER NOT NULL, stage_start_time INTEGER,
  stage_end_time INTEGER, stage_type INTEGER);
CREATE TABLE exercise_session_record_table (row_id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid BLOB, app_info_id INTEGER, start_time INTEGER, end_time INTEGER,
  start_zone_offset INTEGER, end_zone_offset INTEGER, local_date INTEGER, exercise_type INTEGER,
  title TEXT, notes TEXT, has_route INTEGER);
CREATE TABLE steps_record_table (row_id INTEGER PRIMARY KEY AUTOINCREMENT, uuid BLOB,
  app_info_id INTEGER, start_time INTEGER, end_time INTEGER, start_zone_offset INTEGER,
  end_zone_offset INTEGER, local_date INTEGER, count INTEGER);
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _offset_s(moment: datetime) -> int:
    return int(moment.utcoffset().total_seconds())


def _session(con: sqlite3.Connection, app: int, start: datetime, end: datetime) -> int:
    cur = con.execute(
        "INSERT INTO sleep_session_record_table (uuid, app_info_id, start_time, end_time, "
        "start_zone_offset, end_zone_offset) VALUES (randomblob(16), ?, ?, ?, ?, ?)",
        (app, _ms(start), _ms(end), _offset_s(start), _offset_s(end)))
    return int(cur.lastrowid)


def _write_night(con: sqlite3.Connection, apps: dict[str, int], p: PlannedNight, i: int) -> None:
    stages = [(STAGE_CODES[stage], a, b) for stage, a, b in p.stages()]
    wake = p.wake
    watch = _session(con, apps[WATCH_APP], p.bed, wake)
    con.executemany("INSERT INTO sleep_stages_table VALUES (?, ?, ?, ?)",
                    [(watch, _ms(a), _ms(b), code) for code, a, b in stages])
    _session(con, apps[PHONE_APP], p.bed - timedelta(minutes=10), wake + timedelta(minutes=10))
    if i % 3 == 0:
        nap = datetime.combine(p.night, time(14, 0), p.bed.tzinfo)
        _session(con, apps[PHONE_APP], nap, nap + timedelta(minutes=30))

    hr_parent = con.execute(
        "INSERT INTO heart_rate_record_table (uuid, app_info_id, start_time, end_time) "
        "VALUES (randomblob(16), ?, ?, ?)", (apps[WATCH_APP], _ms(p.bed), _ms(wake))).lastrowid
    bed_ms, wake_ms = _ms(p.bed), _ms(wake)
    samples = [(hr_parent, _ms(t), bpm) for t, bpm in p.hr_in_bed()]
    for hour in (9, 12, 17):  # daytime: never inside the night
        ms = _ms(datetime.combine(p.night, time(hour), p.bed.tzinfo))
        samples.append((hr_parent, ms, DAY_HR_BPM))
    con.executemany("INSERT INTO heart_rate_record_series_table VALUES (?, ?, ?)", samples)

    hrv = [(apps[WATCH_APP], ms, _offset_s(p.bed), p.hrv_ms + (3.0 if k % 2 else -3.0))
           for k, ms in enumerate(range(bed_ms + 150_000, wake_ms - 300_000, 300_000))]
    if len(hrv) % 2:
        hrv.pop()  # an even count: the mean is exactly the planned value
    con.executemany(
        "INSERT INTO heart_rate_variability_rmssd_record_table (uuid, app_info_id, time, "
        "zone_offset, heart_rate_variability_millis) VALUES (randomblob(16), ?, ?, ?, ?)", hrv)
    morning = datetime.combine(p.night, time(9), p.bed.tzinfo)
    con.execute(
        "INSERT INTO resting_heart_rate_record_table (uuid, app_info_id, time, zone_offset, "
        "beats_per_minute) VALUES (randomblob(16), ?, ?, ?, ?)",
        (apps[WATCH_APP], _ms(morning), _offset_s(morning), p.device_resting_hr_bpm))
    if i % 2 == 0:
        run = datetime.combine(p.night, time(18, 30), p.bed.tzinfo)
        con.execute(
            "INSERT INTO exercise_session_record_table (uuid, app_info_id, start_time, end_time,"
            " start_zone_offset, end_zone_offset, exercise_type, title) "
            "VALUES (randomblob(16), ?, ?, ?, ?, ?, ?, 'Evening run')",
            (apps[WATCH_APP], _ms(run), _ms(run + timedelta(minutes=45)), _offset_s(run),
             _offset_s(run), RUN_TYPE))


def write_export(out_dir: Path, nights: list[PlannedNight]) -> Path:
    """`out_dir/health_connect_export.zip` holding the database of `nights`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "health_connect_export.db"
        con = sqlite3.connect(db_path)
        con.executescript(SCHEMA)
        apps = {}
        for package in (WATCH_APP, PHONE_APP):
            apps[package] = con.execute(
                "INSERT INTO application_info_table (package_name) VALUES (?)", (package,)
            ).lastrowid
        for i, p in enumerate(nights):
            _write_night(con, apps, p, i)
        con.commit()
        con.close()
        target = out_dir / "health_connect_export.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(db_path, "health_connect_export.db")
    return target


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
