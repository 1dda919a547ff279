"""GPX 1.1 activity files written with gpxpy, as Garmin Connect exports them.

Heart rate sits in the Garmin TrackPointExtension (`gpxtpx:hr`), the sport in `<trk><type>`.
Points come every GPX_STEP_S seconds (like a watch in "smart recording" mode) to keep the
committed set small.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import gpxpy.gpx

from sample_data.plan import ActivityPlan
from sample_data.signals import activity_samples, loop_position

#: Seconds between track points.
GPX_STEP_S = 20
#: XML namespace of Garmin's TrackPointExtension v1.
GPXTPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
#: Ground elevation of the loop, m.
ELEVATION_M = 2.0


def _name(act: ActivityPlan) -> str:
    part = "Morning" if act.local_start.hour < 12 else "Evening"
    sport = {"running": "Run", "cycling": "Ride"}.get(act.sport, "Workout")
    return f"{part} {sport}"


def _hr_extension(bpm: int) -> ET.Element:
    ext = ET.Element("gpxtpx:TrackPointExtension")
    ET.SubElement(ext, "gpxtpx:hr").text = str(bpm)
    return ext


def activity_gpx(act: ActivityPlan, rng: random.Random) -> bytes:
    """One session as a GPX 1.1 track with per-point heart rate."""
    gpx = gpxpy.gpx.GPX()
    gpx.nsmap["gpxtpx"] = GPXTPX_NS
    gpx.creator = "Garmin Connect"
    gpx.time = datetime.fromtimestamp(act.start, UTC)
    track = gpxpy.gpx.GPXTrack(name=_name(act))
    track.type = act.sport
    gpx.tracks.append(track)
    segment = gpxpy.gpx.GPXTrackSegment()
    track.segments.append(segment)
    for t, bpm, dist in activity_samples(act, GPX_STEP_S, rng):
        lat, lon = loop_position(dist)
        point = gpxpy.gpx.GPXTrackPoint(
            lat, lon, elevation=ELEVATION_M, time=datetime.fromtimestamp(t, UTC)
        )
        point.extensions.append(_hr_extension(bpm))
        segment.points.append(point)
    return gpx.to_xml(version="1.1", prettyprint=False).encode("utf-8")
