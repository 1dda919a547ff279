"""`herstel ingest`: files and study folders into the warehouse."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flows import prefect_env
from flows.cli.app import (
    DbOption,
    Executor,
    FitEngine,
    Lang,
    _check_zone,
    _plain_errors,
    _print_athlete_problems,
    _print_outcomes,
    _probe_warehouse,
    _usage_error,
    app,
)
from parsers.paths import athlete_id_problem, clean_text

DEFAULT_KEY_FILE = Path.home() / ".config" / "herstel" / "pseudonym.key"


INGEST_HELP = """Load files into the warehouse: each ends loaded, partial, duplicate or quarantined.

A study folder holds one sub-folder per athlete (the folder name is the athlete id), \
optionally with athletes.csv (athlete_id, time_zone, birth_year, sex, hr_max, \
source_priority such as oura>garmin; a row * is the study default) and \
time_zones.csv (athlete_id, from, time_zone: travel) at its top. Files outside an athlete \
folder need --athlete. More in docs/study-import.md.

  study/
    athletes.csv        athlete_id,time_zone,...  anna,Europe/Amsterdam,...
    anna/               2026-11-01.fit  sleep.json ...
    bram/               garmin-export.zip

Examples:

  herstel ingest study/ --nightly
  herstel ingest watch/*.fit --athlete anna --tz Europe/Amsterdam
"""


@app.command(help=INGEST_HELP)
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or study folders", exists=True)],
    db: DbOption = None,
    athlete: Annotated[
        str | None, typer.Option(help="All files belong to this athlete (else: one folder each)")
    ] = None,
    tz: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Amsterdam")] = None,
    fit_engine: Annotated[
        FitEngine, typer.Option(help="FIT decoder: fast, or fitparse (the reference)")
    ] = FitEngine.fast,
    pseudonymise: Annotated[
        bool, typer.Option(help="Store salted pseudonyms instead of folder names")
    ] = False,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Pseudonym key, kept outside the database (default $HERSTEL_KEY_FILE)"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Parallel parsers (default: all cores)", min=1, max=1024)
    ] = None,
    then_nightly: Annotated[
        bool, typer.Option("--nightly", help="Run the nightly metrics and rules afterwards")
    ] = False,
    executor: Annotated[
        Executor, typer.Option(help="local (all cores) or dask (needs --dask-address)")
    ] = Executor.local,
    dask_address: Annotated[
        str | None, typer.Option(help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    ] = None,
    staging: Annotated[
        str | None,
        typer.Option(
            help="Folder or fsspec URL for staged Parquet (default with dask: next to the db)"
        ),
    ] = None,
    retry: Annotated[
        bool, typer.Option(help="Read quarantined and partial files among PATHS again")
    ] = False,
    verbose: bool = False,
) -> None:
    if executor is Executor.dask and not dask_address:
        _usage_error("--executor dask needs --dask-address")
    if executor is Executor.dask and staging is None:
        from warehouse.db import db_path

        staging = str(db_path(db).with_suffix(".staging").resolve())
    _check_zone(tz)
    _check_athlete(athlete)
    found = _ingest_files(paths, athlete)  # usage errors before any parsing or server start
    key = _check_key(key_file) if pseudonymise else None
    with _plain_errors(verbose):
        _probe_warehouse(db)
    prefect_env.configure(verbose)
    from flows import progress
    from flows.ingest import ingest as ingest_flow
    from flows.ingest import task_runner_for

    runner = task_runner_for(
        len(found), workers, dask_address if executor is Executor.dask else None
    )
    flow = ingest_flow.with_options(task_runner=runner)
    # Prefect stores a flow run's parameters: a pseudonymised run hands it paths and the
    # athlete masked (SecretStr is recorded as '**********'), never a name in clear.
    given, who = [str(p) for p in paths], athlete
    if key is not None:
        from pydantic import SecretStr

        given = [SecretStr(p) for p in given]
        who = SecretStr(athlete) if athlete is not None else None
    with _plain_errors(verbose), progress.bar(len(found), sum(p.stat().st_size for p in found)):
        outcomes = flow(given, db, who, tz, fit_engine.value, key, staging, retry)
    _print_outcomes(outcomes)
    _print_athlete_problems(db)
    if then_nightly:
        from flows.cli.nightly import nightly  # imported here: `ingest` is listed first

        nightly(db=db, since=None, rebuild=False, report_dir=None, lang=Lang.en, verbose=verbose)


def _ingest_files(paths: list[Path], athlete: str | None) -> list[Path]:
    """The files an ingest will read; a usage error when there is nothing to read, or when
    files cannot belong to anyone (a file, or a folder without athlete sub-folders, given
    without --athlete). A stray file beside athlete folders is quarantined, not refused."""
    from parsers.study import STUDY_FILES, discover

    found = discover(list(paths), athlete)
    if not found and not any((p / f).is_file() for p in paths if p.is_dir() for f in STUDY_FILES):
        shown = ", ".join(str(p) for p in paths)
        _usage_error(f"no files in {shown}: nothing to ingest (hidden files are skipped)")
    if athlete is None:
        for root in paths:
            mine = [f for f in found if f.path == root or root in f.path.parents]
            if mine and all(f.athlete_id is None for f in mine):
                where = "is a file" if root.is_file() else "holds no athlete folders"
                _usage_error(
                    f"{root} {where}: say whose with --athlete ID, or put the files in one "
                    "sub-folder per athlete (see herstel ingest --help)"
                )
    return [f.path for f in found]


def _check_athlete(athlete: str | None) -> None:
    if athlete is not None and (problem := athlete_id_problem(athlete)):
        raise typer.BadParameter(f"--athlete {clean_text(athlete, 60)!r}: {problem}")


def _check_key(key_file: Path | None) -> str:
    """The pseudonym key's path, after checking (or creating) the key: a usage error if short."""
    from parsers.study import KeyFileError, load_key

    key = Path(key_file or os.environ.get("HERSTEL_KEY_FILE") or DEFAULT_KEY_FILE)
    try:
        load_key(key)
    except KeyFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--key-file") from None
    return str(key)
