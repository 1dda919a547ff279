"""Incremental nightly runs give exactly what a full rebuild gives, and touch less."""

from __future__ import annotations

import shutil

import polars as pl
import pytest
from derived_snapshot import assert_same_derived, derived_snapshot

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data import STUDY_DIR


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
    incremental = derived_snapshot(db)
    assert increment.rows["nightly_metrics"] < incremental["nightly_metrics"].height

    nothing = nightly(db)  # no new files: nothing to do
    assert nothing.athletes == [] and nothing.rows == {}

    rebuilt = nightly(db, rebuild=True)
    assert rebuilt.mode == "rebuild"
    assert_same_derived(derived_snapshot(db), incremental)


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
    assert_same_derived(derived_snapshot(one), derived_snapshot(two))


def test_chunks_respect_the_row_budget():
    from flows.nightly import ROWS_PER_CHUNK, _chunks

    windows = pl.DataFrame({"athlete_id": ["a", "b", "c", "d"]})
    big = ROWS_PER_CHUNK // 2 + 1
    sizes = {"a": big, "b": big, "c": 10, "d": 3 * ROWS_PER_CHUNK}
    groups = [c["athlete_id"].to_list() for c in _chunks(windows, sizes)]
    assert groups == [["a"], ["b", "c"], ["d"]]  # an athlete over budget still gets a chunk


def test_windows_read_raw_samples_only_around_the_new_days():
    from datetime import UTC, date, datetime, timedelta

    from flows.nightly import INFLUENCE_DAYS, LOOKBACK_DAYS, windows_for

    spans = pl.DataFrame(
        {
            "athlete_id": ["old", "new"],
            "first_ts": [datetime(2025, 6, 10, 23, tzinfo=UTC)] * 2,
            "last_ts": [datetime(2025, 6, 11, 7, tzinfo=UTC)] * 2,
            "full": [False, True],
        }
    )
    old, new = windows_for(spans, None).rows(named=True)
    days = timedelta(days=1)
    assert old["write_lo"] == old["raw_lo"] == date(2025, 6, 9)
    assert old["write_hi"] == date(2025, 6, 12) + INFLUENCE_DAYS * days
    assert old["raw_hi"] == date(2025, 6, 12) + 28 * days  # HRrest reach
    # raw samples: the raw days with two days of margin; derived rows: the whole look-back
    assert old["raw_read_lo"] == datetime(2025, 6, 7, tzinfo=UTC)
    assert old["raw_read_hi"] == datetime(2025, 7, 12, tzinfo=UTC)
    assert old["read_lo"] == datetime(2025, 6, 9, tzinfo=UTC) - (LOOKBACK_DAYS + 1) * days
    # an athlete never computed reads and writes everything
    assert [new[k] for k in ("write_lo", "raw_lo", "raw_hi", "read_lo", "raw_read_lo")] == [
        None
    ] * 5
