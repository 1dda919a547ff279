"""Every rule names the unit of its flags' value, threshold and baseline (daily_flags.unit)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rules.catalogue import RuleSet, load_ruleset

UNITS = {
    "rhr_elevated": "bpm",
    "sleep_short_streak": "h",
    "sleep_out_of_range": "h",
    "hrv_low": "ms",
    "no_rest_day": "days",
    "hrv_below_baseline": "ms",
    "hrv_usual_below_guideline": "ms",
    "heavy_weeks_streak": "trimp",
    "strength_up_unstable_sleep": "trimp",
    "fatigue_persists": "score_1_10",
    "wellness_decline": "score_1_10",
    "ferritin_low": "ug/L",
    "cortisol_change": "nmol/L",
    "sedentary_long": "h",
    "multi_signal": "rules",
}


def test_every_packaged_rule_has_its_unit():
    assert {r.id: r.unit for r in load_ruleset().rules.values()} == UNITS


@pytest.mark.hostile
def test_an_unknown_unit_is_refused():
    rs = load_ruleset().model_dump()
    rs["rules"] = list(rs["rules"].values())
    rs["rules"][0]["unit"] = "beats"
    with pytest.raises(ValidationError, match="unit"):
        RuleSet.model_validate(rs)
