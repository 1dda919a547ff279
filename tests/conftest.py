"""Shared test fixtures: the real corpus (when present) and one Prefect server per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows import prefect_env

REPO = Path(__file__).resolve().parents[1]
#: Real files from public projects, described in MANIFEST.tsv; never copied into the repo.
CORPUS = REPO.parent / "shared" / "corpus"

prefect_env.configure()
os.environ.setdefault("PREFECT_HOME", str(REPO / ".pytest_cache" / "prefect-home"))
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"real-file corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect server for all flow tests (about 6 s to start on an idle machine;
    well over the harness's default 30 s on a busy 2-core one, hence the longer wait)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
