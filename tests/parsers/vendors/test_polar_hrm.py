"""Polar .hrm recordings: R-R rows laid end to end from the local start, sampled HR rows,
clock-change starts, truncated and damaged files."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from parsers.base import ParseError
from parsers.registry import parse_file
from parsers.vendors import claimants, polar_hrm

ZONE = "Europe/Amsterdam"


def hrm(rows: list[int | str], *, date: str = "20250301", start: str = "06:58:10.0",
        length: str | None = None, interval: int = 238) -> bytes:
    total = sum(r for r in rows if isinstance(r, int)) / 1000 if interval == 238 else \
        len(rows) * interval
    length = length or f"{int(total) // 3600:02d}:{int(total) % 3600 // 60:02d}:" \
                       f"{total % 60:04.1f}"
    lines = ["[Params]", "Version=106", "Monitor=22", "SMode=000000000", f"Date={date}",
             f"StartTime={start}", f"Length={length}", f"Interval={interval}", "",
             "[Note]", "morning test", "", "[HRData]", *map(str, rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


#: fuzz seeds (tests/fuzz/fuzzkit.vendor_fixtures reads upper-case bytes constants)
RR_HRM = hrm([1000, 1050, 980, 2800, 1000, "1000\t120", 990])
SAMPLED_HRM = hrm([61, 63, 0, 64], interval=5)


def test_only_its_own_sniffer_claims_it():
    assert claimants(hrm([1000, 1020]), "a.hrm") == ["polar_hrm"]
    assert claimants(b"[Params]\nfoo=1\n", "a.ini") == []


def test_rr_rows_become_beats_ending_at_start_plus_the_running_sum():
    parsed = polar_hrm.parse(hrm([1000, 1050, 980]), "a.hrm", tz=ZONE)
    rr = parsed.frames["rr_intervals"]
    start = datetime(2025, 3, 1, 5, 58, 10, tzinfo=UTC)  # 06:58:10 CET
    assert rr["ts"].to_list() == [start + timedelta(milliseconds=ms) for ms in (1000, 2050, 3030)]
    assert rr["rr_ms"].to_list() == [1000.0, 1050.0, 980.0]
    assert (parsed.vendor, parsed.device, parsed.problems) == ("polar", "polar monitor 22", [])


def test_extra_columns_of_smode_are_ignored():
    parsed = polar_hrm.parse(hrm(["1000\t120\t85", "1010\t121\t86"]), "a.hrm", tz=ZONE)
    assert parsed.frames["rr_intervals"]["rr_ms"].to_list() == [1000.0, 1010.0]


def test_sampled_heart_rate_rows_every_interval_seconds():
    parsed = polar_hrm.parse(hrm([61, 63, 0], interval=5), "a.hrm", tz=ZONE)
    hr = parsed.frames["heart_rate"]
    start = datetime(2025, 3, 1, 5, 58, 10, tzinfo=UTC)
    assert hr["ts"].to_list() == [start, start + timedelta(seconds=5),
                                  start + timedelta(seconds=10)]
    assert hr["bpm"].to_list() == [61, 63, 0]


def test_artifacts_are_dropped_and_counted_but_their_time_passes():
    parsed = parse_file(hrm([1000, 2800, 1000, 180, 1000]), "a.hrm", tz=ZONE)
    rr = parsed.frames["rr_intervals"]
    assert parsed.dropped == {"rr_out_of_range": 2}
    start = datetime(2025, 3, 1, 5, 58, 10, tzinfo=UTC)
    assert rr["ts"].to_list() == [start + timedelta(milliseconds=ms) for ms in (1000, 4800, 5980)]


def test_a_night_across_the_autumn_change_is_laid_in_absolute_time():
    # 22:50 CEST on 25 Oct 2025 = 20:50 UTC; 7 h 20 min of beats end at 04:10 UTC (05:10 CET)
    rows = [1000] * (7 * 3600 + 20 * 60)
    rr = polar_hrm.parse(hrm(rows, date="20251025", start="22:50:00.0"), "n.hrm",
                         tz=ZONE).frames["rr_intervals"]
    assert rr["ts"].min() == datetime(2025, 10, 25, 20, 50, 1, tzinfo=UTC)
    assert rr["ts"].max() == datetime(2025, 10, 26, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize("date, start, reason", [
    ("20251026", "02:30:00.0", "ambiguous_local_time"),
    ("20250330", "02:30:00.0", "nonexistent_local_time"),
])
def test_a_start_in_the_clock_change_hour_cannot_be_placed(date, start, reason):
    parsed = polar_hrm.parse(hrm([1000, 1000], date=date, start=start), "a.hrm", tz=ZONE)
    assert parsed.frames == {}
    assert parsed.dropped == {reason: 2}
    with pytest.raises(ParseError, match="no usable rows.*clock"):
        parse_file(hrm([1000, 1000], date=date, start=start), "a.hrm", tz=ZONE)


@pytest.mark.hostile
def test_a_file_cut_short_is_partial_with_what_is_missing():
    full = hrm([1000] * 600)  # Length 00:10:00.0
    cut = full[: len(full) // 2]
    parsed = parse_file(cut, "cut.hrm", tz=ZONE)
    assert parsed.problems and "cut short" in parsed.problems[0]
    assert "0:10:00" in parsed.problems[0]
    assert parsed.frames["rr_intervals"].height < 600


@pytest.mark.hostile
def test_rows_after_an_unreadable_row_are_counted_not_misplaced():
    parsed = polar_hrm.parse(hrm([1000, 1000, "1O00", 1000, 1000]), "a.hrm", tz=ZONE)
    assert parsed.frames["rr_intervals"].height == 2
    assert parsed.dropped == {"unreadable_row": 3}
    assert "row 3" in parsed.problems[0]


@pytest.mark.hostile
@pytest.mark.parametrize("data, words", [
    (hrm([1000]).split(b"[HRData]")[0], "no \\[HRData\\] section"),
    (hrm([1000], date="2025-03-01"), "not yyyymmdd"),
    (hrm([1000], interval=7777), "Interval='7777'"),
])
def test_unusable_files_say_why(data, words):
    with pytest.raises(ParseError, match=words):
        parse_file(data, "a.hrm", tz=ZONE)


def test_recognised_inside_a_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ProTrainer/25030101.hrm", hrm([1000, 1000]))
    from parsers.archive import iter_members
    (member,) = list(iter_members(buf.getvalue(), "export.zip"))
    assert parse_file(member.data, member.name, tz=ZONE).format == "polar_hrm"


@pytest.mark.parametrize("missing_s, partial", [(70, False), (75, True)])
def test_a_short_contact_gap_is_not_called_a_cut(missing_s, partial):
    """1 h stated: up to max(30 s, 2 % = 72 s) of missing beats is a contact gap, not a cut."""
    rows = [1000] * (3600 - missing_s)
    parsed = polar_hrm.parse(hrm(rows, length="01:00:00.0"), "a.hrm", tz=ZONE)
    assert bool(parsed.problems) is partial


def test_unix_line_ends_read_the_same():
    """Files copied through other tools often lose ProTrainer's CRLF."""
    crlf = polar_hrm.parse(RR_HRM, "a.hrm", tz=ZONE).frames["rr_intervals"]
    lf = polar_hrm.parse(RR_HRM.replace(b"\r\n", b"\n"), "a.hrm", tz=ZONE).frames["rr_intervals"]
    assert lf.equals(crlf) and crlf.height == 7
