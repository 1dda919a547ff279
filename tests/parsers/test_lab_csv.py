"""Lab-results CSV: sniffed by header, one stored unit per marker, clear errors."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.base import CANONICAL, ParseError
from parsers.lab_csv import parse
from parsers.registry import parse_file, sniff


def test_units_converted_to_one_per_marker():
    data = ("day,marker,value,unit\n"
            "2026-09-03,ferritin,42,ng/mL\n2026-09-04,Ferritine,35,µg/L\n"
            "2026-09-05,ferritin,20,ug/l\n"
            "2026-09-03,cortisol,410,nmol/L\n2026-09-04,cortisol,14.2,µg/dL\n"
            "2026-09-05,Serum cortisol,100,ng/mL\n"
            "2026-09-06,hemoglobin,8.9,mmol/L\n").encode()
    frame = parse(data).frames["lab_results"]
    assert dict(frame.schema) == CANONICAL["lab_results"]
    rows = {(d, m): (round(v, 3), u) for d, m, v, u in frame.rows()}
    assert rows[date(2026, 9, 3), "ferritin"] == (42.0, "ug/L")
    assert rows[date(2026, 9, 4), "ferritin"] == (35.0, "ug/L")
    assert rows[date(2026, 9, 5), "ferritin"] == (20.0, "ug/L")
    assert rows[date(2026, 9, 3), "cortisol"] == (410.0, "nmol/L")
    assert rows[date(2026, 9, 4), "cortisol"] == (round(14.2 * 27.59, 3), "nmol/L")
    assert rows[date(2026, 9, 5), "cortisol"] == (275.9, "nmol/L")
    assert rows[date(2026, 9, 6), "hemoglobin"] == (8.9, "mmol/L")  # other markers as given


def test_unknown_unit_of_a_known_marker_is_refused_with_the_line():
    data = b"day,marker,value,unit\n2026-09-03,ferritin,42,ng/mL\n2026-09-04,cortisol,14,mg/dL\n"
    with pytest.raises(ParseError, match=r"line 3: unknown unit 'mg/dL' for cortisol"):
        parse(data)


def test_semicolons_decimal_comma_date_alias_athlete_and_bad_rows():
    data = ("\ufeffathlete_id;Date;Marker;Value;Unit\n"
            "a1;2026-09-03;ferritin;41,5;ng/mL\n"
            "a1;03/09/2026;ferritin;40;ng/mL\n"
            "a1;2026-09-04;ferritin;n.a.;ng/mL\n").encode()
    parsed = parse(data)
    assert parsed.frames["lab_results"].rows() == [
        ("a1", date(2026, 9, 3), "ferritin", 41.5, "ug/L")]
    assert parsed.dropped == {"lab_bad_day": 1, "lab_bad_value": 1}
    assert len(parsed.problems) == 2


def test_sniffed_before_the_long_csv_and_through_the_registry():
    data = b"date,marker,value,unit\n2026-09-03,ferritin,42,ng/mL\n"
    assert sniff(data, "results.csv") == "lab_csv"
    assert sniff(b"timestamp,metric,value,unit\n", "x.csv") != "lab_csv"
    parsed = parse_file(data, "results.csv")
    assert parsed.format == "lab_csv" and parsed.rows() == {"lab_results": 1}


def test_missing_columns_and_no_rows():
    with pytest.raises(ParseError, match="missing: unit"):
        parse(b"day,marker,value\n2026-09-03,ferritin,42\n")
    with pytest.raises(ParseError, match="no usable rows"):
        parse(b"day,marker,value,unit\nyesterday,ferritin,42,ng/mL\n")
