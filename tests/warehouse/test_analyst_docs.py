"""Every query in docs/analyst.md runs against the sample study and returns rows."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from warehouse.db import connect
from warehouse.sql import frame

DOC = Path(__file__).parents[2] / "docs" / "analyst.md"
QUERIES = re.findall(r"## (\d+)\. [^\n]*\n\n```sql\n(.*?)```", DOC.read_text(), re.S)


@pytest.fixture(scope="module")
def sample_db(sample_warehouse) -> str:
    return str(sample_warehouse)


def test_doc_has_ten_queries():
    assert [int(n) for n, _ in QUERIES] == list(range(1, 11))


@pytest.mark.parametrize("number,sql", QUERIES, ids=[n for n, _ in QUERIES])
def test_query_runs_and_returns_rows(sample_db, number, sql):
    con = connect(sample_db, read_only=True)
    try:
        result = frame(con, sql.strip().rstrip(";"))
    finally:
        con.close()
    assert result.height > 0, f"query {number} returned nothing on the sample study"


PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_python_examples_run_in_order(sample_db, monkeypatch):
    """Every ```python block of docs/analyst.md, in order, in one namespace, in the folder
    holding `herstel.duckdb` (the name the examples use)."""
    pytest.importorskip("pandas")  # the test extra installs it, as herstel[pandas] does
    monkeypatch.chdir(Path(sample_db).parent)
    assert Path(sample_db).name == "herstel.duckdb" and len(PYTHON_BLOCKS) >= 5
    ns: dict = {}
    for block in PYTHON_BLOCKS:
        exec(compile(block, str(DOC), "exec"), ns)  # noqa: S102 - our own documentation
    assert ns["summary"].height == 3  # anna, bram, chiyo
    assert ns["nights"].height == ns["nights_pd"].shape[0] > 0
    assert set(ns["anna"]["athlete_id"]) == {"anna"}
    assert ns["anna"]["night"].min().isoformat() >= "2026-10-01"
    assert ns["flags"]["unit"].null_count() == 0
    assert {"heart_rate"} <= set(ns["frames"])
    monitoring = ns["messages"]["monitoring"]
    assert monitoring.schema["timestamp"] == pl.Datetime("us", "UTC")
    assert monitoring["timestamp"].null_count() == 0  # timestamp_16 resolved on every row
    assert ns["weekly"].columns == ["athlete_id", "week", "hrv_ms"]


def test_api_works_beside_an_analysts_own_read_only_connection(sample_db):
    """A notebook often keeps `duckdb.connect(..., read_only=True)` open: herstel's readers use
    the same settings, so DuckDB lets both share the file in one process."""
    import duckdb

    import herstel

    own = duckdb.connect(sample_db, read_only=True)
    try:
        n = own.sql("SELECT count(*) FROM v_nightly").fetchall()[0][0]
        assert herstel.nightly_frame(sample_db).height == n > 0
    finally:
        own.close()
