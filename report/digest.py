"""The nightly digest: a few plain-text lines a coach can read in a message at 06:00.

Only what needs attention: warnings first, then watches (info flags are left out), each with
its plain-language message. Without `since` it is this morning's status (each athlete's most
recent night, `v_flags_today`); with `since`, every such flag from that day on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from report.text import check_lang, fmt_date, ui
from rules.catalogue import SEVERITY_ORDER
from warehouse.db import connect
from warehouse.sql import frame


def digest(
    db: str | Path | None,
    since: date | None = None,
    lang: str = "en",
    min_severity: str = "watch",
    report_url: str | None = None,
) -> str:
    """Plain-text summary of new warnings and watches, worst first; reads the warehouse only."""
    check_lang(lang)
    if min_severity not in SEVERITY_ORDER:
        raise ValueError(f"min_severity must be one of {', '.join(SEVERITY_ORDER)}")
    con = connect(db, read_only=True)
    try:
        summary = frame(con, "SELECT athlete_id, status, last_night FROM v_athlete_summary")
        if since is None:
            flags = frame(
                con,
                "SELECT athlete_id, day, rule_id, severity, message, message_nl FROM v_flags_today",
            )
        else:
            flags = frame(
                con,
                "SELECT athlete_id, day, rule_id, severity, message, message_nl "
                "FROM daily_flags WHERE day >= ?",
                [since],
            )
    finally:
        con.close()
    return format_digest(summary, flags, since, lang, min_severity, report_url)


def format_digest(
    summary: pl.DataFrame,
    flags: pl.DataFrame,
    since: date | None,
    lang: str,
    min_severity: str = "watch",
    report_url: str | None = None,
) -> str:
    """The digest text from the summary and flag frames (separate so it is testable)."""
    words = ui(lang)
    latest = summary["last_night"].max() if summary.height else None
    title = (
        words["digest_since"].format(day=fmt_date(since, lang))
        if since
        else words["digest_title"].format(day=fmt_date(latest, lang) if latest else "–")
    )
    statuses = summary["status"].fill_null("none").value_counts()
    count = dict(zip(statuses["status"].to_list(), statuses["count"].to_list(), strict=True))
    lines = [
        title,
        words["digest_counts"].format(
            athletes=summary.height,
            warning=count.get("warning", 0),
            watch=count.get("watch", 0),
            ok=count.get("ok", 0),
        ),
    ]
    rank = pl.col("severity").replace_strict(SEVERITY_ORDER, default=0, return_dtype=pl.Int8)
    shown = flags.with_columns(rank.alias("rank")).filter(
        pl.col("rank") >= SEVERITY_ORDER[min_severity]
    )
    if shown.height == 0:
        lines += ["", words["digest_none"]]
    message = "message_nl" if lang == "nl" else "message"
    worst = shown.group_by("athlete_id").agg(pl.col("rank").max().alias("worst"))
    for athlete_id in worst.sort(["worst", "athlete_id"], descending=[True, False])[
        "athlete_id"
    ].to_list():
        rows = shown.filter(pl.col("athlete_id") == athlete_id).sort(
            ["day", "rank"], descending=[False, True]
        )
        head = words[f"sev_{_worst(rows)}"].upper()
        if since is None:
            lines += [
                "",
                f"{head}  {athlete_id} · "
                f"{words['digest_night'].format(day=fmt_date(rows['day'][0], lang))}",
            ]
            lines += [f"  - {r[message]}" for r in rows.iter_rows(named=True)]
        else:
            lines += ["", f"{head}  {athlete_id}"]
            lines += [
                f"  - {fmt_date(r['day'], lang)}: {r[message]}" for r in rows.iter_rows(named=True)
            ]
    if report_url:
        lines += ["", report_url]
    return "\n".join(lines) + "\n"


def _worst(rows: pl.DataFrame) -> str:
    ranked = rows.sort("rank", descending=True)
    return ranked["severity"][0]
