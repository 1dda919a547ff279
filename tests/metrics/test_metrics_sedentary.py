"""sedentary_hours (heart-rate approximation), strength recognition and weekly load."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from metrics_frames import athletes, frame, stages, utc

from metrics.load import daily_metrics, is_strength, sedentary_hours, weekly_load

T0 = utc(2025, 3, 3, 7)  # a Monday, 07:00 UTC


def hr(start, minutes, bpm, step_min=2, athlete="a"):
    return [{"athlete_id": athlete, "file_id": "w", "ts": start + timedelta(minutes=m),
             "bpm": bpm, "context": "monitoring"} for m in range(0, minutes, step_min)]


def person():
    # HRmax 190, no nightly: HRrest 60 -> sitting below 60 + 0.3 x 130 = 99 bpm
    return athletes(("a", "UTC"), hr_max=190.0)


def test_low_heart_rate_outside_bed_and_training_counts_as_sitting():
    rows = (hr(T0, 120, 80)  # 2 h sitting
            + hr(T0 + timedelta(hours=2), 60, 110)  # 1 h walking (>= 99 bpm)
            + hr(T0 + timedelta(hours=3), 60, 85)  # 1 h of training, excluded
            + hr(T0 + timedelta(hours=4), 60, 98))  # 1 h sitting (98 < 99)
    act = frame("activities", [{"athlete_id": "a", "file_id": "x",
                                "start_ts": T0 + timedelta(hours=3), "duration_s": 3600.0}])
    out = sedentary_hours(frame("heart_rate", rows), None, act, person())
    # 120 min + 58 min + the last sample's 5 minutes (each sample: to the next, at most 5 min)
    assert out.rows() == [("a", date(2025, 3, 3), pytest.approx(183 / 60))]


def test_time_in_bed_is_excluded_but_a_long_awake_record_is_not():
    rows = hr(T0, 180, 70)
    bed = stages([("light", T0, T0 + timedelta(minutes=30)),
                  ("awake", T0 + timedelta(minutes=30), T0 + timedelta(minutes=40)),
                  ("awake", T0 + timedelta(minutes=40), T0 + timedelta(minutes=160))])
    out = sedentary_hours(frame("heart_rate", rows), bed, None, person())
    # in bed: 0-40 min (light, and 10 min awake in bed); the 2-h awake record is the day
    assert out["sedentary_hours"].item() == pytest.approx((178 - 40 + 5) / 60)


def test_gaps_cap_and_days_without_enough_wear():
    rows = hr(T0, 60, 70, step_min=20)  # samples 20 min apart: each stands for 5 minutes
    out = sedentary_hours(frame("heart_rate", rows), None, None, person())
    assert out.height == 0  # 15 minutes of worn time: under the 1-h minimum -> no value
    rows = hr(T0, 600, 70, step_min=20)
    out = sedentary_hours(frame("heart_rate", rows), None, None, person())
    assert out["sedentary_hours"].item() == pytest.approx(30 * 5 / 60)


def test_resting_hr_from_the_nights_moves_the_limit():
    rows = hr(T0, 121, 95)
    nightly = pl.DataFrame({"athlete_id": ["a"], "night": [date(2025, 3, 3)],
                            "resting_hr": [40.0]})
    # HRrest 40: limit 40 + 0.3 x 150 = 85 -> 95 bpm is not sitting
    out = sedentary_hours(frame("heart_rate", rows), None, None, person(), nightly=nightly)
    assert out["sedentary_hours"].item() == 0.0
    out = sedentary_hours(frame("heart_rate", rows), None, None, person())
    assert out["sedentary_hours"].item() == pytest.approx(125 / 60)


def test_daily_metrics_carries_sedentary_hours_when_given_heart_rate():
    rows = hr(T0, 121, 80)
    act = frame("activities", [{"athlete_id": "a", "file_id": "x", "start_ts": T0 + timedelta(
        days=1), "duration_s": 600.0, "sport": "running"}]).with_columns(trimp=pl.lit(10.0))
    first = pl.DataFrame({"athlete_id": ["a"], "day": [date(2025, 3, 3)]})
    d = daily_metrics(act, person(), first, heart_rate=frame("heart_rate", rows))
    assert d["sedentary_hours"].to_list() == [pytest.approx(125 / 60), None]
    assert daily_metrics(act, person())["sedentary_hours"].null_count() == 1


@pytest.mark.parametrize(("sport", "sub_sport", "strength"), [
    ("training", "strength_training", True), ("strength_training", None, True),
    ("Weight_Training", None, True), ("training", None, False), ("running", "road", False),
    (None, None, False), ("weightlifting", None, True),
])  # fmt: skip
def test_strength_names(sport, sub_sport, strength):
    df = pl.DataFrame({"sport": [sport], "sub_sport": [sub_sport]},
                      schema={"sport": pl.String, "sub_sport": pl.String})
    assert df.select(is_strength()).item() is strength


def test_weekly_load_iso_weeks():
    days = [date(2025, 3, 1) + timedelta(days=i) for i in range(10)]  # Sat .. Mon+1
    d = pl.DataFrame({"athlete_id": ["a"] * 10, "day": days, "is_rest_day": [False] * 10,
                      "load_trimp": [10.0] * 10, "strength_load": [0.0] * 9 + [5.0]})
    w = weekly_load(d)
    assert w.select("week_start", "days", "load_trimp", "strength_load").rows() == [
        (date(2025, 2, 24), 2, 20.0, 0.0), (date(2025, 3, 3), 7, 70.0, 0.0),
        (date(2025, 3, 10), 1, 10.0, 5.0)]  # fmt: skip
