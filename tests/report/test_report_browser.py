"""The report of the sample study, opened in a real headless Chromium.

Checks what a person would see: every chart drawn without a console error, the planted
flags as markers on their own day, tooltips with value, method and source file, both
languages. The browser runs in a time zone far from UTC so a date drawn on the wrong day
would show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from report_browser import browser_context, open_page, why_no_browser

from report import write_report
from sample_data import STUDY_DIR

pytestmark = pytest.mark.skipif(why_no_browser() is not None, reason=str(why_no_browser()))

#: A scenegraph walk: every item of the mark named `name` in a chart, with its position.
MARK_ITEMS = """([chart, name]) => {
  const out = [];
  const walk = (node) => {
    if (!node) return;
    if (node.marktype && node.name === name) {
      for (const item of node.items) {
        const row = {_x: item.x, _y: item.y};
        for (const [k, v] of Object.entries(item.datum)) row[k] = v instanceof Date ? +v : v;
        out.push(row);
      }
      return;
    }
    for (const child of node.items || []) walk(child);
  };
  walk(window.herstelViews[chart].scenegraph().root);
  return out;
}"""
#: The x position (pixels) of the middle of a day on a chart's time axis.
DAY_X = "([chart, ms]) => window.herstelViews[chart].scale('x')(ms + 43200000)"


@pytest.fixture(scope="module")
def reports(sample_db, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    return {lang: write_report(sample_db, out / lang, lang=lang) for lang in ("en", "nl")}


@pytest.fixture(scope="module")
def browser():
    with browser_context(timezone="America/Los_Angeles") as context:
        yield context


def _drawn(page) -> list[tuple[str, str, int]]:
    """(container id, drawn state, number of SVG shapes) of every chart container."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('[data-spec]')).map(
        el => [el.id, el.dataset.drawn || '',
               el.querySelectorAll('svg path, svg line, svg text').length])""")


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _marker_on(page, chart: str, day: date, rule_id: str, severity: str) -> dict:
    items = page.evaluate(MARK_ITEMS, [chart, f"flags_{chart.removeprefix('chart-')}_marks"])
    hits = [
        i
        for i in items
        if i["day"] == _ms(day) and i["rule_id"] == rule_id and i["severity"] == severity
    ]
    assert hits, f"no {severity} {rule_id} marker on {day} in {chart}: {items}"
    x = page.evaluate(DAY_X, [chart, _ms(day)])
    assert abs(hits[0]["_x"] - x) < 0.5, "the marker is not drawn on its own day"
    return hits[0]


def _tooltip_at(page, chart: str, x: float, y: float) -> str:
    """Hover a point of a chart (view coordinates) and read vega-tooltip's text."""
    box = page.locator(f"#{chart} svg").bounding_box()
    origin = page.evaluate("(c) => window.herstelViews[c].origin()", chart)
    page.mouse.move(box["x"] + origin[0] + x, box["y"] + origin[1] + y)
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=5000)
    return tip.inner_text()


def test_team_page_draws_every_sparkline(reports, browser):
    page, errors = open_page(browser, reports["en"])
    assert page.evaluate("document.body.dataset.charts") == "ready"
    drawn = _drawn(page)
    assert len(drawn) == 9  # 3 athletes x resting HR, HRV, sleep
    assert all(state == "yes" and shapes > 0 for _, state, shapes in drawn), drawn
    assert errors == []
    assert page.locator("table.team tbody").count() == 3
    assert page.locator("a[href='athletes/chiyo.html']").count() == 1
    page.close()


def test_athlete_page_chiyo_resting_hr_warning_on_18_october(reports, browser):
    page, errors = open_page(browser, reports["en"].parent / "athletes" / "chiyo.html")
    assert page.evaluate("document.body.dataset.charts") == "ready"
    drawn = _drawn(page)
    assert [c for c, _, _ in drawn] == [
        "chart-rhr",
        "chart-hrv",
        "chart-sleep",
        "chart-load",
        "chart-week",
        "chart-flags",
    ]
    assert all(state == "yes" and shapes > 0 for _, state, shapes in drawn), drawn
    x_axes = page.evaluate("""() => Array.from(document.querySelectorAll('[data-spec]')).map(
        el => el.querySelectorAll('g.role-axis[aria-label^="X-axis"]').length)""")
    assert x_axes == [1] * 6, "every chart shows its days"
    marker = _marker_on(page, "chart-rhr", date(2026, 10, 18), "rhr_elevated", "warning")
    assert "58 bpm" in marker["msg"]
    # the episode (58, 59, 58 bpm) gets one number, at its peak on 19 October
    labels = page.evaluate(MARK_ITEMS, ["chart-rhr", "labels_rhr_a_marks"])
    assert [(i["day"], i["label"]) for i in labels if i["day"] >= _ms(date(2026, 10, 18))] == [
        (_ms(date(2026, 10, 19)), "59")
    ]

    tip = _tooltip_at(page, "chart-rhr", marker["_x"], marker["_y"])
    assert "Sun 18 Oct 2026" in tip and "Resting HR off baseline" in tip
    # off the marker, the nearest night's values: value, method and source file
    tip = _tooltip_at(page, "chart-rhr", marker["_x"], 5)
    assert "Sun 18 Oct 2026" in tip and "58" in tip and "sleep_hr_30min" in tip
    assert "chiyo/wellness/2026-10-18_WELLNESS.fit" in tip
    assert errors == []
    page.close()


def test_athlete_page_anna_short_sleep_streak_on_9_october(reports, browser):
    page, errors = open_page(browser, reports["en"].parent / "athletes" / "anna.html")
    assert all(state == "yes" for _, state, _ in _drawn(page))
    _marker_on(page, "chart-sleep", date(2026, 10, 9), "sleep_short_streak", "warning")
    _marker_on(page, "chart-load", date(2026, 9, 21), "no_rest_day", "warning")
    drawn = {
        (i["day"], i["rule_id"], i["severity"])
        for i in page.evaluate(MARK_ITEMS, ["chart-flags", "flags_all_marks"])
    }
    planted = pl.read_csv(STUDY_DIR.parent / "expected_flags.csv", try_parse_dates=True).filter(
        pl.col("athlete_id") == "anna"
    )
    assert {(_ms(d), r, s) for _, d, r, s in planted.iter_rows()} <= drawn
    assert page.locator("#rule-sleep_short_streak").count() == 1
    assert errors == []
    page.close()


def test_dutch_report_explains_in_dutch(reports, browser):
    page, errors = open_page(browser, reports["nl"].parent / "athletes" / "bram.html")
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert all(state == "yes" for _, state, _ in _drawn(page))
    text = page.locator("main").inner_text()
    assert "Je hart is geen metronoom" in text
    assert "Hartslagvariabiliteit (HRV) tijdens de slaap" in text
    # the flag's message_nl, naming how the value was measured (bram wears a chest strap: RR)
    assert "Hartslagvariabiliteit vannacht 44,0 ms (RMSSD uit hartslagintervallen" in text
    assert "HRV 's nachts onder het bereik van de richtlijn" in text  # the rule, in Dutch
    _marker_on(page, "chart-hrv", date(2026, 9, 30), "hrv_low", "warning")
    assert errors == []
    page.close()
    index, errors = open_page(browser, reports["nl"])
    assert "Herstel van het team" in index.locator("h1").inner_text()
    assert errors == []
    index.close()


def test_lab_values_and_multi_signal_only_on_the_flag_timeline(reports, browser):
    """Cortisol (anna) and multi_signal (bram) once sat on the load chart as '676 d', '2 d'."""
    for athlete, day, rule_id in (
        ("anna", date(2026, 10, 22), "cortisol_change"),
        ("anna", date(2026, 10, 22), "ferritin_low"),
        ("bram", date(2026, 10, 18), "multi_signal"),
    ):
        page, errors = open_page(browser, reports["en"].parent / "athletes" / f"{athlete}.html")
        load = page.evaluate(MARK_ITEMS, ["chart-load", "flags_load_marks"])
        assert {i["rule_id"] for i in load} <= {"no_rest_day", "heavy_weeks_streak",
                                                "strength_up_unstable_sleep"}  # fmt: skip
        labels = page.evaluate(MARK_ITEMS, ["chart-load", "labels_load_a_marks"])
        assert all(i["rule_id"] == "no_rest_day" for i in labels), labels
        timeline = page.evaluate(MARK_ITEMS, ["chart-flags", "flags_all_marks"])
        assert (_ms(day), rule_id) in {(i["day"], i["rule_id"]) for i in timeline}
        assert errors == []
        page.close()
