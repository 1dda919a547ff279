"""The worked examples of docs/rules.md: inputs, and the flags herstel raises for them."""

from __future__ import annotations

import polars as pl
from rules_frames import AT, days, nights, no_days

from rules.catalogue import load_ruleset
from rules.evaluate import evaluate

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
    ],
    "no_rest_day": [
        ("9 training days in a row", nights(hrv_ms=[None]), days([False] * 9)),
    ],
}  # fmt: skip


def example_flags(rule_id: str) -> list[dict]:
    """The flag of the last day of each example of `rule_id`."""
    out = []
    for _label, nightly, daily in EXAMPLES[rule_id]:
        flags = evaluate(nightly, daily, load_ruleset(), AT).filter(pl.col("rule_id") == rule_id)
        out.append(flags.sort("day").row(-1, named=True))
    return out


if __name__ == "__main__":  # print the examples for pasting into docs/rules.md
    for rid, cases in EXAMPLES.items():
        for (label, _n, _d), flag in zip(cases, example_flags(rid), strict=True):
            print(f"{rid} | {label} | {flag['severity']}\n  en: {flag['message']}\n"
                  f"  nl: {flag['message_nl']}")  # fmt: skip
