"""A realistic Gadgetbridge export written from the shared nightly plan
(`sample_data.export_plan`), with the values each night must produce.

    python -m sample_data.vendors.gadgetbridge OUT_DIR [--start 2025-10-20] [--nights 10]
                                                       [--zone Europe/Amsterdam]

writes `OUT_DIR/Gadgetbridge.zip` in the layout of Gadgetbridge's "Export zip":
`database/Gadgetbridge` (SQLite, the tables herstel reads with greenDAO's column names, plus
a few it does not) and one raw Garmin FIT file under `files/`. Times follow the schema:
activity samples in epoch SECONDS, every other sample table in epoch MILLISECONDS.

The athlete changed devices during the plan (docs/sources/gadgetbridge.md):

* the first 30 % of the nights: a Mi Band 3 (`MIBAND3`), sleep only in the RAW_KIND of its
  minute samples (9 light, 11 deep, 12 awake; REM is written as light, which the band does
  not tell apart), HR in the same rows;
* the next 50 %: a Garmin watch: minute HR in GARMIN_ACTIVITY_SAMPLE, sleep levels in
  GARMIN_SLEEP_STAGE_SAMPLE (one row per minute stamping the END of that minute) between the
  sleep start/stop events of GARMIN_EVENT_SAMPLE, 5-minute HRV, the nightly HRV summary and
  the daily resting HR; one evening run as a raw FIT file under `files/`;
* the rest: a Xiaomi band (`MIBAND8`): minute HR in XIAOMI_ACTIVITY_SAMPLE, the night in
  XIAOMI_SLEEP_TIME_SAMPLE and stage rows stamping the START of each stage;
* all along, an Amazfit GTR 2 (`AMAZFITGTR2`, not mapped) worn at lunch: 30 minute samples a
  day in HUAMI_EXTENDED_ACTIVITY_SAMPLE, whose RAW_KIND is counted as unmapped.

Minutes without a reading carry the bands' codes (255, 0, -1): never heart rate. The plan
spans the autumn clock change (26 October 2025 in Amsterdam) with the default start.

The vendor study's `gadgetbridge` profile (`gadgetbridge`, called by
`sample_data.vendors.study`) writes the same layout from a study athlete's plan: the bands
take turns by night (Garmin, Xiaomi, Mi Band 3), HR every 5 minutes in bed (the plan's
series), the Amazfit at lunch, the athlete's workouts as FIT files under `files/`.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer
from sample_data.vendors.common import (
    MINUTE,
    Expect,
    Member,
    Night,
    Out,
    StudyAthlete,
    hrv_series,
    sleep_hr_series,
    zip_bytes,
)

#: What herstel records for the database (`files.format`).
FORMAT = "gadgetbridge_db"
#: DEVICE rows: (_id, NAME, MANUFACTURER, IDENTIFIER, TYPE, TYPE_NAME)
DEVICES = (
    (1, "Mi Band 3", "Huami", "E1:00:00:00:00:01", 14, "MIBAND3"),
    (2, "Forerunner 255", "Garmin", "E1:00:00:00:00:02", 0, "GARMIN_FORERUNNER_255"),
    (3, "Xiaomi Smart Band 8", "Xiaomi", "E1:00:00:00:00:03", 0, "MIBAND8"),
    (4, "Amazfit GTR 2", "Huami", "E1:00:00:00:00:04", 0, "AMAZFITGTR2"),
)
MIBAND, GARMIN, XIAOMI, AMAZFIT = 1, 2, 3, 4
USER_ID = 1
#: Mi Band 2/3 RAW_KIND of each planned stage; XIAOMI and Garmin (FIT sleep level) codes.
MIBAND_KIND = {"light": 9, "deep": 11, "rem": 9, "awake": 12}
MIBAND_ACTIVITY_KIND = 1
GARMIN_STAGE = {"awake": 1, "light": 2, "deep": 3, "rem": 4}
XIAOMI_STAGE = {"deep": 2, "light": 3, "rem": 4, "awake": 5}
#: The band's last stage row of a night, at the wake-up: "not sleep" (it lasts no time).
XIAOMI_NOT_SLEEP = 0
GARMIN_SLEEP_EVENT = 74
#: Minutes before bed / after wake-up written as samples without a reading (per device).
NO_READING = {MIBAND: 255, GARMIN: 0, XIAOMI: -1}
EDGE_MIN = 15
LUNCH_MIN = 30
LUNCH_HR_BPM = 72
RUN_MIN = 40
#: Where Gadgetbridge keeps a Garmin watch's raw files inside the export.
FIT_DIR = "files/E1_00_00_00_00_02/ACTIVITY"

SCHEMA = """
CREATE TABLE "DEVICE" ("_id" INTEGER PRIMARY KEY, "NAME" TEXT NOT NULL,
  "MANUFACTURER" TEXT NOT NULL, "IDENTIFIER" TEXT NOT NULL UNIQUE, "TYPE" INTEGER NOT NULL,
  "TYPE_NAME" TEXT NOT NULL, "MODEL" TEXT, "ALIAS" TEXT, "PARENT_FOLDER" TEXT);
CREATE TABLE "DEVICE_ATTRIBUTES" ("_id" INTEGER PRIMARY KEY, "FIRMWARE_VERSION1" TEXT NOT NULL,
  "FIRMWARE_VERSION2" TEXT, "VALID_FROM_UTC" INTEGER, "VALID_TO_UTC" INTEGER,
  "DEVICE_ID" INTEGER NOT NULL, "VOLATILE_IDENTIFIER" TEXT);
CREATE TABLE "USER" ("_id" INTEGER PRIMARY KEY, "NAME" TEXT NOT NULL,
  "BIRTHDAY" INTEGER NOT NULL, "GENDER" INTEGER NOT NULL);
CREATE TABLE "USER_ATTRIBUTES" ("_id" INTEGER PRIMARY KEY, "HEIGHT_CM" INTEGER NOT NULL,
  "WEIGHT_KG" INTEGER NOT NULL, "SLEEP_GOAL_HPD" INTEGER, "STEPS_GOAL_SPD" INTEGER,
  "VALID_FROM_UTC" INTEGER, "VALID_TO_UTC" INTEGER, "USER_ID" INTEGER NOT NULL);
CREATE TABLE "ACTIVITY_DESCRIPTION" ("_id" INTEGER PRIMARY KEY,
  "TIMESTAMP_FROM" INTEGER NOT NULL, "TIMESTAMP_TO" INTEGER NOT NULL, "DETAILS" TEXT,
  "USER_ID" INTEGER NOT NULL);
CREATE TABLE "BATTERY_LEVEL" ("TIMESTAMP" INTEGER NOT NULL, "DEVICE_ID" INTEGER NOT NULL,
  "LEVEL" INTEGER NOT NULL, "BATTERY_INDEX" INTEGER NOT NULL,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID", "BATTERY_INDEX"));
CREATE TABLE "MI_BAND_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "RAW_INTENSITY" INTEGER NOT NULL,
  "STEPS" INTEGER NOT NULL, "RAW_KIND" INTEGER NOT NULL, "HEART_RATE" INTEGER NOT NULL,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "HUAMI_EXTENDED_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "RAW_INTENSITY" INTEGER NOT NULL,
  "STEPS" INTEGER NOT NULL, "RAW_KIND" INTEGER NOT NULL, "HEART_RATE" INTEGER NOT NULL,
  "UNKNOWN1" INTEGER, "SLEEP" INTEGER, "DEEP_SLEEP" INTEGER, "REM_SLEEP" INTEGER,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "XIAOMI_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "RAW_INTENSITY" INTEGER NOT NULL,
  "STEPS" INTEGER NOT NULL, "RAW_KIND" INTEGER NOT NULL, "HEART_RATE" INTEGER NOT NULL,
  "STRESS" INTEGER, "SPO2" INTEGER, PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "XIAOMI_SLEEP_TIME_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "WAKEUP_TIME" INTEGER,
  "IS_AWAKE" INTEGER, "TOTAL_DURATION" INTEGER, "DEEP_SLEEP_DURATION" INTEGER,
  "LIGHT_SLEEP_DURATION" INTEGER, "REM_SLEEP_DURATION" INTEGER, "AWAKE_DURATION" INTEGER,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "XIAOMI_SLEEP_STAGE_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "STAGE" INTEGER,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "GARMIN_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "RAW_INTENSITY" INTEGER NOT NULL,
  "STEPS" INTEGER NOT NULL, "RAW_KIND" INTEGER NOT NULL, "HEART_RATE" INTEGER NOT NULL,
  "DISTANCE_CM" INTEGER NOT NULL, "ACTIVE_CALORIES" INTEGER NOT NULL,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "GARMIN_SLEEP_STAGE_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "STAGE" INTEGER NOT NULL,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "GARMIN_EVENT_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "EVENT" INTEGER NOT NULL,
  "EVENT_TYPE" INTEGER, "DATA" INTEGER, PRIMARY KEY ("TIMESTAMP", "DEVICE_ID", "EVENT"));
CREATE TABLE "GARMIN_HRV_SUMMARY_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "WEEKLY_AVERAGE" INTEGER,
  "LAST_NIGHT_AVERAGE" INTEGER, "LAST_NIGHT5_MIN_HIGH" INTEGER, "BASELINE_LOW_UPPER" INTEGER,
  "BASELINE_BALANCED_LOWER" INTEGER, "BASELINE_BALANCED_UPPER" INTEGER, "STATUS_NUM" INTEGER,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "GARMIN_HRV_VALUE_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "VALUE" INTEGER NOT NULL,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "GARMIN_HEART_RATE_RESTING_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "HEART_RATE" INTEGER NOT NULL,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
CREATE TABLE "GARMIN_STRESS_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
  "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "STRESS" INTEGER NOT NULL,
  PRIMARY KEY ("TIMESTAMP", "DEVICE_ID"));
"""


def device_for(i: int, nights: int) -> int:
    """Which band the athlete wore on night `i` (switching devices as people do)."""
    if i < nights * 3 // 10:
        return MIBAND
    return GARMIN if i < nights * 8 // 10 else XIAOMI


def _s(moment: datetime) -> int:
    return int(moment.timestamp())


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _minutes(p: PlannedNight) -> list[tuple[datetime, int, str]]:
    """(UTC minute start, bpm, planned stage) from bed to wake-up."""
    stages = [(a.astimezone(UTC), b.astimezone(UTC), stage) for stage, a, b in p.stages()]
    return [(t, bpm, next(s for a, b, s in stages if a <= t < b)) for t, bpm in p.hr_in_bed()]


def _activity(con: sqlite3.Connection, table: str, device: int, rows: list[tuple]) -> None:
    """(minute start, RAW_KIND, HEART_RATE) rows of an activity-sample table (seconds)."""
    cols, values = "", ""
    if table == "GARMIN_ACTIVITY_SAMPLE":  # NOT NULL columns of the Garmin table
        cols, values = ', "DISTANCE_CM", "ACTIVE_CALORIES"', ", 0, 0"
    con.executemany(
        f'INSERT INTO "{table}" ("TIMESTAMP", "DEVICE_ID", "USER_ID", "RAW_INTENSITY", '
        f'"STEPS", "RAW_KIND", "HEART_RATE"{cols}) VALUES (?, ?, ?, 10, 0, ?, ?{values})',
        [(_s(t), device, USER_ID, kind, bpm) for t, kind, bpm in rows])


def _edges(p: PlannedNight, device: int, kind: int) -> list[tuple[datetime, int, int]]:
    """Minutes just before bed and after wake-up without a heart-rate reading."""
    bed, wake = p.bed.astimezone(UTC), p.wake.astimezone(UTC)
    before = [bed - timedelta(minutes=m) for m in range(EDGE_MIN, 0, -1)]
    after = [wake + timedelta(minutes=m) for m in range(EDGE_MIN)]
    return [(t, kind, NO_READING[device]) for t in before + after]


def _miband_night(con: sqlite3.Connection, p: PlannedNight) -> None:
    rows = [(t, MIBAND_KIND[stage], bpm) for t, bpm, stage in _minutes(p)]
    rows += _edges(p, MIBAND, MIBAND_ACTIVITY_KIND)
    _activity(con, "MI_BAND_ACTIVITY_SAMPLE", MIBAND, sorted(rows))


def _garmin_night(con: sqlite3.Connection, p: PlannedNight) -> None:
    minutes = _minutes(p)
    _activity(con, "GARMIN_ACTIVITY_SAMPLE", GARMIN,
              sorted([(t, 0, bpm) for t, bpm, _ in minutes] + _edges(p, GARMIN, 0)))
    # a sleep level row stamps the END of its minute (Gadgetbridge reads them as upper bounds)
    con.executemany('INSERT INTO "GARMIN_SLEEP_STAGE_SAMPLE" VALUES (?, ?, ?, ?)',
                    [(_ms(t + timedelta(minutes=1)), GARMIN, USER_ID, GARMIN_STAGE[stage])
                     for t, _, stage in minutes])
    con.executemany('INSERT INTO "GARMIN_EVENT_SAMPLE" VALUES (?, ?, ?, ?, ?, NULL)',
                    [(_ms(p.bed), GARMIN, USER_ID, GARMIN_SLEEP_EVENT, 0),
                     (_ms(p.wake), GARMIN, USER_ID, GARMIN_SLEEP_EVENT, 1)])
    bed_ms, wake_ms = _ms(p.bed), _ms(p.wake)
    hrv = [(ms, GARMIN, USER_ID, int(p.hrv_ms) + (3 if k % 2 else -3))
           for k, ms in enumerate(range(bed_ms + 300_000, wake_ms, 300_000))]
    if len(hrv) % 2:
        hrv.pop()  # an even count: the mean is exactly the planned value
    con.executemany('INSERT INTO "GARMIN_HRV_VALUE_SAMPLE" VALUES (?, ?, ?, ?)', hrv)
    morning = _ms(datetime.combine(p.night, time(9), p.bed.tzinfo))
    con.execute('INSERT INTO "GARMIN_HRV_SUMMARY_SAMPLE" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (morning, GARMIN, USER_ID, int(p.hrv_ms), int(p.hrv_ms), int(p.hrv_ms) + 15,
                 30, 35, 55, 1))
    con.execute('INSERT INTO "GARMIN_HEART_RATE_RESTING_SAMPLE" VALUES (?, ?, ?, ?)',
                (morning, GARMIN, USER_ID, p.device_resting_hr_bpm))
    con.execute('INSERT INTO "GARMIN_STRESS_SAMPLE" VALUES (?, ?, ?, ?)',
                (morning, GARMIN, USER_ID, 25))


def _xiaomi_night(con: sqlite3.Connection, p: PlannedNight) -> None:
    minutes = _minutes(p)
    _activity(con, "XIAOMI_ACTIVITY_SAMPLE", XIAOMI,
              sorted([(t, 0, bpm) for t, bpm, _ in minutes] + _edges(p, XIAOMI, 0)))
    stages = p.stages()
    total = {s: sum(int((b - a).total_seconds()) // 60 for st, a, b in stages if st == s)
             for s in XIAOMI_STAGE}
    con.execute('INSERT INTO "XIAOMI_SLEEP_TIME_SAMPLE" VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)',
                (_ms(p.bed), XIAOMI, USER_ID, _ms(p.wake), sum(total.values()), total["deep"],
                 total["light"], total["rem"], total["awake"]))
    # each stage row stamps the START of its stage; the last lasts until WAKEUP_TIME
    con.executemany('INSERT INTO "XIAOMI_SLEEP_STAGE_SAMPLE" VALUES (?, ?, ?, ?)',
                    [(_ms(a), XIAOMI, USER_ID, XIAOMI_STAGE[stage]) for stage, a, _ in stages]
                    + [(_ms(p.wake), XIAOMI, USER_ID, XIAOMI_NOT_SLEEP)])


def _lunch(con: sqlite3.Connection, p: PlannedNight) -> None:
    """The Amazfit worn at lunch: HR with RAW_KIND codes herstel does not map."""
    noon = datetime.combine(p.night, time(12), p.bed.tzinfo).astimezone(UTC)
    rows = [(noon + timedelta(minutes=m), 1, LUNCH_HR_BPM) for m in range(LUNCH_MIN)]
    con.executemany(
        'INSERT INTO "HUAMI_EXTENDED_ACTIVITY_SAMPLE" ("TIMESTAMP", "DEVICE_ID", "USER_ID", '
        '"RAW_INTENSITY", "STEPS", "RAW_KIND", "HEART_RATE") VALUES (?, ?, ?, 20, 15, ?, ?)',
        [(_s(t), AMAZFIT, USER_ID, kind, bpm) for t, kind, bpm in rows])


NIGHT_WRITERS = {MIBAND: _miband_night, GARMIN: _garmin_night, XIAOMI: _xiaomi_night}


def database(nights: list[PlannedNight]) -> bytes:
    """The bytes of the Gadgetbridge SQLite database of `nights`."""
    con = sqlite3.connect(":memory:")
    con.executescript(SCHEMA)
    con.executemany('INSERT INTO "DEVICE" ("_id", "NAME", "MANUFACTURER", "IDENTIFIER", '
                    '"TYPE", "TYPE_NAME") VALUES (?, ?, ?, ?, ?, ?)', DEVICES)
    con.execute('INSERT INTO "USER" VALUES (1, \'Sample User\', 0, 2)')
    for i, p in enumerate(nights):
        NIGHT_WRITERS[device_for(i, len(nights))](con, p)
        _lunch(con, p)
    con.commit()
    data = con.serialize()
    con.close()
    return data


def run_night(nights: list[PlannedNight]) -> PlannedNight:
    """The night whose evening (18:30 local on its wake-up date) has the Garmin run."""
    garmin = [p for i, p in enumerate(nights) if device_for(i, len(nights)) == GARMIN]
    return garmin[0] if garmin else nights[0]


def run_fit(p: PlannedNight) -> tuple[str, bytes]:
    """(member name, bytes) of the raw FIT file of the evening run."""
    from sample_data.fit_files import activity_fit
    from sample_data.generate import plans_for
    from sample_data.plan import ActivityPlan

    local = datetime.combine(p.night, time(18, 30))
    start = _s(local.replace(tzinfo=p.bed.tzinfo))
    athlete = plans_for(1, 1, 1, date(p.night.year, p.night.month, p.night.day))[0]
    act = ActivityPlan(start, RUN_MIN * 60, "running", "generic", "easy", local)
    data = activity_fit(athlete, act, 1, random.Random(7))
    return f"{FIT_DIR}/{local:%Y-%m-%dT%H-%M-%S}.fit", data


def write_export(out_dir: Path, nights: list[PlannedNight]) -> Path:
    """`out_dir/Gadgetbridge.zip`: `database/Gadgetbridge` and a FIT file under `files/`
    (fixed zip timestamps: the same nights give the same bytes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name, data = run_fit(run_night(nights))
    target = out_dir / "Gadgetbridge.zip"
    target.write_bytes(zip_bytes([Member("database/Gadgetbridge", database(nights)),
                                  Member(name, data)]))
    return target


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()


# --------------------------------------------------------------------------- vendor study


#: The study athlete's bands, by night index: Garmin, Xiaomi, Mi Band 3 in turn.
STUDY_DEVICES = (GARMIN, XIAOMI, MIBAND)


def gadgetbridge(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """The vendor study's Gadgetbridge athlete: `Gadgetbridge.zip` with the database (three
    bands taking turns by night, the Amazfit at lunch) and the workouts as raw FIT files."""
    from sample_data.vendors.garmin_connect import fit_activity_files

    con = sqlite3.connect(":memory:")
    con.executescript(SCHEMA)
    con.executemany('INSERT INTO "DEVICE" ("_id", "NAME", "MANUFACTURER", "IDENTIFIER", '
                    '"TYPE", "TYPE_NAME") VALUES (?, ?, ?, ?, ?, ?)', DEVICES)
    for n in a.nights:
        device = STUDY_DEVICES[n.index % len(STUDY_DEVICES)]
        _study_night(con, n, device, dict(sleep_hr_series(n, rng)))
        ex.add(n.night, "stages", n.sleep_hours, FORMAT)
        ex.add(n.night, "sleep_hr_30min", n.resting_hr, FORMAT)
        if device == GARMIN:
            ex.add(n.night, "device_5min", n.hrv_ms, FORMAT)
            ex.add(n.night, "dev_resting_hr", n.resting_hr, FORMAT)
            ex.add(n.night, "dev_hrv_rmssd_ms", n.hrv_ms, FORMAT)
    for i in range(a.days):
        noon = datetime.combine(a.start + timedelta(days=i), time(12), a.tz)
        _study_lunch(con, int(noon.timestamp()))
    members = [Member("database/Gadgetbridge", con.serialize(), FORMAT)]
    con.close()
    members += [Member(f"{FIT_DIR}/{name.rsplit('/', 1)[-1]}", data, "fit")
                for name, data in fit_activity_files(a)]
    out.zip(a, "Gadgetbridge.zip", members)


def _study_night(con: sqlite3.Connection, n: Night, device: int, hr: dict[int, int]) -> None:
    """One planned night of the study on `device`: minute samples from bed to out of bed
    (HR every 5 minutes, "no reading" in between), and the device's sleep tables."""
    minutes = range(n.bedtime, n.out_of_bed, MINUTE)
    none = NO_READING[device]
    table = {MIBAND: "MI_BAND_ACTIVITY_SAMPLE", GARMIN: "GARMIN_ACTIVITY_SAMPLE",
             XIAOMI: "XIAOMI_ACTIVITY_SAMPLE"}[device]
    kind = (lambda t: MIBAND_KIND[n.stage_at(t)]) if device == MIBAND else (lambda t: 0)
    _activity(con, table, device, [(datetime.fromtimestamp(t, UTC), kind(t), hr.get(t, none))
                                   for t in minutes])
    if device == GARMIN:
        _study_garmin(con, n)
    elif device == XIAOMI:
        secs = {s: n.seconds(s) // MINUTE for s in XIAOMI_STAGE}
        con.execute('INSERT INTO "XIAOMI_SLEEP_TIME_SAMPLE" VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)',
                    (n.bedtime * 1000, XIAOMI, USER_ID, n.out_of_bed * 1000, sum(secs.values()),
                     secs["deep"], secs["light"], secs["rem"], secs["awake"]))
        con.executemany('INSERT INTO "XIAOMI_SLEEP_STAGE_SAMPLE" VALUES (?, ?, ?, ?)',
                        [(s * 1000, XIAOMI, USER_ID, XIAOMI_STAGE[st]) for st, s, _ in n.runs]
                        + [(n.out_of_bed * 1000, XIAOMI, USER_ID, XIAOMI_NOT_SLEEP)])


def _study_garmin(con: sqlite3.Connection, n: Night) -> None:
    con.executemany('INSERT INTO "GARMIN_SLEEP_STAGE_SAMPLE" VALUES (?, ?, ?, ?)',
                    [((t + MINUTE) * 1000, GARMIN, USER_ID, GARMIN_STAGE[n.stage_at(t)])
                     for t in range(n.bedtime, n.out_of_bed, MINUTE)])
    con.executemany('INSERT INTO "GARMIN_EVENT_SAMPLE" VALUES (?, ?, ?, ?, ?, NULL)',
                    [(n.bedtime * 1000, GARMIN, USER_ID, GARMIN_SLEEP_EVENT, 0),
                     (n.out_of_bed * 1000, GARMIN, USER_ID, GARMIN_SLEEP_EVENT, 1)])
    con.executemany('INSERT INTO "GARMIN_HRV_VALUE_SAMPLE" VALUES (?, ?, ?, ?)',
                    [(t * 1000, GARMIN, USER_ID, int(v)) for t, v in hrv_series(n)
                     if v is not None])
    morning = (n.out_of_bed + 3600) * 1000
    con.execute('INSERT INTO "GARMIN_HRV_SUMMARY_SAMPLE" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (morning, GARMIN, USER_ID, n.hrv_ms, n.hrv_ms, n.hrv_ms + 15, 30, 35, 55, 1))
    con.execute('INSERT INTO "GARMIN_HEART_RATE_RESTING_SAMPLE" VALUES (?, ?, ?, ?)',
                (morning, GARMIN, USER_ID, n.resting_hr))


def _study_lunch(con: sqlite3.Connection, noon: int) -> None:
    con.executemany(
        'INSERT INTO "HUAMI_EXTENDED_ACTIVITY_SAMPLE" ("TIMESTAMP", "DEVICE_ID", "USER_ID", '
        '"RAW_INTENSITY", "STEPS", "RAW_KIND", "HEART_RATE") VALUES (?, ?, ?, 20, 15, 1, ?)',
        [(noon + m * MINUTE, AMAZFIT, USER_ID, LUNCH_HR_BPM) for m in range(LUNCH_MIN)])
