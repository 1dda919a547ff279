"""Night HRV: RMSSD from RR with artifacts removed, then the device fallbacks (docs/metrics.md)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from metrics_frames import athletes, empty, frame, rr_series, stages, summaries, utc

from metrics.hrv import rr_successive_differences
from metrics.nightly import nightly_metrics
from metrics.sleep import main_sleep

START = utc(2025, 3, 2, 0)
NIGHT = date(2025, 3, 2)


def period(minutes: int) -> pl.DataFrame:
    return stages([("light", START, START + timedelta(minutes=minutes))])


def nightly(stage_frame, rr=None, hrv=None, dev=None) -> dict:
    out = nightly_metrics(
        stage_frame,
        empty("heart_rate"),
        rr if rr is not None else empty("rr_intervals"),
        hrv if hrv is not None else empty("hrv_samples"),
        dev if dev is not None else empty("device_summaries"),
        athletes(("a", "UTC")),
    )
    assert out.height == 1
    return out.row(0, named=True)


def alternating(a: float, b: float, until_ms: float) -> list[float]:
    """a, b, a, b, ... while their sum stays under `until_ms`."""
    out: list[float] = []
    while sum(out) + (b if len(out) % 2 else a) < until_ms:
        out.append(b if len(out) % 2 else a)
    return out


def windows(*series: list[float]) -> pl.DataFrame:
    """One RR series per 5-minute window, each starting at the window's start."""
    return pl.concat(
        rr_series(START + timedelta(minutes=5 * i), beats) for i, beats in enumerate(series)
    )


def two_windows() -> tuple[list[float], list[float]]:
    """Window 1: 1000/1050 ms with one 2500 ms artifact; every clean |diff| = 50.

    Window 2: 900/960 ms with an ectopic pair 600, 1260; every clean |diff| = 60.
    RMSSD by hand: window 1 = 50, window 2 = 60, night = (50 + 60) / 2 = 55.
    """
    w1 = alternating(1000, 1050, 295_000)
    w1[40] = 2500  # a missed beat: outside 300-2000 ms, both neighbouring diffs dropped
    w2 = alternating(900, 960, 295_000)
    i = 61 if w2[61] == 960 else 60
    w2[i + 1 : i + 1] = [600, 1260]  # premature beat + compensatory pause: > 20 % jumps
    assert sum(w1) < 300_000 and sum(w2) < 300_000
    return w1, w2


def test_rmssd_is_the_mean_of_5_minute_windows_with_artifacts_removed():
    row = nightly(period(10), windows(*two_windows()))
    assert row["hrv_ms"] == pytest.approx(55.0)
    assert row["hrv_method"] == "rr_rmssd_5min"
    assert row["hrv_coverage"] == 1.0
    assert row["hrv_file_id"] == "r1"


def test_which_differences_the_filter_drops():
    w1, w2 = two_windows()
    diffs = rr_successive_differences(
        windows(w1, w2), main_sleep(period(10), athletes(("a", "UTC")))
    )
    used = diffs.filter(pl.col("d").is_not_null())
    # n beats -> n-1 differences; dropped: 2 around the artifact, 3 around the ectopic
    # pair, 1 between the two series (each restarts at its window: a > 3 s gap)
    n = len(w1) + len(w2)
    assert diffs.height == n
    assert used.height == n - 1 - 2 - 3 - 1
    assert set(used.filter(pl.col("window") == 0)["d"].abs()) == {50.0}
    assert set(used.filter(pl.col("window") == 1)["d"].abs()) == {60.0}


def test_no_difference_across_a_window_boundary():
    # one continuous series: 146 x (1000, 1050) = 299.3 s, then 900/960 from 300.2 s on.
    # The 1050 -> 900 step (14 %, no gap) straddles the boundary and belongs to neither
    # window, so the windows stay exactly 50 and 60 ms.
    beats = [1000.0, 1050.0] * 146 + [900.0, 960.0] * 161
    row = nightly(period(10), rr_series(START, beats))
    assert row["hrv_ms"] == pytest.approx(55.0)


def test_beats_outside_300_to_2000_ms_are_artifacts_even_when_steady():
    # 2050/2100 ms alternation (29 bpm): small steps, but every beat is out of range
    rr = windows(alternating(2050, 2100, 295_000), alternating(1000, 1050, 295_000))
    row = nightly(period(10), rr)
    assert (row["hrv_ms"], row["hrv_coverage"]) == (pytest.approx(50.0), 0.5)


def test_no_difference_across_a_recording_gap():
    # 1000, 1050, then 5 s without beats, then 1000: the pair across the gap is not used
    rr = rr_series(START, [1000, 1050]).vstack(
        frame("rr_intervals", [{"athlete_id": "a", "file_id": "r1",
                                "ts": START + timedelta(milliseconds=2050 + 5000),
                                "rr_ms": 1000.0}])
    )  # fmt: skip
    diffs = rr_successive_differences(rr, main_sleep(period(10), athletes(("a", "UTC"))))
    assert diffs["d"].to_list() == [None, 50.0, None]


def test_duplicate_beats_from_two_files_are_counted_once():
    beats = alternating(1000, 1050, 295_000)
    rr = windows(beats, beats)
    rr = rr.vstack(rr.with_columns(file_id=pl.lit("r2")))
    assert nightly(period(10), rr)["hrv_ms"] == pytest.approx(50.0)


def test_window_needs_3_minutes_of_usable_beats():
    # window 1 holds 175 s of beats, window 2 a full 5 minutes: only window 2 counts
    rr = windows(alternating(1000, 1050, 175_000), alternating(900, 960, 295_000))
    row = nightly(period(10), rr)
    assert row["hrv_ms"] == pytest.approx(60.0)
    assert row["hrv_coverage"] == 0.5


def test_device_5min_values_when_rr_covers_too_little():
    # RR in 1 of 8 windows (0.125 < 0.25); device values in all 8 windows
    rr = windows(alternating(1000, 1050, 295_000))
    hrv = frame("hrv_samples", [
        {"athlete_id": "a", "file_id": "g1", "ts": START + timedelta(minutes=2 + 5 * i),
         "rmssd_ms": v}
        for i, v in enumerate([40, 42, 44, 46, 48, 50, 52, 54])
    ])  # fmt: skip
    row = nightly(period(40), rr, hrv)
    assert (row["hrv_ms"], row["hrv_method"], row["hrv_file_id"]) == (47.0, "device_5min", "g1")
    assert row["hrv_coverage"] == 1.0


def test_rr_from_a_quarter_of_the_windows_is_enough_and_wins():
    # RR in 2 of 8 windows = 0.25
    beats = alternating(1000, 1050, 295_000)
    hrv = frame("hrv_samples", [{"athlete_id": "a", "file_id": "g1", "ts": START,
                                 "rmssd_ms": 80.0}])  # fmt: skip
    row = nightly(period(40), windows(beats, beats), hrv)
    assert (row["hrv_ms"], row["hrv_method"], row["hrv_coverage"]) == (50.0, "rr_rmssd_5min", 0.25)


def test_device_nightly_when_neither_sample_source_covers_enough():
    hrv = frame("hrv_samples", [{"athlete_id": "a", "file_id": "g1", "ts": START,
                                 "rmssd_ms": 80.0}])  # fmt: skip
    dev = summaries([(NIGHT, "hrv_rmssd_ms", 62.0)], file_id="sum")
    row = nightly(period(40), hrv=hrv, dev=dev)
    assert (row["hrv_ms"], row["hrv_method"], row["hrv_file_id"]) == (62.0, "device_nightly", "sum")
    assert row["hrv_coverage"] is None


def test_sdnn_is_never_used_as_rmssd():
    dev = summaries([(NIGHT, "hrv_sdnn_ms", 45.0)], vendor="apple")
    row = nightly(period(40), dev=dev)
    assert (row["hrv_ms"], row["hrv_method"]) == (None, None)
