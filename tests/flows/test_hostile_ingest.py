"""Issue 12, points 1, 5 and 6: one bad file never takes the batch down, a file cannot write
another athlete's rows, and re-running is always safe."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from derived_snapshot import assert_same_derived, derived_snapshot
from hostile_study import (
    execute,
    files,
    gpx_with_hr,
    nightly_csv,
    query,
    raw_counts,
    write,
)
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest
from flows.nightly import nightly
from parsers import registry
from parsers.version import PARSER_VERSION

pytestmark = pytest.mark.hostile
runner = CliRunner()
JUNE = date(2026, 6, 1)
RUN_START = datetime(2026, 6, 1, 17, tzinfo=UTC)


def _statuses(outcomes) -> dict[str, str]:
    return {o.path: o.status for o in outcomes}


# ----------------------------------------------------------------- 1. one bad file


def test_long_csv_with_athlete_column_next_to_gpx_with_heart_rate(tmp_path, prefect_server):
    """The docs' own long CSV (athlete_id column) in one batch with a GPX carrying heart rate
    used to end the run: "unable to vstack, column names don't match"."""
    study = tmp_path / "study"
    write(study / "anna" / "long.csv", nightly_csv("anna", JUNE, 2).replace(
        "resting_hr,50,bpm", "resting_hr,50,bpm\nanna,2026-06-01T06:00:00Z,heart_rate,48,bpm", 1
    ))  # fmt: skip
    write(study / "anna" / "run.gpx", gpx_with_hr(RUN_START))
    db = tmp_path / "w.duckdb"
    out = ingest([str(study)], str(db))
    assert _statuses(out) == {"study/anna/long.csv": "loaded", "study/anna/run.gpx": "loaded"}
    assert raw_counts(db) == {
        "heart_rate": 11, "device_summaries": 6, "activities": 1, "sleep_stages": 0,
    }  # fmt: skip
    assert query(db, "SELECT DISTINCT athlete_id FROM heart_rate") == [("anna",)]


def test_memory_error_in_one_parser_ends_that_file_only(tmp_path, prefect_server, monkeypatch):
    """A real MemoryError raised by the long-CSV parser for one file (a monkeypatched parser
    function): that file is quarantined with the reason, the others of the batch load."""
    kind = "csv_long"
    real = registry.FORMATS[kind]

    def parse(data: bytes, name: str = "", **options):
        if name.startswith("huge"):
            raise MemoryError  # what CPython raises when an allocation fails: no message
        return real.parse(data, name, **options)

    monkeypatch.setitem(registry.FORMATS, kind, replace(real, parse=parse))
    study = tmp_path / "study"
    write(study / "anna" / "a.csv", nightly_csv("", JUNE, 1))
    huge = write(study / "anna" / "huge.csv", nightly_csv("", JUNE, 2))
    write(study / "anna" / "run.gpx", gpx_with_hr(RUN_START))
    db = tmp_path / "w.duckdb"
    out = ingest([str(study)], str(db))
    assert _statuses(out) == {
        "study/anna/a.csv": "loaded",
        "study/anna/huge.csv": "quarantined",
        "study/anna/run.gpx": "loaded",
    }
    size = huge.stat().st_size
    assert files(db)["study/anna/huge.csv"][4] == (
        f"ran out of memory while reading this {size:,}-byte file; the other files went on. "
        "Re-run with fewer --workers, or split the export"
    )
    assert raw_counts(db)["device_summaries"] == 3


def test_a_failing_parse_task_ends_no_file(tmp_path, prefect_server):
    """The staging folder cannot be written (a file stands where the folder should be): every
    parse task fails; its files are parsed again one by one and all load."""
    study = tmp_path / "study"
    write(study / "anna" / "a.csv", nightly_csv("", JUNE, 1))
    write(study / "anna" / "run.gpx", gpx_with_hr(RUN_START))
    blocked = write(tmp_path / "staging", "not a folder")
    db = tmp_path / "w.duckdb"
    out = ingest([str(study)], str(db), staging=str(blocked / "sub"))
    assert _statuses(out) == {"study/anna/a.csv": "loaded", "study/anna/run.gpx": "loaded"}
    assert raw_counts(db)["heart_rate"] == 10


# ------------------------------------------------- 5. one athlete's folder, one athlete's rows


def test_rows_naming_another_athlete_are_refused_and_counted(tmp_path, prefect_server):
    """anna's folder holds a long CSV naming bob in 3 of its rows (and anna in 6): bob's rows
    are not loaded, counted under foreign_athlete, the file is partial. Forget, re-runs and
    the incremental nightly then agree: nothing of bob comes from anna's file."""
    study = tmp_path / "study"
    write(study / "bob" / "bob.csv", nightly_csv("bob", JUNE, 8))
    db = tmp_path / "w.duckdb"
    ingest([str(study)], str(db))
    nightly(str(db))
    bob_rows = nightly_csv("bob", JUNE, 1, hrv_ms=30.0).split("\n", 1)[1]  # without header
    mixed = nightly_csv("anna", JUNE, 2) + bob_rows
    write(study / "anna" / "mixed.csv", mixed)
    out = ingest([str(study)], str(db))
    assert _statuses(out)["study/anna/mixed.csv"] == "partial"
    athlete, status, dropped, reasons, reason = files(db)["study/anna/mixed.csv"]
    assert (athlete, status, dropped) == ("anna", "partial", 3)
    assert json.loads(reasons) == {"foreign_athlete": 3}
    assert reason == (
        "3 rows name another athlete in their athlete_id column: not loaded "
        "(a file in an athlete's folder holds that athlete's rows only)"
    )
    per_athlete = "SELECT athlete_id, count(*) FROM device_summaries GROUP BY 1 ORDER BY 1"
    assert query(db, per_athlete) == [("anna", 6), ("bob", 24)]
    # incremental: only anna is pending, and bob gets no flag from anna's file (hrv 30 ms)
    assert nightly(str(db)).athletes == ["anna"]
    incremental = derived_snapshot(db)
    hrv_low_bob = "SELECT count(*) FROM daily_flags WHERE athlete_id = 'bob' AND rule_id='hrv_low'"
    assert query(db, hrv_low_bob) == [(0,)]
    nightly(str(db), rebuild=True)
    assert_same_derived(incremental, derived_snapshot(db))
    # idempotent: a re-run records nothing again and loads nothing again
    again = ingest([str(study)], str(db))
    assert {o.status for o in again} == {"seen"}
    assert query(db, per_athlete) == [("anna", 6), ("bob", 24)]
    # forget anna: nothing of hers remains, bob keeps every row
    result = runner.invoke(app, ["forget", "--athlete", "anna", "--db", str(db), "--yes"])
    assert result.exit_code == 0, result.output
    assert query(db, per_athlete) == [("bob", 24)]
    assert query(db, "SELECT count(*) FROM files WHERE path LIKE '%anna%'") == [(0,)]


# ----------------------------------------------------------------- 6. re-running is safe


def test_stray_file_ingested_again_with_athlete(tmp_path, prefect_server):
    """A file quarantined for want of an athlete, given again with --athlete: it loads (its
    record replaced), where it used to crash on the files primary key."""
    study = tmp_path / "study"
    write(study / "anna" / "a.csv", nightly_csv("", JUNE, 1))
    stray = write(study / "notes.csv", nightly_csv("", JUNE, 2))
    db = tmp_path / "w.duckdb"
    ingest([str(study)], str(db))
    assert files(db)["study/notes.csv"][:2] == (None, "quarantined")
    result = runner.invoke(app, ["ingest", str(stray), "--athlete", "anna", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert files(db)["study/notes.csv"] == ("anna", "loaded", 0, None, None)
    assert query(db, "SELECT count(*) FROM files") == [(2,)]
    assert raw_counts(db)["device_summaries"] == 9


def test_rerun_by_absolute_path_or_from_elsewhere_records_nothing(
    tmp_path, prefect_server, monkeypatch
):
    study = tmp_path / "data" / "study"
    write(study / "anna" / "a.csv", nightly_csv("", JUNE, 1))
    write(study / "anna" / "run.gpx", gpx_with_hr(RUN_START))
    db = tmp_path / "w.duckdb"
    monkeypatch.chdir(tmp_path / "data")
    first = ingest(["study"], str(db))
    assert sorted(_statuses(first)) == ["study/anna/a.csv", "study/anna/run.gpx"]
    for cwd, given in ((tmp_path, str(study.resolve())), (study, "."), (study / "anna", "..")):
        monkeypatch.chdir(cwd)
        assert {o.status for o in ingest([given], str(db))} == {"seen"}, given
    # a warehouse written by an older herstel holds paths as they were typed
    execute(db, "UPDATE files SET path = ? || '/' || path", [str(tmp_path / "data")])
    assert {o.status for o in ingest([str(study)], str(db))} == {"seen"}
    assert query(db, "SELECT count(*), count(DISTINCT file_id) FROM files") == [(2, 2)]
    assert raw_counts(db)["heart_rate"] == 10


def test_files_quarantined_by_another_parser_version_are_read_again(tmp_path, prefect_server):
    """A file an older herstel quarantined (written here with SQL) is read again and loads;
    one quarantined by this very version is not read again."""
    study = tmp_path / "study"
    write(study / "anna" / "a.csv", nightly_csv("", JUNE, 1))
    write(study / "anna" / "notes.txt", "not an export\n")
    db = tmp_path / "w.duckdb"
    ingest([str(study)], str(db))
    assert files(db)["study/anna/notes.txt"][1] == "quarantined"
    execute(db, "DELETE FROM device_summaries")
    execute(
        db,
        "UPDATE files SET status = 'quarantined', reason = 'old parser bug', rows_device_summaries"
        " = 0, parser_version = NULL WHERE path = 'study/anna/a.csv'",
    )
    out = ingest([str(study)], str(db))
    assert _statuses(out) == {"study/anna/a.csv": "loaded", "study/anna/notes.txt": "seen"}
    rows = query(db, "SELECT path, status, parser_version FROM files ORDER BY path")
    assert rows == [
        ("study/anna/a.csv", "loaded", PARSER_VERSION),
        ("study/anna/notes.txt", "quarantined", PARSER_VERSION),
    ]
    assert raw_counts(db)["device_summaries"] == 3


def test_retry_rereads_quarantined_and_partial_files(tmp_path, prefect_server):
    study = tmp_path / "study"
    good = nightly_csv("", JUNE, 2)
    write(study / "anna" / "part.csv", good + ",2026-06-09,resting_hr,fifty,bpm\n")
    write(study / "anna" / "bad.txt", "not an export\n")
    db = tmp_path / "w.duckdb"
    ingest([str(study)], str(db))
    before = files(db)
    assert before["study/anna/part.csv"][1:3] == ("partial", 1)
    assert before["study/anna/bad.txt"][1] == "quarantined"
    assert {o.status for o in ingest([str(study)], str(db))} == {"seen"}
    (first_seen,) = query(db, "SELECT max(ingested_at) FROM files")[0]
    result = runner.invoke(app, ["ingest", str(study), "--retry", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert files(db) == before  # read again, the same outcome, nothing doubled
    assert query(db, "SELECT count(*) FROM files WHERE ingested_at > ?", [first_seen]) == [(2,)]
    assert raw_counts(db)["device_summaries"] == 6
