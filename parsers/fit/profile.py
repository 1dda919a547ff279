"""Thin, cached lookups over the current Garmin FIT profile (`garmin_fit_sdk.Profile`).

Both FIT engines (the fitparse-based reference engine and the fast numpy engine) name
messages and fields, scale values and choose column dtypes through this module only, so
their message frames agree (docs/internals.md §2). fitparse ships a 2019 profile that does
not know messages 211/275/290/370/371; the Garmin SDK's profile does.

Public API (kept stable: `parsers.fit.fast` imports it):

- constants: `FIT_EPOCH_S`, `FIT_EPOCH`, `PROFILE_VERSION`, `BASE_TYPES`,
  `TIMESTAMP_FIELD`, `HEADER_SIGNATURE`
- `BaseType` (dataclass) and `base_type(byte)`
- `FieldInfo` (dataclass), `field_info(mesg_num, field_num)`, `message_fields(mesg_num)`,
  `field_name(mesg_num, field_num)`
- `message_name(mesg_num)`, `message_num(name)`
- `is_enum(field)`, `enum_name(type_name, value)`, `enum_value(type_name, name)`
- `column_kind(field, base_type_num)`: which dtype family a field's column gets
- `typed_series(raw, field, kind)`: raw values -> the column's final dtype (shared by both
  engines so their frames are identical)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import numpy as np
import polars as pl
from garmin_fit_sdk import Profile

#: Version of the Garmin FIT profile in use, e.g. "21.218".
PROFILE_VERSION = f"{Profile['version']['major']}.{Profile['version']['minor']}"

#: FIT timestamps (`date_time`, `local_date_time`) count seconds from the FIT epoch,
#: 1989-12-31T00:00:00Z, which is unix time 631065600 s.
FIT_EPOCH_S = 631_065_600
#: The FIT epoch as an aware datetime (for readers who prefer datetimes to seconds).
FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)

#: Field number 253 is `timestamp` in every message that has one (FIT common field).
TIMESTAMP_FIELD = 253
#: Field number 254 is `message_index` where present (FIT common field).
MESSAGE_INDEX_FIELD = 254
#: Bytes 8..12 of every FIT file header.
HEADER_SIGNATURE = b".FIT"


@dataclass(frozen=True)
class BaseType:
    """A FIT base type: how a field's bytes are laid out and which value means "invalid".

    `num` is the full base-type byte as written in definition messages (bit 7 = the type
    has more than one byte and is endian-sensitive; bits 0-4 = the type number).
    `dtype` is the little-endian numpy dtype of one element (use `.newbyteorder(">")` for
    big-endian definitions); `invalid` is the raw sentinel that means "no value" (None for
    string, whose invalid value is an empty/NUL string).
    """

    num: int
    name: str
    dtype: np.dtype
    size: int
    invalid: int | float | None

    @property
    def is_integer(self) -> bool:
        return self.dtype.kind in "iu"

    @property
    def is_float(self) -> bool:
        return self.dtype.kind == "f"


def _bt(num: int, name: str, dtype: str, invalid: int | float | None) -> BaseType:
    dt = np.dtype(dtype).newbyteorder("<")
    return BaseType(num, name, dt, dt.itemsize, invalid)


#: FIT base types by base-type byte (FIT SDK profile, "Base Type Definitions").
#: The "z" types (uint8z, uint16z, uint32z, uint64z) use 0 as invalid instead of all-ones.
#: Float invalid values are all-ones bit patterns (a NaN), compared bitwise by decoders.
BASE_TYPES: dict[int, BaseType] = {
    b.num: b
    for b in (
        _bt(0x00, "enum", "u1", 0xFF),  # enum: uint8, 0xFF invalid
        _bt(0x01, "sint8", "i1", 0x7F),  # two's complement, 0x7F invalid
        _bt(0x02, "uint8", "u1", 0xFF),
        _bt(0x83, "sint16", "i2", 0x7FFF),
        _bt(0x84, "uint16", "u2", 0xFFFF),
        _bt(0x85, "sint32", "i4", 0x7FFFFFFF),
        _bt(0x86, "uint32", "u4", 0xFFFFFFFF),
        _bt(0x07, "string", "u1", None),  # NUL-terminated UTF-8; empty string = invalid
        _bt(0x88, "float32", "f4", 0xFFFFFFFF),  # invalid: bit pattern 0xFFFFFFFF
        _bt(0x89, "float64", "f8", 0xFFFFFFFFFFFFFFFF),  # invalid: all-ones bit pattern
        _bt(0x0A, "uint8z", "u1", 0x00),
        _bt(0x8B, "uint16z", "u2", 0x0000),
        _bt(0x8C, "uint32z", "u4", 0x00000000),
        _bt(0x0D, "byte", "u1", 0xFF),  # opaque bytes; invalid only when every byte is 0xFF
        _bt(0x8E, "sint64", "i8", 0x7FFFFFFFFFFFFFFF),
        _bt(0x8F, "uint64", "u8", 0xFFFFFFFFFFFFFFFF),
        _bt(0x90, "uint64z", "u8", 0x0000000000000000),
    )
}
#: The same table keyed by base-type name ("uint16", ...), as the profile names them.
BASE_TYPES_BY_NAME: dict[str, BaseType] = {b.name: b for b in BASE_TYPES.values()}
_BY_TYPE_NUMBER: dict[int, BaseType] = {b.num & 0x1F: b for b in BASE_TYPES.values()}


def base_type(byte: int) -> BaseType | None:
    """Base type for a definition message's base-type byte, or None if unknown.

    Matched on the type number (bits 0-4) so writers that omit the endian bit (0x04 instead
    of 0x84) still decode.
    """
    return BASE_TYPES.get(byte) or _BY_TYPE_NUMBER.get(byte & 0x1F)


@dataclass(frozen=True)
class FieldInfo:
    """What the profile says about one field of one message.

    `scale`/`offset` are 1/0 when the profile gives several (component fields): the FIT SDK
    also leaves such fields unscaled. value = raw / scale - offset.
    """

    mesg_num: int
    num: int
    name: str
    base_type: str  # profile base type name: "enum", "uint16", "string", ...
    type: str  # profile type: "date_time", "sleep_level", "uint16", ...
    scale: float
    offset: float
    units: str
    is_array: bool

    @property
    def is_scaled(self) -> bool:
        return self.scale != 1 or self.offset != 0


def _single(values: list, default: float) -> float:
    return float(values[0]) if len(values) == 1 else default


def _make_field(mesg_num: int, raw: dict) -> FieldInfo:
    units = raw.get("units") or ""
    return FieldInfo(
        mesg_num=mesg_num,
        num=int(raw["num"]),
        name=raw["name"],
        base_type=raw["base_type"],
        type=raw["type"],
        scale=_single(raw.get("scale") or [1], 1.0),
        offset=_single(raw.get("offset") or [0], 0.0),
        units=units if isinstance(units, str) else "",
        is_array=str(raw.get("array")).lower() == "true",
    )


@cache
def message_fields(mesg_num: int) -> dict[int, FieldInfo]:
    """All profile fields of a message by field number ({} for an unknown message)."""
    mesg = Profile["messages"].get(mesg_num)
    if mesg is None:
        return {}
    return {int(n): _make_field(mesg_num, f) for n, f in mesg["fields"].items()}


def field_info(mesg_num: int, field_num: int) -> FieldInfo | None:
    """Profile info for (message, field), or None when the profile does not know it."""
    return message_fields(mesg_num).get(field_num)


def field_name(mesg_num: int, field_num: int) -> str:
    """Column name of a field: the profile name, else `unknown_<field_num>`."""
    info = field_info(mesg_num, field_num)
    return info.name if info else f"unknown_{field_num}"


@cache
def message_name(mesg_num: int) -> str:
    """Profile name of a global message number, else `unknown_<mesg_num>`."""
    mesg = Profile["messages"].get(mesg_num)
    return mesg["name"] if mesg else f"unknown_{mesg_num}"


@cache
def _message_nums() -> dict[str, int]:
    return {m["name"]: int(n) for n, m in Profile["messages"].items()}


def message_num(name: str) -> int | None:
    """Global message number for a profile message name (None if unknown)."""
    if name.startswith("unknown_") and name[8:].isdigit():
        return int(name[8:])
    return _message_nums().get(name)


def is_enum(field: FieldInfo) -> bool:
    """True when the field's profile base type is `enum` (its column holds value names)."""
    return field.base_type == "enum"


#: Enum types the profile uses without listing their values.
_BUILTIN_TYPES: dict[str, dict[int, str]] = {"bool": {0: "false", 1: "true"}}


@cache
def _enum_table(type_name: str) -> dict[int, str]:
    table = Profile["types"].get(type_name)
    if table is None:
        return _BUILTIN_TYPES.get(type_name, {})
    return {int(k): v for k, v in table.items()}


def enum_name(type_name: str, value: int) -> str:
    """Name of `value` in profile type `type_name`; its decimal string when unknown."""
    return _enum_table(type_name).get(int(value), str(int(value)))


def enum_table(type_name: str) -> dict[int, str]:
    """The whole value -> name table of a profile type (copy-free; do not mutate)."""
    return _enum_table(type_name)


def enum_value(type_name: str, name: str) -> int | None:
    """Inverse of `enum_name` (None when the name is not in the type)."""
    for value, label in _enum_table(type_name).items():
        if label == name:
            return value
    return None


#: Column kinds, one per output dtype family (docs/internals.md §2).
KIND_DATETIME = "datetime"  # Datetime("us", "UTC")
KIND_LOCAL_DATETIME = "local_datetime"  # naive Datetime("us")
KIND_ENUM = "enum"  # String: value name, or decimal string when unknown
KIND_STRING = "string"  # String
KIND_BYTES = "bytes"  # Binary: all stored bytes of the field
KIND_INT = "int"  # Int64
KIND_FLOAT = "float"  # Float64 = raw / scale - offset


def column_kind(field: FieldInfo | None, base_type_num: int) -> str:
    """Dtype family of a field's column.

    Semantics come from the profile when it knows the field (date_time, enum, scale);
    otherwise from the base type written in the file's definition message. Bytes are
    always decoded with the definition's base type (size, endianness, invalid sentinel).
    """
    bt = base_type(base_type_num)
    bt_name = field.base_type if field else (bt.name if bt else "byte")
    if field is not None:
        if field.type == "date_time":
            return KIND_DATETIME
        if field.type == "local_date_time":
            return KIND_LOCAL_DATETIME
    if bt_name == "enum":
        return KIND_ENUM
    if bt_name == "string":
        return KIND_STRING
    if bt_name == "byte":
        return KIND_BYTES
    floats = ("float32", "float64")
    if bt_name in floats or (bt and bt.name in floats) or (field is not None and field.is_scaled):
        return KIND_FLOAT
    return KIND_INT


#: Final polars dtype of one (non-list) value of each kind.
KIND_DTYPES: dict[str, pl.DataType] = {
    KIND_DATETIME: pl.Datetime("us", "UTC"),
    KIND_LOCAL_DATETIME: pl.Datetime("us"),
    KIND_ENUM: pl.String(),
    KIND_STRING: pl.String(),
    KIND_BYTES: pl.Binary(),
    KIND_INT: pl.Int64(),
    KIND_FLOAT: pl.Float64(),
}


def _divide(values: pl.Series, scale: float) -> pl.Series:
    """values / scale, correctly rounded like numpy (and so like the fast engine).

    polars divides by a scalar as `* (1 / scale)`, which is not correctly rounded
    (60724 / 1000 gives 60.724000000000004); dividing by an equal-length series is.
    """
    return values / pl.repeat(scale, values.len(), dtype=pl.Float64, eager=True)


def _typed_expr(e: pl.Expr, field: FieldInfo | None, kind: str) -> pl.Expr:
    if kind in (KIND_DATETIME, KIND_LOCAL_DATETIME):
        micros = (e.cast(pl.Int64) + FIT_EPOCH_S) * 1_000_000
        return micros.cast(KIND_DTYPES[kind])
    if kind == KIND_ENUM:
        table = _enum_table(field.type) if field else {}
        as_text = e.cast(pl.Int64).cast(pl.String)
        if not table:
            return as_text
        return e.cast(pl.Int64).replace_strict(
            list(table), list(table.values()), default=as_text, return_dtype=pl.String
        )
    if kind == KIND_FLOAT:
        scale, offset = (field.scale, field.offset) if field else (1.0, 0.0)
        out = e.cast(pl.Float64)
        if scale != 1:
            out = out.map_batches(lambda s: _divide(s, scale), return_dtype=pl.Float64)
        return out - offset if offset else out
    return e.cast(KIND_DTYPES[kind])


def typed_series(raw: pl.Series, field: FieldInfo | None, kind: str) -> pl.Series:
    """Convert a column of raw values to its message-frame dtype (docs/internals.md §2).

    `raw` holds the raw integers/floats as stored (invalid values already null), or for
    `array` fields a List of them; strings are already `str`, bytes already `bytes`.
    Dates get the FIT epoch, enums their profile names (unknown -> decimal string),
    scaled fields raw / scale - offset. Vectorised so per-message decoders stay cheap.
    """
    name = raw.name
    frame = raw.to_frame(name)
    if isinstance(raw.dtype, pl.List):
        expr = pl.col(name).list.eval(_typed_expr(pl.element(), field, kind))
    else:
        expr = _typed_expr(pl.col(name), field, kind)
    return frame.select(expr.alias(name)).to_series()
