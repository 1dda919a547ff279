"""The sample study's warehouse, built once for the report tests."""

from __future__ import annotations

import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data import STUDY_DIR


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory, prefect_server) -> str:
    """Ingest + nightly of sample_data/study (3 athletes x 10 weeks, planted flags)."""
    db = str(tmp_path_factory.mktemp("report") / "study.duckdb")
    ingest([str(STUDY_DIR)], db)
    nightly(db)
    return db
