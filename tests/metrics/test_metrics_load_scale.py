"""Issue 13: one training-load scale, sessions recorded twice, rest days a coach would call
rest days, and the performance-management chart (CTL/ATL/TSB/ramp rate).

Expectations written from the guidance first: the same training gives the same weekly load
whatever device recorded it; one ride recorded by a watch and a bike computer is one ride;
a 15-minute walk does not end a rest day; CTL/ATL follow the published recurrences.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import polars as pl
import pytest
from metrics_frames import athletes, empty, frame, utc

from metrics.load import activity_trimp, daily_metrics, weekly_load
from metrics.nightly import NIGHTLY_COLUMNS
from metrics.pmc import with_pmc
from metrics.sessions import link_duplicates
from rules.catalogue import load_ruleset
from rules.evaluate import evaluate
from rules.training import heavy_week_table

MONDAY = date(2025, 3, 3)
PERSON = athletes(("a", "UTC"), hr_max=190.0, sex="M")


def session(start, minutes, avg_hr=None, file_id="f", sport="running", athlete="a"):
    return {"athlete_id": athlete, "file_id": file_id, "start_ts": start,
            "duration_s": minutes * 60.0, "sport": sport, "avg_hr": avg_hr}  # fmt: skip


# --------------------------------------------------------------------------- one scale


def test_switching_from_phone_app_to_watch_keeps_the_weekly_load():
    """4 weeks of a phone app (average HR only), then 4 weeks of a watch (1-s HR samples
    wandering +-8 bpm around the same average), the same 5 one-hour runs a week.

    Expected: weekly loads within 2 % of each other, no heavy week, so no heavy_weeks_streak
    (with Edwards on the watch weeks they were ~2.4x the app weeks: 4 heavy weeks in a row).
    """
    rng = random.Random(13)
    rows, hr = [], []
    for week in range(8):
        for d in range(5):
            start = utc(2025, 3, 3, 7) + timedelta(days=7 * week + d)
            bpms = [150 + rng.randint(-8, 8) for _ in range(3600)]
            avg = sum(bpms) / len(bpms)
            rows.append(session(start, 60, avg_hr=avg, file_id=f"w{week}d{d}"))
            if week >= 4:  # the watch: samples
                hr += [{"athlete_id": "a", "file_id": "hr", "ts": start + timedelta(seconds=i),
                        "bpm": b, "context": "activity"} for i, b in enumerate(bpms)]  # fmt: skip
    acts = activity_trimp(frame("activities", rows), frame("heart_rate", hr), PERSON)
    assert acts["trimp_method"].to_list() == ["banister_avg_hr"] * 20 + ["banister_hr"] * 20
    last_sunday = pl.DataFrame({"athlete_id": ["a"], "day": [MONDAY + timedelta(days=55)]})
    daily = daily_metrics(acts, PERSON, last_sunday)
    weeks = weekly_load(daily)["load_trimp"].to_list()
    app, watch = sum(weeks[:4]) / 4, sum(weeks[4:]) / 4
    assert watch == pytest.approx(app, rel=0.02)
    assert max(weeks) / min(weeks) < 1.03
    table = heavy_week_table(daily, load_ruleset().rule("heavy_weeks_streak"))
    assert table.height == 8 and not table["heavy"].any()
    nightly = pl.DataFrame(schema=NIGHTLY_COLUMNS)
    flags = evaluate(nightly, daily, load_ruleset(), utc(2025, 5, 1))
    assert flags.filter(pl.col("rule_id") == "heavy_weeks_streak").height == 0


# --------------------------------------------------------------------------- duplicates


def test_watch_and_bike_computer_of_one_ride_count_once():
    """A watch (HR samples) started at 08:00 and a bike computer (average HR only) started at
    08:02, both stopped at 09:30: one ride. The watch counts (better measured); the bike
    computer stays, linked to it. Its load is the watch's alone."""
    t = utc(2025, 3, 3, 8)
    acts = frame("activities", [
        session(t, 90, avg_hr=140.0, file_id="watch", sport="cycling"),
        session(t + timedelta(minutes=2), 88, avg_hr=140.0, file_id="bike", sport="cycling"),
    ])  # fmt: skip
    hr = frame("heart_rate", [{"athlete_id": "a", "file_id": "watch", "ts": t +
               timedelta(seconds=i), "bpm": 140, "context": "activity"} for i in range(5400)])
    scored = activity_trimp(acts, hr, PERSON)
    # every sample inside both recordings belongs to both: both are measured from samples
    assert scored["trimp_method"].to_list() == ["banister_hr", "banister_hr"]
    linked = link_duplicates(scored.with_columns(
        trimp_method=pl.Series(["banister_hr", "banister_avg_hr"])))  # fmt: skip
    assert linked["counts_for_load"].to_list() == [True, False]
    assert linked["duplicate_of"].to_list() == [None, "watch"]
    day = daily_metrics(linked, PERSON)
    assert day["load_trimp"].to_list() == pytest.approx([scored["trimp"][0]])


def test_overlap_share_and_back_to_back_sessions():
    t = utc(2025, 3, 3, 8)
    acts = frame("activities", [
        session(t, 60, avg_hr=130.0, file_id="ride"),
        session(t + timedelta(minutes=60), 30, avg_hr=150.0, file_id="run"),  # touches: 0 %
        session(t + timedelta(minutes=80), 30, avg_hr=150.0, file_id="half"),  # 10 of 30: 33 %
        session(t + timedelta(hours=5), 40, avg_hr=150.0, file_id="a"),
        session(t + timedelta(hours=5, minutes=20), 40, avg_hr=150.0, file_id="b"),  # 50 %
    ]).with_columns(trimp_method=pl.lit("banister_avg_hr"))  # fmt: skip
    linked = link_duplicates(acts)
    assert linked["duplicate_of"].to_list() == [None, None, None, None, "a"]


def test_best_measured_recording_counts_then_longer_then_earlier():
    t = utc(2025, 3, 3, 8)
    acts = frame("activities", [
        session(t, 60, file_id="none"),  # no HR at all
        session(t, 55, avg_hr=140.0, file_id="avg"),
        session(t + timedelta(minutes=1), 58, avg_hr=140.0, file_id="samples"),
    ]).with_columns(trimp_method=pl.Series([None, "banister_avg_hr", "banister_hr"]))
    linked = link_duplicates(acts)
    assert linked["counts_for_load"].to_list() == [False, False, True]
    assert linked["duplicate_of"].to_list() == ["samples", "samples", None]
    # same quality: the longer one counts, rows in any order give the same choice
    same = acts.with_columns(trimp_method=pl.lit("banister_avg_hr"))
    assert link_duplicates(same)["duplicate_of"].to_list() == [None, "none", "none"]
    assert link_duplicates(same.reverse())["duplicate_of"].to_list() == ["none", "none", None]


# --------------------------------------------------------------------------- rest days


def test_a_short_easy_walk_keeps_a_rest_day():
    """Watches auto-record walks: a 15-minute walk at TRIMP 0 leaves the day a rest day (its
    load still counts); 25 minutes of walking, or 15 minutes of hard intervals, is training."""
    t = utc(2025, 3, 3, 12)
    acts = frame("activities", [
        session(t, 15, file_id="walk", sport="walking"),
        session(t + timedelta(days=1), 25, file_id="long_walk", sport="walking"),
        session(t + timedelta(days=2), 15, file_id="intervals"),
        session(t + timedelta(days=3), 19.9, file_id="stroll", sport="walking"),
    ]).with_columns(trimp=pl.Series([0.0, 4.0, 25.0, 9.9]))  # fmt: skip
    out = daily_metrics(acts, PERSON)
    assert out["is_rest_day"].to_list() == [True, False, False, True]
    assert out["load_trimp"].to_list() == [0.0, 4.0, 25.0, 9.9]


# --------------------------------------------------------------------------- PMC


def loads(values: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"athlete_id": ["a"] * len(values),
                         "day": [MONDAY + timedelta(days=i) for i in range(len(values))],
                         "load_trimp": values})  # fmt: skip


def test_pmc_against_hand_computed_values():
    """Loads 100, then 7 days of 0, then 70 (TRIMP). By hand, with the decay of
    GoldenCheetah's PMC (lambda = 1 - e^(-1/tau)): lambda_42 = 0.0235283, lambda_7 = 0.1331221.
    Day 1: CTL = 100 x 0.0235283 = 2.35283, ATL = 13.31221, TSB = 0 (yesterday 0 - 0).
    Day 2: CTL = 2.35283 x (1 - 0.0235283) = 2.29747, ATL = 11.54006, TSB = 2.35283 - 13.31221.
    Day 8: CTL = 2.35283 x 0.9764717^7 = 1.99163, ramp = 1.99163 - 2.35283 = -0.36120.
    Day 9: CTL = 1.99163 x 0.9764717 + 70 x 0.0235283 = 3.59175, ATL = 13.56390,
    TSB = 1.99163 - 4.89729 = -2.90566, ramp = 3.59175 - 2.29747 = 1.29428."""
    out = with_pmc(loads([100.0] + [0.0] * 7 + [70.0]))
    ctl, atl = out["ctl"].to_list(), out["atl"].to_list()
    tsb, ramp = out["tsb"].to_list(), out["ramp_rate"].to_list()
    assert ctl[0] == pytest.approx(2.35283, abs=1e-5)
    assert atl[0] == pytest.approx(13.31221, abs=1e-5)
    assert tsb[0] == 0.0
    assert ctl[1] == pytest.approx(2.29747, abs=1e-5)
    assert atl[1] == pytest.approx(11.54006, abs=1e-5)
    assert tsb[1] == pytest.approx(-10.95938, abs=1e-5)
    assert ctl[7] == pytest.approx(1.99163, abs=1e-5)
    assert ramp[:7] == [None] * 7  # no CTL 7 days before the first days
    assert ramp[7] == pytest.approx(-0.36120, abs=1e-5)
    assert ctl[8] == pytest.approx(3.59175, abs=1e-5)
    assert atl[8] == pytest.approx(13.56390, abs=1e-5)
    assert tsb[8] == pytest.approx(-2.90566, abs=1e-5)
    assert ramp[8] == pytest.approx(1.29428, abs=1e-5)
    assert math.isclose(ctl[8], ctl[7] * math.exp(-1 / 42) + 70 * (1 - math.exp(-1 / 42)))


def test_pmc_continues_from_stored_rows_exactly():
    """An incremental run sees only a window of history: seeded with the stored rows
    before it, every value equals the full computation."""
    rng = random.Random(5)
    values = [rng.choice([0.0, 40.0, 80.0, 150.0]) for _ in range(200)]
    full = with_pmc(loads(values))
    seed = full.filter(pl.col("day") < MONDAY + timedelta(days=120))
    window = loads(values).filter(pl.col("day") >= MONDAY + timedelta(days=100))
    part = with_pmc(window, seed.filter(pl.col("day") >= MONDAY + timedelta(days=90)))
    expected = full.filter(pl.col("day") >= MONDAY + timedelta(days=100))
    for col in ("ctl", "atl", "tsb", "ramp_rate"):
        assert part[col].to_list() == pytest.approx(expected[col].to_list(), rel=1e-12)


def test_pmc_columns_in_daily_metrics_per_athlete():
    acts = frame("activities", [
        session(utc(2025, 3, 3, 8), 60, avg_hr=150.0, file_id="x"),
        session(utc(2025, 3, 5, 8), 60, avg_hr=150.0, file_id="y", athlete="b"),
    ])  # fmt: skip
    people = athletes(("a", "UTC"), ("b", "UTC"))
    out = daily_metrics(activity_trimp(acts, empty("heart_rate"), people), people)
    a, b = (out.filter(pl.col("athlete_id") == x) for x in ("a", "b"))
    assert a["ctl"].item() == pytest.approx(a["load_trimp"].item() * (1 - math.exp(-1 / 42)))
    assert b["tsb"].item() == 0.0  # each athlete starts from 0 the day before its first day
