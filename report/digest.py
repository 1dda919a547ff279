"""The nightly digest: a few plain-text lines a coach can read in a message at 06:00.

It speaks in episodes (`flag_episodes`), not per-day flags: a condition that persists is one
line, marked new, worse (it worsened that night) or ongoing, so the same warning does not
arrive fresh every morning. Info is left out by default. Every athlete is counted: one with no
night of data for `stale_nights` nights or more is named "no data for N nights" (with the last
night that had data), never counted as OK (`v_data_sufficiency`).

Without `since` it is this morning's status: the reference night `as_of` is the newest night
of any athlete, and an athlete's lines are the episodes flagged on their own newest night.
With `since`, every episode with a flag from that day on, with the day it started.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from report.text import check_lang, fmt_date, ui
from rules.catalogue import SEVERITY_ORDER
from warehouse.db import connect
from warehouse.sql import frame

#: Default: an athlete whose last night with data is this many nights or more before the
#: reference night is "no data for N nights" (a watch left on the charger over a weekend).
STALE_NIGHTS = 3

WORDS = {
    "en": {
        "counts": "{athletes} athletes: {warning} warning, {watch} watch, {ok} OK, "
        "{stale} without recent data.",
        "new": "new",
        "worse": "worse",
        "ongoing": "ongoing since {day}, {days} days",
        "no_data_head": "NO DATA",
        "no_data": "no data for {n} nights (last night with data: {day})",
        "never": "no data yet",
        "span": "{days} days, to {day}",
        "worse_on": "worse on {day}",
    },
    "nl": {
        "counts": "{athletes} sporters: {warning} waarschuwing, {watch} let op, {ok} OK, "
        "{stale} zonder recente gegevens.",
        "new": "nieuw",
        "worse": "erger",
        "ongoing": "loopt sinds {day}, {days} dagen",
        "no_data_head": "GEEN GEGEVENS",
        "no_data": "geen gegevens voor {n} nachten (laatste nacht met gegevens: {day})",
        "never": "nog geen gegevens",
        "span": "{days} dagen, tot {day}",
        "worse_on": "erger op {day}",
    },
}

#: Episodes with the severity and messages of their last flagged day and of their last alert.
EPISODES_SQL = """
SELECT e.athlete_id, e.rule_id, e.start_day, e.last_day, e.days, e.peak_severity,
       e.last_alert_day, e.last_alert_reason, l.severity,
       l.message, l.message_nl, a.message AS alert_message, a.message_nl AS alert_message_nl
FROM flag_episodes e
JOIN daily_flags l ON l.athlete_id = e.athlete_id AND l.rule_id = e.rule_id
                  AND l.day = e.last_day
JOIN daily_flags a ON a.athlete_id = e.athlete_id AND a.rule_id = e.rule_id
                  AND a.day = e.last_alert_day
WHERE e.last_day >= ?
"""


def digest(
    db: str | Path | None,
    since: date | None = None,
    lang: str = "en",
    min_severity: str = "watch",
    report_url: str | None = None,
    stale_nights: int = STALE_NIGHTS,
) -> str:
    """Plain-text summary of episodes that need attention, worst first; reads the warehouse."""
    check_lang(lang)
    if min_severity not in SEVERITY_ORDER:
        raise ValueError(f"min_severity must be one of {', '.join(SEVERITY_ORDER)}")
    con = connect(db, read_only=True)
    try:
        summary = frame(con, "SELECT athlete_id, last_night FROM v_data_sufficiency")
        first = since or summary["last_night"].min() or date.min
        episodes = frame(con, EPISODES_SQL, [first])
    finally:
        con.close()
    return format_digest(
        summary, episodes, since, lang, min_severity, report_url, stale_nights=stale_nights
    )


def athlete_status(
    summary: pl.DataFrame,
    episodes: pl.DataFrame,
    as_of: date | None,
    min_severity: str = "watch",
    stale_nights: int = STALE_NIGHTS,
) -> pl.DataFrame:
    """Per athlete: `status` warning | watch | ok | no_data, and `nights_without_data`.

    no_data: no night at all, or the last night with data `stale_nights` or more before
    `as_of`; otherwise the worst severity (at least `min_severity`) of the episodes flagged on
    the athlete's own last night, else ok.
    """
    today = _today(summary, episodes).filter(
        pl.col("_rank") >= SEVERITY_ORDER[min_severity]
    )
    worst = today.group_by("athlete_id").agg(_worst=pl.col("_rank").max())
    gap = (pl.lit(as_of) - pl.col("last_night")).dt.total_days() if as_of else pl.lit(None)
    names = {v: k for k, v in SEVERITY_ORDER.items()}
    return (
        summary.select("athlete_id", "last_night")
        .join(worst, on="athlete_id", how="left")
        .with_columns(nights_without_data=gap.cast(pl.Int64))
        .with_columns(
            status=pl.when(
                pl.col("last_night").is_null() | (pl.col("nights_without_data") >= stale_nights)
            )
            .then(pl.lit("no_data"))
            .otherwise(
                pl.col("_worst").replace_strict(names, default="ok", return_dtype=pl.String)
            )
        )
        .drop("_worst")
        .sort("athlete_id")
    )


def _rank(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(SEVERITY_ORDER, default=0, return_dtype=pl.Int8)


def _today(summary: pl.DataFrame, episodes: pl.DataFrame) -> pl.DataFrame:
    """Episodes flagged on their athlete's last night, with `_rank` of that night's flag."""
    last = summary.select("athlete_id", "last_night")
    return (
        episodes.join(last, on="athlete_id", how="inner")
        .filter(pl.col("last_day") == pl.col("last_night"))
        .with_columns(_rank=_rank("severity"))
    )


def format_digest(
    summary: pl.DataFrame,
    episodes: pl.DataFrame,
    since: date | None,
    lang: str,
    min_severity: str = "watch",
    report_url: str | None = None,
    *,
    stale_nights: int = STALE_NIGHTS,
    as_of: date | None = None,
) -> str:
    """The digest text from the summary (`athlete_id`, `last_night`) and episode frames
    (columns of `EPISODES_SQL`); separate from `digest` so it is testable."""
    words, w = ui(lang), WORDS[lang]
    as_of = as_of or (summary["last_night"].max() if summary.height else None)
    title = (
        words["digest_since"].format(day=fmt_date(since, lang))
        if since
        else words["digest_title"].format(day=fmt_date(as_of, lang) if as_of else "–")
    )
    status = athlete_status(summary, episodes, as_of, min_severity, stale_nights)
    count = dict(status["status"].value_counts().iter_rows())
    lines = [
        title,
        w["counts"].format(
            athletes=status.height,
            warning=count.get("warning", 0),
            watch=count.get("watch", 0),
            ok=count.get("ok", 0),
            stale=count.get("no_data", 0),
        ),
    ]
    if since is None:
        body = _morning(summary, episodes, status, lang, min_severity)
    else:
        body = _since(episodes, since, lang, min_severity)
    if not body:
        body = ["", words["digest_none"]]
    lines += body + _stale(status, lang)
    if report_url:
        lines += ["", report_url]
    return "\n".join(lines) + "\n"


def _morning(summary, episodes, status, lang, min_severity) -> list[str]:
    """Per athlete with data (worst first): the episodes flagged on their last night."""
    words = ui(lang)
    message = "message_nl" if lang == "nl" else "message"
    fresh = status.filter(pl.col("status") != "no_data")["athlete_id"]
    today = _today(summary, episodes).filter(
        (pl.col("_rank") >= SEVERITY_ORDER[min_severity])
        & pl.col("athlete_id").is_in(fresh.implode())
    )
    lines: list[str] = []
    order = today.group_by("athlete_id").agg(_worst=pl.col("_rank").max())
    for athlete_id, worst in order.sort(["_worst", "athlete_id"], descending=[True, False]).rows():
        rows = today.filter(pl.col("athlete_id") == athlete_id).sort(
            ["_rank", "start_day", "rule_id"], descending=[True, False, False]
        )
        head = words[f"sev_{_name(worst)}"].upper()
        night = words["digest_night"].format(day=fmt_date(rows["last_day"][0], lang))
        lines += ["", f"{head}  {athlete_id} · {night}"]
        for r in rows.iter_rows(named=True):
            lines.append(f"  - [{_state(r, r['last_day'], lang)}] {r[message]}")
    return lines


def _state(r: dict, day: date, lang: str) -> str:
    w = WORDS[lang]
    if r["last_alert_day"] == day:
        return w["new"] if r["last_alert_reason"] == "started" else w["worse"]
    return w["ongoing"].format(day=fmt_date(r["start_day"], lang), days=r["days"])


def _since(episodes: pl.DataFrame, since: date, lang: str, min_severity: str) -> list[str]:
    """Per athlete (worst first): each episode active since `since`, by its start day, with
    the message of its last alert (its start, or the day it last worsened)."""
    words, w = ui(lang), WORDS[lang]
    message = "alert_message_nl" if lang == "nl" else "alert_message"
    shown = episodes.filter(pl.col("last_day") >= since).with_columns(_rank=_rank("peak_severity"))
    shown = shown.filter(pl.col("_rank") >= SEVERITY_ORDER[min_severity])
    lines: list[str] = []
    order = shown.group_by("athlete_id").agg(_worst=pl.col("_rank").max())
    for athlete_id, worst in order.sort(["_worst", "athlete_id"], descending=[True, False]).rows():
        lines += ["", f"{words[f'sev_{_name(worst)}'].upper()}  {athlete_id}"]
        rows = shown.filter(pl.col("athlete_id") == athlete_id).sort("start_day", "rule_id")
        for r in rows.iter_rows(named=True):
            extra = w["span"].format(days=r["days"], day=fmt_date(r["last_day"], lang))
            if r["last_alert_reason"] == "worsened":
                extra += "; " + w["worse_on"].format(day=fmt_date(r["last_alert_day"], lang))
            lines.append(f"  - {fmt_date(r['start_day'], lang)}: {r[message]} ({extra})")
    return lines


def _stale(status: pl.DataFrame, lang: str) -> list[str]:
    """One line per athlete without recent data: never silently counted as fine."""
    w = WORDS[lang]
    lines = []
    for r in status.filter(pl.col("status") == "no_data").iter_rows(named=True):
        why = (
            w["never"]
            if r["last_night"] is None
            else w["no_data"].format(
                n=r["nights_without_data"], day=fmt_date(r["last_night"], lang)
            )
        )
        lines += ["", f"{w['no_data_head']}  {r['athlete_id']} · {why}"]
    return lines


def _name(rank: int) -> str:
    return {v: k for k, v in SEVERITY_ORDER.items()}[rank]
