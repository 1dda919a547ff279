"""Long CSV: each metric, sleep-stage conventions, and quirks (BOM, blanks, naive times)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from parsers.base import CANONICAL, ParseError
from parsers.csv_long import parse


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _csv(body: str, header: str = "timestamp,metric,value,unit") -> bytes:
    return (header + "\n" + body.strip() + "\n").encode()


def test_each_metric_to_its_frame():
    parsed = parse(_csv("""
2024-03-01T22:00:00Z,heart_rate,52,bpm
2024-03-01T23:00:00.500+01:00,heart_rate,53.6,
2024-03-01 22:05:00+0000,rr,0.85,s
2024-03-01T22:05:01Z,rr,900,ms
2024-03-01T22:05:00Z,hrv_rmssd,45.5,ms
2024-03-02,resting_hr,48,bpm
2024-03-02T07:00:00Z,sleep_hours,450,min
2024-03-02,hrv_rmssd_ms,61,ms
"""))
    assert parsed.problems == [] and parsed.dropped == {}
    for table, frame in parsed.frames.items():
        assert dict(frame.schema) == CANONICAL[table], table
    assert parsed.frames["heart_rate"].rows() == [
        (_utc(2024, 3, 1, 22), 52, "monitoring"),
        (datetime(2024, 3, 1, 22, 0, 0, 500_000, tzinfo=UTC), 54, "monitoring")]
    assert parsed.frames["rr_intervals"].rows() == [
        (_utc(2024, 3, 1, 22, 5), 850.0), (_utc(2024, 3, 1, 22, 5, 1), 900.0)]
    assert parsed.frames["hrv_samples"].rows() == [(_utc(2024, 3, 1, 22, 5), 45.5)]
    assert parsed.frames["device_summaries"].rows() == [
        (date(2024, 3, 2), None, "resting_hr", 48.0, None),
        (None, _utc(2024, 3, 2, 7), "sleep_hours", 7.5, None),
        (date(2024, 3, 2), None, "hrv_rmssd_ms", 61.0, None),
    ]


def test_sleep_stages_next_row_end_timestamp_and_end_marker():
    parsed = parse(_csv("""
a,2024-03-01T23:00:00Z,sleep_stage,light,
a,2024-03-01T23:30:00Z,sleep_stage,DEEP,
a,2024-03-02T01:00:00Z,sleep_stage,rem,2024-03-02T01:20:00Z
a,2024-03-02T06:00:00Z,sleep_stage,awake,
a,2024-03-02T06:10:00Z,sleep_stage,end,
b,2024-03-02T02:00:00Z,sleep_stage,asleep,2024-03-02T07:00:00+01:00
""", header="athlete_id,timestamp,metric,value,end_timestamp"))
    assert parsed.problems == []
    assert parsed.frames["sleep_stages"].rows() == [
        ("a", _utc(2024, 3, 1, 23), _utc(2024, 3, 1, 23, 30), "light"),
        ("a", _utc(2024, 3, 1, 23, 30), _utc(2024, 3, 2, 1), "deep"),
        ("a", _utc(2024, 3, 2, 1), _utc(2024, 3, 2, 1, 20), "rem"),
        ("a", _utc(2024, 3, 2, 6), _utc(2024, 3, 2, 6, 10), "awake"),
        ("b", _utc(2024, 3, 2, 2), _utc(2024, 3, 2, 6), "asleep"),
    ]


def test_bad_rows_are_counted_and_reported():
    data = ("\ufefftimestamp,metric,value,unit\r\n"
            "2024-03-01T22:00:00Z,heart_rate,52,bpm\r\n"
            "\r\n"
            "2024-03-01T22:01:00,heart_rate,53,bpm\r\n"
            "yesterday,heart_rate,53,bpm\r\n"
            "2024-03-01T22:02:00Z,steps,100,\r\n"
            "2024-03-01T22:03:00Z,heart_rate,fast,bpm\r\n"
            "2024-03-01T22:04:00Z,heart_rate,60,mmHg\r\n"
            "2024-03-01T22:05:00Z,sleep_stage,dozing,\r\n"
            "2024-03-01T22:06:00Z,sleep_stage,light,\r\n").encode()
    parsed = parse(data)
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [52]
    assert "sleep_stages" not in parsed.frames
    assert parsed.dropped == {
        "csv_naive_timestamp": 1, "csv_bad_timestamp": 1, "csv_unknown_metric": 1,
        "csv_bad_value": 1, "csv_unknown_unit": 1, "csv_unknown_sleep_stage": 1,
        "csv_open_sleep_stage": 1,
    }
    naive = next(p for p in parsed.problems if "UTC offset" in p)
    assert naive == "1 row skipped: timestamp has no UTC offset (add Z or +hh:mm) (first at line 4)"
    assert all("52" not in p for p in parsed.problems)  # no health values in messages


def test_semicolon_separator_and_context_column():
    data = _csv("2024-03-01T22:00:00Z;heart_rate;140;bpm;activity",
                header="timestamp;metric;value;unit;context")
    assert parse(data).frames["heart_rate"].rows() == [(_utc(2024, 3, 1, 22), 140, "activity")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty CSV"), (b"time,hr\n1,2\n", "missing: timestamp, metric, value"),
     (_csv("2024-03-01T22:00:00,heart_rate,52,bpm"), "no usable rows")],
)
def test_unusable_files_raise(data, reason):
    with pytest.raises(ParseError, match=reason):
        parse(data)


def test_header_only_is_empty_not_error():
    parsed = parse(b"timestamp,metric,value,unit\n")
    assert parsed.frames == {} and parsed.problems == []


def test_docs_example_parses():
    """The example in docs/formats.md, verbatim."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text()
    block = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    parsed = parse(block.encode())
    assert parsed.problems == []
    assert parsed.rows() == {"heart_rate": 1, "rr_intervals": 1, "hrv_samples": 1,
                             "sleep_stages": 3, "device_summaries": 2}
    stages = parsed.frames["sleep_stages"].select("start_ts", "end_ts", "stage").rows()
    assert stages[-1] == (_utc(2024, 3, 2, 0), _utc(2024, 3, 2, 0, 25), "rem")
    assert stages[0] == (_utc(2024, 3, 1, 22, 10), _utc(2024, 3, 1, 22, 40), "light")
