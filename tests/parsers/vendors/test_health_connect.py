"""Android Health Connect export: one SQLite database of several apps' records."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from parsers.archive import iter_members
from parsers.base import ParseError
from parsers.registry import parse_file
from parsers.vendors import claimants, health_connect
from sample_data.export_plan import plan
from sample_data.vendors.health_connect import SCHEMA, write_export

T0 = int(datetime(2025, 3, 1, 22, 0, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000


def _small_export() -> bytes:
    """One night of two apps, a few HR samples and HRV values, as the database's bytes."""
    con = sqlite3.connect(":memory:")
    con.executescript(SCHEMA)
    con.executemany("INSERT INTO application_info_table (row_id, package_name) VALUES (?, ?)",
                    [(1, "watch.app"), (2, "phone.app")])
    con.executemany("INSERT INTO sleep_session_record_table (row_id, app_info_id, start_time, "
                    "end_time) VALUES (?, ?, ?, ?)",
                    [(1, 1, T0, T0 + 420 * MIN), (2, 2, T0 - 5 * MIN, T0 + 430 * MIN)])
    con.executemany("INSERT INTO sleep_stages_table VALUES (1, ?, ?, ?)",
                    [(T0, T0 + 200 * MIN, 4), (T0 + 200 * MIN, T0 + 420 * MIN, 6)])
    con.executemany("INSERT INTO heart_rate_record_series_table VALUES (1, ?, ?)",
                    [(T0 + k * MIN, 55 - k % 3) for k in range(10)])
    con.executemany("INSERT INTO heart_rate_variability_rmssd_record_table (time, zone_offset, "
                    "heart_rate_variability_millis) VALUES (?, 3600, ?)",
                    [(T0 + 5 * k * MIN, 40.0 + k) for k in range(4)])
    data = con.serialize()
    con.close()
    return data


#: a fuzz seed too (tests/fuzz/fuzzkit.py reads the upper-case bytes of these modules)
EXPORT_DB = _small_export()


def _db(tmp_path: Path, sessions: list[tuple], stages: list[tuple] = ()) -> bytes:
    """A minimal export: `sessions` = (row_id, app, start_ms, end_ms), `stages` rows as stored."""
    path = tmp_path / "hc.db"
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    con.executemany("INSERT INTO application_info_table (row_id, package_name) VALUES (?, ?)",
                    [(1, "watch.app"), (2, "phone.app")])
    con.executemany("INSERT INTO sleep_session_record_table (row_id, app_info_id, start_time, "
                    "end_time, start_zone_offset, end_zone_offset) VALUES (?, ?, ?, ?, 3600, "
                    "3600)", sessions)
    con.executemany("INSERT INTO sleep_stages_table VALUES (?, ?, ?, ?)", stages)
    con.commit()
    con.close()
    return path.read_bytes()


def _asleep_h(parsed) -> float:
    s = parsed.frames["sleep_stages"].filter(pl.col("stage") != "awake")
    return s.select((pl.col("end_ts") - pl.col("start_ts")).dt.total_seconds().sum()).item() / 3600


def test_the_small_export_reads_back():
    parsed = health_connect.parse(EXPORT_DB, "health_connect_export.db")
    assert parsed.rows() == {"heart_rate": 10, "hrv_samples": 4, "sleep_stages": 2}
    assert parsed.dropped == {"sleep_session_overlaps_other_app": 1}


def test_sniffed_as_health_connect_only(tmp_path):
    data = _db(tmp_path, [(1, 1, T0, T0 + 60 * MIN)])
    assert claimants(data, "health_connect_export.db") == ["health_connect_db"]
    assert not health_connect.sniff(b"SQLite format 3\x00" + b"\x00" * 200, "other.db")


def test_staged_session_beats_a_wider_unstaged_one_of_another_app(tmp_path):
    # watch: 22:00-06:00 with 7 h light + 1 h awake; phone: 21:50-06:10 unstaged
    stages = [(1, T0, T0 + 420 * MIN, 4), (1, T0 + 420 * MIN, T0 + 480 * MIN, 1)]
    data = _db(tmp_path, [(1, 1, T0, T0 + 480 * MIN), (2, 2, T0 - 10 * MIN, T0 + 490 * MIN)],
               stages)
    parsed = health_connect.parse(data, "hc.db")
    assert _asleep_h(parsed) == 7.0
    assert parsed.dropped == {"sleep_session_overlaps_other_app": 1}
    assert parsed.problems == []


def test_unstaged_sessions_keep_the_longer_and_a_nap_is_kept(tmp_path):
    nap = T0 + 16 * 60 * MIN  # 14:00 the next day, overlapping nothing
    data = _db(tmp_path, [(1, 1, T0, T0 + 400 * MIN), (2, 2, T0 + 5 * MIN, T0 + 450 * MIN),
                          (3, 2, nap, nap + 30 * MIN)])
    stages = health_connect.parse(data, "hc.db").frames["sleep_stages"]
    assert stages["stage"].to_list() == ["asleep", "asleep"]
    assert stages["start_ts"].to_list() == [
        datetime(2025, 3, 1, 22, 5, tzinfo=UTC), datetime(2025, 3, 2, 14, 0, tzinfo=UTC)]
    assert _asleep_h(health_connect.parse(data, "hc.db")) == 445 / 60 + 0.5


def test_stage_codes_map_to_canonical_stages(tmp_path):
    codes = [0, 1, 2, 3, 4, 5, 6, 7]
    stages = [(1, T0 + k * MIN, T0 + (k + 1) * MIN, code) for k, code in enumerate(codes)]
    data = _db(tmp_path, [(1, 1, T0, T0 + 8 * MIN)], stages)
    got = health_connect.parse(data, "hc.db").frames["sleep_stages"]["stage"].to_list()
    assert got == ["unmeasurable", "awake", "asleep", "awake", "light", "deep", "rem", "awake"]


def test_sqlite_without_health_connect_tables_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    with pytest.raises(ParseError, match="not a Health Connect export"):
        health_connect.parse(path.read_bytes(), "other.db")


def test_truncated_export_ends_in_a_reason_not_a_crash(tmp_path):
    data = _db(tmp_path, [(1, 1, T0, T0 + 60 * MIN)])
    with pytest.raises(ParseError):
        parse_file(data[: len(data) // 2], "health_connect_export.db")


def test_generated_export_reads_every_record_kind(tmp_path):
    nights = plan(date(2025, 10, 20), 10, "Europe/Amsterdam")
    archive = write_export(tmp_path, nights)
    (member,) = list(iter_members(str(archive), archive.name))
    assert member.name == "health_connect_export.db"
    parsed = parse_file(member.data, member.name)
    assert parsed.format == "health_connect_db"
    # 7 stage runs per night; 10 overlapping phone sessions superseded; 4 naps kept
    assert parsed.frames["sleep_stages"].height == 10 * 7 + 4
    assert parsed.dropped == {"sleep_session_overlaps_other_app": 10}
    assert parsed.frames["activities"]["sport"].to_list() == ["running"] * 5
    resting = parsed.frames["device_summaries"]
    assert resting["night"].to_list() == [n.night for n in nights]
    assert parsed.utc_offset_s == 7200  # most nights start in summer time
