"""Samsung Health personal-data export: CSVs (metadata line, UTC wall times + time_offset)
and the `jsons/` binning files they point to."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime

import polars as pl
import pytest

from parsers.base import ParseError
from parsers.inputs import parse_input
from parsers.registry import parse_file
from parsers.vendors import claimants, samsung_health
from sample_data.export_plan import plan
from sample_data.vendors import samsung_health as samsung_health_writer
from sample_data.vendors.samsung_health import (
    heart_rate_csv,
    heart_rate_rows,
    hrv_rows,
    sleep_stage_csv,
)

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

#: the binning files' raw shape (epoch ms, UTC): 2024-12-06 12:20:51 and 12:25:51 UTC
HR_BINNING = (b'[{"end_time":1733487710000,"heart_rate":61,"heart_rate_max":63,'
              b'"heart_rate_min":59,"start_time":1733487651000},{"end_time":1733487770000,'
              b'"heart_rate":60.4,"heart_rate_max":62.0,"heart_rate_min":58.0,'
              b'"start_time":1733487711000}]')
HRV_BINNING = (b'[{"rmssd":40.5,"sdnn":50.1,"end_time":1733487951000,"start_time":1733487651000},'
               b'{"rmssd":null,"sdnn":49.2,"end_time":1733488251000,"start_time":1733487951000}]')
HRV_CSV = (b"com.samsung.health.hrv,6315003,1\n"
           b"create_sh_ver,start_time,custom,binning_data,time_offset,end_time,datauuid\n"
           b"6315003,2024-12-06 12:20:51.000,,9c41.binning_data.json,UTC+0100,"
           b"2024-12-06 12:30:51.000,9c41,\n")


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


def test_prefixed_heart_rate_columns_and_only_spot_rows_load_from_the_csv():
    """Series rows (with `binning_data`) are loaded from their JSON files, never twice."""
    parsed = samsung_health.parse_heart_rate(heart_rate_csv(NIGHTS).encode(), "hr.csv")
    hr = parsed.frames["heart_rate"]
    # the two daytime spot rows: 12:00 CEST on 25 Oct, 12:00 CET on 26 Oct
    assert hr.rows() == [(datetime(2025, 10, 25, 10, tzinfo=UTC), 72, "monitoring"),
                         (datetime(2025, 10, 26, 11, tzinfo=UTC), 72, "monitoring")]
    assert parsed.utc_offset_s == 7200
    assert (parsed.dropped, parsed.problems) == ({}, [])  # no folder around: nothing checked
    small = samsung_health.parse_heart_rate(HEART_RATE_ROWS, "hr.csv").frames["heart_rate"]
    assert small["bpm"].to_list() == [52, 51]


def test_each_json_binning_file_is_claimed_by_its_own_sniffer_only():
    _, hr_files = heart_rate_rows(NIGHTS)
    _, hrv_files = hrv_rows(NIGHTS)
    hr_json = json.dumps(next(iter(hr_files.values()))).encode()
    hrv_json = json.dumps(next(iter(hrv_files.values()))).encode()
    assert claimants(hr_json, "a.json") == ["samsung_heart_rate_json"]
    assert claimants(hrv_json, "b.binning_data.json") == ["samsung_hrv_json"]
    assert claimants(hrv_rows(NIGHTS)[0].encode(), "c.csv") == ["samsung_hrv_csv"]
    assert claimants(HR_BINNING, "h.json") == ["samsung_heart_rate_json"]
    assert claimants(HRV_BINNING, "v.json") == ["samsung_hrv_json"]
    assert claimants(HRV_CSV, "v.csv") == ["samsung_hrv_csv"]


def test_binning_files_give_every_minute_and_every_hrv_window():
    _, hr_files = heart_rate_rows(NIGHTS)
    minutes = [parse_file(json.dumps(bins).encode(), "x.json").frames["heart_rate"]
               for bins in hr_files.values()]
    hr = pl.concat(minutes).sort("ts")
    assert hr.height == sum(len(p.hr_in_bed()) for p in NIGHTS) == 2 * 440
    assert hr["ts"].to_list() == [t for p in NIGHTS for t, _ in p.hr_in_bed()]
    assert hr["bpm"].to_list() == [b for p in NIGHTS for _, b in p.hr_in_bed()]
    _, hrv_files = hrv_rows(NIGHTS)
    for p, bins in zip(NIGHTS, hrv_files.values(), strict=True):
        parsed = parse_file(json.dumps(bins).encode(), "y.binning_data.json")
        hrv = parsed.frames["hrv_samples"]
        assert hrv.height == 88  # 440 minutes in bed / 5
        assert hrv["ts"][0] == p.bed.astimezone(UTC)
        assert hrv["rmssd_ms"].mean() == p.hrv_ms
        assert set(hrv["rmssd_ms"]) == {p.hrv_ms - 3, p.hrv_ms + 3}


def test_a_bin_without_a_value_is_counted_and_a_cut_file_is_refused():
    bins = HRV_BINNING
    parsed = parse_file(bins, "z.binning_data.json")
    assert parsed.frames["hrv_samples"].rows() == [
        (datetime(2024, 12, 6, 12, 20, 51, tzinfo=UTC), 40.5)]
    assert parsed.dropped == {"hrv_bin_unreadable": 1}
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_file(bins[:120], "z.binning_data.json")
    hr = parse_file(HR_BINNING, "h.json").frames["heart_rate"]
    assert hr.rows() == [(datetime(2024, 12, 6, 12, 20, 51, tzinfo=UTC), 61, "monitoring"),
                         (datetime(2024, 12, 6, 12, 21, 51, tzinfo=UTC), 60, "monitoring")]


def test_an_hrv_csv_alone_is_loaded_without_rows_and_a_header_only_one_is_empty():
    parsed = parse_file(HRV_CSV, "v.csv")
    assert (parsed.format, parsed.frames, parsed.utc_offset_s) == ("samsung_hrv_csv", {}, 3600)
    with pytest.raises(ParseError, match="empty"):
        parse_file(HRV_CSV.rsplit(b"\n", 2)[0] + b"\n", "v.csv")


def test_a_heart_rate_csv_without_a_usable_row_is_still_refused():
    """Being an index of binning files does not make a CSV with nothing in it `loaded`."""
    with pytest.raises(ParseError, match="empty"):
        parse_file(HEART_RATE_ROWS.split(b"\n2025")[0] + b"\n", "hr.csv")
    unreadable = HEART_RATE_ROWS.replace(b"52.0", b"-").replace(b"51.0", b"")
    with pytest.raises(ParseError, match="no usable rows"):
        parse_file(unreadable, "hr.csv")


@pytest.fixture
def damaged_export(tmp_path):
    """A written export with one heart-rate binning file deleted and one HRV file cut short."""
    folder = samsung_health_writer.write_export(tmp_path / "in", NIGHTS)
    hr_json = sorted((folder / "jsons" / samsung_health.HEART_RATE_TYPE).rglob("*.json"))
    hrv_json = sorted((folder / "jsons" / samsung_health.HRV_TYPE).rglob("*.json"))
    assert (len(hr_json), len(hrv_json)) == (16, 2)  # 8 hourly rows a night; 1 HRV row
    hr_json[3].unlink()
    hrv_json[0].write_bytes(hrv_json[0].read_bytes()[:200])
    return folder


@pytest.mark.parametrize("zipped", [False, True])
def test_rows_pointing_to_missing_or_cut_binning_files_are_counted(damaged_export, zipped):
    folder = damaged_export
    if zipped:
        archive = shutil.make_archive(str(folder.parent / "export"), "zip", folder.parent,
                                      folder.name)
        results = parse_input(archive, "sam")
    else:
        results = [r for f in sorted(folder.rglob("*.csv")) for r in parse_input(str(f), "sam")]
    csvs = {r.parsed.format: r.parsed for r in results
            if r.parsed and r.parsed.format.endswith("_csv")}
    hr, hrv = csvs["samsung_heart_rate_csv"], csvs["samsung_hrv_csv"]
    assert hr.dropped == {"heart_rate_binning_missing": 1}
    assert hrv.dropped == {"hrv_binning_unreadable": 1}
    assert "1 heart_rate rows point to binning files" in hr.problems[0]  # -> partial
    assert "not valid JSON (1)" in hrv.problems[0]
    assert hr.frames["heart_rate"].height == 2  # the spot rows still load
    assert hrv.frames == {}
    if zipped:  # the cut file itself is refused on its own, with its reason
        errors = [r.error for r in results if r.error]
        assert len(errors) == 1 and "not valid JSON" in errors[0]


def test_a_binning_cell_that_is_not_a_plain_file_name_is_never_opened(tmp_path):
    (tmp_path / "secret.json").write_text("[]")
    (tmp_path / "in").mkdir()
    csv = tmp_path / "in" / "hrv.csv"
    csv.write_text("com.samsung.health.hrv,1,2\nstart_time,binning_data,end_time\n"
                   "2025-01-01 00:00:00,../../secret.json,2025-01-01 01:00:00\n"
                   "2025-01-01 02:00:00,/etc/passwd,2025-01-01 03:00:00\n")
    (result,) = parse_input(str(csv), "sam")
    assert result.parsed.dropped == {"hrv_binning_missing": 2}


def test_header_without_the_needed_column_is_refused():
    bad = b"com.samsung.health.sleep_stage,1,1\nstart_time,end_time\n2025-01-01 00:00:00,x\n"
    with pytest.raises(ParseError, match="no stage column"):
        samsung_health.parse_sleep_stage(bad, "bad.csv")


def test_a_jsons_folder_linked_out_of_the_export_is_not_followed(tmp_path):
    folder = samsung_health_writer.write_export(tmp_path / "in", NIGHTS)
    outside = tmp_path / "elsewhere"
    shutil.move(folder / "jsons", outside)
    (folder / "jsons").symlink_to(outside, target_is_directory=True)
    csv = next(folder.glob("com.samsung.health.hrv.*.csv"))
    (result,) = parse_input(str(csv), "sam")
    assert result.parsed.dropped == {"hrv_binning_missing": 2}
