"""Resting HR: lowest 30-minute rolling mean in main sleep, coverage, fallback (docs/metrics.md)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from metrics_frames import athletes, empty, frame, hr_per_minute, stages, summaries, utc

from metrics.nightly import nightly_metrics

START = utc(2025, 3, 2, 0)
NIGHT = date(2025, 3, 2)


def period(minutes: int) -> pl.DataFrame:
    return stages([("light", START, START + timedelta(minutes=minutes))])


def nightly(stage_frame, hr, dev=None) -> dict:
    out = nightly_metrics(
        stage_frame,
        hr,
        empty("rr_intervals"),
        empty("hrv_samples"),
        dev if dev is not None else empty("device_summaries"),
        athletes(("a", "UTC")),
    )
    assert out.height == 1
    return out.row(0, named=True)


def test_lowest_30_minute_window_not_the_lowest_minute():
    # 3 h at 60 bpm; a 30-minute block at 50 (minutes 60-89); a single minute at 30.
    # Window over 60-89 = 50; any window holding minute 150 = (29*60 + 30)/30 = 59.
    bpm = [60] * 180
    bpm[60:90] = [50] * 30
    bpm[150] = 30
    row = nightly(period(180), hr_per_minute(START, bpm))
    assert row["resting_hr"] == 50.0
    assert row["resting_hr_method"] == "sleep_hr_30min"
    assert row["resting_hr_coverage"] == 1.0
    assert row["resting_hr_file_id"] == "h1"


def test_per_minute_means_keep_a_1hz_strap_from_dominating():
    # minute 0: 60 samples at 30 bpm (1 Hz); minutes 1-29: one sample at 60.
    # per-minute: (30 + 29*60)/30 = 59.0 (a plain sample mean would give 39.8)
    burst = frame(
        "heart_rate",
        [
            {"athlete_id": "a", "file_id": "strap", "ts": START + timedelta(seconds=s), "bpm": 30}
            for s in range(60)
        ],
    )
    hr = burst.vstack(hr_per_minute(START + timedelta(minutes=1), [60] * 29))
    row = nightly(period(30), hr)
    assert row["resting_hr"] == pytest.approx(59.0)
    assert row["resting_hr_file_id"] == "strap"  # most samples


def test_samples_in_one_minute_are_averaged():
    two = frame(
        "heart_rate",
        [
            {"athlete_id": "a", "file_id": "h1", "ts": START + timedelta(minutes=m, seconds=s),
             "bpm": b}
            for m in range(30)
            for s, b in ((0, 48), (30, 52))
        ],
    )  # fmt: skip
    assert nightly(period(30), two)["resting_hr"] == 50.0


def test_window_needs_20_minutes_with_a_value():
    # samples in minutes 0-15 (16) + 4 held minutes = 20 slots of the 30-minute window
    row = nightly(period(30), hr_per_minute(START, [55] * 16))
    assert row["resting_hr"] == 55.0
    assert row["resting_hr_coverage"] == pytest.approx(20 / 30)
    # minutes 0-14 (15) + 4 held = 19 slots: no valid window
    row = nightly(period(30), hr_per_minute(START, [55] * 15))
    assert row["resting_hr"] is None
    assert row["resting_hr_method"] is None


def test_no_valid_window_falls_back_to_the_device_value():
    dev = summaries([(NIGHT, "resting_hr", 49.0)])
    row = nightly(period(30), hr_per_minute(START, [55] * 15), dev)
    assert (row["resting_hr"], row["resting_hr_method"]) == (49.0, "device")
    assert row["resting_hr_file_id"] == "d1"
    assert row["resting_hr_coverage"] is None


def test_a_five_minute_logger_is_fully_covered():
    bpm = [52 if m % 5 == 0 else None for m in range(60)]
    row = nightly(period(60), hr_per_minute(START, bpm))
    assert (row["resting_hr"], row["resting_hr_coverage"]) == (52.0, 1.0)


def test_a_six_minute_logger_leaves_one_minute_in_six_empty():
    # each sample fills its own minute + 4 held: 50 of 60 minutes
    bpm = [52 if m % 6 == 0 else None for m in range(60)]
    row = nightly(period(60), hr_per_minute(START, bpm))
    assert row["resting_hr_coverage"] == pytest.approx(50 / 60)
    assert row["resting_hr"] == 52.0


def test_coverage_under_half_falls_back_to_device():
    dev = summaries([(NIGHT, "resting_hr", 51.0)])
    # minutes 0-49 + 4 held = 54 of 120 = 0.45
    row = nightly(period(120), hr_per_minute(START, [45] * 50), dev)
    assert (row["resting_hr"], row["resting_hr_method"]) == (51.0, "device")
    # minutes 0-55 + 4 held = 60 of 120 = 0.5: enough
    row = nightly(period(120), hr_per_minute(START, [45] * 56), dev)
    assert (row["resting_hr"], row["resting_hr_method"]) == (45.0, "sleep_hr_30min")
    assert row["resting_hr_coverage"] == 0.5


def test_heart_rate_outside_the_main_period_is_ignored():
    # 60 min of sleep at 50; 30 minutes at 40 before sleep and after waking
    hr = hr_per_minute(START - timedelta(minutes=30), [40] * 30 + [50] * 60 + [40] * 30)
    assert nightly(period(60), hr)["resting_hr"] == 50.0


def test_heart_rate_during_a_nap_is_not_the_nights():
    night = stages(
        [("light", START, START + timedelta(hours=2)),
         ("light", START + timedelta(hours=12), START + timedelta(hours=13))]
    )  # fmt: skip
    hr = hr_per_minute(START, [55] * 120).vstack(
        hr_per_minute(START + timedelta(hours=12), [41] * 60)
    )
    assert nightly(night, hr)["resting_hr"] == 55.0


def test_provenance_is_the_file_with_most_samples_in_sleep():
    hr = hr_per_minute(START, [50] * 40, file_id="x").vstack(
        hr_per_minute(START + timedelta(seconds=30), [50] * 60, file_id="y")
    )
    assert nightly(period(60), hr)["resting_hr_file_id"] == "y"
