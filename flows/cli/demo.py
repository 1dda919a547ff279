"""`herstel demo`: the whole pipeline on the bundled sample study, summed up per athlete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows import prefect_env
from flows.cli.app import SEVERITY_STYLE, app, console
from flows.cli.nightly import _computed_line, _plural


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
