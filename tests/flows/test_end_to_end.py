"""The whole pipeline on the committed sample study, through real Prefect flows and DuckDB.

The expected flags and nightly values come from the generator's plan (written by construction,
never by running herstel), so a wrong night boundary, baseline or streak shows up here.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.ingest import ingest
from flows.nightly import nightly
from rules.catalogue import load_ruleset
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.sql import frame, run

#: Every rule of the catalogue: the sample study plans each one's flags, day by day.
PLANNED_RULES = sorted(load_ruleset().rules)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_server):
    db = str(tmp_path_factory.mktemp("e2e") / "study.duckdb")
    outcomes = ingest([str(STUDY_DIR)], db)
    summary = nightly(db)
    con = connect(db, read_only=True)
    yield con, outcomes, summary
    con.close()


def test_every_rule_is_planned():
    # 14 rules plan flags; hrv_usual_below_guideline must raise none (usual HRV 86-88 ms)
    assert len(PLANNED_RULES) == 15


def test_every_sample_file_loaded(warehouse):
    con, outcomes, _ = warehouse
    files = [p for p in STUDY_DIR.rglob("*") if p.is_file() and p.name != "athletes.csv"]
    assert len(outcomes) == len(files)
    assert {o.status for o in outcomes} == {"loaded"}
    assert run(con, "SELECT count(*) FROM files")[0][0] == len(files)


def test_planted_flags_on_their_exact_days_and_no_others(warehouse):
    con, _, _ = warehouse
    got = frame(
        con,
        "SELECT athlete_id, day, rule_id, severity FROM daily_flags "
        "WHERE list_contains(?, rule_id) ORDER BY ALL",
        [PLANNED_RULES],
    )
    expected = (
        pl.read_csv(STUDY_DIR.parent / "expected_flags.csv", try_parse_dates=True)
        .select("athlete_id", pl.col("day").cast(pl.Date), "rule_id", "severity")
        .filter(pl.col("rule_id").is_in(PLANNED_RULES))
        .sort(pl.all())
    )
    missing = expected.join(got, on=expected.columns, how="anti")
    extra = got.join(expected, on=expected.columns, how="anti")
    assert missing.height == 0, f"planted flags not raised:\n{missing}"
    assert extra.height == 0, f"flags on days that must not be flagged:\n{extra}"


def test_nightly_values_match_hand_computed(warehouse):
    con, _, _ = warehouse
    expected = pl.read_csv(STUDY_DIR.parent / "expected_nights.csv", try_parse_dates=True)
    expected = expected.with_columns(pl.col("night").cast(pl.Date)).sort("athlete_id", "night")
    got = frame(
        con,
        "SELECT athlete_id, night, sleep_hours, resting_hr, hrv_ms FROM nightly_metrics "
        "ORDER BY athlete_id, night",
    )
    joined = expected.join(got, on=["athlete_id", "night"], how="left", suffix="_got")
    assert joined.filter(pl.col("sleep_hours_got").is_null()).height == 0, "nights missing"
    for col in ("sleep_hours", "resting_hr", "hrv_ms"):
        assert_frame_equal(
            joined.select(pl.col(col).cast(pl.Float64)),
            joined.select(pl.col(f"{col}_got").alias(col)),
            abs_tol=0.01,
            check_dtypes=False,
        )
    assert got.height == expected.height, "a night exists that the plan does not have"


def test_methods_record_where_values_came_from(warehouse):
    con, _, _ = warehouse
    methods = dict(
        run(
            con,
            "SELECT athlete_id, list_sort(list_distinct(list(hrv_method))) "
            "FROM nightly_metrics GROUP BY 1",
        )
    )
    assert methods["bram"] == ["rr_rmssd_5min"]  # beat-to-beat RR from FIT 290
    assert methods["anna"] == ["device_5min"]  # Garmin 5-minute values, FIT 371


def test_rerun_is_idempotent(warehouse, tmp_path):
    con, _, _ = warehouse
    before = run(con, "SELECT count(*) FROM heart_rate")[0][0]
    copy = tmp_path / "again.duckdb"
    ingest([str(STUDY_DIR)], str(copy))
    again = ingest([str(STUDY_DIR)], str(copy))
    assert {o.status for o in again} == {"seen"}
    with connect(copy, read_only=True) as c2:
        assert run(c2, "SELECT count(*) FROM heart_rate")[0][0] == before


def test_pmc_follows_its_recurrence_from_the_stored_daily_load(warehouse):
    """CTL/ATL/TSB/ramp of every athlete-day, recomputed here in plain Python from the
    stored load_trimp with the published recurrences (docs/metrics.md): CTL and ATL from 0
    the day before each athlete's first day, TSB = yesterday's CTL - ATL, ramp over 7 days.
    Every session of the study is measured from HR samples (one scale) and counts."""
    con, _, _ = warehouse
    rows = frame(
        con,
        "SELECT athlete_id, day, load_trimp, ctl, atl, tsb, ramp_rate FROM daily_metrics "
        "ORDER BY athlete_id, day",
    )
    a42, a7 = 1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7)
    for athlete in ("anna", "bram", "chiyo"):
        days = rows.filter(pl.col("athlete_id") == athlete)
        ctl = atl = 0.0
        history: list[float] = []
        for r in days.iter_rows(named=True):
            assert r["tsb"] == pytest.approx(ctl - atl, abs=1e-9)
            ctl = ctl * (1 - a42) + r["load_trimp"] * a42
            atl = atl * (1 - a7) + r["load_trimp"] * a7
            assert (r["ctl"], r["atl"]) == pytest.approx((ctl, atl), rel=1e-9)
            ramp = ctl - history[-7] if len(history) >= 7 else None
            assert r["ramp_rate"] == (pytest.approx(ramp, abs=1e-9) if ramp is not None else None)
            history.append(ctl)
    methods = run(con, "SELECT DISTINCT trimp_method, counts_for_load FROM activities")
    assert methods == [("banister_hr", True)]
# ------------------------------------------------------------------ episodes and evaluability

NIGHT_RULES = sorted(r.id for r in load_ruleset().enabled if r.applies_to == "night")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _episodes_by_hand() -> list[tuple]:
    """expected_flags.csv grouped in plain Python: a flag continues its rule's episode when at
    most quiet_days days without it lie between (docs/rules.md, Episodes)."""
    policy = load_ruleset().episodes
    rank = {"info": 0, "watch": 1, "warning": 2}
    planned = pl.read_csv(STUDY_DIR.parent / "expected_flags.csv", try_parse_dates=True)
    out: list[list] = []
    for a, d, r, s in sorted(planned.iter_rows(), key=lambda row: (row[0], row[2], row[1])):
        last = out[-1] if out else None
        if last and last[:2] == [a, r] and (d - last[3]).days <= policy.quiet_for(r) + 1:
            last[3], last[4] = d, last[4] + 1
            last[5] = max(last[5], s, key=rank.get)
        else:
            out.append([a, r, d, d, 1, s])
    return [tuple(e) for e in out]


def test_episodes_are_the_planned_flags_grouped(warehouse):
    con, _, _ = warehouse
    got = frame(
        con,
        "SELECT athlete_id, rule_id, start_day, last_day, days, peak_severity "
        "FROM flag_episodes ORDER BY athlete_id, rule_id, start_day",
    )
    assert got.rows() == _episodes_by_hand()


def test_episodes_worked_by_hand(warehouse):
    con, _, _ = warehouse
    cols = ("start_day, last_day, days, peak_severity, peak_value, is_open, last_alert_day, "
            "last_alert_reason")  # fmt: skip
    sql = f"SELECT {cols} FROM flag_episodes WHERE athlete_id = ? AND rule_id = ? ORDER BY 1"
    # bram's HRV 44, 46, 48 ms (warnings, 6/4/2 ms under 50: steps 1/0/0 of 5 ms), then 50 and
    # 58 ms (watches under 70): one episode, worst night 44 ms, never worse than its start
    assert run(con, sql, ["bram", "hrv_low"]) == [
        (date(2026, 9, 30), date(2026, 10, 4), 5, "warning", 44.0, False, date(2026, 9, 30),
         "started"),
    ]  # fmt: skip
    # chiyo's resting HR: 53 bpm (+6 %, watch) and 44 bpm (-12 %, watch) three quiet nights
    # apart are one episode; 58, 59, 58 bpm (warnings, 4-5 bpm past ~54: step 1 of 2.7 bpm
    # each night) a second one, peak 59 bpm, closed (her data run to 11-09)
    rhr = run(con, sql, ["chiyo", "rhr_elevated"])
    assert [r[:4] for r in rhr] == [
        (date(2026, 9, 23), date(2026, 9, 27), 2, "watch"),
        (date(2026, 10, 18), date(2026, 10, 20), 3, "warning"),
    ]
    assert rhr[1][4:] == (59.0, False, date(2026, 10, 18), "started")
    # every episode of the study ended more than 3 days before the athletes' last night, but
    # those still flagged on 11-06..11-09 (the last four nights) are open
    open_ = run(con, "SELECT count(*) FROM flag_episodes WHERE is_open AND last_day < "
                     "DATE '2026-11-06'")  # fmt: skip
    assert open_ == [(0,)]


def test_not_evaluable_days_as_planned(warehouse):
    con, _, _ = warehouse
    ev = frame(
        con,
        "SELECT athlete_id, day, rule_id, CAST(reason AS VARCHAR) AS reason "
        "FROM rule_evaluability WHERE NOT evaluable AND day >= DATE '2026-09-01' "
        "AND day <= DATE '2026-11-09'",
    )

    def reasons(athlete: str, rule_id: str) -> dict:
        rows = ev.filter((pl.col("athlete_id") == athlete) & (pl.col("rule_id") == rule_id))
        return dict(rows.select("day", "reason").iter_rows())

    missing = date(2026, 10, 17)  # anna's watch not worn: no night at all
    for athlete in ("anna", "bram", "chiyo"):
        extra = {missing: "no_night_recorded"} if athlete == "anna" else {}
        # the 60-night range needs 28 nights before: from 09-29 on
        short = dict.fromkeys(_days(date(2026, 9, 1), date(2026, 9, 28)), "baseline_too_short")
        assert reasons(athlete, "hrv_below_baseline") == short | extra
        # the 28-night resting-HR baseline needs 7 nights before: from 09-08 on
        short = dict.fromkeys(_days(date(2026, 9, 1), date(2026, 9, 7)), "baseline_too_short")
        assert reasons(athlete, "rhr_elevated") == short | extra
        assert reasons(athlete, "hrv_low") == extra
    for rule_id in NIGHT_RULES:
        assert reasons("anna", rule_id)[missing] == "no_night_recorded"
    # chiyo has no blood tests: ferritin can never be evaluated for her
    days = len(_days(date(2026, 9, 1), date(2026, 11, 9)))
    assert set(reasons("chiyo", "ferritin_low").values()) == {"not_measured_by_source"}
    assert len(reasons("chiyo", "ferritin_low")) == days
