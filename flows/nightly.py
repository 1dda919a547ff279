"""The nightly flow: raw tables -> nightly and daily metrics -> rules -> daily_flags.

By default it recomputes only athletes with files recorded since their last nightly run, and
writes each athlete's rows in one transaction (a crash leaves yesterday's flags intact).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import polars as pl
from prefect import flow, get_run_logger, task

from metrics.load import activity_trimp, daily_metrics
from metrics.nightly import nightly_metrics
from rules.catalogue import load_ruleset
from rules.evaluate import evaluate
from warehouse.db import writer
from warehouse.read import athlete_ids, stale_athletes, table_frame
from warehouse.write import replace_derived, set_trimp

#: Athletes computed together: bounds memory on large studies, keeps polars vectorised.
ATHLETES_PER_CHUNK = 25

INPUT_TABLES = (
    "athletes",
    "sleep_stages",
    "heart_rate",
    "rr_intervals",
    "hrv_samples",
    "device_summaries",
    "activities",
    "wellness",
)


@dataclass
class NightlySummary:
    athletes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    new_flags: pl.DataFrame | None = None


@task(name="read-inputs")
def read_inputs(db: str | None, athletes: list[str]) -> dict[str, pl.DataFrame]:
    with writer(db) as con:
        return {t: table_frame(con, t, athletes) for t in INPUT_TABLES}


@task(name="compute-metrics-and-flags")
def compute(inputs: dict[str, pl.DataFrame], computed_at: datetime) -> dict[str, pl.DataFrame]:
    nightly = nightly_metrics(
        inputs["sleep_stages"],
        inputs["heart_rate"],
        inputs["rr_intervals"],
        inputs["hrv_samples"],
        inputs["device_summaries"],
        inputs["athletes"],
    ).with_columns(computed_at=pl.lit(computed_at))
    trimp = activity_trimp(
        inputs["activities"], inputs["heart_rate"], inputs["athletes"], nightly=nightly
    )
    daily = daily_metrics(trimp, inputs["athletes"], nightly).with_columns(
        computed_at=pl.lit(computed_at)
    )
    flags = evaluate(nightly, daily, load_ruleset(), computed_at)
    return {"activities": trimp, "nightly_metrics": nightly, "daily_metrics": daily, "flags": flags}


@task(name="store-results")
def store(
    db: str | None, athletes: list[str], results: dict[str, pl.DataFrame], since: date | None
) -> dict[str, int]:
    with writer(db) as con:
        set_trimp(con, results["activities"])
        return replace_derived(
            con,
            athletes,
            {
                "nightly_metrics": results["nightly_metrics"],
                "daily_metrics": results["daily_metrics"],
                "daily_flags": results["flags"],
            },
            since,
        )


def _new_warnings(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    keys = ["athlete_id", "day", "rule_id", "severity"]
    return after.join(before.select(keys), on=keys, how="anti").sort("athlete_id", "day")


@flow(name="herstel-nightly")
def nightly(
    db: str | None = None, since: date | None = None, rebuild: bool = False
) -> NightlySummary:
    """Recompute metrics and flags for athletes with new data (all of them with `rebuild`)."""
    logger = get_run_logger()
    with writer(db) as con:
        athletes = athlete_ids(con) if rebuild else stale_athletes(con)
        before = table_frame(con, "daily_flags", athletes)
    summary = NightlySummary(athletes=athletes)
    computed_at = datetime.now(UTC)
    chunks = [
        athletes[i : i + ATHLETES_PER_CHUNK] for i in range(0, len(athletes), ATHLETES_PER_CHUNK)
    ]
    flags = []
    for chunk in chunks:
        results = compute(read_inputs(db, chunk), computed_at)
        for table, n in store(db, chunk, results, since).items():
            summary.rows[table] = summary.rows.get(table, 0) + n
        flags.append(results["flags"])
    after = pl.concat(flags) if flags else before.clear()
    summary.new_flags = _new_warnings(before, after)
    logger.info("nightly: %d athletes recomputed, %s", len(athletes), summary.rows)
    return summary
