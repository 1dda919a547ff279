"""Sending: per receiver, what it has not yet received, as one apprise message.

A receiver's pending items are the current items without a `sent` row for that receiver in
`alert_deliveries`; so a receiver that was down (connection refused, SMTP error) gets them
with the next run's message, and a working one never gets the same item twice. Every
attempt is recorded, failures with apprise's reason. Sending never fails the nightly run.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from alerts.compose import KEY, WORDS, body, episode_items, stale_items, subject
from alerts.config import AlertConfig
from rules.catalogue import load_ruleset
from warehouse.db import writer
from warehouse.sql import frame, transaction

#: Longest apprise failure reason kept in alert_deliveries.error, in characters.
ERROR_CHARS = 300


@dataclass
class Delivery:
    receiver: str  # masked URL
    items: int
    ok: bool
    error: str | None = None


@dataclass
class AlertResult:
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.ok]


def receiver_id(url: str) -> tuple[str, str]:
    """(masked URL for people, stable key for matching): no password goes into the warehouse."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    masked = plugin.url(privacy=True) if plugin else url.split("://", 1)[0] + "://(invalid)"
    return masked.split("?", 1)[0], hashlib.sha256(url.encode()).hexdigest()[:16]


def notify(url: str, title: str, text: str) -> str | None:
    """Send one message; None when delivered, else apprise's reason (its log lines)."""
    import apprise

    sender = apprise.Apprise()
    if not sender.add(url):
        return "not a notification URL apprise understands"
    with apprise.LogCapture(level=logging.WARNING) as log:
        ok = sender.notify(title=title, body=text, body_format=apprise.NotifyFormat.TEXT)
        reason = log.getvalue().strip()
    return None if ok else (reason or "the receiver did not accept the message")[:ERROR_CHARS]


def _sent(con, key: str) -> pl.DataFrame:
    return frame(
        con,
        "SELECT DISTINCT kind, athlete_id, rule_id, start_day, alert_day, reason "
        "FROM alert_deliveries WHERE receiver_key = ? AND status = 'sent'",
        [key],
    )


def pending(items: pl.DataFrame, sent: pl.DataFrame) -> pl.DataFrame:
    """Items this receiver has not received yet (nulls match nulls: no_data has no rule)."""
    if sent.height == 0:
        return items
    return items.join(sent.cast(items.select(KEY).schema), on=KEY, how="anti", nulls_equal=True)


def _record(con, run_at: datetime, masked: str, key: str, items: pl.DataFrame, error) -> None:
    rows = [
        [run_at, datetime.now(UTC), masked, key, r["kind"], r["athlete_id"], r["rule_id"],
         r["start_day"], r["alert_day"], r["reason"], "failed" if error else "sent", error]
        for r in items.iter_rows(named=True)
    ]  # fmt: skip
    with transaction(con):
        con.executemany(
            "INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )


def send_alerts(
    db: str | Path | None,
    config: AlertConfig,
    run_at: datetime,
    now: datetime | None = None,
    report_url: str | None = None,
) -> AlertResult:
    """After a nightly run: one message per receiver with its pending items; failures are
    recorded, never raised."""
    result = AlertResult()
    if not config.urls:
        return result
    now = now or datetime.now(UTC)
    ruleset = load_ruleset()
    with writer(db) as con:  # read, then let go: sending may wait on a slow receiver
        items = pl.concat(
            [episode_items(con, now), stale_items(con, now, config.stale_after_nights)]
        )
        todo = {url: pending(items, _sent(con, receiver_id(url)[1])) for url in config.urls}
    attempts = []
    for url, items_todo in todo.items():
        if items_todo.height == 0:
            continue
        text = body(items_todo, config.lang, ruleset, now.date(), report_url)
        error = notify(url, subject(items_todo, config.lang), text)
        masked, key = receiver_id(url)
        attempts.append((masked, key, items_todo, error))
        result.deliveries.append(Delivery(masked, items_todo.height, error is None, error))
    if attempts:
        with writer(db) as con:
            for masked, key, items_todo, error in attempts:
                _record(con, run_at, masked, key, items_todo, error)
    return result


def send_test(config: AlertConfig) -> AlertResult:
    """A test message to every receiver (`herstel alerts test`); nothing is recorded."""
    words = WORDS[config.lang]
    result = AlertResult()
    for url in config.urls:
        error = notify(url, words["test_subject"], words["test_body"])
        result.deliveries.append(Delivery(receiver_id(url)[0], 0, error is None, error))
    return result
