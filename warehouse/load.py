"""Loading parsed files: one transaction per file, frames in bulk via Arrow, every file recorded.

A file's identity is the sha256 of its content. The same content seen again at the same path is
a no-op; at another path it is recorded as `duplicate` and loads no rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import polars as pl

from parsers.base import CANONICAL, ParsedFile
from warehouse.schema import RAW_TABLES
from warehouse.sql import one, run, transaction

#: Precedence of the sources of an athlete's time zone, strongest first.
TZ_SOURCES = ("option", "athletes_file", "fit_offset", "default_utc")


@dataclass
class FileOutcome:
    """What became of one input file (mirrors its `files` row)."""

    file_id: str
    path: str
    athlete_id: str | None
    size_bytes: int
    status: str  # loaded | partial | duplicate | quarantined | seen (already recorded)
    reason: str | None = None
    format: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)


def offset_to_zone(utc_offset_s: int | None) -> str | None:
    """A whole-hour UTC offset as an IANA zone (Etc/GMT signs are inverted by POSIX convention)."""
    if utc_offset_s is None or utc_offset_s % 3600:
        return None
    hours = utc_offset_s // 3600
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{-hours:+d}"


def upsert_athlete(
    con: duckdb.DuckDBPyConnection,
    athlete_id: str,
    time_zone: str | None,
    source: str,
    **profile: object,
) -> None:
    """Create the athlete, or raise its time zone's source if this one is stronger."""
    if time_zone is None:
        time_zone, source = "UTC", "default_utc"
    row = one(con, "SELECT time_zone_source FROM athletes WHERE athlete_id = ?", [athlete_id])
    if row is None:
        run(
            con,
            "INSERT INTO athletes (athlete_id, time_zone, time_zone_source) VALUES (?, ?, ?)",
            [athlete_id, time_zone, source],
        )
    elif TZ_SOURCES.index(source) < TZ_SOURCES.index(row[0]):
        run(
            con,
            "UPDATE athletes SET time_zone = ?, time_zone_source = ? WHERE athlete_id = ?",
            [time_zone, source, athlete_id],
        )
    values = {k: v for k, v in profile.items() if v is not None}
    for column in ("birth_year", "sex", "hr_max"):
        if column in values:
            run(
                con,
                f"UPDATE athletes SET {column} = ? WHERE athlete_id = ?",
                [values[column], athlete_id],
            )


def previous_record(con: duckdb.DuckDBPyConnection, file_id: str, path: str) -> tuple | None:
    """(status, path) of the content if already recorded; the same path is preferred."""
    return one(
        con,
        "SELECT status, path FROM files WHERE file_id = ? "
        "ORDER BY (path = ?) DESC, (status IN ('loaded', 'partial')) DESC LIMIT 1",
        [file_id, path],
    )


def _insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, athlete_id: str, file_id: str
) -> int:
    if frame.height == 0:
        return 0
    cols = list(CANONICAL[table])
    if table == "device_summaries":
        cols.remove("night")
    who = "coalesce(f.athlete_id, ?)" if "athlete_id" in frame.columns else "?"
    select = [f"f.{c}" for c in cols]
    names = list(cols)
    if table == "device_summaries":
        # a summary known only by its time stamp belongs to the local date of that time
        names.append("night")
        select.append(
            "coalesce(f.night, CAST(timezone(coalesce((SELECT a.time_zone FROM athletes a "
            f"WHERE a.athlete_id = {who}), 'UTC'), f.ts) AS DATE))"
        )
    con.register("_frame", frame.to_arrow())
    try:
        params = [athlete_id] * (2 if table == "device_summaries" else 1) + [file_id]
        run(
            con,
            f"INSERT INTO {table} (athlete_id, {', '.join(names)}, file_id) "
            f"SELECT {who}, {', '.join(select)}, ? FROM _frame f",
            params,
        )
    finally:
        con.unregister("_frame")
    return frame.height


def _record(con: duckdb.DuckDBPyConnection, out: FileOutcome, vendor=None, device=None) -> None:
    rows = [out.rows.get(t, 0) for t in RAW_TABLES]
    run(
        con,
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            out.file_id,
            out.path,
            out.athlete_id,
            out.format,
            vendor,
            device,
            out.size_bytes,
            out.status,
            out.reason,
            *rows,
            sum(out.dropped.values()),
            json.dumps(out.dropped, sort_keys=True) if out.dropped else None,
            datetime.now(UTC),
        ],
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    *,
    file_id: str,
    path: str,
    athlete_id: str | None,
    size_bytes: int,
    parsed: ParsedFile | None = None,
    error: str | None = None,
    format: str | None = None,
) -> FileOutcome:
    """Record one file and load its frames, atomically. Exactly one of parsed / error is given."""
    out = FileOutcome(file_id, path, athlete_id, size_bytes, "loaded", format=format)
    previous = previous_record(con, file_id, path)
    if previous is not None and previous[1] == path:
        out.status, out.reason = "seen", f"already recorded as {previous[0]}"
        return out
    if previous is not None:
        out.status = "duplicate"
        out.reason = f"same content as {previous[1]} ({previous[0]})"
        with transaction(con):
            _record(con, out)
        return out
    if parsed is None or athlete_id is None:
        out.status = "quarantined"
        out.reason = error or "file is not inside an athlete folder and no --athlete was given"
        with transaction(con):
            _record(con, out)
        return out
    out.format = parsed.format
    out.dropped = dict(parsed.dropped)
    if parsed.problems:
        out.status, out.reason = "partial", "; ".join(parsed.problems)
    with transaction(con):
        for table in RAW_TABLES:
            if table in parsed.frames:
                out.rows[table] = _insert_frame(
                    con, table, parsed.frames[table], athlete_id, file_id
                )
        _record(con, out, parsed.vendor, parsed.device)
    return out
