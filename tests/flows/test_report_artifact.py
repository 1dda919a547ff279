"""A nightly run with a report folder writes the report and links it from the flow run."""

from __future__ import annotations

from prefect.client.orchestration import get_client

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data import STUDY_DIR


def test_nightly_links_its_report_as_an_artifact(tmp_path, prefect_server):
    db = str(tmp_path / "w.duckdb")
    ingest([str(STUDY_DIR / "chiyo")], db, athlete="chiyo", tz="Asia/Tokyo")
    summary = nightly(db, report_dir=str(tmp_path / "report"))
    index = tmp_path / "report" / "index.html"
    assert summary.report == str(index) and index.is_file()
    with get_client(sync_client=True) as client:
        links = [a for a in client.read_artifacts() if a.key == "herstel-report"]
    assert links and f"({index.resolve().as_uri()})" in links[-1].data  # stored as markdown
