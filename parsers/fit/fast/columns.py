"""Arrow pass of the fast FIT decoder: raw values of a whole column -> its final array.

Applies the column kinds of docs/internals.md §2 to int64/float64 raw values and a null
mask (from `parsers.fit.fast.plan`): scale/offset, FIT epoch, enum names. The value rules
are those of `parsers.fit.profile.typed_series`, which the reference engine uses, done
in numpy and arrow so that a column costs a few microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - loaded by Array.take; import it now, not mid-decode

from parsers.fit import profile as fp
from parsers.fit.fast.plan import Part

_US = 1_000_000
_INT64 = pa.int64()
_STRING = pa.string()
#: Columns up to this many rows take Python lists where arrow calls cost more (enums).
_FEW = 64


@dataclass(slots=True)
class Column:
    """One output column of a message type: its kind comes from the first group having it."""

    num: int
    name: str
    info: fp.FieldInfo | None
    kind: str
    is_list: bool
    parts: dict[int, Part] = field(default_factory=dict)  # group position -> raw values


# ---------------------------------------------------------------------------------------
# Final arrays: one per column of a message frame.

_ARROW_TYPES: dict[str, pa.DataType] = {
    fp.KIND_DATETIME: pa.timestamp("us", tz="UTC"),
    fp.KIND_LOCAL_DATETIME: pa.timestamp("us"),
    fp.KIND_ENUM: pa.string(),
    fp.KIND_STRING: pa.string(),
    fp.KIND_BYTES: pa.binary(),
    fp.KIND_INT: pa.int64(),
    fp.KIND_FLOAT: pa.float64(),
}


@cache
def _enum_labels(type_name: str | None) -> pa.Array:
    """Names of the values 0..255 of an enum type (decimal text where the profile has none).

    Enum fields are one byte, so a cached 256-entry array turns values into names with one
    arrow `take`; wider values fall back to `_enum_wide`.
    """
    table = fp.enum_table(type_name) if type_name else {}
    return pa.array([table.get(v, str(v)) for v in range(256)], type=pa.string())


@cache
def _enum_names(type_name: str | None) -> np.ndarray:
    """`_enum_labels` as a numpy object array, for columns of a few rows."""
    return np.array(_enum_labels(type_name).to_pylist(), dtype=object)


def _enum_wide(values: np.ndarray, null: np.ndarray, type_name: str | None) -> pa.Array:
    table = fp.enum_table(type_name) if type_name else {}
    uniq, inverse = np.unique(values, return_inverse=True)
    labels = pa.array([table.get(v, str(v)) for v in uniq.tolist()], type=pa.string())
    return labels.take(pa.array(inverse.astype(np.int64).ravel(), mask=null.ravel()))


def convert(
    values: np.ndarray,
    null: np.ndarray,
    kind: str,
    info: fp.FieldInfo | None,
    has_null: bool | None = None,
    small: bool = False,
) -> pa.Array:
    """Raw int64/float64 values (1-D) and null mask -> arrow array of the column's kind."""
    if has_null is None:
        has_null = bool(null.any())
    mask = null if has_null else None
    if kind == fp.KIND_FLOAT:
        out = values.astype(np.float64, copy=False)
        if info is not None and info.scale != 1:
            out = out / info.scale
        if info is not None and info.offset:
            out = out - info.offset
        return pa.array(out, mask=mask)
    if values.dtype.kind == "f":  # a float stored where an integer kind is expected
        values = np.where(null, 0, values).astype(np.int64)
    if kind in (fp.KIND_DATETIME, fp.KIND_LOCAL_DATETIME):
        return pa.array((values + fp.FIT_EPOCH_S) * _US, type=_ARROW_TYPES[kind], mask=mask)
    if kind == fp.KIND_ENUM:
        type_name = info.type if info else None
        if has_null:
            values = np.where(null, 0, values)
        if not small and len(values) and (values.min() < 0 or values.max() > 255):
            return _enum_wide(values, null, type_name)
        labels = _enum_labels(type_name)
        if len(values) <= _FEW:  # arrow's take costs ~6 us; a numpy gather of names less
            return pa.array(_enum_names(type_name)[values], type=_STRING, mask=mask)
        return labels.take(pa.array(values, mask=mask))
    return pa.array(values, type=_INT64, mask=mask)


def column_array(column: Column, sizes: list[int], perm: np.ndarray | None) -> pa.Array:
    """The final arrow array of one column over groups of `sizes` rows (in group order),
    rows reordered by `perm` (None: already in file order)."""
    if column.kind in (fp.KIND_STRING, fp.KIND_BYTES) or column.is_list:
        build = _object_array if column.kind in (fp.KIND_STRING, fp.KIND_BYTES) else _list_array
        array = build(column, sizes)
        return array if perm is None else array.take(pa.array(perm))
    if len(sizes) == 1:
        part = column.parts.get(0)
        if part is not None and part.values is not None and part.lengths is None:
            return convert(
                part.values, part.null, column.kind, column.info, part.has_null, part.small
            )
    values, nulls, has_null = [], [], False
    for pos, n in enumerate(sizes):
        part = column.parts.get(pos)
        if part is None or part.values is None or part.lengths is not None:
            values.append(np.zeros(n, dtype=np.int64))
            nulls.append(np.ones(n, dtype=bool))
            has_null = True
        else:
            values.append(part.values)
            nulls.append(part.null)
            has_null = has_null or part.has_null is not False
    value, null = np.concatenate(values), np.concatenate(nulls)
    if perm is not None:
        value, null = value[perm], null[perm]
    return convert(value, null, column.kind, column.info, None if has_null else False)


def _list_array(column: Column, sizes: list[int]) -> pa.Array:
    """List column: flat values and per-row lengths; rows of groups without it are null."""
    values, nulls, lengths, absent = [], [], [], []
    for pos, n in enumerate(sizes):
        part = column.parts.get(pos)
        if part is None or part.values is None:
            lengths.append(np.zeros(n, dtype=np.int64))
            absent.append(np.ones(n, dtype=bool))
            continue
        if part.lengths is None:  # stored as a scalar: a one-element list
            lengths.append(np.ones(n, dtype=np.int64))
        else:
            lengths.append(part.lengths)
        values.append(part.values)
        nulls.append(part.null)
        absent.append(np.zeros(n, dtype=bool))
    flat_values = np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
    flat_nulls = np.concatenate(nulls) if nulls else np.zeros(0, dtype=bool)
    flat = convert(flat_values, flat_nulls, column.kind, column.info)
    offsets = np.concatenate(([0], np.cumsum(np.concatenate(lengths)))).astype(np.int32)
    missing = np.concatenate(absent)
    return pa.ListArray.from_arrays(
        pa.array(offsets), flat, mask=pa.array(missing) if missing.any() else None
    )


def _object_array(column: Column, sizes: list[int]) -> pa.Array:
    """Strings and bytes: Python values (rare fields) straight into arrow."""
    items: list = []
    for pos, n in enumerate(sizes):
        part = column.parts.get(pos)
        items.extend(part.objects if part is not None and part.objects is not None else [None] * n)
    inner = pa.binary() if column.kind == fp.KIND_BYTES else pa.string()
    return pa.array(items, type=pa.list_(inner) if column.is_list else inner)
