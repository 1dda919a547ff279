"""Garmin Connect export JSON: sleepData, healthStatusData, UDSFile."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from parsers.base import ParseError
from parsers.vendors import claimants, garmin_connect

# Two nights as the export writes them, then the stray element real files end with.
SLEEP_DATA = json.dumps([
    {
        "sleepStartTimestampGMT": "2023-01-01T22:15:00.0",
        "sleepEndTimestampGMT": "2023-01-02T06:30:00.0",
        "calendarDate": "2023-01-02",
        "sleepWindowConfirmationType": "ENHANCED_CONFIRMED_FINAL",
        "deepSleepSeconds": 5400, "lightSleepSeconds": 15000, "remSleepSeconds": 6000,
        "awakeSleepSeconds": 1200, "unmeasurableSeconds": 0,
        "averageRespiration": 14.0, "lowestRespiration": 11.0, "highestRespiration": 18.0,
        "retro": False,
        "spo2SleepSummary": {"userProfilePk": 1, "deviceId": 2, "averageSPO2": 95.0},
        "sleepScores": {"overallScore": 86, "qualityScore": 80},
    },
    {
        "sleepStartTimestampGMT": "2023-01-02T23:00:00.0",
        "sleepEndTimestampGMT": "2023-01-03T05:00:00.0",
        "calendarDate": "2023-01-03",
        "deepSleepSeconds": 3600, "lightSleepSeconds": 14400, "remSleepSeconds": None,
        "awakeSleepSeconds": 3600, "retro": False,
    },
    {"retro": False},
], indent=2).encode()

# A record from a version that lists its stage intervals (Connect's sleepLevels).
SLEEP_WITH_LEVELS = json.dumps([{
    "sleepStartTimestampGMT": "2023-01-01T22:00:00.0",
    "sleepEndTimestampGMT": "2023-01-02T00:00:00.0",
    "calendarDate": "2023-01-02",
    "deepSleepSeconds": 3600, "lightSleepSeconds": 2700, "remSleepSeconds": 0,
    "awakeSleepSeconds": 900,
    "sleepLevels": [
        {"startGMT": "2023-01-01T22:00:00.0", "endGMT": "2023-01-01T22:15:00.0",
         "activityLevel": 3.0},
        {"startGMT": "2023-01-01T22:15:00.0", "endGMT": "2023-01-01T23:00:00.0",
         "activityLevel": 1.0},
        {"startGMT": "2023-01-01T23:00:00.0", "endGMT": "2023-01-02T00:00:00.0",
         "activityLevel": 0.0},
    ],
}]).encode()

HEALTH_STATUS = json.dumps([
    {"calendarDate": "2024-05-03", "metrics": [
        {"type": "HRV", "value": 62.0, "status": "IN_RANGE", "baselineLowerLimit": 50,
         "baselineUpperLimit": 70},
        {"type": "HR", "value": 57.0, "status": "IN_RANGE"},
        {"type": "SPO2", "value": 97.0, "status": "IN_RANGE"},
        {"type": "RESPIRATION", "value": 14.0},
        {"type": "SKIN_TEMP_C", "value": -0.3},
    ]},
    {"calendarDate": "2024-05-04", "metrics": [
        {"type": "HRV", "value": 0.0, "status": "UNKNOWN"},
        {"type": "HR", "value": 55.0, "status": "IN_RANGE"},
    ]},
]).encode()

UDS = json.dumps([
    {"userProfilePK": 1234, "calendarDate": "2023-01-01", "uuid": "a1", "totalKilocalories":
     2400.0, "activeKilocalories": 500.0, "totalSteps": 8123, "minHeartRate": 44,
     "maxHeartRate": 151, "restingHeartRate": 48, "currentDayRestingHeartRate": 48,
     "allDayStress": {"aggregatorList": []}},
    {"userProfilePK": 1234, "calendarDate": {"date": "2023-01-02"}, "totalKilocalories": 2100.0,
     "totalSteps": 4000, "restingHeartRate": None, "currentDayRestingHeartRate": 50},
    {"userProfilePK": 1234, "calendarDate": "2023-01-03", "totalKilocalories": 2000.0,
     "totalSteps": 0, "restingHeartRate": 0},
]).encode()

FIXTURES = {
    "2023-01-01_2023-04-11_1234_sleepData.json": (garmin_connect.FORMAT_SLEEP, SLEEP_DATA),
    "levels_sleepData.json": (garmin_connect.FORMAT_SLEEP, SLEEP_WITH_LEVELS),
    "2025-12-10_2026-03-20_1234_healthStatusData.json":
        (garmin_connect.FORMAT_HEALTH_STATUS, HEALTH_STATUS),
    "UDSFile_2023-01-01_2023-04-11.json": (garmin_connect.FORMAT_UDS, UDS),
    "x_sleepData.json": (garmin_connect.FORMAT_SLEEP, b"[]"),  # empty: only the name says so
    # newer sleep records also carry the night's resting HR: still sleep, not a UDS file
    "new_sleepData.json": (garmin_connect.FORMAT_SLEEP, json.dumps([{
        "calendarDate": "2024-05-03", "sleepStartTimestampGMT": "2024-05-02T21:40:00.0",
        "sleepEndTimestampGMT": "2024-05-03T05:10:00.0", "deepSleepSeconds": 4800,
        "restingHeartRate": 47, "avgOvernightHrv": 61.0}]).encode()),
}
# JSON that is none of these (other exports, other tools): nothing may claim it.
FOREIGN = {
    "steps-2016-06-12.json": b'[{"dateTime" : "06/12/16 03:51:00", "value" : "133"}]',
    "summarizedActivities.json": b'[{"summarizedActivitiesExport": [{"activityId": 1}]}]',
    "empty.json": b"[]",
    "object.json": b"{}",
    "profile.json": b'{"userName": "x", "calendarDate": "2023-01-01"}',
}


def by_night(parsed) -> dict[tuple[date, str], float]:
    rows = parsed.frames["device_summaries"].iter_rows(named=True)
    return {(r["night"], r["metric"]): r["value"] for r in rows}


@pytest.mark.parametrize("name", FIXTURES)
def test_only_its_own_sniffer_claims_it(name):
    fmt, data = FIXTURES[name]
    assert claimants(data, name) == [fmt]


@pytest.mark.parametrize("name", FOREIGN)
def test_foreign_json_is_claimed_by_no_vendor(name):
    assert claimants(FOREIGN[name], name) == []


@pytest.mark.corpus
def test_corpus_fit_and_gpx_files_are_claimed_by_no_vendor(corpus):
    others = [p for p in corpus.rglob("*") if p.is_file() and p.parent.name != "csv_vendor"
              and p.suffix.lower() in (".fit", ".gpx")]
    assert others
    for path in others:
        assert claimants(path.read_bytes(), path.name) == [], path.name


def test_sleep_hours_are_deep_light_rem_and_the_stray_element_is_ignored():
    parsed = garmin_connect.parse_sleep(SLEEP_DATA, "sleepData.json")
    values = by_night(parsed)
    assert values[(date(2023, 1, 2), "sleep_hours")] == pytest.approx((5400 + 15000 + 6000) / 3600)
    assert values[(date(2023, 1, 2), "deep_sleep_hours")] == 1.5
    assert values[(date(2023, 1, 2), "awake_hours")] == pytest.approx(1200 / 3600)
    assert values[(date(2023, 1, 3), "sleep_hours")] == 5.0  # REM null counts as absent
    assert (date(2023, 1, 3), "rem_sleep_hours") not in values
    ts = parsed.frames["device_summaries"]["ts"].unique().sort().to_list()
    assert ts == [datetime(2023, 1, 2, 6, 30, tzinfo=UTC), datetime(2023, 1, 3, 5, tzinfo=UTC)]
    # totals only: no invented "asleep" interval from start to end
    assert "sleep_stages" not in parsed.frames


def test_newer_sleep_records_also_give_overnight_hrv_and_resting_hr():
    _, data = FIXTURES["new_sleepData.json"]
    values = by_night(garmin_connect.parse_sleep(data, "new_sleepData.json"))
    assert values == {
        (date(2024, 5, 3), "sleep_hours"): pytest.approx(4800 / 3600),
        (date(2024, 5, 3), "deep_sleep_hours"): pytest.approx(4800 / 3600),
        (date(2024, 5, 3), "hrv_rmssd_ms"): 61.0,
        (date(2024, 5, 3), "resting_hr"): 47.0,
    }


def test_listed_sleep_levels_become_stage_intervals():
    stages = garmin_connect.parse_sleep(SLEEP_WITH_LEVELS, "sleepData.json").frames["sleep_stages"]
    assert stages.to_dicts() == [
        {"start_ts": datetime(2023, 1, 1, 22, tzinfo=UTC),
         "end_ts": datetime(2023, 1, 1, 22, 15, tzinfo=UTC), "stage": "awake"},
        {"start_ts": datetime(2023, 1, 1, 22, 15, tzinfo=UTC),
         "end_ts": datetime(2023, 1, 1, 23, tzinfo=UTC), "stage": "light"},
        {"start_ts": datetime(2023, 1, 1, 23, tzinfo=UTC),
         "end_ts": datetime(2023, 1, 2, 0, tzinfo=UTC), "stage": "deep"},
    ]


def test_a_night_listed_twice_keeps_the_longer_sleep():
    records = json.loads(SLEEP_DATA)[:1] * 2
    records[1] = dict(records[1], deepSleepSeconds=0, lightSleepSeconds=600, remSleepSeconds=0)
    values = by_night(garmin_connect.parse_sleep(json.dumps(records).encode(), "s.json"))
    assert values[(date(2023, 1, 2), "sleep_hours")] == pytest.approx(26400 / 3600)


def test_health_status_gives_hrv_rmssd_and_resting_hr():
    values = by_night(garmin_connect.parse_health_status(HEALTH_STATUS, "healthStatusData.json"))
    assert values == {
        (date(2024, 5, 3), "hrv_rmssd_ms"): 62.0,
        (date(2024, 5, 3), "resting_hr"): 57.0,
        (date(2024, 5, 4), "resting_hr"): 55.0,  # HRV 0 / UNKNOWN: not measured
    }


def test_uds_resting_hr_per_calendar_date():
    parsed = garmin_connect.parse_uds(UDS, "UDSFile_2023-01-01_2023-04-11.json")
    assert by_night(parsed) == {
        (date(2023, 1, 1), "resting_hr"): 48.0,
        (date(2023, 1, 2), "resting_hr"): 50.0,  # older {"date": ...} form, current-day value
    }
    assert parsed.frames["device_summaries"]["vendor"].unique().to_list() == ["garmin"]


def test_truncated_json_names_where_it_broke():
    with pytest.raises(ParseError, match=r"not valid JSON .*line \d+, column \d+"):
        garmin_connect.parse_sleep(SLEEP_DATA[:300], "sleepData.json")


def test_json_of_the_wrong_shape_is_refused():
    with pytest.raises(ParseError, match="expected a JSON list of Garmin sleep records"):
        garmin_connect.parse_sleep(b'"hello"', "sleepData.json")
