"""The ingest flow: find the files, parse them in parallel Prefect tasks, load each atomically.

Parsing runs in batches of files per task (a task run costs ~2.5 ms of orchestration, and a study
has tens of thousands of small daily files). Loading stays in the flow's process: DuckDB has one
writer, and each file is one transaction.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task, unmapped

from parsers.inputs import ParseResult, parse_input
from parsers.study import athletes_files, discover, read_athletes
from warehouse.db import writer
from warehouse.load import FileOutcome, load_file, offset_to_zone, upsert_athlete
from warehouse.sql import run

#: Files per parse task: large enough to amortise task overhead, small enough to spread work.
BATCH_FILES = 64


@task(name="parse-files")
def parse_batch(
    batch: list[tuple[str, str | None]], known: frozenset[str], engine: str, zones: dict
) -> list[ParseResult]:
    return [
        result
        for path, athlete in batch
        for result in parse_input(path, athlete, known, engine, zones.get(athlete))
    ]


def _register_athletes(db: str | None, roots: list[Path], athletes: set[str], tz: str | None):
    with writer(db) as con:
        for path in athletes_files(roots):
            for row in read_athletes(path).iter_rows(named=True):
                upsert_athlete(
                    con,
                    row["athlete_id"],
                    tz or row["time_zone"],
                    "option" if tz else "athletes_file",
                    birth_year=row["birth_year"],
                    sex=row["sex"],
                    hr_max=row["hr_max"],
                )
        for athlete in sorted(athletes):
            upsert_athlete(con, athlete, tz, "option" if tz else "default_utc")
        known = frozenset(r[0] for r in run(con, "SELECT DISTINCT file_id FROM files"))
        zones = dict(run(con, "SELECT athlete_id, time_zone FROM athletes"))
        return known, zones


def _load(db: str | None, results: list[ParseResult]) -> list[FileOutcome]:
    outcomes = []
    with writer(db) as con:
        for r in results:
            if r.parsed is not None and r.athlete_id is not None:
                zone = offset_to_zone(r.parsed.utc_offset_s)
                if zone:
                    upsert_athlete(con, r.athlete_id, zone, "fit_offset")
            outcomes.append(
                load_file(
                    con,
                    file_id=r.file_id,
                    path=r.path,
                    athlete_id=r.athlete_id,
                    size_bytes=r.size_bytes,
                    parsed=r.parsed,
                    error=r.error,
                )
            )
    return outcomes


@flow(name="herstel-ingest", log_prints=False)
def ingest(
    paths: list[str],
    db: str | None = None,
    athlete: str | None = None,
    tz: str | None = None,
    engine: str = "fast",
) -> list[FileOutcome]:
    """Ingest files or study folders; every file ends in exactly one recorded state."""
    logger = get_run_logger()
    roots = [Path(p) for p in paths]
    files = discover(roots, athlete)
    athletes = {f.athlete_id for f in files if f.athlete_id}
    known, zones = _register_athletes(db, roots, athletes, tz)
    logger.info("ingest: %d files found, %d contents already recorded", len(files), len(known))
    jobs = [(str(f.path), f.athlete_id) for f in files]
    batches = [jobs[i : i + BATCH_FILES] for i in range(0, len(jobs), BATCH_FILES)]
    futures = parse_batch.map(
        batches, known=unmapped(known), engine=unmapped(engine), zones=unmapped(zones)
    )
    outcomes: list[FileOutcome] = []
    for future in futures:
        outcomes.extend(_load(db, future.result()))
    statuses: dict[str, int] = {}
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
    logger.info("ingest: %s", ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    return outcomes
