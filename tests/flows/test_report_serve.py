"""`herstel report --serve`: the report over http on loopback, stopped by Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "alerts"))

from receivers import free_port  # noqa: E402

from warehouse.db import connect  # noqa: E402


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.read()
    except OSError:
        return None


def test_report_serve_answers_on_loopback_and_stops(tmp_path):
    db = tmp_path / "w.duckdb"
    connect(db).close()  # an empty warehouse: the report says there are no athletes yet
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "report", "--db", str(db), "--out",
         str(tmp_path / "r"), "--serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/index.html"
        deadline = time.monotonic() + 120
        page = None
        while page is None and time.monotonic() < deadline and proc.poll() is None:
            page = _get(url)
            time.sleep(0.5)
        assert page is not None, proc.stdout.read() if proc.poll() is not None else "no answer"
        assert b"herstel ingest" in page  # the empty-warehouse hint
        assert _get(f"http://127.0.0.1:{port}/../w.duckdb") is None  # only the report folder
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert f"Serving it on {url}" in proc.stdout.read()
