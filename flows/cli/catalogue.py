"""`herstel flags`, `herstel rules` and `herstel export`: what the warehouse and the rule file
say."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from flows.cli.app import (
    DbOption,
    Lang,
    LangOption,
    OutputFormat,
    RulesOption,
    SinceOption,
    _checked_ruleset,
    _date,
    _existing_db,
    _plain_errors,
    _print_flags,
    _usage_error,
    app,
    console,
)

if TYPE_CHECKING:
    from rules.catalogue import RuleSet


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
