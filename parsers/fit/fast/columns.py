"""Column pass of the fast FIT decoder: raw values of a whole column -> its polars Series.

Applies the column kinds of docs/internals.md §2 to int64/float64 raw values and a null
mask (from `parsers.fit.fast.plan`): scale/offset, FIT epoch, enum names. The value rules
are those of `parsers.fit.profile.typed_series`, which the reference engine uses, done
in numpy so that a column costs a microsecond or two: numpy buffers go straight into
polars. Lists go through arrow arrays built from buffers (`pa.array` would import pandas,
half a second per process, wherever pandas is installed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import polars as pl
import pyarrow as pa

from parsers.fit import profile as fp
from parsers.fit.fast.plan import Part

_US = 1_000_000
_INT64 = pa.int64()
#: Integer columns with nulls up to this many rows go through a Python list (cheapest).
_FEW = 64
#: Enum fields are one byte: names of 0..255, then null (the index of a null value).
_NULL_LABEL = 256


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
# Final series: one per column of a message frame.

_DATETIMES = {
    fp.KIND_DATETIME: pl.Datetime("us", "UTC"),
    fp.KIND_LOCAL_DATETIME: pl.Datetime("us"),
}
_POLARS_TYPES = {
    fp.KIND_INT: pl.Int64, fp.KIND_FLOAT: pl.Float64, fp.KIND_ENUM: pl.String, **_DATETIMES,
}


def arrow_array(
    values: np.ndarray, dtype: pa.DataType, null: np.ndarray | None = None
) -> pa.Array:
    """A fixed-width numpy array (and null mask) as an arrow array, from its buffers."""
    values = np.ascontiguousarray(values)
    validity, nulls = None, 0
    if null is not None and (nulls := int(np.count_nonzero(null))):
        validity = pa.py_buffer(np.packbits(~null, bitorder="little"))
    return pa.Array.from_buffers(
        dtype, len(values), [validity, pa.py_buffer(values)], null_count=nulls
    )


@cache
def _enum_labels(type_name: str | None) -> pl.Series:
    """Names of the values 0..255 of an enum type (decimal text where the profile has none),
    then null: one gather turns a column of values into names."""
    table = fp.enum_table(type_name) if type_name else {}
    names = [table.get(v, str(v)) for v in range(256)]
    return pl.Series("", [*names, None], dtype=pl.String)


def _enum_series(
    name: str, values: np.ndarray, null: np.ndarray, has_null: bool, type_name: str | None,
    small: bool,
) -> pl.Series:
    if has_null:
        values = np.where(null, 0, values)
    if small or not len(values) or (values.min() >= 0 and values.max() <= 255):
        labels, index = _enum_labels(type_name), values
        missing = _NULL_LABEL
    else:  # a wider enum field: names of the values present
        table = fp.enum_table(type_name) if type_name else {}
        uniq, index = np.unique(values, return_inverse=True)
        names = [table.get(v, str(v)) for v in uniq.tolist()]
        labels, missing = pl.Series("", [*names, None], dtype=pl.String), len(names)
    if has_null:
        index = np.where(null, missing, index)
    return gather(name, labels, np.ascontiguousarray(index.ravel(), dtype=np.uint32))


def scalar_series(
    name: str,
    values: np.ndarray,
    null: np.ndarray,
    kind: str,
    info: fp.FieldInfo | None,
    has_null: bool | None = None,
    small: bool = False,
) -> pl.Series:
    """Raw int64/float64 values (1-D) and null mask -> the column's polars Series.

    A file has ~250 columns and most are short, so the cost per column is the decoder's
    fixed cost per file: numpy buffers go into polars without arrow (under 1 us; an arrow
    array, built and imported, cost 5-25 us). Tests hold the values and dtypes to the
    reference engine's (`parsers.fit.profile.typed_series`).
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
        return _from_arrow(name, arrow_array(out, pa.float64(), null))
    if values.dtype.kind == "f":  # a float stored where an integer kind is expected
        values = np.where(null, 0, values).astype(np.int64)
    if kind == fp.KIND_ENUM:
        return _enum_series(name, values, null, has_null, info.type if info else None, small)
    if has_null and null.all():  # a field never set in the file
        return _nulls(name, len(values), _POLARS_TYPES[kind])
    if kind == fp.KIND_INT:
        if not has_null:
            return _i64(name, np.ascontiguousarray(values, dtype=np.int64))
        if len(values) <= _FEW:
            pairs = zip(values.tolist(), null.tolist(), strict=True)
            return _opt_i64(name, [None if gone else v for v, gone in pairs])
        return _from_arrow(name, arrow_array(values.astype(np.int64, copy=False), _INT64, null))
    if kind not in _DATETIMES:
        raise ValueError(f"not a scalar column kind: {kind}")
    micros = (values.astype(np.int64, copy=False) + fp.FIT_EPOCH_S) * _US
    if has_null:
        return _from_arrow(name, arrow_array(micros, _INT64, null)).cast(_DATETIMES[kind])
    return _i64(name, micros).cast(_DATETIMES[kind])


def convert(
    values: np.ndarray, null: np.ndarray, kind: str, info: fp.FieldInfo | None
) -> pa.Array:
    """`scalar_series` as an arrow array (the flat values of a list column)."""
    return scalar_series("", values, null, kind, info).to_arrow()


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


def _public_gather(name: str, labels: pl.Series, index: np.ndarray) -> pl.Series:
    return labels.gather(index).alias(name)


# polars' own constructors from a numpy buffer skip the Python-side checks of `pl.Series`
# (0.5 us instead of 10-20; a Series method such as `gather` runs a query, ~200 us).
# Internal API: if a polars release moves them, the public constructors give the same series.
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

    def gather(name: str, labels: pl.Series, index: np.ndarray) -> pl.Series:
        out = labels._s.gather_with_series(PySeries.new_u32("", index, False))
        out.rename(name)
        return wrap_s(out)

    _probe = (
        _f64("f", np.array([1.5, np.nan]), True),
        _i64("i", np.array([7], dtype=np.int64)),
        _from_arrow("a", arrow_array(np.array([1], dtype=np.int64), _INT64)),
        _nulls("n", 2, pl.Int64),
        _opt_i64("o", [None, 3]),
        gather("g", pl.Series(["x", None]), np.array([1, 0], dtype=np.uint32)),
    )
    expected = [[1.5, None], [7], [1], [None, None], [None, 3], [None, "x"]]
    dtypes = [pl.Float64, pl.Int64, pl.Int64, pl.Int64, pl.Int64, pl.String]
    if [s.to_list() for s in _probe] != expected or [s.dtype for s in _probe] != dtypes:
        raise ImportError("polars internals changed")
    if [s.name for s in _probe] != ["f", "i", "a", "n", "o", "g"]:
        raise ImportError("polars internals changed")
except (ImportError, AttributeError, TypeError):
    _f64, _i64, _from_arrow = _public_f64, _public_i64, _public_from_arrow
    _nulls, _opt_i64, gather = _public_nulls, _public_opt_i64, _public_gather


def column_array(column: Column, sizes: list[int], perm: np.ndarray | None) -> pa.Array:
    """The final arrow array of a string, bytes or list column over groups of `sizes` rows
    (in group order), rows reordered by `perm` (None: already in file order). Scalar
    columns take `scalar_series` (the decoder calls it directly)."""
    if column.kind in (fp.KIND_STRING, fp.KIND_BYTES) or column.is_list:
        build = _object_array if column.kind in (fp.KIND_STRING, fp.KIND_BYTES) else _list_array
        array = build(column, sizes)
        return array if perm is None else array.take(arrow_array(perm.astype(np.int64), _INT64))
    return convert(*merged_scalars(column, sizes, perm), column.kind, column.info)


def merged_scalars(
    column: Column, sizes: list[int], perm: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Raw values and null mask of a scalar column over groups of `sizes` rows, rows
    reordered by `perm` (None: already in file order); a group without the field gives
    nulls. Once per column, not per row: the call costs nothing next to the concatenation."""
    values, nulls = [], []
    for pos, n in enumerate(sizes):
        part = column.parts.get(pos)
        if part is None or part.values is None or part.lengths is not None:
            values.append(np.zeros(n, dtype=np.int64))
            nulls.append(np.ones(n, dtype=bool))
        else:
            values.append(part.values)
            nulls.append(part.null)
    value, null = np.concatenate(values), np.concatenate(nulls)
    if perm is not None:
        value, null = value[perm], null[perm]
    return value, null


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
    validity, nulls = None, int(np.count_nonzero(missing))
    if nulls:  # from buffers: `ListArray.from_arrays(mask=...)` would load pyarrow.compute
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(
        pa.list_(flat.type), len(missing), [validity, pa.py_buffer(offsets)],
        null_count=nulls, children=[flat],
    )


def _object_array(column: Column, sizes: list[int]) -> pa.Array:
    """Strings and bytes: Python values (rare fields), through polars into arrow."""
    items: list = []
    for pos, n in enumerate(sizes):
        part = column.parts.get(pos)
        items.extend(part.objects if part is not None and part.objects is not None else [None] * n)
    inner = pl.Binary if column.kind == fp.KIND_BYTES else pl.String
    return pl.Series("", items, dtype=pl.List(inner) if column.is_list else inner).to_arrow()
