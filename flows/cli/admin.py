"""`herstel serve`, `herstel forget` and `herstel compact`: running and looking after a
warehouse."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from flows import prefect_env
from flows.cli.app import (
    DbOption,
    Lang,
    LangOption,
    _check_zone,
    app,
    console,
)
from flows.cli.server import server_errors
from parsers.paths import athlete_id_problem, clean_text


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help="When the nightly flow runs (cron, in --tz)")] = (
        "0 4 * * *"
    ),
    tz: Annotated[
        str, typer.Option(help="IANA time zone of the schedule, e.g. Europe/Amsterdam")
    ] = "UTC",
    db: DbOption = None,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report", help="Each run also writes the report here, served over http"),
    ] = None,
    lang: LangOption = Lang.en,
) -> None:
    """Run the nightly flow on a schedule as a Prefect deployment (on the local server)."""
    _check_zone(tz)
    prefect_env.configure(use_server=False)
    from flows.serve import serve_nightly

    with server_errors():
        serve_nightly(
            cron, db, str(report_dir.resolve()) if report_dir else None, tz, lang.value
        )


@app.command()
def forget(
    athlete: Annotated[str, typer.Option(help="The athlete to remove (exact id, no wildcards)")],
    db: DbOption = None,
    staging: Annotated[
        str | None,
        typer.Option(help="Staged Parquet to clean too (default: next to the db, as ingest)"),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Remove every trace of one athlete: rows in every table, staged files, Prefect's run
    records that name them, freed file space. Asks first unless --yes."""
    from warehouse.db import LOCK_WAIT_S, WarehouseBusy, connect, db_path
    from warehouse.write import (
        athlete_rows,
        forget_into_fresh_file,
        forget_staged,
        staged_folders,
    )

    if problem := athlete_id_problem(athlete):
        _usage_exit(f"--athlete {clean_text(athlete, 60)!r}: {problem}")
    path = db_path(db)
    if not path.is_file():
        _usage_exit(f"no warehouse at {path}: nothing to forget (give --db)")
    staging = staging or str(path.with_suffix(".staging"))
    wait_s = float(os.environ.get("HERSTEL_LOCK_WAIT_S", LOCK_WAIT_S))
    try:
        con = connect(path, read_only=True, wait_s=wait_s)
        try:
            rows = athlete_rows(con, athlete)
        finally:
            con.close()
        folders = staged_folders(staging, athlete)
        if not rows and not folders:
            _usage_exit(f"no athlete {clean_text(athlete, 60)!r} in {path}: nothing removed")
        if not yes:
            typer.confirm(
                f"Remove {sum(rows.values())} rows of {athlete} from {path}, "
                f"{len(folders)} staged folders and Prefect's run records naming them? "
                "This cannot be undone",
                abort=True,
            )
        runs, artifacts = _forget_run_records(athlete)  # before the lock: Prefect may start
        con = connect(path, wait_s=wait_s)  # held from here: no run writes in between
        try:
            rows = athlete_rows(con, athlete)
            forget_into_fresh_file(con, path, athlete)
        finally:
            con.close()
        staged = forget_staged(staging, athlete)
    except WarehouseBusy as exc:
        console.print(
            Text(f"herstel forget: the warehouse was not changed: {exc}", style="red"),
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    console.print(
        Text(
            f"Removed {sum(rows.values())} rows of {athlete}, {staged} staged folders and "
            f"{runs} Prefect flow runs ({artifacts} artifacts) that named them. "
            "Regenerate any report written before (herstel report)."
        )
    )


def _forget_run_records(athlete: str) -> tuple[int, int]:
    """Delete Prefect's flow runs and artifacts naming the athlete (flows/records.py); if
    the server cannot be reached, stop before the warehouse is touched (run forget again)."""
    prefect_env.configure()
    from flows.records import forget_runs

    try:
        return forget_runs(athlete)
    except Exception as exc:  # the Prefect client raises httpx, runtime and API errors
        console.print(
            Text(
                "herstel forget: nothing removed from the warehouse: Prefect's run records "
                f"could not be cleaned ({type(exc).__name__}: {clean_text(str(exc), 200)}); "
                "check PREFECT_API_URL and try again",
                style="red",
            ),
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


def _usage_exit(message: str) -> None:
    """A usage error as one line on stderr, exit 2."""
    typer.echo(f"Error: {message}", err=True)  # one line, never wrapped
    raise typer.Exit(2)


@app.command()
def compact(db: DbOption = None) -> None:
    """Rewrite the warehouse into a fresh file in the format DuckDB 1.x reads (docs/analyst.md);
    also frees the space of deleted rows. Run it while no ingest or nightly run is going on."""
    from warehouse.db import STORAGE_VERSION, db_path
    from warehouse.write import compact as compact_file

    path = db_path(db)
    if not path.is_file():
        raise typer.BadParameter(f"no warehouse at {path}")
    compact_file(path)
    console.print(f"Rewrote {path} in DuckDB storage format {STORAGE_VERSION} (DuckDB 1.0+).")
