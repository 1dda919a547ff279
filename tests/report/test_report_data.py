"""Data shaping for the charts: bands, calendar, flag placement, weeks, words."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from report.chart_rows import flag_rows, nightly_rows, page_json
from report.data import (
    Guides,
    chart_of,
    complete_nights,
    flag_markers,
    guides_from_ruleset,
    last_nights,
    sleep_category,
    weekly_load,
    with_bands,
)
from report.pages import level_of, recent_flags, slugs
from report.text import fmt_date, fmt_hours, fmt_num, fmt_signed_pct, markers
from rules.catalogue import load_ruleset

D = date(2026, 10, 18)


def nights(**cols) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "athlete_id": ["chiyo"] * n,
        "night": [D + timedelta(days=i) for i in range(n)],
        "resting_hr": [None] * n,
        "resting_hr_baseline": [None] * n,
        "resting_hr_dev_pct": [None] * n,
        "resting_hr_method": ["sleep_hr_30min"] * n,
        "hrv_ms": [None] * n,
        "hrv_baseline_ms": [None] * n,
        "hrv_method": ["device_5min"] * n,
        "sleep_hours": [None] * n,
        "sleep_hours_baseline": [None] * n,
        "sleep_method": ["stages"] * n,
        "resting_hr_path": ["/s/chiyo/a.fit"] * n,
        "hrv_path": ["/s/chiyo/a.fit"] * n,
        "sleep_path": ["/s/chiyo/b.fit"] * n,
    }
    base.update(cols)
    return pl.DataFrame(
        base,
        schema_overrides={
            k: pl.Float64
            for k in (
                "resting_hr",
                "resting_hr_baseline",
                "resting_hr_dev_pct",
                "hrv_ms",
                "hrv_baseline_ms",
                "sleep_hours",
                "sleep_hours_baseline",
            )
        },
    )


def test_baseline_band_is_minus_10_to_plus_5_percent_with_warning_at_plus_8():
    got = with_bands(nights(resting_hr_baseline=[50.0, 120.0]), Guides())
    assert got["rhr_lo"].to_list() == pytest.approx([45.0, 108.0])
    assert got["rhr_hi"].to_list() == pytest.approx([52.5, 126.0])
    # the warning line is the lower of +8 % and +8 bpm, as the rule compares (docs/rules.md)
    assert got["rhr_warn"].to_list() == pytest.approx([54.0, 128.0])


def test_band_missing_without_baseline():
    got = with_bands(nights(resting_hr_baseline=[None]), Guides())
    assert got.select("rhr_lo", "rhr_hi", "rhr_warn").row(0) == (None, None, None)


def test_guides_follow_the_rule_catalogue():
    g = guides_from_ruleset(load_ruleset())
    assert (g.rhr_below_pct, g.rhr_above_pct, g.rhr_warn_pct, g.rhr_warn_bpm) == (10, 5, 8, 8)
    assert (g.sleep_low_h, g.sleep_high_h, g.sleep_short_h, g.sleep_short_nights) == (7, 9, 6, 3)
    assert (g.hrv_warn_ms, g.hrv_normal_ms) == (50, 70)


def test_missing_nights_become_null_rows_so_lines_break():
    frame = nights(sleep_hours=[7.5, 8.0]).with_columns(
        pl.Series("night", [D, D + timedelta(days=2)])
    )
    got = complete_nights(frame.drop("athlete_id"), D - timedelta(days=1), D + timedelta(days=2))
    assert got["night"].to_list() == [D + timedelta(days=i) for i in range(-1, 3)]
    assert got["sleep_hours"].to_list() == [None, 7.5, None, 8.0]


def test_sleep_category_edges():
    frame = nights(sleep_hours=[5.99, 6.0, 6.99, 7.0, 9.0, 9.01, None])
    got = frame.select(sleep_category(Guides())).to_series().to_list()
    assert got == ["short", "off", "off", "ok", "ok", "off", None]


def test_rules_map_to_their_chart():
    assert chart_of("rhr_elevated") == "rhr"
    assert chart_of("hrv_low") == "hrv"
    assert chart_of("hrv_below_baseline") == "hrv"
    assert chart_of("sleep_short_streak") == "sleep"
    assert chart_of("no_rest_day") == "load"
    # no chart plots these quantities: the flag timeline only, never the load chart
    assert chart_of("ferritin_low") == "timeline"


def flags(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [
            dict(
                zip(
                    ("athlete_id", "day", "rule_id", "severity", "value", "threshold"),
                    r,
                    strict=True,
                )
            )
            | {"baseline": None, "message": f"en {r[2]}", "message_nl": f"nl {r[2]}"}
            for r in rows
        ],
        schema={
            "athlete_id": pl.String,
            "day": pl.Date,
            "rule_id": pl.String,
            "severity": pl.String,
            "value": pl.Float64,
            "threshold": pl.Float64,
            "baseline": pl.Float64,
            "message": pl.String,
            "message_nl": pl.String,
        },
    )


def daily(**cols) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "athlete_id": ["chiyo"] * n,
        "day": [D + timedelta(days=i) for i in range(n)],
        "is_rest_day": [False] * n,
        "load_trimp": [100.0] * n,
        "strength_load": [0.0] * n,
    }
    base.update(cols)
    return pl.DataFrame(base)


def test_flags_are_joined_to_their_own_day_and_placed_on_the_drawn_value():
    night = nights(resting_hr=[58.0, 59.0], sleep_hours=[5.5, 7.25])
    day = daily(load_trimp=[80.0, 120.0])
    got = flag_markers(
        flags(
            ("chiyo", D + timedelta(days=1), "rhr_elevated", "warning", 59.0, 54.0),
            ("chiyo", D, "sleep_out_of_range", "info", 5.5, 7.0),
            ("chiyo", D, "sleep_short_streak", "warning", 5.5, 6.0),
            ("chiyo", D + timedelta(days=1), "no_rest_day", "warning", 8.0, 7.0),
        ),
        night,
        day,
    )
    by_rule = {r["rule_id"]: r for r in got.iter_rows(named=True)}
    assert by_rule["rhr_elevated"]["day"] == D + timedelta(days=1)
    assert by_rule["rhr_elevated"]["y"] == 59.0  # that night's resting HR
    assert by_rule["sleep_short_streak"]["y"] == 5.5  # that night's sleep
    assert by_rule["no_rest_day"]["y"] == 120.0  # that day's load, not the 8 days
    # two flags on one chart and day: the worst carries the label and is drawn last
    sleep = got.filter(pl.col("chart") == "sleep")
    assert sleep["rule_id"].to_list() == ["sleep_out_of_range", "sleep_short_streak"]
    assert sleep["top"].to_list() == [False, True]


def test_one_label_per_episode_at_its_extreme():
    night = nights(resting_hr=[58.0, 59.0, 58.0, 50.0, 44.0], resting_hr_baseline=[50.0] * 5)
    rows = flag_rows(
        flags(
            *[
                ("chiyo", D + timedelta(days=i), "rhr_elevated", "warning", v, 54.0)
                for i, v in enumerate([58.0, 59.0, 58.0])
            ],
            ("chiyo", D + timedelta(days=4), "rhr_elevated", "watch", 44.0, 45.0),
        ),
        night,
        daily(load_trimp=[1.0] * 5),
        "en",
    )
    labels = dict(
        zip(rows["day"].to_list(), zip(rows["label"], rows["pos"], strict=True), strict=True)
    )
    assert labels[D] == (None, None)
    assert labels[D + timedelta(days=1)] == ("59", "a")
    assert labels[D + timedelta(days=2)] == (None, None)
    assert labels[D + timedelta(days=4)] == ("44", "b")  # below the baseline: under the point
    assert rows.filter(pl.col("label") == "59")["label_sev"].item() == "warning"


def test_flag_words_in_dutch():
    rows = flag_rows(
        flags(("chiyo", D, "sleep_short_streak", "warning", 5.55, 6.0)),
        nights(sleep_hours=[5.55]),
        daily(load_trimp=[1.0]),
        "nl",
    )
    row = rows.row(0, named=True)
    assert (row["msg"], row["sev_l"], row["rule"]) == (
        "nl sleep_short_streak",
        "waarschuwing",
        "Korte nachten op rij",
    )
    assert row["label"] == "5,6"


def test_nightly_rows_reference_each_file_once():
    rows, paths = nightly_rows(
        nights(resting_hr=[50.0, 51.0], sleep_hours=[7.25, 8.5]),
        Guides(),
        D,
        D + timedelta(days=2),
        "en",
    )
    assert paths == ["/s/chiyo/a.fit", "/s/chiyo/b.fit"]
    assert rows["rhr_f"].to_list() == [0, 0, None]
    assert rows["sleep_f"].to_list() == [1, 1, None]
    assert rows["sleep_t"].to_list() == ["7 h 15 min", "8 h 30 min", None]


def test_weekly_load_runs_monday_to_sunday():
    days = daily(
        load_trimp=[100.0] * 9,
        is_rest_day=[False] * 8 + [True],
        strength_load=[0.0, 30.0] + [0.0] * 7,
    )
    # D is a Sunday: 1 day in the week of 12 Oct, 7 in the next, 1 in the one after
    got = weekly_load(days)
    assert got["week"].to_list() == [date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)]
    assert got["trimp"].to_list() == [100.0, 700.0, 100.0]
    assert got["strength"].to_list() == [0.0, 30.0, 0.0]
    assert got["rest_days"].to_list() == [0, 0, 1]
    assert got["week_end"].to_list()[0] == date(2026, 10, 19)


def test_last_nights_are_the_last_calendar_week():
    frame = nights(sleep_hours=[7.0] * 10)
    got = last_nights(frame, 7)
    assert got["night"].to_list() == [D + timedelta(days=i) for i in range(3, 10)]


def test_level_of_a_flag_by_severity_then_direction():
    rhr = load_ruleset().rule("rhr_elevated")
    assert level_of(rhr, "warning", 58.0, 54.0).name == "high"
    assert level_of(rhr, "watch", 53.0, 52.7).name == "above"
    assert level_of(rhr, "watch", 44.0, 45.2).name == "below"
    sleep = load_ruleset().rule("sleep_out_of_range")
    assert level_of(sleep, "info", 5.5, 7.0).name == "short"
    assert level_of(sleep, "info", 9.5, 9.0).name == "long"


def test_slugs_are_safe_and_unique():
    got = slugs(["anna", "Anna", "../x y", "p-01"])
    assert got["anna"] == "anna" and got["p-01"] == "p-01"
    assert got["Anna"].startswith("Anna-") and got["../x y"].startswith("___x_y-")
    assert len(set(got.values())) == 4


def test_page_json_cannot_close_the_script_tag():
    text = page_json({"x": 1}, {"main": {"flags": [{"msg": "</script><b>"}]}})
    assert "</" not in text and "<" not in text
    assert json.loads(text)["data"]["main"]["flags"][0]["msg"] == "</script><b>"


def test_page_json_sends_frames_by_column():
    frame = pl.DataFrame({"night": [D, None], "v": [1.5, float("nan")]})
    text = page_json({}, {"main": {"nightly": frame}})
    assert json.loads(text)["data"]["main"]["nightly"] == {
        "$cols": {"night": ["2026-10-18", None], "v": [1.5, None]}
    }


def test_numbers_and_dates_in_both_languages():
    assert fmt_num(5.55, 1, "nl") == "5,6" and fmt_num(5.55, 1, "en") == "5.6"
    assert fmt_num(None, 0, "en") == "–"
    assert fmt_hours(7.25, "en") == "7 h 15 min" and fmt_hours(7.25, "nl") == "7 uur 15 min"
    assert fmt_signed_pct(4.4, "en") == "+4 %" and fmt_signed_pct(-12.4, "en") == "−12 %"
    assert fmt_signed_pct(-0.2, "en") == "±0 %"
    assert fmt_date(D, "en") == "Sun 18 Oct 2026" and fmt_date(D, "nl") == "zo 18 okt 2026"


def test_marker_explanations_carry_the_guideline_numbers():
    en = markers("en", **Guides().numbers())
    nl = markers("nl", **Guides().numbers())
    assert "above 70 ms normal and under 50 ms" in en["hrv"][1]
    assert "not a metronome" in en["hrv"][0]
    assert "geen metronoom" in nl["hrv"][0]
    assert "(−10 % tot +5 %)" in nl["rhr"][1] and "+8 %" in nl["rhr"][1]
    with pytest.raises(ValueError, match="language"):
        markers("fr")


def test_sparklines_keep_a_missing_night_as_a_gap():
    frame = nights(sleep_hours=[7.0] * 10).filter(pl.col("night") != D + timedelta(days=7))
    got = last_nights(frame, 7)
    assert got["night"].to_list() == [D + timedelta(days=i) for i in range(3, 10)]
    assert got["sleep_hours"].to_list() == [7.0] * 4 + [None] + [7.0] * 2


def test_recent_flag_counts_name_only_what_happened():
    assert recent_flags(2, 1, "en") == "2 warnings, 1 watch in 7 days"
    assert recent_flags(0, 3, "en") == "3 watches in 7 days"
    assert recent_flags(1, 0, "nl") == "1 waarschuwing in 7 dagen"
    assert recent_flags(0, 0, "en") == ""


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_chart_templates_are_valid_vega_lite(monkeypatch, lang):
    import report.charts

    monkeypatch.setattr(report.charts, "VALIDATE", True)
    specs = report.charts.chart_specs(Guides(), lang)
    assert set(specs) == {"rhr", "hrv", "sleep", "load", "week", "flags", "spark"}
    for name, spec in specs.items():
        assert "datasets" not in spec, f"{name}: templates carry no data"
        assert "$schema" not in spec


def test_every_rule_and_level_has_dutch_words():
    from report.pages import rule_words
    from report.text import RULE_NL
    from rules.catalogue import load_ruleset

    ruleset = load_ruleset()
    assert set(RULE_NL) == set(ruleset.rules)
    for rule in ruleset.rules.values():
        for level in rule.levels:
            title, when = rule_words(rule, level, "nl")
            assert title == RULE_NL[rule.id][0]
            # the level's own Dutch condition, its thresholds filled in (not the English one)
            assert when == RULE_NL[rule.id][1][level.name].format(**level.thresholds)
            assert "{" not in when and when != level.describe()
