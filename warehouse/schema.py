"""The warehouse schema as versioned migrations, each table and column documented in place.

The table and column names are the analyst contract (docs/schema.md, docs/analyst.md): change
them only with a new migration and a changelog note. Every column carries a `COMMENT ON`, so
`duckdb_columns()` documents the schema and `docs/schema.md` is generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.night_sources import migration_night_sources
from warehouse.sql import run
from warehouse.views import FIRST_VIEWS, V_DATA_SUFFICIENCY, migration_units_and_comments


@dataclass(frozen=True)
class Table:
    name: str
    comment: str
    #: (column, SQL type, comment)
    columns: tuple[tuple[str, str, str], ...]
    primary_key: tuple[str, ...] = ()


_ATHLETE = ("athlete_id", "VARCHAR NOT NULL", "Athlete id (folder name, --athlete, or pseudonym)")
_FILE = ("file_id", "VARCHAR NOT NULL", "sha256 of the source file's content; joins files.file_id")
_TS = ("ts", "TIMESTAMPTZ NOT NULL", "Time of the sample, UTC")

TABLES: tuple[Table, ...] = (
    Table(
        "athletes",
        "One row per athlete: the time zone that defines local days and nights, optional profile.",
        (
            ("athlete_id", "VARCHAR NOT NULL", "Athlete id"),
            ("time_zone", "VARCHAR NOT NULL", "IANA time zone of local days and nights"),
            (
                "time_zone_source",
                "VARCHAR NOT NULL",
                "Where time_zone came from: option, athletes_file, fit_offset or default_utc",
            ),
            ("birth_year", "INTEGER", "Year of birth, optional"),
            ("sex", "VARCHAR", "Sex as given (f / m), optional; used for TRIMP"),
            ("hr_max", "DOUBLE", "Maximum heart rate in bpm, optional; used for TRIMP"),
        ),
        ("athlete_id",),
    ),
    Table(
        "files",
        "One row per input file ever seen (content + path), with the state it ended in and why.",
        (
            ("file_id", "VARCHAR NOT NULL", "sha256 of the file's content"),
            ("path", "VARCHAR NOT NULL", "Path as given to ingest (inside an archive: zip!member)"),
            ("athlete_id", "VARCHAR", "Athlete the file belongs to; null if none could be told"),
            ("format", "VARCHAR", "Detected format: fit, gpx, csv_long, wellness_csv, ..."),
            ("vendor", "VARCHAR", "Device maker or app, when the file says"),
            ("device", "VARCHAR", "Device model, when the file says"),
            ("size_bytes", "BIGINT NOT NULL", "File size in bytes"),
            (
                "status",
                "VARCHAR NOT NULL",
                "loaded | partial (damaged: data before the damage kept) | duplicate (same "
                "content already loaded from another path) | quarantined (unreadable)",
            ),
            ("reason", "VARCHAR", "Why the file is partial, duplicate or quarantined"),
            ("rows_heart_rate", "INTEGER", "Rows loaded into heart_rate"),
            ("rows_rr_intervals", "INTEGER", "Rows loaded into rr_intervals"),
            ("rows_hrv_samples", "INTEGER", "Rows loaded into hrv_samples"),
            ("rows_sleep_stages", "INTEGER", "Rows loaded into sleep_stages"),
            ("rows_activities", "INTEGER", "Rows loaded into activities"),
            ("rows_device_summaries", "INTEGER", "Rows loaded into device_summaries"),
            ("rows_wellness", "INTEGER", "Rows loaded into wellness"),
            ("rows_lab_results", "INTEGER", "Rows loaded into lab_results"),
            ("rows_dropped", "INTEGER", "Impossible values dropped (see dropped_reasons)"),
            ("dropped_reasons", "VARCHAR", "JSON object: reason -> count of dropped values"),
            ("ingested_at", "TIMESTAMPTZ NOT NULL", "When the file was recorded, UTC"),
        ),
        ("file_id", "path"),
    ),
    Table(
        "heart_rate",
        "One row per heart-rate sample from a watch, chest strap or app.",
        (
            _ATHLETE,
            _TS,
            ("bpm", "SMALLINT NOT NULL", "Heart rate in beats per minute"),
            ("context", "VARCHAR NOT NULL", "monitoring (all-day), activity, or sleep"),
            _FILE,
        ),
    ),
    Table(
        "rr_intervals",
        "One row per beat-to-beat (RR) interval.",
        (
            _ATHLETE,
            ("ts", "TIMESTAMPTZ NOT NULL", "Time of the beat that ends the interval, UTC"),
            ("rr_ms", "DOUBLE NOT NULL", "Interval between two beats in milliseconds"),
            _FILE,
        ),
    ),
    Table(
        "hrv_samples",
        "One row per device-computed short-window HRV value (e.g. Garmin 5-minute RMSSD).",
        (
            _ATHLETE,
            _TS,
            ("rmssd_ms", "DOUBLE NOT NULL", "RMSSD of the window in milliseconds"),
            _FILE,
        ),
    ),
    Table(
        "sleep_stages",
        "One row per sleep-stage interval as the device scored it.",
        (
            _ATHLETE,
            ("start_ts", "TIMESTAMPTZ NOT NULL", "Start of the interval, UTC"),
            ("end_ts", "TIMESTAMPTZ NOT NULL", "End of the interval, UTC"),
            ("stage", "VARCHAR NOT NULL", "awake | light | deep | rem | asleep | unmeasurable"),
            _FILE,
        ),
    ),
    Table(
        "activities",
        "One row per training session.",
        (
            _ATHLETE,
            ("start_ts", "TIMESTAMPTZ NOT NULL", "Start of the session, UTC"),
            ("duration_s", "DOUBLE", "Elapsed duration in seconds"),
            ("sport", "VARCHAR", "Sport, FIT names (running, cycling, training, ...)"),
            ("sub_sport", "VARCHAR", "Sub-sport, FIT names (strength_training, ...)"),
            ("avg_hr", "DOUBLE", "Average heart rate in bpm"),
            ("max_hr", "DOUBLE", "Maximum heart rate in bpm"),
            ("distance_m", "DOUBLE", "Distance in metres"),
            ("trimp", "DOUBLE", "Training impulse (set by the nightly run; see docs/metrics.md)"),
            ("trimp_method", "VARCHAR", "How trimp was computed (docs/metrics.md)"),
            _FILE,
        ),
    ),
    Table(
        "device_summaries",
        "One row per vendor-computed nightly value (the device's own resting HR, HRV, sleep).",
        (
            _ATHLETE,
            ("night", "DATE NOT NULL", "Local wake-up date the value belongs to"),
            ("ts", "TIMESTAMPTZ", "Time stamp of the value in the file, UTC, when it has one"),
            (
                "metric",
                "VARCHAR NOT NULL",
                "resting_hr (bpm), hrv_rmssd_ms, hrv_sdnn_ms, sleep_hours, ...",
            ),
            ("value", "DOUBLE NOT NULL", "The value, in the unit the metric name gives"),
            ("vendor", "VARCHAR", "Who computed it: garmin, whoop, oura, apple, ..."),
            _FILE,
        ),
    ),
    Table(
        "wellness",
        "One row per self-reported day (questionnaire scores as given, typically 1-10).",
        (
            _ATHLETE,
            ("day", "DATE NOT NULL", "Local date of the answers"),
            ("fatigue", "DOUBLE", "Fatigue score (higher = more tired)"),
            ("mood", "DOUBLE", "Mood score (higher = better)"),
            ("motivation", "DOUBLE", "Motivation score (higher = more motivated)"),
            ("stress", "DOUBLE", "Stress score (higher = more stressed)"),
            ("soreness", "DOUBLE", "Muscle soreness score (higher = more sore)"),
            ("sleep_quality", "DOUBLE", "Perceived sleep quality (higher = better)"),
            _FILE,
        ),
    ),
    Table(
        "lab_results",
        "One row per blood value from a lab-results file.",
        (
            _ATHLETE,
            ("day", "DATE NOT NULL", "Date the blood was drawn"),
            ("marker", "VARCHAR NOT NULL", "ferritin, cortisol, ..."),
            ("value", "DOUBLE NOT NULL", "Value in the unit of column unit"),
            ("unit", "VARCHAR NOT NULL", "Unit of value (ferritin ug/L, cortisol nmol/L)"),
            _FILE,
        ),
    ),
    Table(
        "nightly_metrics",
        "One row per athlete-night: the recovery markers defined in docs/metrics.md, each with its "
        "method.",
        (
            _ATHLETE,
            ("night", "DATE NOT NULL", "Local wake-up date of the main sleep period"),
            ("sleep_start", "TIMESTAMPTZ", "Start of the main sleep period, UTC"),
            ("sleep_end", "TIMESTAMPTZ", "End of the main sleep period, UTC"),
            ("sleep_hours", "DOUBLE", "Time asleep (light+deep+REM or asleep) in hours"),
            ("sleep_method", "VARCHAR", "stages (own computation) or device (vendor value)"),
            ("sleep_coverage", "DOUBLE", "Share of the period with a scored stage, 0-1"),
            ("resting_hr", "DOUBLE", "Lowest 30-minute rolling mean HR in sleep, bpm"),
            ("resting_hr_method", "VARCHAR", "sleep_hr_30min (own) or device (vendor value)"),
            ("resting_hr_coverage", "DOUBLE", "Share of the sleep period's minutes with HR, 0-1"),
            ("hrv_ms", "DOUBLE", "RMSSD over the main sleep period, ms"),
            ("hrv_method", "VARCHAR", "rr_rmssd_5min, device_5min or device_nightly"),
            ("hrv_coverage", "DOUBLE", "Share of the sleep period covered by HRV data, 0-1"),
            ("resting_hr_baseline", "DOUBLE", "Mean resting_hr of the previous 28 nights (>=7)"),
            ("hrv_baseline_ms", "DOUBLE", "Mean hrv_ms of the previous 28 nights (>=7)"),
            ("sleep_hours_baseline", "DOUBLE", "Mean sleep_hours of the previous 28 nights (>=7)"),
            ("sleep_file_id", "VARCHAR", "File the sleep value came from"),
            ("resting_hr_file_id", "VARCHAR", "File the resting HR value came from"),
            ("hrv_file_id", "VARCHAR", "File the HRV value came from"),
            ("computed_at", "TIMESTAMPTZ NOT NULL", "When the nightly run computed this row"),
        ),
        ("athlete_id", "night"),
    ),
    Table(
        "daily_metrics",
        "One row per athlete-day: training load and activity of the local day.",
        (
            _ATHLETE,
            ("day", "DATE NOT NULL", "Local date"),
            ("is_rest_day", "BOOLEAN NOT NULL", "True when no training session started that day"),
            ("load_trimp", "DOUBLE", "Sum of the day's session TRIMPs"),
            ("acute_load", "DOUBLE", "Mean daily load of the last 7 days"),
            ("chronic_load", "DOUBLE", "Mean daily load of the last 28 days"),
            ("acwr", "DOUBLE", "Acute:chronic workload ratio, acute_load / chronic_load"),
            ("strength_load", "DOUBLE", "TRIMP of strength sessions that day"),
            ("sedentary_hours", "DOUBLE", "Hours sitting outside sleep and training"),
            ("steps", "BIGINT", "Steps that day"),
            ("computed_at", "TIMESTAMPTZ NOT NULL", "When the nightly run computed this row"),
        ),
        ("athlete_id", "day"),
    ),
    Table(
        "daily_flags",
        "One row per warning flag raised for an athlete-day by a rule.",
        (
            _ATHLETE,
            ("day", "DATE NOT NULL", "Local date the flag is for (nightly rules: wake-up date)"),
            ("rule_id", "VARCHAR NOT NULL", "Rule id from the catalogue (herstel rules)"),
            ("severity", "VARCHAR NOT NULL", "info | watch | warning"),
            ("value", "DOUBLE", "The measured value that raised the flag"),
            ("threshold", "DOUBLE", "The threshold it crossed, in the value's unit"),
            ("baseline", "DOUBLE", "The personal baseline compared against, if any"),
            ("message", "VARCHAR NOT NULL", "Plain-language explanation, English"),
            ("message_nl", "VARCHAR NOT NULL", "Plain-language explanation, Dutch"),
            ("ruleset_version", "VARCHAR NOT NULL", "Version of the rule file that raised it"),
            ("computed_at", "TIMESTAMPTZ NOT NULL", "When the nightly run raised it"),
        ),
        ("athlete_id", "day", "rule_id"),
    ),
)

#: Raw tables that parsers fill, in load order; each has athlete_id and file_id.
RAW_TABLES = (
    "heart_rate",
    "rr_intervals",
    "hrv_samples",
    "sleep_stages",
    "activities",
    "device_summaries",
    "wellness",
    "lab_results",
)

#: Tables added by later migrations (TABLES is what migration 1 created).
ATHLETE_TIME_ZONES = Table(
    "athlete_time_zones",
    "Time zones an athlete travelled to: each applies from valid_from until the next row; "
    "before the first row, athletes.time_zone applies.",
    (
        _ATHLETE,
        ("valid_from", "TIMESTAMPTZ NOT NULL", "Instant (UTC) from which time_zone applies"),
        ("time_zone", "VARCHAR NOT NULL", "IANA time zone of local days and nights from then"),
        ("source", "VARCHAR NOT NULL", "Where the row came from: time_zones_file"),
    ),
    ("athlete_id", "valid_from"),
)
ATHLETE_PROBLEMS = Table(
    "athlete_problems",
    "Athletes whose configuration herstel refused: the nightly run skips them, and computes "
    "their whole history on the first run after the problem is gone (docs/study-import.md).",
    (
        _ATHLETE,
        (
            "source",
            "VARCHAR NOT NULL",
            "Where the problem is: athletes_file, time_zones_file (refused at ingest, not "
            "stored), warehouse (a stored value the nightly run cannot use), or nightly (the "
            "computation failed on this athlete; not skipped: computed in full next run)",
        ),
        ("problem", "VARCHAR NOT NULL", "What is wrong and what to do, in one line"),
        ("noted_at", "TIMESTAMPTZ NOT NULL", "When the problem was last seen, UTC"),
    ),
    ("athlete_id", "source"),
)
#: Migration 6: episodes of persisting flags, and which rule could be evaluated.
FLAG_EPISODES = Table(
    "flag_episodes",
    "One row per episode: daily_flags of one athlete and rule that persist (at most the rule "
    "file's quiet_days without the flag between two flagged days), with one alert when it "
    "started and one each time it worsened (docs/rules.md, Episodes).",
    (
        _ATHLETE,
        ("rule_id", "VARCHAR NOT NULL", "Rule of the flags; joins daily_flags.rule_id"),
        ("start_day", "DATE NOT NULL", "First flagged day (local date; the night for night rules)"),
        ("last_day", "DATE NOT NULL", "Latest flagged day of the episode"),
        (
            "days",
            "INTEGER NOT NULL",
            "Flagged days in the episode (quiet days between not counted)",
        ),
        ("peak_severity", "VARCHAR NOT NULL", "Most severe level reached: info, watch or warning"),
        (
            "peak_value",
            "DOUBLE",
            "daily_flags.value on the peak day: highest severity, then furthest past the threshold",
        ),
        (
            "is_open",
            "BOOLEAN NOT NULL",
            "True while the athlete's last day with data is at most quiet_days after last_day "
            "(the next day could continue it); stays true when the data stop",
        ),
        (
            "last_alert_day",
            "DATE NOT NULL",
            "The day the episode started or last worsened: the day an alert is due",
        ),
        (
            "last_alert_reason",
            "VARCHAR NOT NULL",
            "started | worsened (severity rose, or the value passed a further step of the rule "
            "file's worsen_steps)",
        ),
        ("ruleset_version", "VARCHAR NOT NULL", "Rule-file version of the episode's latest flag"),
        ("computed_at", "TIMESTAMPTZ NOT NULL", "When the nightly run derived the episode"),
    ),
    ("athlete_id", "rule_id", "start_day"),
)
#: Why a rule could not be evaluated (rules/evaluability.py).
EVALUABILITY_REASONS = (
    "no_night_recorded",
    "baseline_too_short",
    "coverage_too_low",
    "not_measured_by_source",
)
RULE_EVALUABILITY = Table(
    "rule_evaluability",
    "One row per athlete, calendar day (first to last day with data) and enabled rule: could "
    "the rule be evaluated, and if not why. A day without data is not evaluable, never OK.",
    (
        _ATHLETE,
        ("day", "DATE NOT NULL", "Local date (the night, for night rules)"),
        ("rule_id", "VARCHAR NOT NULL", "Rule id of the catalogue"),
        ("evaluable", "BOOLEAN NOT NULL", "True when the rule had what it needs on that day"),
        (
            "reason",
            "evaluability_reason",
            "Null when evaluable; else no_night_recorded (nothing recorded for it that night or "
            "day), baseline_too_short (too few earlier nights for the personal baseline), "
            "coverage_too_low (recorded, but too little for a value, or too few recent nights), "
            "not_measured_by_source (the source gave no such value on this or the 60 nights "
            "before; lab rules: no blood result that day)",
        ),
    ),
)
ALERT_DELIVERIES = Table(
    "alert_deliveries",
    "One row per alert item per receiver per attempt (docs/nightly-run.md): what was sent "
    "where, and what failed and is retried by the next nightly run.",
    (
        ("run_at", "TIMESTAMPTZ NOT NULL", "Start of the nightly run that sent it, UTC"),
        ("attempted_at", "TIMESTAMPTZ NOT NULL", "When the receiver was tried, UTC"),
        ("receiver", "VARCHAR NOT NULL", "The receiver's URL with secrets masked (apprise)"),
        ("receiver_key", "VARCHAR NOT NULL", "sha256 prefix of the full URL, to tell them apart"),
        ("kind", "VARCHAR NOT NULL", "episode (a warning started or worsened) or no_data"),
        _ATHLETE,
        ("rule_id", "VARCHAR", "The episode's rule; null for no_data"),
        ("start_day", "DATE", "First day of the episode; null for no_data"),
        (
            "alert_day",
            "DATE",
            "The episode's last_alert_day, or for no_data the athlete's last local day with data",
        ),
        ("reason", "VARCHAR NOT NULL", "started | worsened | no_data"),
        ("status", "VARCHAR NOT NULL", "sent | failed (retried by the next run)"),
        ("error", "VARCHAR", "Why the receiver refused or could not be reached (failed only)"),
    ),
)

LATER_TABLES = (
    ATHLETE_TIME_ZONES, ATHLETE_PROBLEMS, FLAG_EPISODES, RULE_EVALUABILITY, ALERT_DELIVERIES
)

TABLE_BY_NAME = {t.name: t for t in (*TABLES, *LATER_TABLES)}


def _create_table_sql(table: Table) -> str:
    cols = [f"{name} {sqltype}" for name, sqltype, _ in table.columns]
    if table.primary_key:
        cols.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    return f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(cols) + "\n)"


def _comment_sql(table: Table) -> list[tuple[str, str]]:
    """COMMENT ON statements; the text goes in as a quoted literal (DDL takes no parameters)."""

    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    out = [(f"COMMENT ON TABLE {table.name} IS {lit(table.comment)}", table.name)]
    for name, _, comment in table.columns:
        out.append((f"COMMENT ON COLUMN {table.name}.{name} IS {lit(comment)}", name))
    return out


def _migration_1(con: duckdb.DuckDBPyConnection) -> None:
    """The tables of docs/schema.md, plus hrv_samples (device 5-minute HRV values)."""
    for table in TABLES:
        run(con, _create_table_sql(table))
        for sql, _ in _comment_sql(table):
            run(con, sql)
    run(con, "CREATE INDEX files_content ON files (file_id)")


def _migration_2(con: duckdb.DuckDBPyConnection) -> None:
    """Analyst views over the nightly tables (docs/analyst.md)."""
    for name, (comment, sql) in FIRST_VIEWS.items():
        run(con, f"CREATE VIEW {name} AS {sql}")
        run(con, f"COMMENT ON VIEW {name} IS '{comment.replace(chr(39), chr(39) * 2)}'")


def _migration_3(con: duckdb.DuckDBPyConnection) -> None:
    """The time span each file covers, so a nightly run can recompute only what it touched."""
    for column, comment in (
        ("first_ts", "Earliest time (UTC) of any row the file loaded"),
        ("last_ts", "Latest time (UTC) of any row the file loaded"),
    ):
        run(con, f"ALTER TABLE files ADD COLUMN {column} TIMESTAMPTZ")
        run(con, f"COMMENT ON COLUMN files.{column} IS '{comment}'")
    run(
        con,
        "CREATE TABLE nightly_runs (started_at TIMESTAMPTZ NOT NULL, "
        "finished_at TIMESTAMPTZ NOT NULL, athletes INTEGER NOT NULL, mode VARCHAR NOT NULL)",
    )
    run(con, "COMMENT ON TABLE nightly_runs IS 'One row per completed nightly run'")
    for column, comment in (
        ("started_at", "When the run started; files ingested after it are new for the next run"),
        ("finished_at", "When the run committed its results"),
        ("athletes", "Athletes recomputed"),
        ("mode", "incremental or rebuild"),
    ):
        run(con, f"COMMENT ON COLUMN nightly_runs.{column} IS '{comment}'")


def _migration_4(con: duckdb.DuckDBPyConnection) -> None:
    """Travel (zone changes per athlete), and when an athlete record last changed, so the
    next nightly run recomputes that athlete's history in its new local dates."""
    run(con, _create_table_sql(ATHLETE_TIME_ZONES))
    for sql, _ in _comment_sql(ATHLETE_TIME_ZONES):
        run(con, sql)
    run(con, "ALTER TABLE athletes ADD COLUMN updated_at TIMESTAMPTZ")
    run(
        con,
        "COMMENT ON COLUMN athletes.updated_at IS 'When the time zone, travel or profile last "
        "changed after the athlete was created; the next nightly run recomputes the athlete'",
    )


def _migration_parser_version(con: duckdb.DuckDBPyConnection) -> None:
    """The parser version per file (files quarantined by another one are read again), and
    athletes whose configuration was refused (the nightly run skips them)."""
    run(con, "ALTER TABLE files ADD COLUMN parser_version VARCHAR")
    run(
        con,
        "COMMENT ON COLUMN files.parser_version IS 'herstel and parser revision that read the "
        "file (null: before version 5); a file quarantined under another one is read again'",
    )
    run(con, _create_table_sql(ATHLETE_PROBLEMS))
    for sql, _ in _comment_sql(ATHLETE_PROBLEMS):
        run(con, sql)


def _migration_episodes(con: duckdb.DuckDBPyConnection) -> None:
    """Episodes of persisting flags, rule evaluability per athlete-day, data sufficiency."""
    values = ", ".join(f"'{r}'" for r in EVALUABILITY_REASONS)
    run(con, f"CREATE TYPE evaluability_reason AS ENUM ({values})")
    for table in (FLAG_EPISODES, RULE_EVALUABILITY):
        run(con, _create_table_sql(table))
        for sql, _ in _comment_sql(table):
            run(con, sql)
    comment, sql = V_DATA_SUFFICIENCY
    run(con, f"CREATE VIEW v_data_sufficiency AS {sql}")
    run(con, f"COMMENT ON VIEW v_data_sufficiency IS '{comment}'")


#: Columns added by migration 7: (table, column, SQL type, comment).
LOAD_COLUMNS = (
    ("activities", "counts_for_load", "BOOLEAN",
     "False when this recording is a second recording of a session that another row "
     "measures better (HR samples > average HR > none); it then adds no load"),
    ("activities", "duplicate_of", "VARCHAR",
     "file_id of the recording that counts for load instead of this one (they overlap by "
     ">= 50 % of the shorter); null when this one counts"),
    ("daily_metrics", "ctl", "DOUBLE",
     "Chronic training load (fitness), TRIMP/day: 42-day exponentially weighted mean of "
     "load_trimp, from 0 the day before the first day"),
    ("daily_metrics", "atl", "DOUBLE",
     "Acute training load (fatigue), TRIMP/day: 7-day exponentially weighted mean of "
     "load_trimp"),
    ("daily_metrics", "tsb", "DOUBLE",
     "Training stress balance (form), TRIMP/day: ctl - atl of the day before"),
    ("daily_metrics", "ramp_rate", "DOUBLE",
     "ctl minus ctl 7 days before, TRIMP/day per week; null for the first 7 days"),
)  # fmt: skip


def _migration_load(con: duckdb.DuckDBPyConnection) -> None:
    """Duplicate recordings and the performance-management chart; every athlete is marked
    for a full recompute, because TRIMP moved to one scale (Banister) for all sessions."""
    for table, column, sqltype, comment in LOAD_COLUMNS:
        run(con, f"ALTER TABLE {table} ADD COLUMN {column} {sqltype}")
        run(con, f"COMMENT ON COLUMN {table}.{column} IS '{comment.replace(chr(39), chr(39) * 2)}'")
    run(
        con,
        "COMMENT ON COLUMN daily_metrics.is_rest_day IS 'True when no training session "
        "started that day: sessions under 20 min and under 10 TRIMP (an auto-recorded walk) "
        "and second recordings do not count'",
    )
    run(
        con,
        "COMMENT ON COLUMN daily_metrics.load_trimp IS 'Sum of the TRIMPs of the day''s "
        "sessions that count for load (activities.counts_for_load)'",
    )
    run(
        con,
        "COMMENT ON COLUMN activities.trimp_method IS 'How trimp was computed: banister_hr "
        "(Banister TRIMP integrated over HR samples) or banister_avg_hr (from the average "
        "HR); edwards_hr only on rows not recomputed since 2026-12'",
    )
    run(con, "UPDATE athletes SET updated_at = now()")


def _migration_alerts(con: duckdb.DuckDBPyConnection) -> None:
    """What the nightly alerts sent to each receiver, so a receiver that was down is retried."""
    run(con, _create_table_sql(ALERT_DELIVERIES))
    for sql, _ in _comment_sql(ALERT_DELIVERIES):
        run(con, sql)


#: Ordered migrations: (version, description, function). Append only.
MIGRATIONS = (
    (1, "initial schema (docs/schema.md)", _migration_1),
    (2, "analyst views v_nightly, v_flags_today, v_athlete_summary", _migration_2),
    (3, "files.first_ts/last_ts and nightly_runs, for incremental nightly runs", _migration_3),
    (4, "athlete_time_zones (travel) and athletes.updated_at", _migration_4),
    (5, "files.parser_version and athlete_problems", _migration_parser_version),
    (6, "flag_episodes, rule_evaluability, v_data_sufficiency", _migration_episodes),
    (7, "duplicate recordings (activities.counts_for_load, duplicate_of) and the PMC "
        "(daily_metrics.ctl, atl, tsb, ramp_rate)", _migration_load),
    (8, "alert_deliveries: what the nightly alerts sent to each receiver", _migration_alerts),
    (9, "daily_flags.unit, nightly_runs.ruleset_version, comments on every view column",
     migration_units_and_comments),
    (10, "athletes.source_priority and v_night_sources: which source a night's value came "
         "from", migration_night_sources),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(con: duckdb.DuckDBPyConnection, upto: int | None = None) -> int:
    """Bring the database to the newest schema (or to version `upto`, for tests of a
    migration on an older warehouse); returns the version it is at."""
    run(
        con,
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)",
    )
    row = run(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")[0]
    current = int(row[0]) if row else 0
    for version, description, apply in MIGRATIONS:
        if version <= current or (upto is not None and version > upto):
            continue
        run(con, "BEGIN TRANSACTION")
        try:
            apply(con)
            run(con, "INSERT INTO schema_migrations VALUES (?, ?, now())", [version, description])
            run(con, "COMMIT")
        except Exception:
            run(con, "ROLLBACK")
            raise
        current = version
    return current
