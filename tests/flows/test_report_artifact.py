"""A nightly run publishes its digest as Prefect artifacts (no health values), links the
report only over http (never file://), and alerts the configured receivers."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect.client.orchestration import get_client

from flows.ingest import ingest
from flows.nightly import nightly
from report.text import fmt_date
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.sql import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "alerts"))
from receivers import webhook_receiver  # noqa: E402


def _artifacts(run_id) -> dict:
    with get_client(sync_client=True) as client:
        return {a.key: a for a in client.read_artifacts() if a.flow_run_id == run_id}


def test_nightly_publishes_digest_links_http_report_and_alerts(
    tmp_path, prefect_server, monkeypatch
):
    db = str(tmp_path / "w.duckdb")
    ingest([str(STUDY_DIR / "chiyo")], db, athlete="chiyo", tz="Asia/Tokyo")
    with webhook_receiver() as (hook, posts):
        config = tmp_path / "config.toml"
        config.write_text(f'[alerts]\nurls = ["{hook}"]\nlang = "nl"\n')
        config.chmod(0o600)
        monkeypatch.setenv("HERSTEL_CONFIG", str(config))
        url = "http://127.0.0.1:4280/index.html"
        state = nightly(
            db, report_dir=str(tmp_path / "report"), lang="nl", report_url=url, return_state=True
        )
        summary = state.result()
    index = tmp_path / "report" / "index.html"
    assert summary.report == str(index) and index.is_file()
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert set(artifacts) == {"herstel-digest", "herstel-digest-table", "herstel-report"}
    assert artifacts["herstel-report"].data == f"[Team recovery report]({url})"
    # chiyo's sample data ended long ago: the digest names her as without new data
    con = connect(db, read_only=True)
    try:
        last = run(con, "SELECT max(last_ts) FROM files WHERE athlete_id = 'chiyo'")[0][0]
    finally:
        con.close()
    tokyo = ZoneInfo("Asia/Tokyo")
    last_day = last.astimezone(tokyo).date()
    nights = (datetime.now(UTC).astimezone(tokyo).date() - last_day).days
    digest = artifacts["herstel-digest"].data
    assert f"| chiyo | - | - | {fmt_date(last_day, 'nl')} | {nights} nachten geen gegevens |" in (
        digest
    )
    assert f"[Rapport]({url})" in digest
    # one message, in Dutch, counts only in the title
    assert [p["title"] for p in posts] == ["herstel: 1 sporter zonder nieuwe gegevens"]
    line = f"- chiyo: {nights} nachten geen gegevens (laatste gegevens {fmt_date(last_day, 'nl')})"
    assert line in posts[0]["message"]
    assert summary.alerts == [(summary.alerts[0][0], 1, None)]


def test_without_an_http_report_there_is_no_link(tmp_path, prefect_server, monkeypatch):
    monkeypatch.setenv("HERSTEL_CONFIG", str(tmp_path / "none.toml"))
    db = str(tmp_path / "w.duckdb")
    ingest([str(STUDY_DIR / "chiyo")], db, athlete="chiyo", tz="Asia/Tokyo")
    state = nightly(db, report_dir=str(tmp_path / "report"), return_state=True)
    assert state.result().alerts == []
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert "herstel-report" not in artifacts and "herstel-digest" in artifacts
    assert "file://" not in artifacts["herstel-digest"].data
