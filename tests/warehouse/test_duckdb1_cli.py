"""DuckDB 1.x readers open the warehouse: the 1.x CLI from PyPI runs docs/analyst.md's queries
read-only on a freshly built sample warehouse, and `herstel compact` converts a file written in
DuckDB 2.0's own format."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from warehouse.db import connect
from warehouse.sql import frame

DOC = Path(__file__).parents[2] / "docs" / "analyst.md"


def _queries() -> list[tuple[str, str]]:
    import re

    return re.findall(r"## (\d+)\. [^\n]*\n\n```sql\n(.*?)```", DOC.read_text(), re.S)


def _version(cli: str) -> str:
    return subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def duckdb1_cli(tmp_path_factory) -> str:
    """A DuckDB 1.x CLI: `duckdb` on PATH when it is 1.x, else `duckdb-cli` from PyPI in a
    temporary venv. Skips only when PyPI cannot be reached."""
    found = shutil.which("duckdb")
    if found and _version(found).startswith("v1."):
        return found
    venv = tmp_path_factory.mktemp("duckdb1-cli") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "duckdb-cli>=1.0,<2"],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        pytest.skip(f"duckdb-cli could not be installed from PyPI: {pip.stderr[-300:]}")
    cli = str(venv / "bin" / "duckdb")
    assert _version(cli).startswith("v1."), _version(cli)
    return cli


def _cli(cli: str, db: Path, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [cli, "-readonly", "-csv", str(db), "-c", sql], capture_output=True, text=True
    )


def _rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


@pytest.mark.parametrize("number,sql", _queries(), ids=[n for n, _ in _queries()])
def test_analyst_queries_run_in_the_1x_cli(duckdb1_cli, sample_warehouse, number, sql):
    """Same rows as DuckDB 2.0 returns: the 1.x reader sees the whole warehouse."""
    result = _cli(duckdb1_cli, sample_warehouse, sql.strip())
    assert result.returncode == 0, result.stderr
    con = connect(sample_warehouse, read_only=True)
    try:
        expected = frame(con, sql.strip().rstrip(";"))
    finally:
        con.close()
    rows = _rows(result.stdout)
    assert len(rows) == expected.height > 0, f"query {number}"
    assert list(rows[0]) == expected.columns


def test_comments_and_versions_read_in_1x(duckdb1_cli, sample_warehouse):
    out = _cli(
        duckdb1_cli,
        sample_warehouse,
        "SELECT (SELECT library_version FROM pragma_version()) AS v, "
        "count(*) AS columns, count(comment) AS commented FROM duckdb_columns() "
        "WHERE NOT internal AND schema_name = 'main'",
    )
    assert out.returncode == 0, out.stderr
    row = _rows(out.stdout)[0]
    assert row["v"].startswith("v1.")
    assert int(row["columns"]) > 150 and row["columns"] == row["commented"]
    units = _cli(duckdb1_cli, sample_warehouse, "SELECT count(*) AS n FROM daily_flags "
                 "WHERE unit IS NULL")  # fmt: skip
    assert _rows(units.stdout) == [{"n": "0"}]


def test_compact_converts_a_2x_format_file(duckdb1_cli, tmp_path):
    """A warehouse written in 2.0's own format is refused by 1.x until `herstel compact`."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))  # DuckDB 2.0's default storage format
    con.execute("CREATE TABLE nights (athlete_id VARCHAR, hrv_ms DOUBLE)")
    con.execute("COMMENT ON COLUMN nights.hrv_ms IS 'RMSSD, ms'")
    con.execute("INSERT INTO nights VALUES ('anna', 61.5), ('bram', 48.0)")
    con.close()
    refused = _cli(duckdb1_cli, db, "SELECT 1")
    assert refused.returncode != 0 and "version number" in refused.stderr
    result = CliRunner().invoke(app, ["compact", "--db", str(db)])
    assert result.exit_code == 0, result.output
    out = _cli(duckdb1_cli, db, "SELECT athlete_id, hrv_ms, (SELECT comment FROM "
               "duckdb_columns() WHERE column_name = 'hrv_ms') AS c FROM nights ORDER BY 1")
    assert out.returncode == 0, out.stderr
    assert _rows(out.stdout) == [
        {"athlete_id": "anna", "hrv_ms": "61.5", "c": "RMSSD, ms"},
        {"athlete_id": "bram", "hrv_ms": "48.0", "c": "RMSSD, ms"},
    ]
    assert oct(db.stat().st_mode & 0o777) == "0o600"
