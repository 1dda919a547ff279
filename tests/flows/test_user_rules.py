"""A user's own rule file: `herstel rules --init` writes the default, a changed threshold changes
the flags (and recomputes every athlete), its version is in every flag row, and a typo stops
the run before any work with exit 2 and one line."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import nightly
from warehouse.db import connect
from warehouse.sql import run

runner = CliRunner()
SHORT = "thresholds = { hours_below = 7.0 }"


def _rows(db: Path, sql: str) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return run(con, sql)
    finally:
        con.close()


def _short_flags(db: Path) -> set[tuple]:
    return set(_rows(db, "SELECT athlete_id, day, threshold FROM daily_flags "
                         "WHERE rule_id = 'sleep_out_of_range' AND value < threshold"))  # fmt: skip


def _short_nights(db: Path, hours: float) -> set[tuple]:
    """(athlete, night, threshold) the short level must raise: every night under `hours`."""
    return set(_rows(db, f"SELECT athlete_id, night, {hours}::DOUBLE FROM nightly_metrics "
                         f"WHERE sleep_hours < {hours}"))  # fmt: skip


@pytest.fixture
def study(sample_warehouse, tmp_path) -> Path:
    db = tmp_path / "herstel.duckdb"
    shutil.copy(sample_warehouse, db)
    return db


@pytest.fixture
def user_rules(tmp_path) -> Path:
    path = tmp_path / "club-rules.toml"
    result = runner.invoke(app, ["rules", "--init", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.count(SHORT) == 1
    path.write_text(text.replace(SHORT, "thresholds = { hours_below = 6.5 }"))
    return path


def test_a_lower_threshold_changes_the_flags(study, user_rules):
    # packaged rules: every night under 7 h, and only those, has a short-sleep info flag
    assert _short_flags(study) == _short_nights(study, 7.0)
    nights = {(a, n) for a, n, _ in _short_nights(study, 7.0)}
    fewer = {(a, n) for a, n, _ in _short_nights(study, 6.5)}
    assert len(fewer) < len(nights) and fewer < nights  # the change matters on this study
    summary = nightly(str(study), rules=str(user_rules))
    assert summary.mode == "rebuild" and summary.athletes == ["anna", "bram", "chiyo"]
    assert _short_flags(study) == _short_nights(study, 6.5)
    long_flags = _rows(
        study,
        "SELECT count(*) FROM daily_flags "
        "WHERE rule_id = 'sleep_out_of_range' AND value > threshold",
    )
    assert long_flags == _rows(study, "SELECT count(*) FROM nightly_metrics WHERE sleep_hours > 9")
    version = "2026.12.1-local." + hashlib.sha256(user_rules.read_bytes()).hexdigest()[:8]
    versions = {v for (v,) in _rows(study, "SELECT DISTINCT ruleset_version FROM daily_flags")}
    assert versions and {v.split("+")[0] for v in versions} == {version}
    last = _rows(study, "SELECT ruleset_version, mode FROM nightly_runs "
                        "ORDER BY started_at DESC LIMIT 1")  # fmt: skip
    assert last == [(version, "rebuild")]
    # the same file again: nothing changed, nothing recomputed
    assert nightly(str(study), rules=str(user_rules)).athletes == []


def test_herstel_rules_env_and_back_to_the_packaged_file(study, user_rules, monkeypatch):
    monkeypatch.setenv("HERSTEL_RULES", str(user_rules))
    nightly(str(study))
    assert _short_flags(study) == _short_nights(study, 6.5)
    monkeypatch.delenv("HERSTEL_RULES")
    assert nightly(str(study)).mode == "rebuild"  # the packaged file again: recomputed
    assert _short_flags(study) == _short_nights(study, 7.0)
    assert {v for (v,) in _rows(study, "SELECT DISTINCT ruleset_version FROM daily_flags")} <= {
        "2026.12.1", "2026.12.1+older"}  # fmt: skip


@pytest.mark.hostile
@pytest.mark.parametrize("how", ["option", "env"])
def test_a_typo_stops_before_any_work(study, user_rules, monkeypatch, how):
    user_rules.write_text(user_rules.read_text().replace("hours_below = 6.5", "hours_belo = 6.5"))
    runs = _rows(study, "SELECT count(*) FROM nightly_runs")
    args = ["nightly", "--db", str(study)]
    if how == "option":
        args += ["--rules", str(user_rules)]
    else:
        monkeypatch.setenv("HERSTEL_RULES", str(user_rules))
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"herstel: rule file {user_rules}: ")
    assert "sleep_out_of_range.short: threshold 'hours_below' missing" in lines[0]
    assert _rows(study, "SELECT count(*) FROM nightly_runs") == runs


def test_init_never_overwrites(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("# my edits\n")
    result = runner.invoke(app, ["rules", "--init", str(path)])
    assert result.exit_code == 2 and path.read_text() == "# my edits\n"


@pytest.mark.hostile
def test_a_rule_without_a_unit_is_refused(user_rules):
    user_rules.write_text(user_rules.read_text().replace('unit = "h"\n', "", 1))
    result = runner.invoke(app, ["rules", "--rules", str(user_rules)])
    assert result.exit_code == 2
    assert "rules without a unit: sleep_short_streak" in result.stderr
