"""29 February end to end: real FIT/GPX files from the generator, ingest, nightly, DuckDB.

Three athletes of the generator's archetypes live through February 2024 (a leap year) in
zones where the night to 29 February sits differently against UTC midnight:

- `ams` (Europe/Amsterdam, UTC+1): the night crosses UTC midnight, like the local one;
- `tokyo` (Asia/Tokyo, UTC+9): the whole night to 29 February lies on UTC 28 February, and
  the night to 1 March on UTC 29 February;
- `la` (America/Los_Angeles, UTC-8): the whole night to 29 February lies on UTC 29 February,
  and the evening session of 29 February starts on UTC 1 March.

The study runs 2024-01-16 .. 2024-03-05 (50 nights, all past: ingest drops future times), so
the anna archetype's short nights and her planned missing night (2 March) and the chiyo
archetype's resting-HR episode (3-5 March, planted against a baseline that includes 29
February) land around the leap day. Every expectation is read off the generator's plan and
computed here by calendar arithmetic (docs/metrics.md: night D is the main sleep ending on local
date D; baselines are over the previous 28 calendar nights), never from herstel code.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.athletes import NAMED
from sample_data.generate import write_athlete, write_athletes_csv
from sample_data.plan import AthletePlan, plan_athlete
from sample_data.planned_load import daily_loads
from warehouse.db import connect
from warehouse.sql import frame

LEAP = date(2024, 2, 29)
MARCH_1 = date(2024, 3, 1)
START = date(2024, 1, 16)
DAYS = 50  # 2024-01-16 .. 2024-03-05
SEED = 1
_ANNA, _BRAM, _CHIYO = NAMED
SPECS = (
    replace(_ANNA, athlete_id="ams"),
    replace(_CHIYO, athlete_id="tokyo"),
    replace(_BRAM, athlete_id="la", time_zone="America/Los_Angeles"),
)
#: The night whose 28-night resting-HR baseline is checked, per athlete: shortly after the leap
#: day, so its window D-28..D-1 holds 29 February (and, for ams, the missing 2 March).
BASELINE_NIGHT = {"ams": date(2024, 3, 3), "tokyo": date(2024, 3, 4), "la": date(2024, 3, 3)}
#: The day whose acute and chronic load are checked by hand, per athlete.
LOAD_DAY = date(2024, 3, 3)


def _utc_date(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


@pytest.fixture(scope="module")
def plans() -> dict[str, AthletePlan]:
    return {s.athlete_id: plan_athlete(s, START, DAYS, SEED, i) for i, s in enumerate(SPECS)}


@pytest.fixture(scope="module")
def leap_warehouse(plans, tmp_path_factory, prefect_server):
    root = tmp_path_factory.mktemp("leap")
    study = root / "study"
    study.mkdir()
    for plan in plans.values():
        write_athlete(plan, study, rr=False)
    write_athletes_csv(list(SPECS), study)
    db = str(root / "leap.duckdb")
    outcomes = ingest([str(study)], db)
    assert {o.status for o in outcomes} == {"loaded"}, [
        (o.path, o.status, o.reason) for o in outcomes if o.status != "loaded"
    ]
    nightly(db)
    con = connect(db, read_only=True)
    try:
        nights = frame(
            con,
            "SELECT athlete_id, night, sleep_hours, resting_hr, resting_hr_baseline "
            "FROM nightly_metrics ORDER BY athlete_id, night",
        )
        days = frame(
            con,
            "SELECT athlete_id, day, is_rest_day, load_trimp, acute_load, chronic_load "
            "FROM daily_metrics ORDER BY athlete_id, day",
        )
    finally:
        con.close()
    return nights, days


def test_the_plan_puts_the_leap_night_on_different_utc_dates(plans):
    """Guards the premise: the zones really put the night to 29 February on both sides of
    UTC midnight, and the plan has the nights and sessions the later tests rely on."""
    night = {a: {n.night: n for n in p.nights} for a, p in plans.items()}
    ams, tokyo, la = night["ams"][LEAP], night["tokyo"][LEAP], night["la"][LEAP]
    assert _utc_date(ams.bedtime) == date(2024, 2, 28) and _utc_date(ams.wake) == LEAP
    assert _utc_date(tokyo.bedtime) == _utc_date(tokyo.wake) == date(2024, 2, 28)
    assert _utc_date(night["tokyo"][MARCH_1].wake) == LEAP
    assert _utc_date(la.bedtime) == _utc_date(la.wake) == LEAP
    la_leap_sessions = [a for a in plans["la"].activities if a.local_start.date() == LEAP]
    assert [_utc_date(a.start) for a in la_leap_sessions] == [MARCH_1]
    assert plans["ams"].missing == (date(2024, 3, 2),)
    assert plans["tokyo"].missing == plans["la"].missing == ()


def test_nights_are_exactly_the_planned_calendar_nights(plans, leap_warehouse):
    nights, _ = leap_warehouse
    got = {(a, n) for a, n in nights.select("athlete_id", "night").iter_rows()}
    assert nights.height == len(got), "a night is stored twice"
    expected = {(a, n.night) for a, p in plans.items() for n in p.nights}
    assert got - expected == set(), f"nights the plan does not have: {sorted(got - expected)}"
    assert expected - got == set(), f"planned nights missing: {sorted(expected - got)}"
    # the calendar, spelled out: Feb 28 -> Feb 29 -> Mar 1 for every athlete; ams has no Mar 2
    for athlete in plans:
        dates = {n for a, n in got if a == athlete}
        assert {date(2024, 2, 28), LEAP, MARCH_1} <= dates
        gap = {date(2024, 3, 2)} if athlete == "ams" else set()
        calendar = {START + timedelta(days=i) for i in range(DAYS)}
        assert dates == calendar - gap
        assert sorted(dates)[-1] == date(2024, 3, 5) and len(dates) == DAYS - len(gap)


@pytest.mark.parametrize("athlete", [s.athlete_id for s in SPECS])
@pytest.mark.parametrize("night", [LEAP, MARCH_1])
def test_leap_nights_have_exactly_the_planned_values(plans, leap_warehouse, athlete, night):
    nights, _ = leap_warehouse
    planned = next(n for n in plans[athlete].nights if n.night == night)
    row = nights.filter((pl.col("athlete_id") == athlete) & (pl.col("night") == night))
    assert row.height == 1
    assert row["sleep_hours"][0] == pytest.approx(planned.sleep_hours, abs=1e-9)
    assert row["resting_hr"][0] == pytest.approx(planned.resting_hr, abs=1e-9)


def test_leap_values_are_the_ones_planted_for_those_dates(plans):
    """The planned values the test above compares with, as literal calendar facts: the ams
    archetype's short nights fall on 29 February (5.5 h) and 1 March (5.75 h), so a night
    shifted by one date gets a different sleep_hours."""
    ams = {n.night: n for n in plans["ams"].nights}
    assert (ams[date(2024, 2, 28)].sleep_hours, ams[LEAP].sleep_hours) == (7.5, 5.5)
    assert ams[MARCH_1].sleep_hours == 5.75
    for athlete in plans:
        by_night = {n.night: n for n in plans[athlete].nights}
        hours = [by_night[d].sleep_hours for d in (date(2024, 2, 28), LEAP, MARCH_1)]
        assert len(set(hours)) == 3, f"{athlete}: neighbouring nights must differ"


@pytest.mark.parametrize("athlete", [s.athlete_id for s in SPECS])
def test_resting_hr_baseline_over_28_calendar_nights_including_feb_29(
    plans, leap_warehouse, athlete
):
    nights, _ = leap_warehouse
    night = BASELINE_NIGHT[athlete]
    planned = {n.night: float(n.resting_hr) for n in plans[athlete].nights}
    window = [night - timedelta(days=k) for k in range(1, 29)]
    assert LEAP in window and window[-1] == night - timedelta(days=28)
    # by hand: February 2024 has 29 days, so D-28 is 4 Feb for 3 Mar and 5 Feb for 4 Mar
    assert window[-1] == {"ams": date(2024, 2, 4), "tokyo": date(2024, 2, 5),
                          "la": date(2024, 2, 4)}[athlete]  # fmt: skip
    present = [planned[d] for d in window if d in planned]
    expected = _mean(present)
    if athlete == "ams":
        assert len(present) == 27  # 2 March missing: it shrinks the count, reaches no further

    # the check is sharp: each of these plausible mistakes gives another value
    earlier = sorted(d for d in planned if d < night)
    skips_leap = [d for d in [*window, night - timedelta(days=29)] if d != LEAP]
    wrong = {
        "a 28-day window that skips 29 Feb (reaches D-29)": _mean(
            [planned[d] for d in skips_leap if d in planned]
        ),
        "the last 28 present nights": _mean([planned[d] for d in earlier[-28:]]),
        "the current night included": _mean(
            [planned[d] for d in [night, *window[:-1]] if d in planned]
        ),
        "a 27-night window": _mean([planned[d] for d in window[:-1] if d in planned]),
    }
    for mistake, value in wrong.items():
        if athlete != "ams" and mistake == "the last 28 present nights":
            continue  # no missing night: the same 28 nights
        assert value != pytest.approx(expected, abs=1e-9), f"{athlete}: {mistake} not detected"

    row = nights.filter((pl.col("athlete_id") == athlete) & (pl.col("night") == night))
    assert row.height == 1
    assert row["resting_hr_baseline"][0] == pytest.approx(expected, abs=1e-9)


def test_daily_calendar_runs_through_feb_29_with_rest_days_on_local_dates(plans, leap_warehouse):
    _, days = leap_warehouse
    for athlete, plan in plans.items():
        mine = days.filter(pl.col("athlete_id") == athlete)
        got = mine["day"].to_list()
        calendar = [START + timedelta(days=i) for i in range(DAYS)]
        assert got == calendar, f"{athlete}: daily_metrics is not one row per calendar day"
        assert LEAP in got
        active = {a.local_start.date() for a in plan.activities}
        rest = dict(mine.select("day", "is_rest_day").iter_rows())
        wrong = [d for d in calendar if rest[d] != (d not in active)]
        assert wrong == [], f"{athlete}: rest days on the wrong local dates: {wrong}"
    # the leap day itself: a training day for all three; Wednesday 28 Feb rests for tokyo/la
    leap = days.filter(pl.col("day") == LEAP)
    assert leap.height == 3 and not leap["is_rest_day"].any()
    feb_28 = dict(days.filter(pl.col("day") == date(2024, 2, 28)).select(
        "athlete_id", "is_rest_day").iter_rows())  # fmt: skip
    assert feb_28 == {"ams": False, "tokyo": True, "la": True}


@pytest.mark.parametrize("athlete", [s.athlete_id for s in SPECS])
def test_acute_and_chronic_load_roll_across_feb_29(plans, leap_warehouse, athlete):
    _, days = leap_warehouse
    mine = days.filter(pl.col("athlete_id") == athlete)
    load = dict(mine.select("day", "load_trimp").iter_rows())
    # the leap day's load is its own planned sessions' TRIMP (herstel also counts the watch's
    # monitoring samples during a session, so a few per cent apart), not a neighbour's
    planned, _ = daily_loads(plans[athlete])
    for d in (date(2024, 2, 28), LEAP, MARCH_1):
        assert load[d] == pytest.approx(planned[d], rel=0.05, abs=1e-9), (athlete, d)
    assert load[LEAP] > 0

    acute_days = [LOAD_DAY - timedelta(days=k) for k in range(7)]  # D-6 .. D
    chronic_days = [LOAD_DAY - timedelta(days=k) for k in range(28)]  # D-27 .. D
    assert acute_days[-1] == date(2024, 2, 26) and chronic_days[-1] == date(2024, 2, 5)
    assert LEAP in acute_days and LEAP in chronic_days
    acute = _mean([load[d] for d in acute_days])
    chronic = _mean([load[d] for d in chronic_days])
    # without 29 Feb, the 7 rows before 3 March would reach back to 25 Feb: another value
    assert acute != pytest.approx(_mean([load[d] for d in [*acute_days, date(2024, 2, 25)]
                                         if d != LEAP]), abs=1e-9)  # fmt: skip
    row = mine.filter(pl.col("day") == LOAD_DAY)
    assert row["acute_load"][0] == pytest.approx(acute, rel=1e-12)
    assert row["chronic_load"][0] == pytest.approx(chronic, rel=1e-12)
