"""The ingest flow: find the files, parse them in parallel Prefect tasks, load each atomically.

Parsing runs in batches of files per task (a task run costs ~2.5 ms of orchestration, and a study
has tens of thousands of small daily files); a batch's frames are cleaned together, one polars
pass per table, and loaded together, one Arrow append per table (docs/scaling.md). Loading stays
in the flow's process: DuckDB has one writer, a batch is one transaction (a file that cannot be
stored is retried alone), and the database file is held only while a batch loads.
"""

import os
from collections import deque
from collections.abc import Callable
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from pydantic import SecretStr

from flows import progress
from parsers.inputs import Job, ParseResult, parse_input, parse_inputs
from parsers.paths import athlete_id_problem, clean_text, scrub_path
from parsers.study import (
    InputFile,
    athletes_files,
    content_id,
    discover,
    load_key,
    pseudonym,
    read_athletes,
    read_time_zones,
    time_zones_files,
)
from parsers.vendors import known_vendors
from parsers.version import PARSER_VERSION
from warehouse.athlete_config import (
    STUDY_DEFAULT_ROW,
    check_athletes,
    clear_problem,
    note_problem,
    study_default,
    zone_problem,
)
from warehouse.db import writer
from warehouse.load import (
    FileOutcome,
    Incoming,
    load_files,
    offset_to_zone,
    set_time_zones,
    upsert_athlete,
)
from warehouse.sql import run
from warehouse.staging import stage, unstage

#: Files per parse task (and per load transaction) at most: large enough to amortise task
#: overhead, the warehouse connection (~60 ms to open) and the per-batch polars passes of
#: cleaning and loading (docs/scaling.md), small enough to spread work over workers.
BATCH_FILES = 256
#: Bytes of input per batch at most (64 files of 250 KB): a batch of big files holds no more
#: than that, where 64 big files could hold far more before, so data in flight does not grow.
BATCH_BYTES = 16_000_000
#: Parse batches submitted ahead of the loader; bounds the parsed data held in memory.
MAX_IN_FLIGHT = 8
#: Below this many files, worker processes cost more to start than they save: a worker takes
#: ~3 s to start (imports), a small daily file ~7 ms of parse CPU, so two workers pay off from
#: about a thousand files (bench/scale.py: 201 files took 7.3 s in processes, 51 took 2.6 s).
PROCESS_POOL_MIN_FILES = 1000


@task(name="parse-files")
def parse_batch(
    batch: list[Job],
    known: frozenset[tuple[str | None, str]],
    engine: str,
    zones: dict[str, str],
    staging: str | None = None,
) -> list[ParseResult]:
    """Parse a batch; with `staging`, write the frames there and return only their URIs."""
    os.umask(0o077)  # a worker process (or a Dask worker) stages health data: owner only
    results = parse_inputs(batch, known, engine, zones)  # cleaned together, one pass per table
    if staging:
        results = [stage(r, staging) for r in results]
    return results


def batched(jobs: list[Job], max_files: int = BATCH_FILES,
            max_bytes: int = BATCH_BYTES) -> list[list[Job]]:
    """Jobs in order, cut into batches of at most `max_files` files and `max_bytes` bytes
    (a file bigger than that is a batch of its own)."""
    batches: list[list[Job]] = []
    size = 0
    for job in jobs:
        try:
            nbytes = os.stat(job[0]).st_size
        except OSError:
            nbytes = 0  # unreadable: its parse says why
        if not batches or len(batches[-1]) >= max_files or size + nbytes > max_bytes:
            batches.append([])
            size = 0
        batches[-1].append(job)
        size += nbytes
    return batches


def _known(con, retry: bool) -> frozenset[tuple[str | None, str]]:
    """(athlete, content) pairs not to parse again: recorded, and not due for a retry."""
    return frozenset(
        run(
            con,
            "SELECT athlete_id, file_id FROM files GROUP BY ALL HAVING NOT bool_or("
            "(status = 'quarantined' AND (? OR parser_version IS DISTINCT FROM ?)) "
            "OR (status = 'partial' AND ?))",
            [retry, PARSER_VERSION, retry],
        )
    )


def _register_athletes(
    db: str | None,
    roots: list[Path],
    files: list[InputFile],
    tz: str | None,
    rename,
    retry: bool = False,
) -> tuple[frozenset[tuple[str | None, str]], dict[str, str]]:
    """Athletes from athletes.csv, time_zones.csv and the folders; returns known contents and
    home time zones. A row with a bad value is refused for its athlete alone and listed in
    `athlete_problems` (warehouse.athlete_config); the others are stored."""
    travel = [read_time_zones(p, zone_problem) for p in time_zones_files(roots)]
    with writer(db) as con:
        vendors = _vendor_names(con)
        listed: set[str] = set()
        default: tuple[str | None, str | None] | None = None  # the `*` row of athletes.csv
        for path in athletes_files(roots):
            rows = read_athletes(path)
            accepted, refused = check_athletes(rows, tz, vendors)
            if rows.filter(pl.col("athlete_id") == STUDY_DEFAULT_ROW).height:
                priority, why = study_default(rows, vendors)
                default = (priority, why and f"{path.name}: {why}")
            for row in accepted:
                who, zone = rename(row.pop("athlete_id")), row.pop("time_zone")
                upsert_athlete(con, who, zone, "option" if tz else "athletes_file", **row)
                clear_problem(con, who, "athletes_file")
                listed.add(who)
            for name, why in refused.items():
                note_problem(con, rename(name), "athletes_file", f"{path.name}: {why}")
                listed.add(rename(name))
        for frame, refused in travel:
            frame = frame.with_columns(
                athlete_id=pl.Series([rename(a) for a in frame["athlete_id"]], dtype=pl.String)
            )
            for athlete in sorted(set(frame["athlete_id"])):
                upsert_athlete(con, athlete, tz, "option" if tz else "default_utc")
                clear_problem(con, athlete, "time_zones_file")
            set_time_zones(con, frame)
            for name, why in refused.items():
                note_problem(con, rename(name), "time_zones_file", why)
        for athlete in sorted({f.athlete_id for f in files if f.athlete_id}):
            upsert_athlete(con, athlete, tz, "option" if tz else "default_utc")
            if default is not None and athlete not in listed:
                _take_default(con, athlete, *default)
        known = _known(con, retry)
        zones = dict(run(con, "SELECT athlete_id, time_zone FROM athletes"))
    return known, zones


def _vendor_names(con) -> frozenset[str]:
    """Vendors a `source_priority` may name: herstel's own and FIT manufacturers
    (`known_vendors`), and any vendor already in the warehouse (a vendor column of a CSV)."""
    seen = {r[0] for r in run(con, "SELECT DISTINCT vendor FROM files WHERE vendor IS NOT NULL "
                                   "UNION SELECT DISTINCT vendor FROM device_summaries "
                                   "WHERE vendor IS NOT NULL")}  # fmt: skip
    return known_vendors() | seen


def _take_default(con, athlete: str, priority: str | None, problem: str | None) -> None:
    """An athlete with a folder but no athletes.csv row takes the study default (`*` row)."""
    if problem:
        note_problem(con, athlete, "athletes_file", problem)
        return
    upsert_athlete(con, athlete, None, "default_utc", source_priority=priority)
    clear_problem(con, athlete, "athletes_file")


def _unstaged(result: ParseResult) -> ParseResult:
    """The result with its frames read back; a staged file that cannot be read ends that
    file (quarantined with the reason), not the batch."""
    try:
        return unstage(result)
    except Exception as exc:  # noqa: BLE001 - one file's trouble never ends the batch
        result.parsed, result.staged = None, {}
        result.error = f"its staged rows could not be read back ({type(exc).__name__})"
        return result


def _load(
    db: str | None,
    results: list[ParseResult],
    retry: bool = False,
    real_names: dict[str, str] | None = None,
) -> list[FileOutcome]:
    """Load parse results (`retry`: replace what earlier runs recorded of them); with
    `real_names` (pseudonym -> folder name: a pseudonymised run) paths and reasons lose the
    real name first (zip member names come from the parse)."""
    results = [_unstaged(r) for r in results]
    if real_names is not None:
        for r in results:
            # a stray file (no athlete) may carry anyone's name: try them all
            names = [r.athlete_id] if r.athlete_id in real_names else list(real_names)
            for alias in names:
                r.path = scrub_path(r.path, real_names[alias], alias)
                r.error = scrub_path(r.error, real_names[alias], alias) if r.error else r.error
            r.path = scrub_path(r.path, None, None)  # e-mail addresses, named or not
            r.error = scrub_path(r.error, None, None) if r.error else r.error
    first_zone: dict[str, str] = {}  # a FIT offset never replaces another: the first counts
    for r in results:
        zone = offset_to_zone(r.parsed.utc_offset_s) if r.parsed else None
        if zone and r.athlete_id is not None:
            first_zone.setdefault(r.athlete_id, zone)
    with writer(db) as con:
        for athlete_id, zone in first_zone.items():
            upsert_athlete(con, athlete_id, zone, "fit_offset")
        batch = [
            Incoming(r.file_id, r.path, r.athlete_id, r.size_bytes, r.parsed, r.error)
            for r in results
        ]
        return load_files(con, batch, retry)


def _parsed(future, batch: list[Job], known, engine: str, zones: dict[str, str]) -> list:
    """A parse task's results; when the task itself failed (a worker died, ran out of
    memory), its files are parsed again one by one here, so only a file that fails alone
    is lost to the run, and that one is recorded with the reason."""
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - Prefect re-raises the task's own exception
        get_run_logger().warning("a parse task failed; parsing its %d files one by one", len(batch))
        return [
            result
            for path, athlete, record_as, alias in batch
            for result in parse_input(
                path, athlete, known, engine, zones.get(athlete), record_as, alias
            )
        ]


def _renamer(key_file: str | None, real_names: dict[str, str]) -> Callable[[str], str] | None:
    """Folder name -> pseudonym (remembered in `real_names`, pseudonym -> name, for this run
    only), or None when not pseudonymising."""
    if key_file is None:
        return None
    key = load_key(Path(key_file))

    def rename(name: str) -> str:
        alias = pseudonym(name, key)
        real_names[alias] = name
        return alias

    return rename


def _refused(files: list[InputFile]) -> list[ParseResult]:
    """Entries refused unread (links out of bounds, FIFOs, bad folder names), as results."""
    return [
        ParseResult(
            f.recorded_path,
            f.athlete_id,
            content_id(f"refused:{f.recorded_path}".encode()),
            0,
            error=f.reason,
        )
        for f in files
        if f.reason is not None
    ]


def _reveal(value):
    """A parameter's value; SecretStr is how a pseudonymised run keeps it out of Prefect."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def task_runner_for(n_files: int, workers: int | None = None, dask_address: str | None = None):
    """A Dask cluster when given one; else processes for a study (fitparse and XML parsing
    hold the GIL), threads for a few files."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    workers = workers or os.cpu_count() or 1
    if n_files >= PROCESS_POOL_MIN_FILES and workers > 1:
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=workers)


@flow(name="herstel-ingest")
def ingest(
    paths: list[str | SecretStr],
    db: str | None = None,
    athlete: str | SecretStr | None = None,
    tz: str | None = None,
    engine: str = "fast",
    pseudonymise_key: str | None = None,
    staging: str | None = None,
    retry: bool = False,
) -> list[FileOutcome]:
    """Ingest files or study folders; every file ends in exactly one recorded state.

    `pseudonymise_key`: path of the key file; athlete folder names are then replaced by stable
    salted ids (`parsers.study.pseudonym`) everywhere, paths included. `staging`: a folder or
    fsspec URL where parse tasks write Parquet for the loader (`warehouse.staging`).
    `retry`: read the quarantined and partial files among `paths` again.
    Prefect records `paths` and `athlete`: pass them as `SecretStr` to keep them out of its
    database (the CLI does when pseudonymising).
    """
    os.umask(0o077)  # health data: every file and folder this run creates is owner-only
    logger = get_run_logger()
    if tz is not None and zone_problem(tz):  # the CLI refuses it first (exit 2)
        raise ValueError(f"--tz: {zone_problem(tz)}")
    roots = [Path(_reveal(p)) for p in paths]
    athlete = _reveal(athlete)
    if athlete is not None and (problem := athlete_id_problem(athlete)):
        raise ValueError(f"athlete {clean_text(athlete, 60)!r}: {problem}")
    real_names: dict[str, str] = {}
    rename = _renamer(pseudonymise_key, real_names)
    scrub = real_names if rename is not None else None
    files = discover(roots, athlete, rename)
    known, zones = _register_athletes(
        db, roots, files, tz, rename or (lambda name: name), retry
    )
    logger.info("ingest: %d files found, %d contents already recorded", len(files), len(known))
    refused = _refused(files)
    outcomes: list[FileOutcome] = _load(db, refused, retry, scrub) if refused else []
    jobs: list[Job] = [
        (str(f.path), f.athlete_id, f.recorded_path, f.alias) for f in files if f.reason is None
    ]
    batches = batched(jobs)
    in_flight: deque = deque()

    def load_oldest() -> None:
        future, batch = in_flight.popleft()
        loaded = _load(db, _parsed(future, batch, known, engine, zones), retry, scrub)
        outcomes.extend(loaded)
        progress.report(loaded)

    for batch in batches:  # a bounded number in flight keeps memory flat as studies grow
        in_flight.append((parse_batch.submit(batch, known, engine, zones, staging), batch))
        if len(in_flight) >= MAX_IN_FLIGHT:
            load_oldest()
    while in_flight:
        load_oldest()
    statuses: dict[str, int] = {}
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
    logger.info("ingest: %s", ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    return outcomes
