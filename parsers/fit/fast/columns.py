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
import polars as pl
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


def scalar_series(
    name: str,
    values: np.ndarray,
    null: np.ndarray,
    kind: str,
    info: fp.FieldInfo | None,
    has_null: bool | None = None,
    small: bool = False,
) -> pl.Series:
    """`convert`, but straight into a polars Series where numpy can hand polars its buffer.

    A file has ~250 columns and most are short, so per column cost is the decoder's fixed
    cost: an arrow array plus its import costs 5-25 us (a tz-aware timestamp the most), a
    numpy buffer into polars under 1 us. Same values and dtypes as `convert` (tests hold
    both engines to identical frames); the rare shapes fall back to it.
    """
    if has_null is None:
        has_null = bool(null.any())
    if kind == fp.KIND_FLOAT:
        out = values.astype(np.float64, copy=False)
        if info is not None and info.scale != 1:
            out = out / info.scale
        if info is not None and info.offset:
            out = out - info.offset
        if not has_null:
            return _f64(name, np.ascontiguousarray(out), False)
        if not np.isnan(out[~null]).any():  # NaN may then stand for null
            return _f64(name, np.where(null, np.nan, out), True)
    elif kind in (fp.KIND_INT, fp.KIND_DATETIME, fp.KIND_LOCAL_DATETIME) and not has_null:
        if values.dtype.kind == "f":
            values = values.astype(np.int64)
        if kind == fp.KIND_INT:
            return _i64(name, np.ascontiguousarray(values, dtype=np.int64))
        micros = (values.astype(np.int64, copy=False) + fp.FIT_EPOCH_S) * _US
        return _i64(name, micros).cast(_DATETIMES[kind])
    elif kind in (fp.KIND_DATETIME, fp.KIND_LOCAL_DATETIME):
        if values.dtype.kind == "f":
            values = np.where(null, 0, values).astype(np.int64)
        micros = pa.array((values + fp.FIT_EPOCH_S) * _US, type=_INT64, mask=null)
        return _from_arrow(name, micros).cast(_DATETIMES[kind])
    if has_null and kind in _POLARS_TYPES and null.all():  # a field never set in the file
        return _nulls(name, len(values), _POLARS_TYPES[kind])
    if len(values) <= _FEW:  # a few rows: Python lists beat an arrow round trip
        if kind == fp.KIND_INT and values.dtype.kind != "f":
            return _opt_i64(name, _with_nulls(values.tolist(), null, has_null))
        byte = small or not len(values) or 0 <= values.min() <= values.max() <= 255
        if kind == fp.KIND_ENUM and byte:
            names = _enum_names(info.type if info else None)[np.where(null, 0, values)]
            if has_null:
                names[null] = None
            return _str(name, names)
    return _from_arrow(name, convert(values, null, kind, info, has_null, small))


def _with_nulls(values: list, null: np.ndarray, has_null: bool) -> list:
    if not has_null:
        return values
    return [None if gone else v for v, gone in zip(values, null.tolist(), strict=True)]


_DATETIMES = {
    fp.KIND_DATETIME: pl.Datetime("us", "UTC"),
    fp.KIND_LOCAL_DATETIME: pl.Datetime("us"),
}
_POLARS_TYPES = {fp.KIND_INT: pl.Int64, fp.KIND_FLOAT: pl.Float64, fp.KIND_ENUM: pl.String}


def _public_f64(name: str, values: np.ndarray, nan_is_null: bool) -> pl.Series:
    series = pl.Series(name, values, dtype=pl.Float64)
    return series.fill_nan(None) if nan_is_null else series


def _public_i64(name: str, values: np.ndarray) -> pl.Series:
    return pl.Series(name, values, dtype=pl.Int64)


def _public_from_arrow(name: str, array: pa.Array) -> pl.Series:
    return pl.Series(name, array)


def _public_nulls(name: str, n: int, dtype: pl.DataType) -> pl.Series:
    return pl.Series(name, [None] * n, dtype=dtype)


def _public_opt_i64(name: str, values: list) -> pl.Series:
    return pl.Series(name, values, dtype=pl.Int64)


def _public_str(name: str, values: np.ndarray) -> pl.Series:
    return pl.Series(name, values.tolist(), dtype=pl.String)


# polars' own constructors from a numpy buffer skip the Python-side checks of `pl.Series`
# (0.5 us instead of 10-20). Internal API: if a polars release moves them, the public
# constructors give the same series.
try:
    from polars._plr import PySeries
    from polars._utils.wrap import wrap_s

    def _f64(name: str, values: np.ndarray, nan_is_null: bool) -> pl.Series:
        return wrap_s(PySeries.new_f64(name, values, nan_is_null))

    def _i64(name: str, values: np.ndarray) -> pl.Series:
        return wrap_s(PySeries.new_i64(name, values, False))

    def _from_arrow(name: str, array: pa.Array) -> pl.Series:
        return wrap_s(PySeries.from_arrow(name, array))

    def _nulls(name: str, n: int, dtype: pl.DataType) -> pl.Series:
        return wrap_s(PySeries.new_null(name, [None] * n, False)).cast(dtype)

    def _opt_i64(name: str, values: list) -> pl.Series:
        return wrap_s(PySeries.new_opt_i64(name, values, False))

    def _str(name: str, values: np.ndarray) -> pl.Series:
        return wrap_s(PySeries.new_str(name, values, False))

    _probe = (
        _f64("f", np.array([1.5, np.nan]), True),
        _i64("i", np.array([7], dtype=np.int64)),
        _from_arrow("a", pa.array([1], type=_INT64)),
        _nulls("n", 2, pl.Int64),
        _opt_i64("o", [None, 3]),
        _str("s", np.array(["x", None], dtype=object)),
    )
    expected = [[1.5, None], [7], [1], [None, None], [None, 3], ["x", None]]
    dtypes = [pl.Float64, pl.Int64, pl.Int64, pl.Int64, pl.Int64, pl.String]
    if [s.to_list() for s in _probe] != expected or [s.dtype for s in _probe] != dtypes:
        raise ImportError("polars internals changed")
except (ImportError, AttributeError, TypeError):
    _f64, _i64, _from_arrow = _public_f64, _public_i64, _public_from_arrow
    _nulls, _opt_i64, _str = _public_nulls, _public_opt_i64, _public_str


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
