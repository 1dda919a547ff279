"""How old each athlete's data is, and the words for it: a watch that stopped syncing
shows "no data for 23 nights", never a green "OK" (docs/report.md, Freshness)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from report.text import fmt_date, ui

#: Team-table order: who needs a look first. Stale data comes before OK: the coach should
#: ask why a watch went quiet.
STATUS_RANK = {"warning": 3, "watch": 2, "stale": 1, "ok": 0, "none": -1}


def status(summary: dict[str, Any], nights_without: int | None, stale_nights: int) -> str:
    """The athlete's pill: 'none' without any data, 'stale' after `stale_nights` nights
    without data, else this morning's worst flag ('warning', 'watch', 'ok')."""
    if nights_without is None:
        return "none"
    if nights_without >= stale_nights:
        return "stale"
    return summary.get("status") or "none"


def status_text(state: str, nights_without: int | None, lang: str) -> str:
    words = ui(lang)
    if state == "stale":
        return words["status_stale"].format(n=nights_without)
    return words[f"status_{state}"]


def age_text(nights: int, lang: str) -> str:
    """'this morning', 'yesterday', '23 days ago' (and in Dutch)."""
    words = ui(lang)
    if nights == 0:
        return words["age_today"]
    if nights == 1:
        return words["age_yesterday"]
    return words["age_days"].format(n=nights)


def latest_text(latest: date | None, now: datetime, lang: str) -> str:
    """The team header: 'Latest night in the data: Mon 9 Nov 2026 — 23 days ago' (days
    counted to today's date in UTC: the team may span zones)."""
    if latest is None:
        return ""
    age = age_text(max(0, (now.date() - latest).days), lang)
    return ui(lang)["latest"].format(day=fmt_date(latest, lang), age=age)


def missing_text(rows: list[dict[str, Any]], lang: str) -> str:
    """Who has no recent data, named: 'No data for 3 nights or more: bram (23), chiyo (5).
    No data at all: dora.'"""
    words = ui(lang)
    stale = [f"{r['athlete']} ({r['nights_without']})" for r in rows if r["status"] == "stale"]
    none = [r["athlete"] for r in rows if r["nights_without"] is None]
    parts = []
    if stale:
        parts.append(words["missing_stale"].format(who=", ".join(stale)))
    if none:
        parts.append(words["missing_none"].format(who=", ".join(none)))
    return " ".join(parts)
