"""The analyst views: as migration 2 first made them (`FIRST_VIEWS`), `v_data_sufficiency`
(migration 6), and as migration 9 re-creates them with a comment on every column, units, and
the columns a user ruleset and per-flag units need (`VIEWS`).

Column names of tables stay as they are (scripts rely on them); where a name carries no unit,
the views add a unit-suffixed alias beside it (`resting_hr_bpm`), and every comment names the
unit. See docs/schema.md (generated) and docs/analyst.md.
"""

from __future__ import annotations

import duckdb

from warehouse.sql import run

#: The analyst views as migration 2 first made them (migration 9 replaces them with `VIEWS`).
FIRST_VIEWS: dict[str, tuple[str, str]] = {
    "v_nightly": (
        "Nightly metrics with each marker's personal baseline and deviation from it.",
        """
        SELECT athlete_id, night, sleep_start, sleep_end,
               resting_hr, resting_hr_baseline,
               round(100 * (resting_hr / resting_hr_baseline - 1), 1) AS resting_hr_dev_pct,
               resting_hr - resting_hr_baseline AS resting_hr_dev_bpm,
               hrv_ms, hrv_baseline_ms,
               round(100 * (hrv_ms / hrv_baseline_ms - 1), 1) AS hrv_dev_pct,
               sleep_hours, sleep_hours_baseline,
               sleep_hours - sleep_hours_baseline AS sleep_hours_dev,
               resting_hr_method, hrv_method, sleep_method,
               resting_hr_file_id, hrv_file_id, sleep_file_id
        FROM nightly_metrics
        """,
    ),
    "v_flags_today": (
        "Flags of each athlete's most recent day (the morning's status), worst first.",
        """
        WITH latest AS (SELECT athlete_id, max(night) AS today FROM nightly_metrics GROUP BY 1)
        SELECT f.athlete_id, f.day, f.rule_id, f.severity, f.value, f.threshold, f.baseline,
               f.message, f.message_nl
        FROM daily_flags f JOIN latest l ON f.athlete_id = l.athlete_id AND f.day = l.today
        ORDER BY f.athlete_id,
                 CASE f.severity WHEN 'warning' THEN 0 WHEN 'watch' THEN 1 ELSE 2 END, f.rule_id
        """,
    ),
    "v_athlete_summary": (
        "One row per athlete: data span, latest markers, today's status, flags and files.",
        """
        WITH nights AS (
            SELECT athlete_id, count(*) AS nights, min(night) AS first_night,
                   max(night) AS last_night,
                   arg_max(resting_hr, night) FILTER (resting_hr IS NOT NULL) AS last_resting_hr,
                   arg_max(hrv_ms, night) FILTER (hrv_ms IS NOT NULL) AS last_hrv_ms,
                   arg_max(sleep_hours, night) FILTER (sleep_hours IS NOT NULL)
                       AS last_sleep_hours
            FROM nightly_metrics GROUP BY 1),
        today AS (
            SELECT athlete_id,
                   CASE max(CASE severity WHEN 'warning' THEN 2 WHEN 'watch' THEN 1 ELSE 0 END)
                        WHEN 2 THEN 'warning' WHEN 1 THEN 'watch' ELSE 'ok' END AS status
            FROM v_flags_today GROUP BY 1),
        recent AS (
            SELECT f.athlete_id, count(*) FILTER (f.severity = 'warning') AS warnings_7d,
                   count(*) FILTER (f.severity = 'watch') AS watches_7d
            FROM daily_flags f JOIN nights n USING (athlete_id)
            WHERE f.day > n.last_night - INTERVAL 7 DAY GROUP BY 1),
        files AS (
            SELECT athlete_id, count(*) FILTER (status IN ('loaded', 'partial')) AS files_loaded,
                   count(*) FILTER (status = 'quarantined') AS files_quarantined
            FROM files GROUP BY 1)
        SELECT a.athlete_id, a.time_zone, n.nights, n.first_night, n.last_night,
               n.last_resting_hr, n.last_hrv_ms, n.last_sleep_hours,
               coalesce(t.status, CASE WHEN n.nights > 0 THEN 'ok' END) AS status,
               coalesce(r.warnings_7d, 0) AS warnings_7d, coalesce(r.watches_7d, 0) AS watches_7d,
               coalesce(fi.files_loaded, 0) AS files_loaded,
               coalesce(fi.files_quarantined, 0) AS files_quarantined
        FROM athletes a
        LEFT JOIN nights n USING (athlete_id)
        LEFT JOIN today t USING (athlete_id)
        LEFT JOIN recent r USING (athlete_id)
        LEFT JOIN files fi USING (athlete_id)
        """,
    ),
}

#: v_data_sufficiency (migration 6): one row per athlete, how much data each marker has.
V_DATA_SUFFICIENCY = (
    "One row per athlete: nights with each marker, coverage and the last night with data; "
    "nights_without_data counts from the newest night of any athlete (0 = up to date).",
    """
    WITH team AS (SELECT max(night) AS team_last_night FROM nightly_metrics),
    n AS (
        SELECT athlete_id,
               count(*) FILTER (resting_hr IS NOT NULL OR hrv_ms IS NOT NULL
                                OR sleep_hours IS NOT NULL) AS nights_with_data,
               count(resting_hr) AS nights_resting_hr,
               count(hrv_ms) AS nights_hrv,
               count(sleep_hours) AS nights_sleep,
               min(night) AS first_night,
               max(night) FILTER (resting_hr IS NOT NULL OR hrv_ms IS NOT NULL
                                  OR sleep_hours IS NOT NULL) AS last_night,
               max(night) FILTER (resting_hr IS NOT NULL) AS last_night_resting_hr,
               max(night) FILTER (hrv_ms IS NOT NULL) AS last_night_hrv,
               max(night) FILTER (sleep_hours IS NOT NULL) AS last_night_sleep,
               count(*) FILTER ((resting_hr IS NOT NULL OR hrv_ms IS NOT NULL
                                 OR sleep_hours IS NOT NULL)
                                AND night > (SELECT team_last_night FROM team) - 28)
                   AS nights_with_data_28
        FROM nightly_metrics GROUP BY 1)
    SELECT a.athlete_id, coalesce(n.nights_with_data, 0) AS nights_with_data,
           coalesce(n.nights_resting_hr, 0) AS nights_resting_hr,
           coalesce(n.nights_hrv, 0) AS nights_hrv,
           coalesce(n.nights_sleep, 0) AS nights_sleep,
           n.first_night, n.last_night, n.last_night_resting_hr, n.last_night_hrv,
           n.last_night_sleep,
           round(n.nights_with_data / (date_diff('day', n.first_night, n.last_night) + 1), 3)
               AS coverage,
           round(coalesce(n.nights_with_data_28, 0) / 28, 3) AS coverage_28,
           t.team_last_night,
           date_diff('day', n.last_night, t.team_last_night) AS nights_without_data
    FROM athletes a CROSS JOIN team t LEFT JOIN n USING (athlete_id)
    """,
)


def lit(text: str) -> str:
    """A quoted SQL literal: DDL (COMMENT ON) takes no parameters."""
    return "'" + text.replace("'", "''") + "'"


_NIGHTLY_COLUMNS = {
    "athlete_id": "Athlete id (folder name, --athlete, or pseudonym)",
    "night": "Local wake-up date of the main sleep period",
    "sleep_start": "Start of the main sleep period, UTC",
    "sleep_end": "End of the main sleep period, UTC",
    "resting_hr": "Resting heart rate in sleep, bpm (lowest 30-minute rolling mean)",
    "resting_hr_bpm": "Same as resting_hr, the unit in the name (bpm)",
    "resting_hr_baseline": "Mean resting_hr of the previous 28 nights (at least 7), bpm",
    "resting_hr_baseline_bpm": "Same as resting_hr_baseline, the unit in the name (bpm)",
    "resting_hr_dev_pct": "resting_hr against its baseline, % (positive = higher)",
    "resting_hr_dev_bpm": "resting_hr minus its baseline, bpm",
    "hrv_ms": "RMSSD over the main sleep period, ms",
    "hrv_baseline_ms": "Mean hrv_ms of the previous 28 nights (at least 7), ms",
    "hrv_dev_pct": "hrv_ms against its baseline, % (positive = higher)",
    "sleep_hours": "Time asleep in the main sleep period, hours",
    "sleep_hours_baseline": "Mean sleep_hours of the previous 28 nights (at least 7), hours",
    "sleep_hours_dev": "sleep_hours minus its baseline, hours",
    "resting_hr_method": "How resting_hr was obtained: sleep_hr_30min (own) or device",
    "hrv_method": "How hrv_ms was obtained: rr_rmssd_5min, device_5min or device_nightly",
    "sleep_method": "How sleep_hours was obtained: stages (own) or device",
    "resting_hr_file_id": "File the resting HR value came from; joins files.file_id",
    "hrv_file_id": "File the HRV value came from; joins files.file_id",
    "sleep_file_id": "File the sleep value came from; joins files.file_id",
}

_FLAGS_TODAY_COLUMNS = {
    "athlete_id": "Athlete id",
    "day": "The athlete's most recent night with metrics (local wake-up date)",
    "rule_id": "Rule id from the catalogue (herstel rules, docs/rules.md)",
    "severity": "info | watch | warning",
    "value": "The measured value that raised the flag, in column unit",
    "threshold": "The threshold it crossed, in column unit",
    "baseline": "The personal baseline compared against, in column unit; null for guidelines",
    "unit": "Unit of value, threshold and baseline (bpm, ms, h, days, score_1_10, ...)",
    "message": "Plain-language explanation, English",
    "message_nl": "Plain-language explanation, Dutch",
}

_SUMMARY_COLUMNS = {
    "athlete_id": "Athlete id",
    "time_zone": "IANA time zone of the athlete's local days and nights",
    "nights": "Nights with a nightly_metrics row",
    "first_night": "First night with metrics (local date)",
    "last_night": "Latest night with metrics (local date): the athlete's last data",
    "last_resting_hr": "Most recent resting_hr, bpm",
    "last_resting_hr_bpm": "Same as last_resting_hr, the unit in the name (bpm)",
    "last_hrv_ms": "Most recent hrv_ms (RMSSD), ms",
    "last_sleep_hours": "Most recent sleep_hours, hours",
    "status": "Worst severity flagged on last_night: warning | watch | ok; null without nights",
    "warnings_7d": "Warning flags in the 7 days up to last_night",
    "watches_7d": "Watch flags in the 7 days up to last_night",
    "files_loaded": "Files of the athlete loaded or partial",
    "files_quarantined": "Files of the athlete quarantined (unreadable)",
}

#: name -> (view comment, SELECT, column comments in the SELECT's order)
VIEWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "v_nightly": (
        "Nightly metrics with each marker's personal baseline and deviation from it.",
        """
        SELECT athlete_id, night, sleep_start, sleep_end,
               resting_hr, resting_hr AS resting_hr_bpm,
               resting_hr_baseline, resting_hr_baseline AS resting_hr_baseline_bpm,
               round(100 * (resting_hr / resting_hr_baseline - 1), 1) AS resting_hr_dev_pct,
               resting_hr - resting_hr_baseline AS resting_hr_dev_bpm,
               hrv_ms, hrv_baseline_ms,
               round(100 * (hrv_ms / hrv_baseline_ms - 1), 1) AS hrv_dev_pct,
               sleep_hours, sleep_hours_baseline,
               sleep_hours - sleep_hours_baseline AS sleep_hours_dev,
               resting_hr_method, hrv_method, sleep_method,
               resting_hr_file_id, hrv_file_id, sleep_file_id
        FROM nightly_metrics
        """,
        _NIGHTLY_COLUMNS,
    ),
    "v_flags_today": (
        "Flags of each athlete's most recent day (the morning's status), worst first.",
        """
        WITH latest AS (SELECT athlete_id, max(night) AS today FROM nightly_metrics GROUP BY 1)
        SELECT f.athlete_id, f.day, f.rule_id, f.severity, f.value, f.threshold, f.baseline,
               f.unit, f.message, f.message_nl
        FROM daily_flags f JOIN latest l ON f.athlete_id = l.athlete_id AND f.day = l.today
        ORDER BY f.athlete_id,
                 CASE f.severity WHEN 'warning' THEN 0 WHEN 'watch' THEN 1 ELSE 2 END, f.rule_id
        """,
        _FLAGS_TODAY_COLUMNS,
    ),
    "v_athlete_summary": (
        "One row per athlete: data span, latest markers, today's status, flags and files.",
        """
        WITH nights AS (
            SELECT athlete_id, count(*) AS nights, min(night) AS first_night,
                   max(night) AS last_night,
                   arg_max(resting_hr, night) FILTER (resting_hr IS NOT NULL) AS last_resting_hr,
                   arg_max(hrv_ms, night) FILTER (hrv_ms IS NOT NULL) AS last_hrv_ms,
                   arg_max(sleep_hours, night) FILTER (sleep_hours IS NOT NULL)
                       AS last_sleep_hours
            FROM nightly_metrics GROUP BY 1),
        today AS (
            SELECT athlete_id,
                   CASE max(CASE severity WHEN 'warning' THEN 2 WHEN 'watch' THEN 1 ELSE 0 END)
                        WHEN 2 THEN 'warning' WHEN 1 THEN 'watch' ELSE 'ok' END AS status
            FROM v_flags_today GROUP BY 1),
        recent AS (
            SELECT f.athlete_id, count(*) FILTER (f.severity = 'warning') AS warnings_7d,
                   count(*) FILTER (f.severity = 'watch') AS watches_7d
            FROM daily_flags f JOIN nights n USING (athlete_id)
            WHERE f.day > n.last_night - INTERVAL 7 DAY GROUP BY 1),
        files AS (
            SELECT athlete_id, count(*) FILTER (status IN ('loaded', 'partial')) AS files_loaded,
                   count(*) FILTER (status = 'quarantined') AS files_quarantined
            FROM files GROUP BY 1)
        SELECT a.athlete_id, a.time_zone, n.nights, n.first_night, n.last_night,
               n.last_resting_hr, n.last_resting_hr AS last_resting_hr_bpm,
               n.last_hrv_ms, n.last_sleep_hours,
               coalesce(t.status, CASE WHEN n.nights > 0 THEN 'ok' END) AS status,
               coalesce(r.warnings_7d, 0) AS warnings_7d, coalesce(r.watches_7d, 0) AS watches_7d,
               coalesce(fi.files_loaded, 0) AS files_loaded,
               coalesce(fi.files_quarantined, 0) AS files_quarantined
        FROM athletes a
        LEFT JOIN nights n USING (athlete_id)
        LEFT JOIN today t USING (athlete_id)
        LEFT JOIN recent r USING (athlete_id)
        LEFT JOIN files fi USING (athlete_id)
        """,
        _SUMMARY_COLUMNS,
    ),
}

#: (table, column) -> comment for columns migration 10 adds or documents.
#: v_data_sufficiency (migration 7) gets its column comments here, with the other views'.
_SUFFICIENCY_COLUMNS = {
    "athlete_id": "Athlete (athletes.athlete_id); every athlete has a row, with or without data",
    "nights_with_data": "Nights with at least one of resting_hr, hrv_ms, sleep_hours",
    "nights_resting_hr": "Nights with a resting_hr value",
    "nights_hrv": "Nights with an hrv_ms value (RMSSD)",
    "nights_sleep": "Nights with a sleep_hours value",
    "first_night": "First night in nightly_metrics (local wake-up date)",
    "last_night": "Last night with any marker: the athlete's last data",
    "last_night_resting_hr": "Last night with a resting_hr value",
    "last_night_hrv": "Last night with an hrv_ms value",
    "last_night_sleep": "Last night with a sleep_hours value",
    "coverage": "nights_with_data / calendar nights from first_night to last_night (0..1)",
    "coverage_28": "Share of the team's last 28 nights with data for this athlete (0..1)",
    "team_last_night": "Newest night of any athlete: what 'up to date' is measured against",
    "nights_without_data": "Nights from last_night to team_last_night (0 = up to date)",
}

_COLUMN_COMMENTS = {
    ("daily_flags", "unit"): "Unit of value, threshold and baseline, from the rule's `unit` in "
    "the rule file: bpm, ms, h, days, trimp, score_1_10 (self-reported), ug/L, nmol/L or rules "
    "(a count of rules)",
    ("nightly_runs", "ruleset_version"): "Version of the rule file the run used (a user file: "
    "<version>-local.<sha256 prefix>); a change makes the next run recompute every athlete",
    ("schema_migrations", "version"): "Schema version the migration brought the database to",
    ("schema_migrations", "description"): "What the migration changed",
    ("schema_migrations", "applied_at"): "When the migration ran on this database, UTC",
}

_TABLE_COMMENTS = {
    "schema_migrations": "One row per schema migration applied to this file (docs/schema.md).",
    "nightly_metrics": "One row per athlete-night: the recovery markers defined in "
    "docs/metrics.md, each with its method.",
}


def migration_units_and_comments(con: duckdb.DuckDBPyConnection) -> None:
    """Units per flag, the ruleset of each run, and a comment on every view column."""
    run(con, "ALTER TABLE daily_flags ADD COLUMN unit VARCHAR")
    run(con, "ALTER TABLE nightly_runs ADD COLUMN ruleset_version VARCHAR")
    for (table, column), comment in _COLUMN_COMMENTS.items():
        run(con, f"COMMENT ON COLUMN {table}.{column} IS {lit(comment)}")
    for table, comment in _TABLE_COMMENTS.items():
        run(con, f"COMMENT ON TABLE {table} IS {lit(comment)}")
    for name, (comment, sql, columns) in VIEWS.items():
        run(con, f"CREATE OR REPLACE VIEW {name} AS {sql}")
        run(con, f"COMMENT ON VIEW {name} IS {lit(comment)}")
        for column, text in columns.items():
            run(con, f"COMMENT ON COLUMN {name}.{column} IS {lit(text)}")
    for column, text in _SUFFICIENCY_COLUMNS.items():
        run(con, f"COMMENT ON COLUMN v_data_sufficiency.{column} IS {lit(text)}")
