"""Android Health Connect export (Settings -> Health Connect -> Data and access -> Export data):
`health_connect_export.zip` holding one SQLite database, `health_connect_export.db`.

Health Connect is the hub that Samsung Health, Garmin Connect, Fitbit, Oura, Withings and
other apps write into, so one export can carry several apps' records. Tables read:

- `heart_rate_record_table` (one row per series) + `heart_rate_record_series_table`
  (`parent_key, epoch_millis, beats_per_minute`) -> heart_rate
- `resting_heart_rate_record_table` (`time, zone_offset, beats_per_minute`) -> resting_hr
- `heart_rate_variability_rmssd_record_table` (`time, zone_offset,
  heart_rate_variability_millis`) -> hrv_samples (RMSSD; Fitbit writes one every 5 minutes
  of sleep)
- `sleep_session_record_table` (`row_id, app_info_id, start_time, end_time,
  start_zone_offset, end_zone_offset`) + `sleep_stages_table` (`parent_key,
  stage_start_time, stage_end_time, stage_type`) -> sleep_stages
- `exercise_session_record_table` (`start_time, end_time, exercise_type`) -> activities
- `application_info_table` (`row_id, package_name`) names the app that wrote each record.

Times are epoch milliseconds (UTC instants); zone offsets are seconds east of UTC and only
decide local dates (`resting_hr` night) and the file's offset. Steps are not read: herstel
does not use them yet. See docs/sources/health_connect.md.

Several apps often write the same night (a watch app and a ring app, or a phone's own sleep
detection). Sleep sessions of different apps that overlap are reconciled here, so time asleep
is never counted twice: the session with the most detailed staging wins, then the longest;
the others are counted in `dropped` under `sleep_session_overlaps_other_app`. Sessions that
overlap nothing (naps) are all kept; the nightly stage never takes a nap for the night.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import polars as pl

from parsers.base import ParsedFile, ParseError, conform
from parsers.vendors.common import VendorFormat, common_offset, frames_of, sport_columns

VENDOR = "health_connect"
FORMAT = "health_connect_db"
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Table names that only a Health Connect database holds (its schema sits in the first pages).
MARKERS = (b"application_info_table", b"heart_rate_record_table", b"sleep_session_record_table")
#: How far into the file the sniffer looks for those names (the schema of ~70 tables).
SNIFF_SCHEMA_BYTES = 1 << 20

#: `SleepSessionRecord.STAGE_TYPE_*` -> canonical stage. 2 (`SLEEPING`) is unstaged sleep;
#: out of bed and awake in bed are awake; 0 (unknown) is time the app could not stage.
STAGES = {0: "unmeasurable", 1: "awake", 2: "asleep", 3: "awake", 4: "light", 5: "deep",
          6: "rem", 7: "awake"}
#: Staging detail of a session, for choosing between apps: real stages > unstaged > none.
DETAIL = {"light": 2, "deep": 2, "rem": 2, "asleep": 1}

#: `ExerciseSessionRecord.EXERCISE_TYPE_*` codes -> the activity names `sport_columns` maps
#: to FIT sports. Unlisted codes are kept as `exercise_type_<n>`.
EXERCISE_TYPES = {
    0: "other_workout", 8: "cycling", 9: "indoor_cycling", 48: "pilates", 53: "rowing",
    54: "rowing", 56: "running", 57: "treadmill_running", 70: "strength_training",
    73: "open_water_swimming", 74: "pool_swimming", 79: "walking", 81: "weightlifting",
    83: "yoga",
}


def sniff(data: bytes, name: str) -> bool:
    """A SQLite file whose schema names Health Connect's record tables."""
    if not data.startswith(SQLITE_MAGIC):
        return False
    head = data[:SNIFF_SCHEMA_BYTES]
    return sum(marker in head for marker in MARKERS) >= 2


def _open(data: bytes, name: str) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    # a damaged file may hold text that is not UTF-8: replaced, never a crash
    con.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    try:
        con.deserialize(data)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.Error, UnicodeDecodeError) as exc:  # SQLite's own message may not be UTF-8
        con.close()
        raise ParseError(f"{name or 'file'}: not a readable SQLite database ({exc})") from None
    return con


def _tables(con: sqlite3.Connection, name: str) -> set[str]:
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise ParseError(f"{name or 'file'}: SQLite schema unreadable ({exc})") from None
    return {row[0] for row in rows if isinstance(row[0], str)}


def _query(con: sqlite3.Connection, sql: str, schema: dict[str, pl.DataType],
           problems: list[str], what: str) -> pl.DataFrame:
    """Rows of `sql` as a frame; a damaged table is a problem of the file, not the end of it."""
    try:
        rows = con.execute(sql).fetchall()
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        problems.append(f"{what}: table could not be read ({exc})")
        rows = []
    # SQLite keeps any type in any column: a value of the wrong type becomes null (and the
    # row is then dropped and counted by the checks downstream)
    return pl.DataFrame(rows, schema=schema, orient="row", strict=False)


def _ms(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="ms").dt.replace_time_zone("UTC")


def _heart_rate(con: sqlite3.Connection, tables: set[str], problems: list[str]) -> pl.DataFrame:
    # heart_rate_record_series_table: parent_key=12, epoch_millis=1717190400000, bpm=61
    if "heart_rate_record_series_table" not in tables:
        return conform(pl.DataFrame(), "heart_rate")
    raw = _query(con, "SELECT epoch_millis, beats_per_minute FROM heart_rate_record_series_table",
                 {"epoch_millis": pl.Int64, "bpm": pl.Int64}, problems, "heart rate")
    frame = raw.select(_ms("epoch_millis").alias("ts"), "bpm",
                       pl.lit("monitoring").alias("context"))
    # two apps may write the same instant: one sample per instant
    return conform(frame.unique(subset=["ts"], keep="first", maintain_order=True).sort("ts"),
                   "heart_rate")


def _instants(con: sqlite3.Connection, tables: set[str], table: str, value: str,
              problems: list[str]) -> pl.DataFrame:
    """`time, zone_offset, <value>` rows of an instant-record table (empty when absent)."""
    schema = {"time": pl.Int64, "zone_offset": pl.Int64, "value": pl.Float64}
    if table not in tables:
        return pl.DataFrame(schema=schema)
    return _query(con, f"SELECT time, zone_offset, {value} FROM {table}", schema, problems, table)


def _resting_hr(rows: pl.DataFrame) -> pl.DataFrame:
    # resting_heart_rate_record_table: time=1717221600000, zone_offset=7200, bpm=48
    local = _ms("time") + pl.duration(seconds=pl.col("zone_offset").fill_null(0))
    frame = rows.select(
        local.dt.date().alias("night"), _ms("time").alias("ts"),
        pl.lit("resting_hr").alias("metric"), pl.col("value"), pl.lit(VENDOR).alias("vendor"),
    ).unique(subset=["night"], keep="first", maintain_order=True)
    return conform(frame, "device_summaries")


def _hrv(rows: pl.DataFrame) -> pl.DataFrame:
    # heart_rate_variability_rmssd_record_table: time=1717200000000, zone_offset=7200, 41.5
    frame = rows.select(_ms("time").alias("ts"), pl.col("value").alias("rmssd_ms"))
    return conform(frame.unique(subset=["ts"], keep="first").sort("ts"), "hrv_samples")


def _sleep(con: sqlite3.Connection, tables: set[str], problems: list[str],
           dropped: dict[str, int]) -> pl.DataFrame:
    # sleep_session_record_table: row_id=3, app_info_id=2, start_time=..., end_time=...
    # sleep_stages_table: parent_key=3, stage_start_time=..., stage_end_time=..., stage_type=4
    if "sleep_session_record_table" not in tables:
        return conform(pl.DataFrame(), "sleep_stages")
    sessions = _query(
        con, "SELECT row_id, app_info_id, start_time, end_time FROM sleep_session_record_table",
        {"session": pl.Int64, "app": pl.Int64, "start_ms": pl.Int64, "end_ms": pl.Int64},
        problems, "sleep sessions").filter(pl.col("end_ms") > pl.col("start_ms"))
    stages = pl.DataFrame(schema={"session": pl.Int64, "start_ms": pl.Int64,
                                  "end_ms": pl.Int64, "code": pl.Int64})
    if "sleep_stages_table" in tables:
        stages = _query(con, "SELECT parent_key, stage_start_time, stage_end_time, stage_type "
                        "FROM sleep_stages_table", stages.schema, problems, "sleep stages")
    stages = stages.with_columns(
        pl.col("code").replace_strict(STAGES, default="unmeasurable", return_dtype=pl.String)
        .alias("stage"))
    unstaged = sessions.join(stages, on="session", how="anti").select(
        "session", "start_ms", "end_ms", pl.lit("asleep").alias("stage"))
    intervals = pl.concat([stages.select("session", "start_ms", "end_ms", "stage"), unstaged])
    kept = _preferred_sessions(sessions, intervals)
    superseded = sessions.height - kept.height
    if superseded:
        dropped["sleep_session_overlaps_other_app"] = superseded
    chosen = intervals.join(kept.select("session"), on="session", how="semi")
    frame = chosen.select(_ms("start_ms").alias("start_ts"), _ms("end_ms").alias("end_ts"),
                          "stage").filter(pl.col("end_ts") > pl.col("start_ts"))
    return conform(frame.sort("start_ts"), "sleep_stages")


def _preferred_sessions(sessions: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """One session per cluster of overlapping sessions: most detailed staging, then longest
    asleep time, then earliest written (lowest row id)."""
    score = intervals.group_by("session").agg(
        pl.col("stage").replace_strict(DETAIL, default=0, return_dtype=pl.Int8).max()
        .alias("detail"),
        (pl.col("end_ms") - pl.col("start_ms"))
        .filter(pl.col("stage").is_in(list(DETAIL))).sum().alias("asleep_ms"),
    )
    ordered = sessions.sort("start_ms", "end_ms").with_columns(
        # a new cluster starts where a session begins after every earlier one has ended
        (pl.col("start_ms") >= pl.col("end_ms").cum_max().shift(1)).fill_null(True)
        .cum_sum().alias("cluster"))
    ranked = ordered.join(score, on="session", how="left").sort(
        ["cluster", "detail", "asleep_ms", "session"], descending=[False, True, True, False],
        nulls_last=True)
    return ranked.unique(subset=["cluster"], keep="first", maintain_order=True)


def _activities(con: sqlite3.Connection, tables: set[str], problems: list[str]) -> pl.DataFrame:
    # exercise_session_record_table: start_time=..., end_time=..., exercise_type=56, title='Run'
    if "exercise_session_record_table" not in tables:
        return conform(pl.DataFrame(), "activities")
    raw = _query(con, "SELECT start_time, end_time, exercise_type "
                 "FROM exercise_session_record_table",
                 {"start_ms": pl.Int64, "end_ms": pl.Int64, "code": pl.Int64}, problems,
                 "exercise sessions").filter(pl.col("end_ms") > pl.col("start_ms"))
    label = pl.col("code").replace_strict(
        EXERCISE_TYPES, default=pl.format("exercise_type_{}", pl.col("code")),
        return_dtype=pl.String)
    frame = raw.select(
        _ms("start_ms").alias("start_ts"),
        ((pl.col("end_ms") - pl.col("start_ms")) / 1000).alias("duration_s"),
        *sport_columns(label),
    ).unique(subset=["start_ts"], keep="first", maintain_order=True)
    return conform(frame.sort("start_ts"), "activities")


def _offset(con: sqlite3.Connection, tables: set[str], problems: list[str]) -> int | None:
    """The most common zone offset of the sleep sessions (seconds east), for the athlete's zone."""
    if "sleep_session_record_table" not in tables:
        return None
    rows = _query(con, "SELECT start_zone_offset FROM sleep_session_record_table",
                  {"offset_s": pl.Int64}, problems, "sleep session offsets")
    return common_offset(rows["offset_s"])


def parse(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """The records herstel uses, from every app that wrote them; see the module docstring."""
    problems: list[str] = []
    dropped: dict[str, int] = {}
    with closing(_open(data, name)) as con:
        tables = _tables(con, name)
        if "application_info_table" not in tables:
            raise ParseError(f"{name or 'file'}: SQLite database without Health Connect's "
                             f"application_info_table; not a Health Connect export")
        frames = frames_of(
            heart_rate=_heart_rate(con, tables, problems),
            device_summaries=_resting_hr(_instants(
                con, tables, "resting_heart_rate_record_table", "beats_per_minute", problems)),
            hrv_samples=_hrv(_instants(con, tables, "heart_rate_variability_rmssd_record_table",
                                       "heart_rate_variability_millis", problems)),
            sleep_stages=_sleep(con, tables, problems, dropped),
            activities=_activities(con, tables, problems),
        )
        offset = _offset(con, tables, problems)
    return ParsedFile(FORMAT, frames, vendor=VENDOR, utc_offset_s=offset, problems=problems,
                      dropped=dropped)


PARSERS = [VendorFormat(FORMAT, sniff, parse)]
