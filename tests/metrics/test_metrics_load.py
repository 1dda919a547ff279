"""TRIMP per activity (Banister, from HR samples or average HR) and the daily load table."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest
from metrics_frames import athletes, empty, frame, utc

from metrics.load import DAILY_COLUMNS, activity_trimp, daily_metrics

T0 = utc(2025, 3, 1, 8)


def activity(start=T0, minutes=10.0, avg_hr=None, sport="running", sub_sport=None,
             athlete="a", file_id="act"):  # fmt: skip
    return frame("activities", [{
        "athlete_id": athlete, "file_id": file_id, "start_ts": start,
        "duration_s": minutes * 60, "sport": sport, "sub_sport": sub_sport, "avg_hr": avg_hr,
    }])  # fmt: skip


def hr_1hz(start, bpms, athlete="a"):
    return frame("heart_rate", [
        {"athlete_id": athlete, "file_id": "h", "ts": start + timedelta(seconds=i), "bpm": b,
         "context": "activity"}
        for i, b in enumerate(bpms)
    ])  # fmt: skip


def person(**facts):
    return athletes(("a", "UTC"), **facts)


def bt(minutes, hr, rest=60.0, hr_max=190.0, k=1.795):
    """Banister TRIMP by hand: minutes x HRr x 0.64 x e^(k HRr)."""
    hrr = (hr - rest) / (hr_max - rest)
    return minutes * hrr * 0.64 * math.exp(k * hrr)


def test_banister_integrated_over_hr_samples():
    # HRmax 190, HRrest 60, sex unknown (k 1.795): 5 min at 171 bpm (HRr 0.8538) = 12.651
    # and 5 min at 95 bpm (HRr 0.2692) = 1.397; together 14.049
    out = activity_trimp(activity(), hr_1hz(T0, [171] * 300 + [95] * 300), person(hr_max=190.0))
    assert out["trimp"].item() == pytest.approx(bt(5, 171) + bt(5, 95))
    assert out["trimp"].item() == pytest.approx(14.0487, abs=1e-4)
    assert out["trimp_method"].item() == "banister_hr"


def test_one_scale_samples_and_average_hr_agree_for_a_steady_hour():
    """The issue-13 case: an hour at 150 bpm scored 180 (Edwards, samples) and 85 (Banister,
    average HR). Now both recordings give the same number."""
    watch = activity_trimp(activity(minutes=60, avg_hr=150.0), hr_1hz(T0, [150] * 3600),
                           person(hr_max=190.0, sex="M"))  # fmt: skip
    app = activity_trimp(activity(minutes=60, avg_hr=150.0), empty("heart_rate"),
                         person(hr_max=190.0, sex="M"))  # fmt: skip
    assert watch["trimp_method"].item() == "banister_hr"
    assert app["trimp_method"].item() == "banister_avg_hr"
    assert watch["trimp"].item() == pytest.approx(app["trimp"].item())
    assert app["trimp"].item() == pytest.approx(bt(60, 150, k=1.92))  # 84.6


def test_samples_clipped_to_hrr_range_and_gaps_not_counted():
    # HRmax 200: 210 bpm counts as HRr 1 (at or above HRmax), 50 bpm as HRr 0. The 120th
    # sample at 210 stands for 30 s of the 5-minute silence after it (at most 30 s), so
    # 119 + 30 = 149 s at HRr 1
    hr = hr_1hz(T0, [210] * 120).vstack(hr_1hz(T0 + timedelta(minutes=7), [50] * 180))
    out = activity_trimp(activity(), hr, person(hr_max=200.0))
    assert out["trimp"].item() == pytest.approx(bt(149 / 60, 200, hr_max=200.0))
    assert out["trimp_method"].item() == "banister_hr"  # 329 s of 600 s covered


def test_hr_max_from_age_then_default():
    bpms = [162] * 600  # HRmax = 220 - (2025 - 1985) = 180
    by_age = activity_trimp(activity(), hr_1hz(T0, bpms), person(birth_year=1985))
    assert by_age["trimp"].item() == pytest.approx(bt(10, 162, hr_max=180.0))
    default = activity_trimp(activity(), hr_1hz(T0, bpms), person())
    assert default["trimp"].item() == pytest.approx(bt(10, 162, hr_max=190.0))


def test_sparse_hr_falls_back_to_banister():
    # 4 min of samples in a 10-min session: 40 % < 50 % coverage
    out = activity_trimp(
        activity(minutes=10, avg_hr=150.0), hr_1hz(T0, [150] * 240), person(hr_max=190.0, sex="M")
    )
    hrr = (150 - 60) / (190 - 60)
    assert out["trimp"].item() == pytest.approx(10 * hrr * 0.64 * math.exp(1.92 * hrr))
    assert out["trimp_method"].item() == "banister_avg_hr"


@pytest.mark.parametrize(("sex", "k"), [("M", 1.92), ("F", 1.67), (None, 1.795)])
def test_banister_sex_specific_k(sex, k):
    out = activity_trimp(
        activity(minutes=60, avg_hr=120.0), empty("heart_rate"), person(hr_max=190.0, sex=sex)
    )
    hrr = 60 / 130
    assert out["trimp"].item() == pytest.approx(60 * hrr * 0.64 * math.exp(k * hrr))


def test_banister_hr_rest_from_the_latest_nightly_resting_hr():
    nightly = pl.DataFrame(
        {"athlete_id": ["a", "a"], "night": [date(2025, 2, 27), date(2025, 3, 1)],
         "resting_hr": [40.0, 45.0]}
    )  # fmt: skip
    out = activity_trimp(
        activity(minutes=60, avg_hr=120.0),
        empty("heart_rate"),
        person(hr_max=190.0, sex="M"),
        nightly=nightly,
    )
    hrr = (120 - 45) / (190 - 45)
    assert out["trimp"].item() == pytest.approx(60 * hrr * 0.64 * math.exp(1.92 * hrr))


def test_no_hr_at_all_gives_null_trimp_and_keeps_rows():
    acts = activity().vstack(activity(start=T0 + timedelta(hours=3), avg_hr=140.0, file_id="b"))
    out = activity_trimp(acts.with_columns(trimp=pl.lit(1.0)), empty("heart_rate"), person())
    assert out["file_id"].to_list() == ["act", "b"]
    assert out["trimp"].to_list()[0] is None
    assert out["trimp_method"].to_list() == [None, "banister_avg_hr"]
    assert out.columns == [*acts.columns, "trimp", "trimp_method"]


def loads(values: list[float], start=date(2025, 3, 1), sport="running", sub_sport=None):
    """Activities with a given trimp on consecutive UTC days (0 = no activity)."""
    rows = [
        {"athlete_id": "a", "file_id": f"f{i}", "start_ts": utc(start.year, start.month,
         start.day, 12) + timedelta(days=i), "duration_s": 3600.0, "sport": sport,
         "sub_sport": sub_sport}
        for i, v in enumerate(values) if v
    ]  # fmt: skip
    trimps = [v for v in values if v]
    return frame("activities", rows).with_columns(
        trimp=pl.Series(trimps, dtype=pl.Float64), trimp_method=pl.lit("banister_hr")
    )


def test_daily_columns_and_rest_days():
    out = daily_metrics(loads([10, 0, 20]), person())
    assert out.schema == pl.Schema(DAILY_COLUMNS)
    assert out["day"].to_list() == [date(2025, 3, d) for d in (1, 2, 3)]
    assert out["is_rest_day"].to_list() == [False, True, False]
    assert out["load_trimp"].to_list() == [10.0, 0.0, 20.0]
    assert out["sedentary_hours"].to_list() == [None] * 3
    assert out["steps"].to_list() == [None] * 3


def test_local_day_of_an_activity():
    # 20:00 UTC on 1 March is 05:00 on 2 March in Tokyo
    acts = loads([30])
    acts = acts.with_columns(start_ts=pl.lit(utc(2025, 3, 1, 20)))
    out = daily_metrics(acts, athletes(("a", "Asia/Tokyo")))
    assert out["day"].to_list() == [date(2025, 3, 2)]


def test_acute_and_chronic_rolling_means():
    values = [float(i % 5) * 10 for i in range(1, 37)]  # 10, 20, 30, 40, 0 (rest), 10, ...
    out = daily_metrics(loads(values), person())
    acute, chronic = out["acute_load"].to_list(), out["chronic_load"].to_list()
    assert acute[:6] == [None] * 6
    assert acute[6] == pytest.approx(sum(values[0:7]) / 7)
    assert acute[34] == pytest.approx(sum(values[28:35]) / 7)
    assert chronic[:27] == [None] * 27
    assert chronic[27] == pytest.approx(sum(values[0:28]) / 28)
    assert out["acwr"].to_list()[34] == pytest.approx(acute[34] / chronic[34])


def test_strength_load():
    acts = pl.concat(
        [
            loads([20], sport="training", sub_sport="strength_training"),
            loads([15], sport="strength_training"),
            loads([30], sport="training", sub_sport="generic"),
        ]
    )
    out = daily_metrics(acts, person())
    assert out["strength_load"].to_list() == [35.0]
    assert out["load_trimp"].to_list() == [65.0]


def test_calendar_spans_other_days_with_data():
    nightly = pl.DataFrame({"athlete_id": ["a"], "night": [date(2025, 3, 5)]})
    out = daily_metrics(loads([10]), person(), nightly)
    assert out["day"].to_list() == [date(2025, 3, d) for d in range(1, 6)]
    assert out["is_rest_day"].to_list() == [False, True, True, True, True]
