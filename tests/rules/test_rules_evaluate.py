"""Each rule's boundaries, messages and the evaluator's contract."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_frames import AT, D0, days, nights, no_days, no_nights

from rules.catalogue import DEFAULT_RULESET, load_ruleset
from rules.evaluate import FLAG_COLUMNS, REGISTRY, evaluate, rule

RULESET = load_ruleset()


def flags(nightly=None, daily=None, rule_id=None, at=AT) -> pl.DataFrame:
    out = evaluate(
        nightly if nightly is not None else no_nights(),
        daily if daily is not None else no_days(),
        RULESET,
        at,
    )
    return out.filter(pl.col("rule_id") == rule_id) if rule_id else out


def by_day(out: pl.DataFrame) -> dict:
    return {(d - D0).days: s for d, s in out.select("day", "severity").rows()}


# --------------------------------------------------------------------------- rhr_elevated


def rhr(values, baseline=50.0):
    return flags(
        nights(resting_hr=values, resting_hr_baseline=[baseline] * len(values)),
        rule_id="rhr_elevated",
    )


def test_rhr_exactly_plus_8_percent_is_watch_just_above_is_warning():
    # baseline 50: +8 % = 54.0 exactly (not above), +5 % = 52.5
    out = rhr([54.0, 54.01, 52.5, 52.51])
    assert by_day(out) == {0: "watch", 1: "warning", 3: "watch"}


def test_rhr_8_bpm_rule_alone_raises_a_warning():
    # baseline 125: +8 bpm = 133 < +8 % = 135; 133.5 is over 8 bpm, only 6.8 %
    out = rhr([133.0, 133.5], baseline=125.0)
    assert by_day(out) == {0: "watch", 1: "warning"}
    assert out["threshold"].to_list() == [pytest.approx(131.25), pytest.approx(133.0)]


def test_rhr_below_minus_10_percent_is_watch():
    out = rhr([45.0, 44.9, 47.0])
    assert by_day(out) == {1: "watch"}
    assert out["threshold"].item() == pytest.approx(45.0)


def test_rhr_not_evaluated_without_baseline():
    out = flags(nights(resting_hr=[70.0, 70.0], resting_hr_baseline=[None, None]))
    assert out.filter(pl.col("rule_id") == "rhr_elevated").is_empty()


def test_rhr_one_flag_per_night_the_most_severe():
    out = rhr([60.0])  # over +5 % and over +8 %
    assert out.height == 1 and out["severity"].item() == "warning"


def test_rhr_message_reads_like_the_design_example():
    row = rhr([56.0]).row(0, named=True)
    assert (row["value"], row["baseline"], row["threshold"]) == (56.0, 50.0, 54.0)
    assert row["message"].startswith(
        "Resting HR during sleep 56 bpm, 12 % (6 bpm) above your 28-night average of 50."
    )
    assert "consider an easy day" in row["message"]
    assert row["message_nl"].startswith(
        "Rusthartslag tijdens de slaap 56 slagen/min, 12 % (6 slagen/min) boven je gemiddelde"
    )


# --------------------------------------------------------------------- sleep_short_streak


def streak(hours, start=D0):
    return flags(nights(sleep_hours=hours, start=start), rule_id="sleep_short_streak")


def test_streak_warns_on_the_third_and_each_further_night():
    out = streak([5.9, 5.0, 5.5, 4.0, 7.5])
    assert by_day(out) == {2: "warning", 3: "warning"}
    assert out["value"].to_list() == [5.5, 4.0]
    assert out["message"].to_list()[0].startswith("3 nights in a row under 6 h of sleep")
    assert out["message"].to_list()[1].startswith("4 nights in a row")


def test_exactly_6_hours_is_not_short():
    assert streak([5.9, 6.0, 5.9, 5.9]).is_empty()


def test_a_missing_night_breaks_the_run():
    frame = nights(sleep_hours=[5.0, 5.0, 5.0, 5.0])
    gap = frame.filter(pl.col("night") != D0 + timedelta(days=2))  # no row for night 2
    out = flags(gap, rule_id="sleep_short_streak")
    assert out.is_empty()
    null_night = nights(sleep_hours=[5.0, 5.0, None, 5.0, 5.0, 5.0])  # a row without a value
    assert by_day(flags(null_night, rule_id="sleep_short_streak")) == {5: "warning"}


short_nights = st.lists(st.one_of(st.none(), st.sampled_from([4.0, 5.99, 6.0, 8.0])), max_size=40)


@settings(max_examples=100, deadline=None)
@given(short_nights)
def test_streak_flags_exactly_the_nights_that_end_a_run_of_3(hours):
    flagged = set(by_day(streak(hours))) if hours else set()
    expected = {
        i for i in range(len(hours))
        if i >= 2 and all(h is not None and h < 6 for h in hours[i - 2 : i + 1])
    }  # fmt: skip
    assert flagged == expected


# --------------------------------------------------------------------- sleep_out_of_range


def test_sleep_range_edges_are_normal():
    out = flags(nights(sleep_hours=[7.0, 6.99, 9.0, 9.01]), rule_id="sleep_out_of_range")
    assert by_day(out) == {1: "info", 3: "info"}
    assert out["threshold"].to_list() == [7.0, 9.0]
    assert out["message"].to_list()[0].startswith("Slept 7.0 h, under the 7–9 h")
    assert out["message_nl"].to_list()[1].startswith("9,0 uur geslapen, meer dan de 7–9 uur")


# ------------------------------------------------------------------------------ hrv_low


def test_hrv_edges():
    out = flags(nights(hrv_ms=[49.9, 50.0, 70.0, 70.1, None]), rule_id="hrv_low")
    assert by_day(out) == {0: "warning", 1: "watch", 2: "watch"}
    assert out["threshold"].to_list() == [50.0, 70.0, 70.0]
    assert out["message"].to_list()[0].startswith("Night-time HRV 49.9 ms (RMSSD), under the 50")
    assert (
        out["message_nl"].to_list()[0].startswith("Hartslagvariabiliteit vannacht 49,9 ms (RMSSD)")
    )


# -------------------------------------------------------------------------- no_rest_day

T, R = False, True  # trained, rest


def no_rest(rest):
    return flags(daily=days(rest), rule_id="no_rest_day")


def test_seven_training_days_warn_on_the_seventh_and_after():
    out = no_rest([T] * 9)
    assert by_day(out) == {6: "warning", 7: "warning", 8: "warning"}
    assert out["value"].to_list() == [7.0, 8.0, 9.0]
    assert (
        out["message"]
        .to_list()[0]
        .startswith("No full rest day in the last 7 days (7 training days in a row).")
    )


def test_a_week_with_one_rest_day_is_fine():
    assert no_rest([T, T, T, R, T, T, T, T, T]).is_empty()
    assert by_day(no_rest([R, T, T, T, T, T, T, T])) == {7: "warning"}


def test_fewer_than_7_days_of_data_is_not_evaluated():
    assert no_rest([T] * 6).is_empty()
    gap = days([T] * 8).filter(pl.col("day") != D0 + timedelta(days=3))
    assert flags(daily=gap, rule_id="no_rest_day").is_empty()


# ---------------------------------------------------------------------------- evaluator


def test_flag_columns_and_provenance():
    out = flags(nights(hrv_ms=[40.0], sleep_hours=[5.0]))
    assert out.schema == pl.Schema(FLAG_COLUMNS)
    assert set(out["ruleset_version"]) == {"2026.12.1"}
    assert set(out["computed_at"]) == {AT}
    assert out["rule_id"].to_list() == ["hrv_low", "sleep_out_of_range"]


def test_naive_computed_at_is_taken_as_utc():
    out = flags(nights(hrv_ms=[40.0]), at=datetime(2025, 4, 1, 4, 0))
    assert out["computed_at"].to_list() == [AT]


def test_empty_inputs_give_an_empty_flag_frame():
    out = flags()
    assert out.is_empty() and out.schema == pl.Schema(FLAG_COLUMNS)


def test_extra_columns_and_several_athletes():
    a = nights("a", hrv_ms=[40.0]).with_columns(computed_at=pl.lit(AT))
    b = nights("b", hrv_ms=[60.0]).with_columns(computed_at=pl.lit(AT))
    out = flags(pl.concat([b, a]))
    assert out.select("athlete_id", "severity").rows() == [("a", "warning"), ("b", "watch")]


def test_adding_a_rule_is_one_function_and_one_table(tmp_path):
    table = """
[[rules]]
id = "sleep_long_night"
title = "Very long night"
applies_to = "night"

[[rules.levels]]
name = "long"
severity = "info"
thresholds = { hours = 10.0 }
source = "test"
message_en = "{value:.1f} h over {threshold:.0f}"
message_nl = "{value:.1f} uur boven {long_hours:.0f}"
"""
    path = tmp_path / "ruleset.toml"
    path.write_text(DEFAULT_RULESET.read_text(encoding="utf-8") + table, encoding="utf-8")

    @rule("sleep_long_night", levels={"long": ("hours",)})
    def sleep_long_night(inputs, r):
        limit = r.threshold("long", "hours")
        return inputs.nightly.filter(pl.col("sleep_hours") > limit).select(
            "athlete_id", day=pl.col("night"), level=pl.lit("long"),
            value=pl.col("sleep_hours"), threshold=pl.lit(limit),
            baseline=pl.lit(None, dtype=pl.Float64),
        )  # fmt: skip

    try:
        rs = load_ruleset(path)
        out = evaluate(nights(sleep_hours=[10.5]), no_days(), rs, AT)
        row = out.filter(pl.col("rule_id") == "sleep_long_night").row(0, named=True)
        assert (row["severity"], row["message"], row["message_nl"]) == (
            "info", "10.5 h over 10", "10,5 uur boven 10")  # fmt: skip
    finally:
        del REGISTRY["sleep_long_night"]


def test_day_of_a_nightly_flag_is_the_night():
    out = flags(nights(hrv_ms=[40.0], start=date(2025, 10, 26)))
    assert out["day"].to_list() == [date(2025, 10, 26)]


rest_days = st.lists(st.one_of(st.none(), st.booleans()), max_size=30)


@settings(max_examples=100, deadline=None)
@given(rest_days)
def test_no_rest_day_flags_exactly_the_days_ending_7_known_training_days(rest):
    # None = no daily row for that date
    frame = days([r if r is not None else False for r in rest])
    frame = frame.filter(pl.Series([r is not None for r in rest], dtype=pl.Boolean))
    got = set(by_day(flags(daily=frame, rule_id="no_rest_day")))
    expected = {i for i in range(6, len(rest)) if all(r is False for r in rest[i - 6 : i + 1])}
    assert got == expected
