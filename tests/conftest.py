"""Shared test fixtures: the real corpus (when present) and one Prefect server per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows import prefect_env

REPO = Path(__file__).resolve().parents[1]
#: Real files from public projects, described in MANIFEST.tsv; never copied into the repo.
CORPUS = REPO.parent / "shared" / "corpus"

# flow tests use the session's temporary server (below), never a long-lived one on port 4200
os.environ.setdefault("HERSTEL_SERVER", "temporary")
# never the developer's own alert receivers (~/.config/herstel/config.toml): tests set theirs
os.environ.setdefault("HERSTEL_CONFIG", str(REPO / ".pytest_cache" / "no-herstel-config.toml"))
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


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory, prefect_server) -> Path:
    """The sample study ingested and computed once, as `herstel.duckdb` in its own folder
    (the name docs/analyst.md uses). Tests that change it work on a copy."""
    from flows.ingest import ingest
    from flows.nightly import nightly
    from sample_data import STUDY_DIR

    db = tmp_path_factory.mktemp("sample-warehouse") / "herstel.duckdb"
    ingest([str(STUDY_DIR)], str(db))
    nightly(str(db))
    return db
