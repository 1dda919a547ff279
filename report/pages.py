"""What each page shows: template context and chart datasets, from the report's frames.

Charts read named datasets (see report.charts); this module cuts the frames per athlete
and period, rounds values (a page carries what the eye can use, not 15 digits), and
writes the page's JSON. File paths are stored once per page and referenced by index, so a
year of tooltips does not repeat the same long path three times a night.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from hashlib import sha1
from typing import Any

import polars as pl

from report.data import (
    TIMELINE,
    Guides,
    ReportData,
    complete_nights,
    flag_markers,
    last_data,
    last_nights,
    nights_without_data,
    sleep_category,
    weekly_load,
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
#: Weeks up to which the weekly chart writes each week's total on its bar.
WEEK_LABELS_MAX = 20
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


# ---------------------------------------------------------------------------------------
# Datasets


def _ms(day: date) -> int:
    """Milliseconds since the epoch of a day's UTC midnight: the charts' time axis."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def period(a: Athlete, since: date | None) -> tuple[date, date] | None:
    """The days a page shows: `since` (or the first night or day) to the last night or day."""
    days = [d for d in (*a.nightly["night"].to_list(), *a.daily["day"].to_list()) if d]
    if not days:
        return None
    start = max(since, min(days)) if since else min(days)
    end = max(days)
    return (start, max(start, end))


def nightly_rows(
    nightly: pl.DataFrame, guides: Guides, start: date, end: date, lang: str
) -> tuple[pl.DataFrame, list[str]]:
    """Chart rows, one per calendar night, and the page's table of source files."""
    frame = with_bands(complete_nights(nightly.drop("athlete_id"), start, end), guides)
    path_cols = ("resting_hr_path", "hrv_path", "sleep_path")
    paths = list(
        dict.fromkeys(p for col in path_cols for p in frame[col].to_list() if p is not None)
    )
    index = {p: i for i, p in enumerate(paths)}

    def file_key(col: str) -> pl.Expr:
        return pl.col(col).replace_strict(index, default=None, return_dtype=pl.Int32)

    minutes = (pl.col("sleep_hours") * 60).round(0).cast(pl.Int32)
    unit = ui(lang)["unit_h"]
    sleep_text = pl.format(
        "{} " + unit + " {} min", minutes // 60, (minutes % 60).cast(pl.String).str.zfill(2)
    )
    rows = frame.select(
        "night",
        pl.col("resting_hr").round(1).alias("rhr"),
        pl.col("resting_hr_baseline").round(2).alias("rhr_base"),
        pl.col("rhr_lo").round(2),
        pl.col("rhr_hi").round(2),
        pl.col("rhr_warn").round(2),
        pl.col("resting_hr_dev_pct").fill_nan(None).alias("rhr_dev"),
        pl.col("resting_hr_method").alias("rhr_m"),
        file_key("resting_hr_path").alias("rhr_f"),
        pl.col("hrv_ms").round(1).alias("hrv"),
        pl.col("hrv_baseline_ms").round(1).alias("hrv_base"),
        pl.col("hrv_method").alias("hrv_m"),
        file_key("hrv_path").alias("hrv_f"),
        pl.col("sleep_hours").round(2).alias("sleep"),
        sleep_text.alias("sleep_t"),
        pl.col("sleep_hours_baseline").round(2).alias("sleep_base"),
        sleep_category(guides).alias("sleep_cat"),
        pl.col("sleep_method").alias("sleep_m"),
        file_key("sleep_path").alias("sleep_f"),
    )
    return rows, paths


def flag_rows(
    flags: pl.DataFrame, nightly: pl.DataFrame, daily: pl.DataFrame, lang: str
) -> pl.DataFrame:
    """Flag markers with their words: short rule name, severity, message, value label."""
    words = ui(lang)
    marked = flag_markers(flags, nightly, daily)
    message = "message_nl" if lang == "nl" else "message"
    records = []
    for row in marked.iter_rows(named=True):
        records.append(
            {
                "day": row["day"],
                "rule_id": row["rule_id"],
                "rule": rule_short(row["rule_id"], lang),
                "severity": row["severity"],
                "sev_l": words.get(f"sev_{row['severity']}", row["severity"]),
                "msg": row[message],
                "chart": row["chart"],
                "y": row["y"],
                "top": bool(row["top"]),
                "label": _flag_label(row, lang) if row["top"] else None,
                "pos": None,
                "label_sev": None,
                "_value": row["value"],
                "_below": row["value"] is not None
                and row["threshold"] is not None
                and row["value"] < row["threshold"],
            }
        )
    _place_labels(records)
    schema = {
        "day": pl.Date,
        "rule_id": pl.String,
        "rule": pl.String,
        "severity": pl.String,
        "sev_l": pl.String,
        "msg": pl.String,
        "chart": pl.String,
        "y": pl.Float64,
        "top": pl.Boolean,
        "label": pl.String,
        "pos": pl.String,
        "label_sev": pl.String,
    }
    return pl.DataFrame(records, schema=schema, orient="row")


def _place_labels(records: list[dict[str, Any]]) -> None:
    """Keep one number per episode and say where it goes (`pos`).

    Flags on consecutive days of one chart are one episode (three short nights, a week
    without rest): only its extreme value is written, so labels never pile up, and the
    tooltip still has every day. The number sits below a line chart's point when the value
    is under its threshold (low HRV, resting HR below baseline), else above.
    """
    labelled = sorted((r for r in records if r["label"]), key=lambda r: (r["chart"], r["day"]))
    episode: list[dict[str, Any]] = []
    for rec in [*labelled, None]:
        if episode and (
            rec is None
            or rec["chart"] != episode[-1]["chart"]
            or rec["day"] - episode[-1]["day"] > timedelta(days=1)
        ):
            _label_episode(episode)
            episode = []
        if rec is not None:
            episode.append(rec)
    for rec in records:
        del rec["_below"], rec["_value"]


def _label_episode(episode: list[dict[str, Any]]) -> None:
    below = sum(r["_below"] for r in episode) > len(episode) / 2
    key = "_value" if episode[0]["chart"] == "load" else "y"  # load: days without rest
    known = [r for r in episode if r[key] is not None] or episode
    pick = (min if below else max)(known, key=lambda r: r[key] or 0)
    for rec in episode:
        if rec is not pick:
            rec["label"] = None
    pick["pos"] = "b" if below and pick["chart"] in ("rhr", "hrv") else "a"
    # coloured as the episode's worst flag: a shortest night that was 'only' info still
    # belongs to a warning streak
    severities = [r["severity"] for r in episode]
    pick["label_sev"] = max(severities, key=lambda s: SEVERITY_ORDER.get(s, 0))


def _flag_label(row: dict[str, Any], lang: str) -> str | None:
    """The number written above a flag marker: the value the chart draws at that point.

    On the load chart only `no_rest_day` has a number (its training days in a row, the
    rest-day ticks' quantity); the other training rules' values are weekly sums the daily
    bars do not draw, so their marker carries no number (the tooltip has the message)."""
    if row["chart"] == TIMELINE:
        return None
    if row["chart"] == "load":
        value = row["value"]
        if row["rule_id"] != "no_rest_day" or not value:
            return None
        return ui(lang)["load_days"].format(n=fmt_num(value, 0, lang))
    decimals = 1 if row["chart"] == "sleep" else 0
    return fmt_num(row["y"], decimals, lang) if row["y"] is not None else None


def daily_rows(daily: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Training load per day: endurance and strength TRIMP, averages, rest days."""
    strength = pl.col("strength_load").fill_null(0)
    return daily.select(
        "day",
        pl.col("load_trimp").round(1).alias("load"),
        (pl.col("load_trimp") - strength).clip(lower_bound=0).round(1).alias("endurance"),
        strength.round(1).alias("strength"),
        pl.col("acute_load").round(1).alias("acute"),
        pl.col("chronic_load").round(1).alias("chronic"),
        pl.col("is_rest_day").alias("rest"),
        *[pl.col(c).round(1).alias(c) for c in ("ctl", "atl", "tsb") if c in daily.columns],
        pl.when(pl.col("is_rest_day")).then(pl.lit(ui(lang)["rest_day"])).alias("rest_l"),
    )


def weekly_rows(daily: pl.DataFrame) -> pl.DataFrame:
    weeks = weekly_load(daily).drop("athlete_id")
    label = pl.col("trimp").round(0).cast(pl.Int64).cast(pl.String)
    show = weeks.height <= WEEK_LABELS_MAX
    return weeks.select(
        "week",
        "week_end",
        pl.col("trimp").round(1),
        pl.col("strength").round(1),
        "training_days",
        "rest_days",
        (label if show else pl.lit(None, pl.String)).alias("lbl"),
    )


def spark_rows(
    nights: pl.DataFrame, worst: pl.DataFrame, guides: Guides, lang: str
) -> dict[str, pl.DataFrame]:
    """The last nights of one athlete as three small series: value, normal band, severity."""
    words = ui(lang)
    flagged = {
        chart: worst.filter(pl.col("chart") == chart).select(pl.col("day").alias("night"), "sev")
        for chart in ("rhr", "hrv", "sleep")
    }
    hrv_top = max([guides.hrv_normal_ms, *[v for v in nights["hrv_ms"].to_list() if v]])
    series = {
        "rhr": (pl.col("resting_hr"), pl.col("rhr_lo"), pl.col("rhr_hi"), 0, words["unit_bpm"]),
        "hrv": (pl.col("hrv_ms"), pl.lit(guides.hrv_normal_ms), pl.lit(hrv_top), 0, "ms"),
        "sleep": (
            pl.col("sleep_hours"),
            pl.lit(guides.sleep_low_h),
            pl.lit(guides.sleep_high_h),
            1,
            words["unit_h"],
        ),
    }
    out = {}
    for key, (value, lo, hi, decimals, unit) in series.items():
        frame = nights.select(
            "night", value.round(2).alias("v"), lo.round(2).alias("lo"), hi.round(2).alias("hi")
        ).join(flagged[key], on="night", how="left")
        text = [
            (fmt_hours(v, lang) if key == "sleep" else f"{fmt_num(v, decimals, lang)} {unit}")
            if v is not None
            else None
            for v in frame["v"].to_list()
        ]
        out[key] = frame.with_columns(pl.Series("t", text, dtype=pl.String))
    return out


def page_json(params: dict[str, Any], groups: dict[str, dict[str, Any]]) -> str:
    """The page's data block: JSON safe to embed in <script> (no '<' survives).

    Frames go column by column ({"$cols": {name: [values]}}): a year of nights repeats no
    key names, which keeps a 50-athlete report well under its size budget; herstel.js turns
    them back into rows before drawing.
    """
    data = {
        group: {
            name: _columns(v) if isinstance(v, pl.DataFrame) else v for name, v in datasets.items()
        }
        for group, datasets in groups.items()
    }
    text = json.dumps({"params": params, "data": data}, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")


def _columns(frame: pl.DataFrame) -> dict[str, dict[str, list]]:
    """A frame as columns of JSON values: dates as ISO strings, NaN as null."""
    plain = frame.with_columns(
        pl.col(pl.Date).cast(pl.String), pl.col(pl.Float64, pl.Float32).fill_nan(None)
    )
    return {"$cols": plain.to_dict(as_series=False)}


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
