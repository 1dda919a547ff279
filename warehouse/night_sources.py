"""Several sources for one night: the athlete's `source_priority` and the view that shows
every candidate device value with the one the nightly run chose (docs/metrics.md, "Several
sources for one night").

The choice itself is made in `metrics.nightly.device_nightly`; `v_night_sources` does not
repeat it but reads it back from `nightly_metrics` (method `device`/`device_nightly` and the
same `*_file_id`), so the view can never disagree with the stored nights.
"""

from __future__ import annotations

import duckdb

from warehouse.sql import run
from warehouse.views import lit

PRIORITY_COMMENT = (
    "Which vendor's nightly value wins when several files give one for the same night, "
    "first wins: lower-case vendor names joined by > (oura>garmin); vendors not named come "
    "after, by name. From athletes.csv (own column, else the * row: the study default); "
    "null: by vendor name"
)

#: v_night_sources: one row per device value the nightly could use (docs/schema.md).
V_NIGHT_SOURCES = """
    WITH f AS (SELECT file_id, min(device) AS device FROM files GROUP BY file_id)
    SELECT d.athlete_id, d.night, d.metric, d.value, d.vendor, f.device, d.file_id,
           a.source_priority,
           list_position(string_split(a.source_priority, '>'), lower(d.vendor))
               AS priority_rank,
           CASE d.metric WHEN 'sleep_hours' THEN n.sleep_method
                         WHEN 'resting_hr' THEN n.resting_hr_method
                         ELSE n.hrv_method END AS nightly_method,
           coalesce(CASE d.metric
               WHEN 'sleep_hours' THEN n.sleep_method = 'device'
                                       AND n.sleep_file_id = d.file_id
               WHEN 'resting_hr' THEN n.resting_hr_method = 'device'
                                      AND n.resting_hr_file_id = d.file_id
               ELSE n.hrv_method = 'device_nightly' AND n.hrv_file_id = d.file_id
           END, false) AS chosen
    FROM device_summaries d
    LEFT JOIN f USING (file_id)
    LEFT JOIN athletes a USING (athlete_id)
    LEFT JOIN nightly_metrics n ON n.athlete_id = d.athlete_id AND n.night = d.night
    WHERE d.metric IN ('sleep_hours', 'resting_hr', 'hrv_rmssd_ms')
"""

V_NIGHT_SOURCES_COMMENT = (
    "Every device nightly value (sleep_hours, resting_hr, hrv_rmssd_ms) per athlete-night, "
    "with chosen = true for the one nightly_metrics holds (docs/metrics.md)."
)

V_NIGHT_SOURCES_COLUMNS = {
    "athlete_id": "Athlete (athletes.athlete_id)",
    "night": "Local wake-up date the value belongs to",
    "metric": "sleep_hours (h), resting_hr (bpm) or hrv_rmssd_ms (ms)",
    "value": "The device's value, in the unit the metric name gives",
    "vendor": "Who computed it (device_summaries.vendor)",
    "device": "Device of the file, when the file names one (files.device)",
    "file_id": "File the value came from (files.file_id)",
    "source_priority": "The athlete's source priority (athletes.source_priority); null: by "
    "vendor name",
    "priority_rank": "Position of vendor in source_priority (1 = first); null when not named",
    "nightly_method": "How nightly_metrics obtained this metric for the night: device (or "
    "device_nightly) when a device value was used, else the computed method (stages, "
    "sleep_hr_30min, rr_rmssd_5min, device_5min); null before the nightly run",
    "chosen": "True for the value nightly_metrics holds; false for the values set aside and "
    "for every value when the night used a computed method",
}


def migration_night_sources(con: duckdb.DuckDBPyConnection) -> None:
    """athletes.source_priority and v_night_sources. No recompute: without a priority the
    nightly chooses as before (by vendor name, then file id)."""
    run(con, "ALTER TABLE athletes ADD COLUMN source_priority VARCHAR")
    run(con, f"COMMENT ON COLUMN athletes.source_priority IS {lit(PRIORITY_COMMENT)}")
    run(con, f"CREATE VIEW v_night_sources AS {V_NIGHT_SOURCES}")
    run(con, f"COMMENT ON VIEW v_night_sources IS {lit(V_NIGHT_SOURCES_COMMENT)}")
    for column, text in V_NIGHT_SOURCES_COLUMNS.items():
        run(con, f"COMMENT ON COLUMN v_night_sources.{column} IS {lit(text)}")
