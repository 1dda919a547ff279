"""The `herstel` command line: a thin layer over the flows and the warehouse read helpers.

Exit status (README.md): 0 every file accounted for, 1 a run failure, 2 a usage error.
Prefect is imported only by the commands that run flows, so `rules` and `flags` start fast.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from flows import prefect_env
from flows.cli_admin import alerts_app, server_app, server_errors
from parsers.paths import athlete_id_problem, clean_text

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


DEFAULT_KEY_FILE = Path.home() / ".config" / "herstel" / "pseudonym.key"


INGEST_HELP = """Load files into the warehouse: each ends loaded, partial, duplicate or quarantined.

A study folder holds one sub-folder per athlete (the folder name is the athlete id), \
optionally with athletes.csv (athlete_id, time_zone, birth_year, sex, hr_max) and \
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


@app.command()
def nightly(
    db: DbOption = None,
    since: SinceOption = None,
    rebuild: Annotated[bool, typer.Option(help="Recompute every athlete")] = False,
    report_dir: Annotated[
        Path | None, typer.Option("--report", help="Also write the HTML report to this folder")
    ] = None,
    lang: LangOption = Lang.en,
    verbose: bool = False,
    rules_file: RulesOption = None,
) -> None:
    """Compute metrics and flags for new data; end with a digest of warnings for the coach."""
    since_day = _date(since)
    db = _existing_db(db)
    ruleset = _checked_ruleset(rules_file)  # a typo in the rule file fails before any work
    with _plain_errors(verbose):
        runs_before = _probe_warehouse(db)
    idle_ok = not rebuild and since is None and report_dir is None
    if idle_ok and _idle_nightly(db, lang.value, ruleset.version):
        return
    prefect_env.configure(verbose)
    from flows import progress
    from flows.nightly import nightly as nightly_flow
    from report import digest

    with _plain_errors(verbose), progress.step("starting Prefect, then computing"):
        summary = nightly_flow(
            db, since_day, rebuild, str(report_dir) if report_dir else None, lang.value,
            rules_file,
        )
    mode = "rebuild" if rebuild else ("first run" if runs_before == 0 else "new data only")
    console.print(
        _computed_line(summary.rows, len(summary.athletes), mode), highlight=False, soft_wrap=True
    )
    _print_nights(db, summary.athletes)
    _print_athlete_problems(db)
    new = summary.new_flags.height if summary.new_flags is not None else 0
    console.print(f"{new} new flags.")
    for receiver, items, error in summary.alerts:
        state = f"failed (retried next run): {error}" if error else "sent"
        console.print(f"Alert to {receiver} ({items} items): {state}", markup=False)
    console.print(digest(db, lang=lang.value, report_url=summary.report), markup=False)


def _computed_line(rows: dict[str, int], athletes: int, mode: str) -> str:
    """'209 nights, 240 days and 31 flags computed for 3 athletes (first run).'"""
    if athletes == 0:
        return "Nothing new to compute."
    parts = [
        _plural(rows.get("nightly_metrics", 0), "night"),
        _plural(rows.get("daily_metrics", 0), "day"),
    ]
    flags = _plural(rows.get("daily_flags", 0), "flag")
    return f"{', '.join(parts)} and {flags} computed for {_plural(athletes, 'athlete')} ({mode})."


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _idle_nightly(db: str | None, lang: str, ruleset_version: str) -> bool:
    """Nothing loaded since the last run: alerts and the digest, without Prefect (fast)."""
    from flows.idle import alert_only, nothing_new

    if not nothing_new(db, ruleset_version):
        return False
    from report import digest

    console.print("Nothing new since the last nightly run: nothing to recompute.")
    for receiver, items, error in alert_only(db):
        state = f"failed (retried next run): {error}" if error else "sent"
        console.print(f"Alert to {receiver} ({items} items): {state}", markup=False)
    console.print(digest(db, lang=lang), markup=False)
    return True


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into")],
    db: DbOption = None,
    athlete: Annotated[str | None, typer.Option(help="Only this athlete's page")] = None,
    since: SinceOption = None,
    lang: LangOption = Lang.en,
    stale_nights: Annotated[
        int,
        typer.Option(min=1, help="Nights without data after which an athlete shows 'no data'"),
    ] = 3,
    serve_http: Annotated[
        bool, typer.Option("--serve", help="Then serve it on http://127.0.0.1 until Ctrl-C")
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="Port for --serve (default $HERSTEL_REPORT_PORT or 4280)")
    ] = None,
    verbose: bool = False,
) -> None:
    """Write the static HTML report (team overview + a page per athlete); works offline."""
    since_day = _date(since)
    db = _existing_db(db)
    from report import write_report

    try:
        with _plain_errors(verbose):
            index = write_report(
                db,
                out,
                athlete=athlete,
                since=since_day,
                lang=lang.value,
                stale_nights=stale_nights,
            )
    except ValueError as exc:  # unknown athlete: a usage error
        _usage_error(str(exc))
    console.print(f"Report: {index}")
    if serve_http:
        from flows.serve import serve_folder, wait_for_signal

        httpd, url = serve_folder(out, port)
        page = url.removesuffix("index.html") + index.relative_to(out).as_posix()
        console.print(f"Serving it on {page}  (Ctrl-C stops)")
        wait_for_signal()
        httpd.shutdown()


@app.command()
def flags(
    db: DbOption = None,
    athlete: Annotated[str | None, typer.Option(help="Only this athlete")] = None,
    since: SinceOption = None,
    format: Annotated[OutputFormat, typer.Option(help="Output format")] = OutputFormat.table,
    lang: LangOption = Lang.en,
    verbose: bool = False,
) -> None:
    """List raised flags."""
    from warehouse.db import connect
    from warehouse.read import athlete_ids
    from warehouse.read import flags as read_flags

    since_day = _date(since)  # a usage error before any database work
    db = _existing_db(db)
    with _plain_errors(verbose):
        con = connect(db, read_only=True)
    try:
        if athlete is not None and athlete not in athlete_ids(con):
            _usage_error(f"no athlete {athlete!r} in {db} (herstel flags lists everyone's)")
        frame = read_flags(con, athlete, since_day)
    finally:
        con.close()
    if format is OutputFormat.csv:
        sys.stdout.write(_spreadsheet_safe(frame).write_csv())
    elif format is OutputFormat.json:
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False) + "\n")
    else:
        _print_flags(frame, lang.value)


#: A spreadsheet evaluates a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(frame):
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    import polars as pl

    text = [c for c, t in frame.schema.items() if t == pl.String]
    starts = pl.col(text).str.slice(0, 1).is_in(list(FORMULA_START))
    return frame.with_columns(
        pl.when(starts).then(pl.lit("'") + pl.col(text)).otherwise(pl.col(text)).name.keep()
    )


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


@app.command()
def rules(
    rules_file: RulesOption = None,
    init: Annotated[
        Path | None,
        typer.Option("--init", help="Write the packaged rule file here as a starting point"),
    ] = None,
    format: Annotated[OutputFormat, typer.Option(help="Output format")] = OutputFormat.table,
) -> None:
    """The rule catalogue: ids, severities, thresholds, units and their sources (docs/rules.md)."""
    if init is not None:
        _init_rules(init)
        return
    ruleset = _checked_ruleset(rules_file)
    rows = [
        {
            "rule_id": rule.id,
            "severity": level.severity,
            "when": level.describe(),
            "unit": rule.unit,
            "source": level.source,
            "ruleset_version": ruleset.version,
        }
        for rule in ruleset.rules.values()
        for level in rule.levels
    ]
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if format is OutputFormat.csv:
        import polars as pl

        sys.stdout.write(_spreadsheet_safe(pl.DataFrame(rows)).write_csv())
        return
    if console.width < NARROW_COLUMNS:
        _print_rules_narrow(ruleset.version, rows)
    else:
        table = Table(title=f"herstel ruleset {ruleset.version}")
        # an id is what users type: never cut, whatever the terminal's width
        widest = max((len(r["rule_id"]) for r in rows), default=4)
        table.add_column("rule", no_wrap=True, min_width=widest)
        table.add_column("severity", no_wrap=True)
        for col in ("when", "unit", "source"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(r["rule_id"], r["severity"], r["when"], r["unit"] or "", r["source"])
        console.print(table)
    if ruleset.profiles:
        console.print(_profiles_table(ruleset))


#: Below this terminal width the rule catalogue prints as blocks: a four-column table would
#: leave a few characters per column.
NARROW_COLUMNS = 100


def _print_rules_narrow(version: str, rows: list[dict[str, str]]) -> None:
    """One block per rule level: the full id and severity, then its condition and source."""
    console.print(f"[bold]herstel ruleset {version}[/]")
    for r in rows:
        console.print(f"\n[bold]{r['rule_id']}[/] {r['severity']}", highlight=False)
        for label in ("when", "source"):  # indented as a block, wrapped lines included
            text = Text(f"{label}: {r[label]}")
            console.print(Padding(text, (0, 0, 0, 2)), highlight=False)


def _profiles_table(ruleset: RuleSet) -> Table:
    """Profiles: who they apply to and which thresholds they change (first match wins)."""
    table = Table(title="profiles (the first that matches an athlete-day applies)")
    for col in ("profile", "applies to", "changes", "why"):
        table.add_column(col, overflow="fold")
    for p in ruleset.profiles:
        who = [f"athletes {', '.join(p.athletes)}"] if p.athletes else []
        who += [f"age >= {p.min_age}"] if p.min_age is not None else []
        who += [f"age <= {p.max_age}"] if p.max_age is not None else []
        who += [f"sex {p.sex}"] if p.sex else []
        changes = [
            f"{rule}.{level}: " + ", ".join(f"{k} {v:g}" for k, v in values.items())
            for rule, levels in p.thresholds.items()
            for level, values in levels.items()
        ]
        table.add_row(p.name, "; ".join(who), "\n".join(changes), p.description or p.source)
    return table


def _init_rules(target: Path) -> None:
    """Copy the packaged rule file to `target`; never overwrites a file already there."""
    from rules.catalogue import DEFAULT_RULESET, RULES_ENV

    if target.exists():
        typer.echo(f"herstel: {target} already exists; choose another file name", err=True)
        raise typer.Exit(2)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(DEFAULT_RULESET.read_bytes())
    console.print(
        f"Wrote the default rules to {target}. Edit thresholds (and `version`), then use it "
        f"with --rules {target} or {RULES_ENV}={target}; the next nightly run recomputes flags."
    )


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export into")],
    db: DbOption = None,
    format: Annotated[str, typer.Option(help="parquet or csv")] = "parquet",
    athlete: Annotated[str | None, typer.Option(help="Only this athlete")] = None,
    since: SinceOption = None,
    rules_file: RulesOption = None,
) -> None:
    """Tidy nights, days, flags (and episodes) tables, a data dictionary and a manifest."""
    from report.export import FORMATS
    from report.export import export as write_export
    from warehouse.db import connect

    if format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    since_day = _date(since)
    ruleset = _checked_ruleset(rules_file)
    con = connect(db, read_only=True)
    try:
        manifest = write_export(
            con, out, ruleset, fmt=format, athlete=athlete, since=since_day,
            rules_file=rules_file,
        )  # fmt: skip
    except ValueError as exc:  # unknown athlete: a usage error
        raise typer.BadParameter(str(exc)) from None
    finally:
        con.close()
    rows = ", ".join(f"{t['rows']} {name}" for name, t in manifest["tables"].items())
    console.print(f"Exported {rows} to {out} (data_dictionary.csv, manifest.json).")


@app.command()
def demo(
    db: Annotated[Path, typer.Option(help="Where to write the demo warehouse")] = Path(
        "herstel-demo.duckdb"
    ),
) -> None:
    """Run the whole pipeline on the bundled sample study: a summary per athlete, and where
    to look next."""
    prefect_env.configure()
    from flows import progress
    from flows.ingest import ingest as ingest_flow
    from flows.nightly import nightly as nightly_flow
    from sample_data import STUDY_DIR

    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    console.print(f"Sample study {STUDY_DIR} -> {db}", highlight=False, soft_wrap=True)
    with progress.step("starting Prefect, then parsing and loading the sample study"):
        outcomes = ingest_flow([str(STUDY_DIR)], str(db))
    console.print(_outcomes_line(outcomes), highlight=False, soft_wrap=True)
    with progress.step("computing nightly metrics and flags"):
        summary = nightly_flow(str(db))
    console.print(_computed_line(summary.rows, len(summary.athletes), "first run"), highlight=False)
    first = _print_athlete_summaries(str(db), summary.new_flags)
    console.print(
        "\nWhere to look next:\n"
        f"  herstel flags --db {db} --athlete {first}\n"
        f"  herstel report --db {db} --out herstel-demo-report\n"
        f"  duckdb -readonly {db}   (the tables: docs/analyst.md)",
        highlight=False,
        soft_wrap=True,
    )


#: How many files that need a look the compact summary names (the rest are counted).
SHOWN_PROBLEM_FILES = 5


def _outcomes_line(outcomes: list) -> str:
    """'17 files: 15 loaded, 1 partial, 1 quarantined', then the files that need a look."""
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    line = f"{_plural(len(outcomes), 'file')}: " + ", ".join(
        f"{n} {status}" for status, n in sorted(counts.items())
    )
    bad = [o for o in outcomes if o.status in ("quarantined", "partial")]
    for o in bad[:SHOWN_PROBLEM_FILES]:
        line += f"\n  {o.status}: {Path(o.path).name}: {o.reason or ''}"
    if len(bad) > SHOWN_PROBLEM_FILES:
        line += f"\n  ... and {len(bad) - SHOWN_PROBLEM_FILES} more (herstel ingest lists all)"
    return line


def _print_athlete_summaries(db: str, flags) -> str | None:
    """One line per athlete: nights, last night, flags by severity and the latest warning;
    returns the first athlete (for the example commands)."""
    from warehouse.db import connect
    from warehouse.sql import run

    con = connect(db, read_only=True)
    try:
        nights = dict(
            (a, (n, last))
            for a, n, last in run(
                con,
                "SELECT athlete_id, count(*), max(night) FROM nightly_metrics GROUP BY 1",
            )
        )
        athletes = [a for (a,) in run(con, "SELECT athlete_id FROM athletes ORDER BY 1")]
    finally:
        con.close()
    for athlete in athletes:
        n, last = nights.get(athlete, (0, None))
        line = f"{athlete}: {_plural(n, 'night')}" + (f" up to {last}" if last else "")
        mine = flags.filter(flags["athlete_id"] == athlete)
        counts = {sev: int((mine["severity"] == sev).sum()) for sev in SEVERITY_STYLE}
        line += " · " + ", ".join(f"{k} {sev}" for sev, k in counts.items())
        warnings = mine.filter(mine["severity"] == "warning").sort("day")
        if warnings.height:
            latest = warnings.row(-1, named=True)
            line += f" · latest warning {latest['rule_id']} on {latest['day']}"
        console.print(line, highlight=False, soft_wrap=True)
    return athletes[0] if athletes else None


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


if __name__ == "__main__":
    main()
