"""FIT files: bytes -> message frames -> herstel's canonical frames (docs/internals.md §2).

Public entry points:

- `read_fit(path_or_bytes)`: one FIT file as canonical frames (`heart_rate`, `rr_intervals`,
  ...), impossible values dropped as on ingest -- what `herstel.read_fit` returns.
- `read_fit_messages(path_or_bytes)`: the decoder's own output, one polars frame per FIT
  message type (`record`, `monitoring`, `hrv`, ...), named and scaled by the Garmin profile.
- `parse(data, name, engine)`: the registry's parser (`parsers.registry`), a `ParsedFile`.
- `decode_fit(data, engine)` / `FitDecoded`: message frames plus the damage found.

Layout: `decode` picks the engine and resolves `timestamp_16`; `fast/` is the numpy engine
(`scan` -> `plan` -> `columns`, `decoder` ties them); `reference` is the fitparse-based
engine the tests hold the fast one to; `profile` is the Garmin FIT profile both use;
`canonical` maps message frames to canonical frames.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from parsers.base import ParseError, bounded_problems, shorten
from parsers.clean import drop_impossible
from parsers.fit.canonical import parse
from parsers.fit.decode import ENGINES, FitDecoded, decode_fit

__all__ = ["ENGINES", "FitDecoded", "decode_fit", "is_fit", "parse", "read_fit",
           "read_fit_messages"]

Source = bytes | str | os.PathLike[str]


def is_fit(data: bytes) -> bool:
    """FIT header: size byte 12 or 14 and the `.FIT` signature at bytes 8..12."""
    return len(data) >= 12 and data[0] in (12, 14) and data[8:12] == b".FIT"


def _bytes(source: Source) -> tuple[bytes, str]:
    """The file's bytes and a name for messages; refuses what is not FIT by its header."""
    if isinstance(source, bytes | bytearray | memoryview):
        data, name = bytes(source), ""
    else:
        data, name = Path(source).read_bytes(), Path(source).name
    if not is_fit(data):
        raise ValueError(f"{name or 'these bytes'}: not a FIT file (no .FIT header)")
    return data, name


def read_fit(source: Source, engine: str = "fast") -> dict[str, pl.DataFrame]:
    """One FIT file (path or bytes) as canonical frames, as ingest gets them.

    The steps of the ingest's `parsers.registry.parse_file` for a FIT file, without importing
    the registry (which imports this package): parse, refuse a file without rows, drop
    impossible values (`parsers.clean`). Raises `ValueError` for bytes that are not FIT and
    `parsers.base.ParseError` for a FIT file that cannot be read or holds no rows.
    """
    data, name = _bytes(source)
    try:
        parsed = parse(data, name, engine=engine)
    except ParseError as exc:  # a reason stays short whatever the file
        raise ParseError(shorten(str(exc))) from exc.__cause__
    if not any(frame.height for frame in parsed.frames.values()):
        why = "; ".join(bounded_problems(parsed.problems)) or "no readings"
        raise ParseError(f"empty: no usable rows in this fit file ({why})")
    return dict(drop_impossible(parsed, datetime.now(UTC)).frames)


def read_fit_messages(source: Source, engine: str = "fast") -> dict[str, pl.DataFrame]:
    """One FIT file (path or bytes) as one frame per FIT message type, `timestamp` filled
    from `timestamp_16` where the file uses it; the raw decoder output, nothing dropped."""
    data, _ = _bytes(source)
    return decode_fit(data, engine=engine).messages
