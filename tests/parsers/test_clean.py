"""clean.drop_impossible: exact counts by reason, good rows untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.clean import drop_impossible, drop_impossible_many

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
T = datetime(2025, 5, 31, 23, tzinfo=UTC)
H = timedelta(hours=1)


def _parsed(**frames: pl.DataFrame) -> ParsedFile:
    return ParsedFile("test", frames={k: conform(v, k) for k, v in frames.items()},
                      dropped={"hr_out_of_range": 1})


def test_counts_by_reason():
    hr = pl.DataFrame({
        "ts": [T, T, T, datetime(1999, 12, 31, tzinfo=UTC), NOW + 2 * H * 24, T, None],
        "bpm": [60, 0, 255, 70, 70, 251, 80],
        "context": "monitoring",
    })
    rr = pl.DataFrame({"ts": [T] * 5, "rr_ms": [249.9, 250.0, 2500.0, 2500.1, 800.0]})
    stages = pl.DataFrame({
        "start_ts": [T, T, T, T],
        "end_ts": [T + H, T, T - H, T + 21 * H],
        "stage": ["deep", "light", "rem", "light"],
    })
    wellness = pl.DataFrame({"day": [date(2025, 5, 30), date(1990, 1, 1), date(2025, 6, 3)],
                             "fatigue": [3.0, 4.0, 5.0]})
    out = drop_impossible(_parsed(heart_rate=hr, rr_intervals=rr, sleep_stages=stages,
                                  wellness=wellness), NOW)
    assert out.frames["heart_rate"]["bpm"].to_list() == [60]
    assert out.frames["rr_intervals"]["rr_ms"].to_list() == [250.0, 2500.0, 800.0]
    assert out.frames["sleep_stages"]["stage"].to_list() == ["deep"]
    assert out.frames["wellness"]["fatigue"].to_list() == [3.0]
    assert out.dropped == {
        "hr_out_of_range": 1 + 3,  # previous count kept and added to
        "rr_out_of_range": 2,
        "sleep_stage_bad_interval": 3,
        "ts_out_of_range": 2 + 2,
        "ts_missing": 1,
    }


def test_nothing_dropped_and_schema_kept():
    hr = pl.DataFrame({"ts": [T], "bpm": [1], "context": "activity"})
    parsed = ParsedFile("fit", frames={"heart_rate": conform(hr, "heart_rate")})
    out = drop_impossible(parsed, NOW.replace(tzinfo=None))
    assert out.dropped == {}
    assert out.frames["heart_rate"].schema == parsed.frames["heart_rate"].schema
    assert out.frames["heart_rate"]["bpm"].to_list() == [1]


def test_null_night_is_legal():
    summ = pl.DataFrame({"night": [None], "ts": [T], "metric": ["resting_hr"], "value": [50.0]})
    out = drop_impossible(_parsed(device_summaries=summ), NOW)
    assert out.frames["device_summaries"].height == 1


def test_summary_with_night_but_no_ts_is_kept():
    summ = pl.DataFrame({"night": [date(2025, 5, 30), None], "ts": [None, None],
                         "metric": ["resting_hr", "resting_hr"], "value": [50.0, 51.0]})
    out = drop_impossible(_parsed(device_summaries=summ), NOW)
    assert out.frames["device_summaries"]["value"].to_list() == [50.0]
    assert out.dropped["ts_missing"] == 1


def _fit_like(hr_ts: list[datetime], bpm: list[int], stages: list[tuple[datetime, datetime]],
              fmt: str = "fit") -> ParsedFile:
    """A file with a heart-rate stream and sleep stages, in recording order."""
    hr = pl.DataFrame({"ts": hr_ts, "bpm": bpm, "context": "monitoring"})
    sleep = pl.DataFrame({"start_ts": [s for s, _ in stages], "end_ts": [e for _, e in stages],
                          "stage": "light"})
    return ParsedFile(fmt, frames={"heart_rate": conform(hr, "heart_rate"),
                                   "sleep_stages": conform(sleep, "sleep_stages")})


def test_a_batch_cleans_each_file_exactly_as_alone():
    """drop_impossible_many: rules never reach across files. The same rows in two files are
    not duplicates of each other, two files' stages do not chain into one long period, and a
    clock jump is one file's problem (GPX and FIT only: a CSV's order is not recording order)."""
    M = timedelta(minutes=1)
    a = _fit_like([T, T + M, T + M, T - M, T + 2 * M], [60, 61, 61, 62, 300],  # repeat, jump
                  [(T + H * i, T + H * (i + 1)) for i in range(12)])  # 12 h: kept
    b = _fit_like([T - 5 * M, T, T + M], [59, 60, 61],  # starts before a ends; a's rows again
                  [(T + H * (12 + i), T + H * (13 + i)) for i in range(10)])  # follows a's
    c = _fit_like([T + M, T], [70, 71], [(T, T + 11 * H), (T + 11 * H, T + 21 * H)],
                  fmt="csv_long")  # a 21 h period; a step back but no recording order
    d = ParsedFile("fit", frames={"heart_rate": conform(pl.DataFrame(
        {"ts": [T], "bpm": [0], "context": "sleep"}), "heart_rate")})  # every row dropped
    files = [a, b, c, d]
    together = drop_impossible_many(files, NOW)
    alone = [drop_impossible(p, NOW) for p in files]
    for got, want in zip(together, alone, strict=True):
        assert got.dropped == want.dropped
        assert got.problems == want.problems
        assert list(got.frames) == list(want.frames)
        for table in want.frames:
            assert got.frames[table].equals(want.frames[table]), table
    assert [p.dropped for p in together] == [
        {"hr_out_of_range": 1, "duplicate_sample": 1},
        {},
        {"sleep_period_over_20h": 2},
        {"hr_out_of_range": 1},
    ]
    assert together[0].frames["heart_rate"]["bpm"].to_list() == [60, 61, 62]
    assert together[0].problems == [
        "heart_rate: time stamps jump back 1 time(s), the largest by 0:02:00 (device clock "
        "reset?); samples kept at their own times, exact repeats dropped as duplicate_sample"
    ]
    assert together[1].problems == [] and together[2].problems == []
    assert together[1].frames["sleep_stages"].height == 10
    assert together[3].frames["heart_rate"].height == 0
    assert together[3].frames["heart_rate"].schema == d.frames["heart_rate"].schema
