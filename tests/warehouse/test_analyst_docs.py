"""Every query in docs/analyst.md runs against the sample study and returns rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.sql import frame

DOC = Path(__file__).parents[2] / "docs" / "analyst.md"
QUERIES = re.findall(r"## (\d+)\. [^\n]*\n\n```sql\n(.*?)```", DOC.read_text(), re.S)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, prefect_server) -> str:
    db = str(tmp_path_factory.mktemp("analyst") / "study.duckdb")
    ingest([str(STUDY_DIR)], db)
    nightly(db)
    return db


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
