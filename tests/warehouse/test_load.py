"""Loading: one transaction per file, duplicates never double rows, every file recorded."""

import os
import stat
from datetime import UTC, datetime

import polars as pl
import pytest

from parsers.base import ParsedFile, conform
from warehouse.db import connect
from warehouse.load import Incoming, load_file, load_files, offset_to_zone, upsert_athlete
from warehouse.read import table_frame
from warehouse.sql import run
from warehouse.write import forget_athlete


def _parsed(n: int = 61, problems: list[str] | None = None) -> ParsedFile:
    start = datetime(2026, 9, 1, 20, tzinfo=UTC)
    ts = pl.datetime_range(start, start.replace(hour=21), "1m", eager=True, time_zone="UTC")[:n]
    hr = conform(pl.DataFrame({"ts": ts, "bpm": 50, "context": "sleep"}), "heart_rate")
    summary = conform(
        pl.DataFrame({"ts": [start], "metric": ["resting_hr"], "value": [47.0], "vendor": ["x"]}),
        "device_summaries",
    )
    return ParsedFile(
        "fit",
        {"heart_rate": hr, "device_summaries": summary},
        problems=problems or [],
        dropped={"hr_out_of_range": 2},
    )


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "w.duckdb")
    yield c
    c.close()


def test_database_file_is_owner_only(tmp_path):
    path = tmp_path / "private.duckdb"
    connect(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_load_records_rows_and_status(con):
    upsert_athlete(con, "anna", "Asia/Tokyo", "option")
    out = load_file(
        con, file_id="f1", path="a.fit", athlete_id="anna", size_bytes=9, parsed=_parsed()
    )
    assert out.status == "loaded" and out.rows == {"heart_rate": 61, "device_summaries": 1}
    row = run(con, "SELECT status, rows_heart_rate, rows_dropped, dropped_reasons FROM files")
    assert row == [("loaded", 61, 2, '{"hr_out_of_range": 2}')]
    # 20:00 UTC is 05:00 the next morning in Tokyo: the summary belongs to that night
    night = table_frame(con, "device_summaries")["night"][0]
    assert str(night) == "2026-09-02"


def test_same_content_twice_never_doubles_rows(con):
    upsert_athlete(con, "anna", None, "default_utc")
    kw = dict(file_id="f1", athlete_id="anna", size_bytes=9, parsed=_parsed())
    assert load_file(con, path="a.fit", **kw).status == "loaded"
    assert load_file(con, path="a.fit", **kw).status == "seen"
    dup = load_file(con, path="copy/a.fit", **kw)
    assert dup.status == "duplicate" and "a.fit" in dup.reason
    assert run(con, "SELECT count(*) FROM heart_rate")[0][0] == 61
    assert run(con, "SELECT status FROM files ORDER BY path") == [("loaded",), ("duplicate",)]


def test_partial_and_quarantined_are_recorded_with_reasons(con):
    upsert_athlete(con, "anna", None, "default_utc")
    part = load_file(
        con,
        file_id="p",
        path="p.fit",
        athlete_id="anna",
        size_bytes=9,
        parsed=_parsed(10, ["truncated after 10 messages at byte 768"]),
    )
    bad = load_file(
        con,
        file_id="q",
        path="q.fit",
        athlete_id="anna",
        size_bytes=9,
        error="not a FIT file: header signature b'XXXX'",
    )
    stray = load_file(
        con, file_id="s", path="s.fit", athlete_id=None, size_bytes=9, parsed=_parsed()
    )
    assert (part.status, bad.status, stray.status) == ("partial", "quarantined", "quarantined")
    assert "truncated" in part.reason and "header signature" in bad.reason
    assert "athlete folder" in stray.reason
    assert run(con, "SELECT count(*) FROM heart_rate")[0][0] == 10


def test_rows_the_database_refuses_leave_nothing_half_loaded(con):
    upsert_athlete(con, "anna", None, "default_utc")
    parsed = _parsed()
    parsed.frames["sleep_stages"] = pl.DataFrame({"oops": [1]})  # not canonical: insert fails
    out = load_file(con, file_id="f1", path="a.fit", athlete_id="anna", size_bytes=9, parsed=parsed)
    assert out.status == "quarantined" and "database refused" in out.reason
    assert run(con, "SELECT count(*) FROM heart_rate")[0][0] == 0
    assert run(con, "SELECT status FROM files") == [("quarantined",)]


def test_group_commit_isolates_a_bad_file(con):
    upsert_athlete(con, "anna", None, "default_utc")
    bad = _parsed()
    bad.frames["sleep_stages"] = pl.DataFrame({"oops": [1]})
    batch = [
        Incoming("good1", "g1.fit", "anna", 9, _parsed(10)),
        Incoming("bad", "b.fit", "anna", 9, bad),
        Incoming("good2", "g2.fit", "anna", 9, _parsed(20)),
        Incoming("good1", "copy-of-g1.fit", "anna", 9, _parsed(10)),  # same content, same batch
    ]
    statuses = [o.status for o in load_files(con, batch)]
    assert statuses == ["loaded", "quarantined", "loaded", "duplicate"]
    assert run(con, "SELECT count(*) FROM heart_rate")[0][0] == 30
    assert run(con, "SELECT count(*) FROM files")[0][0] == 4


def test_time_zone_source_precedence(con):
    upsert_athlete(con, "anna", "Etc/GMT-2", "fit_offset")
    upsert_athlete(con, "anna", None, "default_utc")  # weaker: no change
    assert run(con, "SELECT time_zone FROM athletes")[0][0] == "Etc/GMT-2"
    upsert_athlete(con, "anna", "Europe/Amsterdam", "athletes_file", hr_max=190.0)
    assert run(con, "SELECT time_zone, time_zone_source, hr_max FROM athletes")[0] == (
        "Europe/Amsterdam",
        "athletes_file",
        190.0,
    )


def test_a_corrected_athletes_file_zone_replaces_the_old_one_and_marks_the_athlete(con):
    upsert_athlete(con, "anna", "UTC", "athletes_file")
    upsert_athlete(con, "anna", "UTC", "athletes_file", hr_max=190.0)
    upsert_athlete(con, "anna", "Etc/GMT-2", "fit_offset")  # weaker: no change
    assert run(con, "SELECT updated_at FROM athletes")[0][0] is not None  # hr_max was new
    run(con, "UPDATE athletes SET updated_at = NULL")
    upsert_athlete(con, "anna", "UTC", "athletes_file", hr_max=190.0)  # the same again
    assert run(con, "SELECT time_zone, updated_at FROM athletes")[0] == ("UTC", None)
    upsert_athlete(con, "anna", "Europe/Amsterdam", "athletes_file")  # corrected
    zone, updated = run(con, "SELECT time_zone, updated_at FROM athletes")[0]
    assert zone == "Europe/Amsterdam" and updated is not None
    upsert_athlete(con, "bram", "Etc/GMT-2", "fit_offset")
    upsert_athlete(con, "bram", "Etc/GMT-1", "fit_offset")  # a winter file: no flip
    assert run(con, "SELECT time_zone FROM athletes WHERE athlete_id = 'bram'")[0][0] == "Etc/GMT-2"


def test_offset_to_zone():
    assert offset_to_zone(7200) == "Etc/GMT-2"
    assert offset_to_zone(-18000) == "Etc/GMT+5"
    assert offset_to_zone(0) == "UTC"
    assert offset_to_zone(19800) is None  # India +05:30 has no Etc zone
    assert offset_to_zone(None) is None


def test_hostile_athlete_id_is_data_not_sql(con):
    evil = "x'; DROP TABLE files; --"
    upsert_athlete(con, evil, None, "default_utc")
    load_file(con, file_id="f1", path="a.fit", athlete_id=evil, size_bytes=9, parsed=_parsed())
    assert run(con, "SELECT athlete_id FROM files")[0][0] == evil
    removed = forget_athlete(con, evil)
    assert removed["heart_rate"] == 61 and removed["files"] == 1
    assert run(con, "SELECT count(*) FROM files")[0][0] == 0


def test_identical_files_of_two_athletes_are_each_loaded(con):
    for athlete in ("anna", "bram"):
        upsert_athlete(con, athlete, None, "default_utc")
    batch = [
        Incoming("same", "study/anna/lab.csv", "anna", 9, _parsed(5)),
        Incoming("same", "study/bram/lab.csv", "bram", 9, _parsed(5)),
        Incoming("same", "study/bram/copy/lab.csv", "bram", 9, _parsed(5)),
    ]
    assert [o.status for o in load_files(con, batch)] == ["loaded", "loaded", "duplicate"]
    assert run(con, "SELECT athlete_id, count(*) FROM heart_rate GROUP BY 1 ORDER BY 1") == [
        ("anna", 5),
        ("bram", 5),
    ]


@pytest.mark.hostile
def test_a_file_whose_frames_cannot_be_stored_ends_alone(con, monkeypatch):
    """Issue 12 point 1: a frame that does not fit its table (time stamps as text) and a
    MemoryError while one file's rows are inserted each end that file, not the batch."""
    import warehouse.load as load

    upsert_athlete(con, "anna", None, "default_utc")
    odd = _parsed(5)
    odd.frames["heart_rate"] = odd.frames["heart_rate"].with_columns(ts=pl.lit("yesterday"))
    real_insert = load._insert_table

    def insert(con, table, frame):
        if "huge" in frame["file_id"].to_list():
            raise MemoryError
        real_insert(con, table, frame)

    monkeypatch.setattr(load, "_insert_table", insert)
    batch = [
        Incoming("good", "g.fit", "anna", 9, _parsed(10)),
        Incoming("odd", "o.fit", "anna", 9, odd),
        Incoming("huge", "h.fit", "anna", 9, _parsed(30)),
    ]
    outcomes = load_files(con, batch)
    assert [(o.status, o.reason) for o in outcomes] == [
        ("loaded", None),
        ("quarantined", "its rows could not be stored (InvalidOperationError); please report"),
        ("quarantined", "ran out of memory while storing its rows; re-run with fewer --workers"),
    ]
    assert run(con, "SELECT count(*) FROM heart_rate")[0][0] == 10
    assert run(con, "SELECT path, status, rows_heart_rate FROM files ORDER BY path") == [
        ("g.fit", "loaded", 10), ("h.fit", "quarantined", 0), ("o.fit", "quarantined", 0),
    ]  # fmt: skip


@pytest.mark.hostile
def test_a_quarantined_record_is_replaced_when_read_again(con):
    """Issue 12 point 6: a stray file (no athlete) given again for anna, and a file an older
    parser refused: each record replaced, no primary-key violation; a current refusal stays."""
    from parsers.version import PARSER_VERSION

    upsert_athlete(con, "anna", None, "default_utc")
    load_file(con, file_id="s", path="study/s.csv", athlete_id=None, size_bytes=9)
    load_file(con, file_id="q", path="study/anna/q.fit", athlete_id="anna", size_bytes=9,
              error="old reason")  # fmt: skip
    assert load_file(con, file_id="q", path="study/anna/q.fit", athlete_id="anna",
                     size_bytes=9, error="old reason").status == "seen"  # fmt: skip
    run(con, "UPDATE files SET parser_version = '0.0.1' WHERE file_id = 'q'")
    again = load_file(con, file_id="s", path="study/s.csv", athlete_id="anna", size_bytes=9,
                      parsed=_parsed(4))  # fmt: skip
    fixed = load_file(con, file_id="q", path="study/anna/q.fit", athlete_id="anna",
                      size_bytes=9, parsed=_parsed(6))  # fmt: skip
    assert (again.status, fixed.status) == ("loaded", "loaded")
    assert run(con, "SELECT path, athlete_id, status, parser_version FROM files ORDER BY 1") == [
        ("study/anna/q.fit", "anna", "loaded", PARSER_VERSION),
        ("study/s.csv", "anna", "loaded", PARSER_VERSION),
    ]
    assert run(con, "SELECT count(*) FROM heart_rate")[0][0] == 10
