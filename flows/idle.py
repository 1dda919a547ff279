"""`herstel nightly` when nothing is new: no Prefect, an answer in about the time of `rules`.

Importing Prefect alone costs ~3x `herstel rules` (bench/RESULTS.md, CLI fixed cost), so a
scheduled `herstel nightly` that finds no data loaded since the last run (the same test the
flow makes, `warehouse.read.pending_spans`) skips the flow: nothing would be recomputed and
no run recorded. It still alerts, because "no data for N nights" grows while nothing arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime

from warehouse.db import connect, db_path
from warehouse.read import pending_spans
from warehouse.sql import one


def nothing_new(db: str | None, ruleset_version: str) -> bool:
    """True when the warehouse exists and holds no data the last nightly run has not seen,
    that run used the rule file in force (`ruleset_version`), and no athlete waits to be
    retried or recomputed after a configuration problem (`athlete_problems`)."""
    if not db_path(db).exists():
        return False
    con = connect(db, read_only=True)
    try:
        last = one(con, "SELECT ruleset_version FROM nightly_runs ORDER BY started_at DESC LIMIT 1")
        problems = one(con, "SELECT count(*) FROM athlete_problems")[0]
        return (
            pending_spans(con).height == 0
            and (last is None or last[0] == ruleset_version)
            and problems == 0
        )
    finally:
        con.close()


def alert_only(db: str | None, report_url: str | None = None) -> list[tuple[str, int, str | None]]:
    """The alerts a nightly run would send, without the run: (receiver, items, error)."""
    from alerts import load_config, send_alerts
    from alerts.config import ConfigError

    try:
        config = load_config()
    except ConfigError as exc:
        return [("config", 0, str(exc))]
    result = send_alerts(db, config, datetime.now(UTC), report_url=report_url)
    return [(d.receiver, d.items, d.error) for d in result.deliveries]
