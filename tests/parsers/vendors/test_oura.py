"""Oura exports: `;`-separated CSVs with JSON cells, and the older trends CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from parsers.base import CANONICAL, ParseError
from parsers.vendors import claimants, oura

SLEEPMODEL_HEADER = (
    "id;average_breath;average_heart_rate;average_hrv;awake_time;bedtime_end;bedtime_start;day;"
    "deep_sleep_duration;efficiency;heart_rate;hrv;latency;light_sleep_duration;"
    "low_battery_alert;lowest_heart_rate;movement_30_sec;period;readiness;"
    "readiness_score_delta;rem_sleep_duration;restless_periods;sleep_phase_5_min;"
    "sleep_score_delta;sleep_algorithm_version;time_in_bed;total_sleep_duration;type"
)
T0 = '"timestamp": "2024-03-01T23:15:00.000+01:00"'
HR_CELL = '{"interval": 300.0, "items": [null, 58.0, 55.0], ' + T0 + "}"
HRV_CELL = '{"interval": 300.0, "items": [null, 40.0, 72.0], ' + T0 + "}"
# A night (JSON cells as written, decimal comma in average_breath), a deleted period with
# zeros, and a late nap whose HRV cell is CSV-quoted with doubled quotes.
SLEEPMODEL = (
    SLEEPMODEL_HEADER + "\n"
    f"a1;14,25;54,875;65;900;2024-03-02T06:30:00.000+01:00;2024-03-01T23:15:00.000+01:00;"
    f"2024-03-02;5400;92;{HR_CELL};{HRV_CELL};600;13800;false;48;1111;0;"
    '{"contributors": {"hrv_balance": 80}};0;6000;12;4422113;0;v2;27000;25200;long_sleep\n'
    "a2;0;0;0;0;2024-03-02T15:00:00+01:00;2024-03-02T14:30:00+01:00;2024-03-02;0;0;;;0;0;"
    "false;0;;0;;0;0;0;;0;v2;1800;0;deleted\n"
    "a3;15;60;30;300;2024-03-02T15:00:00+01:00;2024-03-02T14:30:00+01:00;2024-03-02;0;80;;"
    '"{""interval"": 300.0, ""items"": [33.0], ""timestamp"": ""2024-03-02T14:30:00+01:00""}";'
    "0;1200;false;58;;1;;0;0;0;422222;0;v2;1800;1200;late_nap\n"
).encode()

DAILYSLEEP = (
    b"id;contributors;day;score;timestamp\n"
    b'd1;{"deep_sleep": 80, "efficiency": 91, "latency": 70, "rem_sleep": 75, "restfulness": 66,'
    b' "timing": 90, "total_sleep": 85};2024-03-02;84;2024-03-02T00:00:00.000+01:00\n'
)

READINESS = (
    b"id;contributors;day;score;temperature_deviation;temperature_trend_deviation;timestamp\n"
    b'r1;{"activity_balance": 80, "hrv_balance": 78, "resting_heart_rate": 90};2024-03-02;81;'
    b"-0,2;0,1;2024-03-02T00:00:00.000+01:00\n"
)

TRENDS = (
    "date,Sleep Score,Total Sleep Score,REM Sleep Score,Deep Sleep Score,Sleep Efficiency Score,"
    "Restfulness Score,Sleep Latency Score,Sleep Timing Score,Total Bedtime,Total Sleep Time,"
    "Awake Time,REM Sleep Time,Light Sleep Time,Deep Sleep Time,Restless Sleep,Sleep Efficiency,"
    "Sleep Latency,Sleep Timing,Sleep Timing,Bedtime Start,Bedtime End,"
    "Average Resting Heart Rate,Lowest Resting Heart Rate,Average HRV,"
    "Temperature Deviation (°C),Respiratory Rate,Activity Score,Readiness Score\n"
    "2020-03-04,74,74,34,99,96,53,72,100,27300,24690,2610,2400,14490,7800,41,90,270,13170,,"
    "2020-03-03T22:14:42-08:00,2020-03-04T05:49:42-08:00,52.1,46,61,-0.12,14.6,80,77\n"
    "2020-03-05,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
).encode()

FIXTURES = {
    "sleepmodel.csv": (oura.FORMAT_SLEEPMODEL, SLEEPMODEL),
    "dailysleep.csv": (oura.FORMAT_DAILYSLEEP, DAILYSLEEP),
    "dailyreadiness.csv": (oura.FORMAT_READINESS, READINESS),
    "oura_2020-03-01_2020-03-31_trends.csv": (oura.FORMAT_TRENDS, TRENDS),
}
FOREIGN = {
    "dailyactivity.csv": b"id;active_calories;contributors;day;equivalent_walking_distance;"
                         b"score;steps;total_calories\nc1;520;{};2024-03-02;6200;88;8421;2450\n",
    "dailyspo2.csv": b'id;breathing_disturbance_index;day;spo2_percentage\n'
                     b's1;3;2024-03-02;{"average": 96.1}\n',
}


def by_night(parsed) -> dict[tuple[date, str], float]:
    frame = parsed.frames["device_summaries"]
    return {(r["night"], r["metric"]): r["value"] for r in frame.iter_rows(named=True)}


@pytest.mark.parametrize("name", FIXTURES)
def test_only_its_own_sniffer_claims_it(name):
    fmt, data = FIXTURES[name]
    assert claimants(data, name) == [fmt]


@pytest.mark.parametrize("name", FOREIGN)
def test_other_oura_files_are_not_claimed(name):
    assert claimants(FOREIGN[name], name) == []


def test_sleepmodel_long_sleep_summaries_for_its_day():
    parsed = oura.parse_sleepmodel(SLEEPMODEL, "sleepmodel.csv")
    values = by_night(parsed)
    night = date(2024, 3, 2)
    assert values == {
        (night, "sleep_hours"): 7.0,
        (night, "deep_sleep_hours"): 1.5,
        (night, "light_sleep_hours"): pytest.approx(13800 / 3600),
        (night, "rem_sleep_hours"): pytest.approx(6000 / 3600),
        (night, "awake_hours"): 0.25,
        (night, "resting_hr"): 48.0,  # Oura's lowest HR of the night
        (night, "hrv_rmssd_ms"): 65.0,
    }  # the nap and the deleted period add nothing here
    ts = parsed.frames["device_summaries"]["ts"].unique().to_list()
    assert ts == [datetime(2024, 3, 2, 5, 30, tzinfo=UTC)]
    assert parsed.utc_offset_s == 3600


def test_sleepmodel_hypnogram_becomes_five_minute_stages():
    stages = oura.parse_sleepmodel(SLEEPMODEL, "sleepmodel.csv").frames["sleep_stages"]
    t = lambda h, m: datetime(2024, 3, 1, h, m, tzinfo=UTC)  # noqa: E731
    assert stages.head(4).to_dicts() == [
        {"start_ts": t(22, 15), "end_ts": t(22, 25), "stage": "awake"},
        {"start_ts": t(22, 25), "end_ts": t(22, 35), "stage": "light"},
        {"start_ts": t(22, 35), "end_ts": t(22, 45), "stage": "deep"},
        {"start_ts": t(22, 45), "end_ts": t(22, 50), "stage": "rem"},
    ]
    nap = stages.filter(pl.col("start_ts") >= datetime(2024, 3, 2, tzinfo=UTC))
    assert nap["stage"].to_list() == ["awake", "light"]  # late nap kept, deleted period not
    assert nap["end_ts"].max() == datetime(2024, 3, 2, 14, 0, tzinfo=UTC)


def test_sleepmodel_json_cells_give_hrv_samples_and_sleep_heart_rate():
    parsed = oura.parse_sleepmodel(SLEEPMODEL, "sleepmodel.csv")
    hrv = parsed.frames["hrv_samples"].sort("ts")
    assert hrv.schema == pl.Schema(CANONICAL["hrv_samples"])
    assert hrv.to_dicts() == [
        {"ts": datetime(2024, 3, 1, 22, 20, tzinfo=UTC), "rmssd_ms": 40.0},
        {"ts": datetime(2024, 3, 1, 22, 25, tzinfo=UTC), "rmssd_ms": 72.0},
        {"ts": datetime(2024, 3, 2, 13, 30, tzinfo=UTC), "rmssd_ms": 33.0},  # quoted cell
    ]
    hr = parsed.frames["heart_rate"].sort("ts")
    assert hr["bpm"].to_list() == [58, 55]
    assert hr["context"].unique().to_list() == ["sleep"]


def test_daily_sleep_score_and_readiness():
    assert by_night(oura.parse_dailysleep(DAILYSLEEP, "dailysleep.csv")) == {
        (date(2024, 3, 2), "sleep_score"): 84.0}
    assert by_night(oura.parse_readiness(READINESS, "dailyreadiness.csv")) == {
        (date(2024, 3, 2), "readiness_score"): 81.0,
        (date(2024, 3, 2), "temperature_deviation_c"): -0.2,  # decimal comma
    }


def test_trends_csv_seconds_to_hours_and_lowest_resting_hr():
    parsed = oura.parse_trends(TRENDS, "trends.csv")
    values = by_night(parsed)
    night = date(2020, 3, 4)
    assert values[(night, "sleep_hours")] == pytest.approx(24690 / 3600)
    assert values[(night, "deep_sleep_hours")] == pytest.approx(7800 / 3600)
    assert values[(night, "resting_hr")] == 46.0
    assert values[(night, "hrv_rmssd_ms")] == 61.0
    assert values[(night, "sleep_score")] == 74.0
    assert values[(night, "readiness_score")] == 77.0
    assert {n for (n, _) in values} == {night}  # the empty day adds nothing
    assert parsed.frames["device_summaries"]["ts"].unique().to_list() == [
        datetime(2020, 3, 4, 13, 49, 42, tzinfo=UTC)]


def test_sleepmodel_without_bedtime_column_is_refused():
    with pytest.raises(ParseError, match="no bedtime_start column"):
        oura.parse_sleepmodel(b"id;day;total_sleep_duration\na;2024-03-02;100\n", "s.csv")
