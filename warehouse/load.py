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

from parsers.base import CANONICAL, FILE_KEY, ParsedFile, conform, stack_keyed
from parsers.paths import clean_text
from parsers.version import PARSER_VERSION
from warehouse.schema import RAW_TABLES
from warehouse.sql import one, run, transaction

#: Column types of a `files` row built in Python (others are inferred by DuckDB on insert).
FILES_SCHEMA = {
    "file_id": pl.String,
    "path": pl.String,
    "athlete_id": pl.String,
    "format": pl.String,
    "vendor": pl.String,
    "device": pl.String,
    "size_bytes": pl.Int64,
    "status": pl.String,
    "reason": pl.String,
    **{f"rows_{t}": pl.Int32 for t in RAW_TABLES},
    "rows_dropped": pl.Int32,
    "dropped_reasons": pl.String,
    "ingested_at": pl.Datetime("us", "UTC"),
    "first_ts": pl.Datetime("us", "UTC"),
    "last_ts": pl.Datetime("us", "UTC"),
    "parser_version": pl.String,
}

#: Precedence of the sources of an athlete's time zone, strongest first.
TZ_SOURCES = ("option", "athletes_file", "fit_offset", "default_utc")
#: Sources a person states: a newer statement replaces an older one of the same source (a
#: corrected athletes.csv). A FIT offset never replaces another: summer and winter files
#: would flip the zone back and forth.
TZ_STATED = ("option", "athletes_file")


@dataclass
class Record:
    """A `files` row already in the warehouse (or decided earlier in this batch)."""

    athlete_id: str | None
    path: str
    status: str
    parser_version: str | None


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
    #: the earlier record of this file at this place that this one replaces (a retry)
    replaces: Record | None = None


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
    """Create the athlete, or take this time zone if its source is stronger (or the same
    stated source, corrected).

    A change to an existing athlete's zone or profile sets `updated_at`, so the next nightly
    run recomputes that athlete's whole history.
    """
    if time_zone is None:
        time_zone, source = "UTC", "default_utc"
    row = one(con, "SELECT time_zone_source FROM athletes WHERE athlete_id = ?", [athlete_id])
    if row is None:
        run(
            con,
            "INSERT INTO athletes (athlete_id, time_zone, time_zone_source) VALUES (?, ?, ?)",
            [athlete_id, time_zone, source],
        )
    elif TZ_SOURCES.index(source) < TZ_SOURCES.index(row[0]) or (
        source == row[0] and source in TZ_STATED
    ):
        _update_athlete(con, athlete_id, {"time_zone": time_zone, "time_zone_source": source})
    values = {k: v for k, v in profile.items() if v is not None}
    _update_athlete(
        con, athlete_id, {c: values[c] for c in ("birth_year", "sex", "hr_max") if c in values}
    )
    if "source_priority" in profile:  # athletes.csv decides, also when it names none
        _update_athlete(con, athlete_id, {"source_priority": profile["source_priority"]})


def _update_athlete(con: duckdb.DuckDBPyConnection, athlete_id: str, values: dict) -> None:
    """Set `values` (column -> value); `updated_at` moves only when a value really changes."""
    for column, value in values.items():
        changed = run(
            con,
            f"UPDATE athletes SET {column} = ? WHERE athlete_id = ? "
            f"AND {column} IS DISTINCT FROM ? RETURNING athlete_id",
            [value, athlete_id, value],
        )
        if changed and column != "time_zone_source":
            run(con, "UPDATE athletes SET updated_at = now() WHERE athlete_id = ?", [athlete_id])


def set_time_zones(con: duckdb.DuckDBPyConnection, changes: pl.DataFrame) -> list[str]:
    """Make each listed athlete's travel rows those of `changes` (`athlete_id, valid_from,
    time_zone`); returns the athletes whose rows changed (their `updated_at` moves)."""
    changed = []
    for (athlete_id,), rows in changes.sort("valid_from").group_by(
        ["athlete_id"], maintain_order=True
    ):
        new = [(r["valid_from"], r["time_zone"]) for r in rows.iter_rows(named=True)]
        old = run(
            con,
            "SELECT valid_from, time_zone FROM athlete_time_zones WHERE athlete_id = ? "
            "ORDER BY valid_from",
            [athlete_id],
        )
        if [(ts.astimezone(UTC), tz) for ts, tz in old] == new:
            continue
        with transaction(con):
            run(con, "DELETE FROM athlete_time_zones WHERE athlete_id = ?", [athlete_id])
            run(
                con,
                "INSERT INTO athlete_time_zones SELECT ?, unnest(?), unnest(?), 'time_zones_file'",
                [athlete_id, [ts for ts, _ in new], [tz for _, tz in new]],
            )
            run(con, "UPDATE athletes SET updated_at = now() WHERE athlete_id = ?", [athlete_id])
        changed.append(athlete_id)
    return changed


@dataclass
class Incoming:
    """One file to record: parsed, or with the reason it could not be."""

    file_id: str
    path: str
    athlete_id: str | None
    size_bytes: int
    parsed: ParsedFile | None = None
    error: str | None = None


def _previous(con: duckdb.DuckDBPyConnection, file_ids: list[str]) -> dict[str, list[Record]]:
    """Every recorded file with one of these contents, oldest first."""
    seen: dict[str, list[Record]] = {}
    rows = run(
        con,
        "SELECT file_id, athlete_id, path, status, parser_version FROM files "
        "WHERE list_contains(?, file_id) ORDER BY ingested_at",
        [sorted(set(file_ids))],
    )
    for file_id, *record in rows:
        seen.setdefault(file_id, []).append(Record(*record))
    return seen


def same_place(recorded: str, path: str) -> bool:
    """The same file at the same place: the same canonical path, or a path recorded by an
    older herstel (as typed: absolute, or from another folder) that ends with it."""
    return recorded == path or recorded.endswith("/" + path)


def retryable(record: Record, athlete_id: str | None, retry: bool) -> bool:
    """Whether a recorded file is read again: quarantined by another parser version or for
    want of an athlete it now has, or (with `retry`) quarantined or partial at all."""
    if record.status == "quarantined":
        return retry or record.parser_version != PARSER_VERSION or record.athlete_id != athlete_id
    return retry and record.status == "partial" and record.athlete_id == athlete_id


def _decide(inc: Incoming, previous: dict[str, list[Record]], retry: bool = False) -> FileOutcome:
    """The state a file ends in, before anything is written.

    Identity is content *per athlete*: two athletes may hand in byte-identical files (a lab
    sheet, an export with no names inside) that are each their own data. The same content at
    the same place is the same file whoever it was recorded for (the table's key).
    """
    out = FileOutcome(inc.file_id, inc.path, inc.athlete_id, inc.size_bytes, "loaded")
    records = previous.setdefault(inc.file_id, [])
    here = next((r for r in records if same_place(r.path, inc.path)), None)
    read = inc.parsed is not None or inc.error is not None  # not skipped as already known
    if here is not None and read and retryable(here, inc.athlete_id, retry):
        out.replaces = here
        records.remove(here)
    elif here is not None:
        whose = "" if here.athlete_id == inc.athlete_id else " for another athlete"
        out.status, out.reason = "seen", f"already recorded as {here.status}{whose}"
        return out
    earlier = [r for r in records if r.athlete_id == inc.athlete_id]
    if earlier:
        first = next((r for r in earlier if r.status in ("loaded", "partial")), earlier[0])
        out.status, out.reason = "duplicate", f"same content as {first.path} ({first.status})"
    elif inc.parsed is None or inc.athlete_id is None:
        out.status = "quarantined"
        out.reason = inc.error or "file is not inside an athlete folder and no --athlete was given"
    else:
        out.format = inc.parsed.format
        out.dropped = dict(inc.parsed.dropped)
        out.rows = inc.parsed.rows()
        if inc.parsed.problems:
            out.status, out.reason = "partial", "; ".join(inc.parsed.problems)
    if out.reason is not None:  # the one place a reason is made safe to store and print
        out.reason = clean_text(out.reason)
    records.append(Record(inc.athlete_id, inc.path, out.status, PARSER_VERSION))
    return out


def _stacked(
    loaded: list[Incoming],
) -> tuple[dict[str, pl.DataFrame], list[dict[str, datetime | None]]]:
    """Each table's rows of all loaded files as one frame in the table's canonical columns,
    order and types, with the file's athlete and file id; and each file's time span.

    Frames of one table and schema are stacked with a file key, then conformed and tagged
    in one polars pass (not one per file); frames of other schemas (a long CSV with a
    per-row athlete_id beside a FIT without) are conformed apart, then stacked in file order.
    """
    groups: dict[tuple, list[tuple[int, pl.DataFrame]]] = {}
    for k, inc in enumerate(loaded):
        for table, frame in inc.parsed.frames.items():
            if frame.height:
                if "athlete_id" in frame.columns:  # a drop is a polars query even without it
                    frame = frame.drop("athlete_id")
                groups.setdefault((table, *frame.schema.items()), []).append((k, frame))
    athletes = pl.Series("athlete_id", [inc.athlete_id or "" for inc in loaded], pl.String)
    file_ids = pl.Series("file_id", [inc.file_id for inc in loaded], pl.String)
    spans: list[tuple[list[datetime], list[datetime]]] = [([], []) for _ in loaded]
    by_table: dict[str, list[pl.DataFrame]] = {}
    for (table, *_), members in groups.items():
        raw = stack_keyed([f for _, f in members], [k for k, _ in members], FILE_KEY)
        if table in RAW_TABLES:  # conform first: a frame that does not fit fails here
            keys = raw.get_column(FILE_KEY)
            by_table.setdefault(table, []).append(
                conform(raw, table).select(
                    athletes.gather(keys), pl.all(), file_ids.gather(keys), keys
                )
            )
        _spans(raw, spans)
    stacked = {}
    for table in RAW_TABLES:
        if parts := by_table.get(table):
            one_table = parts[0] if len(parts) == 1 else pl.concat(parts).sort(
                FILE_KEY, maintain_order=True)
            stacked[table] = one_table.drop(FILE_KEY)
    first_last = [
        {"first_ts": min(lows, default=None), "last_ts": max(highs, default=None)}
        for lows, highs in spans
    ]
    return stacked, first_last


def _spans(raw: pl.DataFrame, spans: list[tuple[list[datetime], list[datetime]]]) -> None:
    """Add each file's earliest and latest instant in `raw` (dates count from their midnight
    UTC to their last second) to `spans` (per file: lows, highs)."""
    cols = [c for c in ("ts", "start_ts", "end_ts", "night", "day") if c in raw.columns]
    if not cols:
        return
    aggs = [e for c in cols for e in (pl.col(c).min().alias(f"lo_{c}"),
                                       pl.col(c).max().alias(f"hi_{c}"))]
    for row in raw.group_by(FILE_KEY).agg(aggs).iter_rows(named=True):
        lows, highs = spans[row[FILE_KEY]]
        for c in cols:
            lo, hi = row[f"lo_{c}"], row[f"hi_{c}"]
            if lo is None:
                continue
            if not isinstance(lo, datetime):
                lo = datetime(lo.year, lo.month, lo.day, tzinfo=UTC)
                hi = datetime(hi.year, hi.month, hi.day, 23, 59, 59, tzinfo=UTC)
            lows.append(lo)
            highs.append(hi)


def _insert_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    cols = [c for c in CANONICAL[table] if c != "night"]
    names = ["athlete_id", *cols, "file_id"]
    select = [f"f.{c}" for c in names]
    joins = ""
    if table == "device_summaries":
        # a summary known only by its time stamp belongs to the local date of that time
        names.append("night")
        select.append(
            "coalesce(f.night, CAST(timezone(coalesce(a.time_zone, 'UTC'), f.ts) AS DATE))"
        )
        joins = " LEFT JOIN athletes a ON a.athlete_id = f.athlete_id"
    con.register("_frame", frame.to_arrow())
    try:
        run(
            con,
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(select)} "
            f"FROM _frame f{joins}",
        )
    finally:
        con.unregister("_frame")


def _files_frame(
    recorded: list[tuple[FileOutcome, ParsedFile | None]],
    spans: dict[int, dict[str, datetime | None]],
) -> pl.DataFrame:
    """The `files` rows; `spans`: first and last instant by position in `recorded`."""
    now = datetime.now(UTC)
    rows = []
    no_span = {"first_ts": None, "last_ts": None}
    for k, (out, parsed) in enumerate(recorded):
        rows.append(
            {
                "file_id": out.file_id,
                "path": out.path,
                "athlete_id": out.athlete_id,
                "format": out.format,
                "vendor": parsed.vendor if parsed and out.rows else None,
                "device": parsed.device if parsed and out.rows else None,
                "size_bytes": out.size_bytes,
                "status": out.status,
                "reason": out.reason,
                **{f"rows_{t}": out.rows.get(t, 0) for t in RAW_TABLES},
                "rows_dropped": sum(out.dropped.values()),
                "dropped_reasons": json.dumps(out.dropped, sort_keys=True) if out.dropped else None,
                "ingested_at": now,
                **(spans.get(k, no_span) if out.rows else no_span),
                "parser_version": PARSER_VERSION,
            }
        )
    return pl.DataFrame(rows, schema=FILES_SCHEMA)


def _write(con: duckdb.DuckDBPyConnection, recorded: list[tuple[FileOutcome, Incoming]]) -> None:
    """All recorded files and their rows in ONE transaction (group commit), each table's
    rows in one Arrow append."""
    positions = [
        k for k, (out, inc) in enumerate(recorded)
        if out.status in ("loaded", "partial") and inc.parsed is not None
    ]
    stacked, first_last = _stacked([recorded[k][1] for k in positions])
    spans = dict(zip(positions, first_last, strict=True))
    files = _files_frame([(out, inc.parsed) for out, inc in recorded], spans)
    with transaction(con):
        for out, _ in recorded:
            if out.replaces is not None:
                _unrecord(con, out.file_id, out.replaces)
        _new_athletes(con, stacked)
        for table, frame in stacked.items():
            _insert_table(con, table, frame)
        con.register("_files", files.to_arrow())
        try:
            run(con, "INSERT INTO files BY NAME SELECT * FROM _files")
        finally:
            con.unregister("_files")


def _unrecord(con: duckdb.DuckDBPyConnection, file_id: str, old: Record) -> None:
    """Remove an earlier record of a file read again, with any rows it loaded; an athlete who
    loses rows is recomputed in full by the next nightly run."""
    run(con, "DELETE FROM files WHERE file_id = ? AND path = ?", [file_id, old.path])
    if old.status in ("loaded", "partial") and old.athlete_id is not None:
        for table in RAW_TABLES:
            run(
                con,
                f"DELETE FROM {table} WHERE file_id = ? AND athlete_id = ?",
                [file_id, old.athlete_id],
            )
        run(con, "UPDATE athletes SET updated_at = now() WHERE athlete_id = ?", [old.athlete_id])


def _new_athletes(con: duckdb.DuckDBPyConnection, stacked: dict[str, pl.DataFrame]):
    """Athletes named inside a file (a long CSV's athlete_id column) get a row too."""
    ids = {a for f in stacked.values() for a in f["athlete_id"].unique()}
    known = {r[0] for r in run(con, "SELECT athlete_id FROM athletes")}
    for athlete_id in sorted(ids - known):
        upsert_athlete(con, athlete_id, None, "default_utc")


def load_files(
    con: duckdb.DuckDBPyConnection, batch: list[Incoming], retry: bool = False
) -> list[FileOutcome]:
    """Record a batch of files and load their rows in one transaction.

    Files are never split: each is wholly in or wholly out, and a crash loses no recorded file.
    If the batch cannot be stored, each file is tried in its own transaction, so one bad file
    cannot hold back the others; a file that cannot be stored (the database refuses its rows,
    its frames do not fit, memory runs out) ends `quarantined` with the reason. `retry`: read
    quarantined and partial files again (`herstel ingest --retry`).
    """
    previous = _previous(con, [inc.file_id for inc in batch])
    outcomes = [_decide(inc, previous, retry) for inc in batch]
    recorded = [(o, inc) for o, inc in zip(outcomes, batch, strict=True) if o.status != "seen"]
    if not recorded:
        return outcomes
    try:
        _write(con, recorded)
    except duckdb.IOException:
        raise  # disk or lock trouble: a run failure, not a property of the files
    except Exception as exc:  # noqa: BLE001 - one file's trouble never ends the batch
        if len(batch) > 1:
            return [o for inc in batch for o in load_files(con, [inc], retry)]
        out, inc = recorded[0]
        out.status, out.rows, out.dropped, out.format = "quarantined", {}, {}, None
        out.reason = clean_text(_store_failure(exc))
        _write(con, [(out, Incoming(inc.file_id, inc.path, inc.athlete_id, inc.size_bytes))])
    return outcomes


def _store_failure(exc: Exception) -> str:
    """Why a parsed file could not be stored: one short line, no row values."""
    if isinstance(exc, MemoryError):
        return "ran out of memory while storing its rows; re-run with fewer --workers"
    if isinstance(exc, duckdb.Error):
        return f"the database refused its rows ({type(exc).__name__}): {exc}"[:500]
    return f"its rows could not be stored ({type(exc).__name__}); please report"


def load_file(con: duckdb.DuckDBPyConnection, **incoming) -> FileOutcome:
    """Record one file and load its frames, atomically (see `load_files`)."""
    return load_files(con, [Incoming(**incoming)])[0]
