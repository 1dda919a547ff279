"""The notebook API: read-only connections that wait a bounded time for a writer, and read_fit."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

import herstel
from sample_data import STUDY_DIR
from warehouse.db import connect as writer_connect

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    """Another process with the file open read-write (a nightly run, say)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "holding"
    return proc


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "herstel.duckdb"
    writer_connect(path).close()  # an empty, migrated warehouse
    return path


def test_connect_gives_up_after_wait_s_with_a_clear_error(db):
    holder = _hold(db, 30)
    try:
        start = time.monotonic()
        with pytest.raises(herstel.WarehouseBusy, match="held by another process"):
            herstel.connect(db, wait_s=1.5)
        assert 1.5 <= time.monotonic() - start < 10
    finally:
        holder.kill()
        holder.wait()


def test_connect_waits_for_a_short_writer_and_is_read_only(db):
    holder = _hold(db, 1.0)
    try:
        with herstel.connect(db, wait_s=30) as con:
            assert con.sql("SELECT count(*) FROM v_nightly").fetchall() == [(0,)]
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute("DELETE FROM athletes")
    finally:
        holder.wait()


def test_connect_never_creates_a_database(tmp_path):
    with pytest.raises(FileNotFoundError):
        herstel.connect(tmp_path / "nothing.duckdb")
    assert not (tmp_path / "nothing.duckdb").exists()


def test_read_fit_gives_canonical_frames_and_refuses_other_files(tmp_path):
    fit = sorted((STUDY_DIR / "anna" / "wellness").glob("*.fit"))[0]
    frames = herstel.read_fit(fit)
    hr = frames["heart_rate"]
    assert hr.height > 100 and hr.schema["ts"] == pl.Datetime("us", "UTC")
    assert hr["bpm"].min() >= 25 and hr["bpm"].max() <= 250
    gpx = next(STUDY_DIR.rglob("*.gpx"))
    with pytest.raises(ValueError, match="not a .fit file"):
        herstel.read_fit(gpx)


def test_read_fit_takes_bytes_and_is_the_parsers_fit_function():
    from parsers.fit import read_fit

    fit = sorted((STUDY_DIR / "anna" / "wellness").glob("*.fit"))[0]
    by_path, by_bytes = herstel.read_fit(fit), read_fit(fit.read_bytes())
    assert sorted(by_path) == sorted(by_bytes) and "heart_rate" in by_path
    for table, frame in by_path.items():
        assert frame.equals(by_bytes[table]), table
    with pytest.raises(ValueError, match="not a FIT file"):
        herstel.read_fit(next(STUDY_DIR.rglob("*.gpx")).read_bytes())


def test_read_fit_equals_the_ingest_parse_on_every_sample_fit():
    """read_fit repeats parse_file's steps without importing the registry: same frames."""
    from parsers.fit import read_fit
    from parsers.registry import parse_file

    files = sorted(STUDY_DIR.rglob("*.fit"))[::40]
    assert len(files) >= 5
    for path in files:
        data = path.read_bytes()
        ours, ingest = read_fit(data), parse_file(data, path.name).frames
        assert sorted(ours) == sorted(ingest), path.name
        for table, frame in ingest.items():
            assert frame.equals(ours[table]), (path.name, table)
