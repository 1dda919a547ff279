"""Gadgetbridge export (Settings -> Data management -> Export zip): the zip holds the app's
SQLite database `database/Gadgetbridge` and, for Garmin watches, the raw FIT files under
`files/`, which the FIT parser reads as any other FIT file (they are zip members).

This module reads the database (also a bare file named `Gadgetbridge`); the tables, their
time units and codes are in `parsers.vendors.gadgetbridge.tables`:

- per-minute HEART_RATE of the activity-sample tables (Mi Band, Amazfit/Zepp, Xiaomi,
  Garmin) and GENERIC_HEART_RATE_SAMPLE -> heart_rate (255, 0, negative: no reading);
- GARMIN_ / HUAMI_HEART_RATE_RESTING_SAMPLE -> device_summaries `resting_hr`;
- GARMIN_HRV_VALUE_SAMPLE, GENERIC_HRV_VALUE_SAMPLE -> hrv_samples; GARMIN_HRV_SUMMARY_SAMPLE
  LAST_NIGHT_AVERAGE -> device_summaries `hrv_rmssd_ms`;
- sleep: GARMIN_SLEEP_STAGE_SAMPLE within the sleep events of GARMIN_EVENT_SAMPLE,
  XIAOMI_SLEEP_STAGE_SAMPLE within XIAOMI_SLEEP_TIME_SAMPLE sessions, and Mi Band 2/3 sleep
  from RAW_KIND. RAW_KIND of any other device is counted as `raw_kind_unmapped`.

Every TIMESTAMP is read in the unit its table keeps (seconds or milliseconds, fixed by the
schema); a value that is no plausible time in that unit is dropped and counted
(`timestamp_not_in_table_unit`), with a problem naming the table, never reinterpreted.
A damaged or cut-short database keeps what could be read and says so (`partial`); one whose
schema cannot be read is quarantined. See docs/sources/gadgetbridge.md.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import PurePosixPath

import polars as pl

from parsers.base import ParsedFile, ParseError, conform
from parsers.vendors.common import VendorFormat, frames_of, merge_runs
from parsers.vendors.gadgetbridge import tables as gt
from parsers.vendors.gadgetbridge.sleep import SCHEMA as SLEEP_SCHEMA
from parsers.vendors.gadgetbridge.sleep import one_device_per_night, sessions_stages

VENDOR = "gadgetbridge"
FORMAT = "gadgetbridge_db"
SQLITE_MAGIC = b"SQLite format 3\x00"
#: The database's name in the export zip (`database/Gadgetbridge`) and on the phone.
DB_NAME = "Gadgetbridge"
#: A cut-short database is padded back to the size its header declares (what the intact
#: pages hold is then readable), unless that size is over this cap or this many times the
#: bytes at hand (a hostile header must not make herstel allocate gigabytes).
MAX_PAD_BYTES = 1 << 30
MAX_PAD_FACTOR = 64
#: How far into the file the sniffer looks for the table names (the schema sits in front).
SNIFF_SCHEMA_BYTES = 1 << 20
#: Rows fetched at a time: what was read before a damaged page is kept.
FETCH_ROWS = 50_000
#: `dropped` reasons.
BAD_UNIT = "timestamp_not_in_table_unit"
UNMAPPED_KIND = "raw_kind_unmapped"
START_UNKNOWN = "sleep_stage_start_unknown"
#: What a person can do about a damaged database.
EXPORT_AGAIN = "export it again in Gadgetbridge (Settings -> Data management -> Export zip)"


def sniff(data: bytes, name: str) -> bool:
    """A SQLite file whose schema names Gadgetbridge's own tables, or a SQLite file named
    `Gadgetbridge` (the export's own name: a cut-short copy may have lost its schema pages,
    and deserves the reason of this parser rather than "unknown binary content")."""
    if not data.startswith(SQLITE_MAGIC):
        return False
    head = data[:SNIFF_SCHEMA_BYTES]
    if sum(marker in head for marker in gt.MARKERS) >= 2:
        return True
    return PurePosixPath(name.replace("\\", "/")).name.lower() == DB_NAME.lower()


class _Db:
    """One open database with the problems and drop counts found while reading it."""

    def __init__(self, con: sqlite3.Connection, name: str) -> None:
        self.con = con
        self.name = name or "Gadgetbridge database"
        self.problems: list[str] = []
        self.dropped: dict[str, int] = {}
        self.tables = self._tables()
        self.used_devices: set[int] = set()
        self.cache: dict[tuple, pl.DataFrame] = {}
        self.damaged = False

    def _tables(self) -> set[str]:
        try:
            rows = self.con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise ParseError(f"{self.name}: the database's table list is unreadable ({exc}); "
                             f"{EXPORT_AGAIN}") from None
        return {row[0] for row in rows if isinstance(row[0], str)}

    def count(self, reason: str, n: int) -> None:
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + n

    def columns(self, table: str) -> set[str]:
        try:
            rows = self.con.execute("SELECT name FROM pragma_table_info(?)", (table,))
            return {row[0] for row in rows}
        except sqlite3.Error:
            return set()

    def rows(self, table: str, columns: list[str], schema: dict[str, pl.DataType]) -> pl.DataFrame:
        """`columns` of `table` (absent table: no rows). A damaged table keeps the rows read
        before the damage, and the file says what was lost."""
        if table not in self.tables:
            return pl.DataFrame(schema=schema)
        missing = [c for c in columns if c not in self.columns(table)]
        if missing:
            self.problems.append(f"{table}: no column {', '.join(missing)}; table not read "
                                 f"(a Gadgetbridge version herstel does not know?)")
            return pl.DataFrame(schema=schema)
        got: list[tuple] = []
        # identifiers cannot be bound: these are herstel's own table and column names (tables.py),
        # checked above against the file's schema; the file supplies no SQL text
        sql = f'SELECT {", ".join(columns)} FROM "{table}"'
        try:
            cursor = self.con.execute(sql)
            while batch := cursor.fetchmany(FETCH_ROWS):
                got.extend(batch)
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            self.damaged = True
            self.problems.append(f"{table}: damaged after {len(got)} rows ({exc}); the rest "
                                 f"of the table is lost")
        # SQLite keeps any type in any column: a value of the wrong type becomes null
        return pl.DataFrame(got, schema=schema, orient="row", strict=False)

    def timed(self, table: gt.Table, cols: dict[str, tuple[str, pl.DataType]]) -> pl.DataFrame:
        """TIMESTAMP (as `t_ms`), DEVICE_ID (as `device`) and `cols` ({alias: (COLUMN,
        dtype)}) of a sample table, read once; rows whose TIMESTAMP is no plausible time in
        the table's own unit are dropped and counted."""
        key = (table.name, tuple(sorted(cols)))
        if key in self.cache:
            return self.cache[key]
        schema = {"raw_t": pl.Int64, "device": pl.Int64, **{a: d for a, (_, d) in cols.items()}}
        raw = self.rows(table.name, ["TIMESTAMP", "DEVICE_ID", *(c for c, _ in cols.values())],
                        schema)
        factor = 1000 if table.unit == gt.SECONDS else 1
        low, high = (bound * 1000 // factor for bound in gt.PLAUSIBLE_S)
        ok = pl.col("raw_t").is_between(low, high, closed="left").fill_null(False)
        bad = raw.filter(~ok)
        if bad.height:
            self.count(BAD_UNIT, bad.height)
            self.problems.append(_unit_problem(table, bad.height, bad["raw_t"][0]))
        kept = raw.filter(ok)
        self.used_devices.update(kept["device"].drop_nulls().unique().to_list())
        self.cache[key] = kept.with_columns((pl.col("raw_t") * factor).alias("t_ms")).drop("raw_t")
        return self.cache[key]

    def device_types(self) -> dict[int, str]:
        """DEVICE `_id` -> its DeviceType name (`TYPE_NAME`, e.g. MIBAND3); older versions
        without TYPE_NAME give no names, so no device's RAW_KIND is mapped."""
        if "TYPE_NAME" not in self.columns("DEVICE"):
            return {}
        rows = self.rows("DEVICE", ["_id", "TYPE_NAME"], {"id": pl.Int64, "type": pl.String})
        return {i: t for i, t in rows.iter_rows() if i is not None and t}


def _unit_problem(table: gt.Table, n: int, example: int | None) -> str:
    """Why rows of `table` were skipped, saying when their value fits the other unit."""
    seconds = table.unit == gt.SECONDS
    unit, other = ("seconds", "milliseconds") if seconds else ("milliseconds", "seconds")
    hint = ""
    if example is not None:
        as_other_s = example // 1000 if seconds else example  # read in the other unit, in s
        if gt.PLAUSIBLE_S[0] <= as_other_s < gt.PLAUSIBLE_S[1]:
            hint = f" (it looks like {other})"
    rows = "row" if n == 1 else "rows"
    value = "empty" if example is None else str(example)
    return (f"{table.name}: {n} {rows} skipped: TIMESTAMP {value} is no time in {unit}, "
            f"the unit this table keeps{hint}")


def _utc(col: str = "t_ms") -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="ms").dt.replace_time_zone("UTC")


def _activity(db: _Db, table: gt.Table) -> pl.DataFrame:
    """An activity-sample table with HEART_RATE (`bpm`) and, where herstel may map it,
    RAW_KIND (`kind`): read once for heart rate and sleep."""
    cols = {"bpm": ("HEART_RATE", pl.Int64)}
    if table.name in gt.RAW_KIND_TABLES:
        cols["kind"] = ("RAW_KIND", pl.Int64)
    return db.timed(table, cols)


def _heart_rate(db: _Db) -> pl.DataFrame:
    parts = []
    for table in gt.HEART_RATE_TABLES:
        rows = _activity(db, table)
        # 255, 0 and negative values are the bands' "no reading" codes, not samples
        parts.append(rows.filter(pl.col("bpm").is_between(gt.HR_MIN_BPM, gt.HR_MAX_BPM))
                     .select(_utc().alias("ts"), "bpm"))
    frame = pl.concat(parts).with_columns(pl.lit("monitoring").alias("context"))
    return conform(frame.sort("ts"), "heart_rate")


def _values(db: _Db, tables: tuple[gt.Table, ...]) -> pl.DataFrame:
    """`t_ms, device, value` of tables holding one positive number per row."""
    parts = [db.timed(table, {"value": (table.value, pl.Float64)}) for table in tables]
    return pl.concat(parts).filter(pl.col("value") > 0)


def _summaries(db: _Db, tables: tuple[gt.Table, ...], metric: str) -> pl.DataFrame:
    """Daily device values; night = the local date of the row's instant (set by the loader)."""
    frame = _values(db, tables).select(
        pl.lit(None, pl.Date).alias("night"), _utc().alias("ts"), pl.lit(metric).alias("metric"),
        "value", pl.lit(VENDOR).alias("vendor"))
    return conform(frame.sort("ts"), "device_summaries")


def _hrv(db: _Db) -> pl.DataFrame:
    frame = _values(db, gt.HRV_VALUE_TABLES).select(_utc().alias("ts"),
                                                    pl.col("value").alias("rmssd_ms"))
    return conform(frame.unique(subset=["ts"], keep="first").sort("ts"), "hrv_samples")


def _raw_kind_sleep(db: _Db) -> pl.DataFrame:
    """Mi Band 2/3 minute samples whose RAW_KIND says sleep -> 1-minute stages (merged).
    RAW_KIND rows of every other device are counted (`raw_kind_unmapped`)."""
    types = db.device_types()
    mapped = sorted(i for i, t in types.items() if t.upper() in gt.RAW_KIND_DEVICES)
    rows = {name: _activity(db, gt.Table(name, gt.SECONDS, "RAW_KIND"))
            for name in gt.RAW_KIND_TABLES}
    for name, frame in rows.items():
        if name == gt.RAW_KIND_TABLE.name:
            frame = frame.filter(~pl.col("device").is_in(mapped))
        db.count(UNMAPPED_KIND, frame.height)
    code = pl.when(pl.col("kind") >= 0).then(pl.col("kind") % (gt.RAW_KIND_MASK + 1))
    same = pl.col("code").is_in(list(gt.RAW_KIND_CONTINUE))
    minutes = (rows[gt.RAW_KIND_TABLE.name].filter(pl.col("device").is_in(mapped))
               .sort("device", "t_ms").with_columns(code.alias("code"))
               # 0 and 10: as the previous minute (Gadgetbridge's own post-processing)
               .with_columns(pl.when(same).then(None).otherwise(pl.col("code"))
                             .forward_fill().over("device").alias("code")))
    stage = pl.col("code").replace_strict(gt.RAW_KIND_STAGES, default=None,
                                          return_dtype=pl.String)
    frame = minutes.with_columns(stage.alias("stage")).filter(pl.col("stage").is_not_null())
    return frame.select(_utc().alias("start_ts"),
                        (_utc() + pl.duration(seconds=gt.MINUTE_S)).alias("end_ts"), "stage",
                        "device").cast(SLEEP_SCHEMA)


def _sleep(db: _Db) -> pl.DataFrame:
    code = {"code": ("STAGE", pl.Int64)}
    levels = db.timed(gt.GARMIN_STAGE_TABLE, code)
    garmin = sessions_stages(levels, _garmin_sessions(db, levels), gt.GARMIN_STAGES,
                             upper_bound=True, count=db.count)
    xiaomi = sessions_stages(
        db.timed(gt.XIAOMI_STAGE_TABLE, code), _xiaomi_sessions(db), gt.XIAOMI_STAGES,
        upper_bound=False, count=db.count)
    every = pl.concat([garmin, xiaomi, _raw_kind_sleep(db)])
    return merge_runs(one_device_per_night(every, db.count).drop("device"))


def _garmin_sessions(db: _Db, levels: pl.DataFrame) -> pl.DataFrame:
    """(device, start_ms, end_ms) of each night: a sleep start event and the stop after it.
    A device with sleep levels but no sleep events at all gets its nights from the levels
    (runs with gaps under `gt.GARMIN_NIGHT_GAP_S`); the stretch before each night's first
    level has no known start and is counted (`sleep_stage_start_unknown`), not guessed."""
    events = db.timed(gt.GARMIN_EVENT_TABLE, {"event": ("EVENT", pl.Int64),
                                              "type": ("EVENT_TYPE", pl.Int64)})
    events = events.filter(pl.col("event") == gt.GARMIN_SLEEP_EVENT).sort("device", "t_ms")
    pairs = events.with_columns(pl.col("t_ms").shift(-1).over("device").alias("end_ms"),
                                pl.col("type").shift(-1).over("device").alias("next_type"))
    starts = pairs.filter((pl.col("type") == gt.EVENT_START)
                          & (pl.col("next_type") == gt.EVENT_STOP))
    sessions = starts.select("device", pl.col("t_ms").alias("start_ms"), "end_ms")
    orphans = levels.filter(~pl.col("device").is_in(events["device"].unique().to_list()))
    if orphans.is_empty():
        return sessions
    gap = (pl.col("t_ms").diff() > gt.GARMIN_NIGHT_GAP_S * 1000).fill_null(True)
    nights = (orphans.sort("device", "t_ms")
              .with_columns(gap.cum_sum().over("device").alias("night"))
              .group_by("device", "night").agg(pl.col("t_ms").min().alias("start_ms"),
                                               pl.col("t_ms").max().alias("end_ms")))
    db.count(START_UNKNOWN, nights.height)
    return pl.concat([sessions, nights.select("device", "start_ms", "end_ms")])


def _xiaomi_sessions(db: _Db) -> pl.DataFrame:
    rows = db.timed(gt.XIAOMI_SESSION_TABLE, {"end_ms": ("WAKEUP_TIME", pl.Int64)})
    return rows.select("device", pl.col("t_ms").alias("start_ms"), "end_ms").filter(
        pl.col("end_ms") > pl.col("start_ms"))


def _declared_bytes(data: bytes) -> int | None:
    """The database size its header declares (page size x page count), when valid."""
    if len(data) < 100 or data[24:28] != data[92:96]:  # size field stale (very old writers)
        return None
    page = int.from_bytes(data[16:18], "big")
    page = 65536 if page == 1 else page
    return page * int.from_bytes(data[28:32], "big")


def _restored(data: bytes, name: str, problems: list[str]) -> bytes:
    """A cut-short database padded with empty pages to its declared size, said in problems."""
    declared = _declared_bytes(data)
    if declared is None or declared <= len(data):
        return data
    if declared > MAX_PAD_BYTES or declared > MAX_PAD_FACTOR * len(data):
        return data
    problems.append(f"the database is cut short ({len(data):,} of {declared:,} bytes): "
                    f"loaded what its intact pages hold; {EXPORT_AGAIN}")
    return data + bytes(declared - len(data))


def _open(data: bytes, name: str, problems: list[str]) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    # a damaged file may hold text that is not UTF-8: replaced, never a crash
    con.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    try:
        con.deserialize(_restored(data, name, problems))
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        con.close()
        raise ParseError(f"{name or 'file'}: not a readable SQLite database ({exc}); "
                         f"{EXPORT_AGAIN}") from None
    return con


def _device_label(db: _Db) -> str | None:
    """`gadgetbridge MIBAND3+GARMIN_FORERUNNER_255`: the types (never the user's names)."""
    types = db.device_types()
    used = sorted({types[i] for i in db.used_devices if i in types})
    return f"{VENDOR} {'+'.join(used)}"[:120] if used else None


def parse(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """The records herstel uses, of every device the database holds; see the docstring."""
    opening: list[str] = []
    with closing(_open(data, name, opening)) as con:
        db = _Db(con, name)
        db.problems.extend(opening)
        if "DEVICE" not in db.tables:
            raise ParseError(f"{name or 'file'}: SQLite database without Gadgetbridge's DEVICE "
                             f"table; not a Gadgetbridge export")
        frames = frames_of(
            heart_rate=_heart_rate(db),
            device_summaries=pl.concat([
                _summaries(db, gt.RESTING_HR_TABLES, "resting_hr"),
                _summaries(db, (gt.HRV_SUMMARY_TABLE,), "hrv_rmssd_ms")]),
            hrv_samples=_hrv(db),
            sleep_stages=_sleep(db),
        )
        device = _device_label(db)
        if db.damaged and not opening:  # one line says what to do, before the tables' lines
            db.problems.insert(0, f"the database is damaged: loaded what could be read; "
                                  f"{EXPORT_AGAIN}")
    return ParsedFile(FORMAT, frames, vendor=VENDOR, device=device, problems=db.problems,
                      dropped=db.dropped)


PARSERS = [VendorFormat(FORMAT, sniff, parse)]
