"""The `herstel` command line: a thin layer over the flows and the warehouse read helpers.

Exit status (README.md): 0 every file accounted for, 1 a run failure, 2 a usage error.
Prefect is imported only by the commands that run flows, so `rules` and `flags` start fast.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
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


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or study folders", exists=True)],
    db: DbOption = None,
    athlete: Annotated[
        str | None, typer.Option(help="All files belong to this athlete (else: one folder each)")
    ] = None,
    tz: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Amsterdam")] = None,
    fit_engine: Annotated[str, typer.Option(help="fast or fitparse (the reference)")] = "fast",
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
    executor: Annotated[str, typer.Option(help="local (all cores) or dask")] = "local",
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
    """Load files into the warehouse; every file ends loaded, partial, duplicate or quarantined."""
    if fit_engine not in ("fast", "fitparse"):
        raise typer.BadParameter("--fit-engine must be fast or fitparse")
    if executor not in ("local", "dask"):
        raise typer.BadParameter("--executor must be local or dask")
    if executor == "dask" and not dask_address:
        raise typer.BadParameter("--executor dask needs --dask-address")
    if executor == "dask" and staging is None:
        from warehouse.db import db_path

        staging = str(db_path(db).with_suffix(".staging").resolve())
    _check_zone(tz)
    _check_athlete(athlete)
    key = _check_key(key_file) if pseudonymise else None
    prefect_env.configure(verbose)
    from flows import progress
    from flows.ingest import ingest as ingest_flow
    from flows.ingest import task_runner_for
    from parsers.study import discover

    found = [f.path for f in discover(list(paths), athlete) if f.reason is None]
    runner = task_runner_for(len(found), workers, dask_address if executor == "dask" else None)
    flow = ingest_flow.with_options(task_runner=runner)
    # Prefect stores a flow run's parameters: a pseudonymised run hands it paths and the
    # athlete masked (SecretStr is recorded as '**********'), never a name in clear.
    given, who = [str(p) for p in paths], athlete
    if key is not None:
        from pydantic import SecretStr

        given = [SecretStr(p) for p in given]
        who = SecretStr(athlete) if athlete is not None else None
    with progress.bar(len(found), sum(p.stat().st_size for p in found)):
        outcomes = flow(given, db, who, tz, fit_engine, key, staging, retry)
    _print_outcomes(outcomes)
    _print_athlete_problems(db)
    if then_nightly:
        nightly(db=db, since=None, rebuild=False, report_dir=None, lang="en", verbose=verbose)


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


LangOption = Annotated[str, typer.Option(help="en or nl")]


def _check_lang(lang: str) -> None:
    if lang not in ("en", "nl"):
        raise typer.BadParameter("--lang must be en or nl")


@app.command()
def nightly(
    db: DbOption = None,
    since: SinceOption = None,
    rebuild: Annotated[bool, typer.Option(help="Recompute every athlete")] = False,
    report_dir: Annotated[
        Path | None, typer.Option("--report", help="Also write the HTML report to this folder")
    ] = None,
    lang: LangOption = "en",
    verbose: bool = False,
    rules_file: RulesOption = None,
) -> None:
    """Compute metrics and flags for new data; end with a digest of warnings for the coach."""
    _check_lang(lang)
    ruleset = _checked_ruleset(rules_file)  # a typo in the rule file fails before any work
    idle_ok = not rebuild and since is None and report_dir is None
    if idle_ok and _idle_nightly(db, lang, ruleset.version):
        return
    prefect_env.configure(verbose)
    from flows.nightly import nightly as nightly_flow
    from report import digest

    summary = nightly_flow(
        db, _date(since), rebuild, str(report_dir) if report_dir else None, lang, rules_file
    )
    console.print(f"{len(summary.athletes)} athletes recomputed ({summary.mode}): {summary.rows}")
    _print_nights(db, summary.athletes)
    _print_athlete_problems(db)
    new = summary.new_flags.height if summary.new_flags is not None else 0
    console.print(f"{new} new flags.")
    for receiver, items, error in summary.alerts:
        state = f"failed (retried next run): {error}" if error else "sent"
        console.print(f"Alert to {receiver} ({items} items): {state}", markup=False)
    console.print(digest(db, lang=lang, report_url=summary.report), markup=False)


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
    lang: LangOption = "en",
    serve_http: Annotated[
        bool, typer.Option("--serve", help="Then serve it on http://127.0.0.1 until Ctrl-C")
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="Port for --serve (default $HERSTEL_REPORT_PORT or 4280)")
    ] = None,
) -> None:
    """Write the static HTML report (team overview + a page per athlete); works offline."""
    _check_lang(lang)
    from report import write_report

    try:
        index = write_report(db, out, athlete=athlete, since=_date(since), lang=lang)
    except ValueError as exc:  # unknown athlete or language: a usage error
        raise typer.BadParameter(str(exc)) from None
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
    format: Annotated[str, typer.Option(help="table, csv or json")] = "table",
    lang: Annotated[str, typer.Option(help="en or nl")] = "en",
) -> None:
    """List raised flags."""
    from warehouse.db import connect
    from warehouse.read import flags as read_flags

    since_day = _date(since)  # a usage error before any database work
    con = connect(db, read_only=True)
    try:
        frame = read_flags(con, athlete, since_day)
    finally:
        con.close()
    if format == "csv":
        sys.stdout.write(_spreadsheet_safe(frame).write_csv())
    elif format == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False) + "\n")
    elif format == "table":
        _print_flags(frame, lang)
    else:
        raise typer.BadParameter("--format must be table, csv or json")


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
) -> None:
    """The rule catalogue: ids, severities, thresholds and their sources (docs/rules.md)."""
    if init is not None:
        _init_rules(init)
        return
    ruleset = _checked_ruleset(rules_file)
    table = Table(title=f"herstel ruleset {ruleset.version}")
    for col in ("rule", "severity", "when", "source"):
        table.add_column(col, overflow="fold")
    for rule in ruleset.rules.values():
        unit = f" (flag values in {rule.unit})" if rule.unit else ""
        for i, level in enumerate(rule.levels):
            when = level.describe() + (unit if i == 0 else "")
            table.add_row(rule.id, level.severity, when, level.source)
    console.print(table)
    if ruleset.profiles:
        console.print(_profiles_table(ruleset))


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
    """Run the whole pipeline on the bundled sample study and print each athlete's flags."""
    prefect_env.configure()
    from flows.ingest import ingest as ingest_flow
    from flows.nightly import nightly as nightly_flow
    from sample_data import STUDY_DIR

    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    console.print(f"Ingesting the sample study {STUDY_DIR} into {db} ...")
    _print_outcomes(ingest_flow([str(STUDY_DIR)], str(db)))
    summary = nightly_flow(str(db))
    console.print(f"Nightly run: {summary.rows}")
    _print_flags(summary.new_flags)
    console.print(f"Explore it: duckdb -readonly {db}  or  herstel flags --db {db}")


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
    lang: LangOption = "en",
) -> None:
    """Run the nightly flow on a schedule as a Prefect deployment (on the local server)."""
    _check_zone(tz)
    _check_lang(lang)
    prefect_env.configure(use_server=False)
    from flows.serve import serve_nightly

    with server_errors():
        serve_nightly(cron, db, str(report_dir.resolve()) if report_dir else None, tz, lang)


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


def main() -> None:
    os.umask(0o077)  # health data: everything herstel creates is its owner's alone
    try:
        app()
    except Exception as exc:  # exit 1: a run failure, said plainly
        console.print(f"[red]herstel failed:[/] {str(exc) or type(exc).__name__}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
