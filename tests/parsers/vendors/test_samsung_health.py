"""Samsung Health personal-data export CSVs: metadata line, UTC wall times + time_offset."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from parsers.base import ParseError
from parsers.vendors import claimants, samsung_health
from sample_data.export_plan import plan
from sample_data.vendors.samsung_health import heart_rate_csv, sleep_stage_csv

NIGHTS = plan(date(2025, 10, 25), 2, "Europe/Amsterdam")  # 25 (CEST) and 26 Oct (clock change)

STAGE_ROWS = (
    b"com.samsung.health.sleep_stage,6315003,3\n"
    b"create_sh_ver,start_time,sleep_id,stage,time_offset,end_time,datauuid\n"
    b"6315003,2025-03-01 22:00:00.000,s1,40002,UTC+0100,2025-03-01 23:00:00.000,a,\n"
    b"6315003,2025-03-01 23:00:00.000,s1,40099,UTC+0100,2025-03-01 23:30:00.000,b,\n"
    b"6315003,2025-03-01 23:30:00,s1,40004,UTC+0100,2025-03-02 00:10:00,c,\n"
)

HEART_RATE_ROWS = (
    b"com.samsung.shealth.tracker.heart_rate,6315003,2\n"
    b"com.samsung.health.heart_rate.start_time,com.samsung.health.heart_rate.heart_rate,"
    b"com.samsung.health.heart_rate.time_offset,com.samsung.health.heart_rate.end_time\n"
    b"2025-03-01 22:00:00.000,52.0,UTC+0100,2025-03-01 22:01:00.000,\n"
    b"2025-03-01 22:01:00.000,51.0,UTC+0100,2025-03-01 22:02:00.000,\n"
)


def test_each_file_is_claimed_by_its_own_sniffer_only():
    assert claimants(sleep_stage_csv(NIGHTS).encode(), "x.csv") == ["samsung_sleep_stage_csv"]
    assert claimants(heart_rate_csv(NIGHTS).encode(), "y.csv") == ["samsung_heart_rate_csv"]


def test_times_are_utc_wall_times_and_an_unknown_stage_is_counted():
    parsed = samsung_health.parse_sleep_stage(STAGE_ROWS, "stage.csv")
    stages = parsed.frames["sleep_stages"]
    assert stages.rows() == [
        (datetime(2025, 3, 1, 22, tzinfo=UTC), datetime(2025, 3, 1, 23, tzinfo=UTC), "light"),
        (datetime(2025, 3, 1, 23, 30, tzinfo=UTC), datetime(2025, 3, 2, 0, 10, tzinfo=UTC),
         "rem"),
    ]
    assert parsed.dropped == {"sleep_stage_unreadable": 1}
    assert parsed.utc_offset_s == 3600


def test_clock_change_night_keeps_seven_hours_asleep():
    parsed = samsung_health.parse_sleep_stage(sleep_stage_csv(NIGHTS).encode(), "s.csv")
    s = parsed.frames["sleep_stages"]
    asleep_s = sum((b - a).total_seconds() for a, b, st in s.rows() if st != "awake")
    assert asleep_s == 2 * 7 * 3600
    # night 2 (to 26 Oct): bed 22:40 CEST = 20:40 UTC
    assert datetime(2025, 10, 25, 20, 40, tzinfo=UTC) in s["start_ts"].to_list()


def test_prefixed_heart_rate_columns():
    parsed = samsung_health.parse_heart_rate(heart_rate_csv(NIGHTS).encode(), "hr.csv")
    hr = parsed.frames["heart_rate"]
    assert hr.height == sum(len(p.hr_in_bed()) for p in NIGHTS)
    assert hr["bpm"].min() == 46 and hr["bpm"].max() == 58
    assert parsed.utc_offset_s == 7200
    small = samsung_health.parse_heart_rate(HEART_RATE_ROWS, "hr.csv").frames["heart_rate"]
    assert small["bpm"].to_list() == [52, 51]


def test_header_without_the_needed_column_is_refused():
    bad = b"com.samsung.health.sleep_stage,1,1\nstart_time,end_time\n2025-01-01 00:00:00,x\n"
    with pytest.raises(ParseError, match="no stage column"):
        samsung_health.parse_sleep_stage(bad, "bad.csv")
