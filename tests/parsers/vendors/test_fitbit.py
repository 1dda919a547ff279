"""Fitbit Google Takeout: sleep logs, resting HR, daily and 5-minute HRV."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from parsers.vendors import claimants, fitbit

# A stages night (local times, no offset) with a short wake inside the light run, and a
# classic-type afternoon nap; Fitbit pretty-prints with " : ".
SLEEP = json.dumps([
    {
        "logId": 44940631937, "dateOfSleep": "2024-03-02",
        "startTime": "2024-03-01T23:00:00.000", "endTime": "2024-03-02T01:00:00.000",
        "duration": 7200000, "minutesToFallAsleep": 0, "minutesAsleep": 99, "minutesAwake": 21,
        "minutesAfterWakeup": 0, "timeInBed": 120, "efficiency": 83, "type": "stages",
        "infoCode": 0, "logType": "auto_detected",
        "levels": {
            "summary": {"deep": {"count": 1, "minutes": 60, "thirtyDayAvgMinutes": 70},
                        "wake": {"count": 3, "minutes": 21, "thirtyDayAvgMinutes": 40},
                        "light": {"count": 2, "minutes": 39, "thirtyDayAvgMinutes": 200},
                        "rem": {"count": 0, "minutes": 0, "thirtyDayAvgMinutes": 90}},
            "data": [
                {"dateTime": "2024-03-01T23:00:00.000", "level": "wake", "seconds": 600},
                {"dateTime": "2024-03-01T23:10:00.000", "level": "light", "seconds": 2400},
                {"dateTime": "2024-03-01T23:50:00.000", "level": "deep", "seconds": 3600},
                {"dateTime": "2024-03-02T00:50:00.000", "level": "wake", "seconds": 600},
            ],
            "shortData": [
                {"dateTime": "2024-03-01T23:30:00.000", "level": "wake", "seconds": 60},
            ],
        },
        "mainSleep": True,
    },
    {
        "logId": 33582911665, "dateOfSleep": "2024-03-02",
        "startTime": "2024-03-02T14:00:00.000", "endTime": "2024-03-02T14:30:00.000",
        "duration": 1800000, "minutesAsleep": 28, "minutesAwake": 2, "type": "classic",
        "levels": {
            "summary": {"restless": {"count": 1, "minutes": 2}, "awake": {"count": 0,
                        "minutes": 0}, "asleep": {"count": 0, "minutes": 28}},
            "data": [
                {"dateTime": "2024-03-02T14:00:00.000", "level": "restless", "seconds": 120},
                {"dateTime": "2024-03-02T14:02:00.000", "level": "asleep", "seconds": 1680},
            ],
        },
        "mainSleep": False,
    },
], indent=2).replace('": ', '" : ').encode()

RESTING = json.dumps([
    {"dateTime": "03/01/24 00:00:00", "value": {"date": "03/01/24", "value": 57.1,
                                                 "error": 6.2}},
    {"dateTime": "03/02/24 00:00:00", "value": {"date": "03/02/24", "value": 0.0, "error": 0.0}},
], indent=2).encode()

HRV_SUMMARY = (b"timestamp,rmssd,nremhr,entropy\n"
               b"2024-07-21T00:00:00,29.232,49.623,2.472\n"
               b"2024-07-22T00:00:00,31.5,48.1,2.5\n")
HRV_DETAILS = (b"timestamp,rmssd,coverage,low_frequency,high_frequency\n"
               b"2024-03-02T01:05:00,38.2,0.93,512.1,301.2\n"
               b"2024-03-02T01:10:00,41.0,0.6,500.0,280.0\n")

FIXTURES = {
    "sleep-2024-03-02.json": (fitbit.FORMAT_SLEEP, SLEEP),
    "resting_heart_rate-2024-03-01.json": (fitbit.FORMAT_RESTING_HR, RESTING),
    "Daily Heart Rate Variability Summary - 2024-07-(21).csv":
        (fitbit.FORMAT_HRV_SUMMARY, HRV_SUMMARY),
    "Heart Rate Variability Details - 2024-03-02.csv": (fitbit.FORMAT_HRV_DETAILS, HRV_DETAILS),
    "sleep-2024-04-01.json": (fitbit.FORMAT_SLEEP, b"[ ]"),
}


def by_night(parsed) -> dict[tuple[date, str], float]:
    rows = parsed.frames["device_summaries"].iter_rows(named=True)
    return {(r["night"], r["metric"]): r["value"] for r in rows}


@pytest.mark.parametrize("name", FIXTURES)
def test_only_its_own_sniffer_claims_it(name):
    fmt, data = FIXTURES[name]
    assert claimants(data, name) == [fmt]


@pytest.mark.corpus
def test_corpus_resting_hr_two_values_despite_the_file_name(corpus):
    path = corpus / "csv_vendor" / "fitbit_takeout_resting_heart_rate-2023-03-02.json"
    data = path.read_bytes()
    assert claimants(data, path.name) == [fitbit.FORMAT_RESTING_HR]
    values = by_night(fitbit.parse_resting_hr(data, path.name))
    assert values == {
        (date(2024, 2, 28), "resting_hr"): pytest.approx(52.26781177520752),
        (date(2024, 2, 29), "resting_hr"): pytest.approx(53.2727746963501),
    }


def test_resting_hr_zero_means_no_estimate():
    assert by_night(fitbit.parse_resting_hr(RESTING, "resting_heart_rate.json")) == {
        (date(2024, 3, 1), "resting_hr"): 57.1}


def test_sleep_stages_with_short_wakes_carved_out_in_the_athlete_zone():
    parsed = fitbit.parse_sleep(SLEEP, "sleep-2024-03-02.json", tz="Europe/Amsterdam")
    stages = parsed.frames["sleep_stages"]
    t = lambda h, m: datetime(2024, 3, 1, h, m, tzinfo=UTC)  # noqa: E731  (CET = UTC+1)
    assert stages.head(6).to_dicts() == [
        {"start_ts": t(22, 0), "end_ts": t(22, 10), "stage": "awake"},
        {"start_ts": t(22, 10), "end_ts": t(22, 30), "stage": "light"},
        {"start_ts": t(22, 30), "end_ts": t(22, 31), "stage": "awake"},
        {"start_ts": t(22, 31), "end_ts": t(22, 50), "stage": "light"},
        {"start_ts": t(22, 50), "end_ts": t(23, 50), "stage": "deep"},
        {"start_ts": t(23, 50), "end_ts": datetime(2024, 3, 2, 0, 0, tzinfo=UTC),
         "stage": "awake"},
    ]
    main = stages.filter(pl.col("start_ts") < datetime(2024, 3, 2, 6, tzinfo=UTC))
    asleep = main.filter(pl.col("stage").is_in(["light", "deep", "rem"]))
    minutes = (asleep["end_ts"] - asleep["start_ts"]).sum() / timedelta(minutes=1)
    assert minutes == 99  # = minutesAsleep: the short wake is not double counted
    nap = stages.filter(pl.col("start_ts") >= datetime(2024, 3, 2, 6, tzinfo=UTC))
    assert nap["stage"].to_list() == ["awake", "asleep"]  # classic restless -> awake


def test_sleep_summaries_only_for_the_main_sleep():
    values = by_night(fitbit.parse_sleep(SLEEP, "sleep.json"))
    night = date(2024, 3, 2)
    assert values[(night, "sleep_hours")] == pytest.approx(99 / 60)
    assert values[(night, "deep_sleep_hours")] == 1.0
    assert values[(night, "light_sleep_hours")] == pytest.approx(39 / 60)
    assert values[(night, "awake_hours")] == pytest.approx(21 / 60)


def test_without_a_zone_local_times_are_read_as_utc():
    stages = fitbit.parse_sleep(SLEEP, "sleep.json").frames["sleep_stages"]
    assert stages["start_ts"].min() == datetime(2024, 3, 1, 23, 0, tzinfo=UTC)


def test_daily_hrv_summary_gives_nightly_rmssd():
    values = by_night(fitbit.parse_hrv_summary(HRV_SUMMARY, "Daily HRV Summary.csv"))
    assert values == {
        (date(2024, 7, 21), "hrv_rmssd_ms"): 29.232, (date(2024, 7, 21), "nrem_hr"): 49.623,
        (date(2024, 7, 22), "hrv_rmssd_ms"): 31.5, (date(2024, 7, 22), "nrem_hr"): 48.1,
    }


def test_hrv_details_are_five_minute_samples():
    samples = fitbit.parse_hrv_details(HRV_DETAILS, "details.csv", tz="Europe/Amsterdam")
    assert samples.frames["hrv_samples"].to_dicts() == [
        {"ts": datetime(2024, 3, 2, 0, 5, tzinfo=UTC), "rmssd_ms": 38.2},
        {"ts": datetime(2024, 3, 2, 0, 10, tzinfo=UTC), "rmssd_ms": 41.0},
    ]
