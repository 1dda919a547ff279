"""Issue 13 point 4, end to end: one ride recorded by a watch (FIT) and a bike computer
exported as GPX is one ride. Files are written in their real formats by the sample-data
encoders (garmin_fit_sdk, gpxpy), ingested and computed by the real flows.

Expected from the guidance: both recordings stay in `activities` (each traceable to its
file), the watch's counts (HR records every 5 s, the longer recording), the GPX is linked
to it, and the day's load is the watch session's TRIMP alone (before: ~1.5x).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data.fit_files import activity_fit
from sample_data.generate import plans_for
from sample_data.gpx_files import activity_gpx
from sample_data.plan import ActivityPlan
from warehouse.db import connect
from warehouse.sql import frame


@pytest.fixture(scope="module")
def ride_twice(tmp_path_factory, prefect_server):
    plan = plans_for(1, 7, 1, date(2026, 9, 1))[0]  # anna, Europe/Amsterdam, FIT watch
    start = int(datetime(2026, 9, 5, 7, 0, tzinfo=UTC).timestamp()) // 60 * 60  # any whole minute
    local = datetime(2026, 9, 5, 9, 0)  # 07:00 UTC is 09:00 in Amsterdam (CEST)
    watch = ActivityPlan(start, 90 * 60, "cycling", "road", "ride", local)
    bike = ActivityPlan(start + 120, 88 * 60, "cycling", "road", "ride", local)
    folder = tmp_path_factory.mktemp("twice") / "anna"
    folder.mkdir()
    (folder / "2026-09-05-09-00-00.fit").write_bytes(
        activity_fit(plan, watch, 1, random.Random(1))
    )
    (folder / "Morning_Ride.gpx").write_bytes(activity_gpx(bike, random.Random(2)))
    db = str(folder.parent / "twice.duckdb")
    outcomes = ingest([str(folder)], db, athlete="anna")
    assert {o.status for o in outcomes} == {"loaded"}
    nightly(db)
    con = connect(db, read_only=True)
    yield con
    con.close()


def test_both_recordings_kept_one_counts(ride_twice):
    acts = frame(
        ride_twice,
        "SELECT f.format, a.duration_s, a.trimp, a.trimp_method, a.counts_for_load, "
        "a.duplicate_of, a.file_id FROM activities a JOIN files f USING (file_id) "
        "ORDER BY f.format",
    )
    assert acts["format"].to_list() == ["fit", "gpx"]
    fit, gpx = acts.row(0, named=True), acts.row(1, named=True)
    assert fit["trimp_method"] == gpx["trimp_method"] == "banister_hr"
    assert (fit["counts_for_load"], gpx["counts_for_load"]) == (True, False)
    assert (fit["duplicate_of"], gpx["duplicate_of"]) == (None, fit["file_id"])


def test_the_day_load_is_one_session(ride_twice):
    fit_trimp = frame(ride_twice, "SELECT trimp FROM activities WHERE counts_for_load")
    day = frame(
        ride_twice,
        "SELECT load_trimp, is_rest_day, ctl, atl FROM daily_metrics WHERE day = '2026-09-05'",
    )
    assert day["load_trimp"].to_list() == pytest.approx(fit_trimp["trimp"].to_list())
    assert day["is_rest_day"].to_list() == [False]
    # the PMC starts from 0 the day before: CTL and ATL are one day's share of the load
    assert day["ctl"].item() == pytest.approx(day["load_trimp"].item() * 0.0235283, rel=1e-5)
