"""registry: sniff by content (extension only as fallback), dispatch, clean, ParseError only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from parsers_testkit import T0, fit_seconds

from parsers import registry
from parsers.base import ParseError
from parsers.registry import parse_file, sniff, xml_root

GPX = b'<?xml version="1.0"?>\n<!-- exported --><gpx version="1.1" creator="x"></gpx>'
LONG = b"timestamp,metric,value,unit\n2024-03-01T22:00:00Z,heart_rate,0,bpm\n" \
       b"2024-03-01T22:01:00Z,heart_rate,55,bpm\n"
WELLNESS = b"\xef\xbb\xbfday;mood\n2024-03-01;7\n"


def test_sniff_by_content_not_name(fit_builder):
    fit = fit_builder([("MONITORING", {"timestamp": fit_seconds(T0), "heart_rate": 50})])
    assert sniff(fit, "export.txt") == "fit"
    assert sniff(GPX, "track.xml") == "gpx"
    assert sniff(b"\xef\xbb\xbf  " + GPX, "") == "gpx"
    assert sniff(b'<gpx:gpx xmlns:gpx="http://www.topografix.com/GPX/1/1"/>', "") == "gpx"
    assert sniff(LONG, "data.gpx") == "csv_long"
    assert sniff(b"Athlete_ID,Timestamp,Metric,Value\n", "") == "csv_long"
    assert sniff(WELLNESS, "w.txt") == "wellness_csv"


def test_sniff_extension_fallback_and_unknown():
    assert sniff(b"garbage", "ride.FIT") == "fit"
    assert sniff(b"garbage", "ride.gpx") == "gpx"
    assert sniff(b"garbage", "ride.csv") is None
    assert sniff(b"<HealthData/>", "export.xml") is None
    assert xml_root(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><kml/>") == "kml"


def test_parse_file_dispatches_and_cleans(tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(LONG)
    parsed = parse_file(path, now=datetime(2025, 1, 1, tzinfo=UTC))
    assert parsed.format == "csv_long"
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [55]
    assert parsed.dropped == {"hr_out_of_range": 1}
    assert parse_file(WELLNESS, "w.csv").frames["wellness"]["mood"].to_list() == [7.0]


def test_future_timestamps_dropped_against_now():
    parsed = parse_file(LONG, "x.csv", now=datetime(2024, 2, 1, tzinfo=UTC))
    assert "heart_rate" not in parsed.frames or parsed.frames["heart_rate"].height == 0
    assert parsed.dropped == {"hr_out_of_range": 1, "ts_out_of_range": 1}


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [(b"", "empty", "empty: the file is 0 bytes"),
     (b"\x00\x01\x02\x03", "blob.bin", "unrecognised format: 4 bytes of unknown binary"),
     (b"<HealthData/>", "export.xml", "unrecognised format: XML with root <healthdata>"),
     (b"a,b,c\n1,2,3\n", "x.csv", "unrecognised format: text whose first line has columns"),
     (b"not fit at all", "ride.fit", "not a FIT file"),
     (b"<gpx><trk>", "ride.gpx", "malformed GPX XML"),
     (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY b "bbbbbbbb">]><gpx>&b;</gpx>', "",
      "GPX refused: XML declares a DTD")],
)
def test_bad_input_raises_parse_error(data, name, reason):
    with pytest.raises(ParseError, match=reason):
        parse_file(data, name)


def test_missing_path_is_parse_error(tmp_path):
    with pytest.raises(ParseError, match="cannot read file"):
        parse_file(tmp_path / "nope.fit")


def test_unexpected_parser_exception_is_wrapped(monkeypatch):
    def broken(data, name):
        raise KeyError("surprise")

    formats = dict(registry.FORMATS)
    formats["csv_long"] = replace(formats["csv_long"], parse=broken)
    monkeypatch.setattr(registry, "FORMATS", formats)
    with pytest.raises(ParseError, match="csv_long file could not be parsed: KeyError"):
        parse_file(LONG, "x.csv")


def test_fit_engine_passed_through(fit_builder):
    fit = fit_builder([("MONITORING", {"timestamp": fit_seconds(T0), "heart_rate": 50})])
    for engine in ("fast", "fitparse"):
        parsed = parse_file(fit, "m.fit", engine=engine)
        assert parsed.frames["heart_rate"]["bpm"].to_list() == [50]


def test_register_a_new_format(monkeypatch):
    import polars as pl

    from parsers.base import ParsedFile, conform

    row = conform(pl.DataFrame({"day": [datetime(2024, 3, 1).date()], "mood": [7.0]}), "wellness")
    monkeypatch.setattr(registry, "FORMATS", dict(registry.FORMATS))
    fmt = registry.Format("acme_csv", lambda d, n: d.startswith(b"ACME"),
                          lambda d, n: ParsedFile("acme_csv", {"wellness": row}), (".acme",))
    registry.register(fmt)
    assert sniff(b"ACME v1\n", "x") == "acme_csv"
    assert sniff(b"", "export.acme") == "acme_csv"
    assert parse_file(b"ACME v1\n", "x").format == "acme_csv"
    assert list(registry.FORMATS)[-1] == "acme_csv"
    registry.register(fmt, first=True)
    assert list(registry.FORMATS)[0] == "acme_csv"
