"""Fast FIT decoder: FIT bytes -> one polars frame per message type (docs/internals.md §2).

Many times faster than fitparse (bench/RESULTS.md) with the same values, because no Python
object is made per message: `parsers.fit.fast.scan` walks the record headers once (offsets
only, CRC in numpy), `parsers.fit.fast.plan` decodes all records of one definition at once
with per-definition compiled numpy layouts, and `parsers.fit.fast.columns` converts whole
columns (scale/offset, enum names, dates) into polars series. The reference
engine is `parsers.fit.reference`; tests/parsers/test_fit_differential.py holds the two to
identical values, test_fit_fast_properties.py does so on generated files.

Public API: `decode(data, only=None) -> (frames by message name, problems)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from parsers.base import ParseError
from parsers.fit import profile as fp
from parsers.fit.fast.columns import (
    Column,
    arrow_array,
    column_array,
    gather,
    merged_scalars,
    scalar_series,
)
from parsers.fit.fast.plan import Part, Plan, compile_plan, decode_group
from parsers.fit.fast.scan import (
    COMPRESSED_HEADER,
    COMPRESSED_TIME_MASK,
    Scan,
    scan,
)

__all__ = ["decode"]

_TS = fp.TIMESTAMP_FIELD
#: Columns every message keeps when its frame is not wanted: the timeline of the file.
_TIME_FIELDS = frozenset({"timestamp", "timestamp_16"})
_SCALAR_KINDS = frozenset(
    {fp.KIND_INT, fp.KIND_FLOAT, fp.KIND_ENUM, fp.KIND_DATETIME, fp.KIND_LOCAL_DATETIME}
)


@dataclass
class _Group:
    """All data messages of one definition: their file positions and decoded fields."""

    plan: Plan
    index: np.ndarray  # global `_index` of each message (ascending)
    parts: dict[int, Part]
    compressed: np.ndarray | None = None  # rows with a compressed timestamp header


def decode(
    data: bytes, only: frozenset[str] | None = None
) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """Decode FIT bytes into message frames keyed by profile message name, plus problems.

    Damage (CRC mismatch, truncation, undefined local type, lying data size, a bad chained
    header) keeps everything decoded before it and is described in `problems`. Raises
    `ParseError` when the bytes are not FIT at all or hold no data message.

    `only`: message names whose frames are wanted whole; the others get just `_index`,
    `timestamp` and `timestamp_16` (what `timestamp_16` resolution reads across messages),
    or no frame when they have neither, since building a polars column is most of the cost
    of a small file.
    """
    data = bytes(data) if not isinstance(data, bytes) else data
    found = scan(data)
    if not found.starts:
        reason = found.problems[0] if found.problems else "no data messages"
        raise ParseError(f"FIT file holds no readable messages: {reason}")
    groups = _decode_groups(data, found, only)
    _apply_compressed_timestamps(data, found, groups)
    by_mesg: dict[int, list[_Group]] = {}
    for group in sorted(groups, key=lambda g: int(g.index[0])):
        by_mesg.setdefault(group.plan.mesg_num, []).append(group)
    frames = {}
    for num, gs in by_mesg.items():
        name = fp.message_name(num)
        names = None if only is None or name in only else _TIME_FIELDS
        if names is not None and not any(_specs(g, names) for g in gs):
            continue  # not wanted, and no time for the others' timestamp_16 either
        frames[name] = _frame(gs, names)
    return frames, list(found.problems)


def _decode_groups(data: bytes, found: Scan, only: frozenset[str] | None) -> list[_Group]:
    """Split messages by definition (stable: file order kept) and decode each group (of a
    message not in `only`: its time fields only)."""
    starts = found.offsets
    def_ids = found.def_ids
    buf = np.frombuffer(data, dtype=np.uint8)
    if len(found.definitions) == 1:
        order = np.arange(len(starts))
        bounds = [0, len(starts)]
        ids = [int(def_ids[0])]
    else:
        order = np.argsort(def_ids, kind="stable")
        sorted_ids = def_ids[order]
        cuts = np.flatnonzero(np.diff(sorted_ids)) + 1
        bounds = [0, *cuts.tolist(), len(order)]
        ids = sorted_ids[bounds[:-1]].tolist()
    groups = []
    for did, lo, hi in zip(ids, bounds[:-1], bounds[1:], strict=True):
        index = order[lo:hi]
        definition = found.definitions[did]
        wanted = only is None or fp.message_name(definition.mesg_num) in only
        plan = compile_plan(definition, None if wanted else _TIME_FIELDS)
        groups.append(_Group(plan, index, decode_group(buf, data, starts[index], plan)))
    return groups


def _apply_compressed_timestamps(data: bytes, found: Scan, groups: list[_Group]) -> None:
    """Give every message with a compressed timestamp header its full time in field 253.

    FIT SDK rule (as fitparse applies it): ts = last + ((offset - last) & 0x1F), where
    `last` is the latest timestamp in file order -- a valid field 253 of any message, or the
    previous compressed timestamp -- and starts at 0 in each chained file. Within a run after
    one full timestamp each step adds (offset_k - offset_{k-1}) & 0x1F: a cumulative sum.
    """
    heads = np.frombuffer(data, dtype=np.uint8)[found.offsets]
    is_comp = heads >= COMPRESSED_HEADER
    if not is_comp.any():
        return
    comp_idx = np.flatnonzero(is_comp)
    comp_off = (heads[comp_idx] & COMPRESSED_TIME_MASK).astype(np.int64)
    # Events keyed 3*index + (0 file start: `last` = 0, 1 field 253, 2 compressed header).
    starts = np.array(found.file_starts, dtype=np.int64)  # always holds 0, the first file
    keys, vals = [3 * starts], [np.zeros(len(starts), dtype=np.int64)]
    for group in groups:
        part = group.parts.get(_TS)
        if part is None or part.values is None or part.lengths is not None:
            continue
        ok = ~part.null
        keys.append(3 * group.index[ok] + 1)
        vals.append(part.values[ok].astype(np.int64))
    keys.append(3 * comp_idx + 2)
    vals.append(comp_off)
    key = np.concatenate(keys)
    val = np.concatenate(vals)
    order = np.argsort(key, kind="stable")
    key, val = key[order], val[order]
    comp = key % 3 == 2
    low5 = val & COMPRESSED_TIME_MASK
    prev = np.concatenate(([0], low5[:-1]))
    delta = np.where(comp, (val - prev) & COMPRESSED_TIME_MASK, 0)
    run = np.cumsum(~comp) - 1
    run_at = np.flatnonzero(~comp)
    csum = np.cumsum(delta)
    ts = val[run_at][run] + csum - csum[run_at][run]
    resolved = ts[comp]  # in file order, like comp_idx
    for group in groups:
        rows = np.flatnonzero(is_comp[group.index])
        if len(rows):
            group.compressed = rows
            at = np.searchsorted(comp_idx, group.index[rows])
            _put_timestamps(group, rows, resolved[at])


def _put_timestamps(group: _Group, rows: np.ndarray, values: np.ndarray) -> None:
    """Write resolved times into the group's field 253 (created when the definition lacks
    it; a compressed header overrides a stored timestamp, as in the reference engine)."""
    n = len(group.index)
    part = group.parts.get(_TS)
    if part is None or part.values is None or part.lengths is not None:
        part = Part(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
        group.parts[_TS] = part
    part.values = part.values.astype(np.int64)  # a fresh array: never write into the file
    part.null = part.null.copy()
    part.values[rows] = values
    part.null[rows] = False


def _specs(group: _Group, names: frozenset[str] | None) -> tuple[tuple, ...]:
    """The group's output columns: (number, name, info, kind, is list), all or those named."""
    specs = group.plan.specs_ts if group.compressed is not None else group.plan.specs
    return specs if names is None else tuple(s for s in specs if s[1] in names)


def _columns(groups: list[_Group], names: frozenset[str] | None) -> list[Column]:
    """Columns in order of first appearance; a column's kind comes from its first group."""
    columns: dict[int, Column] = {}
    for pos, group in enumerate(groups):
        for num, name, info, kind, is_list in _specs(group, names):
            if num not in columns:
                columns[num] = Column(num, name, info, kind, is_list)
            columns[num].parts[pos] = group.parts[num]
    return list(columns.values())


def _frame(groups: list[_Group], names: frozenset[str] | None) -> pl.DataFrame:
    """One message type's frame: `_index` then one column per field (or per field named in
    `names`), rows in file order."""
    sizes = [len(g.index) for g in groups]
    index = np.concatenate([g.index for g in groups]) if len(groups) > 1 else groups[0].index
    perm = None
    if len(groups) > 1 and (np.diff(index) < 0).any():
        perm = np.argsort(index, kind="stable")
        index = index[perm]
    series = [_index_series(index)]
    if len(groups) == 1:
        series += _single_group_series(groups[0], names)
    else:
        series += [_column_series(c, sizes, perm) for c in _columns(groups, names)]
    return _data_frame(series)


def _column_series(column: Column, sizes: list[int], perm: np.ndarray | None) -> pl.Series:
    """One column over several groups: scalars merged in numpy, the rest through arrow."""
    if column.kind not in _SCALAR_KINDS or column.is_list:
        series = _series(column.name, column_array(column, sizes, None))
        if perm is None:  # rows back in file order by a polars gather, not arrow compute
            return series
        return gather(column.name, series, np.ascontiguousarray(perm, dtype=np.uint32))
    value, null = merged_scalars(column, sizes, perm)
    return scalar_series(column.name, value, null, column.kind, column.info)


def _single_group_series(group: _Group, names: frozenset[str] | None) -> list[pl.Series]:
    """The common case (one definition per message type) without the merging machinery."""
    out = []
    for spec in _specs(group, names):
        num, name, info, kind, is_list = spec
        part = group.parts[num]
        if part.lengths is None and part.values is not None and kind in _SCALAR_KINDS:
            out.append(
                scalar_series(name, part.values, part.null, kind, info, part.has_null, part.small)
            )
        else:
            column = Column(num, name, info, kind, is_list, {0: part})
            out.append(_series(name, column_array(column, [len(group.index)], None)))
    return out


def _index_series(index: np.ndarray) -> pl.Series:
    return _u32("_index", np.ascontiguousarray(index, dtype=np.uint32))


def _public_u32(name: str, values: np.ndarray) -> pl.Series:
    return pl.Series(name, values, dtype=pl.UInt32)


def _public_series(name: str, array: pa.Array) -> pl.Series:
    return pl.Series(name, array)


def _public_frame(series: list[pl.Series]) -> pl.DataFrame:
    return pl.DataFrame(series)


# A frame has ~10 columns and a file ~15 frames, so polars' Python-side constructor checks
# cost as much as the decoding; polars' own thin wrappers skip them (1 us instead of 3).
# They are internal API: if a polars release moves them, the public constructors serve.
try:
    from polars._plr import PyDataFrame, PySeries
    from polars._utils.wrap import wrap_df, wrap_s

    def _series(name: str, array: pa.Array) -> pl.Series:
        return wrap_s(PySeries.from_arrow(name, array))

    def _data_frame(series: list[pl.Series]) -> pl.DataFrame:
        return wrap_df(PyDataFrame([s._s for s in series]))

    def _u32(name: str, values: np.ndarray) -> pl.Series:
        return wrap_s(PySeries.new_u32(name, values, False))

    _check = _data_frame([_series("a", arrow_array(np.array([1], np.int64), pa.int64()))])
    if _check.schema != {"a": pl.Int64} or _check.item() != 1:
        raise ImportError("polars internals changed")
    if _u32("u", np.array([3], dtype=np.uint32)).dtype != pl.UInt32:
        raise ImportError("polars internals changed")
except (ImportError, AttributeError, TypeError):
    _series, _data_frame, _u32 = _public_series, _public_frame, _public_u32
