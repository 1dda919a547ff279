"""`herstel nightly` and `herstel report`: metrics, flags, digest, and the HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows import prefect_env
from flows.cli.app import (
    DbOption,
    Lang,
    LangOption,
    RulesOption,
    SinceOption,
    _checked_ruleset,
    _date,
    _existing_db,
    _plain_errors,
    _print_athlete_problems,
    _print_nights,
    _probe_warehouse,
    _usage_error,
    app,
    console,
)


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
