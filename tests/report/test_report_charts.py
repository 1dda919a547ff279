"""Each flag on a chart of its own quantity (or the timeline only), a chart without data as
one line, and axes that show years when the period needs them."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
import vl_convert
from test_report_data import D, daily, flags, nights

from report.chart_rows import flag_rows
from report.charts import AXIS_LABEL, LONG_PERIOD_DAYS, chart_specs
from report.data import Guides, chart_of
from report.pages import _charts_with_data, chart_sections
from report.text import markers, ui
from rules.catalogue import load_ruleset

#: Rules whose quantity (a blood value, sitting hours, self-reports, a count of signals) no
#: chart of the athlete page plots.
TIMELINE_ONLY = (
    "cortisol_change",
    "ferritin_low",
    "sedentary_long",
    "multi_signal",
    "fatigue_persists",
    "wellness_decline",
)


def test_every_catalogue_rule_has_a_chart_of_its_quantity_or_the_timeline():
    where = {rule_id: chart_of(rule_id) for rule_id in load_ruleset().rules}
    assert where == {
        "rhr_elevated": "rhr",
        "sleep_short_streak": "sleep",
        "sleep_out_of_range": "sleep",
        "hrv_low": "hrv",
        "hrv_below_baseline": "hrv",
        "hrv_usual_below_guideline": "hrv",
        "no_rest_day": "load",
        "heavy_weeks_streak": "load",
        "strength_up_unstable_sleep": "load",
        **{rule_id: "timeline" for rule_id in TIMELINE_ONLY},
    }
    assert chart_of("club_own_rule") == "timeline"


def test_cortisol_sitting_and_multi_signal_never_get_a_days_label():
    """The report once wrote cortisol 676 nmol/L as '676 d' on the training-load chart."""
    rows = flag_rows(
        flags(
            ("chiyo", D, "cortisol_change", "watch", 676.0, 500.0),
            ("chiyo", D + timedelta(days=1), "sedentary_long", "info", 16.0, 10.0),
            ("chiyo", D + timedelta(days=2), "multi_signal", "warning", 2.0, 2.0),
            ("chiyo", D, "heavy_weeks_streak", "warning", 1450.0, 1200.0),
            ("chiyo", D + timedelta(days=3), "no_rest_day", "warning", 9.0, 7.0),
        ),
        nights(resting_hr=[50.0] * 4),
        daily(load_trimp=[80.0, 0.0, 95.0, 120.0]),
        "en",
    )
    by_rule = {r["rule_id"]: r for r in rows.iter_rows(named=True)}
    for rule_id in ("cortisol_change", "sedentary_long", "multi_signal"):
        assert by_rule[rule_id]["chart"] == "timeline"
        assert by_rule[rule_id]["label"] is None and by_rule[rule_id]["y"] is None
    # the weekly TRIMP is not what the daily bars draw: a ring without a number
    assert by_rule["heavy_weeks_streak"]["chart"] == "load"
    assert by_rule["heavy_weeks_streak"]["label"] is None
    assert by_rule["no_rest_day"]["label"] == "9 d"  # training days in a row: its quantity
    assert by_rule["no_rest_day"]["y"] == 120.0
    assert [v for v in rows["label"].to_list() if v] == ["9 d"]


def test_the_timeline_still_has_every_flag():
    spec = chart_specs(Guides(), "en")["flags"]
    layer = spec["layer"][0]
    assert "transform" not in layer  # the timeline draws all flags, whatever their chart


def test_activity_only_athlete_gets_one_line_per_empty_chart():
    """An athlete with only activities: no nights measured, training days recorded."""
    words = ui("en")
    has = _charts_with_data(
        pl.DataFrame({"rhr": [None, None], "hrv": [None, None], "sleep": [None, 7.5]}),
        daily(load_trimp=[80.0, 0.0]),
    )
    assert has == {"rhr": False, "hrv": False, "sleep": True, "load": True, "week": True}
    sections = {
        s["key"]: s
        for s in chart_sections(words, Guides(), markers("en", **Guides().numbers()), has)
    }
    assert list(sections) == ["rhr", "hrv", "sleep", "load", "week"]
    assert sections["rhr"]["empty"] == "No resting heart rate measured in this period."
    assert sections["rhr"]["legend"] == [] and sections["rhr"]["explain"] == ()
    assert sections["hrv"]["empty"] == "No heart-rate variability measured in this period."
    assert sections["sleep"]["empty"] == "" and sections["sleep"]["legend"]
    nl = chart_sections(
        ui("nl"), Guides(), markers("nl", **Guides().numbers()), {**has, "load": False}
    )
    assert nl[3]["empty"] == "Geen trainings- of rustdagen vastgelegd in deze periode."


def _x_axes(spec: dict) -> list[dict]:
    layers = spec.get("layer", [spec])
    encodings = [layer.get("encoding", {}) for layer in layers]
    return [e["x"].get("axis") for e in encodings if "x" in e and "field" in e["x"]]


@pytest.mark.parametrize("name", ["rhr", "hrv", "sleep", "load", "week", "flags"])
def test_every_time_axis_labels_years_when_the_period_needs_them(name):
    axes = [a for a in _x_axes(chart_specs(Guides(), "en")[name]) if a is not None]
    assert axes, name
    for axis in axes:
        assert axis["labelExpr"] == AXIS_LABEL


def _axis_labels(start: date, end: date) -> list[str]:
    """The x-axis labels Vega draws for a period (end exclusive), rendered by vl-convert."""
    spec = json.loads(json.dumps(chart_specs(Guides(), "en")["flags"]))
    spec["params"] = [
        {"name": "x_start", "value": _ms(start)},
        {"name": "x_end", "value": _ms(end)},
    ]
    spec["datasets"] = {
        "flags": [
            {"day": start.isoformat(), "rule": "r", "severity": "info", "sev_l": "info", "msg": "m"}
        ]
    }
    spec["width"] = 600
    svg = vl_convert.vegalite_to_svg(spec)
    return [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if t != "r"]


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def test_ten_weeks_in_one_year_are_day_and_month():
    labels = _axis_labels(date(2026, 9, 1), date(2026, 11, 10))
    assert labels[:3] == ["6 Sep", "13 Sep", "20 Sep"]
    assert not any(re.search(r"\d{4}", t) for t in labels)


def test_a_period_across_new_year_shows_the_year():
    labels = _axis_labels(date(2025, 12, 1), date(2026, 1, 20))
    assert labels and all(re.fullmatch(r"\d{1,2} (Dec 2025|Jan 2026)", t) for t in labels)


def test_twelve_years_of_activities_are_labelled_by_year():
    """The activity-only athlete's 12-year axis once showed '1 Jan' with no year."""
    labels = _axis_labels(date(2014, 3, 1), date(2026, 3, 1))
    assert labels == [f"Jan {y}" for y in range(2015, 2027)]
    assert f"> {LONG_PERIOD_DAYS * 86_400_000}" in AXIS_LABEL
