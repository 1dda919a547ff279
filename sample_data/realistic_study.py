"""A small study of six realistic athletes for the flags a coach should (not) see (issue 13).

Each athlete has `NIGHTS` nights from `START` (a Monday) in Europe/Amsterdam, across the spring
clock change, written as real files the parsers read:

- nights: one long CSV per athlete (docs/formats.md, "Long CSV"): sleep stages, heart rate
  every 5 minutes in bed with a 60-minute plateau at the night's resting HR, and the
  device's 5-minute RMSSD values (alternating value -2 / +2 ms, so their mean is the night's
  planned value exactly: `hrv_method = device_5min`);
- sessions: FIT activity files with a record every 5 s (a watch), FIT files holding only the
  session summary with its average HR (a phone app: `activities.avg_hr`, no HR samples), or a
  GPX with HR every 20 s (a second recording of a ride, as a Strava export).

Who is who (what each must show: tests/flows/test_realistic_athletes.py, docs/rules.md):

- `wrist_low_hrv`: usual RMSSD 21-29 ms from a wrist device; 12 ms on 4 nights from
  night `DROP_FROM` (0-based);
- `steady`: RMSSD 79-81 ms; a -1.6 % dip on `DIP_NIGHTS` nights from night `DIP_FROM`;
- `switcher`: the same rides every week; weeks before `SWITCH_WEEK` from a phone app
  (average HR only), then a watch;
- `double`: every ride recorded twice, a watch FIT and a GPX starting 30 s later;
- `holiday`: no sessions in weeks `HOLIDAY_WEEKS`;
- `walker`: rides 6 days a week; on Mondays only a recorded 15-minute walk.

Deterministic: the same bytes every run (one seeded `random.Random` per athlete).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sample_data.fit_files import SOFTWARE_VERSION, Timeline, _encode, fit_ts
from sample_data.gpx_files import activity_gpx
from sample_data.plan import ActivityPlan
from sample_data.signals import activity_samples

ZONE = "Europe/Amsterdam"
START = date(2026, 1, 5)  # first wake-up date, a Monday
NIGHTS = 120
SEED = 13
ATHLETES = ("wrist_low_hrv", "steady", "switcher", "double", "holiday", "walker")
#: athletes.csv facts shared by all: age 36 (no `older` profile), so HRmax 190 is given.
BIRTH_YEAR, SEX, HR_MAX = 1990, "M", 190

#: Stage runs of every night (minutes), from 23:00 local: 7.5 h asleep, no awake time.
NIGHT_STAGES = (("light", 90), ("deep", 60), ("rem", 30), ("light", 90), ("deep", 30),
                ("rem", 60), ("light", 90))
BED_LOCAL = time(23, 0)
#: Heart rate in bed is the night's resting HR + this, except a plateau at the resting HR.
IN_BED_ABOVE_REST_BPM = 8
PLATEAU_FROM_MIN, PLATEAU_MIN = 240, 60
HR_EVERY_MIN = 5
RESTING_HR_BPM = {"wrist_low_hrv": 54, "steady": 48}
DEFAULT_RESTING_HR_BPM = 50

#: Night RMSSD = level + offset by weekday (Monday first); offsets sum to zero.
WEEKDAY_OFFSETS_MS = (0, 4, -2, 2, -4, 2, -2)
STEADY_OFFSETS_MS = (0, 1, -1, 1, -1, 1, -1)
HRV_LEVEL_MS = {"wrist_low_hrv": 25, "steady": 80}
DEFAULT_HRV_LEVEL_MS = 85
#: wrist_low_hrv's real drop: nights DROP_FROM .. DROP_FROM + 3 (0-based) at DROP_MS.
DROP_FROM, DROP_NIGHTS, DROP_MS = 90, 4, 12.0
#: steady's dip: the usual value x (1 - 1.6 %) on DIP_NIGHTS nights from DIP_FROM.
DIP_FROM, DIP_NIGHTS, DIP_SHARE = 80, 6, 0.984

#: Usual week: (weekday, minutes) of the rides, at 18:00 local; Monday = 0.
USUAL_RIDES = ((1, 60), (3, 60), (5, 90), (6, 60))
#: walker: rides Tuesday to Sunday, a 15-minute walk on Mondays at 12:00.
WALKER_RIDES = ((1, 60), (2, 45), (3, 60), (4, 45), (5, 90), (6, 60))
WALK_MIN, WALK_BPM = 15, 95
SESSION_LOCAL, WALK_LOCAL = time(18, 0), time(12, 0)
#: switcher: weeks (0-based from START) before this one come from a phone app.
SWITCH_WEEK = 8
#: holiday: weeks (0-based) without sessions.
HOLIDAY_WEEKS = (8, 9)
#: double: the GPX of each ride starts this much later and ends with the watch's file.
SECOND_RECORDING_LAG_S = 30


@dataclass(frozen=True)
class Session:
    start: int  # Unix s
    duration_s: int
    kind: str  # ride | walk
    source: str  # watch | phone | watch+gpx


def night_dates() -> list[date]:
    return [START + timedelta(days=i) for i in range(NIGHTS)]


def night_hrv_ms(athlete: str, index: int) -> float:
    """The planned RMSSD of night `index` (0-based), ms."""
    night = START + timedelta(days=index)
    offsets = STEADY_OFFSETS_MS if athlete == "steady" else WEEKDAY_OFFSETS_MS
    value = float(HRV_LEVEL_MS.get(athlete, DEFAULT_HRV_LEVEL_MS) + offsets[night.weekday()])
    if athlete == "wrist_low_hrv" and DROP_FROM <= index < DROP_FROM + DROP_NIGHTS:
        return DROP_MS
    if athlete == "steady" and DIP_FROM <= index < DIP_FROM + DIP_NIGHTS:
        return round(value * DIP_SHARE, 2)
    return value


def resting_hr_bpm(athlete: str) -> int:
    return RESTING_HR_BPM.get(athlete, DEFAULT_RESTING_HR_BPM)


def _iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def night_rows(athlete: str, index: int) -> list[tuple[str, str, str, str, str]]:
    """(timestamp, metric, value, unit, context) rows of one night."""
    night = START + timedelta(days=index)
    bed = int(datetime.combine(night - timedelta(days=1), BED_LOCAL, ZoneInfo(ZONE)).timestamp())
    rows, t = [], bed
    for stage, minutes in NIGHT_STAGES:
        rows.append((_iso(t), "sleep_stage", stage, "", ""))
        t += minutes * 60
    wake = t
    rows.append((_iso(wake), "sleep_stage", "end", "", ""))
    rest = resting_hr_bpm(athlete)
    plateau = (bed + PLATEAU_FROM_MIN * 60, bed + (PLATEAU_FROM_MIN + PLATEAU_MIN) * 60)
    for t in range(bed, wake, HR_EVERY_MIN * 60):
        bpm = rest if plateau[0] <= t < plateau[1] else rest + IN_BED_ABOVE_REST_BPM
        rows.append((_iso(t), "heart_rate", str(bpm), "bpm", "sleep"))
    hrv = night_hrv_ms(athlete, index)
    for k, t in enumerate(range(bed, wake, 300)):
        value = hrv - 2 if k % 2 == 0 else hrv + 2  # an even count of windows: mean = hrv
        rows.append((_iso(t + 150), "hrv_rmssd", f"{value:g}", "ms", ""))
    return rows


def write_nights(athlete: str, path: Path) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(("timestamp", "metric", "value", "unit", "context"))
        for i in range(NIGHTS):
            out.writerows(night_rows(athlete, i))


def sessions(athlete: str) -> list[Session]:
    """Every recorded session of the athlete, in time order."""
    tz = ZoneInfo(ZONE)
    rides = WALKER_RIDES if athlete == "walker" else USUAL_RIDES
    out = []
    for week in range(NIGHTS // 7 + 1):
        if athlete == "holiday" and week in HOLIDAY_WEEKS:
            continue
        monday = START + timedelta(weeks=week)
        source = {"double": "watch+gpx", "switcher": "phone" if week < SWITCH_WEEK else "watch"}
        if athlete == "walker":
            start = int(datetime.combine(monday, WALK_LOCAL, tz).timestamp())
            out.append(Session(start, WALK_MIN * 60, "walk", "watch"))
        for weekday, minutes in rides:
            day = monday + timedelta(days=weekday)
            start = int(datetime.combine(day, SESSION_LOCAL, tz).timestamp())
            out.append(Session(start, minutes * 60, "ride", source.get(athlete, "watch")))
    last = START + timedelta(days=NIGHTS - 1)  # no session after the last night's day
    return [s for s in out if datetime.fromtimestamp(s.start, tz).date() <= last]


def _samples(s: Session, step_s: int, rng: random.Random) -> list[tuple[int, int, float]]:
    if s.kind == "walk":
        return [(s.start + k, WALK_BPM + rng.choice((-1, 0, 1)), round(1.4 * k, 2))
                for k in range(0, s.duration_s + 1, step_s)]
    plan = ActivityPlan(s.start, s.duration_s, "cycling", "road", "ride",
                        datetime.fromtimestamp(s.start, ZoneInfo(ZONE)).replace(tzinfo=None))
    return activity_samples(plan, step_s, rng)


def session_fit(s: Session, samples: list[tuple[int, int, float]], records: bool,
                serial: int) -> bytes:
    """An activity FIT: a watch's (records every 5 s) or a phone app's (session only)."""
    maker = ("garmin", 4315) if records else ("strava", 1)  # fr965 | a phone app
    sport = ("cycling", "road") if s.kind == "ride" else ("walking", "generic")
    header = [
        ("FILE_ID", {"type": "activity", "manufacturer": maker[0], "product": maker[1],
                     "serial_number": serial, "time_created": fit_ts(s.start), "number": 1}),
        ("DEVICE_INFO", {"timestamp": fit_ts(s.start), "device_index": 0,
                         "manufacturer": maker[0], "product": maker[1],
                         "serial_number": serial, "software_version": SOFTWARE_VERSION}),
    ]
    tl = Timeline()
    if records:
        for t, bpm, dist in samples:
            tl.add(t * 1000, 1, "RECORD", {"timestamp": fit_ts(t), "heart_rate": bpm,
                                           "distance": dist})
    end = s.start + s.duration_s
    hrs = [bpm for _, bpm, _ in samples]
    tl.add(end * 1000, 4, "SESSION", {
        "message_index": 0, "timestamp": fit_ts(end), "event": "session", "event_type": "stop",
        "start_time": fit_ts(s.start), "sport": sport[0], "sub_sport": sport[1],
        "total_elapsed_time": float(s.duration_s), "total_timer_time": float(s.duration_s),
        "avg_heart_rate": int(sum(hrs) / len(hrs) + 0.5), "max_heart_rate": max(hrs),
        "total_distance": samples[-1][2],
    })  # fmt: skip
    return _encode(header, tl)


def write_sessions(athlete: str, folder: Path, rng: random.Random, serial: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for s in sessions(athlete):
        name = datetime.fromtimestamp(s.start, ZoneInfo(ZONE)).strftime("%Y-%m-%d-%H-%M")
        samples = _samples(s, 5, rng)
        (folder / f"{name}.fit").write_bytes(
            session_fit(s, samples, records=s.source != "phone", serial=serial))
        if s.source == "watch+gpx":
            lag = SECOND_RECORDING_LAG_S
            local = datetime.fromtimestamp(s.start + lag, ZoneInfo(ZONE)).replace(tzinfo=None)
            plan = ActivityPlan(s.start + lag, s.duration_s - lag, "cycling", "road", "ride",
                                local)
            (folder / f"{name}-strava.gpx").write_bytes(activity_gpx(plan, rng))


def generate(out_dir: Path | str) -> Path:
    """Write the study (athletes.csv and one folder per athlete) to `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "athletes.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("athlete_id", "time_zone", "birth_year", "sex", "hr_max"))
        w.writerows((a, ZONE, BIRTH_YEAR, SEX, HR_MAX) for a in ATHLETES)
    for i, athlete in enumerate(ATHLETES):
        folder = out / athlete
        folder.mkdir(exist_ok=True)
        write_nights(athlete, folder / "nights.csv")
        write_sessions(athlete, folder / "activities", random.Random(SEED * 100 + i),
                       serial=3_413_000_000 + i)
    return out


if __name__ == "__main__":
    import sys

    print(generate(sys.argv[1] if len(sys.argv) > 1 else "realistic_study"))
