"""Suunto beat-to-beat files: .sml (start from a sample's UTC stamp, else the local header
time) and the Suunto app's samples.json (R-R blocks stamped with offsets)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from parsers.base import ParseError
from parsers.registry import parse_file
from parsers.vendors import claimants, suunto

ZONE = "Europe/Amsterdam"


def sml(rr: str, *, sample: bool = True, local: str = "2025-10-25T22:50:00",
        duration: float | None = None) -> bytes:
    values = [int(v) for v in rr.split() if v.isdigit()]
    duration = duration if duration is not None else sum(values) / 1000
    samples = ("<Sample><HR>0.97</HR><Time>600</Time><SampleType>periodic</SampleType>"
               "<UTC>2025-10-25T21:00:00.000Z</UTC></Sample>") if sample else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<sml xmlns="http://www.suunto.com/'
            f'schemas/sml"><DeviceLog><Header><Duration>{duration}</Duration><DateTime>'
            f"{local}</DateTime></Header><Device><Name>Suunto 9 Peak</Name></Device>"
            f"<Samples>{samples}</Samples><R-R><Data>{rr}</Data></R-R></DeviceLog></sml>"
            ).encode()


def app(blocks: list[tuple[str, list[int]]]) -> bytes:
    return json.dumps({"Samples": [
        {"TimeISO8601": t, "Attributes": {"suunto/sml": {"R-R": {"IBI": ibi}}}}
        for t, ibi in blocks] + [
        {"TimeISO8601": blocks[0][0], "Attributes": {"suunto/sml": {"Sample": {"HR": 1.0}}}}]
    }).encode()


#: fuzz seeds (tests/fuzz/fuzzkit.vendor_fixtures reads upper-case bytes constants)
SML = sml("1000 1050 980 2800 1000 990")
APP_JSON = app([("2025-03-01T07:00:02.000+01:00", [1000, 1000]),
                ("2025-03-01T07:00:03.000+01:00", [1000])])


def test_each_file_is_claimed_by_its_own_sniffer_only():
    assert claimants(sml("1000 1000"), "a.sml") == ["suunto_sml"]
    assert claimants(app([("2025-03-01T07:00:01.000+01:00", [1000])]), "s.json") == [
        "suunto_json"]
    assert claimants(b'<?xml version="1.0"?><gpx></gpx>', "a.gpx") == []


def test_sml_start_comes_from_a_sample_utc_stamp_minus_its_time():
    parsed = suunto.parse_sml(sml("1000 1050 980"), "a.sml", tz="UTC")  # tz not needed
    start = datetime(2025, 10, 25, 20, 50, tzinfo=UTC)  # 21:00:00Z - 600 s
    rr = parsed.frames["rr_intervals"]
    assert rr["ts"].to_list() == [start + timedelta(milliseconds=ms) for ms in (1000, 2050, 3030)]
    assert (parsed.device, parsed.utc_offset_s, parsed.problems) == ("Suunto 9 Peak", 7200, [])


def test_sml_without_samples_reads_the_header_in_the_athletes_zone():
    parsed = suunto.parse_sml(sml("1000", sample=False, local="2025-03-01T06:58:10"),
                              "a.sml", tz=ZONE)
    assert parsed.frames["rr_intervals"]["ts"].to_list() == [
        datetime(2025, 3, 1, 5, 58, 11, tzinfo=UTC)]


def test_sml_without_r_r_says_how_to_get_it():
    data = sml("1000").replace(b"<R-R><Data>1000</Data></R-R>", b"")
    with pytest.raises(ParseError, match="without R-R"):
        suunto.parse_sml(data, "a.sml")


@pytest.mark.hostile
def test_a_cut_sml_keeps_the_beats_before_the_cut_and_is_partial():
    full = sml(" ".join(["1000"] * 400))
    cut = full[: full.index(b"<R-R>") + 400]  # inside <Data>, mid-number possibly
    parsed = parse_file(cut, "cut.sml", tz=ZONE)
    rr = parsed.frames["rr_intervals"]
    assert 0 < rr.height < 400 and set(rr["rr_ms"]) == {1000.0}
    assert any("cut short" in p for p in parsed.problems)
    assert rr["ts"].min() == datetime(2025, 10, 25, 20, 50, 1, tzinfo=UTC)


@pytest.mark.hostile
def test_an_sml_cut_before_the_r_r_data_is_quarantined_with_a_reason():
    full = sml("1000 1000")
    with pytest.raises(ParseError, match="before any <R-R><Data>"):
        parse_file(full[: full.index(b"<R-R>") - 5], "cut.sml", tz=ZONE)


@pytest.mark.hostile
def test_a_stated_duration_longer_than_the_beats_is_partial():
    parsed = parse_file(sml("1000 1000", duration=600.0), "a.sml", tz=ZONE)
    assert "cut short" in parsed.problems[0]


def test_app_json_blocks_are_chained_and_stamped_at_their_last_beat():
    # the clock goes back at 03:00 CEST: the second block carries +01:00, 1 s later in UTC
    parsed = suunto.parse_json(app([("2025-10-26T02:59:59.000+02:00", [1000, 1000]),
                                    ("2025-10-26T02:00:00.000+01:00", [1000])]), "s.json")
    rr = parsed.frames["rr_intervals"]
    start = datetime(2025, 10, 26, 0, 59, 57, tzinfo=UTC)
    assert rr["ts"].to_list() == [start + timedelta(seconds=s) for s in (1, 2, 3)]


def test_app_json_blocks_after_a_gap_start_a_new_run():
    parsed = suunto.parse_json(app([("2025-03-01T07:00:02.000+01:00", [1000, 1000]),
                                    ("2025-03-01T07:10:00.000+01:00", [900])]), "s.json")
    assert parsed.frames["rr_intervals"]["ts"].to_list() == [
        datetime(2025, 3, 1, 6, 0, 1, tzinfo=UTC), datetime(2025, 3, 1, 6, 0, 2, tzinfo=UTC),
        datetime(2025, 3, 1, 6, 10, tzinfo=UTC)]


@pytest.mark.hostile
def test_a_cut_app_json_is_quarantined_with_where_it_broke():
    data = app([("2025-03-01T07:00:02.000+01:00", [1000, 1000])])
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_file(data[:-20], "samples.json", tz=ZONE)


def test_app_json_blocks_without_a_time_are_counted():
    data = json.dumps({"Samples": [
        {"TimeISO8601": "2025-03-01T07:00:02.000+01:00",
         "Attributes": {"suunto/sml": {"R-R": {"IBI": [1000, 1000]}}}},
        {"TimeISO8601": None, "Attributes": {"suunto/sml": {"R-R": {"IBI": [990, 990]}}}},
    ]}).encode()
    parsed = suunto.parse_json(data, "s.json")
    assert parsed.frames["rr_intervals"].height == 2
    assert parsed.dropped == {"unreadable_value": 2}


@pytest.mark.hostile
def test_a_damaged_block_is_counted_and_never_bridged():
    """The middle block holds a value that is no number: its beats have no known time, and
    the next block starts its own run instead of joining the first."""
    data = json.dumps({"Samples": [
        {"TimeISO8601": "2025-03-01T07:00:02.000+01:00",
         "Attributes": {"suunto/sml": {"R-R": {"IBI": [1000, 1000]}}}},
        {"TimeISO8601": "2025-03-01T07:00:02.500+01:00",
         "Attributes": {"suunto/sml": {"R-R": {"IBI": ["5OO"]}}}},
        {"TimeISO8601": "2025-03-01T07:00:03.400+01:00",
         "Attributes": {"suunto/sml": {"R-R": {"IBI": [900]}}}},
    ]}).encode()
    parsed = suunto.parse_json(data, "s.json")
    assert parsed.frames["rr_intervals"]["ts"].to_list() == [
        datetime(2025, 3, 1, 6, 0, 1, tzinfo=UTC), datetime(2025, 3, 1, 6, 0, 2, tzinfo=UTC),
        datetime(2025, 3, 1, 6, 0, 3, 400_000, tzinfo=UTC)]
    assert parsed.dropped == {"unreadable_value": 1}
    assert parsed.utc_offset_s == 3600


def test_both_kinds_are_recognised_inside_a_zip():
    import io
    import zipfile

    from parsers.archive import iter_members

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("Moveslink2/log-1-2025-10-25T22_50_00-0.sml", SML)
        z.writestr("entry_1_2/samples.json", APP_JSON)
    formats = [parse_file(m.data, m.name, tz=ZONE).format
               for m in iter_members(buf.getvalue(), "suunto.zip")]
    assert formats == ["suunto_sml", "suunto_json"]
