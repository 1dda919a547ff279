"""Issue 13 point 4 on a real file: a Garmin Edge 810 ride (corpus) and the GPX that Strava
would export of the same ride (written here with gpxpy from the ride's own heart-rate
records, a point every 5 s) are one session for load."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import gpxpy.gpx
import polars as pl
import pytest

from metrics.load import activity_trimp, daily_metrics
from metrics.sessions import link_duplicates
from parsers.registry import parse_file

GPXTPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"


def strava_gpx(hr: pl.DataFrame) -> bytes:
    gpx = gpxpy.gpx.GPX()
    gpx.nsmap["gpxtpx"] = GPXTPX
    gpx.creator = "StravaGPX"
    track = gpxpy.gpx.GPXTrack(name="Afternoon Ride")
    track.type = "cycling"
    gpx.tracks.append(track)
    seg = gpxpy.gpx.GPXTrackSegment()
    track.segments.append(seg)
    for i, (ts, bpm) in enumerate(hr.select("ts", "bpm").iter_rows()):
        if i % 5:
            continue
        point = gpxpy.gpx.GPXTrackPoint(52.0 + i * 1e-5, 5.0, elevation=1.0, time=ts)
        ext = ET.Element("gpxtpx:TrackPointExtension")
        ET.SubElement(ext, "gpxtpx:hr").text = str(bpm)
        point.extensions.append(ext)
        seg.points.append(point)
    return gpx.to_xml(version="1.1").encode()


def frames(parsed, file_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    tag = [pl.lit("rider").alias("athlete_id"), pl.lit(file_id).alias("file_id")]
    return (parsed.frames["activities"].with_columns(tag),
            parsed.frames["heart_rate"].with_columns(tag))  # fmt: skip


@pytest.mark.hostile
def test_edge_ride_and_its_strava_gpx_count_once(corpus):
    fit = parse_file(corpus / "fit_activity" / "garmin_edge810_vector.fit")
    fit_acts, fit_hr = frames(fit, "edge810")
    gpx = parse_file(strava_gpx(fit_hr), "Afternoon_Ride.gpx")
    gpx_acts, gpx_hr = frames(gpx, "strava")
    people = pl.DataFrame({"athlete_id": ["rider"], "time_zone": ["UTC"], "hr_max": [190.0]})
    acts = pl.concat([fit_acts, gpx_acts], how="diagonal_relaxed")
    scored = activity_trimp(acts, pl.concat([fit_hr, gpx_hr]), people)
    assert scored["trimp_method"].to_list() == ["banister_hr", "banister_hr"]
    linked = link_duplicates(scored)
    # the Edge recording is the longer one (its session's elapsed time): it counts
    assert linked["counts_for_load"].to_list() == [True, False]
    assert linked["duplicate_of"].to_list() == [None, "edge810"]
    day = daily_metrics(linked, people)
    assert day["load_trimp"].to_list() == pytest.approx([scored["trimp"][0]])
    # both recordings score nearly the same: counted twice the day would read ~2x
    assert scored["trimp"][1] == pytest.approx(scored["trimp"][0], rel=0.02)
