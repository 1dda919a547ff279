"""FIT bytes -> message frames (docs/internals.md §2), with a swappable decoding engine.

Engines: "fast" (`parsers.fit_fast`, numpy) and "fitparse" (`parsers.fit_fitparse`, the
slow reference). Whatever the engine, `decode_fit` then resolves `timestamp_16` fields so
every consumer sees one `timestamp` column; `parsers.fit` never sees bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from parsers import fit_fitparse
from parsers.base import ParseError
from parsers.fit_profile import FIT_EPOCH_S

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
        from parsers import fit_fast
    except ImportError:
        return None
    return getattr(fit_fast, "decode", None)


def _run_engine(data: bytes, engine: str) -> tuple[dict[str, pl.DataFrame], list[str]]:
    if engine not in ENGINES:
        raise ValueError(f"unknown FIT engine {engine!r}; choose one of {ENGINES}")
    fast = _fast_engine() if engine == "fast" else None
    if fast is None:
        return fit_fitparse.decode(data)
    try:
        return fast(data)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - an engine bug must not lose the file
        log.warning("fast FIT engine failed (%s); falling back to fitparse", type(exc).__name__)
        return fit_fitparse.decode(data)


def decode_fit(data: bytes, engine: str = "fast") -> FitDecoded:
    """Decode FIT bytes to message frames with `timestamp` filled wherever it can be.

    Raises `ParseError` when the bytes are not a readable FIT file.
    """
    messages, problems = _run_engine(data, engine)
    return FitDecoded(resolve_timestamp_16(messages), list(problems))


def _timeline(messages: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """(_index, full timestamp in FIT seconds, timestamp_16) of every message with either.

    FIT seconds (since 1989-12-31), not unix seconds: timestamp_16 is the low 16 bits of
    the FIT time, and 631065600 is not a multiple of 65536.
    """
    parts = []
    for frame in messages.values():
        has_ts, has_t16 = _TS in frame.columns, _TS16 in frame.columns
        if not (has_ts or has_t16):
            continue
        ts = (pl.col(_TS).dt.epoch("s") - FIT_EPOCH_S) if has_ts else pl.lit(None, pl.Int64)
        t16 = pl.col(_TS16).cast(pl.Int64) if has_t16 else pl.lit(None, pl.Int64)
        part = frame.select(pl.col("_index"), ts.alias("ts_s"), t16.alias("t16"))
        parts.append(part.filter(pl.col("ts_s").is_not_null() | pl.col("t16").is_not_null()))
    schema = {"_index": pl.UInt32, "ts_s": pl.Int64, "t16": pl.Int64}
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat([p.cast(schema) for p in parts]).sort("_index")


def resolved_timestamps(messages: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """`_index` -> resolved time (`resolved`, UTC) of every message with only `timestamp_16`.

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
    line = _timeline(messages)
    low16 = pl.when(pl.col("ts_s").is_not_null()).then(pl.col("ts_s") & 0xFFFF)
    low16 = low16.otherwise(pl.col("t16"))
    since_prev = (pl.col("t16") - pl.col("low16").shift(1)) & 0xFFFF
    after_full = pl.col("ts_s").shift(1).is_not_null() & (since_prev >= _HALF)
    since_prev = pl.when(after_full).then(since_prev - 0x10000).otherwise(since_prev)
    step = pl.when(pl.col("ts_s").is_null()).then(since_prev)
    out = (
        line.with_columns(
            pl.col("ts_s").is_not_null().cum_sum().alias("run"), low16.alias("low16")
        )
        .with_columns(step.otherwise(0).alias("step"))
        .with_columns(
            (
                pl.col("ts_s").first().over("run") + pl.col("step").cum_sum().over("run")
            ).alias("resolved_s")
        )
        .filter(pl.col("ts_s").is_null())
    )
    resolved = ((pl.col("resolved_s") + FIT_EPOCH_S) * 1_000_000).cast(pl.Datetime("us", "UTC"))
    return out.select("_index", resolved.alias("resolved"))


def resolve_timestamp_16(messages: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Fill `timestamp` from `timestamp_16` in every frame that has the latter."""
    if not any(_TS16 in f.columns for f in messages.values()):
        return messages
    resolved = resolved_timestamps(messages)
    out = {}
    for name, frame in messages.items():
        out[name] = _fill(frame, resolved) if _TS16 in frame.columns else frame
    return out


def _fill(frame: pl.DataFrame, resolved: pl.DataFrame) -> pl.DataFrame:
    joined = frame.join(resolved, on="_index", how="left", maintain_order="left")
    if _TS in frame.columns:
        return joined.with_columns(pl.coalesce(_TS, "resolved").alias(_TS)).drop("resolved")
    order = ["_index", _TS] + [c for c in frame.columns if c != "_index"]
    return joined.rename({"resolved": _TS}).select(order)
