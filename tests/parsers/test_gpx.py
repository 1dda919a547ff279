"""GPX: every HR extension seen in the wild, one activity per track, safe XML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parsers.base import CANONICAL, ParseError
from parsers.gpx import normalise_sport, parse

NS = {
    "gpxtpx": 'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"',
    "ns3": 'xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"',
    "gpxdata": 'xmlns:gpxdata="http://www.cluetrust.com/XML/GPXDATA/1/0"',
}
EXT = {
    "gpxtpx": "<gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr>"
    "<gpxtpx:cad>80</gpxtpx:cad></gpxtpx:TrackPointExtension>",
    "ns3": "<ns3:TrackPointExtension><ns3:hr>{hr}</ns3:hr></ns3:TrackPointExtension>",
    "gpxdata": "<gpxdata:hr>{hr}</gpxdata:hr>",
    "plain": "<heartrate>{hr}</heartrate>",
}
T0 = datetime(2024, 3, 2, 7, 30, tzinfo=UTC)


def _gpx(kind: str, hrs: list[int], sport: str = "running", zulu: str = "Z") -> bytes:
    points = "".join(
        f'<trkpt lat="52.0" lon="{4.0 + i * 0.001:.3f}">'
        f"<time>{(T0 + timedelta(seconds=10 * i)).strftime('%Y-%m-%dT%H:%M:%S')}{zulu}</time>"
        f"<extensions>{EXT[kind].format(hr=hr)}</extensions></trkpt>"
        for i, hr in enumerate(hrs)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx version="1.1" creator="Test" xmlns="http://www.topografix.com/GPX/1/1" '
        f"{NS.get(kind, '')}><trk><name>x</name><type>{sport}</type><trkseg>{points}"
        "</trkseg></trk></gpx>"
    ).encode()


@pytest.mark.parametrize("kind", ["gpxtpx", "ns3", "gpxdata", "plain"])
def test_hr_extensions(kind):
    parsed = parse(_gpx(kind, [101, 120, 131]), "t.gpx")
    hr = parsed.frames["heart_rate"]
    assert dict(hr.schema) == CANONICAL["heart_rate"]
    assert hr.rows() == [
        (T0, 101, "activity"),
        (T0 + timedelta(seconds=10), 120, "activity"),
        (T0 + timedelta(seconds=20), 131, "activity"),
    ]
    act = parsed.frames["activities"]
    assert dict(act.schema) == CANONICAL["activities"]
    (row,) = act.rows(named=True)
    assert row["start_ts"] == T0 and row["duration_s"] == 20.0 and row["sport"] == "running"
    assert row["avg_hr"] == pytest.approx(352 / 3) and row["max_hr"] == 131.0
    assert row["distance_m"] == pytest.approx(137.5, rel=0.01)  # 2 x 0.001 deg lon at 52 N
    assert parsed.problems == []


def test_naive_times_are_utc():
    parsed = parse(_gpx("plain", [90], zulu=""))
    assert parsed.frames["heart_rate"]["ts"].to_list() == [T0]


def test_two_tracks_two_activities():
    one, two = _gpx("ns3", [100, 110]).decode(), _gpx("ns3", [150], sport="Ride").decode()
    track_two = two[two.index("<trk>") : two.index("</gpx>")]
    parsed = parse(one.replace("</gpx>", track_two + "</gpx>").encode())
    assert parsed.frames["activities"]["sport"].to_list() == ["running", "cycling"]
    assert parsed.frames["activities"]["max_hr"].to_list() == [110.0, 150.0]
    assert parsed.frames["heart_rate"].height == 3


@pytest.mark.parametrize(
    ("raw", "sport"),
    [
        ("running", "running"),
        ("Run", "running"),
        ("Road Biking", "cycling"),
        ("9", "running"),
        ("1", "cycling"),
        ("Strength Training", "training"),
        ("rowing", "rowing"),
        ("kayaking", "kayaking"),
        ("Underwater Basket", "underwater_basket"),
        ("", None),
        ("777", None),
    ],
)
def test_normalise_sport(raw, sport):
    assert normalise_sport(raw) == sport


def test_waypoints_only_loads_nothing():
    data = (
        '\ufeff<?xml version="1.0" encoding="utf-8"?>\n<gpx><wpt lat="43.3" lon="3.5">'
        "<time>2016-05-27T10:08:47.8Z</time><name>test</name></wpt></gpx>"
    ).encode()
    parsed = parse(data)
    assert parsed.frames == {} and parsed.problems == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<gpx><trk>", "malformed GPX XML"),
        (b"\x00\x01 not xml", "malformed GPX XML"),
        (b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaa">]><gpx>&a;</gpx>', "DTD"),
        (b'<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "http://x/evil.dtd"><gpx/>', "DTD"),
        (b"<kml/>", "not a GPX file"),
    ],
)
def test_bad_xml_raises_parse_error(data, reason):
    with pytest.raises(ParseError, match=reason):
        parse(data)


def test_apple_workout_route_is_not_a_second_activity():
    """Apple's workout-routes/*.gpx repeat a <Workout> that export.xml already holds."""
    route = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Apple Health Export"'
        b' xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Route</name><trkseg>'
        b'<trkpt lon="4.9" lat="52.3"><time>2026-09-01T18:00:00Z</time></trkpt>'
        b'<trkpt lon="4.91" lat="52.31"><time>2026-09-01T18:10:00Z</time></trkpt>'
        b"</trkseg></trk></gpx>"
    )
    parsed = parse(route, "route_2026-09-01_6.00pm.gpx")
    assert "activities" not in parsed.frames or parsed.frames["activities"].height == 0
    garmin = route.replace(b"Apple Health Export", b"Garmin Connect")
    assert parse(garmin, "x.gpx").frames["activities"].height == 1
