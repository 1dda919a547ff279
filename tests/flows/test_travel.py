"""An athlete who flies Amsterdam -> Tokyo and back: nights land on the dates they were slept.

The watch files come from the generator: the same athlete planned twice, once living in
Amsterdam and once in Tokyo; the study takes the Tokyo plan's nights during the trip. Tokyo
nights end at about 07:00 Tokyo time = 00:00 in Amsterdam (summer), so read in the home zone
they would land a day early. `time_zones.csv` says when the athlete was where.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.athletes import athlete_specs
from sample_data.expected import expected_nights
from sample_data.generate import wellness_files, write_athletes_csv
from sample_data.plan import plan_athlete
from warehouse.db import connect
from warehouse.sql import frame

START = date(2025, 5, 1)
DAYS = 40
OUT = date(2025, 5, 15)  # flies out: no data this day (the night before is the last at home)
BACK = date(2025, 5, 25)  # flies back: the first night at home ends on the 26th
TRAVEL_CSV = f"athlete_id,from,time_zone\ntara,{OUT},Asia/Tokyo\ntara,{BACK},Europe/Amsterdam\n"


def _abroad(night: date) -> bool:
    return OUT < night <= BACK


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    """(study folder without time_zones.csv, expected nights)."""
    home_spec = replace(athlete_specs(1)[0], athlete_id="tara", time_zone="Europe/Amsterdam")
    away_spec = replace(home_spec, time_zone="Asia/Tokyo")
    home = plan_athlete(home_spec, START, DAYS, 5, 0)
    away = plan_athlete(away_spec, START, DAYS, 5, 0)
    study = tmp_path_factory.mktemp("trip") / "study"
    folder = study / "tara" / "wellness"
    folder.mkdir(parents=True)
    files = {**wellness_files(home, rr=False)}
    abroad = wellness_files(away, rr=False)
    for name in list(files):
        night = date.fromisoformat(name[:10])
        if night == OUT:
            del files[name]
        elif _abroad(night):
            files[name] = abroad[name]
    for name, data in files.items():
        (folder / name).write_bytes(data)
    write_athletes_csv([home_spec], study)
    rows = [
        r
        for plan, here in ((home, lambda n: not _abroad(n)), (away, _abroad))
        for r in expected_nights([plan])
        if here(r["night"]) and r["night"] != OUT
    ]
    expected = pl.DataFrame(rows).select("night", "sleep_hours", "resting_hr").sort("night")
    return study, expected


def _nights(db: str) -> pl.DataFrame:
    con = connect(db, read_only=True)
    try:
        return frame(con, "SELECT night, sleep_hours, resting_hr FROM nightly_metrics ORDER BY 1")
    finally:
        con.close()


def _assert_nights(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert got["night"].to_list() == expected["night"].to_list()
    assert_frame_equal(got, expected, abs_tol=0.01, check_dtypes=False)


def test_nights_abroad_land_on_their_local_dates(trip, tmp_path, prefect_server):
    study, expected = trip
    (study / "time_zones.csv").write_text(TRAVEL_CSV)
    try:
        db = str(tmp_path / "trip.duckdb")
        ingest([str(study)], db)
        nightly(db)
        got = _nights(db)
    finally:
        (study / "time_zones.csv").unlink()
    _assert_nights(got, expected)
    first_abroad = got.filter(pl.col("night") == OUT + timedelta(days=1))
    assert first_abroad.height == 1  # the first night in Tokyo, not a day early


def test_without_the_travel_file_nights_abroad_land_on_wrong_dates(trip, tmp_path, prefect_server):
    """The guard: read in the home zone, a Tokyo wake-up at 07:00 is 00:00 in Amsterdam, so
    a night abroad lands a day early (then two periods end on one date and one is lost) or
    stays by minutes: the test above can fail."""
    study, expected = trip
    db = str(tmp_path / "home.duckdb")
    ingest([str(study)], db)
    nightly(db)
    got = _nights(db)
    joined = expected.join(got, on="night", how="left", suffix="_got")
    wrong = joined.filter(
        pl.col("night").map_elements(_abroad, return_dtype=pl.Boolean)
        & (
            pl.col("sleep_hours_got").is_null()
            | (pl.col("sleep_hours") != pl.col("sleep_hours_got"))
        )
    )
    assert wrong.height >= 3
    home = joined.filter(~pl.col("night").map_elements(_abroad, return_dtype=pl.Boolean))
    assert home.filter(pl.col("sleep_hours") != pl.col("sleep_hours_got")).height <= 1


def test_a_travel_file_added_later_recomputes_the_athlete(trip, tmp_path, prefect_server):
    study, expected = trip
    db = str(tmp_path / "later.duckdb")
    ingest([str(study)], db)
    nightly(db)
    later = tmp_path / "later"
    later.mkdir()
    (later / "time_zones.csv").write_text(TRAVEL_CSV)
    ingest([str(later)], db)  # no data files: only where tara was
    run = nightly(db)
    assert run.athletes == ["tara"]
    _assert_nights(_nights(db), expected)
    assert nightly(db).athletes == []  # and only once


def test_a_bad_travel_file_is_refused_with_its_line(tmp_path, prefect_server):
    """Refused for that athlete (nothing of its travel stored, the nightly run skips it until
    corrected), naming the line; other athletes proceed (tests/flows/test_hostile_config.py)."""
    study = tmp_path / "study"
    (study / "tara").mkdir(parents=True)
    (study / "time_zones.csv").write_text("athlete_id,from,time_zone\ntara,2025-05-15,Mars/Base\n")
    db = str(tmp_path / "x.duckdb")
    ingest([str(study)], db)
    con = connect(db, read_only=True)
    try:
        assert frame(con, "SELECT * FROM athlete_time_zones").height == 0
        problems = frame(con, "SELECT athlete_id, source, problem FROM athlete_problems").rows()
    finally:
        con.close()
    assert problems == [
        (
            "tara",
            "time_zones_file",
            "time_zones.csv line 2: unknown time zone 'Mars/Base' (an IANA name such as "
            "'Europe/Amsterdam')",
        )
    ]
    shutil.rmtree(study)
