"""Wellness CSV: any subset of scores, BOM, blank lines, bad days and scores counted."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.base import CANONICAL, ParseError
from parsers.wellness_csv import parse


def test_full_header():
    data = (b"day,fatigue,mood,motivation,stress,soreness,sleep_quality\n"
            b"2024-03-01,3,7,8,4,2,6\n2024-03-02,5,6,7,5,3,4.5\n")
    frame = parse(data).frames["wellness"]
    assert dict(frame.schema) == CANONICAL["wellness"]
    assert frame.rows() == [(date(2024, 3, 1), 3.0, 7.0, 8.0, 4.0, 2.0, 6.0),
                            (date(2024, 3, 2), 5.0, 6.0, 7.0, 5.0, 3.0, 4.5)]


def test_subset_bom_blank_lines_unknown_columns_athlete():
    data = ("\ufeffAthlete_ID, Date ,Fatigue,notes\r\n\r\n"
            "a1,2024-03-01,3,felt ok\r\n\r\n"
            "a2,2024-03-02,,\r\n").encode()
    parsed = parse(data)
    assert parsed.problems == []
    frame = parsed.frames["wellness"]
    assert frame.columns[0] == "athlete_id"
    assert frame.select("athlete_id", "day", "fatigue", "mood").rows() == [
        ("a1", date(2024, 3, 1), 3.0, None), ("a2", date(2024, 3, 2), None, None)]


def test_semicolon_and_decimal_comma():
    frame = parse(b"day;mood;stress\n2024-03-01;7,5;3\n").frames["wellness"]
    assert frame.select("mood", "stress").rows() == [(7.5, 3.0)]


def test_bad_day_and_bad_score_counted():
    data = b"day,fatigue,mood\n2024-03-01,3,good\n01/03/2024,4,5\n2024-03-03,x,y\n"
    parsed = parse(data)
    assert parsed.frames["wellness"].select("day", "fatigue", "mood").rows() == [
        (date(2024, 3, 1), 3.0, None), (date(2024, 3, 3), None, None)]
    assert parsed.dropped == {"wellness_bad_day": 1, "wellness_bad_score": 3}
    assert parsed.problems == [
        "1 row skipped: day is not an ISO date (YYYY-MM-DD) (first at line 3)",
        "3 rows skipped: score is not a number (kept as empty) (first at line 2)",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"2024-03-01,3\n", "needs a header"), (b"day,notes\n2024-03-01,x\n", "needs a header"),
     (b"day,mood\nmonday,5\n", "no usable rows"), (b"\n\n", "empty CSV")],
)
def test_unusable_files_raise(data, reason):
    with pytest.raises(ParseError, match=reason):
        parse(data)
