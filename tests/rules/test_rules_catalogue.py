"""The shipped ruleset loads, validates and matches the rule functions."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from rules.catalogue import DEFAULT_RULESET, RuleSet, load_ruleset
from rules.evaluate import REGISTRY, check_ruleset

IN_THIS_ISSUE = {"rhr_elevated", "sleep_short_streak", "sleep_out_of_range", "hrv_low",
                 "no_rest_day", "hrv_below_baseline", "heavy_weeks_streak",
                 "strength_up_unstable_sleep", "fatigue_persists", "wellness_decline",
                 "ferritin_low", "cortisol_change", "sedentary_long", "multi_signal",
                 "hrv_usual_below_guideline"}  # fmt: skip


def raw() -> dict:
    with open(DEFAULT_RULESET, "rb") as f:
        return tomllib.load(f)


def test_shipped_ruleset_loads_and_matches_the_functions():
    rs = load_ruleset()
    assert rs.version == "2026.12.1"
    assert set(rs.rules) == IN_THIS_ISSUE
    assert [r.id for r in rs.rules.values()] == list(rs.rules)  # keyed by id, file order
    check_ruleset(rs)


def test_every_level_has_a_source_and_both_languages():
    for r in load_ruleset().rules.values():
        assert r.source
        for level in r.levels:
            assert level.source.strip() and level.describe().strip()
            assert level.message_en.strip() and level.message_nl.strip()
            assert level.message_en != level.message_nl


def test_thresholds_are_those_of_the_guidance():
    rs = load_ruleset()
    rhr = rs.rule("rhr_elevated")
    assert rhr.level("high").thresholds == {"pct_above": 8.0, "bpm_above": 8.0}
    assert rhr.level("high").severity == "warning"
    assert rhr.level("above").thresholds == {"pct_above": 5.0}
    assert rhr.level("below").thresholds == {"pct_below": 10.0}
    assert rs.rule("sleep_short_streak").level("streak").thresholds == {
        "hours_below": 6.0, "nights": 3.0}  # fmt: skip
    assert rs.rule("hrv_low").threshold("low", "ms_below") == 50.0
    assert rs.rule("hrv_low").threshold("reduced", "ms_upto") == 70.0
    assert rs.rule("no_rest_day").threshold("no_rest", "days") == 7.0


def test_load_from_a_path(tmp_path):
    path = tmp_path / "club.toml"
    path.write_bytes(DEFAULT_RULESET.read_bytes().replace(b'"2026.12.1"', b'"2027.1.0"'))
    assert load_ruleset(path).version == "2027.1.0"


def mutate(fn) -> dict:
    data = raw()
    fn(data)
    return data


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(version="latest"),
        lambda d: d["rules"][0]["levels"][0].update(severity="critical"),
        lambda d: d["rules"].append(d["rules"][0]),
        lambda d: d["rules"][0]["levels"].append(d["rules"][0]["levels"][0]),
        lambda d: d["rules"][0]["levels"][0].update(message_en="HR {value:>5}"),
        lambda d: d["rules"][0]["levels"][0].update(message_nl="HR {value"),
        lambda d: d["rules"][0]["levels"][0].update(source=""),
        lambda d: d["rules"][0].update(colour="red"),
        lambda d: d["rules"][0].update(applies_to="week"),
    ],
)
def test_structural_mistakes_are_rejected(change):
    with pytest.raises(ValidationError):
        RuleSet.model_validate(mutate(change))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d["rules"][0].update(id="rhr_raised"), "no rule function"),
        (lambda d: d["rules"][0]["levels"][0]["thresholds"].pop("bpm_above"), "bpm_above"),
        (lambda d: d["rules"][0]["levels"][0].update(name="severe"), "levels"),
        (lambda d: d["rules"][3]["levels"][0].update(message_en="HRV {hrv}"), "{hrv}"),
    ],
)
def test_catalogue_and_functions_must_agree(change, needle):
    rs = RuleSet.model_validate(mutate(change))
    with pytest.raises(ValueError, match=None) as err:
        check_ruleset(rs)
    assert needle in str(err.value)


def test_disabled_rules_need_no_function():
    data = mutate(lambda d: d["rules"][0].update(id="future_rule", enabled=False))
    check_ruleset(RuleSet.model_validate(data))


def test_registry_holds_the_rules_of_this_issue():
    assert set(REGISTRY) >= IN_THIS_ISSUE
