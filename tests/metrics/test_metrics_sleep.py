"""Night assignment and sleep periods (docs/metrics.md), on hand-built stage frames."""

from __future__ import annotations

from datetime import date

import pytest
from metrics_frames import athletes, empty, stage_runs, stages, summaries, utc

from metrics.nightly import nightly_metrics
from metrics.sleep import main_sleep


def nightly(stage_frame, ath=None, dev=None):
    return nightly_metrics(
        stage_frame,
        empty("heart_rate"),
        empty("rr_intervals"),
        empty("hrv_samples"),
        dev if dev is not None else empty("device_summaries"),
        ath if ath is not None else athletes(("a", "UTC")),
    )


def test_tokyo_night_is_the_local_wake_up_date():
    # 23:00-06:30 JST = 14:00-21:30 UTC on 1 March: the wake-up date in Tokyo is 2 March
    s = stages([("light", utc(2025, 3, 1, 14), utc(2025, 3, 1, 21, 30))])
    tokyo = nightly(s, athletes(("a", "Asia/Tokyo")))
    assert tokyo["night"].to_list() == [date(2025, 3, 2)]
    assert tokyo["sleep_hours"].to_list() == [7.5]
    assert tokyo["sleep_start"].to_list() == [utc(2025, 3, 1, 14)]
    assert tokyo["sleep_end"].to_list() == [utc(2025, 3, 1, 21, 30)]
    assert nightly(s, athletes(("a", "UTC")))["night"].to_list() == [date(2025, 3, 1)]


def test_athlete_without_a_record_is_utc():
    s = stages([("light", utc(2025, 3, 1, 14), utc(2025, 3, 1, 21, 30))])
    assert nightly(s, athletes(("someone_else", "Asia/Tokyo")))["night"].to_list() == [
        date(2025, 3, 1)
    ]


def test_spring_dst_night_counts_real_hours():
    # 23:00 CET -> 07:00 CEST: 8 h on the wall clock, 7 h asleep
    s = stages([("light", utc(2025, 3, 29, 22), utc(2025, 3, 30, 5))])
    row = nightly(s, athletes(("a", "Europe/Amsterdam"))).row(0, named=True)
    assert row["night"] == date(2025, 3, 30)
    assert row["sleep_hours"] == 7.0


def test_autumn_dst_night_counts_real_hours():
    # 23:00 CEST -> 07:00 CET: 8 h on the wall clock, 9 h asleep
    s = stages([("deep", utc(2025, 10, 25, 21), utc(2025, 10, 26, 6))])
    row = nightly(s, athletes(("a", "Europe/Amsterdam"))).row(0, named=True)
    assert row["night"] == date(2025, 10, 26)
    assert row["sleep_hours"] == 9.0


def test_wake_up_date_uses_the_offset_in_force_that_day():
    # waking 22:30 UTC: 00:30 next day in summer (+2), 23:30 same day in winter (+1).
    # Any fixed offset gets one of the two wrong.
    s = stages(
        [
            ("light", utc(2025, 3, 30, 15), utc(2025, 3, 30, 22, 30)),
            ("light", utc(2025, 11, 2, 15), utc(2025, 11, 2, 22, 30)),
        ]
    )
    got = nightly(s, athletes(("a", "Europe/Amsterdam")))["night"].to_list()
    assert got == [date(2025, 3, 31), date(2025, 11, 2)]


def test_posix_style_zone_name():
    # Etc/GMT-2 is UTC+2 (POSIX signs are inverted)
    s = stages([("light", utc(2025, 6, 1, 15), utc(2025, 6, 1, 22, 30))])
    assert nightly(s, athletes(("a", "Etc/GMT-2")))["night"].to_list() == [date(2025, 6, 2)]


def test_two_athletes_in_different_zones_in_one_frame():
    s = stages([("light", utc(2025, 3, 1, 14), utc(2025, 3, 1, 21, 30))], athlete="t").vstack(
        stages([("light", utc(2025, 3, 1, 14), utc(2025, 3, 1, 21, 30))], athlete="u")
    )
    got = nightly(s, athletes(("t", "Asia/Tokyo"), ("u", "America/New_York")))
    assert got.select("athlete_id", "night").rows() == [
        ("t", date(2025, 3, 2)),
        ("u", date(2025, 3, 1)),
    ]


def test_45_minute_awake_gap_joins_runs():
    runs = stage_runs(utc(2025, 3, 1, 23), [("light", 180), ("awake", 45), ("deep", 195)])
    row = nightly(stages(runs)).row(0, named=True)
    assert row["sleep_start"] == utc(2025, 3, 1, 23)
    assert row["sleep_end"] == utc(2025, 3, 2, 6)
    assert row["sleep_hours"] == 6.25  # 180 + 195 min; the awake 45 min excluded


def test_45_minute_gap_without_any_record_joins_too():
    runs = stage_runs(utc(2025, 3, 1, 23), [("light", 180), ("awake", 45), ("deep", 195)])
    row = nightly(stages([r for r in runs if r[0] != "awake"])).row(0, named=True)
    assert row["sleep_start"] == utc(2025, 3, 1, 23)
    assert row["sleep_hours"] == 6.25
    assert row["sleep_coverage"] == pytest.approx(375 / 420)  # the gap is unmeasured


def test_75_minute_gap_splits_and_the_longer_period_is_main():
    runs = stage_runs(utc(2025, 3, 1, 22), [("light", 180), ("awake", 75), ("deep", 240)])
    row = nightly(stages(runs)).row(0, named=True)
    assert row["sleep_start"] == utc(2025, 3, 2, 2, 15)
    assert row["sleep_end"] == utc(2025, 3, 2, 6, 15)
    assert row["sleep_hours"] == 4.0


def test_exactly_60_minute_gap_splits():
    runs = stage_runs(utc(2025, 3, 1, 22), [("light", 240), ("awake", 60), ("rem", 120)])
    row = nightly(stages(runs)).row(0, named=True)
    assert (row["sleep_start"], row["sleep_end"]) == (utc(2025, 3, 1, 22), utc(2025, 3, 2, 2))
    assert row["sleep_hours"] == 4.0


def test_59_minute_gap_joins():
    runs = stage_runs(utc(2025, 3, 1, 22), [("light", 240), ("awake", 59), ("rem", 120)])
    assert nightly(stages(runs))["sleep_hours"].to_list() == [6.0]


def test_longest_period_beats_an_afternoon_nap_on_the_same_date():
    night = stage_runs(utc(2025, 3, 1, 22), [("light", 200), ("deep", 100), ("rem", 120)])
    nap = stage_runs(utc(2025, 3, 2, 13), [("light", 20), ("deep", 70)])
    got = nightly(stages(night + nap))
    assert got.height == 1
    row = got.row(0, named=True)
    assert row["night"] == date(2025, 3, 2)
    assert row["sleep_hours"] == 7.0
    assert row["sleep_end"] == utc(2025, 3, 2, 5)


def test_unmeasurable_and_awake_are_not_sleep_and_coverage_counts_measured_time():
    runs = stage_runs(utc(2025, 3, 1, 23), [("light", 120), ("unmeasurable", 30), ("deep", 150)])
    row = nightly(stages(runs)).row(0, named=True)
    assert row["sleep_hours"] == 4.5
    assert row["sleep_coverage"] == pytest.approx(270 / 300)
    runs = stage_runs(utc(2025, 3, 1, 23), [("light", 120), ("awake", 30), ("asleep", 150)])
    row = nightly(stages(runs)).row(0, named=True)
    assert (row["sleep_hours"], row["sleep_coverage"]) == (4.5, 1.0)


def test_overlapping_files_count_each_minute_once_and_name_the_larger_file():
    a = stages([("light", utc(2025, 3, 2, 0), utc(2025, 3, 2, 4))], file_id="A")
    b = stages([("light", utc(2025, 3, 2, 2), utc(2025, 3, 2, 7))], file_id="B")
    row = nightly(a.vstack(b)).row(0, named=True)
    assert row["sleep_hours"] == 7.0
    assert row["sleep_file_id"] == "B"
    assert row["sleep_method"] == "stages"


def test_stages_win_over_device_sleep_hours():
    s = stages([("light", utc(2025, 3, 2, 0), utc(2025, 3, 2, 6))])
    dev = summaries([(date(2025, 3, 2), "sleep_hours", 7.9)])
    row = nightly(s, dev=dev).row(0, named=True)
    assert (row["sleep_hours"], row["sleep_method"], row["sleep_file_id"]) == (6.0, "stages", "s1")


def test_main_sleep_of_nothing_is_empty():
    assert main_sleep(empty("sleep_stages"), athletes(("a", "UTC"))).is_empty()
