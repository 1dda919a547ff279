"""`herstel nightly` with nothing new: no Prefect import, no recomputation, alerts still go."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "alerts"))

from receivers import webhook_receiver  # noqa: E402

from rules.catalogue import load_ruleset  # noqa: E402
from warehouse.db import connect  # noqa: E402
from warehouse.sql import run  # noqa: E402

#: Runs the CLI in-process and says whether Prefect got imported.
PROBE = (
    "import sys\n"
    "from flows.cli import main\n"
    "sys.argv = ['herstel', 'nightly', '--db', sys.argv[1]]\n"
    "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
    "print('PREFECT IMPORTED' if 'prefect' in sys.modules else 'no prefect')\n"
)


def test_nothing_new_skips_the_flow_but_alerts(tmp_path):
    db = str(tmp_path / "w.duckdb")
    last = datetime.now(UTC) - timedelta(days=6)
    con = connect(db)
    try:
        run(con, "INSERT INTO athletes (athlete_id, time_zone, time_zone_source) "
                 "VALUES ('anna', 'UTC', 'option')")  # fmt: skip
        run(
            con,
            "INSERT INTO files (file_id, path, athlete_id, format, size_bytes, status, "
            "ingested_at, first_ts, last_ts) VALUES ('x', 'a.fit', 'anna', 'fit', 1, 'loaded', "
            "?, ?, ?)",
            [last, last, last],
        )
        run(con, "INSERT INTO nightly_metrics (athlete_id, night, computed_at) "
                 "VALUES ('anna', ?, ?)", [last.date(), last])  # fmt: skip
        run(con, "INSERT INTO nightly_runs (started_at, finished_at, athletes, mode, "
                 "ruleset_version) VALUES (?, ?, 1, 'incremental', ?)",
            [last, last, load_ruleset().version])  # the rule file in force: nothing to redo
    finally:
        con.close()
    with webhook_receiver() as (hook, posts):
        config = tmp_path / "config.toml"
        config.write_text(f'[alerts]\nurls = ["{hook}"]\n')
        config.chmod(0o600)
        env = {**os.environ, "HERSTEL_CONFIG": str(config)}
        out = subprocess.run(
            [sys.executable, "-c", PROBE, db], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Nothing new since the last nightly run: nothing to recompute." in out.stdout
    assert out.stdout.rstrip().endswith("no prefect")
    assert [p["title"] for p in posts] == ["herstel: 1 athlete without new data"]
    assert "- anna: no data for 6 nights" in posts[0]["message"]
    con = connect(db, read_only=True)
    try:
        assert run(con, "SELECT count(*) FROM nightly_runs")[0][0] == 1  # no run recorded
    finally:
        con.close()
