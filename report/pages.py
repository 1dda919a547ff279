"""What each page shows: the template context of the team and athlete pages, cut per
athlete and period from the report's frames; the chart datasets are made by
report.chart_rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from hashlib import sha1
from typing import Any

import polars as pl

from report.chart_rows import (
    _ms,
    daily_rows,
    flag_rows,
    nightly_rows,
    spark_rows,
    weekly_rows,
)
from report.data import (
    Guides,
    ReportData,
    last_data,
    last_nights,
    nights_without_data,
    with_bands,
    worst_flag,
)
from report.freshness import STATUS_RANK, age_text, latest_text, missing_text
from report.freshness import status as freshness_status
from report.freshness import status_text as freshness_text
from report.text import (
    RULE_NL,
    fmt_date,
    fmt_hours,
    fmt_num,
    fmt_signed_pct,
    markers,
    rule_short,
    ui,
)
from rules.catalogue import SEVERITY_ORDER, Level, Rule, RuleSet

#: The nightly chart row column each marker chart draws (a chart without any is empty).
NIGHT_CHART_COLUMN = {"rhr": "rhr", "hrv": "hrv", "sleep": "sleep"}
#: Flag lists longer than this start folded.
OPEN_ROWS_MAX = 6


@dataclass(frozen=True)
class Athlete:
    """One athlete's frames, cut from the report's frames once."""

    athlete_id: str
    slug: str
    summary: dict[str, Any]
    nightly: pl.DataFrame
    daily: pl.DataFrame
    flags: pl.DataFrame
    today: pl.DataFrame
    #: nights since the last data, to this morning in the athlete's zone; None: no data
    nights_without: int | None = None


def slugs(athlete_ids: list[str]) -> dict[str, str]:
    """Safe, unique file names for athlete pages (ids may be pseudonyms with any character)."""
    out: dict[str, str] = {}
    for athlete_id in athlete_ids:
        slug = re.sub(r"[^A-Za-z0-9_-]", "_", athlete_id)[:60] or "athlete"
        if slug != athlete_id or slug.lower() in {s.lower() for s in out.values()}:
            slug = f"{slug}-{sha1(athlete_id.encode()).hexdigest()[:8]}"
        out[athlete_id] = slug
    return out


def split(data: ReportData) -> list[Athlete]:
    """Per-athlete frames, partitioned once rather than filtered fifty times."""

    def parts(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
        return {
            key[0]: part
            for key, part in frame.partition_by(
                "athlete_id", as_dict=True, maintain_order=True
            ).items()
        }

    nightly, daily, flags, today = (
        parts(f) for f in (data.nightly, data.daily, data.flags, data.today)
    )
    names = slugs(data.athletes())
    last = last_data(data.nightly, data.daily)
    return [
        Athlete(
            athlete_id=row["athlete_id"],
            slug=names[row["athlete_id"]],
            summary=row,
            nightly=nightly.get(row["athlete_id"], data.nightly.clear()),
            daily=daily.get(row["athlete_id"], data.daily.clear()),
            flags=flags.get(row["athlete_id"], data.flags.clear()),
            today=today.get(row["athlete_id"], data.today.clear()),
            nights_without=nights_without_data(
                last.get(row["athlete_id"]), data.generated_at, row.get("time_zone")
            ),
        )
        for row in data.summary.iter_rows(named=True)
    ]


def period(a: Athlete, since: date | None) -> tuple[date, date] | None:
    """The days a page shows: `since` (or the first night or day) to the last night or day."""
    days = [d for d in (*a.nightly["night"].to_list(), *a.daily["day"].to_list()) if d]
    if not days:
        return None
    start = max(since, min(days)) if since else min(days)
    end = max(days)
    return (start, max(start, end))


# ---------------------------------------------------------------------------------------
# Words on the pages


def level_of(rule: Rule, severity: str, value: float | None, threshold: float | None) -> Level:
    """The level of a rule that raised a flag: by severity, then by direction.

    The flags table keeps the severity, not the level; where two levels share a severity
    (resting HR above or below the baseline, sleep short or long), a value under its
    threshold came from the level that watches the lower side.
    """
    candidates = [lv for lv in rule.levels if lv.severity == severity] or list(rule.levels)
    if len(candidates) > 1 and value is not None and threshold is not None:
        below = value < threshold
        side = [lv for lv in candidates if any("below" in key for key in lv.thresholds) == below]
        candidates = side or candidates
    return candidates[0]


def rule_words(rule: Rule, level: Level, lang: str) -> tuple[str, str]:
    """A rule's title and a level's condition in the report's language."""
    if lang == "nl" and rule.id in RULE_NL:
        title, whens = RULE_NL[rule.id]
        try:
            return title, whens[level.name].format(**level.thresholds)
        except (KeyError, IndexError, ValueError):
            return title, level.describe()
    if lang == "nl":  # no Dutch words for this rule yet: its short Dutch name, if any
        return rule_short(rule.id, lang), level.describe()
    return rule.title, level.describe()


def rule_sections(flags: pl.DataFrame, ruleset: RuleSet, lang: str) -> list[dict[str, Any]]:
    """One section per rule raised in the period: what it checks, its source, every flag."""
    words = ui(lang)
    message = "message_nl" if lang == "nl" else "message"
    sections = []
    order = (
        flags.group_by("rule_id")
        .agg(
            pl.col("severity")
            .replace_strict(SEVERITY_ORDER, default=0, return_dtype=pl.Int8)
            .max()
            .alias("worst")
        )
        .sort(["worst", "rule_id"], descending=[True, False])
    )
    for rule_id in order["rule_id"].to_list():
        rows = flags.filter(pl.col("rule_id") == rule_id).sort("day", descending=True)
        rule = ruleset.rules.get(rule_id)
        levels: dict[str, dict[str, str]] = {}
        title = rule_short(rule_id, lang)
        for row in rows.iter_rows(named=True):
            if rule is None:
                continue
            level = level_of(rule, row["severity"], row["value"], row["threshold"])
            title, when = rule_words(rule, level, lang)
            levels.setdefault(
                level.name,
                {
                    "severity": level.severity,
                    "sev_text": words[f"sev_{level.severity}"],
                    "when": when,
                    "source": level.source,
                },
            )
        sections.append(
            {
                "rule_id": rule_id,
                "title": title,
                "raised": words["raised"].format(n=rows.height),
                "levels": sorted(levels.values(), key=lambda lv: -SEVERITY_ORDER[lv["severity"]]),
                "open": rows.height <= OPEN_ROWS_MAX,
                "rows": [
                    {
                        "day": fmt_date(r["day"], lang),
                        "severity": r["severity"],
                        "sev_text": words.get(f"sev_{r['severity']}", r["severity"]),
                        "message": r[message],
                    }
                    for r in rows.iter_rows(named=True)
                ],
            }
        )
    return sections


def flag_items(today: pl.DataFrame, lang: str) -> list[dict[str, str]]:
    words = ui(lang)
    message = "message_nl" if lang == "nl" else "message"
    return [
        {
            "severity": r["severity"],
            "sev_text": words.get(f"sev_{r['severity']}", ""),
            "message": r[message],
        }
        for r in today.iter_rows(named=True)
    ]


def status_of(a: Athlete, data: ReportData) -> str:
    """This morning's status, or 'stale' / 'none' when the data stopped or never came."""
    return freshness_status(a.summary, a.nights_without, data.stale_nights)


# ---------------------------------------------------------------------------------------
# Page contexts


def athlete_context(a: Athlete, data: ReportData, lang: str) -> dict[str, Any]:
    """Template context and datasets of one athlete's page."""
    words = ui(lang)
    guides = data.guides
    span = period(a, data.since)
    status = status_of(a, data)
    fresh = a.nights_without in (None, 0)
    ctx: dict[str, Any] = {
        "title": words["athlete_title"].format(athlete=a.athlete_id),
        "status": status,
        "status_text": freshness_text(status, a.nights_without, lang),
        "today_title": words["today_title"] if fresh else words["latest_title"],
        "tz": words["tz"].format(tz=a.summary.get("time_zone") or "UTC"),
        "files": words["files"].format(
            loaded=a.summary.get("files_loaded") or 0,
            quarantined=a.summary.get("files_quarantined") or 0,
        ),
        "last_night": _last_night_text(a, lang),
        "today_flags": flag_items(a.today, lang),
        "figures": figures(a, guides, lang),
        "markers": markers(lang, **guides.numbers()),
        "has_nights": span is not None,
        "sev_words": {s: words[f"sev_{s}"] for s in ("warning", "watch", "info")},
    }
    if span is None:
        ctx.update(period="", charts=[], rules=[], params={}, groups={"main": {}})
        return ctx
    start, end = span
    nightly, paths = nightly_rows(a.nightly, guides, start, end, lang)
    flags = a.flags.filter(pl.col("day") >= start)
    daily = a.daily.filter(pl.col("day") >= start)
    nights_with_data = a.nightly.filter(pl.col("night") >= start).height
    weekly = weekly_rows(daily)
    ctx.update(
        period=words["period"].format(
            start=fmt_date(start, lang, weekday=False),
            end=fmt_date(end, lang, weekday=False),
            nights=nights_with_data,
        ),
        charts=chart_sections(words, guides, ctx["markers"], _charts_with_data(nightly, daily)),
        rules=rule_sections(flags, data.ruleset, lang),
        params={
            "x_start": _ms(start),
            "x_end": _ms(end + timedelta(days=1)),
            "week_max": _headroom(weekly["trimp"].max() if weekly.height else None),
        },
        groups={
            "main": {
                "nightly": nightly,
                "flags": flag_rows(flags, a.nightly, a.daily, lang),
                "daily": daily_rows(daily, lang),
                "weekly": weekly,
                "files": pl.DataFrame(
                    {"i": range(len(paths)), "path": paths},
                    schema={"i": pl.Int32, "path": pl.String},
                ),
            }
        },
    )
    return ctx


def _last_night_text(a: Athlete, lang: str) -> str:
    """'Mon 9 Nov 2026', with how long ago when it is not last night's."""
    last = a.summary.get("last_night")
    if not last:
        return "–"
    text = fmt_date(last, lang)
    if a.nights_without:
        text += f" — {age_text(a.nights_without, lang)}"
    return text


def _headroom(top: float | None) -> float:
    """The weekly chart's top: room above the highest bar for its number."""
    return round((top or 0) * 1.15 + 1, 0)


def _charts_with_data(nightly: pl.DataFrame, daily: pl.DataFrame) -> dict[str, bool]:
    """Which charts have anything to draw in the period (the rest say so in one line)."""
    has = {key: nightly[col].is_not_null().any() for key, col in NIGHT_CHART_COLUMN.items()}
    return has | {"load": daily.height > 0, "week": daily.height > 0}


def chart_sections(
    words: dict[str, str],
    guides: Guides,
    explain: dict[str, tuple[str, ...]],
    has_data: dict[str, bool],
) -> list[dict[str, Any]]:
    """The chart cards of an athlete page, each with its legend and explanation; a chart
    without data in the period is one line saying so instead of an empty frame."""
    n = guides.numbers()
    legends = {
        "rhr": zip(
            ("line", "line-muted", "band", "dash-warn"),
            words["legend_rhr"]
            .format(below=n["below"], above=n["above"], warn=n["warn"])
            .split("|"),
            strict=True,
        ),
        "hrv": zip(
            ("line", "line-muted", "dash-watch", "dash-warn"),
            words["legend_hrv"].format(normal=n["normal"], warn=n["hrv_warn"]).split("|"),
            strict=True,
        ),
        "sleep": zip(
            ("sw-ok", "sw-off", "sw-short", "band"),
            words["legend_sleep"].format(low=n["low"], high=n["high"], short=n["short"]).split("|"),
            strict=True,
        ),
        "load": zip(
            ("sw-end", "sw-str", "line", "dash-muted", "sw-rest"),
            words["legend_load"].split("|"),
            strict=True,
        ),
    }
    sections = []
    for key in ("rhr", "hrv", "sleep", "load", "week"):
        rings = [(f"ring-{s}", words[f"sev_{s}"]) for s in ("warning", "watch", "info")]
        empty = not has_data.get(key, False)
        sections.append(
            {
                "key": key,
                "spec": key,
                "title": words[f"chart_{key}"],
                "legend": [*legends[key], *rings] if key in legends and not empty else [],
                "explain": () if empty else explain.get(key, ()),
                "empty": words[f"empty_{key}"] if empty else "",
            }
        )
    return sections


def figures(a: Athlete, guides: Guides, lang: str) -> list[dict[str, str]]:
    """The big numbers of the last night and the last week: numbers first, charts after."""
    words = ui(lang)
    if a.nightly.height == 0:
        return []
    last = a.nightly.sort("night").row(-1, named=True)
    out = [
        {
            "label": words["rhr"],
            "value": f"{fmt_num(last['resting_hr'], 0, lang)} {words['unit_bpm']}",
            "note": words["fig_rhr_note"].format(
                dev=fmt_signed_pct(last["resting_hr_dev_pct"], lang),
                base=fmt_num(last["resting_hr_baseline"], 0, lang),
            )
            if last["resting_hr_baseline"]
            else "",
        },
        {
            "label": words["hrv"],
            "value": f"{fmt_num(last['hrv_ms'], 0, lang)} ms",
            "note": words["fig_hrv_note"].format(base=fmt_num(last["hrv_baseline_ms"], 0, lang))
            if last["hrv_baseline_ms"]
            else "",
        },
        {
            "label": words["sleep"],
            "value": fmt_hours(last["sleep_hours"], lang),
            "note": words["fig_sleep_note"].format(
                base=fmt_hours(last["sleep_hours_baseline"], lang)
            )
            if last["sleep_hours_baseline"]
            else "",
        },
    ]
    if a.daily.height:
        end = a.daily["day"].max()
        week = a.daily.filter(pl.col("day") > end - timedelta(days=7))
        rest = int(week["is_rest_day"].sum())
        out.append(
            {
                "label": words["fig_load"],
                "value": f"{fmt_num(week['load_trimp'].sum(), 0, lang)} {words['trimp']}",
                "note": words["fig_load_note_one" if rest == 1 else "fig_load_note"].format(
                    rest=rest
                ),
            }
        )
    return out


def team_context(athletes: list[Athlete], data: ReportData, lang: str) -> dict[str, Any]:
    """Template context and datasets of the team overview."""
    words = ui(lang)
    guides = data.guides
    nights = with_bands(last_nights(data.nightly), guides)
    night_parts = {
        key[0]: part for key, part in nights.partition_by("athlete_id", as_dict=True).items()
    }
    worst = worst_flag(data.flags)
    rows, groups = [], {}
    counts = dict.fromkeys(STATUS_RANK, 0)
    for a in sorted(athletes, key=lambda a: (-STATUS_RANK[status_of(a, data)], a.athlete_id)):
        status = status_of(a, data)
        counts[status] += 1
        mine = night_parts.get(a.athlete_id)
        sparks = (
            spark_rows(mine, worst.filter(pl.col("athlete_id") == a.athlete_id), guides, lang)
            if mine is not None
            else {}
        )
        marker_cells = []
        for key in ("rhr", "hrv", "sleep"):
            group = f"{a.slug}-{key}" if key in sparks else None
            if group:
                groups[group] = {"spark": sparks[key]}
            marker_cells.append({"key": key, "group": group, **_last_value(a, key, lang)})
        recent = recent_flags(a.summary.get("warnings_7d"), a.summary.get("watches_7d"), lang)
        rows.append(
            {
                "athlete": a.athlete_id,
                "slug": a.slug,
                "status": status,
                "status_text": freshness_text(status, a.nights_without, lang),
                "nights_without": a.nights_without,
                "last_night": fmt_date(a.summary["last_night"], lang)
                if a.summary.get("last_night")
                else "",
                "recent": recent,
                "markers": marker_cells,
                "flags": flag_items(a.today, lang),
            }
        )
    latest = data.summary["last_night"].max() if data.summary.height else None
    return {
        "title": words["team_title"],
        "rows": rows,
        "counts": counts,
        "today_text": latest_text(latest, data.generated_at, lang),
        "missing_text": missing_text(rows, lang),
        "markers": markers(lang, **guides.numbers()),
        "chart_titles": {k: words[f"chart_{k}"] for k in ("rhr", "hrv", "sleep")},
        "params": {},
        "groups": groups,
    }


def recent_flags(warnings: int | None, watches: int | None, lang: str) -> str:
    """'2 warnings, 1 watch in 7 days': only the counts that are not zero."""
    words = ui(lang)
    parts = [
        words[f"{key}_one" if n == 1 else f"{key}_many"].format(n=n)
        for key, n in (("n_warnings", warnings or 0), ("n_watches", watches or 0))
        if n
    ]
    return words["in_7d"].format(what=", ".join(parts)) if parts else ""


def _last_value(a: Athlete, key: str, lang: str) -> dict[str, str]:
    """The number next to a sparkline: last night's value, and how it compares."""
    words = ui(lang)
    s = a.summary
    if key == "rhr":
        value = s.get("last_resting_hr")
        dev = None
        if a.nightly.height:
            last = a.nightly.filter(pl.col("resting_hr").is_not_null()).tail(1)
            dev = last["resting_hr_dev_pct"].item() if last.height else None
        return {
            "value": f"{fmt_num(value, 0, lang)} {words['unit_bpm']}" if value else "–",
            "note": fmt_signed_pct(dev, lang),
        }
    if key == "hrv":
        value = s.get("last_hrv_ms")
        return {"value": f"{fmt_num(value, 0, lang)} ms" if value else "–", "note": "RMSSD"}
    value = s.get("last_sleep_hours")
    return {"value": fmt_hours(value, lang) if value else "–", "note": ""}
