"""Google Health Takeout CSVs: UTC instants with per-row offsets, daily rows as local dates,
the local-wall-time trap, truncated downloads, and the files of the layout left unread."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import UTC, date, datetime

import pytest

from parsers.archive import iter_members
from parsers.base import ParseError
from parsers.registry import parse_file
from parsers.vendors import claimants, google_health, unread
from sample_data.export_plan import plan
from sample_data.vendors import google_health as writer

# 25 Oct (CEST) and the clock-change night to 26 Oct; the first night has a nap
NIGHTS = plan(date(2025, 10, 25), 2, "Europe/Amsterdam")
FILES = {str(k): v for k, v in (writer.sleep_files(NIGHTS) | writer.activity_files(NIGHTS)
                                | writer.global_export_files(NIGHTS)).items()}


def _file(stem: str) -> bytes:
    return next(v for k, v in FILES.items() if k.rsplit("/", 1)[-1].startswith(stem)).encode()


def _head(stem: str, lines: int = 12) -> bytes:
    return b"".join(_file(stem).splitlines(keepends=True)[:lines])


# one small file of each kind (also the fuzzing seeds, tests/fuzz/fuzzkit.py)
SLEEPS_CSV = _file("UserSleeps_")
STAGES_CSV = _head("UserSleepStages_")
HRV_CSV = _head("heart_rate_variability_")
DAILY_HRV_CSV = _file("daily_heart_rate_variability_")
RESTING_HR_CSV = _file("daily_resting_heart_rate")
HEART_RATE_CSV = _head("heart_rate_2")


@pytest.mark.parametrize("stem, fmt", [
    ("UserSleeps_", "google_health_sleeps_csv"),
    ("UserSleepStages_", "google_health_sleep_stages_csv"),
    ("heart_rate_variability_", "google_health_hrv_csv"),
    ("daily_heart_rate_variability_", "google_health_daily_hrv_csv"),
    ("daily_resting_heart_rate", "google_health_resting_hr_csv"),
    ("heart_rate_2", "google_health_heart_rate_csv"),
])
def test_each_file_is_claimed_by_its_own_sniffer_only(stem, fmt):
    assert claimants(_file(stem), "export.csv") == [fmt]


def test_the_readmes_and_the_machine_learning_file_are_claimed_by_nobody():
    assert claimants(_file("UserSleeps README"), "x.txt") == []
    assert claimants(_file("UserActivityProbabilities_"), "x.csv") == []


def test_sleeps_are_utc_instants_and_the_night_is_the_local_wake_up_date():
    parsed = google_health.parse_sleeps(_file("UserSleeps_"), "s.csv")
    out = parsed.frames["device_summaries"].filter(metric="sleep_hours")
    # the nap of 25 Oct (28 min) never replaces the night; bed 22:30 CEST + 440 min, and on
    # the DST night 22:40 CEST + 440 min = 05:00 CET
    assert out.select("night", "ts", "value").rows() == [
        (date(2025, 10, 25), datetime(2025, 10, 25, 3, 50, tzinfo=UTC), 7.0),
        (date(2025, 10, 26), datetime(2025, 10, 26, 4, 0, tzinfo=UTC), 7.0),
    ]
    assert parsed.utc_offset_s == 7200  # the most common end offset (two of three sleeps)
    assert parsed.dropped == {} and parsed.problems == []


def _asleep_s(stages) -> float:
    return sum((b - a).total_seconds() for a, b, s in stages.rows() if s != "awake")


def test_stages_of_the_clock_change_night_keep_their_absolute_length():
    stages = google_health.parse_stages(_file("UserSleepStages_"), "st.csv").frames["sleep_stages"]
    assert _asleep_s(stages) == 2 * 7 * 3600 + 28 * 60  # two nights and the nap
    # night 2: bed 22:40 CEST = 20:40 UTC, wake 440 min later = 04:00 UTC
    assert stages["start_ts"].min() == datetime(2025, 10, 24, 20, 30, tzinfo=UTC)
    assert stages["end_ts"].max() == datetime(2025, 10, 26, 4, 0, tzinfo=UTC)


def test_local_wall_times_labelled_utc_are_recognised_by_the_clock_change_night():
    sleeps, stages = writer.user_sleeps_csv(NIGHTS, sleep_times="local")
    assert "2025-10-26T05:00:00Z" in sleeps  # the trap as written: 05:00 local, marked Z
    good = google_health.parse_sleeps(_file("UserSleeps_"), "s.csv").frames
    trap = google_health.parse_sleeps(sleeps.encode(), "s.csv").frames
    assert trap["device_summaries"].equals(good["device_summaries"])
    good_st = google_health.parse_stages(_file("UserSleepStages_"), "st.csv").frames
    trap_st = google_health.parse_stages(stages.encode(), "st.csv").frames
    assert trap_st["sleep_stages"].equals(good_st["sleep_stages"])


def test_a_record_created_before_its_labelled_end_gives_local_times_away():
    """No clock change that night, but the record was created (synced) 30 minutes after the
    real wake-up: read as UTC the sleep would end after its own record was made."""
    one = plan(date(2025, 10, 20), 1, "Europe/Amsterdam")
    sleeps, _ = writer.user_sleeps_csv(one, sleep_times="local")
    assert ",2025-10-20T05:50:00Z,PASSIVELY_MEASURED,2025-10-20T04:20:00Z," in sleeps
    out = google_health.parse_sleeps(sleeps.encode(), "s.csv").frames["device_summaries"]
    assert out["ts"][0] == datetime(2025, 10, 20, 3, 50, tzinfo=UTC)  # 05:50 CEST


def test_a_record_created_when_the_sleep_began_is_judged_by_its_last_update():
    """A 30-minute nap, UTC as documented, whose record was created at its start: only its
    last update (after the end) says anything, and it agrees with UTC."""
    text = (b"sleep_id,sleep_type,minutes_in_sleep_period,minutes_asleep,minutes_awake,"
            b"start_utc_offset,sleep_start,end_utc_offset,sleep_end,data_source,sleep_created,"
            b"sleep_last_updated\n"
            b"7,CLASSIC,30,28,2,+02:00,2025-10-20T12:00:00Z,+02:00,2025-10-20T12:30:00Z,"
            b"PASSIVELY_MEASURED,2025-10-20T12:00:00Z,2025-10-20T12:40:00Z\n")
    out = google_health.parse_sleeps(text, "s.csv").frames["device_summaries"]
    assert out["ts"][0] == datetime(2025, 10, 20, 12, 30, tzinfo=UTC)


def test_with_nothing_to_tell_the_readme_utc_holds():
    """Documented limit: no clock change and a record synced hours later: UTC, as the README
    says, even if the file holds local times."""
    one = plan(date(2025, 10, 20), 1, "Europe/Amsterdam")
    sleeps, _ = writer.user_sleeps_csv(one, sleep_times="local")
    for synced in ("2025-10-20T04:20:00Z", "2025-10-20T13:00:00Z"):  # the night, the nap
        sleeps = sleeps.replace(synced, "2025-10-21T12:00:00Z")
    out = google_health.parse_sleeps(sleeps.encode(), "s.csv").frames["device_summaries"]
    assert out["ts"][0] == datetime(2025, 10, 20, 5, 50, tzinfo=UTC)


def test_daily_rows_at_midnight_utc_name_the_local_date_in_any_zone():
    text = (b"timestamp,average heart rate variability milliseconds,non rem heart rate beats "
            b"per minute,entropy,deep sleep root mean square of successive differences "
            b"milliseconds,data source\n"
            b"2025-10-26T00:00:00Z,44.0,51.2,2.61,48.0,Google Pixel Watch 3\n")
    for tz in ("America/New_York", "Asia/Tokyo"):
        out = google_health.parse_daily_hrv(text, "d.csv", tz=tz).frames["device_summaries"]
        assert out.select("night", "metric", "value").rows() == [
            (date(2025, 10, 26), "hrv_rmssd_ms", 44.0), (date(2025, 10, 26), "nrem_hr", 51.2)]


def test_resting_hr_zero_is_no_estimate():
    text = (b"timestamp,beats per minute,data source\n2025-10-25T00:00:00Z,52.0,Watch\n"
            b"2025-10-26T00:00:00Z,0,Watch\n")
    assert claimants(text, "daily_resting_heart_rate.csv") == ["google_health_resting_hr_csv"]
    out = google_health.parse_resting_hr(text, "r.csv").frames["device_summaries"]
    assert out.select("night", "value").rows() == [(date(2025, 10, 25), 52.0)]


def test_heart_rate_keeps_one_sample_per_instant_and_hrv_never_takes_sdnn():
    hr = google_health.parse_heart_rate(_file("heart_rate_2"), "h.csv").frames["heart_rate"]
    planned = sum(len(p.hr_in_bed()) + 3 for p in NIGHTS)  # the mirror's repeats dropped
    assert hr.height == planned
    assert hr["ts"].is_unique().all()
    hrv = google_health.parse_hrv(_file("heart_rate_variability_"), "v.csv").frames["hrv_samples"]
    assert sorted(set(hrv["rmssd_ms"])) == [37.0, 39.0, 43.0, 45.0]  # plan +-3, SDNN is x1.4


def test_a_download_cut_mid_row_is_partial_with_a_reason_to_act_on():
    text = _file("UserSleepStages_")
    cut = text[: text.rindex(b"\n", 0, len(text) - 1) + 30]  # the last row cut in its times
    parsed = parse_file(cut, "UserSleepStages_2025-10-01.csv")
    assert parsed.dropped == {"row_cut_short": 1}
    assert "cut short" in parsed.problems[0] and "download the export again" in parsed.problems[0]
    whole = google_health.parse_stages(text, "s.csv").frames["sleep_stages"]
    assert parsed.frames["sleep_stages"].height == whole.height - 1


def test_an_unreadable_time_is_counted_not_lost():
    text = (b"timestamp,beats per minute,data source\n2025-10-25T22:00:00Z,52,W\n"
            b"2025-10-25T22:01:00Z,53,W\n25/10/2025 22:02,54,W\n")
    parsed = parse_file(text, "heart_rate_2025-10-01.csv")
    assert parsed.format == "google_health_heart_rate_csv"
    assert parsed.dropped == {"row_unreadable": 1}
    assert "'25/10/2025 22:02'" in parsed.problems[0]


def test_an_unknown_stage_type_is_counted_and_named():
    text = (b"sleep_id,sleep_stage_id,sleep_stage_type,start_utc_offset,sleep_stage_start,"
            b"end_utc_offset,sleep_stage_end\n"
            b"1,1,LIGHT,+02:00,2025-10-25T20:00:00Z,+02:00,2025-10-25T21:00:00Z\n"
            b"1,2,DEEP,+02:00,25-10-2025 21:00,+02:00,2025-10-25T22:00:00Z\n"
            b"1,3,SNOOZING,+02:00,2025-10-25T22:00:00Z,+02:00,2025-10-25T23:00:00Z\n")
    parsed = parse_file(text, "UserSleepStages_2025-10-01.csv")
    assert parsed.dropped == {"sleep_stage_unknown": 1, "row_unreadable": 1}
    assert "'SNOOZING'" in parsed.problems[0] and "'25-10-2025 21:00'" in parsed.problems[1]
    assert parsed.frames["sleep_stages"].rows() == [
        (datetime(2025, 10, 25, 20, tzinfo=UTC), datetime(2025, 10, 25, 21, tzinfo=UTC), "light")]


def test_a_file_cut_inside_its_header_is_quarantined_naming_the_missing_column():
    text = _file("UserSleeps_")[:150]  # the header ends before sleep_start
    with pytest.raises(ParseError, match="unrecognised format"):
        parse_file(text, "UserSleeps_2025-10-01.csv")
    stages = b"sleep_id,sleep_stage_id,sleep_stage_type,sleep_stage_start,sleep_stage_end\n"
    with pytest.raises(ParseError, match="no sleep_stage_start"):
        google_health.parse_stages(stages.replace(b"sleep_stage_start", b"start"), "x.csv")


def test_unread_names_twins_only_beside_their_csv():
    names = list(FILES)
    skips = unread(names)
    assert sorted(k.rsplit("/", 1)[-1] for k in skips) == sorted([
        "resting_heart_rate-2025-10-25.json", "sleep-2025-10-25.json",
        "UserActivityProbabilities_2025-10-01.csv", "UserSleeps README.txt",
        "UserSleepStages README.txt", "README.txt", "README.txt", "README.txt", "README.txt"])
    twin = next(v for k, v in skips.items() if k.endswith("sleep-2025-10-25.json"))
    assert twin.startswith("ignored: legacy twin") and "UserSleeps_2025-10-01.csv" in twin
    # an old Fitbit Takeout (no *_GoogleData CSVs): its JSON is read as before
    legacy = [n for n in names if "Global Export Data" in n]
    assert unread([n.replace("Google Health", "Fitbit") for n in legacy]) == {}
    assert unread(legacy) == {}


def test_unread_zip_members_come_with_their_reason_and_are_never_inflated():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in FILES.items():
            z.writestr(name, text)
    members = list(iter_members(buf.getvalue(), "takeout.zip", unread=unread))
    refused = [m.reason for m in members if m.data is None]
    assert len(refused) == 9 and all(r.startswith("ignored: ") for r in refused)
    assert len(members) - len(refused) == 6


@pytest.mark.parametrize("zone, start, change", [
    ("Europe/Amsterdam", date(2026, 3, 28), date(2026, 3, 29)),  # 02:00 CET -> 03:00 CEST
    ("Australia/Sydney", date(2026, 4, 4), date(2026, 4, 5)),  # 03:00 AEDT -> 02:00 AEST
])
def test_the_study_profile_zip_reads_back_its_plan_across_a_clock_change(
        tmp_path, zone, start, change):
    from sample_data.vendors.common import Expect, Out
    from sample_data.vendors.study import plan_athlete

    a = plan_athlete("x", "google_health", 30, zone, start, 3, 3)
    writer.google_health(a, Expect(a), Out(tmp_path), random.Random(1))
    members = list(iter_members(tmp_path / "x" / writer.STUDY_ZIP, "z", unread=unread))
    read = {m.name.rsplit("/", 1)[-1].split("_2")[0]: m.data for m in members if m.data}
    stages = parse_file(read["UserSleepStages"], "s.csv").frames["sleep_stages"]
    sleeps = parse_file(read["UserSleeps"], "u.csv").frames["device_summaries"]
    night = a.by_date()[change]
    lo = datetime.fromtimestamp(night.bedtime, UTC)
    hi = datetime.fromtimestamp(night.out_of_bed, UTC)
    inside = stages.filter((stages["start_ts"] >= lo) & (stages["end_ts"] <= hi))
    assert _asleep_s(inside) == night.asleep_s
    hours = sleeps.filter((sleeps["metric"] == "sleep_hours") & (sleeps["night"] == change))
    assert hours["value"].to_list() == [night.asleep_s / 3600]
    assert sum(m.data is None for m in members) == 7  # 4 READMEs, ML file, 2 twins: unread
