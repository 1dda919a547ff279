"""nightly_metrics as a whole: columns, device-only nights, fallbacks, baselines."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from metrics_frames import athletes, empty, stages, summaries, utc

from metrics.nightly import NIGHTLY_COLUMNS, nightly_metrics

#: The names the warehouse and analysts rely on, in order (docs/schema.md + the brief).
CONTRACT = [
    "athlete_id", "night", "sleep_start", "sleep_end", "sleep_hours", "sleep_method",
    "sleep_coverage", "resting_hr", "resting_hr_method", "resting_hr_coverage", "hrv_ms",
    "hrv_method", "hrv_coverage", "resting_hr_baseline", "hrv_baseline_ms",
    "sleep_hours_baseline", "sleep_file_id", "resting_hr_file_id", "hrv_file_id",
]  # fmt: skip


def run(stage_frame=None, dev=None, ath=None) -> pl.DataFrame:
    return nightly_metrics(
        stage_frame if stage_frame is not None else empty("sleep_stages"),
        empty("heart_rate"),
        empty("rr_intervals"),
        empty("hrv_samples"),
        dev if dev is not None else empty("device_summaries"),
        ath if ath is not None else athletes(("a", "UTC")),
    )


def test_column_contract():
    assert list(NIGHTLY_COLUMNS) == CONTRACT
    out = run(stages([("light", utc(2025, 3, 2, 0), utc(2025, 3, 2, 7))]))
    assert out.schema == pl.Schema(NIGHTLY_COLUMNS)


def test_no_input_gives_an_empty_frame_with_the_schema():
    out = run()
    assert out.is_empty()
    assert out.schema == pl.Schema(NIGHTLY_COLUMNS)


def test_a_night_with_only_device_summaries_still_gets_a_row():
    d = date(2025, 3, 5)
    dev = summaries(
        [(d, "sleep_hours", 7.2), (d, "resting_hr", 50.0), (d, "hrv_rmssd_ms", 60.0),
         (d, "steps", 9000.0)]
    )  # fmt: skip
    row = run(dev=dev).row(0, named=True)
    assert row["night"] == d
    assert (row["sleep_hours"], row["sleep_method"], row["sleep_start"]) == (7.2, "device", None)
    assert (row["resting_hr"], row["resting_hr_method"]) == (50.0, "device")
    assert (row["hrv_ms"], row["hrv_method"]) == (60.0, "device_nightly")
    assert row["sleep_file_id"] == row["resting_hr_file_id"] == row["hrv_file_id"] == "d1"
    assert row["sleep_coverage"] is row["resting_hr_coverage"] is row["hrv_coverage"] is None


def test_summaries_with_only_unused_metrics_make_no_night():
    assert run(dev=summaries([(date(2025, 3, 5), "hrv_sdnn_ms", 40.0)])).is_empty()


def test_two_files_for_one_device_value_pick_deterministically():
    d = date(2025, 3, 5)
    dev = summaries([(d, "resting_hr", 52.0)], file_id="f2").vstack(
        summaries([(d, "resting_hr", 50.0)], file_id="f1")
    )
    row = run(dev=dev).row(0, named=True)
    assert (row["resting_hr"], row["resting_hr_file_id"]) == (50.0, "f1")


def test_baselines_come_from_previous_nights_only():
    first = date(2025, 3, 1)
    rows = [(first + timedelta(days=i), "resting_hr", 50.0 + i) for i in range(8)]
    out = run(dev=summaries(rows))
    base = out["resting_hr_baseline"].to_list()
    # nights 1-7 have fewer than 7 previous nights; night 8 has 50..56 -> 53
    assert base[:7] == [None] * 7
    assert base[7] == 53.0
    assert out["hrv_baseline_ms"].to_list() == [None] * 8
