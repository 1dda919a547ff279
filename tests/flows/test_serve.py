"""`herstel serve`: the nightly flow as a scheduled deployment on a real (loopback) Prefect
server; a run of the deployment completes and writes its results."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.serve import start_local_server
from warehouse.db import connect
from warehouse.sql import run

REPO = Path(__file__).resolve().parents[2]


def _prefect(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out waiting for {what}")


def _runs(api_url: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        return client.read_flow_runs()


def test_served_deployment_is_scheduled_and_runs(tmp_path):
    db = tmp_path / "served.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "ingest",
            str(REPO / "sample_data" / "study" / "anna"),
            "--athlete",
            "anna",
            "--tz",
            "Europe/Amsterdam",
            "--db",
            str(db),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    server, api_url = start_local_server(env=env)  # its own database, nothing left over
    env["PREFECT_API_URL"] = api_url
    serve = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--cron", "0 4 * * *", "--db", str(db)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(
            lambda: "herstel-nightly" in _prefect(env, "deployment", "ls"),
            180,
            "the deployment to be served",
        )
        info = _prefect(env, "deployment", "inspect", "herstel-nightly/herstel-nightly")
        assert "0 4 * * *" in info
        scheduled = _wait(
            lambda: [r for r in _runs(api_url) if r.state and r.state.is_scheduled()],
            120,
            "the cron schedule to produce runs",
        )
        assert all(r.expected_start_time.hour == 4 for r in scheduled)  # 04:00 UTC, as asked
        _prefect(env, "deployment", "run", "herstel-nightly/herstel-nightly")

        def finished() -> list:
            return [r for r in _runs(api_url) if r.state and r.state.is_final()]

        done = _wait(finished, 300, "the triggered run to finish")
        assert [r.state.type.value for r in done] == ["COMPLETED"], done[0].state
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
        server.terminate()
        server.wait(timeout=30)
    con = connect(db, read_only=True)
    try:
        assert run(con, "SELECT count(*) FROM nightly_runs")[0][0] == 1
        assert run(con, "SELECT count(*) FROM nightly_metrics")[0][0] > 60
    finally:
        con.close()
