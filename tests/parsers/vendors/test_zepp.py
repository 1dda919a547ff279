"""Zepp / Amazfit GDPR export: HEARTRATE_AUTO (local wall time, read in the athlete's zone),
SLEEP (minutes per stage, UTC `start`/`stop`, `date` = wake-up date; the older Mi Fit layout
with Unix seconds), damaged files, and the folders of the layout left unread."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest

from parsers.base import ParseError
from parsers.inputs import parse_input
from parsers.registry import parse_file
from parsers.vendors import claimants, unread, zepp
from sample_data.export_plan import plan
from sample_data.vendors import zepp as writer

ZONE = "Europe/Amsterdam"
NIGHTS = plan(date(2025, 10, 25), 2, ZONE)  # 25 (CEST) and 26 Oct (clock change)

HR_AUTO = (b"\xef\xbb\xbfdate,time,heartRate\n"
           b"2025-03-01,23:58,52\n"
           b"2025-03-01,23:59,null\n"
           b"2025-03-02,00:00,49.6\n"
           b"2025-03-02,soon,50\n")
SLEEP = (b"\xef\xbb\xbfdate,deepSleepTime,shallowSleepTime,wakeTime,start,stop,REMTime,naps\n"
         b"2022-01-01,76,331,0,2021-12-31 23:02:00+0000,2022-01-01 06:50:00+0000,61,\n"
         b"2022-01-02,0,0,0,2022-01-01 23:00:00+0000,2022-01-01 23:00:00+0000,0,\n"
         b'2022-01-03,90,250,10,2022-01-02 22:00:00+0000,2022-01-03 05:00:00+0000,50,'
         b'"[{""start"":""2022-01-03 12:00:00+0000""}]"\n'
         b"2022-01-03,10,20,0,2022-01-03 12:00:00+0000,2022-01-03 12:30:00+0000,0,\n"
         b"2022-01-04,90,250,10,2022-01-03 22:00:00+0000,later,50,\n")
MIFIT_SLEEP = (b"date,lastSyncTime,deepSleepTime,shallowSleepTime,wakeTime,start,stop\n"
               b"2020-02-05,1580889600,95,300,12,1580855400,1580880600\n")
#: file name -> content, so the fuzz seeds keep their names
FIXTURES = {"HEARTRATE_AUTO_1749047212827.csv": HR_AUTO, "SLEEP_1749047212827.csv": SLEEP}


def test_each_file_is_claimed_by_its_own_sniffer_only():
    assert claimants(HR_AUTO, "HEARTRATE_AUTO_1.csv") == ["zepp_heart_rate_csv"]
    assert claimants(HR_AUTO, "renamed.csv") == ["zepp_heart_rate_csv"]  # by content
    assert claimants(SLEEP, "x.csv") == ["zepp_sleep_csv"]
    assert claimants(MIFIT_SLEEP, "sleep.csv") == ["zepp_sleep_csv"]
    # the manual spot checks (UTC stamps) and the minute stages are not claimed
    assert claimants(b"time,heartRate\n2023-01-15 14:30:00+0000,75\n", "HEARTRATE_1.csv") == []
    assert claimants(b"date,time,stage,hr,respiratory_rate\n2026-03-03,00:00,DEEP,55,\n") == []


def test_heart_rate_is_local_wall_time_in_the_athletes_zone():
    parsed = parse_file(HR_AUTO, "HEARTRATE_AUTO_1.csv", tz=ZONE)
    assert parsed.frames["heart_rate"].rows() == [
        (datetime(2025, 3, 1, 22, 58, tzinfo=UTC), 52, "monitoring"),
        (datetime(2025, 3, 1, 23, 0, tzinfo=UTC), 50, "monitoring"),  # 49.6 rounded
    ]
    assert parsed.dropped == {"heart_rate_row_unreadable": 2}  # `null` and `soon`
    assert parsed.problems == [
        "2 rows skipped: no `date` + `time` (2025-10-26,02:59) or no heart rate number "
        "(first at data row 2)"]
    # without a zone the wall time is read as UTC (the warehouse default)
    utc = parse_file(HR_AUTO, "HEARTRATE_AUTO_1.csv").frames["heart_rate"]
    assert utc["ts"][0] == datetime(2025, 3, 1, 23, 58, tzinfo=UTC)


def test_the_clock_change_night_keeps_every_minute_in_order():
    """02:00-02:59 twice on 26 October: the file's step back says which pass is which."""
    hr = parse_file(writer.heart_rate_auto(NIGHTS), "HEARTRATE_AUTO_1.csv", tz=ZONE)
    frame = hr.frames["heart_rate"]
    assert frame["ts"].to_list() == [t for p in NIGHTS for t, _ in p.hr_in_bed()]
    assert frame["bpm"].to_list() == [b for p in NIGHTS for _, b in p.hr_in_bed()]
    assert hr.dropped == {} and hr.problems == []


def test_sleep_hours_are_deep_shallow_and_rem_minutes_of_the_wake_up_date():
    parsed = parse_file(SLEEP, "SLEEP_1.csv", tz=ZONE)
    assert parsed.frames["device_summaries"].rows() == [
        # 76 + 331 + 61 = 468 minutes, exactly `stop` - `start`
        (date(2022, 1, 1), datetime(2022, 1, 1, 6, 50, tzinfo=UTC), "sleep_hours", 7.8, "zepp"),
        (date(2022, 1, 3), datetime(2022, 1, 3, 5, tzinfo=UTC), "sleep_hours", 6.5, "zepp"),
    ]
    # the no-sleep day, the shorter row of 3 January, the row without a `stop`
    assert parsed.dropped == {"sleep_no_sleep": 1, "sleep_shorter_row": 1,
                              "sleep_row_unreadable": 1}
    assert parsed.problems == [
        "1 row skipped: no `date`, no `start`/`stop` time or a stage without minutes "
        "(first at data row 5)"]


def test_the_older_mi_fit_layout_has_unix_seconds_and_no_rem():
    parsed = parse_file(MIFIT_SLEEP, "sleep.csv")
    assert parsed.frames["device_summaries"].rows() == [
        (date(2020, 2, 5), datetime(2020, 2, 5, 5, 30, tzinfo=UTC), "sleep_hours", 395 / 60,
         "zepp")]


def test_planned_nights_across_the_clock_change_give_seven_hours_each():
    parsed = parse_file(writer.sleep_csv(NIGHTS), "SLEEP_1.csv", tz=ZONE)
    assert parsed.frames["device_summaries"].select("night", "value").rows() == [
        (p.night, 7.0) for p in NIGHTS]
    assert parsed.dropped == {"sleep_no_sleep": 1}


def test_a_download_cut_mid_row_is_partial_with_the_rows_before_the_cut():
    data = writer.heart_rate_auto(NIGHTS)
    cut = data[: len(data) // 2]
    cut = cut[: cut.rindex(b"\n") + 6]  # stop inside a row: `2025-`
    parsed = parse_file(cut, "HEARTRATE_AUTO_1.csv", tz=ZONE)
    whole = cut.count(b"\n") - 1
    assert parsed.frames["heart_rate"].height == whole
    assert parsed.dropped == {"heart_rate_row_unreadable": 1}
    assert parsed.problems and f"first at data row {whole + 1}" in parsed.problems[0]
    lines = writer.sleep_csv(NIGHTS).split(b"\n")
    cut_sleep = b"\n".join(lines[:2] + [lines[2][:40]])  # night 2 cut inside its `start`
    parsed = parse_file(cut_sleep, "SLEEP_1.csv", tz=ZONE)
    assert parsed.frames["device_summaries"]["night"].to_list() == [NIGHTS[0].night]
    assert parsed.problems == [
        "1 row skipped: no `date`, no `start`/`stop` time or a stage without minutes "
        "(first at data row 2)"]


def test_a_file_with_no_readable_row_is_quarantined_with_the_reason():
    with pytest.raises(ParseError, match="no usable rows .* no `date` \\+ `time`"):
        parse_file(b"date,time,heartRate\n2025-03-01,x,50\n", "HEARTRATE_AUTO_1.csv")
    with pytest.raises(ParseError, match="no shallowSleepTime column"):
        zepp.parse_sleep(b"date,deepSleepTime,start,stop\n", "SLEEP_1.csv")
    with pytest.raises(ParseError, match="no usable rows .*: 1 sleep_no_sleep"):
        parse_file(SLEEP.split(b"\n")[0] + b"\n" + SLEEP.split(b"\n")[2] + b"\n", "SLEEP_1.csv")


def test_unread_names_the_layouts_other_folders_only():
    names = [f"3075021305_1/{t}/{t}_1749047212827.csv" for t in
             ("ACTIVITY", "SPORT", "BODY", "USER", "SLEEP_MINUTE", "HEARTRATE", "HEARTRATE_AUTO",
              "SLEEP")]
    skips = unread(names + ["notes/BODY.csv", "BODY_1.csv"])
    assert sorted(skips) == sorted(names[:6])
    assert skips[names[4]].startswith("ignored: SLEEP_MINUTE of the Zepp export: per-minute")


def test_the_export_zip_is_read_member_by_member(tmp_path):
    folder = writer.write_export(tmp_path / "in", NIGHTS)
    archive = shutil.make_archive(str(tmp_path / "zepp"), "zip", folder.parent)
    results = parse_input(archive, "zep", tz=ZONE)
    got = sorted((r.path.split("/")[-2], r.parsed.format if r.parsed else r.error)
                 for r in results)
    assert got == [
        ("ACTIVITY", "ignored: ACTIVITY of the Zepp export: daily steps, distance and calories, "
                     "no nightly value; not read"),
        ("HEARTRATE_AUTO", "zepp_heart_rate_csv"),
        ("SLEEP", "zepp_sleep_csv"),
        ("USER", "ignored: USER of the Zepp export: the account profile (name, birthday), not "
                 "measurements; not read")]


@pytest.mark.parametrize("header", [
    b"date,steps,distance,runDistance,calories",
    b"time,weight,height,bmi,fatRate,bodyWaterRate,boneMass,metabolism,muscleRate,visceralFat",
    b"date,time,stage,hr,respiratory_rate",
    b"time,heartRate",
    b"userId,gender,height,weight,nickName,avatar,birthday",
])
def test_the_unread_shapes_outside_the_layout_are_unrecognised(header):
    """Renamed or loose, they are sniffed like any file: no parser claims them."""
    with pytest.raises(ParseError, match="unrecognised format"):
        parse_file(header + b"\n2026-03-02,1,2,3,4\n", "loose.csv")


def test_a_time_in_the_spring_gap_does_not_exist_and_is_counted():
    data = (b"date,time,heartRate\n2025-03-30,01:59,50\n2025-03-30,02:30,51\n"
            b"2025-03-30,03:00,52\n")
    parsed = parse_file(data, "HEARTRATE_AUTO_1.csv", tz=ZONE)
    assert parsed.frames["heart_rate"]["ts"].to_list() == [
        datetime(2025, 3, 30, 0, 59, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC)]
    assert parsed.dropped == {"nonexistent_local_time": 1}
    assert parsed.problems == ["1 heart-rate samples skipped: local times that do not exist in "
                               "Europe/Amsterdam (the hour skipped when the clocks went forward)"]
