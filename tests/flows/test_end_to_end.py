"""The whole pipeline on the committed sample study, through real Prefect flows and DuckDB.

The expected flags and nightly values come from the generator's plan (written by construction,
never by running herstel), so a wrong night boundary, baseline or streak shows up here.
"""

from __future__ import annotations

import math

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
    assert len(PLANNED_RULES) == 14


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
