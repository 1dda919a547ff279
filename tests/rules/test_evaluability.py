"""Which rule could be evaluated on which athlete-day, and why not: hand-worked cases."""

from __future__ import annotations

import polars as pl
from rules_frames import D0, daily, nights, no_days

from rules.catalogue import load_ruleset
from rules.evaluability import REASONS, evaluability

RULESET = load_ruleset()


def athlete_a() -> pl.DataFrame:
    """Ten nights; night 3 has no recording at all, night 4 a sleep but too little HRV data;
    the resting-HR baseline exists from night 7 on."""
    frame = nights(
        hrv_ms=[60.0, 61.0, 62.0, 0.0, None, 60.0, 61.0, 62.0, 60.0, 61.0],
        hrv_coverage=[1.0, 1.0, 1.0, 0.0, 0.2, 1.0, 1.0, 1.0, 1.0, 1.0],
        resting_hr=[50.0] * 10,
        resting_hr_baseline=[None] * 7 + [50.0] * 3,
        sleep_hours=[7.5] * 10,
    )
    return frame.filter(pl.col("night") != D0.replace(day=D0.day + 3))


def athlete_b() -> pl.DataFrame:
    """A phone app: sleep only, never HRV or resting HR."""
    return nights("b", sleep_hours=[7.0, 7.2, 6.9])


def reasons(out: pl.DataFrame, athlete: str, rule_id: str) -> list:
    rows = out.filter((pl.col("athlete_id") == athlete) & (pl.col("rule_id") == rule_id))
    return rows.sort("day")["reason"].to_list()


def test_reasons_per_rule_and_day():
    nightly = pl.concat([athlete_a(), athlete_b()])
    out = evaluability(nightly, daily(load_trimp=[50.0] * 10), RULESET)
    rules = len(RULESET.enabled)
    assert out.height == (10 + 3) * rules  # every calendar day of each athlete, every rule
    assert out["evaluable"].to_list() == out["reason"].is_null().to_list()
    assert set(out["reason"].drop_nulls()) <= set(REASONS)
    ok, none, short, low, unmeasured = (None, "no_night_recorded", "baseline_too_short",
                                        "coverage_too_low", "not_measured_by_source")  # fmt: skip
    assert reasons(out, "a", "hrv_low") == [ok, ok, ok, none, low, ok, ok, ok, ok, ok]
    # the usual value needs 7 earlier nights with HRV: night 9 is the first (0-2, 5-8)
    assert reasons(out, "a", "hrv_usual_below_guideline") == [short] * 3 + [none, low] + [
        short
    ] * 4 + [ok]
    # the 60-night range needs 28: not within ten nights
    assert reasons(out, "a", "hrv_below_baseline") == [short] * 3 + [none, low] + [short] * 5
    assert reasons(out, "a", "rhr_elevated") == [short] * 3 + [none] + [short] * 3 + [ok] * 3
    assert reasons(out, "a", "sleep_short_streak") == [ok] * 3 + [none] + [ok] * 6
    # no_rest_day needs a daily row on each of the last 7 days (docs/rules.md): from day 6 on
    assert reasons(out, "a", "no_rest_day") == [short] * 6 + [ok] * 4
    # no questionnaire and no blood tests: the source does not measure them
    assert reasons(out, "a", "fatigue_persists") == [unmeasured] * 10
    assert reasons(out, "a", "ferritin_low") == [unmeasured] * 10
    # the phone app: sleep rules evaluable, HRV and resting HR never measured; no daily rows
    assert reasons(out, "b", "hrv_low") == [unmeasured] * 3
    assert reasons(out, "b", "rhr_elevated") == [unmeasured] * 3
    assert reasons(out, "b", "sleep_out_of_range") == [ok] * 3
    assert reasons(out, "b", "no_rest_day") == [none] * 3
    assert reasons(out, "b", "multi_signal") == [ok] * 3  # sleep rules could still fire


def test_no_data_no_rows():
    assert evaluability(nights(hrv_ms=[]), no_days(), RULESET).is_empty()
