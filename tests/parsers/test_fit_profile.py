"""fit_profile: names, enums, base types and typed columns from the current Garmin profile."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from parsers.fit import profile as fp


def test_fit_epoch_is_1989_12_31_utc():
    assert fp.FIT_EPOCH_S == 631_065_600
    assert datetime(1989, 12, 31, tzinfo=UTC) == fp.FIT_EPOCH
    assert fp.FIT_EPOCH.timestamp() == fp.FIT_EPOCH_S


@pytest.mark.parametrize(
    ("num", "name"),
    [(55, "monitoring"), (211, "monitoring_hr_data"), (275, "sleep_level"),
     (290, "beat_intervals"), (370, "hrv_status_summary"), (371, "hrv_value"),
     (78, "hrv"), (18, "session"), (9999, "unknown_9999")],
)
def test_message_names_from_current_profile(num, name):
    assert fp.message_name(num) == name
    assert fp.message_num(name) == num


def test_field_info_scale_units_array():
    value = fp.field_info(371, 0)
    assert (value.name, value.scale, value.units, value.is_array) == ("value", 128.0, "ms", False)
    hrv_time = fp.field_info(78, 0)
    assert hrv_time.is_array and hrv_time.scale == 1000.0
    assert fp.field_info(55, 250_000) is None
    assert fp.field_name(55, 200) == "unknown_200"


def test_enums():
    assert fp.is_enum(fp.field_info(275, 0))
    assert not fp.is_enum(fp.field_info(55, 27))
    assert [fp.enum_name("sleep_level", v) for v in range(5)] == [
        "unmeasurable", "awake", "light", "deep", "rem"]
    assert fp.enum_name("sleep_level", 77) == "77"
    assert fp.enum_name("manufacturer", 1) == "garmin"
    assert fp.enum_name("garmin_product", 3110) == "fenix5_plus"
    assert fp.enum_value("sport", "running") == 1


@pytest.mark.parametrize(
    ("byte", "name", "size", "invalid", "dtype"),
    [(0x00, "enum", 1, 0xFF, "u1"), (0x01, "sint8", 1, 0x7F, "i1"), (0x02, "uint8", 1, 0xFF, "u1"),
     (0x83, "sint16", 2, 0x7FFF, "i2"), (0x84, "uint16", 2, 0xFFFF, "u2"),
     (0x85, "sint32", 4, 0x7FFFFFFF, "i4"), (0x86, "uint32", 4, 0xFFFFFFFF, "u4"),
     (0x88, "float32", 4, 0xFFFFFFFF, "f4"), (0x89, "float64", 8, 2**64 - 1, "f8"),
     (0x0A, "uint8z", 1, 0, "u1"), (0x8B, "uint16z", 2, 0, "u2"), (0x8C, "uint32z", 4, 0, "u4"),
     (0x0D, "byte", 1, 0xFF, "u1"), (0x8E, "sint64", 8, 2**63 - 1, "i8"),
     (0x8F, "uint64", 8, 2**64 - 1, "u8"), (0x90, "uint64z", 8, 0, "u8")],
)
def test_base_types(byte, name, size, invalid, dtype):
    bt = fp.BASE_TYPES[byte]
    assert (bt.name, bt.size, bt.invalid, bt.dtype) == (name, size, invalid, np.dtype("<" + dtype))
    assert fp.base_type(byte & 0x1F) is bt  # writers that drop the endian bit


def test_column_kinds():
    assert fp.column_kind(fp.field_info(55, 253), 0x86) == fp.KIND_DATETIME
    assert fp.column_kind(fp.field_info(103, 0), 0x86) == fp.KIND_LOCAL_DATETIME
    assert fp.column_kind(fp.field_info(275, 0), 0x00) == fp.KIND_ENUM
    assert fp.column_kind(fp.field_info(371, 0), 0x84) == fp.KIND_FLOAT
    assert fp.column_kind(fp.field_info(55, 27), 0x02) == fp.KIND_INT
    assert fp.column_kind(None, 0x07) == fp.KIND_STRING
    assert fp.column_kind(None, 0x0D) == fp.KIND_BYTES
    assert fp.column_kind(None, 0x00) == fp.KIND_ENUM


def test_typed_series():
    raw_dt = pl.Series("t", [0, None, 1_000_000_000])
    out = fp.typed_series(raw_dt, fp.field_info(55, 253), fp.KIND_DATETIME)
    assert out.dtype == pl.Datetime("us", "UTC")
    assert out.to_list() == [datetime(1989, 12, 31, tzinfo=UTC), None,
                             datetime(2021, 9, 8, 1, 46, 40, tzinfo=UTC)]
    levels = fp.typed_series(pl.Series("l", [3, 9, None]), fp.field_info(275, 0), fp.KIND_ENUM)
    assert levels.to_list() == ["deep", "9", None]
    rmssd = fp.typed_series(pl.Series("v", [5440]), fp.field_info(371, 0), fp.KIND_FLOAT)
    assert rmssd.to_list() == [42.5]
    rr = fp.typed_series(pl.Series("r", [[800, None, 1000]]), fp.field_info(78, 0), fp.KIND_FLOAT)
    assert rr.to_list() == [[0.8, None, 1.0]]


def test_scaled_values_are_correctly_rounded():
    """raw / scale must equal IEEE division (numpy, the fast engine), not raw * (1/scale)."""
    raw = pl.Series("d", [60724, 14170, 93300, None])
    info = fp.FieldInfo(18, 9, "total_elapsed_time", "uint32", "uint32", 1000.0, 0.0, "s", False)
    assert fp.typed_series(raw, info, fp.KIND_FLOAT).to_list() == [60.724, 14.17, 93.3, None]
    arr = fp.typed_series(pl.Series("a", [[14170, None]]), fp.field_info(78, 0), fp.KIND_FLOAT)
    assert arr.to_list() == [[14.17, None]]
