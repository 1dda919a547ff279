"""Gadgetbridge export: the app's SQLite database (issue 15 point 4)."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import UTC, date, datetime

import polars as pl
import pytest

from parsers.base import ParseError
from parsers.registry import parse_file
from parsers.vendors import claimants, gadgetbridge
from sample_data.export_plan import plan
from sample_data.vendors.gadgetbridge import SCHEMA, write_export
from sample_data.vendors.health_connect import SCHEMA as HC_SCHEMA

T0 = int(datetime(2025, 3, 1, 22, 0, tzinfo=UTC).timestamp())  # seconds
MIN = 60
#: DEVICE rows: a Mi Band 3 (RAW_KIND mapped), a Garmin, a Xiaomi band, a Mi Band 1 (not mapped)
DEVICES = [(1, "MIBAND3"), (2, "GARMIN_FORERUNNER_255"), (3, "MIBAND8"), (5, "MIBAND")]


def _db(**rows: list[tuple]) -> bytes:
    """A database in Gadgetbridge's layout holding `rows` per table (all columns, in order)."""
    con = sqlite3.connect(":memory:")
    con.executescript(SCHEMA)
    con.executemany('INSERT INTO "DEVICE" ("_id", "NAME", "MANUFACTURER", "IDENTIFIER", "TYPE", '
                    '"TYPE_NAME") VALUES (?, \'band\', \'maker\', ?, 0, ?)',
                    [(i, f"MAC{i}", t) for i, t in DEVICES])
    for table, values in rows.items():
        marks = ", ".join("?" * len(values[0]))
        con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', values)
    data = con.serialize()
    con.close()
    return data


def _mi(t_s: int, kind: int, bpm: int, device: int = 1) -> tuple:
    # MI_BAND_ACTIVITY_SAMPLE: TIMESTAMP, DEVICE_ID, USER_ID, RAW_INTENSITY, STEPS, RAW_KIND, HR
    return (t_s, device, 1, 10, 0, kind, bpm)


#: a fuzz seed too (tests/fuzz/fuzzkit.py reads the upper-case bytes of these modules)
EXPORT_DB = _db(
    MI_BAND_ACTIVITY_SAMPLE=[_mi(T0 + k * MIN, 9 if k < 3 else 11, 50 + k) for k in range(6)],
    GARMIN_HRV_VALUE_SAMPLE=[((T0 + 300) * 1000, 2, 1, 42)],
)


def _stages(parsed) -> list[tuple]:
    f = parsed.frames["sleep_stages"]
    return [(a.strftime("%H:%M"), b.strftime("%H:%M"), s) for a, b, s in f.iter_rows()]


def test_the_small_export_reads_back():
    parsed = gadgetbridge.parse(EXPORT_DB, "Gadgetbridge")
    assert parsed.rows() == {"heart_rate": 6, "hrv_samples": 1, "sleep_stages": 2}
    assert parsed.frames["heart_rate"]["ts"][0] == datetime(2025, 3, 1, 22, 0, tzinfo=UTC)
    assert parsed.frames["hrv_samples"].row(0) == (datetime(2025, 3, 1, 22, 5, tzinfo=UTC), 42.0)
    assert _stages(parsed) == [("22:00", "22:03", "light"), ("22:03", "22:06", "deep")]
    assert parsed.device == "gadgetbridge GARMIN_FORERUNNER_255+MIBAND3"
    assert parsed.problems == [] and parsed.dropped == {}


@pytest.mark.parametrize("name", ["Gadgetbridge", "database/Gadgetbridge", "gadgetbridge.db"])
def test_sniffed_as_gadgetbridge_only(name):
    assert claimants(EXPORT_DB, name) == ["gadgetbridge_db"]


def test_a_health_connect_database_is_not_claimed():
    con = sqlite3.connect(":memory:")
    con.executescript(HC_SCHEMA)
    assert not gadgetbridge.sniff(con.serialize(), "health_connect_export.db")
    assert not gadgetbridge.sniff(b"SQLite format 3\x00" + b"\x00" * 200, "other.db")


def test_seconds_and_milliseconds_are_read_per_table_never_per_row():
    # the trap: a minute sample stamped in ms, an HRV value stamped in seconds
    data = _db(MI_BAND_ACTIVITY_SAMPLE=[_mi(T0, 1, 60), _mi(T0 * 1000 + 60_000, 1, 61)],
               GARMIN_HRV_VALUE_SAMPLE=[(T0 * 1000, 2, 1, 40), (T0 + 300, 2, 1, 41)])
    parsed = gadgetbridge.parse(data, "Gadgetbridge")
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [60]
    assert parsed.frames["hrv_samples"]["rmssd_ms"].to_list() == [40.0]
    assert parsed.dropped == {"timestamp_not_in_table_unit": 2}
    assert parsed.problems == [
        f"MI_BAND_ACTIVITY_SAMPLE: 1 row skipped: TIMESTAMP {T0 * 1000 + 60_000} is no time in "
        f"seconds, the unit this table keeps (it looks like milliseconds)",
        f"GARMIN_HRV_VALUE_SAMPLE: 1 row skipped: TIMESTAMP {T0 + 300} is no time in "
        f"milliseconds, the unit this table keeps (it looks like seconds)",
    ]


def test_no_reading_codes_are_never_heart_rate():
    data = _db(XIAOMI_ACTIVITY_SAMPLE=[(T0 + k * MIN, 3, 1, 0, 0, 0, bpm, None, None)
                                       for k, bpm in enumerate([255, 0, -1, 58])])
    assert gadgetbridge.parse(data, "Gadgetbridge").frames["heart_rate"]["bpm"].to_list() == [58]


def test_raw_kind_sleep_of_a_mapped_band_and_unmapped_devices_counted():
    # Mi Band 3: light, "no change" (0) and "ignore" (10) continue it, deep, wake-up (12),
    # activity (1); a high nibble is masked (0x19 -> 9). Mi Band 1 (device 5) is not mapped.
    kinds = [9, 0, 10, 11, 0x19, 12, 1]
    mi3 = [_mi(T0 + k * MIN, kind, 55) for k, kind in enumerate(kinds)]
    mi1 = [_mi(T0 + 60 * MIN + k * MIN, 4, 60, device=5) for k in range(4)]
    amazfit = [(T0 + 2 * 60 * MIN, 4, 1, 0, 0, 9, 70, None, None, None, None)]
    parsed = gadgetbridge.parse(_db(MI_BAND_ACTIVITY_SAMPLE=mi3 + mi1,
                                    HUAMI_EXTENDED_ACTIVITY_SAMPLE=amazfit), "Gadgetbridge")
    assert _stages(parsed) == [("22:00", "22:03", "light"), ("22:03", "22:04", "deep"),
                               ("22:04", "22:05", "light"), ("22:05", "22:06", "awake")]
    assert parsed.dropped == {"raw_kind_unmapped": 5}
    assert parsed.frames["heart_rate"].height == 12  # HR of every device is still read


def test_garmin_rows_end_their_stage_and_xiaomi_rows_start_it():
    ms = T0 * 1000
    garmin = [(ms + k * 60_000, 2, 1, code) for k, code in [(10, 2), (30, 3), (40, 1)]]
    events = [(ms, 2, 1, 74, 0, None), (ms + 40 * 60_000, 2, 1, 74, 1, None)]
    night2 = ms + 24 * 3600_000
    xiaomi = [(night2 + k * 60_000, 3, 1, code) for k, code in [(0, 3), (20, 4), (50, 7)]]
    session = [(night2, 3, 1, night2 + 60 * 60_000, 0, 60, 0, 20, 30, 0)]
    stray = [(ms + 5 * 3600_000, 2, 1, 2)]  # a level outside every sleep event
    parsed = gadgetbridge.parse(_db(GARMIN_SLEEP_STAGE_SAMPLE=garmin + stray,
                                    GARMIN_EVENT_SAMPLE=events, XIAOMI_SLEEP_STAGE_SAMPLE=xiaomi,
                                    XIAOMI_SLEEP_TIME_SAMPLE=session), "Gadgetbridge")
    assert _stages(parsed) == [
        ("22:00", "22:10", "light"), ("22:10", "22:30", "deep"), ("22:30", "22:40", "awake"),
        ("22:00", "22:20", "light"), ("22:20", "22:50", "rem"), ("22:50", "23:00", "unmeasurable"),
    ]
    assert parsed.dropped == {"sleep_stage_outside_session": 1, "sleep_stage_code_unmapped": 1}


def test_resting_hr_and_nightly_hrv_are_device_summaries():
    morning = (T0 + 11 * 3600) * 1000
    parsed = gadgetbridge.parse(_db(
        GARMIN_HEART_RATE_RESTING_SAMPLE=[(morning, 2, 1, 47)],
        GARMIN_HRV_SUMMARY_SAMPLE=[(morning, 2, 1, 45, 44, 60, 30, 35, 55, 1)]), "Gadgetbridge")
    got = parsed.frames["device_summaries"].select("ts", "metric", "value", "vendor").rows()
    when = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    assert got == [(when, "resting_hr", 47.0, "gadgetbridge"),
                   (when, "hrv_rmssd_ms", 44.0, "gadgetbridge")]


def test_sqlite_without_the_device_table_is_refused():
    con = sqlite3.connect(":memory:")
    con.execute('CREATE TABLE "USER_ATTRIBUTES" (x)')
    con.execute('CREATE TABLE "DEVICE_ATTRIBUTES" (x)')
    with pytest.raises(ParseError, match="not a Gadgetbridge export"):
        gadgetbridge.parse(con.serialize(), "Gadgetbridge")


def _export_db(tmp_path) -> bytes:
    archive = write_export(tmp_path, plan(date(2025, 10, 20), 10, "Europe/Amsterdam"))
    return zipfile.ZipFile(archive).read("database/Gadgetbridge")


@pytest.mark.hostile
@pytest.mark.parametrize("fraction", [0.02, 0.1, 0.3, 0.5, 0.9, 0.99])
def test_a_cut_short_database_is_partial_or_quarantined_with_what_to_do(tmp_path, fraction):
    data = _export_db(tmp_path)
    cut = data[: int(len(data) * fraction)]
    try:
        parsed = parse_file(cut, "Gadgetbridge")
    except ParseError as exc:  # the schema itself was lost: nothing to keep
        assert "not a readable SQLite database" in str(exc)
        assert "Settings -> Data management -> Export zip" in str(exc)
        return
    assert parsed.problems[0].startswith(f"the database is cut short ({len(cut):,} of "
                                         f"{len(data):,} bytes)")
    assert "Export zip" in parsed.problems[0]


@pytest.mark.hostile
def test_a_damaged_page_keeps_the_other_tables_and_says_so(tmp_path):
    data = bytearray(_export_db(tmp_path))
    con = sqlite3.connect(":memory:")
    con.deserialize(bytes(data))
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = "
                       "'GARMIN_HRV_VALUE_SAMPLE'").fetchone()[0]
    data[(root - 1) * page:(root - 1) * page + 16] = b"\xff" * 16  # its b-tree header
    parsed = parse_file(bytes(data), "Gadgetbridge")
    assert "hrv_samples" not in parsed.frames
    assert parsed.frames["sleep_stages"].height > 0
    assert parsed.problems[0] == ("the database is damaged: loaded what could be read; export "
                                  "it again in Gadgetbridge (Settings -> Data management -> "
                                  "Export zip)")
    assert parsed.problems[1].startswith("GARMIN_HRV_VALUE_SAMPLE: damaged after 0 rows")


def test_the_generated_export_holds_every_device_and_the_fit_file(tmp_path):
    archive = write_export(tmp_path, plan(date(2025, 10, 20), 10, "Europe/Amsterdam"))
    names = zipfile.ZipFile(archive).namelist()
    assert names[0] == "database/Gadgetbridge"
    assert names[1].startswith("files/") and names[1].endswith(".fit")
    parsed = parse_file(zipfile.ZipFile(archive).read(names[0]), "Gadgetbridge")
    assert parsed.device == ("gadgetbridge AMAZFITGTR2+GARMIN_FORERUNNER_255+MIBAND3+MIBAND8")
    stages = parsed.frames["sleep_stages"]
    asleep = stages.filter(pl.col("stage") != "awake").select(
        (pl.col("end_ts") - pl.col("start_ts")).dt.total_minutes().sum()).item()
    assert asleep == 10 * 420  # 7 h a night, whichever device slept it


def test_two_devices_on_one_night_count_once():
    # a Mi Band 3 (RAW_KIND, 22:00-22:06 light/deep) and a Garmin (22:01-22:31) the same night;
    # the next night only the Mi Band: kept whatever the Garmin did the night before
    ms = T0 * 1000
    mi3 = [_mi(T0 + k * MIN, 9 if k < 3 else 11, 55) for k in range(6)]
    mi3 += [_mi(T0 + 86400 + k * MIN, 9, 55) for k in range(3)]
    garmin = [(ms + k * 60_000, 2, 1, 2) for k in (11, 21, 31)]
    events = [(ms + 60_000, 2, 1, 74, 0, None), (ms + 31 * 60_000, 2, 1, 74, 1, None)]
    parsed = gadgetbridge.parse(_db(MI_BAND_ACTIVITY_SAMPLE=mi3, GARMIN_SLEEP_STAGE_SAMPLE=garmin,
                                    GARMIN_EVENT_SAMPLE=events), "Gadgetbridge")
    assert _stages(parsed) == [("22:01", "22:31", "light"), ("22:00", "22:03", "light")]
    assert parsed.dropped == {"sleep_overlaps_other_device": 1}


def test_garmin_levels_without_sleep_events_lose_only_each_nights_first_stretch():
    # two nights of levels (each row ends its stage), no GARMIN_EVENT_SAMPLE rows at all
    ms = T0 * 1000
    night = [(10, 2), (30, 3), (40, 4)]
    rows = [(ms + day * 86_400_000 + k * 60_000, 2, 1, code)
            for day in (0, 1) for k, code in night]
    parsed = gadgetbridge.parse(_db(GARMIN_SLEEP_STAGE_SAMPLE=rows), "Gadgetbridge")
    assert _stages(parsed) == [("22:10", "22:30", "deep"), ("22:30", "22:40", "rem")] * 2
    assert parsed.dropped == {"sleep_stage_start_unknown": 2}


def test_an_old_database_without_type_names_maps_no_raw_kind():
    # before TYPE_NAME (schema 62) DEVICE held only the numeric TYPE: no device is guessed
    con = sqlite3.connect(":memory:")
    con.executescript(SCHEMA.replace('"TYPE_NAME" TEXT NOT NULL, ', ""))
    con.execute('INSERT INTO "DEVICE" ("_id", "NAME", "MANUFACTURER", "IDENTIFIER", "TYPE") '
                "VALUES (1, 'band', 'maker', 'MAC1', 14)")
    con.executemany('INSERT INTO "MI_BAND_ACTIVITY_SAMPLE" VALUES (?, ?, ?, ?, ?, ?, ?)',
                    [_mi(T0 + k * MIN, 9, 55) for k in range(4)])
    parsed = gadgetbridge.parse(con.serialize(), "Gadgetbridge")
    assert parsed.rows() == {"heart_rate": 4}
    assert parsed.dropped == {"raw_kind_unmapped": 4}
    assert parsed.device is None and parsed.problems == []
