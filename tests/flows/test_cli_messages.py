"""What a user sees: usage errors up front (exit 2, one line), choices listed in --help, a
held warehouse as one line, and compact `demo` / `nightly` summaries."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from rules.catalogue import load_ruleset
from sample_data import STUDY_DIR
from warehouse import db as warehouse_db
from warehouse.db import connect

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
RULE_IDS = sorted(load_ruleset().rules)
#: The sample study's planned flags and nights, written by the generator (never by herstel).
EXPECTED_FLAGS = REPO / "sample_data" / "expected_flags.csv"
EXPECTED_NIGHTS = REPO / "sample_data" / "expected_nights.csv"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _empty_warehouse(path: Path) -> Path:
    connect(path).close()
    return path


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"herstel {version('herstel')}\n"


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["flags", "--help"], "table|csv|json"),
        (["flags", "--help"], "en|nl"),
        (["rules", "--help"], "table|csv|json"),
        (["nightly", "--help"], "en|nl"),
        (["report", "--help"], "en|nl"),
        (["ingest", "--help"], "fast|fitparse"),
        (["ingest", "--help"], "local|dask"),
    ],
)
def test_help_lists_the_allowed_values(command, shown):
    result = runner.invoke(app, command, terminal_width=200)
    assert result.exit_code == 0
    assert shown in result.output


def test_ingest_help_explains_the_study_layout():
    result = runner.invoke(app, ["ingest", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for text in ("one sub-folder per athlete", "athletes.csv", "time_zones.csv", "anna/"):
        assert text in result.output
    assert "herstel ingest study/ --nightly" in result.output
    assert "herstel ingest watch/*.fit --athlete anna --tz Europe/Amsterdam" in result.output


def test_unknown_language_is_a_usage_error(tmp_path):
    db = _empty_warehouse(tmp_path / "h.duckdb")
    result = runner.invoke(app, ["flags", "--db", str(db), "--lang", "de"])
    assert result.exit_code == 2
    assert "'de' is not one of 'en', 'nl'" in result.output


def test_rules_csv_and_json_carry_every_full_id():
    as_csv = runner.invoke(app, ["rules", "--format", "csv"])
    assert as_csv.exit_code == 0
    rows = list(csv.DictReader(as_csv.output.splitlines()))
    assert sorted({r["rule_id"] for r in rows}) == RULE_IDS
    assert list(rows[0]) == ["rule_id", "severity", "when", "unit", "source", "ruleset_version"]
    assert {r["ruleset_version"] for r in rows} == {load_ruleset().version}
    as_json = json.loads(runner.invoke(app, ["rules", "--format", "json"]).output)
    assert as_json == rows
    levels = sum(len(rule.levels) for rule in load_ruleset().rules.values())
    assert len(rows) == levels


def test_rules_in_a_narrow_terminal_keep_whole_ids():
    """COLUMNS=60 as a real terminal sets it: every id appears whole, no line is cut."""
    env = {**os.environ, "COLUMNS": "60"}
    out = subprocess.run(
        [sys.executable, "-m", "flows.cli", "rules"],
        capture_output=True, text=True, env=env, cwd=REPO, check=True, timeout=120,
    ).stdout  # fmt: skip
    starts = Counter(line.split()[0] for line in out.splitlines() if line and line[0] != " ")
    for rule_id in RULE_IDS:
        assert starts[rule_id] >= 1, rule_id
    assert "…" not in out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 60


def test_loose_file_without_athlete_is_refused_before_any_parsing(tmp_path):
    fit = next((STUDY_DIR / "anna").rglob("*.fit"))
    db = tmp_path / "h.duckdb"
    started = time.monotonic()
    result = runner.invoke(app, ["ingest", str(fit), "--db", str(db)])
    assert result.exit_code == 2
    assert _lines(result.output) == [
        f"Error: {fit} is a file: say whose with --athlete ID, or put the files in one "
        "sub-folder per athlete (see herstel ingest --help)"
    ]
    assert time.monotonic() - started < 5  # no Prefect server, no parsing
    assert not db.exists()


def test_folder_without_athlete_folders_is_refused(tmp_path):
    (tmp_path / "watch").mkdir()
    (tmp_path / "watch" / "a.gpx").write_text("<gpx/>")
    result = runner.invoke(app, ["ingest", str(tmp_path / "watch"), "--db", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert "watch holds no athlete folders: say whose with --athlete ID" in result.output
    assert not (tmp_path / "h").exists()


def test_empty_folder_is_a_usage_error(tmp_path):
    empty = tmp_path / "drop"
    empty.mkdir()
    (empty / ".DS_Store").write_text("")  # hidden: skipped
    result = runner.invoke(app, ["ingest", str(empty), "--db", str(tmp_path / "h.duckdb")])
    assert result.exit_code == 2
    assert _lines(result.output) == [
        f"Error: no files in {empty}: nothing to ingest (hidden files are skipped)"
    ]
    assert not (tmp_path / "h.duckdb").exists()


@pytest.mark.parametrize(
    "command",
    [["nightly"], ["flags"], ["report", "--out", "rep"], ["flags", "--format", "csv"]],
)
def test_missing_warehouse_is_a_usage_error_and_never_created(tmp_path, command):
    db = tmp_path / "typo" / "herstel.duckdb"
    result = runner.invoke(app, [*command, "--db", str(db)])
    assert result.exit_code == 2
    assert _lines(result.output) == [
        f"Error: no warehouse at {db}: give --db (or set $HERSTEL_DB), "
        "or create one with `herstel ingest`"
    ]
    assert not db.exists() and not db.parent.exists()


def test_missing_default_warehouse_is_not_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HERSTEL_DB", raising=False)
    result = runner.invoke(app, ["nightly"])
    assert result.exit_code == 2
    assert "no warehouse at herstel.duckdb" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["flags"], ["report", "--out", "rep"]])
def test_unknown_athlete_is_a_usage_error(tmp_path, command):
    db = _empty_warehouse(tmp_path / "h.duckdb")
    result = runner.invoke(app, [*command, "--db", str(db), "--athlete", "anan"])
    assert result.exit_code == 2
    assert len(_lines(result.output)) == 1
    assert "no athlete 'anan'" in result.output


@pytest.fixture()
def held_warehouse(tmp_path, monkeypatch):
    """Another process holds the DuckDB file (as a running ingest would)."""
    db = _empty_warehouse(tmp_path / "held.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    monkeypatch.setattr(warehouse_db, "LOCK_WAIT_S", 0.3)
    yield db
    holder.stdin.close()
    holder.wait(timeout=30)


@pytest.mark.parametrize("command", [["flags"], ["nightly"], ["report", "--out", "rep"]])
def test_held_warehouse_is_one_line(held_warehouse, command):
    result = runner.invoke(app, [*command, "--db", str(held_warehouse)])
    assert result.exit_code == 1
    lines = _lines(result.output)
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Error: {held_warehouse} is held by another process")
    assert "try again when it has finished" in lines[0]
    assert "Traceback" not in result.output


def test_held_warehouse_with_verbose_keeps_the_traceback(held_warehouse):
    result = runner.invoke(app, ["flags", "--db", str(held_warehouse), "--verbose"])
    assert result.exit_code == 1
    assert isinstance(result.exception, warehouse_db.WarehouseBusy)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """As a user runs it: the CLI starts Prefect's temporary server itself."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return db, runner.invoke(app, ["demo", "--db", str(db)])


def test_demo_prints_a_summary_per_athlete(demo_run):
    db, result = demo_run
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert len(lines) <= 15
    n_files = sum(1 for p in STUDY_DIR.rglob("*") if p.is_file() and p.name != "athletes.csv")
    assert f"{n_files} files: {n_files} loaded" in lines
    nights = list(csv.DictReader(EXPECTED_NIGHTS.open()))
    flags = list(csv.DictReader(EXPECTED_FLAGS.open()))
    # nights and flags as the generator planned them (days depend on the load model)
    pattern = rf"{len(nights)} nights, \d+ days and {len(flags)} flags computed for 3 athletes "
    assert any(re.fullmatch(pattern + r"\(first run\)\.", line) for line in lines), lines
    for athlete in ("anna", "bram", "chiyo"):
        mine = [f for f in flags if f["athlete_id"] == athlete]
        last = max(n["night"] for n in nights if n["athlete_id"] == athlete)
        n = sum(1 for n in nights if n["athlete_id"] == athlete)
        sev = Counter(f["severity"] for f in mine)
        expected = (
            f"{athlete}: {n} nights up to {last} · {sev['warning']} warning, "
            f"{sev['watch']} watch, {sev['info']} info"
        )
        assert any(line.startswith(expected) for line in lines), expected
    assert f"  herstel flags --db {db} --athlete anna" in lines
    assert f"  herstel report --db {db} --out herstel-demo-report" in lines


def test_nightly_with_nothing_new_says_so(demo_run):
    db, _ = demo_run
    result = runner.invoke(app, ["nightly", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    # nothing loaded since the demo's run: the fast path without Prefect (flows/idle.py)
    assert lines[0] == "Nothing new since the last nightly run: nothing to recompute."
    assert "incremental" not in result.output
    assert "{" not in result.output  # no raw dicts


def test_report_stale_nights_default_is_the_reports():
    from report.data import STALE_NIGHTS

    result = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert re.search(rf"--stale-nights\s.*\[default: {STALE_NIGHTS}\]", result.output)


def test_first_nightly_run_and_a_rebuild_say_so(tmp_path):
    """`ingest --nightly` on one athlete's folder: the first run is called that, in counts."""
    import shutil

    study = tmp_path / "study"
    shutil.copytree(STUDY_DIR / "chiyo", study / "chiyo")
    db = tmp_path / "club.duckdb"
    result = runner.invoke(app, ["ingest", str(study), "--db", str(db), "--nightly"])
    assert result.exit_code == 0, result.output
    nights = sum(1 for n in csv.DictReader(EXPECTED_NIGHTS.open()) if n["athlete_id"] == "chiyo")
    flags = sum(1 for f in csv.DictReader(EXPECTED_FLAGS.open()) if f["athlete_id"] == "chiyo")
    line = next(x for x in _lines(result.output) if "computed for" in x)
    assert re.fullmatch(
        rf"{nights} nights, \d+ days and {flags} flags computed for 1 athlete \(first run\)\.", line
    ), line
    assert "incremental" not in result.output and "{" not in result.output
    again = runner.invoke(app, ["nightly", "--db", str(db), "--rebuild"])
    assert again.exit_code == 0, again.output
    assert _lines(again.output)[0].endswith("computed for 1 athlete (rebuild).")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["flags", "--lang", "de"],
            "Error: Invalid value for '--lang': Value error, 'de' is not one of 'en', 'nl'. "
            "(see herstel flags --help)",
        ),
        (
            ["flags", "--since", "yesterday"],
            "Error: Invalid value: 'yesterday' is not a date like 2026-11-25 "
            "(see herstel flags --help)",
        ),
    ],
)
def test_the_installed_command_says_a_usage_error_in_one_line(args, line):
    """Through `main()` as the console script runs it: one line on stderr, no box."""
    script = "import sys; from flows.cli import main; sys.argv[0] = 'herstel'; main()"
    out = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.splitlines() == [line]
