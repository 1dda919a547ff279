"""Small study files made in the test, as a user's export or mistake would produce them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from warehouse.db import connect
from warehouse.sql import run

LONG_HEADER = "athlete_id,timestamp,metric,value,unit\n"


def nightly_csv(athlete: str, first: date, nights: int, hrv_ms: float = 80.0) -> str:
    """A long CSV (docs/formats.md) with an `athlete_id` column: per night a resting HR, an
    HRV and a sleep duration, the device values the nightly run falls back to (3 rows/night)."""
    lines = [LONG_HEADER.rstrip("\n")]
    for i in range(nights):
        night = first + timedelta(days=i)
        lines += [
            f"{athlete},{night},resting_hr,50,bpm",
            f"{athlete},{night},hrv_rmssd_ms,{hrv_ms},ms",
            f"{athlete},{night},sleep_hours,7.5,h",
        ]
    return "\n".join(lines) + "\n"


def gpx_with_hr(start: datetime, minutes: int = 10) -> str:
    """A GPX 1.1 run with Garmin TrackPointExtension heart rate, one point a minute."""
    points = "".join(
        f'<trkpt lat="52.{i:04d}" lon="4.{i:04d}"><time>'
        f"{(start + timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time><extensions>"
        f"<gpxtpx:TrackPointExtension><gpxtpx:hr>{120 + i}</gpxtpx:hr>"
        f"</gpxtpx:TrackPointExtension></extensions></trkpt>"
        for i in range(minutes)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>run</name><type>running</type><trkseg>{points}</trkseg></trk></gpx>\n"
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def query(db: Path | str, sql: str, params: list | None = None) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return run(con, sql, params)
    finally:
        con.close()


def execute(db: Path | str, sql: str, params: list | None = None) -> None:
    """Change the warehouse by hand, as an older herstel or a user's SQL would have."""
    con = connect(db)
    try:
        run(con, sql, params)
    finally:
        con.close()


def files(db: Path | str) -> dict[str, tuple]:
    """path -> (athlete_id, status, rows_dropped, dropped_reasons, reason) of every file."""
    rows = query(
        db,
        "SELECT path, athlete_id, status, rows_dropped, dropped_reasons, reason FROM files",
    )
    return {r[0]: r[1:] for r in rows}


def raw_counts(db: Path | str) -> dict[str, int]:
    tables = ("heart_rate", "device_summaries", "activities", "sleep_stages")
    return {t: query(db, f"SELECT count(*) FROM {t}")[0][0] for t in tables}
