"""The nightly flow: raw tables -> nightly and daily metrics -> rules -> daily_flags,
rule_evaluability and flag_episodes.

Incremental by default: only athletes with data loaded since the last run are recomputed, and
for each only the days that data touches plus the days those feed (baselines, streaks, rolling
loads). Raw samples are read only for the touched days (see `metrics.recompute`); the days
around them come from the stored nightly and daily tables. `--rebuild` recomputes everything
from raw samples and gives identical results. Each group of athletes
is written in one transaction, so a crash mid-run leaves the previous results intact and the
next run (which still sees the same files as new) completes them. An athlete with a
configuration problem (`athlete_problems`, warehouse.athlete_config) is skipped, and one on
whom the computation fails is skipped alone; every other athlete is computed.
"""

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from alerts import AlertConfig, load_config, send_alerts
from alerts.artifact import digest_markdown, digest_rows
from alerts.config import ConfigError
from metrics.recompute import RAW_DAYS_AFTER, RAW_TABLES, recompute
from rules.catalogue import RuleSet
from rules.episodes import episodes
from rules.evaluability import evaluability
from rules.evaluate import configured_ruleset, evaluate
from warehouse.athlete_config import clear_problem, failed_before, note_problem, stored_problems
from warehouse.db import writer
from warehouse.read import (
    athlete_ids,
    athletes_frame,
    pending_spans,
    sample_rows,
    table_frame,
    windowed_frame,
)
from warehouse.sql import frame, one, run
from warehouse.write import inside_windows, replace_derived, replace_episodes, set_trimp

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
    #: athletes not computed, and why: a configuration problem (athlete_problems), or the
    #: computation failed on them alone (computed in full on the next run)
    skipped: dict[str, str] = field(default_factory=dict)
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
        inputs["files"] = frame(  # vendor and device, named in HRV messages
            con,
            "SELECT file_id, vendor, device FROM files WHERE list_contains(?, athlete_id)",
            [windows["athlete_id"].to_list()],
        )
    return inputs


def compute(
    inputs: dict[str, pl.DataFrame],
    windows: pl.DataFrame,
    computed_at: datetime,
    ruleset: RuleSet | None = None,
) -> dict[str, pl.DataFrame]:
    athletes = inputs["athletes"]
    derived = recompute(
        {t: inputs[t] for t in RAW_TABLES},
        inputs["activities"],
        athletes,
        inputs["nightly_metrics"],
        inputs["daily_metrics"],
        windows.select("athlete_id", "raw_lo", "raw_hi"),
        inputs.get("files"),
    )
    nightly = derived.nightly.with_columns(computed_at=pl.lit(computed_at))
    daily = derived.daily.with_columns(computed_at=pl.lit(computed_at))
    extra = {k: inputs[k] for k in ("wellness", "lab_results", "athletes", "files")}
    ruleset = ruleset or configured_ruleset()
    flags = evaluate(nightly, daily, ruleset, computed_at, extra=extra)
    return {
        "activities": derived.activities,
        "nightly_metrics": nightly,
        "daily_metrics": daily,
        "flags": flags,
        "rule_evaluability": evaluability(nightly, daily, ruleset, extra),
    }


def store(
    db: str | None,
    windows: pl.DataFrame,
    results: dict[str, pl.DataFrame],
    computed_at: datetime,
    ruleset: RuleSet | None = None,
) -> dict[str, int]:
    """Write the window's derived rows, then the touched athletes' episodes, recomputed whole
    from their stored flags (an episode may start before the window) with the episode policy
    of the rule file in force."""
    with writer(db) as con:
        set_trimp(con, results["activities"])
        counts = replace_derived(
            con,
            windows,
            {
                "nightly_metrics": results["nightly_metrics"],
                "daily_metrics": results["daily_metrics"],
                "daily_flags": results["flags"],
                "rule_evaluability": results["rule_evaluability"],
            },
        )
        ids = windows["athlete_id"].to_list()
        stored = table_frame(con, "daily_flags", ids)
        last_data = frame(
            con,
            "SELECT athlete_id, max(d) AS last_day FROM (SELECT athlete_id, night AS d "
            "FROM nightly_metrics UNION ALL SELECT athlete_id, day FROM daily_metrics) "
            "WHERE list_contains(?, athlete_id) GROUP BY 1",
            [ids],
        )
        policy = (ruleset or configured_ruleset()).episodes
        eps = episodes(stored, last_data, policy, computed_at)
        counts["flag_episodes"] = replace_episodes(con, ids, eps)
        return counts


@task(name="nightly-chunk")
def process_chunk(
    db: str | None, chunk: pl.DataFrame, computed_at: datetime, ruleset: RuleSet
) -> tuple[dict[str, int], pl.DataFrame]:
    """Read, compute and store one group of athletes; return only counts and its new flags.

    One task per group, returning little: Prefect keeps a task's result referenced for the
    run, so returning raw frames would let memory grow with every group.
    """
    results = compute(read_inputs(db, chunk), chunk, computed_at, ruleset)
    counts = store(db, chunk, results, computed_at, ruleset)
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


def _ruleset_changed(con: duckdb.DuckDBPyConnection, version: str) -> bool:
    """True when the last nightly run used another rule file (or predates recording it):
    every athlete's flags then follow the new thresholds from the next run on."""
    last = one(con, "SELECT ruleset_version FROM nightly_runs ORDER BY started_at DESC LIMIT 1")
    return last is not None and last[0] != version


def _plan(
    db: str | None, rebuild: bool, since: date | None, ruleset_version: str
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int], dict[str, str], bool]:
    """The windows to recompute, the flags as they were (to tell which flags are new), each
    athlete's raw samples to read (to size the chunks), the athletes skipped for a
    configuration problem, with why, and whether it is a full rebuild (asked for, or the rule
    file in force changed)."""
    with writer(db) as con:
        skipped, cleared = stored_problems(con)
        spans = pending_spans(con)
        retried = [a for a in {*failed_before(con), *cleared} if a not in skipped]
        rebuild = rebuild or _ruleset_changed(con, ruleset_version)
        if rebuild or retried:
            again = athlete_ids(con) if rebuild else sorted(retried)
            spans = pl.concat(
                [
                    spans.filter(~pl.col("athlete_id").is_in(again)),
                    pl.DataFrame({"athlete_id": again}, schema={"athlete_id": pl.String})
                    .with_columns(
                        first_ts=pl.lit(None, pl.Datetime("us", "UTC")),
                        last_ts=pl.lit(None, pl.Datetime("us", "UTC")),
                        full=pl.lit(True),
                    )
                    .select(spans.columns)
                    .cast(dict(spans.schema)),
                ]
            ).sort("athlete_id")
        spans = spans.filter(~pl.col("athlete_id").is_in(list(skipped)))
        windows = windows_for(spans, since)
        sizes = sample_rows(con, windows)
        before = table_frame(con, "daily_flags", spans["athlete_id"].to_list())
    return windows, before, sizes, skipped, rebuild


def _run_chunk(
    db: str | None,
    chunk: pl.DataFrame,
    started_at: datetime,
    summary: NightlySummary,
    ruleset: RuleSet,
) -> list[pl.DataFrame]:
    """Compute one group; when it fails, each of its athletes alone, so an athlete whose data
    breaks the computation is skipped (recorded, retried in full next run), not the others."""
    try:
        counts, chunk_flags = process_chunk(db, chunk, started_at, ruleset)
    except Exception as exc:  # noqa: BLE001 - one athlete never stops the others
        if chunk.height > 1:
            return [
                f
                for i in range(chunk.height)
                for f in _run_chunk(db, chunk[i], started_at, summary, ruleset)
            ]
        athlete = chunk["athlete_id"][0]
        why = f"the nightly computation failed ({type(exc).__name__}); retried in full next run"
        with writer(db) as con:
            note_problem(con, athlete, "nightly", why)
        summary.skipped[athlete] = why
        return []
    with writer(db) as con:
        for athlete in chunk["athlete_id"]:
            clear_problem(con, athlete, "nightly", recompute=False)
    for table, n in counts.items():
        summary.rows[table] = summary.rows.get(table, 0) + n
    return [chunk_flags]


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
    rules: str | None = None,
    report_url: str | None = None,
) -> NightlySummary:
    """Recompute metrics and flags for what changed since the last run (all with `rebuild`,
    or when the rule file in force changed); publish the digest as an artifact and alert the
    configured receivers; with `report_dir`, also write the report there (linked from the run
    when `report_url` serves it). `rules`: a user's rule file (else $HERSTEL_RULES, else the
    packaged one), checked before anything is read."""
    os.umask(0o077)  # health data: the warehouse WAL and report pages are owner-only
    logger = get_run_logger()
    ruleset = configured_ruleset(rules)
    started_at = datetime.now(UTC)
    windows, before, sizes, skipped, rebuild = _plan(db, rebuild, since, ruleset.version)
    summary = NightlySummary(athletes=windows["athlete_id"].to_list(), skipped=skipped)
    summary.mode = "rebuild" if rebuild else "incremental"
    flags = []
    for chunk in _chunks(windows, sizes):
        flags += _run_chunk(db, chunk, started_at, summary, ruleset)
    summary.athletes = [a for a in summary.athletes if a not in summary.skipped]
    with writer(db) as con:
        run(
            con,
            "INSERT INTO nightly_runs (started_at, finished_at, athletes, mode, ruleset_version) "
            "VALUES (?, ?, ?, ?, ?)",
            [started_at, datetime.now(UTC), len(summary.athletes), summary.mode, ruleset.version],
        )
    after = pl.concat(flags) if flags else before.clear()
    summary.new_flags = _new_flags(before, after)
    if report_dir:
        summary.report = publish_report(db, report_dir, lang, report_url)
    config = _alert_config()
    publish_digest(db, started_at, lang, config.stale_after_nights, report_url)
    summary.alerts = alert_receivers(db, config, started_at, report_url)
    logger.info(
        "nightly: %d athletes recomputed (%s), %d skipped",
        len(summary.athletes),
        summary.mode,
        len(summary.skipped),
    )
    return summary
