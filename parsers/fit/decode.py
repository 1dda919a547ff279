"""FIT bytes -> message frames (docs/internals.md §2), with a swappable decoding engine.

Engines: "fast" (`parsers.fit.fast`, numpy) and "fitparse" (`parsers.fit.reference`, the
slow reference). Whatever the engine, `decode_fit` then resolves `timestamp_16` fields so
every consumer sees one `timestamp` column; `parsers.fit.canonical` never sees bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from parsers.base import ParseError
from parsers.fit import reference
from parsers.fit.profile import FIT_EPOCH_S

log = logging.getLogger(__name__)

ENGINES = ("fast", "fitparse")
_TS = "timestamp"
_TS16 = "timestamp_16"
_HALF = 0x8000  # half the timestamp_16 range: larger jumps after a full time are read back

Engine = Callable[[bytes], tuple[dict[str, pl.DataFrame], list[str]]]


@dataclass
class FitDecoded:
    """Message frames keyed by profile message name, and damage found while decoding."""

    messages: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _fast_engine() -> Engine | None:
    """The fast engine if it is importable (it is developed in parallel), else None."""
    try:
        from parsers.fit import fast
    except ImportError:
        return None
    return getattr(fast, "decode", None)


def _run_engine(
    data: bytes, engine: str, only: frozenset[str] | None = None
) -> tuple[dict[str, pl.DataFrame], list[str]]:
    if engine not in ENGINES:
        raise ValueError(f"unknown FIT engine {engine!r}; choose one of {ENGINES}")
    fast = _fast_engine() if engine == "fast" else None
    if fast is None:
        return reference.decode(data)
    try:
        return fast(data) if only is None else fast(data, only=only)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - an engine bug must not lose the file
        log.warning("fast FIT engine failed (%s); falling back to fitparse", type(exc).__name__)
        return reference.decode(data)


def decode_fit(data: bytes, engine: str = "fast", only: Iterable[str] | None = None) -> FitDecoded:
    """Decode FIT bytes to message frames with `timestamp` filled wherever it can be.

    `only`: the message names wanted (others are left out, and the fast engine does not
    build their frames -- most of its cost per small file); every message still counts for
    `timestamp_16` resolution, so the frames returned are the same as without `only`.
    Raises `ParseError` when the bytes are not a readable FIT file.
    """
    wanted = None if only is None else frozenset(only)
    messages, problems = _run_engine(data, engine, wanted)
    messages = resolve_timestamp_16(messages)
    if wanted is not None:
        messages = {name: frame for name, frame in messages.items() if name in wanted}
    return FitDecoded(messages, list(problems))


def _timeline(messages: dict[str, pl.DataFrame]) -> tuple[np.ndarray, ...]:
    """(_index, full timestamp in FIT seconds, has full, timestamp_16, has t16) of every
    message with either, in file order, as numpy arrays (a file has many small frames: numpy
    per frame costs microseconds where a polars query costs a millisecond).

    FIT seconds (since 1989-12-31), not unix seconds: timestamp_16 is the low 16 bits of
    the FIT time, and 631065600 is not a multiple of 65536.
    """
    parts: list[tuple[np.ndarray, ...]] = []
    for frame in messages.values():
        has_ts, has_t16 = _TS in frame.columns, _TS16 in frame.columns
        if not (has_ts or has_t16) or frame.height == 0:
            continue
        n = frame.height
        index = frame.get_column("_index").to_numpy().astype(np.int64)
        if has_ts:
            micros, full_ok = _micros(frame.get_column(_TS))
            full = micros // 1_000_000 - FIT_EPOCH_S
        else:
            full_ok, full = np.zeros(n, bool), np.zeros(n, np.int64)
        if has_t16:
            t16, t16_ok = _integers(frame.get_column(_TS16))
        else:
            t16_ok, t16 = np.zeros(n, bool), np.zeros(n, np.int64)
        keep = full_ok | t16_ok
        parts.append((index[keep], full[keep], full_ok[keep], t16[keep], t16_ok[keep]))
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty.astype(bool), empty, empty.astype(bool)
    joined = [np.concatenate(column) for column in zip(*parts, strict=True)]
    order = np.argsort(joined[0], kind="stable")
    return tuple(column[order] for column in joined)


def _micros(column: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """A datetime column as (microseconds since 1970, 0 where null; not-null mask)."""
    if column.dtype == pl.Datetime("us", "UTC") or column.dtype == pl.Datetime("us"):
        raw = column.to_numpy()  # datetime64[us], NaT for null: a view, no polars query
        ok = ~np.isnat(raw)
        return np.where(ok, raw.view(np.int64), 0), ok
    ok = column.is_not_null().to_numpy()
    return column.dt.epoch("us").fill_null(0).to_numpy().astype(np.int64), ok


def _integers(column: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """An integer column as (int64 values, 0 where null; not-null mask)."""
    raw = column.to_numpy()  # int64 without nulls, float64 with NaN for null
    if raw.dtype.kind in "iu":
        return raw.astype(np.int64, copy=False), np.ones(len(raw), bool)
    ok = ~np.isnan(raw)
    return np.where(ok, raw, 0).astype(np.int64), ok


def _resolved(messages: dict[str, pl.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    """`_index` (ascending) and resolved time (microseconds since 1970, UTC) of every message
    with only `timestamp_16`.

    FIT SDK rule: ts = last + ((t16 - last) & 0xFFFF), where `last` is the previous full
    or resolved timestamp in file order. Within a run of t16 messages after full time T0,
    each step adds (t16_k - low16(previous)) & 0xFFFF, so the run is T0 + a cumulative sum.
    t16 messages before any full timestamp stay unresolved (null).

    One exception, measured on real vivosmart 4 files: an `event` with a full timestamp is
    written a few seconds *ahead* of the monitoring stream, so the next monitoring t16 is
    slightly behind it and the plain rule moves it ~18 h forward. A step right after a full
    timestamp that would exceed half the 16-bit range (9.1 h) is read as a step back
    instead (choochoo made the same call). Steps inside a t16 run follow the SDK rule.
    """
    index, full, full_ok, t16, t16_ok = _timeline(messages)
    low16 = np.where(full_ok, full & 0xFFFF, t16)
    since_prev = np.zeros_like(t16)
    since_prev[1:] = (t16[1:] - low16[:-1]) & 0xFFFF
    after_full = np.zeros_like(full_ok)
    after_full[1:] = full_ok[:-1] & (since_prev[1:] >= _HALF)
    since_prev = np.where(after_full, since_prev - 0x10000, since_prev)
    step = np.where(full_ok, 0, since_prev)
    run = np.cumsum(full_ok)  # which full timestamp a message follows (0: none yet)
    starts = np.flatnonzero(full_ok)
    total = np.cumsum(step)
    wanted = ~full_ok & t16_ok & (run > 0)
    at = starts[run[wanted] - 1]  # the full-timestamp row each resolved message follows
    seconds = full[at] + total[wanted] - total[at]
    return index[wanted], (seconds + FIT_EPOCH_S) * 1_000_000


def resolve_timestamp_16(messages: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Fill `timestamp` from `timestamp_16` in every frame that has the latter."""
    if not any(_TS16 in f.columns for f in messages.values()):
        return messages
    resolved = _resolved(messages)
    out = {}
    for name, frame in messages.items():
        out[name] = _fill(frame, resolved) if _TS16 in frame.columns else frame
    return out


def _fill(frame: pl.DataFrame, resolved: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    """`timestamp` = the frame's own where it has one, else the resolved time, else null; a
    new `timestamp` column goes right after `_index`. numpy and two in-place column edits:
    a polars join per frame cost ~1 ms, most of a small wellness file's decode."""
    current = frame.get_column(_TS) if _TS in frame.columns else None
    if frame.columns[0] != "_index" or (
        current is not None and current.dtype != pl.Datetime("us", "UTC")
    ):
        return _fill_join(frame, resolved)
    res_index, res_micros = resolved
    index = frame.get_column("_index").to_numpy().astype(np.int64)
    at = np.minimum(np.searchsorted(res_index, index), max(len(res_index) - 1, 0))
    hit = res_index[at] == index if len(res_index) else np.zeros(len(index), bool)
    micros = np.where(hit, res_micros[at] if len(res_index) else 0, 0)
    if current is not None:
        own, own_ok = _micros(current)
        micros, hit = np.where(own_ok, own, micros), own_ok | hit
    column = pl.Series(_TS, micros, dtype=pl.Int64)
    if not hit.all():
        column = column.scatter(np.flatnonzero(~hit), None)
    column = column.cast(pl.Datetime("us", "UTC"))
    out = frame.clone()
    if current is None:
        out.insert_column(1, column)
    else:
        out.replace_column(frame.columns.index(_TS), column)
    return out


def _fill_join(frame: pl.DataFrame, resolved: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    """The same fill as a polars join, for frames of an unexpected shape."""
    index, micros = resolved
    resolved = pl.DataFrame({
        "_index": pl.Series("_index", index, dtype=pl.UInt32),
        "resolved": pl.Series("resolved", micros).cast(pl.Datetime("us", "UTC")),
    })
    joined = frame.join(resolved, on="_index", how="left", maintain_order="left")
    if _TS in frame.columns:
        return joined.with_columns(pl.coalesce(_TS, "resolved").alias(_TS)).drop("resolved")
    order = ["_index", _TS] + [c for c in frame.columns if c != "_index"]
    return joined.rename({"resolved": _TS}).select(order)
