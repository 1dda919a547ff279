"""The `herstel` command line: the Typer app, its shared options and helpers, and `main`.

Exit status (README.md): 0 every file accounted for, 1 a run failure, 2 a usage error.
Prefect is imported only by the commands that run flows, so `rules` and `flags` start fast.
The commands live beside this module, one file per group; `flows/cli/__init__.py` imports
them so they register on `app`.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.cli.server import alerts_app, server_app
from parsers.paths import clean_text

if TYPE_CHECKING:
    from rules.catalogue import RuleSet


app = typer.Typer(
    help="herstel: watch exports -> DuckDB -> nightly recovery markers -> warning flags.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(server_app, name="server")
app.add_typer(alerts_app, name="alerts")
console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    """How `flags` and `rules` print: a table for people, CSV or JSON for scripts."""

    table = "table"
    csv = "csv"
    json = "json"


class Lang(StrEnum):
    """The languages messages and reports exist in."""

    en = "en"
    nl = "nl"


class FitEngine(StrEnum):
    """fast: herstel's own FIT decoder; fitparse: the reference it is tested against."""

    fast = "fast"
    fitparse = "fitparse"


class Executor(StrEnum):
    """Where parse tasks run: this machine's cores, or a Dask cluster."""

    local = "local"
    dask = "dask"


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"herstel {version('herstel')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """herstel: watch exports -> DuckDB -> nightly recovery markers -> warning flags."""


def _usage_error(message: str) -> NoReturn:
    """A usage error: one line on stderr, exit 2, before any work is done."""
    err_console.print(f"[red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _existing_db(db: str | None) -> str:
    """The warehouse path, which must exist: reading commands never create an empty one."""
    from warehouse.db import db_path

    path = db_path(db)
    if not path.is_file():
        _usage_error(
            f"no warehouse at {path}: give --db (or set $HERSTEL_DB), "
            "or create one with `herstel ingest`"
        )
    return str(path)


@contextmanager
def _plain_errors(verbose: bool = False):
    """A warehouse held by another process is one line saying what to do (exit 1); the
    traceback only with --verbose."""
    from warehouse.db import WarehouseBusy

    try:
        yield
    except WarehouseBusy as exc:
        if verbose:
            raise
        err_console.print(f"[red]Error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="DuckDB file (default: $HERSTEL_DB, else ./herstel.duckdb)"),
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Only days from this date (YYYY-MM-DD)")
]
RulesOption = Annotated[
    str | None,
    typer.Option(
        "--rules",
        help="Your own rule file (default: $HERSTEL_RULES, else the packaged one; "
        "start one with `herstel rules --init FILE`)",
    ),
]
SEVERITY_STYLE = {"warning": "bold red", "watch": "yellow", "info": "cyan"}


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-25") from None


def _print_outcomes(outcomes: list) -> None:
    counts: dict[tuple[str, str], int] = {}
    for o in outcomes:
        key = (o.format or "-", o.status)
        counts[key] = counts.get(key, 0) + 1
    table = Table(title=f"{len(outcomes)} files")
    for col in ("format", "status", "files"):
        table.add_column(col)
    for (fmt, status), n in sorted(counts.items()):
        table.add_row(fmt, status, str(n))
    console.print(table)
    bad = [o for o in outcomes if o.status in ("quarantined", "partial", "duplicate")]
    if bad:
        problems = Table(title="Files that need a look")
        for col in ("file", "status", "reason"):
            problems.add_column(col, overflow="fold")
        for o in bad:  # names and reasons are data: no markup, no escape codes
            problems.add_row(Text(clean_text(o.path)), o.status, Text(clean_text(o.reason or "")))
        console.print(problems)


def _print_nights(db: str | None, athletes: list[str]) -> None:
    """Nights per athlete and how many have each marker: what the researcher got."""
    if not athletes:
        return
    from warehouse.db import connect
    from warehouse.sql import run

    con = connect(db, read_only=True)
    try:
        rows = run(
            con,
            "SELECT athlete_id, count(*), min(night), max(night), count(sleep_hours), "
            "count(resting_hr), count(hrv_ms) FROM nightly_metrics "
            "WHERE list_contains(?, athlete_id) GROUP BY 1 ORDER BY 1",
            [athletes],
        )
    finally:
        con.close()
    table = Table(title="Nights per athlete")
    for col in ("athlete", "nights", "first", "last", "sleep", "resting HR", "HRV"):
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)


def _print_flags(frame, lang: str = "en") -> None:
    """One table per athlete: day, rule, severity and the plain-language message."""
    if frame.height == 0:
        console.print("No flags.")
        return
    message = "message_nl" if lang == "nl" else "message"
    for (athlete,), rows in frame.sort("athlete_id", "day").group_by(
        "athlete_id", maintain_order=True
    ):
        table = Table(title=f"{athlete}: {rows.height} flags", title_justify="left")
        for col in ("day", "rule", "severity", "message"):
            table.add_column(col, overflow="fold", no_wrap=col != "message")
        for row in rows.iter_rows(named=True):
            style = SEVERITY_STYLE.get(row["severity"], "")
            table.add_row(
                str(row["day"]), row["rule_id"], f"[{style}]{row['severity']}[/]", row[message]
            )
        console.print(table)


def _probe_warehouse(db: str | None) -> int:
    """Open an existing warehouse once, read-only, before any flow starts: a file held by a
    writer is then one line here rather than a failed Prefect run (readers do not block it).
    Returns the number of earlier nightly runs (0 for a new warehouse)."""
    import duckdb

    from warehouse.db import connect, db_path
    from warehouse.sql import run

    if not db_path(db).is_file():
        return 0
    con = connect(db, read_only=True)
    try:
        return run(con, "SELECT count(*) FROM nightly_runs")[0][0]
    except duckdb.CatalogException:  # a warehouse from before nightly_runs: never computed
        return 0
    finally:
        con.close()


def _check_zone(tz: str | None) -> None:
    """A zone both polars and DuckDB accept (warehouse.athlete_config), else exit 2."""
    if tz is None:
        return
    from warehouse.athlete_config import zone_problem

    problem = zone_problem(tz)
    if problem:
        raise typer.BadParameter(problem, param_hint="'--tz'")


def _print_athlete_problems(db: str | None) -> None:
    """Athletes whose configuration was refused: the nightly run skips them until fixed."""
    from warehouse.db import connect
    from warehouse.sql import run

    con = connect(db, read_only=True)
    try:
        rows = run(con, "SELECT athlete_id, problem FROM athlete_problems ORDER BY ALL")
    finally:
        con.close()
    if rows:
        table = Table(title="Athletes not computed until their configuration is corrected")
        for col in ("athlete", "problem"):
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)


LangOption = Annotated[Lang, typer.Option(help="Language of messages and the report")]


def _checked_ruleset(path: str | None) -> RuleSet:
    """The rule file in force, validated; a bad one is a usage error said in one line."""
    from pydantic import ValidationError

    from rules.catalogue import rules_path
    from rules.evaluate import configured_ruleset

    try:
        return configured_ruleset(path)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        message = f"{exc.error_count()} problem(s): {problems}"
    except (OSError, ValueError) as exc:  # missing file, TOML syntax, rule-function mismatch
        message = " ".join(str(exc).split())
    typer.echo(f"herstel: rule file {rules_path(path)}: {message}", err=True)
    raise typer.Exit(2)


def _click_errors() -> tuple[type[Exception], type[Exception], type[BaseException]]:
    """Click's exception classes as typer raises them (recent typer vendors click)."""
    click_exception = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    module = sys.modules[click_exception.__module__]
    no_args = getattr(module, "NoArgsIsHelpError", None) or type("NeverRaised", (Exception,), {})
    return click_exception, no_args, getattr(module, "Abort", typer.Abort)


def main() -> None:
    os.umask(0o077)  # health data: everything herstel creates is its owner's alone
    click_exception, no_args_is_help, abort = _click_errors()
    try:
        code = app(standalone_mode=False)
    except no_args_is_help as exc:  # plain `herstel`: the help
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click_exception as exc:  # typer's usage errors too: one line, not a box
        ctx = getattr(exc, "ctx", None)
        where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        err_console.print(
            f"[red]Error:[/] {exc.format_message()}{where}", highlight=False, soft_wrap=True
        )
        raise SystemExit(exc.exit_code) from None
    except abort:
        err_console.print("Aborted.")
        raise SystemExit(1) from None
    except Exception as exc:  # exit 1: a run failure, said plainly (traceback with --verbose)
        if "--verbose" in sys.argv:
            err_console.print_exception()
        err_console.print(
            f"[red]herstel failed:[/] {str(exc) or type(exc).__name__}",
            highlight=False,
            soft_wrap=True,
        )
        raise SystemExit(1) from exc
    raise SystemExit(code if isinstance(code, int) else 0)


