"""Polar Flow export JSON: PPI (RR) samples, sleep results, training sessions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from parsers.base import ParseError
from parsers.vendors import claimants, polar

PPI = json.dumps([{
    "date": "2022-03-05",
    "devicePpiSamplesList": [{
        "deviceId": "A1B2C3D4",
        "ppiSamples": [
            {"sampleDateTime": "2022-03-05T00:00:01.234", "pulseLength": 925,
             "errorEstimate": 10, "blocker": False, "skinContact": True},
            {"sampleDateTime": "2022-03-05T00:00:02.159", "pulseLength": 931,
             "errorEstimate": 12, "blocker": True, "skinContact": True},
            {"sampleDateTime": "2022-03-05T00:00:03.090", "pulseLength": 2210,
             "errorEstimate": 40, "blocker": False, "skinContact": True},
        ],
    }],
}], indent=2).encode()

SLEEP = json.dumps([{
    "night": "2026-01-06",
    "evaluation": {
        "sleepType": "SLEEP_PLUS_STAGES", "sleepSpan": "PT8H", "asleepDuration": "PT7H30M",
        "age": 40, "analysis": {"efficiencyPercent": 93.75, "continuityIndex": 4.2},
        "interruptions": {"totalDuration": "PT30M", "totalCount": 3},
        "phaseDurations": {"wake": "PT30M", "rem": "PT1H30M", "light": "PT4H",
                           "deep": "PT1H30M", "unknown": "PT0S"},
    },
    "sleepResult": {
        "hypnogram": {
            "sleepStart": "2026-01-05T22:30:00+01:00", "sleepEnd": "2026-01-06T06:30:00+01:00",
            "sleepStartOffset": 0, "sleepEndOffset": 0, "rating": "SLEPT_QUITE_WELL",
            "sleepStateChanges": [
                {"offsetFromStart": "PT0S", "state": "WAKE"},
                {"offsetFromStart": "PT30M", "state": "NONREM2"},
                {"offsetFromStart": "PT2H", "state": "NONREM3"},
                {"offsetFromStart": "PT3H30M", "state": "REM"},
                {"offsetFromStart": "PT5H", "state": "NONREM1"},
                {"offsetFromStart": "PT7H30M", "state": "WAKE"},
            ],
        },
    },
}]).encode()

# exportVersion 1.x layout: local start + offset in minutes, ISO duration, sport string
SESSION_OLD = json.dumps({
    "exportVersion": "1.6", "name": "Running", "startTime": "2019-09-14T09:31:37.000",
    "stopTime": "2019-09-14T10:31:05.000", "timeZoneOffset": 180, "distance": 10012.0,
    "duration": "PT3567.987S", "maximumHeartRate": 180, "averageHeartRate": 150,
    "kiloCalories": 700, "latitude": 60.1, "longitude": 24.9,
    "exercises": [{"startTime": "2019-09-14T09:31:37.000", "stopTime": "2019-09-14T10:31:05.000",
                   "timezoneOffset": 180, "duration": "PT3567.987S", "distance": 10012.0,
                   "sport": "RUNNING", "heartRate": {"min": 90, "avg": 150, "max": 180},
                   "samples": {"heartRate": [{"dateTime": "2019-09-14T09:31:38.000",
                                              "value": 95}]}}],
}, indent=2).encode()

# newer layout: millis, hrAvg/hrMax, a bare sport id
SESSION_NEW = json.dumps({
    "identifier": {"id": "fixture-a"}, "created": "2026-01-04T08:00:00.000",
    "startTime": "2026-01-04T06:15:00", "stopTime": "2026-01-04T07:15:00",
    "timezoneOffsetMinutes": 60, "durationMillis": 3600000, "distanceMeters": 10000,
    "calories": 600, "hrAvg": 142, "hrMax": 171, "sport": {"id": "1"}, "exercises": [{}],
}).encode()

FIXTURES = {
    "ppi_samples_2022-03-05_12345.json": (polar.FORMAT_PPI, PPI),
    "sleep_result_42-aaaa.json": (polar.FORMAT_SLEEP, SLEEP),
    "training-session-2019-09-14-123-abc.json": (polar.FORMAT_TRAINING, SESSION_OLD),
    "training-session_2026-01-04T06-15-00_42-abc.json": (polar.FORMAT_TRAINING, SESSION_NEW),
}
FOREIGN = {
    "activity-2026-01-01-abc.json": b'{"date":"2026-01-01","summary":{"stepCount":3100}}',
    "account-data-42-abc.json": b'{"exportVersion": "synthetic", "username": "x"}',
}


@pytest.mark.parametrize("name", FIXTURES)
def test_only_its_own_sniffer_claims_it(name):
    fmt, data = FIXTURES[name]
    assert claimants(data, name) == [fmt]


@pytest.mark.parametrize("name", FOREIGN)
def test_other_polar_files_are_not_claimed(name):
    assert claimants(FOREIGN[name], name) == []


def test_ppi_to_rr_intervals_without_blocked_samples():
    rr = polar.parse_ppi(PPI, "ppi.json", tz="Europe/Helsinki").frames["rr_intervals"]
    assert rr.to_dicts() == [  # Helsinki is UTC+2 in March
        {"ts": datetime(2022, 3, 4, 22, 0, 1, 234000, tzinfo=UTC), "rr_ms": 925.0},
        {"ts": datetime(2022, 3, 4, 22, 0, 3, 90000, tzinfo=UTC), "rr_ms": 2210.0},
    ]  # the implausible 2210 ms is kept: impossible values are dropped centrally


def test_sleep_hypnogram_and_totals():
    parsed = polar.parse_sleep(SLEEP, "sleep_result.json")
    t = lambda d, h, m: datetime(2026, 1, d, h, m, tzinfo=UTC)  # noqa: E731
    assert parsed.frames["sleep_stages"].to_dicts() == [
        {"start_ts": t(5, 21, 30), "end_ts": t(5, 22, 0), "stage": "awake"},
        {"start_ts": t(5, 22, 0), "end_ts": t(5, 23, 30), "stage": "light"},
        {"start_ts": t(5, 23, 30), "end_ts": t(6, 1, 0), "stage": "deep"},
        {"start_ts": t(6, 1, 0), "end_ts": t(6, 2, 30), "stage": "rem"},
        {"start_ts": t(6, 2, 30), "end_ts": t(6, 5, 0), "stage": "light"},
        {"start_ts": t(6, 5, 0), "end_ts": t(6, 5, 30), "stage": "awake"},
    ]
    rows = parsed.frames["device_summaries"].iter_rows(named=True)
    values = {(r["night"], r["metric"]): r["value"] for r in rows}
    assert values[(date(2026, 1, 6), "sleep_hours")] == 7.5
    assert values[(date(2026, 1, 6), "deep_sleep_hours")] == 1.5
    assert parsed.utc_offset_s == 3600


def test_training_session_old_layout():
    parsed = polar.parse_training(SESSION_OLD, "training-session.json")
    assert parsed.frames["activities"].to_dicts() == [{
        "start_ts": datetime(2019, 9, 14, 6, 31, 37, tzinfo=UTC), "duration_s": 3567.987,
        "sport": "running", "sub_sport": None, "avg_hr": 150.0, "max_hr": 180.0,
        "distance_m": 10012.0,
    }]
    assert parsed.utc_offset_s == 3 * 3600


def test_training_session_new_layout():
    parsed = polar.parse_training(SESSION_NEW, "training-session.json")
    [row] = parsed.frames["activities"].to_dicts()
    assert row == {"start_ts": datetime(2026, 1, 4, 5, 15, tzinfo=UTC), "duration_s": 3600.0,
                   "sport": None, "sub_sport": None, "avg_hr": 142.0, "max_hr": 171.0,
                   "distance_m": 10000.0}


def test_broken_json_is_a_parse_error():
    with pytest.raises(ParseError, match="not valid JSON"):
        polar.parse_ppi(PPI[:100], "ppi.json")
