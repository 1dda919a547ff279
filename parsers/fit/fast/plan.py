"""Compiled definitions of the fast FIT decoder: all records of one definition at once.

For every distinct definition a `Plan` is compiled once per process (cached by the
definition): per field its column name and kind (`parsers.fit.profile.column_kind`), and
how its bytes become raw values. Scalar numeric fields -- nearly all fields -- are laid
out in `Block`s, one per element dtype: a single byte gather per group of records puts
every block's fields side by side, so one `view` + one comparison + one `astype` decode
all of them. Arrays, strings and bytes go through a numpy structured dtype instead.

Raw values leave this module as `Part`s: int64 or float64 values with a null mask
(invalid sentinels already masked, as fitparse does), per field and group of records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from parsers.fit import profile as fp
from parsers.fit.fast.scan import MAX_CACHED_DEFINITIONS, Definition

#: Field 253: `timestamp`; compressed timestamp headers fill it.
TIMESTAMP_FIELD = fp.TIMESTAMP_FIELD
#: Base-type byte of a compressed-header timestamp: a full uint32 `date_time`.
TIMESTAMP_BASE_TYPE = 0x86
#: FIT `byte` base type: what a field of unknown base type or misaligned size decodes as.
BYTE_BASE_TYPE = 0x0D
_INT64_MAX = np.iinfo(np.int64).max
_NUMERIC_KINDS = frozenset(
    {fp.KIND_INT, fp.KIND_FLOAT, fp.KIND_ENUM, fp.KIND_DATETIME, fp.KIND_LOCAL_DATETIME}
)

# How a field's bytes are read.
SRC_NUMBER = "number"  # `count` elements of a numeric base type, each with its own sentinel
SRC_BYTES = "bytes"  # raw bytes; invalid only when every byte is 0xFF (fitparse `byte`)
SRC_STRING = "string"  # NUL-terminated UTF-8


@dataclass(frozen=True)
class FieldPlan:
    """How one field of one definition turns into raw values."""

    key: str  # name of the field in the structured dtype
    num: int
    name: str
    info: fp.FieldInfo | None
    kind: str
    source: str
    count: int  # elements (SRC_NUMBER) or bytes (others)
    invalid: int | None  # integer sentinel; None for floats (NaN) and non-numbers
    is_list: bool
    small: bool  # elements are one unsigned byte: values 0..255 (enum names by lookup)


@dataclass(frozen=True)
class Block:
    """Scalar fields sharing one element dtype: bytes [start, stop) of the gathered record
    bytes, columns [first, first + len(fields)) of the group's int64 or float64 matrix."""

    dtype: np.dtype
    start: int
    stop: int
    first: int
    width: int


@dataclass(frozen=True)
class Matrix:
    """Scalar fields decoded into one (n, k) matrix: int64 (sentinels) or float64 (NaN)."""

    dtype: type
    blocks: tuple[Block, ...]
    fields: tuple[FieldPlan, ...]
    sentinels: np.ndarray | None  # int64 invalid value per column (uint64 ones wrap to -1)
    wide: tuple[int, ...]  # uint64 columns: values past int64 (negative here) are null


@dataclass(frozen=True)
class Plan:
    """A compiled definition: fields in definition order, scalar matrices, and the rest."""

    mesg_num: int
    fields: tuple[FieldPlan, ...]
    matrices: tuple[Matrix, ...]
    gather: np.ndarray  # byte offsets from the record header, block after block
    others: tuple[FieldPlan, ...]  # decoded through `dtype`
    dtype: np.dtype  # structured record layout of `others`
    specs: tuple[tuple, ...]  # (number, name, info, kind, is list) of each output column
    specs_ts: tuple[tuple, ...]  # the same plus field 253 for compressed-timestamp headers


@dataclass(slots=True)
class Part:
    """Raw values of one field in one group of n records.

    Scalar columns: `values` and `null` of shape (n,). List columns: flat `values`/`null`
    with `lengths` (n,) elements per row. Strings and bytes: `objects`, a list of
    str/bytes/None (or one-element lists of str for list columns) instead.
    """

    values: np.ndarray | None = None
    null: np.ndarray | None = None
    lengths: np.ndarray | None = None
    objects: list | None = None
    has_null: bool | None = None  # known answer to null.any(), None: not computed
    small: bool = False  # all values are in 0..255


def _field_plan(mesg_num: int, i: int, num: int, size: int, base: int, big: bool):
    """Plan for one field and its element dtype (None: a zero-size field, skipped)."""
    if size == 0:
        return None
    info = fp.field_info(mesg_num, num)
    bt = fp.base_type(base)
    if bt is None or size % bt.size:  # unknown type or misaligned size: bytes, as fitparse
        bt = fp.base_type(BYTE_BASE_TYPE)  # master's "falling back to byte encoding"
    kind = fp.column_kind(info, bt.num)
    is_list = bool(info and info.is_array) and kind != fp.KIND_BYTES
    if bt.name in ("string", "byte"):
        source = SRC_STRING if bt.name == "string" else SRC_BYTES
        count, el, invalid = size, np.dtype("u1"), None
    else:
        count = size // bt.size
        el = bt.dtype.newbyteorder(">" if big else "<")
        source, invalid = SRC_NUMBER, (None if bt.is_float else int(bt.invalid))
    name = fp.field_name(mesg_num, num)
    small = el.itemsize == 1 and el.kind == "u"
    field = FieldPlan(f"f{i}", num, name, info, kind, source, count, invalid, is_list, small)
    return field, el


@lru_cache(maxsize=MAX_CACHED_DEFINITIONS)
def compile_plan(definition: Definition, keep: frozenset[str] | None = None) -> Plan:
    """Compile a definition once per process (definitions repeat across files).

    `keep`: decode only the fields of these names (the others' bytes are skipped), for
    messages of which only the times are wanted."""
    fields, by_dtype, offsets = [], {}, {}
    names, formats, struct_offsets, others = [], [], [], []
    last = {num: i for i, (num, *_) in enumerate(definition.fields)}
    for i, (num, size, base, offset) in enumerate(definition.fields):
        if last[num] != i:  # a field number written twice: the last one wins (reference)
            continue
        made = _field_plan(definition.mesg_num, i, num, size, base, definition.big_endian)
        if made is None:
            continue
        plan, el = made
        if keep is not None and plan.name not in keep:
            continue
        fields.append(plan)
        if plan.source == SRC_NUMBER and plan.kind in _NUMERIC_KINDS and not plan.is_list:
            by_dtype.setdefault(el, []).append(plan)
            offsets[plan.key] = offset
            continue
        others.append(plan)
        names.append(plan.key)
        formats.append((el, plan.count) if plan.count > 1 else el)
        struct_offsets.append(offset)
    layout = {"names": names, "formats": formats, "offsets": struct_offsets}
    dtype = np.dtype({**layout, "itemsize": definition.size}) if others else np.dtype("V0")
    gather: list[int] = []
    ints = _matrix(np.int64, {e: m for e, m in by_dtype.items() if e.kind != "f"}, offsets, gather)
    floats = _matrix(
        np.float64, {e: m for e, m in by_dtype.items() if e.kind == "f"}, offsets, gather
    )
    matrices = tuple(m for m in (ints, floats) if m.fields)
    kept = {f.num: f for f in fields}
    first_seen = dict.fromkeys(num for num, *_ in definition.fields)  # column order
    specs = tuple(
        (f.num, f.name, f.info, f.kind, f.is_list)
        for f in (kept[num] for num in first_seen if num in kept)
    )
    specs_ts = specs
    if TIMESTAMP_FIELD not in {f.num for f in fields}:
        info = fp.field_info(definition.mesg_num, TIMESTAMP_FIELD)
        kind = fp.column_kind(info, TIMESTAMP_BASE_TYPE)
        name = fp.field_name(definition.mesg_num, TIMESTAMP_FIELD)
        specs_ts = (*specs, (TIMESTAMP_FIELD, name, info, kind, False))
    gather_from_header = np.array(gather, dtype=np.intp) + 1
    return Plan(
        definition.mesg_num,
        tuple(fields),
        matrices,
        gather_from_header,
        tuple(others),
        dtype,
        specs,
        specs_ts,
    )


def _matrix(dtype: type, by_dtype: dict, offsets: dict[str, int], gather: list[int]) -> Matrix:
    """Lay out scalar fields grouped by element dtype; extend `gather` with their bytes."""
    blocks, fields, sentinels, wide = [], [], [], []
    for el, members in by_dtype.items():
        blocks.append(Block(el, len(gather), 0, len(fields), len(members)))
        for field in members:
            if el.kind == "u" and el.itemsize == 8:
                wide.append(len(fields))
            gather.extend(range(offsets[field.key], offsets[field.key] + el.itemsize))
            sentinels.append(np.array(field.invalid or 0, dtype=el).astype(np.int64))
            fields.append(field)
        blocks[-1] = Block(el, blocks[-1].start, len(gather), blocks[-1].first, len(members))
    sent = np.array(sentinels, dtype=np.int64) if dtype is np.int64 else None
    return Matrix(dtype, tuple(blocks), tuple(fields), sent, tuple(wide))


def decode_group(buf: np.ndarray, data: bytes, starts: np.ndarray, plan: Plan) -> dict:
    """Raw values (`Part`) of every field of a group of records, by field number.

    `starts` are the offsets of the records' headers.
    """
    parts: dict[int, Part] = {}
    if plan.matrices:
        gathered = buf[starts[:, None] + plan.gather]
        for matrix in plan.matrices:
            _decode_matrix(gathered, matrix, parts)
    if plan.others:
        rec = records(data, starts, plan.dtype, buf)
        for field in plan.others:
            parts[field.num] = decode_field(rec, field)
    return parts


def _decode_matrix(gathered: np.ndarray, matrix: Matrix, parts: dict[int, Part]) -> None:
    """Decode k scalar fields at once: (n, k) elements -> int64/float64 values + nulls.

    Column-major, so that each field's values are contiguous (zero-copy into arrow).
    """
    values = np.empty((len(gathered), len(matrix.fields)), dtype=matrix.dtype, order="F")
    if matrix.sentinels is None:
        with np.errstate(invalid="ignore"):  # signalling-NaN bits: still NaN, still null
            _fill(values, gathered, matrix.blocks)
        null = np.isnan(values)
    else:
        _fill(values, gathered, matrix.blocks)
        null = values == matrix.sentinels
        for j in matrix.wide:  # uint64 beyond int64: the reference's Int64 cannot hold it
            null[:, j] |= values[:, j] < 0
    any_null = null.any(axis=0).tolist()
    # Iterating the transposed (column-major) matrices yields contiguous column views.
    for field, column, nulls, has_null in zip(
        matrix.fields, values.T, null.T, any_null, strict=True
    ):
        parts[field.num] = Part(column, nulls, None, None, has_null, field.small)


def _fill(values: np.ndarray, gathered: np.ndarray, blocks: tuple[Block, ...]) -> None:
    """Cast each block's bytes (viewed as its element dtype) into its matrix columns."""
    for b in blocks:
        values[:, b.first : b.first + b.width] = gathered[:, b.start : b.stop].view(b.dtype)


def records(data: bytes, starts: np.ndarray, dtype: np.dtype, buf: np.ndarray) -> np.ndarray:
    """Records as a structured array: a strided view when they are evenly spaced (runs of
    one message type), else one gather into a contiguous buffer."""
    n = len(starts)
    size = dtype.itemsize
    first = int(starts[0]) + 1
    if n == 1:
        return np.ndarray((1,), dtype, data, first)
    gaps = np.diff(starts)
    stride = int(gaps[0])
    if stride >= size and (gaps == stride).all():
        return np.ndarray((n,), dtype, data, first, (stride,))
    index = (starts + 1)[:, None] + np.arange(size)
    return buf[index].view(dtype).reshape(n)


def _text(raw: bytes) -> str | None:
    """fitparse's string rule: cut at the first NUL (if any), replace bad UTF-8, '' -> None."""
    cut = raw.find(b"\x00")
    return (raw if cut < 0 else raw[:cut]).decode("utf-8", errors="replace") or None


def _byte_rows(raw: np.ndarray) -> list[bytes | None]:
    """Whole-field bytes per row; None when every byte is 0xFF (fitparse `byte` invalid)."""
    invalid = (raw == 0xFF).all(axis=1).tolist()
    return [None if bad else row.tobytes() for row, bad in zip(raw, invalid, strict=True)]


def _objects(raw: np.ndarray, field: FieldPlan) -> Part:
    """Strings and bytes (Python objects: these fields are rare and short)."""
    raw = np.ascontiguousarray(raw)
    if field.kind == fp.KIND_BYTES:
        return Part(objects=_byte_rows(raw))
    if field.kind == fp.KIND_STRING:
        if field.source == SRC_STRING:
            texts = [_text(r.tobytes()) for r in raw]
        else:  # a string field stored as bytes: whole-field text unless all 0xFF
            texts = [None if r is None else _text(r) for r in _byte_rows(raw)]
        return Part(objects=[[t] for t in texts] if field.is_list else texts)
    n = len(raw)  # a numeric column whose bytes are a string: fitparse gives no number
    return Part(np.zeros(n, np.int64), np.ones(n, bool))


def _numbers(raw: np.ndarray, field: FieldPlan) -> Part:
    """Numeric list elements: per-element invalid sentinels."""
    null = np.isnan(raw) if field.invalid is None else raw == field.invalid
    if raw.dtype.kind == "u" and raw.dtype.itemsize == 8:
        null |= raw > _INT64_MAX
    floats = field.kind == fp.KIND_FLOAT or raw.dtype.kind == "f"
    return _shape(raw.astype(np.float64 if floats else np.int64), null, field)


def _byte_numbers(raw: np.ndarray, field: FieldPlan) -> Part:
    """Byte-encoded numbers (byte base type or misaligned size): each byte is an element,
    and like fitparse only an all-0xFF field is invalid (a list of it holds one null)."""
    invalid = (raw == 0xFF).all(axis=1)
    values = raw.astype(np.float64 if field.kind == fp.KIND_FLOAT else np.int64)
    null = np.repeat(invalid[:, None], raw.shape[1], axis=1)
    if field.is_list and invalid.any():  # an invalid list is [None], as in the reference
        keep = np.ones(raw.shape, dtype=bool)
        keep[invalid, 1:] = False
        lengths = np.where(invalid, 1, raw.shape[1])
        return Part(values[keep], null[keep], lengths)
    return _shape(values, null, field)


def _shape(values: np.ndarray, null: np.ndarray, field: FieldPlan) -> Part:
    """(n, count) values -> a list Part, or the first element of each row for scalars."""
    if field.is_list:
        n, count = values.shape
        return Part(values.ravel(), null.ravel(), np.full(n, count, dtype=np.int64))
    return Part(values[:, 0], null[:, 0])


def decode_field(rec: np.ndarray, field: FieldPlan) -> Part:
    """Raw values of one non-block field of a group of records."""
    raw = rec[field.key]
    if raw.ndim == 1:
        raw = raw[:, None]
    if field.kind in _NUMERIC_KINDS:
        if field.source == SRC_NUMBER:
            return _numbers(raw, field)
        if field.source == SRC_BYTES:
            return _byte_numbers(raw, field)
    if field.source == SRC_NUMBER:  # numbers where the profile wants text or bytes
        raw = np.ascontiguousarray(raw).view(np.uint8).reshape(len(raw), -1)
    return _objects(raw, field)
