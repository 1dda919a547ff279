"""parsers.fit: FIT message frames -> canonical frames, checked value by value."""

from __future__ import annotations

from datetime import timedelta

import pytest
from parsers_testkit import T0, fit_seconds

from parsers.base import CANONICAL
from parsers.fit import parse

S = timedelta(seconds=1)
ENGINES = ["fitparse", "fast"]


def _check_schemas(parsed):
    for table, frame in parsed.frames.items():
        assert dict(frame.schema) == CANONICAL[table], table


@pytest.mark.parametrize("engine", ENGINES)
def test_monitoring_file(fit_builder, engine):
    start = fit_seconds(T0)
    msgs = [
        ("MONITORING_INFO", {"timestamp": start, "local_timestamp": start + 3600}),
        ("MONITORING", {"timestamp": start, "cycles": 0}),
        ("MONITORING", {"timestamp_16": (start + 60) & 0xFFFF, "heart_rate": 52}),
        ("MONITORING", {"timestamp_16": (start + 120) & 0xFFFF, "heart_rate": 255}),  # invalid
        ("MONITORING", {"timestamp_16": (start + 180) & 0xFFFF, "heart_rate": 49}),
        ("MONITORING_HR_DATA", {"timestamp": start + 200, "resting_heart_rate": 46,
                                "current_day_resting_heart_rate": 47}),
    ]
    parsed = parse(fit_builder(msgs), "m.fit", engine=engine)
    _check_schemas(parsed)
    assert (parsed.vendor, parsed.device) == ("garmin", "garmin fenix5_plus")
    assert parsed.utc_offset_s == 3600
    hr = parsed.frames["heart_rate"]
    assert hr["ts"].to_list() == [T0 + 60 * S, T0 + 180 * S]
    assert hr["bpm"].to_list() == [52, 49]
    assert set(hr["context"]) == {"monitoring"}
    summ = parsed.frames["device_summaries"].sort("metric")
    assert summ["metric"].to_list() == ["resting_hr", "resting_hr_7d_avg"]
    assert summ["value"].to_list() == [47.0, 46.0]
    assert summ["ts"].to_list() == [T0 + 200 * S] * 2
    assert summ["night"].null_count() == 2 and set(summ["vendor"]) == {"garmin"}
    assert parsed.problems == []


@pytest.mark.parametrize("engine", ENGINES)
def test_sleep_levels_to_stage_intervals(fit_builder, engine):
    start = fit_seconds(T0)
    levels = [(0, "light"), (300, "deep"), (900, "rem"), (1000, "awake"), (1500, 7)]
    msgs = [("SLEEP_LEVEL", {"timestamp": start + dt, "sleep_level": lv}) for dt, lv in levels]
    stages = parse(fit_builder(msgs, file_type=49), engine=engine).frames["sleep_stages"]
    assert stages.rows() == [
        (T0, T0 + 300 * S, "light"),
        (T0 + 300 * S, T0 + 900 * S, "deep"),
        (T0 + 900 * S, T0 + 1000 * S, "rem"),
        (T0 + 1000 * S, T0 + 1500 * S, "awake"),
        (T0 + 1500 * S, T0 + 1560 * S, "unmeasurable"),  # unknown level 7, last lasts 60 s
    ]


def test_all_awake_sleep_file_is_unmeasurable(fit_builder):
    """vivosmart 4 writes only 'awake' in 275: do not claim the athlete was awake."""
    start = fit_seconds(T0)
    msgs = [("SLEEP_LEVEL", {"timestamp": start + 60 * i, "sleep_level": "awake"})
            for i in range(4)]
    stages = parse(fit_builder(msgs, file_type=49), engine="fitparse").frames["sleep_stages"]
    assert stages["stage"].to_list() == ["unmeasurable"] * 4


@pytest.mark.parametrize("engine", ENGINES)
def test_beat_intervals_rr_timestamps(fit_builder, engine):
    start = fit_seconds(T0)
    msgs = [
        ("BEAT_INTERVALS", {"timestamp": start, "timestamp_ms": 250, "time": [800, 1000, 900]}),
        ("BEAT_INTERVALS", {"timestamp": start + 10, "timestamp_ms": 0, "time": [1200]}),
    ]
    rr = parse(fit_builder(msgs), engine=engine).frames["rr_intervals"]
    ms = timedelta(milliseconds=1)
    assert rr.rows() == [
        (T0 + 1050 * ms, 800.0),
        (T0 + 2050 * ms, 1000.0),
        (T0 + 2950 * ms, 900.0),
        (T0 + 11200 * ms, 1200.0),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_hrv_value_and_status_summary(fit_builder, engine):
    start = fit_seconds(T0)
    msgs = [
        ("HRV_VALUE", {"timestamp": start, "value": 42.5}),  # raw 5440 / 128
        ("HRV_VALUE", {"timestamp": start + 300, "value": 38.0078125}),  # raw 4865
        ("HRV_STATUS_SUMMARY", {"timestamp": start + 600, "last_night_average": 40.25,
                                "weekly_average": 44.0}),
    ]
    parsed = parse(fit_builder(msgs), engine=engine)
    samples = parsed.frames["hrv_samples"]
    assert samples.rows() == [(T0, 42.5), (T0 + 300 * S, 38.0078125)]
    summ = parsed.frames["device_summaries"]
    assert summ.select("ts", "metric", "value").rows() == [(T0 + 600 * S, "hrv_rmssd_ms", 40.25)]


@pytest.mark.parametrize("engine", ENGINES)
def test_activity_with_hrv_and_session(fit_builder, engine):
    start = fit_seconds(T0)
    msgs = [("RECORD", {"timestamp": start + i, "heart_rate": 120 + i, "distance": 3.0 * i})
            for i in range(3)]
    msgs += [
        ("HRV", {"time": [0.5, 0.6, 65.535]}),  # 65.535 s = raw 0xFFFF = invalid element
        ("HRV", {"time": [0.7]}),
        ("SESSION", {"timestamp": start + 2, "start_time": start, "total_elapsed_time": 2.5,
                     "total_timer_time": 2.0, "sport": "running", "sub_sport": "trail",
                     "avg_heart_rate": 121, "max_heart_rate": 122, "total_distance": 6.0}),
    ]
    parsed = parse(fit_builder(msgs, file_type="activity"), engine=engine)
    _check_schemas(parsed)
    hr = parsed.frames["heart_rate"]
    assert hr["bpm"].to_list() == [120, 121, 122] and set(hr["context"]) == {"activity"}
    ms = timedelta(milliseconds=1)
    assert parsed.frames["rr_intervals"].rows() == [
        (T0 + 500 * ms, 500.0), (T0 + 1100 * ms, 600.0), (T0 + 1800 * ms, 700.0)]
    assert parsed.frames["activities"].rows() == [
        (T0, 2.5, "running", "trail", 121.0, 122.0, 6.0)]


def test_activity_derived_from_records_without_session(fit_builder):
    start = fit_seconds(T0)
    msgs = [("SPORT", {"sport": "cycling"})]
    msgs += [("RECORD", {"timestamp": start + 10 * i, "heart_rate": hr, "distance": 50.0 * i})
             for i, hr in enumerate([100, 110, 120])]
    acts = parse(fit_builder(msgs, file_type="activity"), engine="fitparse").frames["activities"]
    assert acts.rows() == [(T0, 20.0, "cycling", None, 110.0, 120.0, 100.0)]


def test_non_garmin_device_name(fit_builder):
    data = fit_builder([("RECORD", {"timestamp": fit_seconds(T0), "heart_rate": 90})],
                       manufacturer="wahoo_fitness", product=28)
    parsed = parse(data, engine="fitparse")
    assert (parsed.vendor, parsed.device) == ("wahoo_fitness", "wahoo_fitness 28")


def test_file_without_mapped_messages_is_empty(fit_builder):
    parsed = parse(fit_builder([("EVENT", {"timestamp": fit_seconds(T0)})]), engine="fitparse")
    assert parsed.frames == {} and parsed.problems == []
