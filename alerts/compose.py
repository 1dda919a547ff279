"""What an alert says: the items that need the coach, and the message in en or nl.

Items come from the warehouse: warning episodes whose last alert-worthy day ('started' or
'worsened', set by the rules stage in `flag_episodes`) is recent, and athletes whose newest
loaded data is `stale_after_nights` or more nights old. The text names the athlete id, the
rule's title and condition (the words `herstel rules` and the report use) and dates; it
never carries a measured value, so it may pass through mail and chat services.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl

from report.pages import rule_words
from report.text import fmt_date
from rules.catalogue import RuleSet
from warehouse.sql import frame, run

#: An alert-worthy episode day older than this many days (in the athlete's zone) is history,
#: not news: a first run over a years-old study does not page the coach about 2017, and a
#: receiver that is down longer than this misses those episodes.
ALERT_WINDOW_DAYS = 7

#: One item per line of the message; `key` columns identify it across runs.
ITEM_SCHEMA = {
    "kind": pl.String,  # episode | no_data
    "athlete_id": pl.String,
    "rule_id": pl.String,  # null for no_data
    "start_day": pl.Date,  # episode start; null for no_data
    "alert_day": pl.Date,  # last_alert_day, or the last day with data
    "reason": pl.String,  # started | worsened | no_data
    "nights": pl.Int64,  # nights without data (no_data only)
}
KEY = ["kind", "athlete_id", "rule_id", "start_day", "alert_day", "reason"]

WORDS = {
    "en": {
        "warnings_one": "1 new warning",
        "warnings_many": "{n} new warnings",
        "stale_one": "1 athlete without new data",
        "stale_many": "{n} athletes without new data",
        "subject": "herstel: {parts}",
        "head": "herstel nightly run, {day}",
        "warnings": "New or worse warnings",
        "stale": "No new data",
        "started": "since {start}",
        "worsened": "since {start}, warning since {day}",
        "stale_line": "no data for {n} nights (last data {day})",
        "rule": "rule",
        "report": "Report: {url}",
        "test_subject": "herstel: test message",
        "test_body": "This receiver is set up: herstel's nightly alerts will arrive here.",
    },
    "nl": {
        "warnings_one": "1 nieuwe waarschuwing",
        "warnings_many": "{n} nieuwe waarschuwingen",
        "stale_one": "1 sporter zonder nieuwe gegevens",
        "stale_many": "{n} sporters zonder nieuwe gegevens",
        "subject": "herstel: {parts}",
        "head": "herstel nachtelijke run, {day}",
        "warnings": "Nieuwe of ergere waarschuwingen",
        "stale": "Geen nieuwe gegevens",
        "started": "sinds {start}",
        "worsened": "sinds {start}, waarschuwing sinds {day}",
        "stale_line": "{n} nachten geen gegevens (laatste gegevens {day})",
        "rule": "regel",
        "report": "Rapport: {url}",
        "test_subject": "herstel: testbericht",
        "test_body": "Deze ontvanger werkt: de nachtelijke meldingen van herstel komen hier aan.",
    },
}


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'"
    return run(con, sql, [name])[0][0] > 0


def episode_items(con: duckdb.DuckDBPyConnection, now: datetime) -> pl.DataFrame:
    """Warning episodes that started or worsened within ALERT_WINDOW_DAYS of each athlete's
    local today; empty when the rules stage has not made `flag_episodes` yet."""
    if not _has_table(con, "flag_episodes"):
        return pl.DataFrame(schema=ITEM_SCHEMA)
    sql = """
        SELECT 'episode' AS kind, e.athlete_id, e.rule_id, e.start_day,
               e.last_alert_day AS alert_day, e.last_alert_reason AS reason,
               CAST(NULL AS BIGINT) AS nights
        FROM flag_episodes e LEFT JOIN (
            -- a zone DuckDB does not know counts in UTC (see stale_items)
            SELECT a.athlete_id, z.name AS tz FROM athletes a
            LEFT JOIN (SELECT name FROM pg_timezone_names()) z ON z.name = a.time_zone
        ) a USING (athlete_id)
        WHERE e.peak_severity = 'warning' AND e.last_alert_reason IN ('started', 'worsened')
          AND e.last_alert_day >= CAST(timezone(coalesce(a.tz, 'UTC'),
                                       CAST(? AS TIMESTAMPTZ)) AS DATE) - CAST(? AS INTEGER)
        ORDER BY e.athlete_id, e.start_day, e.rule_id
    """
    return frame(con, sql, [now, ALERT_WINDOW_DAYS]).cast(ITEM_SCHEMA)


def stale_items(con: duckdb.DuckDBPyConnection, now: datetime, after_nights: int) -> pl.DataFrame:
    """Athletes whose newest loaded row (files.last_ts, in their zone) is `after_nights` or
    more local days before today: 28 Nov's data and today 2 Dec is 4 nights without."""
    sql = """
        WITH last AS (
            SELECT athlete_id, max(last_ts) AS last_ts FROM files
            WHERE status IN ('loaded', 'partial') AND athlete_id IS NOT NULL
              AND last_ts IS NOT NULL GROUP BY 1),
        -- a zone DuckDB does not know (stored by an older herstel, listed in
        -- athlete_problems) counts in UTC here rather than failing every athlete's alert
        zone AS (
            SELECT a.athlete_id, coalesce(z.name, 'UTC') AS tz FROM athletes a
            LEFT JOIN (SELECT name FROM pg_timezone_names()) z ON z.name = a.time_zone)
        SELECT 'no_data' AS kind, l.athlete_id, CAST(NULL AS VARCHAR) AS rule_id,
               CAST(NULL AS DATE) AS start_day,
               CAST(timezone(coalesce(z.tz, 'UTC'), l.last_ts) AS DATE) AS alert_day,
               'no_data' AS reason,
               date_diff('day',
                   CAST(timezone(coalesce(z.tz, 'UTC'), l.last_ts) AS DATE),
                   CAST(timezone(coalesce(z.tz, 'UTC'), CAST(? AS TIMESTAMPTZ)) AS DATE)
               ) AS nights
        FROM last l LEFT JOIN zone z USING (athlete_id)
        ORDER BY l.athlete_id
    """
    items = frame(con, sql, [now]).cast(ITEM_SCHEMA)
    return items.filter(pl.col("nights") >= after_nights)


def _plural(words: dict[str, str], key: str, n: int) -> str:
    return words[f"{key}_one"] if n == 1 else words[f"{key}_many"].format(n=n)


def subject(items: pl.DataFrame, lang: str) -> str:
    """Counts only: a subject line is shown on lock screens and in mail lists."""
    words = WORDS[lang]
    warnings = items.filter(pl.col("kind") == "episode").height
    stale = items.filter(pl.col("kind") == "no_data").height
    parts = [_plural(words, "warnings", warnings)] if warnings else []
    parts += [_plural(words, "stale", stale)] if stale else []
    return words["subject"].format(parts=", ".join(parts))


def _rule_text(ruleset: RuleSet, rule_id: str, lang: str) -> tuple[str, str]:
    rule = ruleset.rules.get(rule_id)
    if rule is None:
        return rule_id, ""
    level = next((lv for lv in rule.levels if lv.severity == "warning"), rule.levels[0])
    return rule_words(rule, level, lang)


def body(
    items: pl.DataFrame, lang: str, ruleset: RuleSet, today: date, report_url: str | None = None
) -> str:
    """The message: episodes (who, which rule, since when, the rule's condition), then the
    athletes without new data, then where the report is."""
    words = WORDS[lang]
    lines = [words["head"].format(day=fmt_date(today, lang))]
    episodes = items.filter(pl.col("kind") == "episode")
    if episodes.height:
        lines += ["", f"{words['warnings']} ({episodes.height}):"]
    for row in episodes.iter_rows(named=True):
        title, condition = _rule_text(ruleset, row["rule_id"], lang)
        when = words[row["reason"]].format(
            start=fmt_date(row["start_day"], lang), day=fmt_date(row["alert_day"], lang)
        )
        lines.append(f"- {row['athlete_id']}: {title} ({row['rule_id']}), {when}")
        if condition:
            lines.append(f"  {words['rule']}: {condition}")
    stale = items.filter(pl.col("kind") == "no_data")
    if stale.height:
        lines += ["", f"{words['stale']} ({stale.height}):"]
    for row in stale.iter_rows(named=True):
        text = words["stale_line"].format(n=row["nights"], day=fmt_date(row["alert_day"], lang))
        lines.append(f"- {row['athlete_id']}: {text}")
    if report_url:
        lines += ["", words["report"].format(url=report_url)]
    return "\n".join(lines) + "\n"
