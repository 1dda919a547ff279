"""Boundaries of the rules added with the rest of the guidance, on hand-built frames."""

from __future__ import annotations

import math
import statistics
from datetime import timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_frames import AT, D0, MONDAY, daily, labs, nights, no_days, weeks_of_load, wellness

from rules.catalogue import DEFAULT_RULESET, load_ruleset
from rules.evaluate import evaluate
from rules.training import heavy_week_table


def flags(rule_id, nightly=None, daily_frame=None, ruleset=None, **extra):
    nightly = nights(hrv_ms=[None]) if nightly is None else nightly
    daily_frame = no_days() if daily_frame is None else daily_frame
    out = evaluate(nightly, daily_frame, ruleset or load_ruleset(), AT, extra=extra)
    return out.filter(pl.col("rule_id") == rule_id)


def days_of(frame):
    return [(d - D0).days for d in frame["day"]]


# --------------------------------------------------------------------------- HRV


def reference_hrv_flags(hrv: list[float | None]) -> set[int]:
    """hrv_below_baseline re-implemented with the statistics module (nights as indices)."""
    out = set()
    for d, v in enumerate(hrv):
        if v is None:
            continue
        recent = [math.log(x) for x in hrv[max(0, d - 6) : d + 1] if x is not None]
        base = [math.log(x) for x in hrv[max(0, d - 60) : d] if x is not None]
        if len(recent) >= 5 and len(base) >= 28:
            limit = statistics.mean(base) - 0.5 * statistics.stdev(base)
            if abs(statistics.mean(recent) - limit) < 1e-9:
                raise ValueError("on the boundary")  # hypothesis: skip such examples
            if statistics.mean(recent) < limit:
                out.add(d)
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(min_value=30, max_value=130)),
                min_size=28, max_size=90))  # fmt: skip
def test_hrv_below_baseline_matches_a_plain_reimplementation(values):
    hrv = [None if v is None else float(v) for v in values]
    try:
        want = reference_hrv_flags(hrv)
    except ValueError:
        return
    got = flags("hrv_below_baseline", nights(hrv_ms=hrv)) if any(hrv) else None
    assert (set(days_of(got)) if got is not None else set()) == want


def test_hrv_below_baseline_values_and_minimum_history():
    hrv = [80.0, 90.0] * 30 + [70.0] * 7
    f = flags("hrv_below_baseline", nights(hrv_ms=hrv))
    row = f.filter(pl.col("day") == D0 + timedelta(days=66)).row(0, named=True)
    base = [math.log(x) for x in hrv[6:66]]
    limit = statistics.mean(base) - 0.5 * statistics.stdev(base)
    assert row["severity"] == "watch"
    assert row["value"] == pytest.approx(70.0)
    assert row["threshold"] == pytest.approx(math.exp(limit))
    assert row["baseline"] == pytest.approx(math.exp(statistics.mean(base)))
    # 26 nights of history at most: no normal range yet
    assert flags("hrv_below_baseline", nights(hrv_ms=[85.0] * 20 + [40.0] * 7)).height == 0


# --------------------------------------------------------------------------- heavy weeks


def heavy(week_loads, **kw):
    return flags("heavy_weeks_streak", daily_frame=daily(start=MONDAY,
                 load_trimp=weeks_of_load(week_loads, **kw)))  # fmt: skip


def test_fourth_heavy_week_is_flagged_on_its_sunday_and_each_further_one():
    f = heavy([500, 500, 800, 800, 800, 800, 800, 500])
    sundays = [(d - MONDAY).days for d in f["day"]]
    assert sundays == [5 * 7 + 6, 6 * 7 + 6]
    assert f["severity"].to_list() == ["warning", "warning"]
    first = f.row(0, named=True)
    assert (first["value"], first["threshold"], first["baseline"]) == pytest.approx((800, 650, 500))
    assert "4 heavy training weeks in a row" in first["message"]


def test_three_heavy_weeks_and_the_ratio_boundary():
    assert heavy([500, 500, 800, 800, 800, 500]).height == 0  # three in a row is allowed
    assert heavy([500, 500, 650, 650, 650, 650]).height == 0  # exactly 1.3 x is not heavy
    assert heavy([500, 500, 651, 651, 651, 651]).height == 1


def test_five_recovery_days_reset_the_streak():
    # training every day (no rest days): a training day of the reference weeks is 500/7 = 71,
    # so a day of 30 TRIMP (<= 0.5 x 71) is a recovery day
    def case(easy_days: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        loads = weeks_of_load([500, 500, 800, 800], training_days=7)
        loads += [30.0] * easy_days + [1050.0 / (7 - easy_days)] * (7 - easy_days)  # heavy
        loads += weeks_of_load([800], training_days=7)
        frame = daily(start=MONDAY, load_trimp=loads)
        return flags("heavy_weeks_streak", daily_frame=frame), frame

    reset, frame = case(5)
    table = heavy_week_table(frame, load_ruleset().rule("heavy_weeks_streak"))
    assert table["recovery_reset"].to_list() == [False] * 4 + [True, False]
    assert table["streak"].to_list() == [0, 0, 1, 2, 1, 2]
    assert reset.height == 0
    no_reset, _ = case(4)  # four recovery days are not a recovery block
    assert [(d - MONDAY).days for d in no_reset["day"]] == [5 * 7 + 6]


def test_partial_weeks_and_missing_reference_are_not_evaluated():
    # starts on a Wednesday: the first (partial) week is neither heavy nor a reference
    loads = [800.0] * 5 + weeks_of_load([800] * 6)
    assert flags("heavy_weeks_streak",
                 daily_frame=daily(start=MONDAY + timedelta(days=2), load_trimp=loads)).height == 0


@settings(max_examples=25, deadline=None)
@given(
    weeks=st.lists(st.integers(min_value=0, max_value=2000), min_size=3, max_size=12),
    scale=st.sampled_from([0.5, 2.0, 10.0]),
)
def test_heavy_weeks_do_not_depend_on_the_load_unit(weeks, scale):
    """Ratios only: the same weeks in another load unit give the same flags."""
    a = heavy([float(w) for w in weeks])
    b = heavy([float(w) * scale for w in weeks])
    assert a["day"].to_list() == b["day"].to_list()


# --------------------------------------------------------------------------- strength


def strength_case(extra_load=60.0, hours=None):
    s = [60.0 if i % 7 == 0 else 0.0 for i in range(36)] + [extra_load]
    load = [x or 50.0 for x in s]
    hours = hours or [7.5] * 30 + [7.5, 5.5, 7.5, 5.5, 7.5, 6.0, 7.5]
    return flags("strength_up_unstable_sleep", nights(sleep_hours=hours),
                 daily(load_trimp=load, strength_load=s))  # fmt: skip


def test_strength_up_with_unstable_sleep():
    f = strength_case()
    assert days_of(f) == [36]
    row = f.row(0, named=True)
    assert (row["value"], row["threshold"], row["baseline"]) == pytest.approx((120, 75, 60))


def test_strength_boundaries():
    assert strength_case(extra_load=15.0).height == 0  # 75 = exactly 1.25 x 60: not up
    assert strength_case(extra_load=15.1).height == 1
    stable = [7.5] * 30 + [7.5, 8.0, 7.0, 8.5, 7.5, 7.0, 8.0]
    assert strength_case(hours=stable).height == 0  # every night >= 7 h, SD < 1 h
    spread = [7.5] * 30 + [7.0, 9.9, 7.0, 9.9, 7.0, 9.9, 7.0]  # none short, SD 1.55 h
    assert strength_case(hours=spread).height == 1
    few = [7.5] * 30 + [None, None, None, 5.5, 7.5, 6.0, 7.5]  # 4 nights: not evaluated
    assert strength_case(hours=few).height == 0


# --------------------------------------------------------------------------- self-report


def test_fatigue_after_two_rest_days():
    d = daily(load_trimp=[50.0] * 10 + [0.0, 0.0] + [50.0])
    hi = flags("fatigue_persists", daily_frame=d, wellness=wellness(fatigue=[3] * 12 + [7]))
    assert days_of(hi) == [12]
    assert hi["value"].to_list() == [7.0]
    lo = flags("fatigue_persists", daily_frame=d, wellness=wellness(fatigue=[3] * 12 + [6.9]))
    assert lo.height == 0
    one_rest = daily(load_trimp=[50.0] * 11 + [0.0] + [50.0])
    w = wellness(fatigue=[3] * 12 + [9])
    assert flags("fatigue_persists", daily_frame=one_rest, wellness=w).height == 0
    # third rest day with high fatigue: also after two rest days
    three = daily(load_trimp=[50.0] * 10 + [0.0, 0.0, 0.0])
    assert days_of(flags("fatigue_persists", daily_frame=three, wellness=w)) == [12]
    assert flags("fatigue_persists", daily_frame=d).height == 0  # no wellness: nothing


def test_wellness_decline_boundary_and_priority():
    # baseline 28 days all 8 (SD 0 -> floor 0.5): falling below 7.5
    base = [8] * 28
    edge = wellness(motivation=base + [7.5] * 7, mood=[7] * 35)
    assert flags("wellness_decline", wellness=edge).height == 0
    below = wellness(motivation=base + [7.4] * 7, mood=[7] * 35)
    f = flags("wellness_decline", wellness=below)
    assert days_of(f) == [33, 34]  # on day 33 the week holds one 8 and six 7.4 (7.49)
    assert f.row(0, named=True)["message"].startswith("Your motivation")
    both = wellness(motivation=base + [5] * 7, mood=base + [5] * 7)
    got = flags("wellness_decline", wellness=both)
    assert got["message"].str.starts_with("Your motivation").all()
    mood_only = wellness(motivation=base + [8] * 7, mood=base + [5] * 7)
    assert flags("wellness_decline", wellness=mood_only)["message"].str.starts_with(
        "Your mood").all()  # fmt: skip
    too_few = wellness(motivation=[None] * 20 + [8] * 13 + [2, 2])  # 13 baseline reports
    assert flags("wellness_decline", wellness=too_few).height == 0


# --------------------------------------------------------------------------- blood values


def test_ferritin_cut_off_and_units():
    rows = [(D0, "ferritin", 30.0, "ug/L"), (D0 + timedelta(days=30), "ferritin", 29.9, "ng/mL"),
            (D0 + timedelta(days=60), "ferritin", 10.0, "mg/L")]  # fmt: skip
    f = flags("ferritin_low", lab_results=labs(rows))
    assert days_of(f) == [30]  # 30.0 is not under 30; mg/L is not a unit we can read
    assert f.row(0, named=True)["baseline"] == 30.0  # the previous result


def test_cortisol_against_earlier_results():
    def one(last, unit="nmol/L", earlier=(400.0, 400.0)):
        rows = [(D0 + timedelta(days=30 * i), "cortisol", v, "nmol/L")
                for i, v in enumerate(earlier)]  # fmt: skip
        rows.append((D0 + timedelta(days=100), "cortisol", last, unit))
        return flags("cortisol_change", lab_results=labs(rows))

    assert one(600.0).height == 0  # exactly +50 %
    assert one(600.1).height == 1
    assert one(199.9)["message"].str.contains("below").all()
    assert one(200.0).height == 0
    assert one(21.8, unit="µg/dL").height == 1  # 601.5 nmol/L
    assert one(900.0, earlier=(400.0,)).height == 0  # one earlier result is not enough


# --------------------------------------------------------------------------- sitting


def test_sedentary_long_boundary():
    d = daily(load_trimp=[50.0] * 3, sedentary_hours=[10.0, 10.01, None])
    f = flags("sedentary_long", daily_frame=d)
    assert days_of(f) == [1] and f["severity"].to_list() == ["info"]


# --------------------------------------------------------------------------- multi_signal


def two_warnings(gap_days: int):
    """rhr_elevated warning on night 0 + gap, sleep_short_streak warning on night 2."""
    n = 3 + gap_days
    rhr = [50.0] * n
    rhr[2 + gap_days] = 56.0
    return nights(sleep_hours=[5.5, 5.5, 5.5] + [8.0] * gap_days, resting_hr=rhr,
                  resting_hr_baseline=[50.0] * n)  # fmt: skip


def test_multi_signal_window():
    assert days_of(flags("multi_signal", two_warnings(0))) == [2]
    assert days_of(flags("multi_signal", two_warnings(2))) == [4]  # D-2..D
    assert flags("multi_signal", two_warnings(3)).height == 0  # 3 days apart: outside
    f = flags("multi_signal", two_warnings(0)).row(0, named=True)
    assert f["value"] == 2 and "rhr_elevated, sleep_short_streak" in f["message"]


def test_multi_signal_counts_watch_only_when_configured(tmp_path):
    # resting HR +6 % is a watch; with the short-sleep warning that is one warning rule only
    n = nights(sleep_hours=[5.5, 5.5, 5.5], resting_hr=[50.0, 50.0, 53.0],
               resting_hr_baseline=[50.0] * 3)  # fmt: skip
    assert flags("multi_signal", n).height == 0
    text = DEFAULT_RULESET.read_text(encoding="utf-8").replace(
        "thresholds = { rules = 2.0, days = 3.0, min_severity = 2.0 }",
        "thresholds = { rules = 2.0, days = 3.0, min_severity = 1.0 }",
    )
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    assert days_of(flags("multi_signal", n, ruleset=load_ruleset(path))) == [2]


# --------------------------------------------------------------------------- profiles


PROFILE = '''
[[profiles]]
name = "low_hrv_b"
athletes = ["b"]
source = "test"
[profiles.thresholds.hrv_low]
low = { ms_below = 30.0 }
reduced = { ms_upto = 40.0 }
'''


def two_athletes():
    return pl.concat([nights("a", hrv_ms=[45.0, 60.0]), nights("b", hrv_ms=[45.0, 35.0])])


def test_athlete_profile_overrides_and_is_recorded(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT_RULESET.read_text(encoding="utf-8") + PROFILE, encoding="utf-8")
    rs = load_ruleset(path)
    f = evaluate(two_athletes(), no_days(), rs, AT).filter(pl.col("rule_id") == "hrv_low")
    got = {(r["athlete_id"], (r["day"] - D0).days): (r["severity"], r["ruleset_version"])
           for r in f.iter_rows(named=True)}  # fmt: skip
    v = rs.version
    assert got == {("a", 0): ("warning", v), ("a", 1): ("watch", v),
                   ("b", 1): ("watch", f"{v}+low_hrv_b")}  # fmt: skip
    assert "under 30 ms" not in f.filter(pl.col("athlete_id") == "b")["message"][0]
    assert "40 ms" in f.filter(pl.col("athlete_id") == "b")["message"][0]


def test_older_profile_by_birth_year():
    athletes = pl.DataFrame({"athlete_id": ["a", "b"], "birth_year": [1975, 1976]})
    n = pl.concat([nights("a", hrv_ms=[45.0]), nights("b", hrv_ms=[45.0])])  # 2025
    f = evaluate(n, no_days(), load_ruleset(), AT, extra={"athletes": athletes})
    f = f.filter(pl.col("rule_id") == "hrv_low").sort("athlete_id")
    v = load_ruleset().version
    # a is 50 in 2025: the older bounds (35/50 ms) make 45 ms a watch; b is 49
    assert f.select("athlete_id", "severity", "ruleset_version").rows() == [
        ("a", "watch", f"{v}+older"), ("b", "warning", v)]  # fmt: skip


def test_profile_must_name_existing_thresholds(tmp_path):
    bad = PROFILE.replace("ms_below", "ms_under")
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT_RULESET.read_text(encoding="utf-8") + bad, encoding="utf-8")
    with pytest.raises(ValueError, match="no threshold 'ms_under'"):
        load_ruleset(path)
