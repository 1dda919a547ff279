"""The fitparse reference engine: our profile's names, dtypes, damage handling."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from parsers_testkit import T0, fit_seconds

from parsers.base import ParseError
from parsers.fit import reference as fit_fitparse


def test_names_messages_from_current_profile(fit_builder):
    data = fit_builder([
        ("SLEEP_LEVEL", {"timestamp": fit_seconds(T0), "sleep_level": "deep"}),
        ("MONITORING_HR_DATA", {"timestamp": fit_seconds(T0), "resting_heart_rate": 48}),
        ("HRV_STATUS_SUMMARY", {"timestamp": fit_seconds(T0), "last_night_average": 61.5}),
        ("HRV_VALUE", {"timestamp": fit_seconds(T0), "value": 42.5}),
        ("BEAT_INTERVALS", {"timestamp": fit_seconds(T0), "timestamp_ms": 250,
                            "time": [800, 1000]}),
    ], file_type=49)  # 49 = sleep file, not named in the profile
    frames, problems = fit_fitparse.decode(data)
    assert problems == []
    assert set(frames) == {"file_id", "sleep_level", "monitoring_hr_data",
                           "hrv_status_summary", "hrv_value", "beat_intervals"}
    assert frames["file_id"]["type"].to_list() == ["49"]
    assert frames["sleep_level"]["sleep_level"].to_list() == ["deep"]
    assert frames["sleep_level"]["timestamp"].to_list() == [T0]
    assert frames["monitoring_hr_data"]["resting_heart_rate"].to_list() == [48]
    assert frames["hrv_status_summary"]["last_night_average"].to_list() == [61.5]
    assert frames["hrv_value"]["value"].to_list() == [42.5]
    beats = frames["beat_intervals"]
    assert beats["time"].to_list() == [[800, 1000]]
    assert beats.schema["time"] == pl.List(pl.Int64)
    assert beats["_index"].to_list() == [5]


def test_index_and_dtypes(fit_builder):
    data = fit_builder([
        ("MONITORING", {"timestamp": fit_seconds(T0), "heart_rate": 50}),
        ("HRV", {"time": [0.8, 0.9]}),
        ("MONITORING", {"timestamp": fit_seconds(T0) + 60, "heart_rate": 51}),
    ])
    frames, _ = fit_fitparse.decode(data)
    mon = frames["monitoring"]
    assert mon.schema["_index"] == pl.UInt32
    assert mon["_index"].to_list() == [1, 3]
    assert mon.schema["timestamp"] == pl.Datetime("us", "UTC")
    assert mon.schema["heart_rate"] == pl.Int64
    assert frames["hrv"]["time"].to_list() == [[0.8, 0.9]]
    assert frames["file_id"].schema["manufacturer"] == pl.Int64  # uint16 base, not enum


def test_invalid_values_become_null(raw_fit_builder):
    raw_fit, definition = raw_fit_builder
    ts = fit_seconds(T0)
    body = definition(0, 20, [(253, 4, 0x86), (3, 1, 0x02)])  # record: timestamp, heart_rate
    body += struct.pack("<BIB", 0, ts, 0xFF) + struct.pack("<BIB", 0, ts + 1, 90)
    body += definition(1, 78, [(0, 6, 0x84)])  # hrv.time, 3 elements
    body += struct.pack("<BHHH", 1, 800, 0xFFFF, 900)
    frames, problems = fit_fitparse.decode(raw_fit(body))
    assert problems == []
    assert frames["record"]["heart_rate"].to_list() == [None, 90]
    assert frames["hrv"]["time"].to_list() == [[0.8, None, 0.9]]


def test_compressed_timestamp_header(raw_fit_builder):
    raw_fit, definition = raw_fit_builder
    ts = fit_seconds(T0)  # low 5 bits of this time matter for the offset arithmetic
    body = definition(0, 20, [(253, 4, 0x86), (3, 1, 0x02)])
    body += struct.pack("<BIB", 0, ts, 60)
    body += definition(1, 20, [(3, 1, 0x02)])  # record without timestamp
    offset = (ts + 3) & 0x1F
    body += struct.pack("<BB", 0x80 | (1 << 5) | offset, 61)
    frames, _ = fit_fitparse.decode(raw_fit(body))
    rec = frames["record"]
    assert rec["heart_rate"].to_list() == [60, 61]
    assert rec["timestamp"].to_list() == [T0, T0 + timedelta(seconds=3)]


def test_chained_files_continue_index(fit_builder):
    one = fit_builder([("MONITORING", {"timestamp": fit_seconds(T0), "heart_rate": 50})])
    two = fit_builder([("MONITORING", {"timestamp": fit_seconds(T0) + 60, "heart_rate": 52})])
    frames, problems = fit_fitparse.decode(one + two)
    assert problems == []
    assert frames["monitoring"]["heart_rate"].to_list() == [50, 52]
    assert frames["monitoring"]["_index"].to_list() == [1, 3]
    assert frames["file_id"].height == 2


def _monitoring(fit_builder, n: int = 20) -> bytes:
    base = fit_seconds(T0)
    return fit_builder([("MONITORING", {"timestamp": base + 60 * i, "heart_rate": 50 + i})
                        for i in range(n)])


def test_truncated_keeps_messages_before_damage(fit_builder):
    data = _monitoring(fit_builder)
    frames, problems = fit_fitparse.decode(data[:-30])
    assert len(problems) == 1 and problems[0].startswith("truncated after")
    hr = frames["monitoring"]["heart_rate"].to_list()
    assert 10 < len(hr) < 20 and hr == list(range(50, 50 + len(hr)))


def test_bad_crc_is_a_problem_not_an_error(fit_builder):
    data = bytearray(_monitoring(fit_builder))
    data[-1] ^= 0xFF
    frames, problems = fit_fitparse.decode(bytes(data))
    assert frames["monitoring"].height == 20
    assert problems and "CRC" in problems[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "only 0 bytes"), (b"hello world, this is text", "signature"),
     (b"<?xml version='1.0'?><gpx></gpx>", "not a FIT file")],
)
def test_not_fit_raises(data, reason):
    with pytest.raises(ParseError, match=reason):
        fit_fitparse.decode(data)


def test_header_only_raises(raw_fit_builder):
    raw_fit, _ = raw_fit_builder
    with pytest.raises(ParseError, match="no readable messages"):
        fit_fitparse.decode(raw_fit(b""))


def test_unknown_message_and_field_names(raw_fit_builder):
    raw_fit, definition = raw_fit_builder
    body = definition(0, 65000, [(1, 2, 0x84)]) + struct.pack("<BH", 0, 7)
    body += definition(1, 55, [(253, 4, 0x86), (199, 1, 0x02)])
    body += struct.pack("<BIB", 1, fit_seconds(T0), 9)
    frames, _ = fit_fitparse.decode(raw_fit(body))
    assert frames["unknown_65000"]["unknown_1"].to_list() == [7]
    assert frames["monitoring"]["unknown_199"].to_list() == [9]
    assert frames["monitoring"]["timestamp"].to_list() == [datetime(2024, 3, 1, 22, tzinfo=UTC)]
