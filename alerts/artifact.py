"""The nightly run's digest as a table for the Prefect UI: who, which flag, since when, why.

Prefect keeps what it is given in its own database, so the table holds no measured values:
the athlete id (a pseudonym when the study is pseudonymised), the rule, the first day of the
episode and the rule's condition in words. Warnings and watches that are open this morning
come from `flag_episodes` when the rules stage has made it, else from `v_flags_today`.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from alerts.compose import _has_table, _rule_text, stale_items
from report.text import fmt_date
from rules.catalogue import load_ruleset
from warehouse.sql import frame

HEAD = {
    "en": ("athlete", "flag", "severity", "since", "why"),
    "nl": ("sporter", "signaal", "ernst", "sinds", "waarom"),
}
TITLE = {
    "en": "herstel nightly digest · open warnings and watches: {n} · "
    "athletes without new data: {s}",
    "nl": "herstel nachtelijk overzicht · open waarschuwingen en aandachtspunten: {n} · "
    "sporters zonder nieuwe gegevens: {s}",
}
NO_DATA = {"en": "no data for {n} nights", "nl": "{n} nachten geen gegevens"}


def open_flags(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """athlete_id, rule_id, severity, since: open episodes (or this morning's flags)."""
    if _has_table(con, "flag_episodes"):
        sql = (
            "SELECT athlete_id, rule_id, peak_severity AS severity, start_day AS since "
            "FROM flag_episodes WHERE is_open AND peak_severity IN ('warning', 'watch')"
        )
    else:
        sql = (
            "SELECT athlete_id, rule_id, severity, day AS since FROM v_flags_today "
            "WHERE severity IN ('warning', 'watch')"
        )
    order = pl.col("severity").replace_strict({"warning": 0, "watch": 1}, return_dtype=pl.Int8)
    return frame(con, sql).sort(order, "athlete_id", "rule_id")


def digest_rows(
    con: duckdb.DuckDBPyConnection, now: datetime, lang: str, stale_after_nights: int
) -> list[dict[str, str]]:
    """One row per open flag, then one per athlete without new data (in `lang`)."""
    ruleset = load_ruleset()
    head = HEAD[lang]
    rows = []
    for r in open_flags(con).iter_rows(named=True):
        title, condition = _rule_text(ruleset, r["rule_id"], lang)
        values = (r["athlete_id"], title, r["severity"], fmt_date(r["since"], lang), condition)
        rows.append(dict(zip(head, values, strict=True)))
    for r in stale_items(con, now, stale_after_nights).iter_rows(named=True):
        why = NO_DATA[lang].format(n=r["nights"])
        values = (r["athlete_id"], "-", "-", fmt_date(r["alert_day"], lang), why)
        rows.append(dict(zip(head, values, strict=True)))
    return rows


def digest_markdown(rows: list[dict[str, str]], lang: str, report_url: str | None) -> str:
    """The rows as a markdown table under a one-line title, with the report's http link."""
    head = HEAD[lang]
    flags = sum(1 for r in rows if r[head[2]] != "-")
    lines = [f"## {TITLE[lang].format(n=flags, s=len(rows) - flags)}", ""]
    if rows:
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(_cell(r[h]) for h in head) + " |" for r in rows]
    if report_url:
        lines += ["", f"[{'Report' if lang == 'en' else 'Rapport'}]({report_url})"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
