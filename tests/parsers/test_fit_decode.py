"""decode_fit: engine choice and timestamp_16 resolution against the last full timestamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from parsers_testkit import T0, fit_seconds

from parsers.fit import decode as fit_decode
from parsers.fit.decode import decode_fit, resolve_timestamp_16

UTC_US = pl.Datetime("us", "UTC")


def _at(fit_s: int) -> datetime:
    return datetime(1989, 12, 31, tzinfo=UTC) + timedelta(seconds=fit_s)


def test_resolve_hand_built_frames():
    """Two message types interleaved; a rollover of the 16-bit counter; a second anchor."""
    base = 0x1234_FF00  # FIT seconds; low 16 bits 0xFF00, so +0x100 s rolls over
    events = pl.DataFrame(
        {"_index": [0, 5], "timestamp": [_at(base), _at(base + 100_000)]},
        schema={"_index": pl.UInt32, "timestamp": UTC_US},
    )
    t16 = [(base + 60) & 0xFFFF, (base + 200) & 0xFFFF, (base + 300) & 0xFFFF,
           (base + 100_030) & 0xFFFF]
    mon = pl.DataFrame(
        {"_index": [1, 2, 4, 6], "timestamp_16": t16, "heart_rate": [50, 51, 52, 53]},
        schema={"_index": pl.UInt32, "timestamp_16": pl.Int64, "heart_rate": pl.Int64},
    )
    other = pl.DataFrame({"_index": [3], "timestamp_16": [(base + 250) & 0xFFFF]},
                         schema={"_index": pl.UInt32, "timestamp_16": pl.Int64})
    out = resolve_timestamp_16({"event": events, "monitoring": mon, "stress": other})
    assert out["event"].equals(events)
    assert out["monitoring"].columns == ["_index", "timestamp", "timestamp_16", "heart_rate"]
    assert out["monitoring"]["timestamp"].to_list() == [
        _at(base + 60), _at(base + 200), _at(base + 300), _at(base + 100_030)]
    assert out["stress"]["timestamp"].to_list() == [_at(base + 250)]


def test_t16_before_any_full_timestamp_stays_null():
    mon = pl.DataFrame({"_index": [0, 1], "timestamp_16": [5, 65]},
                       schema={"_index": pl.UInt32, "timestamp_16": pl.Int64})
    out = resolve_timestamp_16({"monitoring": mon})
    assert out["monitoring"]["timestamp"].to_list() == [None, None]


def test_full_timestamp_slightly_ahead_steps_back():
    """vivosmart 4: an event stamped 05:08:00, then monitoring t16 = 05:07:22."""
    anchor = fit_seconds(datetime(2020, 9, 25, 5, 8, tzinfo=UTC))
    frames = {
        "event": pl.DataFrame({"_index": [0], "timestamp": [_at(anchor)]},
                              schema={"_index": pl.UInt32, "timestamp": UTC_US}),
        "monitoring": pl.DataFrame(
            {"_index": [1, 2], "timestamp_16": [(anchor - 38) & 0xFFFF, anchor & 0xFFFF]},
            schema={"_index": pl.UInt32, "timestamp_16": pl.Int64}),
    }
    got = resolve_timestamp_16(frames)["monitoring"]["timestamp"].to_list()
    assert got == [_at(anchor - 38), _at(anchor)]


def test_monitoring_file_with_timestamp_16(fit_builder):
    start = fit_seconds(T0)
    msgs = [("MONITORING", {"timestamp": start, "cycles": 0})]
    msgs += [("MONITORING", {"timestamp_16": (start + 60 * i) & 0xFFFF, "heart_rate": 40 + i})
             for i in range(1, 6)]
    decoded = decode_fit(fit_builder(msgs), engine="fitparse")
    mon = decoded.messages["monitoring"].filter(pl.col("heart_rate").is_not_null())
    assert mon["heart_rate"].to_list() == [41, 42, 43, 44, 45]
    assert mon["timestamp"].to_list() == [T0 + timedelta(minutes=i) for i in range(1, 6)]
    assert decoded.problems == []


def test_engines(fit_builder, monkeypatch):
    data = fit_builder([("MONITORING", {"timestamp": fit_seconds(T0), "heart_rate": 50})])
    with pytest.raises(ValueError, match="unknown FIT engine"):
        decode_fit(data, engine="nope")
    monkeypatch.setattr(fit_decode, "_fast_engine", lambda: None)  # fast not importable
    assert decode_fit(data, engine="fast").messages["monitoring"]["heart_rate"].to_list() == [50]

    def broken(_data):
        raise RuntimeError("boom")

    monkeypatch.setattr(fit_decode, "_fast_engine", lambda: broken)  # fast crashes
    assert decode_fit(data, engine="fast").messages["monitoring"]["heart_rate"].to_list() == [50]


@pytest.mark.parametrize("engine", ["fast", "fitparse"])
def test_only_leaves_out_messages_but_they_still_anchor_timestamp_16(fit_builder, engine):
    """The full timestamp that anchors the monitoring t16 run sits in an `event`, which the
    caller does not want: it is left out of the result, yet still anchors the run."""
    start = fit_seconds(T0)
    msgs = [("EVENT", {"timestamp": start, "event": "timer", "event_type": "start"})]
    msgs += [("MONITORING", {"timestamp_16": (start + 60 * i) & 0xFFFF, "heart_rate": 40 + i})
             for i in range(1, 4)]
    data = fit_builder(msgs)
    lean = decode_fit(data, engine=engine, only={"monitoring"})
    assert set(lean.messages) == {"monitoring"}
    mon = lean.messages["monitoring"]
    assert mon.columns[:3] == ["_index", "timestamp", "timestamp_16"]
    assert mon["timestamp"].to_list() == [T0 + timedelta(minutes=i) for i in range(1, 4)]
    assert mon.equals(decode_fit(data, engine=engine).messages["monitoring"])
