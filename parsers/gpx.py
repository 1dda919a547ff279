"""GPX tracks -> activity heart rate and one activity per track.

XML from the outside is parsed safely: `defusedxml` first refuses DTDs, entity declarations
and external references (gpxpy uses the plain stdlib parser, which would expand entities),
then gpxpy builds the track model. HR is read from every extension seen in the wild:

    <gpxtpx:TrackPointExtension><gpxtpx:hr>74</gpxtpx:hr></...>   Garmin TrackPointExtension
    <ns3:TrackPointExtension><ns3:hr>74</ns3:hr></...>            Garmin Connect export
    <gpxdata:hr>74</gpxdata:hr>                                    cluetrust gpxdata
    <heartrate>74</heartrate>                                      plain (Apple, apps)

A GPX with waypoints or routes only is valid and loads nothing.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import gpxpy
import polars as pl
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from parsers.base import ParsedFile, ParseError, conform
from parsers.fit import profile as fp

#: Local element names that carry heart rate, in any namespace.
HR_TAGS = frozenset({"hr", "heartrate", "heart_rate"})

#: GPX <type> values -> FIT sport names (lower-cased, spaces and dashes as "_").
#: Strava writes numeric codes (1 ride, 4 hike, 9 run, 10 walk, 16 swim, 17 virtual ride).
SPORT_ALIASES = {
    "run": "running",
    "trail_running": "running",
    "treadmill_running": "running",
    "ride": "cycling",
    "biking": "cycling",
    "bike": "cycling",
    "road_biking": "cycling",
    "mountain_biking": "cycling",
    "virtual_ride": "cycling",
    "virtualride": "cycling",
    "indoor_cycling": "cycling",
    "gravel_cycling": "cycling",
    "e_bike_ride": "e_biking",
    "walk": "walking",
    "hike": "hiking",
    "swim": "swimming",
    "open_water_swimming": "swimming",
    "workout": "training",
    "strength_training": "training",
    "weight_training": "training",
    "row": "rowing",
    "nordic_ski": "cross_country_skiing",
    "1": "cycling",
    "4": "hiking",
    "9": "running",
    "10": "walking",
    "16": "swimming",
    "17": "cycling",
}

_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def _text(data: bytes) -> str:
    """Decode as the XML declaration says (gpxpy wants text), BOM stripped."""
    match = _ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    encoding = match.group(1).decode() if match else "utf-8"
    if encoding.lower().replace("-", "") == "utf8":
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ParseError(f"GPX text cannot be decoded as {encoding}: {exc}") from exc


def _check_safe_xml(data: bytes):
    """Refuse DOCTYPE/ENTITY declarations (billion laughs, external entities) and bad XML;
    return the root element."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(f"GPX refused: XML declares a DTD or entities ({exc!r})") from exc
    except SafeET.ParseError as exc:
        raise ParseError(f"malformed GPX XML: {exc}") from exc
    except (LookupError, ValueError) as exc:  # expat: an unknown or multi-byte declared
        raise ParseError(
            f"GPX XML declares a text encoding that cannot be read: {exc}"
        ) from exc  # encoding (`UYF-8`, `UTF-7`)
    if root.tag.rsplit("}", 1)[-1] != "gpx":
        raise ParseError(f"not a GPX file: XML root is <{root.tag}>, expected <gpx>")
    return root


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _hr_of(elem) -> int | None:
    """First HR value below a track point, any namespace or nesting (None if not a number)."""
    for child in elem.iter():
        if child is not elem and _local(child.tag) in HR_TAGS and child.text:
            try:
                return round(float(child.text.strip()))
            except (ValueError, OverflowError):
                return None
    return None


def hr_by_track(root) -> list[list[int | None]]:
    """Heart rate of every track point, per track, read from the XML itself.

    gpxpy reads `<extensions>` only in GPX 1.1; a file declaring `version="1.0"` that
    carries Garmin's TrackPointExtension anyway (Sportractive) would lose its heart rate:
        <gpx version="1.0" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
          <trkpt lat=".." lon=".."><time>..</time><extensions><gpxtpx:TrackPointExtension>
            <gpxtpx:hr>121</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
    """
    return [[_hr_of(point) for point in trk.iter() if _local(point.tag) == "trkpt"]
            for trk in root if _local(trk.tag) == "trk"]


def _utc(ts: datetime | None) -> datetime | None:
    """gpxpy times are aware (or naive when the file omits Z: GPX says UTC anyway)."""
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _hr(point) -> int | None:
    """First HR value in a track point's extensions, any namespace or nesting."""
    for ext in point.extensions:
        for elem in ext.iter():
            if not isinstance(elem.tag, str):
                continue
            if elem.tag.rsplit("}", 1)[-1].lower() in HR_TAGS and elem.text:
                try:
                    return round(float(elem.text.strip()))
                except ValueError:
                    return None
    return None


def normalise_sport(kind: str | None) -> str | None:
    """GPX <type> (free text) -> a FIT sport name where one fits, else the cleaned text."""
    if not kind or not kind.strip():
        return None
    name = re.sub(r"[\s\-]+", "_", kind.strip().lower())
    name = SPORT_ALIASES.get(name, name)
    if fp.enum_value("sport", name) is not None:
        return name
    return None if name.isdigit() else name


#: GPX <type> texts that mean a strength session (FIT: sport training, sub_sport strength).
STRENGTH_TYPES = {"strength_training", "weight_training", "strength", "weights"}


def sub_sport(kind: str | None) -> str | None:
    """`strength_training` for strength sessions, so they count as strength load."""
    if not kind:
        return None
    name = re.sub(r"[\s\-]+", "_", kind.strip().lower())
    return "strength_training" if name in STRENGTH_TYPES else None


def _track_rows(gpx, hr: list[list[int | None]]) -> tuple[list[dict], list[dict]]:
    """Per-point HR samples and per-track activity facts (gpxpy is an object model).

    HR comes from `hr` (the XML's own track points, `hr_by_track`) when it lines up with
    gpxpy's points, else from gpxpy's extensions."""
    samples, tracks = [], []
    for number, track in enumerate(gpx.tracks):
        bounds = track.get_time_bounds()
        start = _utc(bounds.start_time)
        if start is None:
            continue  # a track without times cannot be placed in a night or a day
        points = list(track.walk(only_points=True))
        own = hr[number] if number < len(hr) and len(hr[number]) == len(points) else None
        for i, point in enumerate(points):
            if point.time is not None:
                bpm = own[i] if own is not None else _hr(point)
                samples.append({"track": number, "ts": _utc(point.time), "bpm": bpm})
        tracks.append(
            {
                "track": number,
                "start_ts": start,
                "duration_s": float(track.get_duration() or 0),
                "sport": normalise_sport(track.type),
                "sub_sport": sub_sport(track.type),
                "distance_m": _distance(track),
            }
        )
    return samples, tracks


def _distance(track) -> float | None:
    """2-D track length in m; None when coordinates are off the globe (lon="-1e999" makes
    gpxpy's trigonometry fail or return inf)."""
    try:
        length = float(track.length_2d())
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return length if math.isfinite(length) else None


def _frames(samples: list[dict], tracks: list[dict]) -> dict[str, pl.DataFrame]:
    if not tracks:
        return {}
    schema = {"track": pl.Int64, "ts": fp.KIND_DTYPES[fp.KIND_DATETIME], "bpm": pl.Int64}
    hr = pl.DataFrame(samples, schema=schema).drop_nulls("bpm")
    per_track = hr.group_by("track").agg(
        pl.col("bpm").mean().alias("avg_hr"), pl.col("bpm").max().cast(pl.Float64).alias("max_hr")
    )
    acts = pl.DataFrame(tracks).join(per_track, on="track", how="left", maintain_order="left")
    frames = {
        "heart_rate": conform(hr.with_columns(pl.lit("activity").alias("context")), "heart_rate"),
        "activities": conform(acts, "activities"),
    }
    return {name: frame for name, frame in frames.items() if frame.height}


def parse(data: bytes, name: str = "") -> ParsedFile:
    """Parse GPX bytes; raises ParseError for unsafe or malformed XML."""
    root = _check_safe_xml(data)
    try:
        gpx = gpxpy.parse(_text(data))
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - gpxpy raises many types for bad content
        raise ParseError(f"GPX content not readable: {type(exc).__name__}: {exc}") from exc
    samples, tracks = _track_rows(gpx, hr_by_track(root))
    frames = _frames(samples, tracks)
    if is_apple_route(gpx.creator):
        # <gpx creator="Apple Health Export"> in workout-routes/: the route of a <Workout>
        # that export.xml already holds; loading it as an activity would count it twice
        frames.pop("activities", None)
    return ParsedFile(
        format="gpx",
        frames=frames,
        vendor=_vendor(gpx.creator),
        device=gpx.creator or None,
    )


def is_apple_route(creator: str | None) -> bool:
    """`<gpx creator="Apple Health Export">`: a workout route from Apple's export zip."""
    return bool(creator) and creator.strip().lower().startswith("apple health export")


def _vendor(creator: str | None) -> str | None:
    """A vendor guess from `creator` ("Garmin Connect" -> garmin, "Apple Health Export")."""
    if not creator:
        return None
    first = creator.strip().split()[0].lower() if creator.strip() else ""
    return first or None
