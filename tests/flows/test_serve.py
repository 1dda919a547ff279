"""`herstel serve` on loopback, as a club would run it: the long-lived local server started by
the first flow command and reused, the deployment scheduled at 04:00 in Amsterdam, a run that
completes and publishes its digest and an http report link, the Prefect UI in a real headless
Chromium (no "Can't connect"), and SIGTERM ending serve within 10 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "report"))
sys.path.insert(0, str(REPO / "tests" / "alerts"))

from receivers import free_port  # noqa: E402
from report_browser import browser_context, why_no_browser  # noqa: E402

HERSTEL = [sys.executable, "-m", "flows.cli"]


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


def _client(api_url: str):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    class _Ctx:
        def __enter__(self):
            self.settings = temporary_settings({PREFECT_API_URL: api_url})
            self.settings.__enter__()
            self.client = get_client(sync_client=True).__enter__()
            return self.client

        def __exit__(self, *exc):
            self.client.__exit__(*exc)
            self.settings.__exit__(*exc)

    return _Ctx()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A study athlete ingested (which starts the local server), then `herstel serve` with
    a report folder, and one run of the deployment triggered and completed."""
    tmp = tmp_path_factory.mktemp("serve")
    db = tmp / "club.duckdb"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "HERSTEL_SERVER": "auto",
        "HERSTEL_SERVER_PORT": str(port),
        "HERSTEL_REPORT_PORT": str(free_port()),
        "HERSTEL_CONFIG": str(tmp / "no-config.toml"),
    }
    api_url = f"http://127.0.0.1:{port}/api"

    def herstel(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*HERSTEL, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )

    state = {"env": env, "api_url": api_url, "ui": f"http://127.0.0.1:{port}"}
    serve = None
    try:
        assert herstel("server", "status").returncode == 3
        out = herstel(
            "ingest", str(REPO / "sample_data" / "study" / "anna"), "--athlete", "anna",
            "--tz", "Europe/Amsterdam", "--db", str(db),
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert f"Starting the local Prefect server on http://127.0.0.1:{port}" in out.stderr
        status = herstel("server", "status")
        assert status.returncode == 0 and f"http://127.0.0.1:{port}" in status.stdout
        serve = subprocess.Popen(
            [*HERSTEL, "serve", "--cron", "0 4 * * *", "--tz", "Europe/Amsterdam",
             "--db", str(db), "--report", str(tmp / "report")],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        state["serve"] = serve
        with _client(api_url) as client:
            deployment = _wait(
                lambda: next(iter(client.read_deployments()), None), 180, "the deployment"
            )
            state["deployment"] = deployment
            state["scheduled"] = _wait(
                lambda: [r for r in client.read_flow_runs() if r.state.is_scheduled()],
                120,
                "scheduled runs",
            )
            run = client.create_flow_run_from_deployment(deployment.id)

            def finished():
                current = client.read_flow_run(run.id)
                return current if current.state.is_final() else None

            state["run"] = _wait(finished, 300, "the triggered run to finish")
            state["artifacts"] = [
                a for a in client.read_artifacts() if a.flow_run_id == run.id
            ]
        yield state
    finally:
        if serve is not None and serve.poll() is None:
            serve.kill()
            serve.wait()
        herstel("server", "stop")


def test_the_deployment_runs_at_four_in_amsterdam_and_publishes_its_digest(served):
    assert served["deployment"].name == "herstel-nightly"
    amsterdam = [r.expected_start_time.astimezone(ZoneInfo("Europe/Amsterdam")) for r in
                 served["scheduled"]]  # fmt: skip
    assert {(t.hour, t.minute) for t in amsterdam} == {(4, 0)}
    # Amsterdam is never on UTC, so a UTC schedule would run at another hour there
    assert all(t.utcoffset().total_seconds() > 0 for t in amsterdam)
    assert served["run"].state.type.value == "COMPLETED"
    by_key = {a.key: a for a in served["artifacts"]}
    assert set(by_key) == {"herstel-digest", "herstel-digest-table", "herstel-report"}
    digest = by_key["herstel-digest"].data
    # anna's sample data ends in November: she is named as without new data, no values
    assert "| anna | - | - |" in digest and "no data for" in digest
    report_url = f"http://127.0.0.1:{served['env']['HERSTEL_REPORT_PORT']}/index.html"
    assert f"[Report]({report_url})" in digest
    assert f"({report_url})" in by_key["herstel-report"].data and "file://" not in str(by_key)
    with urllib.request.urlopen(report_url, timeout=10) as resp:  # served by herstel serve
        assert resp.status == 200 and b"<html" in resp.read().lower()


def test_the_prefect_ui_shows_the_deployment_run_and_digest(served):
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    ui = served["ui"]
    run = served["run"]
    digest_id = next(a.id for a in served["artifacts"] if a.key == "herstel-digest")
    with browser_context() as context:
        page = context.new_page()
        page.goto(f"{ui}/deployments")
        page.get_by_text("herstel-nightly").first.wait_for(timeout=60_000)
        assert "Can't connect" not in page.inner_text("body")
        page.goto(f"{ui}/runs/flow-run/{run.id}")
        page.get_by_text("Completed").first.wait_for(timeout=60_000)
        page.get_by_text("Artifacts", exact=True).first.click()
        page.get_by_text("herstel-digest", exact=True).first.wait_for(timeout=60_000)
        page.goto(f"{ui}/artifacts/artifact/{digest_id}")
        page.get_by_text("herstel nightly digest").first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert "no data for" in body and "Can't connect" not in body


def test_sigterm_stops_serve_within_ten_seconds(served):
    serve = served["serve"]
    assert serve.poll() is None, serve.stdout.read()
    started = time.monotonic()
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=10)
    assert time.monotonic() - started < 10
    assert "Serving herstel-nightly: cron '0 4 * * *' in Europe/Amsterdam" in serve.stdout.read()
