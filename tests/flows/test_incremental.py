"""Incremental nightly runs give exactly what a full rebuild gives, and touch less."""

from __future__ import annotations

import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.sql import frame

DERIVED = {
    "nightly_metrics": ["athlete_id", "night"],
    "daily_metrics": ["athlete_id", "day"],
    "daily_flags": ["athlete_id", "day", "rule_id"],
}


def _snapshot(db: str) -> dict[str, pl.DataFrame]:
    con = connect(db, read_only=True)
    try:
        return {
            t: frame(con, f"SELECT * EXCLUDE (computed_at) FROM {t}").sort(keys)
            for t, keys in DERIVED.items()
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def split_study(tmp_path_factory):
    """The sample study minus the last three days of wellness files and one mid-study night."""
    root = tmp_path_factory.mktemp("split")
    first, later = root / "first" / "study", root / "later" / "study"
    shutil.copytree(STUDY_DIR, first)
    held = sorted((first / "anna" / "wellness").glob("*.fit"))
    moves = [*held[-3:], held[30]]  # the end of the history, and a night in the middle
    for athlete in ("bram", "chiyo"):
        moves.extend(sorted((first / athlete / "wellness").glob("*.fit"))[-3:])
    for path in moves:
        target = later / path.relative_to(first)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    return first, later


def test_incremental_equals_rebuild(split_study, tmp_path, prefect_server):
    first, later = split_study
    db = str(tmp_path / "inc.duckdb")
    ingest([str(first)], db)
    full = nightly(db)
    assert full.mode == "incremental" and sorted(full.athletes) == ["anna", "bram", "chiyo"]

    ingest([str(later)], db)
    increment = nightly(db)
    incremental = _snapshot(db)
    assert increment.rows["nightly_metrics"] < incremental["nightly_metrics"].height

    nothing = nightly(db)  # no new files: nothing to do
    assert nothing.athletes == [] and nothing.rows == {}

    rebuilt = nightly(db, rebuild=True)
    assert rebuilt.mode == "rebuild"
    for table, expected in _snapshot(db).items():
        assert_frame_equal(incremental[table], expected, check_exact=False, rel_tol=1e-9)


def test_rebuild_of_the_whole_study_matches_one_pass(split_study, tmp_path, prefect_server):
    first, later = split_study
    one = str(tmp_path / "one.duckdb")
    ingest([str(STUDY_DIR)], one)
    nightly(one)
    two = str(tmp_path / "two.duckdb")
    ingest([str(first)], two)
    nightly(two)
    ingest([str(later)], two)
    nightly(two)
    a, b = _snapshot(one), _snapshot(two)
    for table in DERIVED:
        assert_frame_equal(a[table], b[table], check_exact=False, rel_tol=1e-9)


def test_chunks_respect_the_row_budget():
    from flows.nightly import ROWS_PER_CHUNK, _chunks

    windows = pl.DataFrame({"athlete_id": ["a", "b", "c", "d"]})
    big = ROWS_PER_CHUNK // 2 + 1
    sizes = {"a": big, "b": big, "c": 10, "d": 3 * ROWS_PER_CHUNK}
    groups = [c["athlete_id"].to_list() for c in _chunks(windows, sizes)]
    assert groups == [["a"], ["b", "c"], ["d"]]  # an athlete over budget still gets a chunk
