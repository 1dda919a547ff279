"""The worked examples of docs/rules.md: inputs, and the flags herstel raises for them."""

from __future__ import annotations

import polars as pl
from rules_frames import (
    AT,
    D0,
    MONDAY,
    daily,
    days,
    labs,
    nights,
    no_days,
    weeks_of_load,
    wellness,
)

from rules.catalogue import load_ruleset
from rules.evaluate import evaluate


def _hrv_drop() -> pl.DataFrame:
    # 60 nights alternating 80 and 90 ms, then 7 nights at 70 ms
    return nights(hrv_ms=[80.0, 90.0] * 30 + [70.0] * 7)


def _strength() -> tuple[pl.DataFrame, pl.DataFrame]:
    # a 60-TRIMP strength session every 7 days for 5 weeks, then an extra one on the last day;
    # the last 7 nights: 7.5, 5.5, 7.5, 5.5, 7.5, 6.0, 7.5 h
    s = [60.0 if i % 7 == 0 else 0.0 for i in range(36)] + [60.0]
    load = [x or 50.0 for x in s]
    hours = [7.5] * 30 + [7.5, 5.5, 7.5, 5.5, 7.5, 6.0, 7.5]
    return nights(sleep_hours=hours), daily(load_trimp=load, strength_load=s)


#: extra frames of the examples that need them (wellness, lab results)
EXTRA: dict[str, dict[str, pl.DataFrame]] = {
    "fatigue_persists": {"wellness": wellness(fatigue=[3] * 10 + [7, 8, 8])},
    "wellness_decline": {
        "wellness": wellness(motivation=[8, 7] * 14 + [5] * 7, mood=[7] * 35),
    },
    "wellness_decline/mood": {"wellness": wellness(mood=[7, 8] * 14 + [6] * 7)},
    "ferritin_low": {"lab_results": labs([(D0, "ferritin", 41.0, "ug/L"),
                                           (D0.replace(month=6), "ferritin", 24.0, "ng/mL")])},
    "cortisol_change": {"lab_results": labs([
        (D0, "cortisol", 400.0, "nmol/L"), (D0.replace(month=4), "cortisol", 420.0, "nmol/L"),
        (D0.replace(month=5), "cortisol", 650.0, "nmol/L")])},
    "cortisol_change/down": {"lab_results": labs([
        (D0, "cortisol", 400.0, "nmol/L"), (D0.replace(month=4), "cortisol", 420.0, "nmol/L"),
        (D0.replace(month=5), "cortisol", 180.0, "nmol/L")])},
}

_STRENGTH_NIGHTS, _STRENGTH_DAYS = _strength()

#: rule id -> (nightly frame, daily frame) whose last day shows each level of the rule
EXAMPLES: dict[str, list[tuple[str, pl.DataFrame, pl.DataFrame]]] = {
    "rhr_elevated": [
        ("resting HR 56 bpm, baseline 50", nights(resting_hr=[56.0], resting_hr_baseline=[50.0]),
         no_days()),
        ("resting HR 53 bpm, baseline 50", nights(resting_hr=[53.0], resting_hr_baseline=[50.0]),
         no_days()),
        ("resting HR 44 bpm, baseline 50", nights(resting_hr=[44.0], resting_hr_baseline=[50.0]),
         no_days()),
    ],
    "sleep_short_streak": [
        ("5.8 h, 5.5 h, 5.6 h", nights(sleep_hours=[5.8, 5.5, 5.6]), no_days()),
    ],
    "sleep_out_of_range": [
        ("6.5 h", nights(sleep_hours=[6.5]), no_days()),
        ("9.5 h", nights(sleep_hours=[9.5]), no_days()),
    ],
    "hrv_low": [
        ("RMSSD 46.2 ms", nights(hrv_ms=[46.2]), no_days()),
        ("RMSSD 63.0 ms", nights(hrv_ms=[63.0]), no_days()),
        ("60 nights of 24/28 ms, then 14 ms", nights(hrv_ms=[24.0, 28.0] * 30 + [14.0]),
         no_days()),
    ],
    "no_rest_day": [
        ("9 training days in a row", nights(hrv_ms=[None]), days([False] * 9)),
    ],
    "hrv_usual_below_guideline": [
        ("7 nights of 24/28 ms, then 26 ms", nights(hrv_ms=[24.0, 28.0] * 3 + [24.0, 26.0]),
         no_days()),
        ("7 nights of 58/62 ms, then 60 ms", nights(hrv_ms=[58.0, 62.0] * 3 + [58.0, 60.0]),
         no_days()),
    ],
    "hrv_below_baseline": [
        ("60 nights of 80/90 ms, then 7 nights of 70 ms", _hrv_drop(), no_days()),
    ],
    "heavy_weeks_streak": [
        ("2 weeks of 500 TRIMP, then 4 weeks of 800", nights(hrv_ms=[None]),
         daily(start=MONDAY, load_trimp=weeks_of_load([500, 500] + [800] * 4))),
    ],
    "strength_up_unstable_sleep": [
        ("weekly 60-TRIMP strength session, an extra one after short nights",
         _STRENGTH_NIGHTS, _STRENGTH_DAYS),
    ],
    "fatigue_persists": [
        ("fatigue 8 after two rest days", nights(hrv_ms=[None]),
         daily(load_trimp=[50.0] * 10 + [0.0, 0.0] + [50.0])),
    ],
    "wellness_decline": [
        ("motivation 8/7 for 4 weeks, then 5 for a week", nights(hrv_ms=[None]), no_days()),
        ("mood 7/8 for 4 weeks, then 6 for a week", nights(hrv_ms=[None]), no_days()),
    ],
    "ferritin_low": [
        ("ferritin 41, then 24 ug/L", nights(hrv_ms=[None]), no_days()),
    ],
    "cortisol_change": [
        ("cortisol 400, 420, then 650 nmol/L", nights(hrv_ms=[None]), no_days()),
        ("cortisol 400, 420, then 180 nmol/L", nights(hrv_ms=[None]), no_days()),
    ],
    "sedentary_long": [
        ("10 days of 6 h, then 11.5 h", nights(hrv_ms=[None]),
         daily(load_trimp=[50.0] * 11, sedentary_hours=[6.0] * 10 + [11.5])),
    ],
    "multi_signal": [
        ("resting HR 56 (baseline 50) after 3 nights under 6 h",
         nights(sleep_hours=[5.8, 5.5, 5.6], resting_hr=[50.0, 50.0, 56.0],
                resting_hr_baseline=[50.0, 50.0, 50.0]), no_days()),
    ],
}  # fmt: skip


def example_extra(rule_id: str, index: int) -> dict[str, pl.DataFrame]:
    """The extra frames of example `index` of `rule_id` (second examples may differ)."""
    second = {("wellness_decline", 1): "wellness_decline/mood",
              ("cortisol_change", 1): "cortisol_change/down"}  # fmt: skip
    return EXTRA.get(second.get((rule_id, index), rule_id), {})



def example_flags(rule_id: str) -> list[dict]:
    """The flag of the last day of each example of `rule_id`."""
    out = []
    for i, (_label, nightly, daily_frame) in enumerate(EXAMPLES[rule_id]):
        flags = evaluate(nightly, daily_frame, load_ruleset(), AT,
                         extra=example_extra(rule_id, i))  # fmt: skip
        out.append(flags.filter(pl.col("rule_id") == rule_id).sort("day").row(-1, named=True))
    return out


if __name__ == "__main__":  # print the examples for pasting into docs/rules.md
    import sys

    for rid, cases in EXAMPLES.items():
        if len(sys.argv) > 1 and rid not in sys.argv[1:]:
            continue
        for (label, _n, _d), flag in zip(cases, example_flags(rid), strict=True):
            print(f"{rid} | {label} | {flag['severity']}\n  en: {flag['message']}\n"
                  f"  nl: {flag['message_nl']}")  # fmt: skip
