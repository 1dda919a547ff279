"""bench/shape.py's pure parts: which files a size takes and the fixed + per-file lines.

The scaling run itself takes minutes (bench/RESULTS.md, *Scale: the shape of one ingest*);
these check on hand-made inputs that what it records is what it claims.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.shape import fit_line, fit_segments, select_files  # noqa: E402

STUDY = [
    "athletes.csv",
    "bram/wellness/2026-01-02_WELLNESS.fit",
    "anna/wellness/2026-01-02_WELLNESS.fit",
    "bram/wellness/2026-01-01_WELLNESS.fit",
    "anna/activities/2026-01-01-18-00-00.fit",
    "anna/wellness/2026-01-01_WELLNESS.fit",
    "anna/lab/results.csv",
]


def test_select_takes_whole_nights_in_order_and_only_wellness_files() -> None:
    assert select_files(STUDY, 3) == [
        "anna/wellness/2026-01-01_WELLNESS.fit",
        "bram/wellness/2026-01-01_WELLNESS.fit",
        "anna/wellness/2026-01-02_WELLNESS.fit",
    ]
    assert len(select_files(STUDY, 4)) == 4


def test_select_refuses_more_files_than_the_study_holds() -> None:
    with pytest.raises(ValueError, match="holds 4 wellness files, fewer than 5"):
        select_files(STUDY, 5)


def test_fit_line_is_exact_on_a_line_and_least_squares_off_it() -> None:
    assert fit_line([(1, 3.5), (10, 4.0), (100, 9.0)]) == pytest.approx((3.4444, 0.0556), abs=1e-4)
    fixed, slope = fit_line([(0, 2.0), (10, 3.0)])
    assert (fixed, slope) == pytest.approx((2.0, 0.1))
    # (0,0), (1,1), (2,3): slope 1.5, fixed -1/6
    assert fit_line([(0, 0), (1, 1), (2, 3)]) == pytest.approx((-1 / 6, 1.5))
    with pytest.raises(ValueError):
        fit_line([(5, 1.0), (5, 2.0)])


def test_segments_split_at_the_process_pool_threshold() -> None:
    rows = [
        {"files": 1, "cpu_s": 3.0},
        {"files": 10, "cpu_s": 3.09},
        {"files": 100, "cpu_s": 3.99},
        {"files": 1000, "cpu_s": 20.0},
        {"files": 10000, "cpu_s": 200.0},
    ]
    got = fit_segments(rows, threshold=1000)
    assert got["below"][:2] == pytest.approx((2.99, 0.01))
    assert got["below"][2] == [1, 10, 100]
    assert got["from"][:2] == pytest.approx((0.0, 0.02), abs=1e-9)
    assert got["from"][2] == [1000, 10000]
    # one size on a side is no line: that side is left out
    assert set(fit_segments(rows[:4], threshold=1000)) == {"below"}
