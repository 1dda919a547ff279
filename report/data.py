"""Read-only queries over the warehouse views, and the shaping of frames into chart rows.

The report comes after the rules in the one-way data flow: it only reads. All queries run on
one short read-only connection that is closed before any page is rendered, so a nightly run
waiting for the file lock is held up for as little time as possible (docs/analyst.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from rules.catalogue import SEVERITY_ORDER, RuleSet, load_configured
from warehouse.db import connect
from warehouse.sql import frame

#: Which chart a rule's flags are drawn on, by rule id prefix: a flag is drawn on a chart
#: only when that chart plots the rule's own quantity.
CHART_OF_PREFIX = (("rhr_", "rhr"), ("hrv_", "hrv"), ("sleep_", "sleep"))
#: Training rules drawn on the daily training-load chart (on the day's TRIMP). Every other
#: rule (cortisol, ferritin, sitting hours, self-reports, multi_signal, a club's own rules)
#: has no chart of its quantity and is drawn only on the flag timeline, like every flag.
LOAD_RULES = ("no_rest_day", "heavy_weeks_streak", "strength_up_unstable_sleep")
#: The chart name of flags drawn only on the flag timeline.
TIMELINE = "timeline"
#: The nightly column each marker chart plots, to place a flag marker on the value drawn.
MARKER_COLUMN = {"rhr": "resting_hr", "hrv": "hrv_ms", "sleep": "sleep_hours"}
#: Nights shown as sparklines on the team page.
SPARK_NIGHTS = 7
#: After this many nights without any data (no night, no day record) an athlete shows
#: "no data for N nights" instead of a status: a watch that stopped syncing is not "OK".
STALE_NIGHTS = 3


@dataclass(frozen=True)
class Guides:
    """The guideline numbers drawn on the charts, read from the rule catalogue.

    Defaults are docs/rules.md's; the catalogue wins so a club that tunes a threshold sees its
    own line on the chart.
    """

    rhr_below_pct: float = 10.0
    rhr_above_pct: float = 5.0
    rhr_warn_pct: float = 8.0
    rhr_warn_bpm: float = 8.0
    sleep_low_h: float = 7.0
    sleep_high_h: float = 9.0
    sleep_short_h: float = 6.0
    sleep_short_nights: float = 3.0
    hrv_warn_ms: float = 50.0
    hrv_normal_ms: float = 70.0

    def numbers(self) -> dict[str, str]:
        """The numbers as text for the explanations ('8', '7', ...)."""
        return {
            "below": f"{self.rhr_below_pct:g}",
            "above": f"{self.rhr_above_pct:g}",
            "warn": f"{self.rhr_warn_pct:g}",
            "warn_bpm": f"{self.rhr_warn_bpm:g}",
            "low": f"{self.sleep_low_h:g}",
            "high": f"{self.sleep_high_h:g}",
            "short": f"{self.sleep_short_h:g}",
            "nights": f"{self.sleep_short_nights:g}",
            "normal": f"{self.hrv_normal_ms:g}",
            "hrv_warn": f"{self.hrv_warn_ms:g}",
        }


def guides_from_ruleset(ruleset: RuleSet) -> Guides:
    """Take each guideline from the catalogue when the rule and threshold exist."""
    picks = {
        "rhr_below_pct": ("rhr_elevated", "below", "pct_below"),
        "rhr_above_pct": ("rhr_elevated", "above", "pct_above"),
        "rhr_warn_pct": ("rhr_elevated", "high", "pct_above"),
        "rhr_warn_bpm": ("rhr_elevated", "high", "bpm_above"),
        "sleep_low_h": ("sleep_out_of_range", "short", "hours_below"),
        "sleep_high_h": ("sleep_out_of_range", "long", "hours_above"),
        "sleep_short_h": ("sleep_short_streak", "streak", "hours_below"),
        "sleep_short_nights": ("sleep_short_streak", "streak", "nights"),
        "hrv_warn_ms": ("hrv_low", "low", "ms_below"),
        "hrv_normal_ms": ("hrv_low", "reduced", "ms_upto"),
    }
    values = {}
    for name, (rule_id, level, key) in picks.items():
        try:
            values[name] = ruleset.rule(rule_id).threshold(level, key)
        except KeyError:
            continue
    return Guides(**values)


@dataclass
class ReportData:
    """Everything a report shows, read in one go."""

    summary: pl.DataFrame
    today: pl.DataFrame
    nightly: pl.DataFrame
    daily: pl.DataFrame
    flags: pl.DataFrame
    ruleset: RuleSet
    guides: Guides
    since: date | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    stale_nights: int = STALE_NIGHTS

    def athletes(self) -> list[str]:
        return self.summary["athlete_id"].to_list()


_WHERE = "(?::VARCHAR IS NULL OR {col} = ?)"

_NIGHTLY_SQL = """
WITH paths AS (
    SELECT file_id,
           arg_min(path, CASE status WHEN 'loaded' THEN 0 WHEN 'partial' THEN 1 ELSE 2 END)
               AS path
    FROM files GROUP BY file_id)
SELECT n.athlete_id, n.night,
       n.resting_hr, n.resting_hr_baseline, n.resting_hr_dev_pct, n.resting_hr_method,
       n.hrv_ms, n.hrv_baseline_ms, n.hrv_method,
       n.sleep_hours, n.sleep_hours_baseline, n.sleep_method,
       pr.path AS resting_hr_path, ph.path AS hrv_path, ps.path AS sleep_path
FROM v_nightly n
LEFT JOIN paths pr ON pr.file_id = n.resting_hr_file_id
LEFT JOIN paths ph ON ph.file_id = n.hrv_file_id
LEFT JOIN paths ps ON ps.file_id = n.sleep_file_id
WHERE {where}
ORDER BY n.athlete_id, n.night
"""


def load(
    db: str | Path | None,
    athlete: str | None = None,
    since: date | None = None,
    ruleset: RuleSet | None = None,
    now: datetime | None = None,
    stale_nights: int = STALE_NIGHTS,
) -> ReportData:
    """Read the views the report needs on one short read-only connection.

    Nights, days and flags are read whole (a study-year is a few MB): the sparklines and the
    morning status need the latest nights whatever `since` says; pages apply `since`.
    """
    ruleset = ruleset or load_configured()  # $HERSTEL_RULES when set, as the nightly run
    who = [athlete, athlete]
    con = connect(db, read_only=True)
    try:
        summary = frame(
            con,
            f"SELECT * FROM v_athlete_summary WHERE {_WHERE.format(col='athlete_id')} "
            "ORDER BY athlete_id",
            who,
        )
        if athlete is not None and summary.height == 0:
            raise ValueError(f"no athlete {athlete!r} in the warehouse")
        today = frame(
            con, f"SELECT * FROM v_flags_today WHERE {_WHERE.format(col='athlete_id')}", who
        )
        nightly = frame(con, _NIGHTLY_SQL.format(where=_WHERE.format(col="n.athlete_id")), who)
        daily = frame(
            con,
            "SELECT athlete_id, day, is_rest_day, load_trimp, acute_load, chronic_load, acwr, "
            "strength_load, ctl, atl, tsb "
            f"FROM daily_metrics WHERE {_WHERE.format(col='athlete_id')} "
            "ORDER BY athlete_id, day",
            who,
        )
        flags = frame(
            con,
            "SELECT athlete_id, day, rule_id, severity, value, threshold, baseline, message, "
            f"message_nl, ruleset_version FROM daily_flags WHERE {_WHERE.format(col='athlete_id')} "
            "ORDER BY athlete_id, day, rule_id",
            who,
        )
    finally:
        con.close()
    return ReportData(
        summary=summary,
        today=today,
        nightly=nightly,
        daily=daily,
        flags=flags,
        ruleset=ruleset,
        guides=guides_from_ruleset(ruleset),
        since=since,
        generated_at=now or datetime.now(UTC),
        stale_nights=stale_nights,
    )


# ---------------------------------------------------------------------------------------
# Shaping: pure functions from frames to chart rows (unit-tested without a warehouse)


def chart_of(rule_id: str) -> str:
    """The marker chart a rule's flags belong on; TIMELINE when no chart plots its quantity."""
    for prefix, chart in CHART_OF_PREFIX:
        if rule_id.startswith(prefix):
            return chart
    return "load" if rule_id in LOAD_RULES else TIMELINE


def with_bands(nightly: pl.DataFrame, guides: Guides) -> pl.DataFrame:
    """Add the resting-HR band around the personal baseline and its warning line.

    Normal range: baseline −10 % … +5 %; warning line: the lower of +8 % and +8 bpm, the
    threshold `rhr_elevated` compares with (docs/rules.md).
    """
    base = pl.col("resting_hr_baseline")
    return nightly.with_columns(
        (base * (1 - guides.rhr_below_pct / 100)).alias("rhr_lo"),
        (base * (1 + guides.rhr_above_pct / 100)).alias("rhr_hi"),
        pl.min_horizontal(base * (1 + guides.rhr_warn_pct / 100), base + guides.rhr_warn_bpm).alias(
            "rhr_warn"
        ),
    )


def complete_nights(nightly: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """One row per calendar night of one athlete, missing nights as nulls.

    A night without data must break the line on the chart, not be bridged by it.
    """
    calendar = pl.DataFrame({"night": pl.date_range(start, end, interval="1d", eager=True)})
    return calendar.join(nightly, on="night", how="left").sort("night")


def sleep_category(guides: Guides) -> pl.Expr:
    """'short' under the streak line, 'off' outside the normal range, else 'ok'."""
    hours = pl.col("sleep_hours")
    return (
        pl.when(hours < guides.sleep_short_h)
        .then(pl.lit("short"))
        .when((hours < guides.sleep_low_h) | (hours > guides.sleep_high_h))
        .then(pl.lit("off"))
        .when(hours.is_not_null())
        .then(pl.lit("ok"))
        .otherwise(None)
    )


def flag_markers(flags: pl.DataFrame, nightly: pl.DataFrame, daily: pl.DataFrame) -> pl.DataFrame:
    """Flags with the chart they belong to and the y value of the marker on that chart.

    A night rule's marker sits on the value drawn for that night (not on `value`, whose unit
    differs between rules), a day rule's on that day's training load. Rows are ordered mildest
    first so the most severe marker is drawn on top; `top` marks the most severe flag of each
    chart and day, which carries the number label.
    """
    if flags.height == 0:
        return flags.with_columns(
            pl.lit(None, pl.String).alias("chart"),
            pl.lit(None, pl.Float64).alias("y"),
            pl.lit(None, pl.Boolean).alias("top"),
        )
    rank = pl.col("severity").replace_strict(SEVERITY_ORDER, default=0, return_dtype=pl.Int8)
    marked = flags.with_columns(
        pl.col("rule_id").map_elements(chart_of, return_dtype=pl.String).alias("chart"),
        rank.alias("rank"),
    )
    values = nightly.select("athlete_id", pl.col("night").alias("day"), *MARKER_COLUMN.values())
    loads = daily.select("athlete_id", "day", "load_trimp")
    marked = marked.join(values, on=["athlete_id", "day"], how="left").join(
        loads, on=["athlete_id", "day"], how="left"
    )
    y = pl.when(pl.col("chart") == "load").then(pl.col("load_trimp"))
    for chart, column in MARKER_COLUMN.items():
        y = y.when(pl.col("chart") == chart).then(pl.col(column))
    marked = marked.with_columns(y.otherwise(None).alias("y"))
    top = pl.col("rank") == pl.col("rank").max().over("athlete_id", "day", "chart")
    first = pl.int_range(pl.len()).over("athlete_id", "day", "chart", "rank") == 0
    return (
        marked.with_columns((top & first).alias("top"))
        .drop(*MARKER_COLUMN.values(), "load_trimp")
        .sort("athlete_id", "day", "rank")
        .drop("rank")
    )


def last_data(nightly: pl.DataFrame, daily: pl.DataFrame) -> dict[str, date]:
    """Each athlete's last day with any data: the latest night or day record."""
    days = pl.concat(
        [
            nightly.select("athlete_id", pl.col("night").alias("day")),
            daily.select("athlete_id", "day"),
        ]
    )
    last = days.group_by("athlete_id").agg(pl.col("day").max())
    return dict(last.iter_rows())


def nights_without_data(last_day: date | None, now: datetime, time_zone: str | None) -> int | None:
    """Nights since `last_day` up to this morning in the athlete's zone: 0 when last night is
    there, 1 when it is missing, ...; None for an athlete without any data."""
    if last_day is None:
        return None
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return max(0, (now.astimezone(zone).date() - last_day).days)


def weekly_load(daily: pl.DataFrame) -> pl.DataFrame:
    """Training load per athlete and ISO week (Monday start): sums, training and rest days."""
    return (
        daily.with_columns(pl.col("day").dt.truncate("1w").alias("week"))
        .group_by("athlete_id", "week")
        .agg(
            pl.col("load_trimp").sum().alias("trimp"),
            pl.col("strength_load").sum().alias("strength"),
            (~pl.col("is_rest_day")).sum().alias("training_days"),
            pl.col("is_rest_day").sum().alias("rest_days"),
        )
        .with_columns((pl.col("week") + timedelta(days=7)).alias("week_end"))
        .sort("athlete_id", "week")
    )


def last_nights(nightly: pl.DataFrame, n: int = SPARK_NIGHTS) -> pl.DataFrame:
    """The calendar nights (last night − n + 1 … last night) of each athlete, for sparklines.

    Every calendar night gets a row (missing ones null), so a night without data is a gap in
    the sparkline rather than a line drawn across it.
    """
    if nightly.height == 0:
        return nightly
    calendar = (
        nightly.group_by("athlete_id")
        .agg(pl.col("night").max().alias("last"))
        .with_columns(
            pl.date_ranges(pl.col("last") - timedelta(days=n - 1), pl.col("last")).alias("night")
        )
        .explode("night")
        .drop("last")
    )
    return calendar.join(nightly, on=["athlete_id", "night"], how="left").sort(
        "athlete_id", "night"
    )


def worst_flag(flags: pl.DataFrame) -> pl.DataFrame:
    """Per athlete, day and chart: the most severe flag's severity (for coloured points)."""
    if flags.height == 0:
        return pl.DataFrame(
            schema={"athlete_id": pl.String, "day": pl.Date, "chart": pl.String, "sev": pl.String}
        )
    rank = pl.col("severity").replace_strict(SEVERITY_ORDER, default=0, return_dtype=pl.Int8)
    return (
        flags.with_columns(
            pl.col("rule_id").map_elements(chart_of, return_dtype=pl.String).alias("chart"),
            rank.alias("rank"),
        )
        .sort("rank", descending=True)
        .group_by("athlete_id", "day", "chart", maintain_order=True)
        .agg(pl.col("severity").first().alias("sev"))
    )
