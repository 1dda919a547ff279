"""Withings Health Mate export: `start,duration,value` raw files (ISO start with offset, lists
laid end to end) and the sleep.csv session summary."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest

from parsers.base import ParseError
from parsers.inputs import parse_input
from parsers.registry import parse_file
from parsers.vendors import claimants, withings
from sample_data.export_plan import plan
from sample_data.vendors import withings as writer
from sample_data.vendors.withings import heart_rate_csv, sleep_csv, sleep_state_csv

NIGHTS = plan(date(2025, 10, 25), 2, "Europe/Amsterdam")  # 25 (CEST) and 26 Oct (clock change)

HR_RAW = (b"start,duration,value\n"
          b'2025-03-01T23:00:00+01:00,"[60,60,120]","[52,51,49.6]"\n'
          b"2025-03-02T00:00:00+01:00,60,55\n"
          b'2025-03-02T01:00:00+01:00,"[60,60]","[50]"\n'
          b'2025-03-02T02:00:00+01:00,"[60,60]","[50,x]"\n'
          b'yesterday,"[60]","[50]"\n')
STATE_RAW = (b"start,duration,value\n"
             b'2025-03-01T23:00:00+01:00,"[1800,3600,600]","[1,2,7]"\n'
             b'2025-03-02T00:40:00+01:00,"[1200,1200]","[3,3]"\n')
SLEEP_SUMMARY = (b"from,to,light (s),deep (s),rem (s),awake (s),wake up,Average heart rate\n"
                 b"2025-03-01T23:00:00+01:00,2025-03-02T07:00:00+01:00,14400,7200,5400,1800,2,55\n"
                 b"2025-03-02T14:00:00+01:00,2025-03-02T14:30:00+01:00,1800,0,0,0,0,60\n"
                 b"2025-03-02T23:10:00+01:00,soon,14400,7200,5400,1800,2,55\n")
GERMAN_SUMMARY = (b"von,bis,leicht (s),tief (s),rem (s),wach (s)\n"
                  b"2025-03-01T23:00:00+01:00,2025-03-02T06:00:00+01:00,12600,7200,5400,0\n")
#: file name -> content, so the fuzz seeds keep the name these sniffers need
FIXTURES = {"raw_hr_hr.csv": HR_RAW, "raw_tracker_sleep-state.csv": STATE_RAW,
            "sleep.csv": SLEEP_SUMMARY}


def test_each_file_is_claimed_by_its_own_sniffer_only():
    assert claimants(HR_RAW, "raw_hr_hr.csv") == ["withings_heart_rate_csv"]
    assert claimants(HR_RAW, "raw_sleep-monitor_hr.csv") == ["withings_heart_rate_csv"]
    assert claimants(STATE_RAW, "raw_tracker_sleep-state.csv") == ["withings_sleep_state_csv"]
    assert claimants(STATE_RAW, "raw_sleep-monitor_sleep-state (1).csv") == [
        "withings_sleep_state_csv"]
    assert claimants(SLEEP_SUMMARY, "sleep.csv") == ["withings_sleep_csv"]
    assert claimants(GERMAN_SUMMARY, "x.csv") == ["withings_sleep_csv"]
    # the same layout holding another signal, or with no name to say which: not claimed
    assert claimants(HR_RAW, "raw_tracker_steps.csv") == []
    assert claimants(HR_RAW, "") == []


def test_raw_heart_rate_elements_follow_each_other_from_the_start():
    parsed = parse_file(HR_RAW, "raw_hr_hr.csv")
    hr = parsed.frames["heart_rate"]
    assert [(t, b) for t, b, _ in hr.rows()] == [
        (datetime(2025, 3, 1, 22, 0, tzinfo=UTC), 52),
        (datetime(2025, 3, 1, 22, 1, tzinfo=UTC), 51),
        (datetime(2025, 3, 1, 22, 2, tzinfo=UTC), 50),  # 49.6 rounded
        (datetime(2025, 3, 1, 23, 0, tzinfo=UTC), 55),  # a bare value, not a list
        (datetime(2025, 3, 2, 1, 0, tzinfo=UTC), 50),  # the x after it is counted
    ]
    # two durations for one value; a start that is no time
    assert parsed.dropped == {"heart_rate_row_unreadable": 2, "heart_rate_value_unreadable": 1}
    assert parsed.problems == [  # -> partial: the file lost rows
        "2 rows skipped: no ISO start with an offset, or duration and value lists that differ "
        "in length or hold no seconds (first at data row 3)"]
    assert parsed.utc_offset_s == 3600


def test_a_download_cut_mid_row_is_partial_with_the_rows_before_the_cut():
    data = heart_rate_csv(NIGHTS).encode()
    parsed = parse_file(data[: len(data) * 2 // 3], "raw_hr_hr.csv")
    # night 1 whole (7 rows of 60 minutes and one of 20), then 2 rows of night 2; the 11th cut
    assert parsed.frames["heart_rate"].height == 440 + 2 * 60
    assert parsed.dropped == {"heart_rate_row_unreadable": 1}
    assert parsed.problems and "first at data row 11" in parsed.problems[0]


def test_sleep_states_and_an_unknown_code():
    parsed = parse_file(STATE_RAW, "raw_tracker_sleep-state.csv")
    assert parsed.frames["sleep_stages"].rows() == [
        (datetime(2025, 3, 1, 22, 0, tzinfo=UTC), datetime(2025, 3, 1, 22, 30, tzinfo=UTC),
         "light"),
        (datetime(2025, 3, 1, 22, 30, tzinfo=UTC), datetime(2025, 3, 1, 23, 30, tzinfo=UTC),
         "deep"),
        (datetime(2025, 3, 1, 23, 40, tzinfo=UTC), datetime(2025, 3, 2, 0, 20, tzinfo=UTC),
         "rem"),  # two touching REM segments merged
    ]
    assert parsed.dropped == {"sleep_state_unknown": 1}


def test_clock_change_night_keeps_seven_hours_asleep_and_every_minute():
    s = parse_file(sleep_state_csv(NIGHTS).encode(), "raw_tracker_sleep-state.csv")
    stages = s.frames["sleep_stages"]
    asleep_s = sum((b - a).total_seconds() for a, b, st in stages.rows() if st != "awake")
    assert asleep_s == 2 * 7 * 3600
    # night 2 (to 26 Oct): bed 22:40 CEST = 20:40 UTC, wake 05:00 CET = 04:00 UTC
    assert stages["start_ts"].min() == datetime(2025, 10, 24, 20, 30, tzinfo=UTC)
    assert stages["end_ts"].max() == datetime(2025, 10, 26, 4, 0, tzinfo=UTC)
    hr = parse_file(heart_rate_csv(NIGHTS).encode(), "raw_hr_hr.csv").frames["heart_rate"]
    assert hr["ts"].to_list() == [t for p in NIGHTS for t, _ in p.hr_in_bed()]
    assert hr["bpm"].to_list() == [b for p in NIGHTS for _, b in p.hr_in_bed()]


def test_sleep_summary_takes_the_longest_session_of_each_night():
    parsed = parse_file(SLEEP_SUMMARY, "sleep.csv")
    assert parsed.frames["device_summaries"].rows() == [
        (date(2025, 3, 2), datetime(2025, 3, 2, 6, tzinfo=UTC), "sleep_hours", 7.5, "withings")]
    assert parsed.dropped == {"sleep_row_unreadable": 1, "sleep_shorter_session": 1}
    assert parsed.problems == [
        "1 rows skipped: `from`/`to` not ISO times with an offset (first at data row 3)"]
    german = parse_file(GERMAN_SUMMARY, "schlaf.csv").frames["device_summaries"]
    assert german["value"].to_list() == [7.0]
    planned = parse_file(sleep_csv(NIGHTS).encode(), "sleep.csv").frames["device_summaries"]
    assert planned.select("night", "value").rows() == [(p.night, 7.0) for p in NIGHTS]


def test_a_raw_file_without_its_columns_is_refused():
    with pytest.raises(ParseError, match="no duration column"):
        withings.parse_heart_rate(b"start,value\n2025-03-01T23:00:00+01:00,50\n", "raw_hr_hr.csv")


def test_the_export_zip_is_read_member_by_member(tmp_path):
    """As Withings mails it: a zip whose members keep their names (the raw files need them)."""
    folder = writer.write_export(tmp_path / "in", NIGHTS)
    archive = shutil.make_archive(str(tmp_path / "data_ANN"), "zip", folder)
    results = parse_input(archive, "wit")
    assert sorted((r.path.rsplit("/", 1)[-1], r.parsed.format) for r in results) == [
        ("raw_hr_hr.csv", "withings_heart_rate_csv"),
        ("raw_tracker_sleep-state.csv", "withings_sleep_state_csv"),
        ("sleep.csv", "withings_sleep_csv")]
    assert all(r.error is None for r in results)
