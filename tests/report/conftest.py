"""The sample study's warehouse, built once per session (tests/conftest.py) for the report tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sample_db(sample_warehouse) -> str:
    """Ingest + nightly of sample_data/study (3 athletes x 10 weeks, planted flags); the report
    only reads it."""
    return str(sample_warehouse)
