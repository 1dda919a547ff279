"""Several files give a device value for the same night: the athlete's `source_priority`
decides, then vendor name, then file id (docs/metrics.md, "Several sources for one night")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from metrics.nightly import device_nightly, nightly_values
from metrics.sources import prefer_stage_sources, priority_ranks

NIGHT = date(2026, 6, 1)


def _summaries() -> pl.DataFrame:
    # an Oura ring and a WHOOP strap worn the same night, plus a Garmin that only gives HRV
    rows = [
        ("anna", NIGHT, "resting_hr", 48.0, "oura", "f-oura"),
        ("anna", NIGHT, "resting_hr", 52.0, "whoop", "f-whoop"),
        ("anna", NIGHT, "hrv_rmssd_ms", 70.0, "oura", "f-oura"),
        ("anna", NIGHT, "hrv_rmssd_ms", 60.0, "whoop", "f-whoop"),
        ("anna", NIGHT, "hrv_rmssd_ms", 66.0, "garmin", "f-garmin"),
        ("anna", NIGHT, "sleep_hours", 7.0, "oura", "f-oura"),
        ("anna", NIGHT, "sleep_hours", 6.5, "whoop", "f-whoop"),
        ("bob", NIGHT, "resting_hr", 61.0, "oura", "f-oura-b"),
        ("bob", NIGHT, "resting_hr", 58.0, "whoop", "f-whoop-b"),
    ]
    return pl.DataFrame(
        rows, schema=["athlete_id", "night", "metric", "value", "vendor", "file_id"], orient="row"
    )


def _athletes(anna: str | None, bob: str | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {"athlete_id": ["anna", "bob"], "time_zone": ["Europe/Amsterdam"] * 2,
         "source_priority": [anna, bob]},
        schema_overrides={"source_priority": pl.String},
    )  # fmt: skip


def _picked(athletes: pl.DataFrame | None) -> dict[tuple[str, str], tuple[float, str]]:
    wide = device_nightly(_summaries(), athletes)
    out = {}
    for row in wide.iter_rows(named=True):
        for metric in ("resting_hr", "hrv_rmssd_ms", "sleep_hours"):
            if row[f"dev_{metric}"] is not None:
                out[(row["athlete_id"], metric)] = (row[f"dev_{metric}"], row[f"dev_{metric}_file"])
    return out


def test_without_a_priority_the_first_vendor_by_name_wins_as_before():
    want = {
        ("anna", "resting_hr"): (48.0, "f-oura"),
        ("anna", "hrv_rmssd_ms"): (66.0, "f-garmin"),  # garmin < oura < whoop
        ("anna", "sleep_hours"): (7.0, "f-oura"),
        ("bob", "resting_hr"): (61.0, "f-oura-b"),
    }
    assert _picked(None) == want
    assert _picked(_athletes(None, None)) == want
    # an athletes frame from before migration 10 (no source_priority column)
    assert _picked(_athletes(None).drop("source_priority")) == want


def test_the_athletes_priority_decides_and_unnamed_vendors_come_after():
    got = _picked(_athletes("whoop>oura", None))
    assert got == {
        ("anna", "resting_hr"): (52.0, "f-whoop"),
        ("anna", "hrv_rmssd_ms"): (60.0, "f-whoop"),  # garmin is not named: after both
        ("anna", "sleep_hours"): (6.5, "f-whoop"),
        ("bob", "resting_hr"): (61.0, "f-oura-b"),  # bob has no priority: by name
    }
    # only oura named: oura first, then garmin before whoop by name
    assert _picked(_athletes("oura", "WHOOP"))[("anna", "hrv_rmssd_ms")] == (70.0, "f-oura")
    assert _picked(_athletes("oura", "WHOOP"))[("bob", "resting_hr")] == (58.0, "f-whoop-b")
    assert _picked(_athletes("whoop>garmin"))[("anna", "hrv_rmssd_ms")] == (60.0, "f-whoop")
    assert _picked(_athletes("garmin>whoop"))[("anna", "hrv_rmssd_ms")] == (66.0, "f-garmin")


def test_priority_ranks_are_per_athlete_and_case_blind():
    ranks = priority_ranks(_athletes("Whoop>oura", "garmin"))
    assert sorted(ranks.iter_rows()) == [
        ("anna", "oura", 2), ("anna", "whoop", 1), ("bob", "garmin", 1)]  # fmt: skip


def test_the_nightly_row_says_which_file_it_took():
    """Through `nightly_values`: no stages, so device values fill the night and the file id
    of the priority's vendor is recorded."""
    empty = {
        "sleep_stages": {"athlete_id": pl.String, "file_id": pl.String, "stage": pl.String,
                         "start_ts": pl.Datetime("us", "UTC"), "end_ts": pl.Datetime("us", "UTC")},
        "samples": {"athlete_id": pl.String, "file_id": pl.String,
                    "ts": pl.Datetime("us", "UTC")},
    }  # fmt: skip
    stages = pl.DataFrame(schema=empty["sleep_stages"])
    hr = pl.DataFrame(schema={**empty["samples"], "bpm": pl.Int16})
    rr = pl.DataFrame(schema={**empty["samples"], "rr_ms": pl.Float64})
    hrv = pl.DataFrame(schema={**empty["samples"], "rmssd_ms": pl.Float64})
    row = nightly_values(
        stages, hr, rr, hrv, _summaries(), _athletes("whoop>oura")
    ).filter(pl.col("athlete_id") == "anna").row(0, named=True)
    assert (row["resting_hr"], row["resting_hr_method"], row["resting_hr_file_id"]) == (
        52.0, "device", "f-whoop")  # fmt: skip
    assert (row["hrv_ms"], row["hrv_method"], row["hrv_file_id"]) == (
        60.0, "device_nightly", "f-whoop")  # fmt: skip
    assert (row["sleep_hours"], row["sleep_method"], row["sleep_file_id"]) == (
        6.5, "device", "f-whoop")  # fmt: skip


# ------------------------------------------------------------------ overlapping sleep records

UTC_US = pl.Datetime("us", "UTC")


def _t(day: int, hour: int, minute: int = 0) -> datetime:
    """31 = 31 May, else that day of June 2026, UTC."""
    return datetime(2026, 5 if day == 31 else 6, day, hour, minute, tzinfo=UTC)


def _stages() -> pl.DataFrame:
    """A ring (Oura) and a watch (Garmin) score the same night differently; the watch also
    records an afternoon nap the next day."""
    rows = [
        ("anna", "f-oura", _t(31, 23), _t(1, 3), "light"),
        ("anna", "f-oura", _t(1, 3), _t(1, 3, 30), "awake"),
        ("anna", "f-oura", _t(1, 3, 30), _t(1, 6, 30), "rem"),
        ("anna", "f-garmin", _t(31, 22, 30), _t(1, 6), "light"),
        ("anna", "f-garmin", _t(1, 14), _t(1, 15), "light"),
    ]  # fmt: skip
    return pl.DataFrame(
        rows, schema={"athlete_id": pl.String, "file_id": pl.String, "start_ts": UTC_US,
                      "end_ts": UTC_US, "stage": pl.String}, orient="row")  # fmt: skip


FILES = pl.DataFrame({"file_id": ["f-oura", "f-garmin"], "vendor": ["oura", "garmin"]})


def _night(priority: str | None, files: pl.DataFrame | None = FILES) -> tuple:
    athletes = pl.DataFrame({"athlete_id": ["anna"], "time_zone": ["UTC"],
                             "source_priority": [priority]},
                            schema_overrides={"source_priority": pl.String})  # fmt: skip
    hr = pl.DataFrame(schema={"athlete_id": pl.String, "file_id": pl.String, "ts": UTC_US,
                              "bpm": pl.Int16})  # fmt: skip
    rr = pl.DataFrame(schema={"athlete_id": pl.String, "file_id": pl.String, "ts": UTC_US,
                              "rr_ms": pl.Float64})  # fmt: skip
    hrv = pl.DataFrame(schema={"athlete_id": pl.String, "file_id": pl.String, "ts": UTC_US,
                               "rmssd_ms": pl.Float64})  # fmt: skip
    summaries = _summaries().filter(pl.col("athlete_id") == "nobody")
    out = nightly_values(_stages(), hr, rr, hrv, summaries, athletes, files)
    row = out.filter(pl.col("night") == date(2026, 6, 1)).row(0, named=True)
    return (row["sleep_hours"], row["sleep_start"].hour, row["sleep_start"].minute,
            row["sleep_end"].hour, row["sleep_end"].minute, row["sleep_file_id"])  # fmt: skip


def test_without_a_priority_overlapping_records_are_united_as_before():
    # 22:30-06:30 asleep in one app or the other: 8.0 h, more than either app says
    assert _night(None) == (8.0, 22, 30, 6, 30, "f-garmin")
    assert _night("whoop") == (8.0, 22, 30, 6, 30, "f-garmin")  # neither vendor named
    assert _night("oura", files=None) == (8.0, 22, 30, 6, 30, "f-garmin")  # no vendors known


def test_the_priority_takes_the_night_from_one_vendor():
    # Oura: 23:00-03:00 light, 03:00-03:30 awake, 03:30-06:30 REM = 7.0 h asleep
    assert _night("oura>garmin") == (7.0, 23, 0, 6, 30, "f-oura")
    assert _night("oura") == (7.0, 23, 0, 6, 30, "f-oura")  # garmin unnamed: after oura
    # Garmin: 22:30-06:00 light = 7.5 h
    assert _night("garmin>oura") == (7.5, 22, 30, 6, 0, "f-garmin")


def test_records_outside_the_shared_period_are_kept():
    """The Garmin nap the next afternoon is its own period, recorded by Garmin alone: kept."""
    athletes = pl.DataFrame({"athlete_id": ["anna"], "source_priority": ["oura>garmin"]})
    kept = prefer_stage_sources(_stages(), athletes, FILES)
    assert kept.select("file_id", pl.col("start_ts").dt.hour()).rows() == [
        ("f-oura", 23), ("f-oura", 3), ("f-oura", 3), ("f-garmin", 14)]  # fmt: skip
