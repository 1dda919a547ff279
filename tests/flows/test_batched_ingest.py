"""Issue 16: files parsed, cleaned and loaded in batches give the warehouse that files taken
one at a time give, row for row; and one bad file in a batch ends only itself.

Both ingests run what the ingest flow runs for each batch (`parse_batch`'s function, then
`_load`), cut by `flows.ingest.batched`: `max_files=1` is the one-file-at-a-time shape (each
file cleaned alone, conformed and stored in its own transaction), the default the batched
one. Every table is compared, every column but the times of the run itself.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import parsers.inputs as inputs
from flows import ingest as flow
from parsers.study import discover
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.load import FileOutcome
from warehouse.sql import run

#: Columns that say when a run wrote a row, not what the files hold.
RUN_TIMES = {"ingested_at", "updated_at", "created_at", "applied_at"}


def _ingest(study: Path, db: Path, max_files: int = flow.BATCH_FILES) -> list[FileOutcome]:
    files = discover([study])
    known, zones = flow._register_athletes(str(db), [study], files, None, lambda n: n)
    refused = flow._refused(files)
    outcomes = flow._load(str(db), refused) if refused else []
    jobs = [(str(f.path), f.athlete_id, f.recorded_path, f.alias) for f in files if not f.reason]
    for batch in flow.batched(jobs, max_files=max_files):
        outcomes += flow._load(str(db), flow.parse_batch.fn(batch, known, "fast", zones))
    return outcomes


def _tables(db: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table: its columns (without run times) and its rows, sorted."""
    con = connect(db, read_only=True)
    try:
        names = [r[0] for r in run(con, "SELECT table_name FROM information_schema.tables "
                                         "WHERE table_type = 'BASE TABLE' ORDER BY 1")]
        dump = {}
        for table in names:
            cols = [r[0] for r in run(con, "SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = ? ORDER BY ordinal_position",
                                      [table]) if r[0] not in RUN_TIMES]
            select = ", ".join(f'"{c}"' for c in cols)
            dump[table] = (cols, run(con, f"SELECT {select} FROM {table} ORDER BY ALL"))
        return dump
    finally:
        con.close()


def _assert_same(one_by_one: Path, batched: Path) -> dict[str, int]:
    """The two warehouses hold the same rows; returns the row count of each table."""
    want, got = _tables(one_by_one), _tables(batched)
    assert list(got) == list(want)
    for table, (cols, rows) in want.items():
        assert got[table][0] == cols, table
        assert len(got[table][1]) == len(rows), table
        assert got[table][1] == rows, table
    return {t: len(rows) for t, (_, rows) in want.items()}


def _gpx(times: list[datetime]) -> str:
    """A GPX 1.1 track with heart rate (TrackPointExtension), points at `times`."""
    points = "".join(
        f'<trkpt lat="52.{i:04d}" lon="4.{i:04d}"><time>{t.strftime("%Y-%m-%dT%H:%M:%SZ")}'
        f"</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{130 + i % 3}"
        f"</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>"
        for i, t in enumerate(times)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>run</name><type>running</type><trkseg>{points}</trkseg></trk></gpx>\n"
    )


#: A long CSV as a user's export may come: an impossible heart rate, an exact repeat, a
#: time in 1990, a row of another athlete, a 21 h sleep period, an impossible summary.
MESSY_CSV = """athlete_id,timestamp,metric,value,unit,end_timestamp
mia,2026-09-05T22:00:00Z,heart_rate,52,bpm,
mia,2026-09-05T22:01:00Z,heart_rate,300,bpm,
mia,2026-09-05T22:02:00Z,heart_rate,53,bpm,
mia,2026-09-05T22:02:00Z,heart_rate,53,bpm,
mia,1990-09-05T22:03:00Z,heart_rate,54,bpm,
bram,2026-09-05T22:04:00Z,heart_rate,55,bpm,
mia,2026-09-05T20:00:00Z,sleep_stage,light,,2026-09-06T07:00:00Z
mia,2026-09-06T07:00:00Z,sleep_stage,deep,,2026-09-06T17:00:00Z
mia,2026-09-06,resting_hr,300,bpm,
mia,2026-09-07,resting_hr,48,bpm,
"""


def _messy_study(root: Path) -> Path:
    """Athlete bram of the sample study, and athlete mia's folder of trouble."""
    study = root / "study"
    for kind, n in (("wellness", 12), ("activities", 6), ("lab", 2)):  # a fortnight of bram
        (study / "bram" / kind).mkdir(parents=True)
        for path in sorted((STUDY_DIR / "bram" / kind).iterdir())[:n]:
            shutil.copy(path, study / "bram" / kind / path.name)
    shutil.copy(STUDY_DIR / "bram" / "questionnaire.csv", study / "bram" / "questionnaire.csv")
    shutil.copy(STUDY_DIR / "athletes.csv", study / "athletes.csv")
    mia = study / "mia"
    mia.mkdir()
    (mia / "hr.csv").write_text(MESSY_CSV)
    start = datetime(2026, 9, 6, 7, 0)
    minutes = [0, 1, 2, 3, 1, 2, 4, 5]  # a clock jump back, then repeats of earlier points
    (mia / "run.gpx").write_text(_gpx([start + timedelta(minutes=m) for m in minutes]))
    shutil.copy(mia / "run.gpx", mia / "run2.gpx")  # the same content again
    (mia / "empty.fit").write_bytes(b"")
    (mia / "junk.bin").write_bytes(bytes(range(256)) * 4)
    day = sorted((STUDY_DIR / "bram" / "wellness").glob("*.fit"))[3].read_bytes()
    (mia / "cut.fit").write_bytes(day[: len(day) // 2])  # a copy that stopped half-way
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("night.fit", sorted((STUDY_DIR / "bram" / "wellness").glob("*.fit"))[5]
                    .read_bytes())
        zf.writestr("hr.csv", MESSY_CSV.replace("52,bpm", "51,bpm"))
    (mia / "bundle.zip").write_bytes(bundle.getvalue())
    (study / "stray.csv").write_text(MESSY_CSV)  # outside any athlete folder
    return study


def test_batched_ingest_is_row_for_row_the_file_by_file_one(tmp_path):
    study = _messy_study(tmp_path)
    alone, together, sevens = (tmp_path / f"{n}.duckdb" for n in ("alone", "together", "7"))
    by_file = _ingest(study, alone, max_files=1)
    batched = _ingest(study, together)
    _ingest(study, sevens, max_files=7)  # batch edges fall between the troubled files
    rows = _assert_same(alone, together)
    _assert_same(alone, sevens)
    assert [(o.path, o.status, o.reason) for o in batched] == [
        (o.path, o.status, o.reason) for o in by_file
    ]
    mia = {o.path.removeprefix("study/mia/"): o for o in batched if "/mia/" in o.path}
    assert {p: o.status for p, o in mia.items()} == {
        "bundle.zip/hr.csv": "partial",
        "bundle.zip/night.fit": "loaded",
        "cut.fit": "partial",
        "empty.fit": "quarantined",
        "hr.csv": "partial",
        "junk.bin": "quarantined",
        "run2.gpx": "duplicate",
        "run.gpx": "partial",
    }
    assert mia["hr.csv"].dropped == {
        "hr_out_of_range": 2,  # the 300 bpm sample and the 300 bpm resting HR
        "duplicate_sample": 1,
        "ts_out_of_range": 1,
        "sleep_period_over_20h": 2,
        "foreign_athlete": 1,
    }
    assert mia["hr.csv"].rows == {"heart_rate": 2, "sleep_stages": 0, "device_summaries": 1}
    assert mia["run.gpx"].dropped == {"duplicate_sample": 2}
    assert "jump back 1 time(s), the largest by 0:02:00" in mia["run.gpx"].reason
    bram = [o for o in batched if o.path.startswith("study/bram/")]
    assert len(bram) == 20 and {o.status for o in bram} == {"loaded"}
    assert rows["files"] == 20 + 8 + 1  # the stray file is recorded, quarantined
    assert rows["heart_rate"] > 10_000


@pytest.mark.corpus
def test_batched_ingest_of_the_corpus_is_row_for_row_the_same(tmp_path, corpus):
    alone, together = tmp_path / "alone.duckdb", tmp_path / "together.duckdb"
    by_file = _ingest(corpus, alone, max_files=1)
    batched = _ingest(corpus, together)
    rows = _assert_same(alone, together)
    assert [(o.path, o.status) for o in batched] == [(o.path, o.status) for o in by_file]
    assert {o.status for o in batched} >= {"loaded", "partial", "quarantined"}
    assert rows["files"] == len(batched)


@pytest.mark.slow
def test_batched_ingest_of_the_sample_study_is_row_for_row_the_same(tmp_path):
    alone, together = tmp_path / "alone.duckdb", tmp_path / "together.duckdb"
    _ingest(STUDY_DIR, alone, max_files=1)
    batched = _ingest(STUDY_DIR, together)
    rows = _assert_same(alone, together)
    assert rows["files"] == len(batched) == 393
    assert {o.status for o in batched} == {"loaded"}


def test_a_file_whose_cleaning_fails_ends_alone(tmp_path, monkeypatch):
    """Should cleaning the batch fail, each file is cleaned alone: only the file that fails
    alone ends (quarantined, with the reason); the others come out exactly as they would."""
    study = _messy_study(tmp_path)
    files = discover([study])
    jobs = [(str(f.path), f.athlete_id, f.recorded_path, f.alias) for f in files if not f.reason]
    want = inputs.parse_inputs(jobs)
    real_clean = inputs.drop_impossible

    def batch_fails(parsed, now):
        raise MemoryError

    def gpx_fails(parsed, now):
        if parsed.format == "gpx":
            raise RuntimeError("a bug")
        return real_clean(parsed, now)

    monkeypatch.setattr(inputs, "drop_impossible_many", batch_fails)
    monkeypatch.setattr(inputs, "drop_impossible", gpx_fails)
    got = inputs.parse_inputs(jobs)
    assert [r.path for r in got] == [r.path for r in want]
    gpx = [r for r in got if r.path.endswith(".gpx")]
    assert len(gpx) == 6 + 2  # bram's runs, mia's run and its copy
    for r in gpx:
        assert r.parsed is None
        assert r.error == "internal error while parsing (RuntimeError); please report"
    for g, w in zip(got, want, strict=True):
        if g.path.endswith(".gpx"):
            continue
        assert g.error == w.error
        assert (g.parsed is None) == (w.parsed is None)
        if g.parsed is not None:
            assert g.parsed.dropped == w.parsed.dropped
            assert g.parsed.problems == w.parsed.problems
            assert g.parsed.frames.keys() == w.parsed.frames.keys()
            assert all(g.parsed.frames[t].equals(w.parsed.frames[t]) for t in w.parsed.frames)
