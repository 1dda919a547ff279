"""A window recomputed from the raw days alone equals a computation over all raw samples.

The history: 50 nights of 8 h sleep at 50 bpm, daytime HR for sedentary hours, and a session
every day with an average HR but no HR samples inside it (Banister TRIMP, whose HRrest is the
latest night's resting HR). Night 20 arrives late at 40 bpm, and the watch was not worn the
four nights after it: it moves the baselines of later nights, and the HRrest of the sessions
and sedentary limits of the days up to five days after it, so a recompute that reads too few
raw days, or keeps a stored TRIMP it should not, differs.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from metrics_frames import athletes, empty, frame, utc
from polars.testing import assert_frame_equal

from metrics.recompute import RAW_DAYS_AFTER, RAW_TABLES, recompute

DAY0 = date(2025, 1, 1)  # night 0 ends on this date
NIGHTS = 50
LATE = 20  # the night that arrives late
UNWORN = range(LATE + 1, LATE + 5)  # nights without the watch (the days still have data)
PEOPLE = athletes(("a", "UTC"), hr_max=190.0, birth_year=1980, sex="f")


def _night_rows(n: int) -> tuple[list[dict], list[dict]]:
    """Night n: sleep 23:00-07:00 UTC ending on DAY0 + n, HR each minute; then a day at
    90 bpm from 08:00 to 11:00 (sitting with HRrest 50: limit 50 + 0.3 x 140 = 92 bpm, but
    not with HRrest 40: 40 + 0.3 x 150 = 85 bpm)."""
    end_day = DAY0 + timedelta(days=n)
    start = utc(end_day.year, end_day.month, end_day.day, 7) - timedelta(hours=8)
    bpm = 40 if n == LATE else 50 + (n % 3)
    stage = [
        {
            "athlete_id": "a",
            "file_id": f"n{n}",
            "start_ts": start,
            "end_ts": start + timedelta(hours=8),
            "stage": "light",
        }
    ]
    hr = [
        {
            "athlete_id": "a",
            "file_id": f"n{n}",
            "ts": start + timedelta(minutes=m),
            "bpm": bpm,
            "context": "sleep",
        }
        for m in range(8 * 60)
    ]
    morning = start + timedelta(hours=9)
    hr += [
        {
            "athlete_id": "a",
            "file_id": f"d{n}",
            "ts": morning + timedelta(minutes=m),
            "bpm": 90,
            "context": "monitoring",
        }
        for m in range(0, 180, 2)
    ]
    if n in UNWORN:
        return [], hr[8 * 60 :]
    return stage, hr  # fmt: skip


def _raw(nights: list[int]) -> dict[str, pl.DataFrame]:
    stages, hr = [], []
    for n in nights:
        s, h = _night_rows(n)
        stages += s
        hr += h
    raw = {t: empty(t) for t in RAW_TABLES}
    return raw | {
        "sleep_stages": frame("sleep_stages", stages),
        "heart_rate": frame("heart_rate", hr),
    }


def _activities() -> pl.DataFrame:
    rows = []
    for n in range(NIGHTS):
        d = DAY0 + timedelta(days=n)
        rows.append({"athlete_id": "a", "file_id": f"act{n}", "duration_s": 3600.0,
                     "start_ts": utc(d.year, d.month, d.day, 17), "avg_hr": 140.0,
                     "sport": "running"})  # fmt: skip
    return frame("activities", rows)


def _unbounded() -> pl.DataFrame:
    return pl.DataFrame(
        {"athlete_id": ["a"], "raw_lo": [None], "raw_hi": [None]},
        schema={"athlete_id": pl.String, "raw_lo": pl.Date, "raw_hi": pl.Date},
    )


def _everything(nights: list[int]):
    none = pl.DataFrame()
    return recompute(_raw(nights), _activities(), PEOPLE, none, none, _unbounded())


def test_late_night_recomputed_from_raw_days_equals_full_recompute():
    truth = _everything(list(range(NIGHTS)))
    before = _everything([n for n in range(NIGHTS) if n != LATE])
    assert before.nightly.height == NIGHTS - 1 - len(UNWORN)

    touched = DAY0 + timedelta(days=LATE)
    raw_lo, raw_hi = touched - timedelta(days=1), touched + timedelta(days=1) + RAW_DAYS_AFTER
    raw_days = pl.DataFrame({"athlete_id": ["a"], "raw_lo": [raw_lo], "raw_hi": [raw_hi]})
    in_span = [n for n in range(NIGHTS) if raw_lo <= DAY0 + timedelta(days=n) <= raw_hi]
    again = recompute(
        _raw(in_span), before.activities, PEOPLE, before.nightly, before.daily, raw_days
    )
    assert_frame_equal(again.nightly, truth.nightly)
    assert_frame_equal(again.daily, truth.daily)
    assert_frame_equal(again.activities.sort("start_ts"), truth.activities.sort("start_ts"))

    # the late night really reaches that far: HRrest 40 the next day changes TRIMP and sitting
    late = truth.nightly.filter(pl.col("night") == touched)
    assert late["resting_hr"].item() == 40.0
    day_after = touched + timedelta(days=4)
    t = truth.daily.filter(pl.col("day") == day_after)
    b = before.daily.filter(pl.col("day") == day_after)
    assert t["load_trimp"].item() != b["load_trimp"].item()
    assert t["sedentary_hours"].item() == 0.0 and b["sedentary_hours"].item() > 2.9


def test_raw_days_that_stop_short_of_the_hr_rest_reach_miss_a_change():
    """The guard for the test above: with raw days ending the day after the late night, the
    sessions 2..28 days later keep a stale HRrest, so the result differs."""
    truth = _everything(list(range(NIGHTS)))
    before = _everything([n for n in range(NIGHTS) if n != LATE])
    touched = DAY0 + timedelta(days=LATE)
    raw_days = pl.DataFrame(
        {"athlete_id": ["a"], "raw_lo": [touched], "raw_hi": [touched + timedelta(days=1)]}
    )
    again = recompute(
        _raw([LATE - 1, LATE, LATE + 1]),
        before.activities, PEOPLE, before.nightly, before.daily, raw_days,
    )  # fmt: skip
    assert not again.daily.equals(truth.daily)
