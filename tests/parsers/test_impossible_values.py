"""Impossible values: dropped or resolved by the documented rules of `parsers.clean`, and
counted (ParsedFile.dropped -> files.rows_dropped / files.dropped_reasons).

Rules (docs/formats.md "Impossible values", docs/reliability.md):
HR outside 1..250 (0, 255, 251); RR outside 250..2500 ms; time stamps before 2000 or more
than a day after now; a sleep stage or a sleep period over 20 h; a nightly `*_hours` over 20;
exact duplicate samples within a file. Time stamps that jump back are resolved (samples keep
their own times, the jump is reported); duplicates across files are left to the metrics.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parsers_testkit import T0, build_fit, fit_seconds

from parsers.base import ParsedFile, conform
from parsers.clean import drop_impossible
from parsers.registry import parse_file
from warehouse.db import connect
from warehouse.load import load_file, upsert_athlete
from warehouse.sql import run

#: part of the real-input / hostile set: `pytest -m hostile` (docs/reliability.md)
pytestmark = pytest.mark.hostile

NOW = datetime(2024, 3, 10, tzinfo=UTC)
HEAD = "athlete_id,timestamp,metric,value,unit,end_timestamp\n"


def long_csv(*rows: str) -> bytes:
    return (HEAD + "\n".join(rows) + "\n").encode()


def parse(data: bytes, name: str = "x.csv", now: datetime = NOW) -> ParsedFile:
    return parse_file(data, name, now=now)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def hr_rows(values, start=T0, step=timedelta(minutes=1)):
    return [f"a01,{_iso(start + i * step)},heart_rate,{v},bpm," for i, v in enumerate(values)]


# ---------------------------------------------------------------- heart rate


def test_heart_rate_zero_255_and_over_250_are_dropped_and_counted():
    parsed = parse(long_csv(*hr_rows([0, 255, 251, 250, 1, 60, -5, 1000])))
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [250, 1, 60]
    assert parsed.dropped == {"hr_out_of_range": 5}


def test_heart_rate_that_does_not_fit_a_number_is_dropped_not_the_file():
    """99999, 1e300, inf, nan: one bad cell must not quarantine the file (found by fuzzing)."""
    parsed = parse(long_csv(*hr_rows([62, 99999, "1e300", "inf", "nan", 63])))
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [62, 63]
    assert parsed.dropped == {"hr_out_of_range": 4}


def test_fit_heart_rate_zero_and_over_250_are_counted_255_is_no_value():
    """In FIT, 255 is the uint8 invalid marker: a field without a value, never a sample."""
    t = fit_seconds(T0)
    msgs = [("MONITORING", {"timestamp": t + 60 * i, "heart_rate": v})
            for i, v in enumerate([60, 0, 251, 254, 255, 61])]
    parsed = parse(build_fit(msgs), "m.fit")
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [60, 61]
    assert parsed.dropped == {"hr_out_of_range": 3}


def test_resting_hr_summary_follows_the_heart_rate_rule():
    rows = ["a01,2024-03-01,resting_hr,0,bpm,", "a01,2024-03-02,resting_hr,48,bpm,",
            "a01,2024-03-03,resting_hr,300,bpm,"]
    parsed = parse(long_csv(*rows))
    assert parsed.frames["device_summaries"]["value"].to_list() == [48.0]
    assert parsed.dropped == {"hr_out_of_range": 2}


# ---------------------------------------------------------------- RR intervals


def test_rr_outside_250_to_2500_ms_is_dropped():
    t = [_iso(T0 + timedelta(seconds=i)) for i in range(6)]
    rows = [f"a01,{t[0]},rr,249.9,ms,", f"a01,{t[1]},rr,250,ms,", f"a01,{t[2]},rr,2500,ms,",
            f"a01,{t[3]},rr,2500.1,ms,", f"a01,{t[4]},rr,0.8,s,", f"a01,{t[5]},rr,3,s,"]
    parsed = parse(long_csv(*rows))
    assert parsed.frames["rr_intervals"]["rr_ms"].to_list() == [250.0, 2500.0, 800.0]
    assert parsed.dropped == {"rr_out_of_range": 3}


def test_fit_beat_intervals_outside_the_range_are_dropped():
    msgs = [("BEAT_INTERVALS", {"timestamp": fit_seconds(T0), "timestamp_ms": 0,
                                "time": [200, 800, 3000, 1000]})]
    parsed = parse(build_fit(msgs), "b.fit")
    assert parsed.frames["rr_intervals"]["rr_ms"].to_list() == [800.0, 1000.0]
    assert parsed.dropped == {"rr_out_of_range": 2}


# ---------------------------------------------------------------- time stamps


def test_before_2000_and_in_the_future_are_dropped():
    times = [datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC),
             NOW + timedelta(hours=23), NOW + timedelta(days=2), datetime(2999, 1, 1, tzinfo=UTC)]
    rows = [f"a01,{_iso(t)},heart_rate,60,bpm," for t in times]
    parsed = parse(long_csv(*rows))
    assert parsed.frames["heart_rate"]["ts"].to_list() == times[1:3]
    assert parsed.dropped == {"ts_out_of_range": 3}


def test_fit_relative_system_time_lands_before_2000_and_is_dropped():
    """FIT date_time values below 0x10000000 are seconds since power-on, not dates: they
    decode to 1990-1998 and are dropped as out of range."""
    msgs = [("MONITORING", {"timestamp": 1000 + 60 * i, "heart_rate": 60}) for i in range(3)]
    msgs.append(("MONITORING", {"timestamp": fit_seconds(T0), "heart_rate": 61}))
    parsed = parse(build_fit(msgs), "m.fit")
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [61]
    assert parsed.dropped == {"ts_out_of_range": 3}


def test_fit_clock_jumping_back_keeps_samples_at_their_times_and_reports_it():
    t = fit_seconds(T0)
    seconds = [t, t + 60, t + 120, t + 180, t + 60 - 3600, t + 120 - 3600, t + 240]
    msgs = [("MONITORING", {"timestamp": s, "heart_rate": 60 + i})
            for i, s in enumerate(seconds)]
    parsed = parse(build_fit(msgs), "m.fit")
    assert parsed.frames["heart_rate"].height == 7  # nothing lost
    assert parsed.dropped == {}
    [problem] = parsed.problems
    assert "jump back 1 time" in problem and "1:02:00" in problem


def test_fit_clock_replaying_samples_drops_the_exact_repeats():
    """A jump back that writes the same samples again: the repeats are duplicates."""
    t = fit_seconds(T0)
    first = [(t + 60 * i, 60 + i) for i in range(4)]
    msgs = [("MONITORING", {"timestamp": s, "heart_rate": v}) for s, v in first + first[1:3]]
    parsed = parse(build_fit(msgs), "m.fit")
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [60, 61, 62, 63]
    assert parsed.dropped == {"duplicate_sample": 2}
    assert any("jump back" in p for p in parsed.problems)


def test_csv_rows_in_any_order_are_not_a_clock_jump():
    """A CSV is not a recording: rows may come in any order, nothing is reported."""
    rows = hr_rows([60, 61, 62])
    parsed = parse(long_csv(rows[2], rows[0], rows[1]))
    assert parsed.problems == [] and parsed.frames["heart_rate"].height == 3


# ---------------------------------------------------------------- sleep


def _stage(start: datetime, end: datetime, stage: str = "light") -> str:
    return f"a01,{_iso(start)},sleep_stage,{stage},,{_iso(end)}"


def test_a_single_stage_over_20_hours_is_dropped():
    rows = [_stage(T0, T0 + timedelta(hours=21)), _stage(T0 + timedelta(days=1),
                                                         T0 + timedelta(days=1, hours=1))]
    parsed = parse(long_csv(*rows))
    assert parsed.frames["sleep_stages"].height == 1
    assert parsed.dropped == {"sleep_stage_bad_interval": 1}


def test_a_sleep_period_over_20_hours_is_dropped_whole():
    """22 one-hour stages back to back: each is plausible, the 22 h period is not."""
    long_night = [_stage(T0 + timedelta(hours=h), T0 + timedelta(hours=h + 1),
                         ("light", "deep", "rem")[h % 3]) for h in range(22)]
    next_night = T0 + timedelta(days=2)
    normal = [_stage(next_night + timedelta(hours=h), next_night + timedelta(hours=h + 1))
              for h in range(8)]
    parsed = parse(long_csv(*long_night, *normal))
    stages = parsed.frames["sleep_stages"]
    assert stages.height == 8 and stages["start_ts"].min() == next_night
    assert parsed.dropped == {"sleep_period_over_20h": 22}


def test_sleep_hours_summary_over_20_is_dropped():
    rows = ["a01,2024-03-01,sleep_hours,7.5,h,", "a01,2024-03-02,sleep_hours,25,h,",
            "a01,2024-03-03,sleep_hours,1300,min,", "a01,2024-03-04,sleep_hours,-1,h,"]
    parsed = parse(long_csv(*rows))
    assert parsed.frames["device_summaries"]["value"].to_list() == [7.5]
    assert parsed.dropped == {"sleep_hours_out_of_range": 3}


def test_fit_sleep_levels_spanning_over_20_hours_are_dropped():
    t = fit_seconds(T0)
    msgs = [("SLEEP_LEVEL", {"timestamp": t + 1800 * i, "sleep_level": ("light", "deep")[i % 2]})
            for i in range(44)]  # 22 h of half-hour stages
    parsed = parse(build_fit(msgs), "s.fit")
    assert parsed.frames["sleep_stages"].is_empty()
    assert parsed.dropped == {"sleep_period_over_20h": 44}


# ---------------------------------------------------------------- duplicates


def test_exact_duplicate_rows_within_a_file_are_dropped_once_counted():
    rows = hr_rows([60, 61, 62])
    parsed = parse(long_csv(*rows, rows[1], rows[1]))
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [60, 61, 62]
    assert parsed.dropped == {"duplicate_sample": 2}


def test_one_instant_with_two_values_keeps_both():
    """Which of two values at one instant is right is not knowable here: both are kept."""
    rows = hr_rows([60, 61])
    other = rows[1].replace(",61,", ",75,")
    parsed = parse(long_csv(*rows, other))
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [60, 61, 75]
    assert parsed.dropped == {}


def test_same_sample_for_two_athletes_is_no_duplicate():
    rows = hr_rows([60])
    parsed = parse(long_csv(rows[0], rows[0].replace("a01,", "a02,", 1)))
    assert parsed.frames["heart_rate"].height == 2 and parsed.dropped == {}


def test_same_instant_in_two_contexts_is_no_duplicate():
    hr = pl.DataFrame({"ts": [T0, T0], "bpm": [60, 60], "context": ["monitoring", "activity"]})
    out = drop_impossible(ParsedFile("fit", {"heart_rate": conform(hr, "heart_rate")}), NOW)
    assert out.frames["heart_rate"].height == 2 and out.dropped == {}


def test_two_devices_one_night_are_both_kept_at_parse_time():
    """Cross-file duplicates (a watch and a strap the same night) are resolved in metrics."""
    watch = parse(long_csv(*hr_rows([60, 61])))
    strap = parse(long_csv(*hr_rows([60, 61])), "strap.csv")
    assert watch.frames["heart_rate"].equals(strap.frames["heart_rate"])
    assert watch.dropped == strap.dropped == {}


# ---------------------------------------------------------------- counted in the warehouse


def test_counts_reach_files_rows_dropped_and_dropped_reasons(tmp_path):
    hr = hr_rows([0, 60, 300])
    rows = [*hr, hr[1],
            "a01,1999-01-01T00:00:00Z,heart_rate,60,bpm,", "a01,2024-03-02,sleep_hours,30,h,"]
    parsed = parse(long_csv(*rows))
    assert parsed.dropped == {"hr_out_of_range": 2, "duplicate_sample": 1, "ts_out_of_range": 1,
                              "sleep_hours_out_of_range": 1}
    con = connect(tmp_path / "w.duckdb")
    try:
        upsert_athlete(con, "a01", None, "default_utc")
        out = load_file(con, file_id="f1", path="x.csv", athlete_id="a01", size_bytes=1,
                        parsed=parsed)
        assert out.status == "loaded"
        [(dropped, reasons, hr)] = run(
            con, "SELECT rows_dropped, dropped_reasons, rows_heart_rate FROM files")
    finally:
        con.close()
    assert dropped == 5 and json.loads(reasons) == parsed.dropped and hr == 1


# ---------------------------------------------------------------- conservation (property)

VALUES = st.one_of(st.integers(min_value=-50, max_value=400), st.sampled_from(["nan", "inf"]))
TIMES = st.one_of(
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2030, 1, 1),
                 timezones=st.just(UTC)),
    st.just(T0))


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["heart_rate", "rr"]), TIMES, VALUES),
                     min_size=1, max_size=30))
def test_every_row_is_kept_or_counted_and_nothing_impossible_is_kept(rows):
    text = [f"a01,{t.replace(microsecond=0).isoformat()},{m},{v},," for m, t, v in rows]
    try:
        parsed = parse(long_csv(*text))
    except Exception as exc:  # a file of only bad rows is refused with the counts in words
        assert "no usable rows" in str(exc)
        return
    kept = sum(f.height for f in parsed.frames.values())
    assert kept + sum(parsed.dropped.values()) == len(rows)
    hr = parsed.frames.get("heart_rate")
    if hr is not None and hr.height:
        assert hr["bpm"].is_between(1, 250).all()
    rr = parsed.frames.get("rr_intervals")
    if rr is not None and rr.height:
        assert rr["rr_ms"].is_between(250, 2500).all()
    for frame in parsed.frames.values():
        if frame.height:
            assert frame["ts"].min() >= datetime(2000, 1, 1, tzinfo=UTC)
            assert frame["ts"].max() <= NOW + timedelta(days=1)


@pytest.mark.parametrize("value", ["0", "255", "251"])
def test_impossible_values_in_vendor_exports_are_counted_too(value):
    """The rules are central: a vendor CSV's resting HR follows them like any format."""
    data = ("date,timestamp_measurement,HR,AVNN,SDNN,rMSSD,pNN50,LF,HF\n"
            f"2024-03-02,2024-03-02 07:01:00,{value},1000,60,55,30,1,1\n").encode()
    parsed = parse(data, "HRV4Training_export.csv")
    metrics = parsed.frames["device_summaries"]["metric"].to_list()
    assert "resting_hr" not in metrics and "hrv_rmssd_ms" in metrics
