"""Unit tests of the fast FIT decoder on hand-built bytes, with exact expected values."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from fitparse.records import Crc
from polars.testing import assert_frame_equal

from parsers.base import ParseError
from parsers.fit import fast as fit_fast
from parsers.fit.decode import decode_fit
from parsers.fit.fast.crc import crc16
from parsers.fit.fast.raw_writer import BASE, FitFile, pack

RECORD, SESSION, HRV, FILE_ID, EVENT, MONITORING, SLEEP_LEVEL = 20, 18, 78, 0, 21, 55, 275
HEART_RATE, DISTANCE, ALTITUDE, TS = 3, 5, 2, 253
T0 = 1_000_000_000  # FIT seconds


def fit_time(seconds: int) -> datetime:
    return datetime(1989, 12, 31, tzinfo=UTC) + timedelta(seconds=seconds)


def hr_file(rates: list[int], start: int = T0) -> FitFile:
    """record messages with timestamp + heart_rate, one per second."""
    f = FitFile().define(0, RECORD, [(TS, 4, BASE["uint32"]), (HEART_RATE, 1, BASE["uint8"])])
    for i, hr in enumerate(rates):
        f.data(0, pack(BASE["uint32"], start + i), bytes([hr]))
    return f


def col(frames: dict[str, pl.DataFrame], mesg: str, name: str) -> list:
    return frames[mesg][name].to_list()


# --- not FIT at all ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "only 0 bytes"),
        (b"\x0e\x10", "only 2 bytes"),
        (b"\x0e\x10\x00\x00\x00\x00\x00\x00.GIT\x00\x00", "signature is b'.GIT'"),
        (b"\x05\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00", "header size byte is 5"),
        (b"\x20\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00", "header declares 32 bytes"),
    ],
)
def test_not_fit_raises_parse_error(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match="not a FIT file") as err:
        fit_fast.decode(data)
    assert reason in str(err.value)


def test_header_only_file_has_no_messages() -> None:
    with pytest.raises(ParseError, match="no readable messages"):
        fit_fast.decode(bytes(FitFile()))


# --- values -------------------------------------------------------------------------------


def test_basic_record_values_and_index() -> None:
    frames, problems = fit_fast.decode(bytes(hr_file([60, 61, 255])))
    assert problems == []
    rec = frames["record"]
    assert rec.schema == {
        "_index": pl.UInt32,
        "timestamp": pl.Datetime("us", "UTC"),
        "heart_rate": pl.Int64,
    }
    assert rec["_index"].to_list() == [0, 1, 2]
    assert rec["timestamp"].to_list() == [fit_time(T0 + i) for i in range(3)]
    assert rec["heart_rate"].to_list() == [60, 61, None]  # 0xFF = invalid


def test_scale_offset_and_invalid() -> None:
    f = FitFile().define(0, RECORD, [(DISTANCE, 4, BASE["uint32"]), (ALTITUDE, 2, BASE["uint16"])])
    f.data(0, pack(BASE["uint32"], 12345), pack(BASE["uint16"], 2600))
    f.data(0, pack(BASE["uint32"], 0xFFFFFFFF), pack(BASE["uint16"], 0xFFFF))
    frames, _ = fit_fast.decode(bytes(f))
    assert col(frames, "record", "distance") == [123.45, None]  # /100
    assert col(frames, "record", "altitude") == [2600 / 5 - 500, None]  # /5 - 500
    assert frames["record"]["distance"].dtype == pl.Float64


def test_big_endian_definition() -> None:
    f = FitFile().define(
        0, RECORD, [(TS, 4, BASE["uint32"]), (DISTANCE, 4, BASE["uint32"])], big=True
    )
    f.data(0, pack(BASE["uint32"], T0, big=True), pack(BASE["uint32"], 100_000, big=True))
    frames, _ = fit_fast.decode(bytes(f))
    assert col(frames, "record", "timestamp") == [fit_time(T0)]
    assert col(frames, "record", "distance") == [1000.0]


def test_any_nonzero_architecture_byte_is_big_endian() -> None:
    f = FitFile().raw(b"\x40\x00\x02\x00\x14\x01" + bytes([DISTANCE, 4, BASE["uint32"]]))
    f.data(0, pack(BASE["uint32"], 100_000, big=True))
    frames, _ = fit_fast.decode(bytes(f))
    assert col(frames, "record", "distance") == [1000.0]


def test_field_written_twice_keeps_the_last() -> None:
    f = FitFile().define(
        0,
        RECORD,
        [(HEART_RATE, 1, BASE["uint8"]), (7, 2, BASE["uint16"]), (HEART_RATE, 1, BASE["uint8"])],
    )
    f.data(0, bytes([60]), pack(BASE["uint16"], 250), bytes([61]))
    data = bytes(f)
    frames, _ = fit_fast.decode(data)
    assert col(frames, "record", "heart_rate") == [61]
    assert col(frames, "record", "power") == [250]
    assert_frame_equal(frames["record"], decode_fit(data, "fitparse").messages["record"])


def test_enums_named_unknown_values_as_text() -> None:
    f = FitFile().define(0, SESSION, [(5, 1, BASE["enum"]), (6, 1, BASE["enum"])])
    f.data(0, bytes([1]), bytes([0]))  # running, generic
    f.data(0, bytes([250]), bytes([0xFF]))  # not in the profile; invalid
    frames, _ = fit_fast.decode(bytes(f))
    assert col(frames, "session", "sport") == ["running", "250"]
    assert col(frames, "session", "sub_sport") == ["generic", None]


def test_enum_column_with_many_rows_uses_same_names() -> None:
    f = FitFile().define(0, SLEEP_LEVEL, [(TS, 4, BASE["uint32"]), (0, 1, BASE["enum"])])
    levels = [i % 6 for i in range(40)]
    for i, lvl in enumerate(levels):
        f.data(0, pack(BASE["uint32"], T0 + 60 * i), bytes([lvl]))
    frames, _ = fit_fast.decode(bytes(f))
    names = {0: "unmeasurable", 1: "awake", 2: "light", 3: "deep", 4: "rem", 5: "5"}
    assert col(frames, "sleep_level", "sleep_level") == [names[v] for v in levels]


def test_z_types_sint_and_floats_invalid() -> None:
    fields = [
        (3, 4, BASE["uint32z"]),
        (100, 2, BASE["sint16"]),
        (101, 4, BASE["float32"]),
        (102, 8, BASE["sint64"]),
        (103, 8, BASE["uint64"]),
    ]
    f = FitFile().define(0, FILE_ID, fields)
    f.data(
        0,
        pack(0x8C, 0),
        pack(0x83, 0x7FFF),
        b"\xff" * 4,
        pack(0x8E, 2**63 - 1),
        pack(0x8F, 2**64 - 1),
    )
    f.data(
        0,
        pack(0x8C, 7),
        pack(0x83, -5),
        pack(0x88, 1.5),
        pack(0x8E, -(2**40)),
        pack(0x8F, 2**63 + 5),
    )
    frames, _ = fit_fast.decode(bytes(f))
    fid = frames["file_id"]
    assert fid["serial_number"].to_list() == [None, 7]
    assert fid["unknown_100"].to_list() == [None, -5]
    assert fid["unknown_101"].to_list() == [None, 1.5]
    assert fid["unknown_102"].to_list() == [None, -(2**40)]
    assert fid["unknown_103"].to_list() == [None, None]  # beyond Int64, as the reference


def test_local_date_time_is_naive() -> None:
    f = FitFile().define(0, 103, [(TS, 4, BASE["uint32"]), (0, 4, BASE["uint32"])])
    f.data(0, pack(BASE["uint32"], T0), pack(BASE["uint32"], T0 + 7200))
    frames, _ = fit_fast.decode(bytes(f))
    info = frames["monitoring_info"]
    assert info["local_timestamp"].dtype == pl.Datetime("us")
    assert info["local_timestamp"].to_list() == [fit_time(T0 + 7200).replace(tzinfo=None)]


def test_array_fields_are_lists_with_null_elements() -> None:
    f = FitFile().define(0, HRV, [(0, 10, BASE["uint16"])])
    f.data(0, pack(BASE["uint16"], [800, 810, 0xFFFF, 0xFFFF, 0xFFFF]))
    f.define(0, HRV, [(0, 2, BASE["uint16"])])  # a single element is still a list
    f.data(0, pack(BASE["uint16"], 1000))
    frames, _ = fit_fast.decode(bytes(f))
    assert frames["hrv"]["time"].dtype == pl.List(pl.Float64)
    assert col(frames, "hrv", "time") == [[0.8, 0.81, None, None, None], [1.0]]


def test_non_array_field_with_several_elements_keeps_first() -> None:
    f = FitFile().define(0, RECORD, [(HEART_RATE, 3, BASE["uint8"])])
    f.data(0, bytes([70, 71, 72]))
    frames, _ = fit_fast.decode(bytes(f))
    assert col(frames, "record", "heart_rate") == [70]


def test_strings_cut_unterminated_invalid_utf8_and_empty() -> None:
    f = FitFile().define(0, FILE_ID, [(8, 8, BASE["string"]), (200, 6, BASE["string"])])
    f.data(0, b"edge\x00xyz", b"abcdef")  # cut at NUL; unterminated kept whole
    f.data(0, b"\xffok\x00\x00\x00\x00\x00", b"\x00" * 6)  # bad UTF-8 replaced; empty -> null
    frames, _ = fit_fast.decode(bytes(f))
    fid = frames["file_id"]
    assert fid["product_name"].to_list() == [["edge"], ["\ufffdok"]]  # profile array: list
    assert fid["unknown_200"].to_list() == ["abcdef", None]


def test_byte_fields_are_binary() -> None:
    f = FitFile().define(0, 207, [(1, 4, BASE["byte"]), (3, 1, BASE["uint8"])])
    f.data(0, b"\x01\x02\xff\x04", bytes([0]))
    f.data(0, b"\xff" * 4, bytes([1]))
    frames, _ = fit_fast.decode(bytes(f))
    dev = frames["developer_data_id"]
    assert dev["application_id"].dtype == pl.Binary
    assert dev["application_id"].to_list() == [b"\x01\x02\xff\x04", None]


def test_misaligned_field_size_decodes_as_bytes() -> None:
    """COROS PACE 2 writes event.data (uint32) with size 1: python-fitparse master's rule."""
    f = FitFile().define(
        0, EVENT, [(TS, 4, BASE["uint32"]), (3, 1, BASE["uint32"]), (2, 3, BASE["uint16"])]
    )
    f.data(0, pack(BASE["uint32"], T0), bytes([9]), b"\x05\x06\x07")
    f.data(0, pack(BASE["uint32"], T0), bytes([0xFF]), b"\xff\xff\xff")
    frames, _ = fit_fast.decode(bytes(f))
    assert col(frames, "event", "data") == [9, None]
    assert col(frames, "event", "data16") == [5, None]  # first byte, like the fallback


def test_zero_size_field_is_skipped() -> None:
    f = FitFile().define(0, RECORD, [(7, 0, BASE["uint16"]), (HEART_RATE, 1, BASE["uint8"])])
    f.data(0, b"", bytes([99]))
    frames, _ = fit_fast.decode(bytes(f))
    assert frames["record"].columns == ["_index", "heart_rate"]


def test_developer_fields_are_skipped_with_their_bytes() -> None:
    f = FitFile().define(0, RECORD, [(HEART_RATE, 1, BASE["uint8"])], dev_fields=[(0, 3, 0)])
    f.data(0, bytes([80]), b"\x01\x02\x03")
    f.data(0, bytes([81]), b"\x04\x05\x06")
    frames, problems = fit_fast.decode(bytes(f))
    assert problems == []
    assert frames["record"].columns == ["_index", "heart_rate"]
    assert col(frames, "record", "heart_rate") == [80, 81]


def test_redefinition_mid_file_makes_consistent_columns() -> None:
    f = FitFile().define(0, RECORD, [(TS, 4, BASE["uint32"]), (HEART_RATE, 1, BASE["uint8"])])
    f.data(0, pack(BASE["uint32"], T0), bytes([60]))
    f.define(1, EVENT, [(TS, 4, BASE["uint32"]), (0, 1, BASE["enum"])])
    f.data(1, pack(BASE["uint32"], T0 + 1), bytes([0]))
    f.define(0, RECORD, [(TS, 4, BASE["uint32"]), (DISTANCE, 4, BASE["uint32"])], big=True)
    f.data(0, pack(BASE["uint32"], T0 + 2, big=True), pack(BASE["uint32"], 500, big=True))
    f.define(2, RECORD, [(TS, 4, BASE["uint32"]), (HEART_RATE, 1, BASE["uint8"])])
    f.data(2, pack(BASE["uint32"], T0 + 3), bytes([62]))
    f.data(0, pack(BASE["uint32"], T0 + 4, big=True), pack(BASE["uint32"], 600, big=True))
    frames, _ = fit_fast.decode(bytes(f))
    rec = frames["record"]
    assert rec["_index"].to_list() == [0, 2, 3, 4]
    assert rec["heart_rate"].to_list() == [60, None, 62, None]
    assert rec["distance"].to_list() == [None, 5.0, None, 6.0]
    assert rec["timestamp"].to_list() == [fit_time(T0 + i) for i in (0, 2, 3, 4)]
    assert col(frames, "event", "_index") == [1]


def test_unknown_message_and_field_names() -> None:
    f = FitFile().define(0, 0xFF00, [(TS, 4, BASE["uint32"]), (7, 2, BASE["sint16"])])
    f.data(0, pack(BASE["uint32"], T0), pack(BASE["sint16"], -3))
    frames, _ = fit_fast.decode(bytes(f))
    assert frames["unknown_65280"].to_dicts() == [{"_index": 0, "unknown_253": T0, "unknown_7": -3}]


# --- timestamps ---------------------------------------------------------------------------


def test_compressed_timestamp_headers() -> None:
    """ts = last + ((offset - last) & 0x1F), `last` moved by field 253 and each header."""
    start = T0 + 30  # low 5 bits: 30
    f = FitFile().define(0, RECORD, [(TS, 4, BASE["uint32"]), (HEART_RATE, 1, BASE["uint8"])])
    f.define(1, RECORD, [(HEART_RATE, 1, BASE["uint8"])])
    f.data(0, pack(BASE["uint32"], start), bytes([60]))
    f.data(1, bytes([61]), time_offset=31)  # +1
    f.data(1, bytes([62]), time_offset=2)  # wraps: +3
    f.data(1, bytes([63]), time_offset=2)  # same second: +0
    f.data(0, pack(BASE["uint32"], start + 100), bytes([64]))  # full timestamp again
    f.data(1, bytes([65]), time_offset=(start + 105) & 0x1F)  # +5
    frames, _ = fit_fast.decode(bytes(f))
    expect = [start, start + 1, start + 4, start + 4, start + 100, start + 105]
    assert col(frames, "record", "timestamp") == [fit_time(t) for t in expect]
    assert col(frames, "record", "heart_rate") == [60, 61, 62, 63, 64, 65]


def test_compressed_header_overrides_stored_timestamp_and_other_messages_count() -> None:
    f = FitFile().define(0, RECORD, [(TS, 4, BASE["uint32"]), (HEART_RATE, 1, BASE["uint8"])])
    f.define(1, EVENT, [(TS, 4, BASE["uint32"])])
    f.data(1, pack(BASE["uint32"], T0))  # an event sets `last` for records too
    f.data(0, pack(BASE["uint32"], 5), bytes([70]), time_offset=(T0 + 3) & 0x1F)
    frames, _ = fit_fast.decode(bytes(f))
    # the stored 5 updates `last` first (as fitparse), then the header resolves from it
    assert col(frames, "record", "timestamp") == [fit_time(5 + (((T0 + 3) - 5) & 0x1F))]


def test_timestamp_16_resolved_by_decode_fit() -> None:
    f = FitFile().define(0, MONITORING, [(TS, 4, BASE["uint32"]), (27, 1, BASE["uint8"])])
    f.define(1, MONITORING, [(26, 2, BASE["uint16"]), (27, 1, BASE["uint8"])])
    f.data(0, pack(BASE["uint32"], T0), bytes([50]))
    f.data(1, pack(BASE["uint16"], (T0 + 60) & 0xFFFF), bytes([51]))
    decoded = decode_fit(bytes(f), "fast")
    assert decoded.messages["monitoring"]["timestamp"].to_list() == [
        fit_time(T0),
        fit_time(T0 + 60),
    ]


# --- chained files and damage ---------------------------------------------------------------


def test_chained_files_continue_index_and_reset_definitions() -> None:
    first, second = hr_file([60, 61]), FitFile()
    second.define(3, RECORD, [(HEART_RATE, 1, BASE["uint8"])]).data(3, bytes([90]))
    frames, problems = fit_fast.decode(bytes(first) + bytes(second))
    assert problems == []
    assert col(frames, "record", "_index") == [0, 1, 2]
    assert col(frames, "record", "heart_rate") == [60, 61, 90]
    # local 0 was defined in the first file only: using it in the second is damage
    third = FitFile().data(0, pack(BASE["uint32"], T0), bytes([1]))
    frames, problems = fit_fast.decode(bytes(first) + bytes(third))
    assert col(frames, "record", "heart_rate") == [60, 61]
    assert "undefined local message type 0" in problems[0]


def test_compressed_header_before_any_full_timestamp_counts_from_zero() -> None:
    f = FitFile().define(0, RECORD, [(HEART_RATE, 1, BASE["uint8"])])
    f.data(0, bytes([60]), time_offset=7).data(0, bytes([61]), time_offset=3)
    frames, _ = fit_fast.decode(bytes(f))
    assert col(frames, "record", "timestamp") == [fit_time(7), fit_time(7 + 28)]


def test_chained_file_compressed_accumulator_restarts_at_zero() -> None:
    second = FitFile().define(0, RECORD, [(HEART_RATE, 1, BASE["uint8"])])
    second.data(0, bytes([90]), time_offset=4)
    frames, _ = fit_fast.decode(bytes(hr_file([60])) + bytes(second))
    assert col(frames, "record", "timestamp") == [fit_time(T0), fit_time(4)]


def test_crc_mismatch_keeps_data() -> None:
    data = bytearray(bytes(hr_file([60, 61])))
    data[-1] ^= 0x55
    frames, problems = fit_fast.decode(bytes(data))
    assert col(frames, "record", "heart_rate") == [60, 61]
    assert len(problems) == 1 and problems[0].startswith("file CRC mismatch")


def test_header_crc_mismatch_is_reported() -> None:
    data = bytearray(bytes(hr_file([60])))
    data[12] ^= 0x01
    frames, problems = fit_fast.decode(bytes(data))
    assert col(frames, "record", "heart_rate") == [60]
    assert problems[0] == "file header CRC mismatch at byte 0 (data kept)"
    assert problems[1].startswith("file CRC mismatch")  # the file CRC covers the header


def test_truncated_mid_record_keeps_prefix() -> None:
    data = bytes(hr_file([60, 61, 62]))
    cut = data[: -2 - 3]  # drop the CRC and 3 of the last record's 6 bytes
    frames, problems = fit_fast.decode(cut)
    assert col(frames, "record", "heart_rate") == [60, 61]
    assert any(
        "truncated: data message at byte" in p and "kept the 2 data messages" in p for p in problems
    )


def test_undefined_local_type_stops_with_problem() -> None:
    f = hr_file([60]).raw(b"\x05" + b"\x00" * 5)
    data = bytes(f)
    frames, problems = fit_fast.decode(data)
    assert col(frames, "record", "heart_rate") == [60]
    offset = 14 + (1 + 5 + 6) + 6  # header, definition, one record
    assert problems == [
        f"undefined local message type 5: data message at byte {offset} has no definition"
        " message before it; decoding stopped there, kept the 1 data messages before it"
    ]


def test_lying_data_size_decodes_what_exists() -> None:
    f = hr_file([60, 61])
    data = f.header(data_size=len(f.records) + 1000) + bytes(f.records)
    frames, problems = fit_fast.decode(data)
    assert col(frames, "record", "heart_rate") == [60, 61]
    assert problems[0] == (
        f"header at byte 0 declares {len(f.records) + 1000} bytes of records but only"
        f" {len(f.records)} follow"
    )


def test_garbage_after_file_is_reported_not_fatal() -> None:
    frames, problems = fit_fast.decode(bytes(hr_file([60])) + b"junk")
    assert col(frames, "record", "heart_rate") == [60]
    assert "bytes after the file CRC at byte" in problems[0]


# --- CRC ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 511, 512, 513, 4097, 70_001])
def test_crc16_matches_fitparse(size: int) -> None:
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    crc = Crc()
    crc.update(data)
    assert crc16(data) == crc.value
    assert crc16(data + struct.pack("<H", crc.value)) == 0


def test_decoding_imports_neither_pandas_nor_arrow_compute(tmp_path):
    """`pa.array` imports pandas wherever it is installed (half a second, once per process:
    the fixed cost of a small nightly batch); the decoder builds arrow arrays from buffers."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")])}
    f = hr_file([60, 61, 255]).define(1, HRV, [(0, 10, BASE["uint16"])])  # hrv.time: a list
    f.data(1, pack(BASE["uint16"], [800, 0xFFFF, 820, 0xFFFF, 0xFFFF]))
    f.define(2, HRV, [(0, 4, BASE["uint16"])])  # a second definition, interleaved: the
    f.data(2, pack(BASE["uint16"], [700, 710]))  # rows of two groups are put back in order
    f.data(1, pack(BASE["uint16"], [900, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF]))
    path = tmp_path / "hr.fit"
    path.write_bytes(bytes(f))
    code = (
        "import sys; from parsers.fit import read_fit_messages;"
        f" m = read_fit_messages({str(path)!r});"
        " assert m['record']['heart_rate'].to_list() == [60, 61, None], m;"
        " assert m['hrv']['time'].to_list() == [[0.8, None, 0.82, None, None], [0.7, 0.71],"
        " [0.9, None, None, None, None]], m;"
        " print(sorted(x for x in ('pandas', 'pyarrow.compute') if x in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]", out.stdout
