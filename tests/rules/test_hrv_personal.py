"""HRV rules that respect the person: a low usual HRV is said once, then only departures flag;
a very steady athlete's tiny dip stays quiet (noise floor) while a real drop still flags."""

from __future__ import annotations

import math

import polars as pl
from rules_frames import AT, D0, nights, no_days

from rules.catalogue import load_ruleset
from rules.evaluate import evaluate

RULESET = load_ruleset()
HRV_RULES = ("hrv_low", "hrv_usual_below_guideline", "hrv_below_baseline")

#: A wrist device's night-to-night spread around ~24 ms (ln SD ~0.11): no night under 20 ms.
WRIST_WEEK = [22.0, 26.0, 24.0, 28.0, 20.0, 25.0, 27.0, 23.0]


def run(frame: pl.DataFrame, extra=None) -> pl.DataFrame:
    out = evaluate(frame, no_days(), RULESET, AT, extra=extra)
    return out.filter(pl.col("rule_id").is_in(HRV_RULES))


def offsets(out: pl.DataFrame, rule_id: str) -> list[int]:
    return [(d - D0).days for d in out.filter(pl.col("rule_id") == rule_id)["day"]]


def wrist_athlete() -> list[float]:
    """90 nights: the wrist pattern, with a real drop to 13 ms on nights 70-73."""
    values = (WRIST_WEEK * 12)[:90]
    for i in range(70, 74):
        values[i] = 13.0
    return values


def test_low_usual_hrv_gets_the_info_once_and_flags_only_the_real_drop():
    values = wrist_athlete()
    out = run(nights(hrv_ms=values, hrv_method=["device_nightly"] * 90,
                     hrv_file_id=["f1"] * 90),
              extra={"files": pl.DataFrame({"file_id": ["f1"], "vendor": ["whoop"],
                                            "device": ["4.0"]})})  # fmt: skip
    # a usual value needs 7 nights: night 7 is the first with one (~24 ms)
    assert offsets(out, "hrv_usual_below_guideline") == [7]
    info = out.filter(pl.col("rule_id") == "hrv_usual_below_guideline").row(0, named=True)
    usual = math.exp(sum(math.log(v) for v in values[:7]) / 7)
    assert info["value"] == pytest_approx(usual) and info["severity"] == "info"
    assert "the device's nightly RMSSD, whoop 4.0" in info["message"]
    assert info["message"].startswith("Your usual HRV is 24 ms")
    # 90 nights under 50 ms, but hrv_low flags only the first 7 (no usual value yet: the fixed
    # line applies; one episode) and the 4 nights of the drop (personal level: under
    # 0.7 x usual, since 2 SD of this athlete's ln RMSSD is less than the 30 % floor)
    low = out.filter(pl.col("rule_id") == "hrv_low")
    assert offsets(out, "hrv_low") == [0, 1, 2, 3, 4, 5, 6, 70, 71, 72, 73]
    assert set(low["severity"]) == {"warning"}
    assert "whoop 4.0" in low["message"][-1] and "% under your usual" in low["message"][-1]
    # the 7-night mean is below the normal range while the drop is in its window; worked out
    # from the definition in plain Python: nights 70-78 (night 79 still has one 13 ms night in
    # its window, but with the pattern's higher nights around it the mean is back in range)
    assert offsets(out, "hrv_below_baseline") == below_baseline_by_hand(values)
    assert below_baseline_by_hand(values) == list(range(70, 79))
    # before: the fixed line alone flagged all 90 nights as warnings
    assert sum(v < 50 for v in values) == 90


def below_baseline_by_hand(values: list[float]) -> list[int]:
    """Nights where mean ln of D-6..D < mean ln of D-60..D-1 - max(0.5 SD, -ln 0.98)."""
    out = []
    for i in range(len(values)):
        base = [math.log(v) for v in values[max(0, i - 60):i]]
        recent = [math.log(v) for v in values[max(0, i - 6):i + 1]]
        if len(base) < 28:
            continue
        mean = sum(base) / len(base)
        sd = math.sqrt(sum((x - mean) ** 2 for x in base) / (len(base) - 1))
        if sum(recent) / len(recent) < mean - max(0.5 * sd, -math.log(0.98)):
            out.append(i)
    return out


def pytest_approx(x):
    import pytest

    return pytest.approx(x, rel=1e-9)


def first_under(line: float, high: float, low: float = 30.0) -> int:
    """Nights of `low` among the 60 before at which their geometric mean with `high` first
    drops under `line`: (60 - k) ln high + k ln low < 60 ln line."""
    return next(
        k for k in range(61) if (60 - k) * math.log(high) + k * math.log(low) < 60 * math.log(line)
    )


def test_usual_back_above_line_plus_margin_ends_the_period_and_a_new_one_says_it_again():
    # 40 nights at 40 ms, 60 at 85 ms, 70 at 30 ms. Info on night 7 (first usual value, 40:
    # under 50); the 85s lift the usual value past 77 ms (70 + 10 %), ending both periods;
    # then the 30s pull it under 70 (usual_reduced) and later under 50 (usual_below).
    values = [40.0] * 40 + [85.0] * 60 + [30.0] * 70
    out = run(nights(hrv_ms=values))
    k70, k50 = first_under(70, 85), first_under(50, 85)
    assert (k70, k50) == (12, 31)  # by hand: 48 ln 85 + 12 ln 30 = 254.05 < 60 ln 70 = 254.91
    info = out.filter(pl.col("rule_id") == "hrv_usual_below_guideline")
    assert offsets(out, "hrv_usual_below_guideline") == [7, 100 + k70, 100 + k50]
    # usual values: 40; exp((48 ln 85 + 12 ln 30) / 60) = 69.0; exp((29 ln 85 + 31 ln 30) / 60)
    # = 49.6, rounded in the message
    head = "Your usual HRV is {} ms (RMSSD; average of the last 60 nights), "
    assert [m.split(":")[0] for m in info["message"]] == [
        head.format(40) + "below the guideline's 50 ms",
        head.format(69) + "under the 70 ms the guideline calls normal",
        head.format(50) + "below the guideline's 50 ms",
    ]
    low = offsets(out, "hrv_low")
    # before a usual value exists the fixed line applies (nights 0-6 at 40 ms: warnings);
    # inside the first period the steady 40 ms nights are not flagged
    assert [o for o in low if o < 40] == list(range(7))
    # the 30 ms nights before the usual value is under 70: fixed line, warnings
    assert [o for o in low if 100 <= o < 100 + k70] == list(range(100, 100 + k70))


def test_usual_between_the_lines_gets_its_own_info_and_no_nightly_watch():
    # a steady 60 ms athlete (the vendor study's usual): every night was an hrv_low watch
    values = [58.0, 62.0] * 45
    out = run(nights(hrv_ms=values))
    info = out.filter(pl.col("rule_id") == "hrv_usual_below_guideline")
    assert offsets(out, "hrv_usual_below_guideline") == [7]
    assert info["message"][0].startswith(
        "Your usual HRV is 60 ms (RMSSD; average of the last 60 nights), under the 70 ms the "
        "guideline calls normal"
    )
    assert offsets(out, "hrv_low") == list(range(7))  # only before a usual value exists


def test_very_steady_athlete_small_dip_is_quiet_real_drop_flags():
    steady = [80.0, 81.0] * 30  # ln SD ~0.0063: 0.5 SD is a 0.3 % change
    dip = run(nights(hrv_ms=steady + [80.5 * 0.984] * 7))
    assert offsets(dip, "hrv_below_baseline") == []
    # without the floor the old definition gave six watch flags (issue 13), nights 61-66
    no_floor = RULESET.model_copy(deep=True)
    rule = no_floor.rules["hrv_below_baseline"]
    level = rule.levels[0].model_copy(
        update={"thresholds": {**rule.levels[0].thresholds, "min_drop_pct": 1e-9}})
    no_floor.rules["hrv_below_baseline"] = rule.model_copy(update={"levels": (level,)})
    old = evaluate(nights(hrv_ms=steady + [80.5 * 0.984] * 7), no_days(), no_floor, AT)
    assert offsets(old.filter(pl.col("rule_id") == "hrv_below_baseline"),
                   "hrv_below_baseline") == [61, 62, 63, 64, 65, 66]  # fmt: skip
    # a real drop of 5 %: the 7-night mean (ln) falls k x 0.0513 / 7 under the usual value,
    # past the floor -ln 0.98 = 0.0202 from k = 3 drop nights in the window: nights 62-66
    drop = run(nights(hrv_ms=steady + [80.5 * 0.95] * 7))
    assert offsets(drop, "hrv_below_baseline") == [62, 63, 64, 65, 66]


def test_info_rule_agrees_with_hrv_low_in_the_shipped_file():
    """hrv_usual_below_guideline and hrv_low must draw the same line (also per profile)."""
    for profile in (None, *RULESET.profiles):
        low = RULESET.rule_for("hrv_low", profile)
        info = RULESET.rule_for("hrv_usual_below_guideline", profile)
        assert info.threshold("usual_below", "ms_below") == low.threshold("low", "ms_below")
        assert info.threshold("usual_reduced", "ms_below") == low.threshold("reduced", "ms_upto")
        for key in ("rejoin_pct", "baseline_nights", "baseline_min_nights"):
            assert info.threshold("usual_below", key) == low.threshold("personal", key)
