"""Personal baselines: previous 28 calendar nights, at least 7, current night excluded."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.baseline import trailing_mean, trailing_std, with_baselines

D = date(2025, 6, 30)


def frame(values: dict[int, float | None], athlete: str = "a") -> pl.DataFrame:
    """Nights keyed by offset from D (negative = before D)."""
    return pl.DataFrame(
        {
            "athlete_id": [athlete] * len(values),
            "night": [D + timedelta(days=k) for k in values],
            "v": list(values.values()),
        },
        schema={"athlete_id": pl.String, "night": pl.Date, "v": pl.Float64},
    )


def baseline_at_d(values: dict[int, float | None]) -> float | None:
    out = with_baselines(frame(values), {"v": "b"})
    return out.filter(pl.col("night") == D)["b"].item()


def test_six_previous_nights_are_not_enough_seven_are():
    six = {-k: 50.0 for k in range(1, 7)} | {0: 99.0}
    assert baseline_at_d(six) is None
    seven = six | {-7: 57.0}
    assert baseline_at_d(seven) == pytest.approx((6 * 50 + 57) / 7)


def test_current_night_is_excluded():
    prev = {-k: 50.0 for k in range(1, 8)}
    assert baseline_at_d(prev | {0: 50.0}) == baseline_at_d(prev | {0: 500.0}) == 50.0


def test_window_is_nights_d_minus_28_to_d_minus_1():
    prev = {-k: 50.0 for k in range(1, 8)}
    assert baseline_at_d(prev | {-28: 120.0, 0: 0.0}) == pytest.approx((7 * 50 + 120) / 8)
    assert baseline_at_d(prev | {-29: 120.0, 0: 0.0}) == 50.0


def test_null_nights_do_not_count():
    six = {-k: 50.0 for k in range(1, 7)}
    assert baseline_at_d(six | {-7: None, 0: 1.0}) is None


def test_athletes_do_not_share_baselines():
    a = frame({-k: 50.0 for k in range(1, 8)} | {0: 1.0}, "a")
    b = frame({0: 1.0}, "b")
    out = with_baselines(pl.concat([b, a]), {"v": "b"}).filter(pl.col("night") == D)
    assert dict(out.select("athlete_id", "b").rows()) == {"a": 50.0, "b": None}


def test_trailing_std_is_the_sample_sd():
    vals = {
        -k: float(v) for k, v in zip(range(1, 9), [50, 52, 47, 55, 49, 51, 60, 44], strict=True)
    }
    out = (
        frame(vals | {0: 0.0})
        .sort("night")
        .with_columns(s=trailing_std("v").over("athlete_id"))
        .filter(pl.col("night") == D)
    )
    assert out["s"].item() == pytest.approx(statistics.stdev(vals.values()))


nights = st.dictionaries(
    st.integers(min_value=-60, max_value=0),
    st.one_of(st.none(), st.floats(min_value=20, max_value=120)),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(nights)
def test_baseline_matches_the_definition_and_never_sees_the_current_night(values):
    f = frame(values)
    got = dict(
        f.sort("night")
        .with_columns(b=trailing_mean("v").over("athlete_id"))
        .select("night", "b")
        .rows()
    )
    present = {D + timedelta(days=k): v for k, v in values.items() if v is not None}
    for night, b in got.items():
        prev = [v for n, v in present.items() if night - timedelta(days=28) <= n < night]
        if len(prev) >= 7:
            assert b == pytest.approx(statistics.fmean(prev))
        else:
            assert b is None
    if 0 in values:  # changing the current night's value never moves its own baseline
        changed = with_baselines(frame(values | {0: 1000.0}), {"v": "b"})
        assert changed.filter(pl.col("night") == D)["b"].item() == got[D]
