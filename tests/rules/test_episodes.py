"""Episodes from daily flags: persists, worsens, peak and open, against hand-worked cases."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from rules_frames import AT, D0

from rules.catalogue import load_ruleset
from rules.episodes import EPISODE_COLUMNS, alerts, episodes

POLICY = load_ruleset().episodes  # quiet_days 3; hrv_low step 10 % of the threshold


def flag_rows(*rows, athlete="a") -> pl.DataFrame:
    """rows: (day offset, rule_id, severity, value, threshold)."""
    return pl.DataFrame(
        [(athlete, D0 + timedelta(days=d), r, s, v, t, "2026.12.1") for d, r, s, v, t in rows],
        schema={"athlete_id": pl.String, "day": pl.Date, "rule_id": pl.String,
                "severity": pl.String, "value": pl.Float64, "threshold": pl.Float64,
                "ruleset_version": pl.String},
        orient="row",
    )  # fmt: skip


def last_data(**offsets: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "athlete_id": list(offsets),
            "last_day": [D0 + timedelta(days=d) for d in offsets.values()],
        }
    )


def d(offset: int):
    return D0 + timedelta(days=offset)


def test_a_run_of_hrv_nights_is_one_episode_that_worsened_then_a_new_one():
    # day: 1 watch 60 (line 70), 2 watch 58, 3 warning 48 (line 50; 2 ms past: step 0 of 5 ms),
    # 4 warning 44 (6 past: step 1 -> worsened), 5 warning 45 (step 1: not worse),
    # 6-8 quiet (3 days: still the same episode), 9 watch 65, 10-13 quiet (4 days: over),
    # 14 warning 40 -> a new episode; the athlete's data end on day 16.
    f = flag_rows(
        (1, "hrv_low", "watch", 60.0, 70.0), (2, "hrv_low", "watch", 58.0, 70.0),
        (3, "hrv_low", "warning", 48.0, 50.0), (4, "hrv_low", "warning", 44.0, 50.0),
        (5, "hrv_low", "warning", 45.0, 50.0), (9, "hrv_low", "watch", 65.0, 70.0),
        (14, "hrv_low", "warning", 40.0, 50.0),
    )  # fmt: skip
    out = episodes(f, last_data(a=16), POLICY, AT)
    assert out.schema == pl.Schema(EPISODE_COLUMNS)
    rows = out.select(
        "start_day", "last_day", "days", "peak_severity", "peak_value", "is_open",
        "last_alert_day", "last_alert_reason",
    ).rows()  # fmt: skip
    assert rows == [
        (d(1), d(9), 6, "warning", 44.0, False, d(4), "worsened"),
        (d(14), d(14), 1, "warning", 40.0, True, d(14), "started"),
    ]
    assert out["ruleset_version"].to_list() == ["2026.12.1"] * 2
    assert out["computed_at"].to_list() == [AT, AT]
    # four alerts where the old digest repeated seven flags: day 1, day 3 (watch -> warning),
    # day 4 (a further step), day 14
    assert alerts(f, POLICY).select("day", "severity", "reason").rows() == [
        (d(1), "watch", "started"), (d(3), "warning", "worsened"),
        (d(4), "warning", "worsened"), (d(14), "warning", "started"),
    ]  # fmt: skip


def test_watch_then_warning_is_a_worsening_and_a_lower_day_is_not():
    f = flag_rows((0, "rhr_elevated", "watch", 53.0, 52.5),
                  (1, "rhr_elevated", "warning", 56.0, 54.0),
                  (2, "rhr_elevated", "watch", 53.0, 52.5))  # fmt: skip
    out = episodes(f, last_data(a=2), POLICY, AT)
    assert out.select("days", "peak_severity", "peak_value", "last_alert_day",
                      "last_alert_reason", "is_open").row(0) == (
        3, "warning", 56.0, d(1), "worsened", True)  # fmt: skip


def test_a_rule_without_a_step_only_starts_and_the_gap_rule_is_exact():
    # no_rest_day's value (training days in a row) grows every day: persisting, not worsening
    f = flag_rows(*[(i, "no_rest_day", "warning", 7.0 + i, 7.0) for i in range(5)],
                  (9, "no_rest_day", "warning", 7.0, 7.0))  # 4 quiet days: new  # fmt: skip
    out = episodes(f, last_data(a=20), POLICY, AT)
    assert out.select("start_day", "last_day", "days", "last_alert_day", "last_alert_reason",
                      "is_open", "peak_value").rows() == [
        (d(0), d(4), 5, d(0), "started", False, 11.0),
        (d(9), d(9), 1, d(9), "started", False, 7.0),
    ]  # fmt: skip


def test_weekly_rule_joins_its_sundays_and_athletes_and_rules_are_kept_apart():
    f = pl.concat([
        flag_rows((6, "heavy_weeks_streak", "warning", 900.0, 700.0),
                  (13, "heavy_weeks_streak", "warning", 950.0, 700.0)),
        flag_rows((6, "hrv_low", "warning", 40.0, 50.0), athlete="b"),
    ])  # fmt: skip
    out = episodes(f, last_data(a=13), POLICY, AT)  # b has no last_data row: its last flag
    cols = ("athlete_id", "rule_id", "start_day", "last_day", "days", "is_open")
    assert out.select(cols).rows() == [
        ("a", "heavy_weeks_streak", d(6), d(13), 2, True),
        ("b", "hrv_low", d(6), d(6), 1, True),
    ]  # fmt: skip


def test_no_flags_no_episodes():
    assert episodes(flag_rows(), last_data(a=1), POLICY, AT).is_empty()
