"""Chart datasets of a page: the rows each chart reads, rounded, and the page's JSON.

Charts read named datasets (see report.charts). Values are rounded (a page carries what
the eye can use, not 15 digits); file paths are stored once per page and referenced by
index, so a year of tooltips does not repeat the same long path three times a night.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from report.data import (
    TIMELINE,
    Guides,
    complete_nights,
    flag_markers,
    sleep_category,
    weekly_load,
    with_bands,
)
from report.text import (
    fmt_hours,
    fmt_num,
    rule_short,
    ui,
)
from rules.catalogue import SEVERITY_ORDER

#: Weeks up to which the weekly chart writes each week's total on its bar.
WEEK_LABELS_MAX = 20


# ---------------------------------------------------------------------------------------
# Datasets


def _ms(day: date) -> int:
    """Milliseconds since the epoch of a day's UTC midnight: the charts' time axis."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


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
