"""The nightly flow: raw tables -> nightly and daily metrics -> rules -> daily_flags.

Incremental by default: only athletes with data loaded since the last run are recomputed, and
for each only the days that data touches plus the days those feed (baselines, streaks, rolling
loads). Raw samples are read only for the touched days (see `metrics.recompute`); the days
around them come from the stored nightly and daily tables. `--rebuild` recomputes everything
from raw samples and gives identical results. Each group of athletes
is written in one transaction, so a crash mid-run leaves the previous results intact and the
next run (which still sees the same files as new) completes them.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from alerts import AlertConfig, load_config, send_alerts
from alerts.artifact import digest_markdown, digest_rows
from alerts.config import ConfigError
from metrics.recompute import RAW_DAYS_AFTER, RAW_TABLES, recompute
from rules.catalogue import load_ruleset
from rules.evaluate import evaluate
from warehouse.db import writer
from warehouse.read import (
    athlete_ids,
    athletes_frame,
    pending_spans,
    sample_rows,
    table_frame,
    windowed_frame,
)
from warehouse.sql import run
from warehouse.write import inside_windows, replace_derived, set_trimp

#: Athletes computed together: at most this many, and at most ROWS_PER_CHUNK raw samples
#: between them (an athlete with a year of beat-to-beat data has ~10 million), so memory is
#: bounded by the largest athlete rather than by the study. The raw samples decide for a full
#: computation (about 6 athlete-years of minute HR per group); an increment reads a few days
#: per athlete, so up to ATHLETES_PER_CHUNK go together and a club's run is one group (each
#: group costs a Prefect task and a pass of the rules: 17 groups of 6 took 7 s for 100
#: athletes where 4 of 25 took 3 s).
ATHLETES_PER_CHUNK = 200
ROWS_PER_CHUNK = 3_000_000
#: How far back a day's results look, in days: the 60-night HRV baseline + 7-night mean, the
#: 28-day chronic load, and heavy-week streaks, whose "usual week" can reach back ~21 weeks.
#: Reads start this much before the first changed day.
LOOKBACK_DAYS = 150
#: How far forward a changed day can change results (later nights' baselines, rolling loads,
#: the usual week of later heavy-week streaks), in days: rewritten this far past the last.
INFLUENCE_DAYS = 150

#: Tables read over the whole window (look-back included); raw samples are read only for the
#: raw days, and the stored derived tables only for athletes computed before.
WINDOW_TABLES = ("activities", "wellness", "lab_results")
STORED_TABLES = ("nightly_metrics", "daily_metrics")
#: Margin around the raw days when reading raw samples, in days: a night's main sleep starts
#: the evening before, and local days differ from UTC days by up to 14 hours.
RAW_MARGIN_DAYS = 2


@dataclass
class NightlySummary:
    athletes: list[str] = field(default_factory=list)
    mode: str = "incremental"
    rows: dict[str, int] = field(default_factory=dict)
    new_flags: pl.DataFrame | None = None
    report: str | None = None
    #: (receiver with secrets masked, items, error or None) per receiver messaged
    alerts: list[tuple[str, int, str | None]] = field(default_factory=list)


def windows_for(spans: pl.DataFrame, since: date | None) -> pl.DataFrame:
    """Per athlete: the local days to rewrite, the raw days to compute from raw samples, and
    the UTC spans to read for each.

    A full athlete (never computed, or a rebuild) reads and rewrites everything (nulls).
    One day of margin on each side covers any time-zone offset between UTC and local days.
    Raw days run from the first touched day to RAW_DAYS_AFTER past the last.
    """
    first_day = pl.col("first_ts").dt.date() - timedelta(days=1)
    last_day = pl.col("last_ts").dt.date() + timedelta(days=1)
    full = pl.col("full")
    write_lo = pl.when(full).then(None).otherwise(first_day)
    if since is not None:
        write_lo = pl.max_horizontal(write_lo, pl.lit(since)).fill_null(pl.lit(since))
    write_hi = pl.when(full).then(None).otherwise(last_day + timedelta(days=INFLUENCE_DAYS))
    raw_hi = pl.when(full).then(None).otherwise(last_day + RAW_DAYS_AFTER)
    out = spans.with_columns(
        write_lo=write_lo,
        write_hi=write_hi,
        raw_lo=pl.when(full).then(None).otherwise(write_lo),
        raw_hi=raw_hi,
    )
    read_lo = _utc(pl.col("write_lo") - timedelta(days=LOOKBACK_DAYS + 1))
    read_hi = _utc(pl.col("write_hi") + timedelta(days=2))
    margin = timedelta(days=RAW_MARGIN_DAYS)
    return out.with_columns(
        read_lo=read_lo,
        read_hi=read_hi,
        raw_read_lo=pl.when(full).then(read_lo).otherwise(_utc(pl.col("raw_lo") - margin)),
        raw_read_hi=pl.when(full).then(read_hi).otherwise(_utc(pl.col("raw_hi") + margin)),
    ).select(
        "athlete_id", "write_lo", "write_hi", "raw_lo", "raw_hi",
        "read_lo", "read_hi", "raw_read_lo", "raw_read_hi",
    )  # fmt: skip


def _utc(day: pl.Expr) -> pl.Expr:
    return day.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def read_inputs(db: str | None, windows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Raw samples over the raw spans, the rest over the whole window, and the stored
    derived rows of athletes computed before (a full athlete's raw days are unbounded)."""
    raw_spans = windows.select("athlete_id", read_lo="raw_read_lo", read_hi="raw_read_hi")
    computed_before = windows.filter(pl.col("raw_lo").is_not_null())
    with writer(db) as con:
        inputs = {"athletes": athletes_frame(con, windows["athlete_id"].to_list())}
        inputs |= {t: windowed_frame(con, t, windows) for t in WINDOW_TABLES}
        inputs |= {t: windowed_frame(con, t, raw_spans) for t in RAW_TABLES}
        inputs |= {t: windowed_frame(con, t, computed_before) for t in STORED_TABLES}
    return inputs


def compute(
    inputs: dict[str, pl.DataFrame], windows: pl.DataFrame, computed_at: datetime
) -> dict[str, pl.DataFrame]:
    athletes = inputs["athletes"]
    derived = recompute(
        {t: inputs[t] for t in RAW_TABLES},
        inputs["activities"],
        athletes,
        inputs["nightly_metrics"],
        inputs["daily_metrics"],
        windows.select("athlete_id", "raw_lo", "raw_hi"),
    )
    nightly = derived.nightly.with_columns(computed_at=pl.lit(computed_at))
    daily = derived.daily.with_columns(computed_at=pl.lit(computed_at))
    extra = {k: inputs[k] for k in ("wellness", "lab_results", "athletes")}
    flags = evaluate(nightly, daily, load_ruleset(), computed_at, extra=extra)
    return {
        "activities": derived.activities,
        "nightly_metrics": nightly,
        "daily_metrics": daily,
        "flags": flags,
    }


def store(
    db: str | None, windows: pl.DataFrame, results: dict[str, pl.DataFrame]
) -> dict[str, int]:
    with writer(db) as con:
        set_trimp(con, results["activities"])
        return replace_derived(
            con,
            windows,
            {
                "nightly_metrics": results["nightly_metrics"],
                "daily_metrics": results["daily_metrics"],
                "daily_flags": results["flags"],
            },
        )


@task(name="nightly-chunk")
def process_chunk(
    db: str | None, chunk: pl.DataFrame, computed_at: datetime
) -> tuple[dict[str, int], pl.DataFrame]:
    """Read, compute and store one group of athletes; return only counts and its new flags.

    One task per group, returning little: Prefect keeps a task's result referenced for the
    run, so returning raw frames would let memory grow with every group.
    """
    results = compute(read_inputs(db, chunk), chunk, computed_at)
    counts = store(db, chunk, results)
    return counts, inside_windows(results["flags"], chunk, "day")


def _chunks(windows: pl.DataFrame, sizes: dict[str, int]) -> list[pl.DataFrame]:
    """Groups of athletes within the athlete and row budgets, in athlete order."""
    groups: list[list[int]] = [[]]
    rows = 0
    for i, athlete in enumerate(windows["athlete_id"]):
        n = sizes.get(athlete, 0)
        if groups[-1] and (len(groups[-1]) >= ATHLETES_PER_CHUNK or rows + n > ROWS_PER_CHUNK):
            groups.append([])
            rows = 0
        groups[-1].append(i)
        rows += n
    return [windows[g] for g in groups if g]


def _new_flags(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    keys = ["athlete_id", "day", "rule_id", "severity"]
    return after.join(before.select(keys), on=keys, how="anti").sort("athlete_id", "day")


def _plan(
    db: str | None, rebuild: bool, since: date | None
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """The windows to recompute, the flags as they were (to tell which flags are new), and
    each athlete's raw samples to read (to size the chunks)."""
    with writer(db) as con:
        spans = pending_spans(con)
        if rebuild:
            everyone = pl.DataFrame(
                {"athlete_id": athlete_ids(con)}, schema={"athlete_id": pl.String}
            )
            spans = everyone.with_columns(
                first_ts=pl.lit(None, pl.Datetime("us", "UTC")),
                last_ts=pl.lit(None, pl.Datetime("us", "UTC")),
                full=pl.lit(True),
            )
        windows = windows_for(spans, since)
        sizes = sample_rows(con, windows)
        before = table_frame(con, "daily_flags", spans["athlete_id"].to_list())
    return windows, before, sizes


@task(name="write-report")
def publish_report(db: str | None, report_dir: str, lang: str, report_url: str | None) -> str:
    """Write the HTML report; link it from the flow run when it is served over http (a
    browser will not open a file:// link from the Prefect UI)."""
    from report import write_report  # altair: only runs that write a report pay for it

    index = write_report(db, Path(report_dir), lang=lang)
    if report_url:
        create_link_artifact(
            key="herstel-report",
            link=report_url,
            link_text="Team recovery report",
            description="The herstel report written by this nightly run.",
        )
    return str(index)


@task(name="publish-digest")
def publish_digest(
    db: str | None, now: datetime, lang: str, stale_after_nights: int, report_url: str | None
) -> int:
    """The digest as a markdown and a table artifact (ids, rules, dates: no health values)."""
    with writer(db) as con:
        rows = digest_rows(con, now, lang, stale_after_nights)
    create_markdown_artifact(
        key="herstel-digest",
        markdown=digest_markdown(rows, lang, report_url),
        description="Open warnings and watches, and athletes without new data",
    )
    if rows:
        create_table_artifact(key="herstel-digest-table", table=rows)
    return len(rows)


@task(name="send-alerts")
def alert_receivers(
    db: str | None, config: AlertConfig, run_at: datetime, report_url: str | None
) -> list[tuple[str, int, str | None]]:
    """One message per configured receiver; a receiver that fails is logged and retried by
    the next run, and never fails this one."""
    result = send_alerts(db, config, run_at, report_url=report_url)
    for d in result.failed:
        get_run_logger().warning("alert to %s failed, retried next run: %s", d.receiver, d.error)
    return [(d.receiver, d.items, d.error) for d in result.deliveries]


def _alert_config() -> AlertConfig:
    try:
        return load_config()
    except ConfigError as exc:  # a broken config must not cost the night's results
        get_run_logger().warning("alerts not sent: %s", exc)
        return AlertConfig()


@flow(name="herstel-nightly")
def nightly(
    db: str | None = None,
    since: date | None = None,
    rebuild: bool = False,
    report_dir: str | None = None,
    lang: str = "en",
    report_url: str | None = None,
) -> NightlySummary:
    """Recompute metrics and flags for what changed since the last run (all with `rebuild`);
    publish the digest as an artifact and alert the configured receivers; with `report_dir`,
    also write the report there (linked from the run when `report_url` serves it)."""
    logger = get_run_logger()
    started_at = datetime.now(UTC)
    windows, before, sizes = _plan(db, rebuild, since)
    summary = NightlySummary(athletes=windows["athlete_id"].to_list())
    summary.mode = "rebuild" if rebuild else "incremental"
    flags = []
    for chunk in _chunks(windows, sizes):
        counts, chunk_flags = process_chunk(db, chunk, started_at)
        for table, n in counts.items():
            summary.rows[table] = summary.rows.get(table, 0) + n
        flags.append(chunk_flags)
    with writer(db) as con:
        run(
            con,
            "INSERT INTO nightly_runs VALUES (?, ?, ?, ?)",
            [started_at, datetime.now(UTC), len(summary.athletes), summary.mode],
        )
    after = pl.concat(flags) if flags else before.clear()
    summary.new_flags = _new_flags(before, after)
    if report_dir:
        summary.report = publish_report(db, report_dir, lang, report_url)
    config = _alert_config()
    publish_digest(db, started_at, lang, config.stale_after_nights, report_url)
    summary.alerts = alert_receivers(db, config, started_at, report_url)
    logger.info("nightly: %d athletes recomputed (%s)", len(summary.athletes), summary.mode)
    return summary
