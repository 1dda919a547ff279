"""What a single-vendor export test compares: the nights herstel computed for one athlete
against the shared plan (sample_data.export_plan) the export was written from. One place, so
the export tests (Google Health, Health Connect / Samsung / Withings, Gadgetbridge) ask the
warehouse the same question."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import polars as pl

from sample_data.export_plan import PlannedNight
from warehouse.db import connect
from warehouse.sql import frame


def nightly_of(db: str, athlete: str) -> pl.DataFrame:
    """One athlete's `nightly_metrics` by night: the three values and their methods."""
    with connect(db, read_only=True) as con:
        return frame(con, "SELECT night, sleep_hours, resting_hr, hrv_ms, sleep_method, "
                          "resting_hr_method, hrv_method FROM nightly_metrics "
                          "WHERE athlete_id = ? ORDER BY night", [athlete])


def planned_nights(
    nights: list[PlannedNight], has_hrv: Callable[[PlannedNight], bool] = lambda n: True
) -> pl.DataFrame:
    """The plan's values of `nightly_of`'s columns; no HRV on the nights `has_hrv` says the
    export holds none."""
    return pl.DataFrame({
        "night": [n.night for n in nights],
        "sleep_hours": [n.sleep_hours for n in nights],
        "resting_hr": [float(n.resting_hr_bpm) for n in nights],
        "hrv_ms": [n.hrv_ms if has_hrv(n) else None for n in nights],
    }, schema_overrides={"hrv_ms": pl.Float64})


def sleep_window_utc(db: str, athlete: str, night: date) -> tuple[datetime, datetime]:
    """`sleep_start`, `sleep_end` of one night, in UTC."""
    with connect(db, read_only=True) as con:
        start, end = con.execute(
            "SELECT sleep_start, sleep_end FROM nightly_metrics WHERE athlete_id = ? "
            "AND night = ?", [athlete, night]).fetchone()
    return start.astimezone(UTC), end.astimezone(UTC)
