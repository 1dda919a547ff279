"""Health data is private: forget leaves no trace, pseudonyms need the key, logs hold no values."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from parsers.study import load_key, pseudonym
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.sql import run

REPO = Path(__file__).resolve().parents[2]


def _text_hits(db: Path, needle: str) -> list[tuple[str, str]]:
    """(table or view, column) pairs where any text value contains `needle`."""
    con = connect(db, read_only=True)
    try:
        cols = run(
            con,
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE NOT internal AND schema_name = 'main' AND data_type = 'VARCHAR'",
        )
        return [
            (t, c)
            for t, c in cols
            if run(con, f'SELECT count(*) FROM "{t}" WHERE contains("{c}", ?)', [needle])[0][0]
        ]
    finally:
        con.close()


@pytest.fixture(scope="module")
def study_db(tmp_path_factory, prefect_server) -> Path:
    db = tmp_path_factory.mktemp("privacy") / "study.duckdb"
    ingest([str(STUDY_DIR)], str(db))
    nightly(str(db))
    return db


def test_forget_removes_every_trace(study_db, tmp_path):
    db = tmp_path / "forget.duckdb"
    shutil.copy(study_db, db)
    staged = tmp_path / "forget.staging" / "heart_rate" / "athlete_id=chiyo" / "month=2026-10"
    staged.mkdir(parents=True)
    (staged / "x.parquet").write_bytes(b"PAR1")
    assert _text_hits(db, "chiyo")  # she is there before
    import prefect.settings

    # the harness's server: forget also removes Prefect's run records naming her
    env = {**os.environ, "PREFECT_API_URL": prefect.settings.PREFECT_API_URL.value()}
    out = subprocess.run(
        [sys.executable, "-m", "flows.cli", "forget", "--athlete", "chiyo", "--db", str(db),
         "--yes"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert "Removed" in out.stdout
    assert _text_hits(db, "chiyo") == []  # no table or view names her
    assert b"chiyo" not in db.read_bytes()  # and no freed block still holds her rows
    assert not staged.exists()
    assert _text_hits(db, "anna"), "forgetting one athlete must keep the others"
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_pseudonyms_are_stable_and_need_the_key(tmp_path):
    key = load_key(tmp_path / "key")
    assert oct((tmp_path / "key").stat().st_mode & 0o777) == "0o600"
    assert load_key(tmp_path / "key") == key  # created once, then reused
    other = load_key(tmp_path / "other-key")
    assert pseudonym("anna", key) == pseudonym("anna", key)
    assert pseudonym("anna", key) != pseudonym("anna", other)
    assert pseudonym("anna", key) != pseudonym("bram", key)
    assert re.fullmatch(r"p[0-9a-f]{16}", pseudonym("anna", key))


def test_pseudonymised_study_names_nobody(tmp_path, prefect_server):
    db = tmp_path / "pseudo.duckdb"
    ingest([str(STUDY_DIR)], str(db), pseudonymise_key=str(tmp_path / "key"))
    for name in ("anna", "bram", "chiyo"):
        assert _text_hits(db, name) == [], name


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_logs_hold_no_health_values(tmp_path, prefect_server):
    """Logs say what happened to files, never a heart rate, an HRV or a sleep duration."""
    collect = _Collect()
    watched = [logging.getLogger(n) for n in ("", "prefect", "parsers", "warehouse", "flows")]
    levels = [lg.level for lg in watched]
    for lg in watched:
        lg.addHandler(collect)
        lg.setLevel(logging.DEBUG)
    try:
        db = tmp_path / "logs.duckdb"
        folder = tmp_path / "mixed"
        shutil.copytree(STUDY_DIR / "anna" / "wellness", folder)
        (folder / "notes.txt").write_text("resting 48 bpm\n")  # unreadable: quarantined
        first = next((STUDY_DIR / "anna" / "wellness").glob("*.fit"))
        (folder / "cut.fit").write_bytes(first.read_bytes()[:300])  # damaged: partial
        ingest([str(folder)], str(db), athlete="anna", tz="Europe/Amsterdam")
        nightly(str(db))
    finally:
        for lg, level in zip(watched, levels, strict=True):
            lg.removeHandler(collect)
            lg.setLevel(level)
    messages = [r.getMessage() for r in collect.records if r.levelno > logging.DEBUG]
    assert any("ingest:" in m for m in messages), "no logs were captured"
    health = re.compile(r"\d+(\.\d+)?\s*(bpm|ms\b|h\b|hours)|resting|rmssd|hrv", re.I)
    assert [m for m in messages if health.search(m)] == []
