"""Issue 13: training rules as the article means them, on hand-built weeks and days.

Written from the guidance first: "at most three heavy weeks in a row, then at least five days
of recovery training"; a usual week after a holiday is not heavy; one full rest day a week
(an auto-recorded short walk does not spoil it); strength training may increase only after
seven nights of stable sleep quality, and the increase is flagged once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from rules_frames import AT, D0, MONDAY, daily, nights, no_days, weeks_of_load, wellness

from metrics.load import daily_metrics
from rules.catalogue import load_ruleset
from rules.evaluate import evaluate
from rules.training import heavy_week_table


def flags(rule_id, nightly=None, daily_frame=None, **extra):
    nightly = nights(hrv_ms=[None]) if nightly is None else nightly
    daily_frame = no_days() if daily_frame is None else daily_frame
    out = evaluate(nightly, daily_frame, load_ruleset(), AT, extra=extra)
    return out.filter(pl.col("rule_id") == rule_id)


def sundays(frame: pl.DataFrame) -> list[int]:
    """Flag days as week numbers (0 = the first week), checking each is a Sunday."""
    out = []
    for d in frame["day"]:
        assert d.weekday() == 6
        out.append((d - MONDAY).days // 7)
    return out


def weeks(week_loads: list[float]) -> pl.DataFrame:
    return daily(start=MONDAY, load_trimp=weeks_of_load(week_loads))


# --------------------------------------------------------------------------- heavy weeks


def test_usual_training_after_a_holiday_is_not_heavy():
    """Six usual weeks of 500 TRIMP, two holiday weeks of 100, then usual training again.
    Before issue 13 the two easy weeks became the reference and every usual week after them
    read as 5 x heavy: a warning from the 4th week back on. Expected now: no heavy week."""
    frame = weeks([500] * 6 + [100, 100] + [500] * 6)
    table = heavy_week_table(frame, load_ruleset().rule("heavy_weeks_streak"))
    assert not table["heavy"].any()
    assert table["reference"].to_list()[8:] == [500.0] * 6  # the median week stays usual
    assert flags("heavy_weeks_streak", daily_frame=frame).height == 0


def test_three_heavy_one_ordinary_three_heavy_is_flagged():
    """The article: at most three heavy weeks, then >= 5 days of recovery training. An
    ordinary week is no recovery: the 4th, 5th and 6th heavy week (weeks 7, 8, 9) are
    flagged on their Sundays; the reference stays the usual 500 during the block."""
    frame = weeks([500] * 3 + [800] * 3 + [500] + [800] * 3)
    f = flags("heavy_weeks_streak", daily_frame=frame)
    assert sundays(f) == [7, 8, 9]
    assert f["baseline"].to_list() == [500.0] * 3
    assert f["value"].to_list() == [800.0] * 3
    table = heavy_week_table(frame, load_ruleset().rule("heavy_weeks_streak"))
    assert table["streak"].to_list() == [0, 0, 0, 1, 2, 3, 3, 4, 5, 6]


def test_two_ordinary_weeks_or_a_recovery_block_end_a_block():
    two_ordinary = weeks([500] * 3 + [800] * 3 + [500, 500] + [800] * 3)
    assert flags("heavy_weeks_streak", daily_frame=two_ordinary).height == 0
    # a week of 5 rest days in a row (2 training days of 100) between the blocks: recovery
    loads = weeks_of_load([500] * 3 + [800] * 3) + [0.0] * 5 + [100.0, 100.0]
    loads += weeks_of_load([800] * 3)
    recovered = daily(start=MONDAY, load_trimp=loads)
    assert flags("heavy_weeks_streak", daily_frame=recovered).height == 0


def test_a_lasting_new_level_becomes_the_usual_week():
    """Heavy weeks enter the median once their block ends: two weeks of 500, three of 651
    (1.3 x 500 + 0.2 %), a recovery week, then 651 again is the usual week (median of
    500, 500, 651, 651, 651 = 651): no longer heavy."""
    loads = weeks_of_load([500] * 2 + [651] * 3) + [0.0] * 7 + weeks_of_load([651] * 6)
    table = heavy_week_table(daily(start=MONDAY, load_trimp=loads),
                             load_ruleset().rule("heavy_weeks_streak"))  # fmt: skip
    assert table["heavy"].to_list() == [False] * 2 + [True] * 3 + [False] * 7
    assert table["reference"].to_list()[6:] == [651.0] * 6


# --------------------------------------------------------------------------- rest days


def walks_on_rest_days(walk_minutes: float) -> pl.DataFrame:
    """Four weeks of six one-hour runs a day, the seventh day (Sunday) a walk that the watch
    recorded, then a tired Monday; computed from activities, as the nightly flow does."""
    rows = []
    for i in range(28):
        day = datetime(2025, 3, 3, 7, tzinfo=UTC) + timedelta(days=i)
        sunday = day.weekday() == 6
        rows.append({"athlete_id": "a", "file_id": f"f{i}", "start_ts": day,
                     "duration_s": (walk_minutes if sunday else 60) * 60.0,
                     "sport": "walking" if sunday else "running", "sub_sport": None,
                     "avg_hr": None, "max_hr": None, "distance_m": None,
                     "trimp": 0.0 if sunday else 80.0, "trimp_method": "banister_avg_hr"})
    return pl.DataFrame(rows)


def test_a_15_minute_walk_keeps_the_weekly_rest_day():
    athletes = pl.DataFrame({"athlete_id": ["a"], "time_zone": ["UTC"]})
    walk = daily_metrics(walks_on_rest_days(15), athletes)
    assert walk.filter(pl.col("day").dt.weekday() == 7)["is_rest_day"].to_list() == [True] * 4
    assert flags("no_rest_day", daily_frame=walk).height == 0
    hike = daily_metrics(walks_on_rest_days(45), athletes)  # 45 minutes: a training day
    assert flags("no_rest_day", daily_frame=hike).height == 28 - 6


def test_fatigue_after_rest_days_with_a_walk_is_still_raised():
    """Rest on Saturday 03-29 and Sunday 03-30 (a 15-minute walk on Sunday), still tired
    (fatigue 8) on Monday 03-31: fatigue_persists, as without the walk."""
    athletes = pl.DataFrame({"athlete_id": ["a"], "time_zone": ["UTC"]})
    acts = walks_on_rest_days(15).filter(pl.col("file_id") != "f26")  # Saturday off too
    frame = daily_metrics(acts, athletes, pl.DataFrame(
        {"athlete_id": ["a"], "day": [MONDAY + timedelta(days=28)]}))  # fmt: skip
    w = wellness(start=MONDAY, fatigue=[3] * 28 + [8])
    f = flags("fatigue_persists", daily_frame=frame, wellness=w)
    assert [(d - MONDAY).days for d in f["day"]] == [28]


# --------------------------------------------------------------------------- strength


def strength_days(extra_on: int | None = 36, n: int = 50) -> pl.DataFrame:
    """A 60-TRIMP strength session every 7th day from D0, one extra on day `extra_on`."""
    s = [60.0 if i % 7 == 0 else 0.0 for i in range(n)]
    if extra_on is not None:
        s[extra_on] = 60.0
    return daily(load_trimp=[x or 50.0 for x in s], strength_load=s)


def test_the_strength_increase_is_flagged_once():
    """Extra session on day 36 (after short nights): flagged that day. The usual session on
    day 42 still has day 36 in its 7-day window (120 > 1.25 x 60), but it is no new
    increase: before issue 13 it was flagged again."""
    hours = [7.5] * 30 + [7.5, 5.5, 7.5, 5.5, 7.5, 6.0, 7.5] + [5.5, 7.5] * 6 + [5.5]
    f = flags("strength_up_unstable_sleep", nights(sleep_hours=hours), strength_days())
    assert [(d - D0).days for d in f["day"]] == [36]
    row = f.row(0, named=True)
    assert (row["value"], row["threshold"], row["baseline"]) == pytest.approx((120, 75, 60))
    assert "judged by sleep duration and regularity" in row["message"]
    assert "beoordeeld op slaapduur en regelmaat" in row["message_nl"]


def test_reported_sleep_quality_decides_where_the_athlete_reports_it():
    """Nights of 7.5 h (stable by duration) but a sleep-quality dip to 4 against a usual 7:
    flagged by quality, and the message says so. Short nights with steady good quality: not
    flagged (the athlete's own rating wins). No reports: duration decides."""
    steady_hours = nights(sleep_hours=[7.5] * 50)
    dip = wellness(sleep_quality=[7] * 33 + [7, 4, 6, 7] + [7] * 13)
    f = flags("strength_up_unstable_sleep", steady_hours, strength_days(), wellness=dip)
    assert [(d - D0).days for d in f["day"]] == [36]
    row = f.row(0, named=True)
    assert "Your reported sleep quality was not stable" in row["message"]
    assert "lowest 4 against your usual 7.0" in row["message"]
    assert "slaapkwaliteit die je zelf opgaf" in row["message_nl"]
    # a dip of exactly 1.5 points is not more than 1.5
    edge = wellness(sleep_quality=[7] * 33 + [7, 5.5, 6, 7] + [7] * 13)
    assert flags("strength_up_unstable_sleep", steady_hours, strength_days(),
                 wellness=edge).height == 0  # fmt: skip
    short = nights(sleep_hours=[7.5] * 30 + [7.5, 5.5, 7.5, 5.5, 7.5, 6.0, 7.5] + [7.5] * 13)
    good = wellness(sleep_quality=[7] * 50)
    assert flags("strength_up_unstable_sleep", short, strength_days(), wellness=good).height == 0
    by_hours = flags("strength_up_unstable_sleep", short, strength_days())
    assert [(d - D0).days for d in by_hours["day"]] == [36]
    # too few reports (4 of 7): duration and regularity decide
    few = wellness(sleep_quality=[7] * 30 + [None, None, None, 7, 7, 7, 7] + [7] * 13)
    by_hours = flags("strength_up_unstable_sleep", short, strength_days(), wellness=few)
    assert [(d - D0).days for d in by_hours["day"]] == [36]
