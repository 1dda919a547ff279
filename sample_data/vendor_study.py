"""A study folder mixing every source herstel reads, with planted bad files and, for every
night, the values each source must produce.

    python -m sample_data.vendor_study OUT_DIR [--athletes 50] [--days 60] [--seed 1]
                                               [--start 2025-11-03] [--no-rr] [--expected-dir DIR]

writes, deterministically (same arguments, same bytes):

    OUT_DIR/athletes.csv                 athlete_id,time_zone,birth_year,sex,hr_max
    OUT_DIR/pNN/...                      one folder per athlete, in the layout its vendor exports
    OUT_DIR/participants_notes.txt       planted: a stray file outside every athlete folder
    EXPECTED_DIR/expected_vendor_nights.csv   athlete_id,night,metric,value,method,source,profile
    EXPECTED_DIR/expected_vendor_files.csv    path,athlete_id,profile,status,format,reason
    (EXPECTED_DIR defaults to OUT_DIR's parent: a study's top level is athlete folders only)

Athletes are dealt round-robin over `PROFILES`, so any study of 12 or more athletes holds
every source. Each athlete has a plan (`plan_athlete`): per night the stage runs (whole
5-minute steps, so Oura's hypnogram, Fitbit's 30-s epochs and Apple's records all hold them
exactly), the resting HR and the RMSSD; a few nights are missing, some have an afternoon nap.
Every vendor file is written from that plan, and `expected_vendor_nights.csv` says, per
athlete-night and metric (`sleep_hours`, `resting_hr`, `hrv_ms`), which value and `method`
`nightly_metrics` must hold and which `files.format` (`source`) backs it, following
docs/metrics.md and each parser's documented semantics (docs/sources/*.md):

* own computation from raw data first: stage intervals -> `stages`; HR samples in the main
  sleep -> `sleep_hr_30min`; RR/PPI intervals -> `rr_rmssd_5min`; 5-minute device HRV ->
  `device_5min`;
* then the vendor's nightly value -> `device` (sleep, resting HR) / `device_nightly` (HRV).
  Where two files give a device value for one night they give the same value, and `source`
  lists both (`a|b`): which one herstel picks is not part of the contract;
* an empty value means the night must have NO value for that metric (Apple's SDNN is never
  RMSSD, so an Apple-only athlete has no `hrv_ms` at all).

Garmin FIT athletes are written by `sample_data.generate` (their own plans, episodes and
`expected_nights.csv`), moved into this study under their new ids.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import random
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sample_data.plan import local_to_unix, zone

#: Source profiles, dealt to athletes in this order (athlete i gets PROFILES[i % 12]).
PROFILES = (
    "garmin_fit",  # sample_data.generate: wellness + activity FIT (or GPX), questionnaire CSV
    "garmin_connect_json",  # DI_CONNECT sleepData / healthStatusData / UDSFile, loose files
    "garmin_connect_zip",  # the same in the export zip, sleepLevels, nested FIT upload zip
    "whoop",  # physiological_cycles.csv, sleeps.csv (naps), workouts.csv
    "oura",  # sleepmodel.csv (JSON cells), dailysleep.csv, dailyreadiness.csv
    "oura_trends",  # the older cloud trends CSV
    "fitbit",  # Takeout: sleep-*.json, resting_heart_rate-*.json, HRV summary CSV
    "apple_zip",  # export.zip with apple_health_export/export.xml (SDNN only: no hrv_ms)
    "apple_hrv4training",  # export.xml + HRV4Training morning readings (RMSSD)
    "polar_elite_hrv",  # Polar PPI / sleep / training sessions + Elite HRV readings
    "hrv4training",  # HRV4Training alone
    "elite_hrv",  # Elite HRV alone
)
#: Time zones of the athletes not written by sample_data.generate, in turn.
ZONES = (
    "Europe/Amsterdam",
    "America/New_York",
    "Europe/London",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Europe/Berlin",
)
DEFAULT_ATHLETES = 50
DEFAULT_DAYS = 60
DEFAULT_SEED = 1
#: 365 days from here end before 2026-11-03; the first 60 days hold no DST change in any zone.
DEFAULT_START = date(2025, 11, 3)

MINUTE = 60
HOUR = 3600
STEP_S = 300  # 5-minute series (Oura, Apple HR during sleep, hypnogram digits)
ASLEEP = ("light", "deep", "rem")

#: Night plan: quarter-hour sleep totals (exact in floating point), 5-minute runs.
NIGHT_HOURS = (
    5.5,
    6.25,
    6.75,
    7.0,
    7.25,
    7.5,
    7.5,
    7.75,
    7.75,
    8.0,
    8.0,
    8.25,
    8.5,
    8.75,
    9.0,
    9.5,
)
BEDTIMES_MIN = (22 * 60, 22 * 60 + 15, 22 * 60 + 30, 22 * 60 + 45, 23 * 60, 23 * 60 + 15)
MISSING_NIGHT_P = 1 / 14  # watch / ring not worn
NAP_P = 1 / 10
NAP_START_MIN = 14 * 60
NAP_RUNS = (("light", 15), ("deep", 20), ("light", 10))
NO_READING_P = 1 / 10  # mornings without an HRV-app reading
FAILED_READING_P = 1 / 20  # HRV4Training: a reading that failed ("-")
#: The 30-minute resting-HR plateau: starts 60 min into the main period, lasts 45 min.
PLATEAU_OFFSET_S = 60 * MINUTE
PLATEAU_S = 45 * MINUTE
#: Polar PPI (beat-to-beat) is recorded on every PPI_EVERY-th night (index % PPI_EVERY == 1),
#: from the start of the main sleep for PPI_HOURS: >= 25 % of any main period (coverage rule).
PPI_EVERY = 5
PPI_HOURS = 3
#: HRV deviations of paired 5-minute values: each pair averages to the night's value.
PAIR_DEVIATIONS = (4, 6, 2, 8)

NIGHT_COLUMNS = ("athlete_id", "night", "metric", "value", "method", "source", "profile")
FILE_COLUMNS = ("path", "athlete_id", "profile", "status", "format", "reason")
METRICS = ("sleep_hours", "resting_hr", "hrv_ms")
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------- time


def _local(ts: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, tz)


def _offset_s(ts: int, tz: ZoneInfo) -> int:
    off = _local(ts, tz).utcoffset()
    assert off is not None
    return int(off.total_seconds())


def _fmt_offset(seconds: int, colon: bool = True) -> str:
    sign = "-" if seconds < 0 else "+"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}"


def _naive(ts: int, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return _local(ts, tz).strftime(fmt)


def _iso(ts: int, tz: ZoneInfo, ms: bool = True) -> str:
    """`2026-06-01T23:15:00.000+09:00`: local time with its offset."""
    text = _naive(ts, tz, "%Y-%m-%dT%H:%M:%S") + (".000" if ms else "")
    return text + _fmt_offset(_offset_s(ts, tz))


def _gmt(ts: int) -> str:
    """Garmin's GMT stamps: `2026-06-01T21:15:00.0`."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S") + ".0"


def _iso_duration(seconds: int) -> str:
    """`PT7H30M`, `PT45M`, `PT0S`."""
    h, rest = divmod(int(seconds), HOUR)
    m, s = divmod(rest, MINUTE)
    text = "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")
    return text if text != "PT" else "PT0S"


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Night:
    """One planned night (wake-up date `night`); `runs` go from bedtime to out of bed."""

    night: date
    index: int  # day index in the study
    runs: tuple[tuple[str, int, int], ...]  # (stage, start, end): awake lead-in ... final awake
    resting_hr: int  # bpm: the lowest 30-minute mean of HR in the main sleep
    hrv_ms: int  # RMSSD, ms (even: beat series reach it exactly)
    nap: tuple[tuple[str, int, int], ...] = ()  # afternoon nap runs on `night`

    @property
    def bedtime(self) -> int:
        return self.runs[0][1]

    @property
    def out_of_bed(self) -> int:
        return self.runs[-1][2]

    @property
    def main_start(self) -> int:
        return next(r[1] for r in self.runs if r[0] in ASLEEP)

    @property
    def wake(self) -> int:
        """End of the last asleep run: the end of the main sleep period."""
        return [r for r in self.runs if r[0] in ASLEEP][-1][2]

    def seconds(self, stage: str, until: int | None = None) -> int:
        end = self.out_of_bed if until is None else until
        return sum(min(e, end) - s for st, s, e in self.runs if st == stage and s < end)

    @property
    def asleep_s(self) -> int:
        return sum(self.seconds(s) for s in ASLEEP)

    @property
    def sleep_hours(self) -> float:
        return self.asleep_s / HOUR

    def stage_at(self, t: int) -> str:
        for stage, s, e in self.runs:
            if s <= t < e:
                return stage
        return "awake"


@dataclass(frozen=True)
class Workout:
    start: int
    duration_s: int
    kind: str  # run | ride | strength
    avg_hr: int
    max_hr: int
    distance_m: float | None


@dataclass(frozen=True)
class Reading:
    """A morning spot reading of an HRV app."""

    day: date
    ts: int
    hr: int
    rmssd: float
    failed: bool = False


@dataclass(frozen=True)
class StudyAthlete:
    athlete_id: str
    profile: str
    index: int
    time_zone: str
    start: date
    days: int
    birth_year: int
    sex: str
    hr_max: int
    rhr_level: int
    hrv_level: int
    nights: tuple[Night, ...] = ()
    workouts: tuple[Workout, ...] = ()
    no_reading: frozenset[date] = frozenset()
    seed: int = 0

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)

    @property
    def uid(self) -> int:
        return 81_000_000 + 1013 * self.index

    def by_date(self) -> dict[date, Night]:
        return {n.night: n for n in self.nights}


def _asleep_runs(total_min: int, rng: random.Random) -> list[tuple[str, int]]:
    """Sleep cycles in 5-minute steps with exactly `total_min` asleep minutes; short awake
    gaps (5-10 min, they join runs) after the 2nd and 4th cycle."""
    runs: list[tuple[str, int]] = []
    left, cycle = total_min, 0
    while left > 0:
        for stage, base in (
            ("light", 25),
            ("deep", max(10, 40 - 10 * cycle)),
            ("light", 15),
            ("rem", min(35, 15 + 5 * cycle)),
        ):
            minutes = min(left, max(5, base + 5 * rng.randint(-1, 1)))
            runs.append((stage, minutes))
            left -= minutes
            if left == 0:
                break
        cycle += 1
        if cycle in (2, 4) and left > 20:
            runs.append(("awake", rng.choice((5, 10))))
    merged: list[tuple[str, int]] = []
    for stage, minutes in runs:
        if merged and merged[-1][0] == stage:
            merged[-1] = (stage, merged[-1][1] + minutes)
        else:
            merged.append((stage, minutes))
    return merged


def _timed(runs: Iterable[tuple[str, int]], start: int) -> tuple[tuple[str, int, int], ...]:
    out = []
    for stage, minutes in runs:
        out.append((stage, start, start + minutes * MINUTE))
        start += minutes * MINUTE
    return tuple(out)


def plan_athlete(
    athlete_id: str, profile: str, index: int, time_zone: str, start: date, days: int, seed: int
) -> StudyAthlete:
    """Nights, workouts and HRV-app mornings of one athlete, deterministically from `seed`."""
    tz = zone(time_zone)
    base_seed = seed * 1_000_003 + index * 7919 + 17
    rng = random.Random(base_seed)
    rhr_level = 44 + (index * 5) % 13
    hrv_level = 2 * (30 + (index * 7) % 20)
    nights: list[Night] = []
    for i in range(days):
        day = start + timedelta(days=i)
        if i > 0 and rng.random() < MISSING_NIGHT_P:
            continue
        hours = rng.choice(NIGHT_HOURS)
        bedtime = local_to_unix(day - timedelta(days=1), rng.choice(BEDTIMES_MIN), tz)
        plan = [("awake", rng.choice((10, 15, 20)))]
        plan += _asleep_runs(round(hours * 60), rng)
        plan.append(("awake", rng.choice((5, 10))))
        rhr = rhr_level + rng.choice((-1, 0, 0, 1)) + (6 if rng.random() < 0.05 else 0)
        hrv = hrv_level + 2 * rng.randint(-3, 3)
        if rng.random() < 0.04:
            hrv = 48
        nap = (
            _timed(NAP_RUNS, local_to_unix(day, NAP_START_MIN, tz)) if rng.random() < NAP_P else ()
        )
        night = Night(day, i, _timed(plan, bedtime), rhr, hrv, nap)
        assert night.sleep_hours == hours
        nights.append(night)
    workouts = []
    wrng = random.Random(base_seed + 1)
    for i in range(days):
        if wrng.random() < 0.55:
            day = start + timedelta(days=i)
            begin = local_to_unix(
                day, wrng.choice((17 * 60 + 30, 17 * 60 + 45, 18 * 60, 18 * 60 + 30, 19 * 60)), tz
            )
            duration = 5 * MINUTE * wrng.randint(6, 15)
            kind = wrng.choice(("run", "run", "ride", "strength"))
            avg = wrng.randint(105, 120) if kind == "strength" else wrng.randint(128, 156)
            speed = {"run": 2.9, "ride": 7.2}.get(kind)
            distance = round(duration * speed * wrng.uniform(0.9, 1.1), 1) if speed else None
            workouts.append(
                Workout(begin, duration, kind, avg, avg + wrng.randint(14, 30), distance)
            )
    rrng = random.Random(base_seed + 2)
    no_reading = frozenset(
        start + timedelta(days=i) for i in range(days) if rrng.random() < NO_READING_P
    )
    return StudyAthlete(
        athlete_id, profile, index, time_zone, start, days,
        birth_year=1970 + (index * 7) % 35, sex="F" if index % 2 else "M",
        hr_max=176 + (index * 3) % 22, rhr_level=rhr_level, hrv_level=hrv_level,
        nights=tuple(nights), workouts=tuple(workouts), no_reading=no_reading, seed=base_seed,
    )  # fmt: skip


def _chunks(start: date, days: int, size: int) -> list[tuple[date, date]]:
    """[first, last] date ranges of `size` days covering the study (exports split files)."""
    out = []
    for i in range(0, days, size):
        out.append((start + timedelta(days=i), start + timedelta(days=min(i + size, days) - 1)))
    return out


# --------------------------------------------------------------------------- signals


def sleep_hr_series(n: Night, rng: random.Random) -> list[tuple[int, int]]:
    """HR every 5 minutes from bedtime to out of bed: a 45-min plateau at exactly the resting
    HR 60 min into the main sleep, one dip sample 2 bpm lower later in the night (a device's
    'lowest HR'), every other sample at least 2 bpm above the resting HR; so the lowest
    30-minute mean (with HR held up to 4 min per sample) is exactly `resting_hr`."""
    p0 = n.main_start + PLATEAU_OFFSET_S
    p1 = p0 + PLATEAU_S
    dip_after = n.main_start + (n.wake - n.main_start) * 3 // 4
    dip = next(
        (
            t
            for t in range(n.bedtime, n.wake, STEP_S)
            if t >= dip_after and n.stage_at(t) in ASLEEP and not p0 <= t < p1
        ),
        None,
    )
    out = []
    for t in range(n.bedtime, n.out_of_bed, STEP_S):
        if p0 <= t < p1:
            bpm = n.resting_hr
        elif t == dip:
            bpm = n.resting_hr - 2
        elif n.stage_at(t) in ASLEEP:
            bpm = n.resting_hr + rng.randint(2, 6)
        else:
            bpm = n.resting_hr + rng.randint(9, 16)
        out.append((t, bpm))
    return out


def hrv_series(n: Night) -> list[tuple[int, float | None]]:
    """5-minute RMSSD values from bedtime: none before the main sleep, pairs (h-d, h+d) inside
    it (their mean is exactly the night's value), h+10 after it."""
    times = list(range(n.bedtime, n.out_of_bed, STEP_S))
    inside = [t for t in times if n.main_start <= t < n.wake]
    values: dict[int, float | None] = {}
    for k in range(0, len(inside) - 1, 2):
        d = PAIR_DEVIATIONS[(k // 2) % len(PAIR_DEVIATIONS)]
        values[inside[k]], values[inside[k + 1]] = n.hrv_ms - d, n.hrv_ms + d
    if len(inside) % 2:
        values[inside[-1]] = n.hrv_ms
    return [(t, values.get(t) if t < n.wake else n.hrv_ms + 10.0) for t in times]


def morning_readings(a: StudyAthlete, rng: random.Random) -> list[Reading]:
    """One HRV-app reading per morning (a few mornings without), minutes after waking."""
    nights = a.by_date()
    out = []
    for i in range(a.days):
        day = a.start + timedelta(days=i)
        if day in a.no_reading:
            continue
        n = nights.get(day)
        ts = (
            (n.out_of_bed if n else local_to_unix(day, 7 * 60, a.tz))
            + rng.randint(3, 12) * MINUTE
            + rng.randint(0, 59)
        )
        hr = (n.resting_hr if n else a.rhr_level) + rng.randint(2, 5)
        rmssd = round((n.hrv_ms if n else a.hrv_level) * rng.uniform(0.8, 1.15), 1)
        out.append(Reading(day, ts, hr, rmssd, failed=rng.random() < FAILED_READING_P))
    return out


# --------------------------------------------------------------------------- expectations


@dataclass
class Expect:
    """Per athlete-night, the candidate values of each nightly source kind."""

    athlete: StudyAthlete
    values: dict[date, dict[str, list[tuple[float, str]]]] = field(default_factory=dict)
    #: metric -> source label written when a night has no value for it (e.g. Apple SDNN)
    none_note: dict[str, str] = field(default_factory=dict)

    def add(self, night: date, kind: str, value: float, source: str) -> None:
        self.values.setdefault(night, {}).setdefault(kind, []).append((float(value), source))


#: nightly metric -> (candidate kind, method) in docs/metrics.md order: own computation first.
CHAINS = {
    "sleep_hours": (("stages", "stages"), ("dev_sleep_hours", "device")),
    "resting_hr": (("sleep_hr_30min", "sleep_hr_30min"), ("dev_resting_hr", "device")),
    "hrv_ms": (
        ("rr_rmssd_5min", "rr_rmssd_5min"),
        ("device_5min", "device_5min"),
        ("dev_hrv_rmssd_ms", "device_nightly"),
    ),
}
NIGHT_MAKING = ("stages", "dev_sleep_hours", "dev_resting_hr", "dev_hrv_rmssd_ms")


def _resolve(ex: Expect) -> list[dict]:
    rows = []
    for night in sorted(ex.values):
        cand = ex.values[night]
        if not any(cand.get(k) for k in NIGHT_MAKING):
            continue
        for metric in METRICS:
            row = {
                "athlete_id": ex.athlete.athlete_id,
                "night": night,
                "metric": metric,
                "value": "",
                "method": "",
                "source": ex.none_note.get(metric, ""),
                "profile": ex.athlete.profile,
            }
            for kind, method in CHAINS[metric]:
                got = cand.get(kind)
                if got:
                    values = {v for v, _ in got}
                    assert max(values) - min(values) < 1e-9, (ex.athlete.athlete_id, night, got)
                    row.update(
                        value=got[0][0], method=method, source="|".join(sorted({s for _, s in got}))
                    )
                    break
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- output


@dataclass
class Member:
    """A file inside a zip; `members` set: a nested zip built from them."""

    name: str
    data: bytes = b""
    format: str | None = None
    status: str = "loaded"
    reason: str = ""
    members: list[Member] | None = None


def _zip_bytes(members: list[Member]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in members:
            data = _zip_bytes(m.members) if m.members is not None else m.data
            info = zipfile.ZipInfo(m.name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


class Out:
    """Writes an athlete's files and records what herstel must make of each one."""

    def __init__(self, study: Path) -> None:
        self.study = study
        self.rows: list[dict] = []
        self.files = 0
        self.bytes = 0
        self.digests: dict[str, str] = {}  # loose file -> sha256 of its content

    def write(self, rel: str, data: bytes) -> Path:
        path = self.study / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)
        self.digests[rel] = hashlib.sha256(data).hexdigest()
        return path

    def mark_duplicates(self) -> None:
        """herstel identifies a file by its content: the second copy of a content (in its
        discovery order, paths sorted part by part) anywhere in the study is `duplicate`."""
        seen: set[str] = set()
        by_path = {r["path"]: r for r in self.rows}
        for rel in sorted(self.digests, key=lambda r: tuple(r.split("/"))):
            digest = self.digests[rel]
            if digest in seen and rel in by_path:
                by_path[rel].update(status="duplicate", format="", reason="same content as")
            seen.add(digest)

    def expect(
        self,
        rel: str,
        a: StudyAthlete | None,
        fmt: str | None,
        status: str = "loaded",
        reason: str = "",
    ) -> None:
        self.rows.append(
            {
                "path": rel,
                "athlete_id": a.athlete_id if a else "",
                "profile": a.profile if a else "",
                "status": status,
                "format": fmt or "",
                "reason": reason,
            }
        )

    def file(
        self,
        a: StudyAthlete,
        rel: str,
        data: bytes,
        fmt: str | None,
        status: str = "loaded",
        reason: str = "",
    ) -> None:
        self.write(f"{a.athlete_id}/{rel}", data)
        self.expect(f"{a.athlete_id}/{rel}", a, fmt, status, reason)

    def zip(self, a: StudyAthlete, rel: str, members: list[Member]) -> None:
        self.write(f"{a.athlete_id}/{rel}", _zip_bytes(members))
        self._members(a, f"{a.athlete_id}/{rel}", members)

    def _members(self, a: StudyAthlete, prefix: str, members: list[Member]) -> None:
        for m in members:
            if m.members is not None:
                self._members(a, f"{prefix}/{m.name}", m.members)
            else:
                self.expect(f"{prefix}/{m.name}", a, m.format, m.status, m.reason)


def _json(doc: object, indent: int | None = None) -> bytes:
    return json.dumps(doc, indent=indent, ensure_ascii=False).encode()


def _csv(
    header: Iterable[str],
    rows: Iterable[Iterable[object]],
    delimiter: str = ",",
    newline: str = "\n",
) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _stage_seconds(n: Night, until: int | None = None) -> dict[str, int]:
    return {s: n.seconds(s, until) for s in ("deep", "light", "rem", "awake")}


# --------------------------------------------------------------------------- Garmin Connect


def garmin_connect(
    a: StudyAthlete,
    ex: Expect,
    out: Out,
    rng: random.Random,
    zipped: bool,
    fit_activities: list[tuple[str, bytes]] = (),
) -> None:
    """DI_CONNECT day summaries (and, zipped, the nested FIT upload zip)."""
    nights = a.by_date()
    members: list[Member] = []
    for first, last in _chunks(a.start, a.days, 100):
        tag = f"{first}_{last + timedelta(days=1)}"
        sleep, health, uds = [], [], []
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            n = nights.get(day)
            if n is not None:
                st = _stage_seconds(n, n.wake)
                rec = {
                    "sleepStartTimestampGMT": _gmt(n.bedtime),
                    "sleepEndTimestampGMT": _gmt(n.wake),
                    "calendarDate": day.isoformat(),
                    "sleepWindowConfirmationType": "ENHANCED_CONFIRMED_FINAL",
                    "deepSleepSeconds": st["deep"], "lightSleepSeconds": st["light"],
                    "remSleepSeconds": st["rem"], "awakeSleepSeconds": st["awake"],
                    "unmeasurableSeconds": 0, "averageRespiration": 14.0,
                    "lowestRespiration": 11.0, "highestRespiration": 18.0, "retro": False,
                    "sleepScores": {"overallScore": rng.randint(55, 95),
                                    "qualityScore": rng.randint(50, 95)},
                }  # fmt: skip
                if n.index % 23 == 7:  # a retro re-analysis listing the night again, shorter
                    sleep.append({**rec, "deepSleepSeconds": st["deep"] - 1800, "retro": True})
                ex.add(day, "dev_sleep_hours", n.sleep_hours, "garmin_sleep_json")
                if zipped:
                    rec["sleepLevels"] = [
                        {"startGMT": _gmt(s), "endGMT": _gmt(e),
                         "activityLevel": {"deep": 0.0, "light": 1.0, "rem": 2.0}.get(st_, 3.0)}
                        for st_, s, e in n.runs if s < n.wake
                    ]  # fmt: skip
                    rec["avgOvernightHrv"] = float(n.hrv_ms)
                    rec["restingHeartRate"] = n.resting_hr
                    ex.add(day, "stages", n.sleep_hours, "garmin_sleep_json")
                    ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "garmin_sleep_json")
                    ex.add(day, "dev_resting_hr", n.resting_hr, "garmin_sleep_json")
                sleep.append(rec)
                unknown = not zipped and n.index % 17 == 9  # watch says: HRV not measured
                hrv = {
                    "type": "HRV",
                    "value": 0.0 if unknown else float(n.hrv_ms),
                    "status": "UNKNOWN" if unknown else "IN_RANGE",
                    "baselineLowerLimit": a.hrv_level - 12,
                    "baselineUpperLimit": a.hrv_level + 12,
                }
                health.append({"calendarDate": day.isoformat(), "metrics": [
                    hrv, {"type": "HR", "value": float(n.resting_hr), "status": "IN_RANGE"},
                    {"type": "SPO2", "value": 96.0, "status": "IN_RANGE"},
                    {"type": "RESPIRATION", "value": 14.2},
                    {"type": "SKIN_TEMP_C", "value": round(rng.uniform(-0.5, 0.5), 1)},
                ]})  # fmt: skip
                if not unknown:
                    ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "garmin_health_status_json")
                ex.add(day, "dev_resting_hr", n.resting_hr, "garmin_health_status_json")
                ex.add(day, "dev_resting_hr", n.resting_hr, "garmin_uds_json")
            uds.append({
                "userProfilePK": a.uid,
                "calendarDate": {"date": day.isoformat()} if i < 20 else day.isoformat(),
                "uuid": f"{a.uid:x}-{day:%Y%m%d}",
                "totalKilocalories": 2000.0 + rng.randint(0, 900),
                "activeKilocalories": 300.0 + rng.randint(0, 700),
                "totalSteps": rng.randint(2000, 16000),
                "minHeartRate": (n.resting_hr - 3) if n else None,
                "maxHeartRate": rng.randint(130, 180),
                "restingHeartRate": n.resting_hr if n else None,
                "currentDayRestingHeartRate": n.resting_hr if n else None,
                "allDayStress": {"aggregatorList": []},
            })  # fmt: skip
        sleep.append({"retro": False})  # real files end with this stray element
        wellness = "DI_CONNECT/DI-Connect-Wellness"
        members += [
            Member(
                f"{wellness}/{tag}_{a.uid}_sleepData.json", _json(sleep, 2), "garmin_sleep_json"
            ),
            Member(
                f"{wellness}/{tag}_{a.uid}_healthStatusData.json",
                _json(health),
                "garmin_health_status_json",
            ),
            Member(
                f"DI_CONNECT/DI-Connect-Aggregator/UDSFile_{tag}.json",
                _json(uds),
                "garmin_uds_json",
            ),
        ]
    if not zipped:
        for m in members:
            out.file(a, m.name, m.data, m.format)
        return
    summarized = [{"summarizedActivitiesExport": [
        {"activityId": 17_000_000_000 + a.index * 1000 + k, "name": "Running",
         "userProfileId": a.uid}
        for k in range(len(fit_activities))]}]  # fmt: skip
    members.append(
        Member(
            f"DI_CONNECT/DI-Connect-Fitness/{a.uid}_0_summarizedActivities.json",
            _json(summarized),
            None,
            "quarantined",
            "unrecognised format",
        )
    )
    members.append(
        Member(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip",
            members=[Member(name, data, "fit") for name, data in fit_activities],
        )
    )
    out.zip(a, "garmin_connect_export.zip", members)


def fit_activity_files(a: StudyAthlete) -> list[tuple[str, bytes]]:
    """Activity FIT files of `a`'s workouts, written by sample_data's FIT writer."""
    from sample_data.athletes import NAMED
    from sample_data.fit_files import activity_fit
    from sample_data.plan import ActivityPlan

    @dataclass(frozen=True)
    class _FitPlan:  # the two AthletePlan attributes activity_fit reads
        spec: object
        tz: ZoneInfo

    spec = replace(
        NAMED[0],
        athlete_id=a.athlete_id,
        time_zone=a.time_zone,
        serial_number=3_412_200_000 + a.index,
    )
    plan = _FitPlan(spec, a.tz)
    sports = {
        "run": ("running", "road", "easy"),
        "ride": ("cycling", "road", "ride"),
        "strength": ("training", "strength_training", "strength"),
    }
    files = []
    for k, w in enumerate(a.workouts):
        sport, sub, kind = sports[w.kind]
        act = ActivityPlan(
            start=w.start,
            duration_s=w.duration_s,
            sport=sport,
            sub_sport=sub,
            kind=kind,
            local_start=_local(w.start, a.tz).replace(tzinfo=None),
        )
        data = activity_fit(plan, act, k + 1, random.Random(a.seed * 31 + k))
        files.append((f"{a.uid}_{20_000_000_000 + a.index * 10_000 + k}.fit", data))
    return files


# --------------------------------------------------------------------------- WHOOP

WHOOP_CYCLES = (
    "Cycle start time",
    "Cycle end time",
    "Cycle timezone",
    "Recovery score %",
    "Resting heart rate (bpm)",
    "Heart rate variability (ms)",
    "Skin temp (celsius)",
    "Blood oxygen %",
    "Day Strain",
    "Energy burned (cal)",
    "Max HR (bpm)",
    "Average HR (bpm)",
    "Sleep onset",
    "Wake onset",
    "Sleep performance %",
    "Respiratory rate (rpm)",
    "Asleep duration (min)",
    "In bed duration (min)",
    "Light sleep duration (min)",
    "Deep (SWS) duration (min)",
    "REM duration (min)",
    "Awake duration (min)",
    "Sleep need (min)",
    "Sleep debt (min)",
    "Sleep efficiency %",
    "Sleep consistency %",
)
WHOOP_SLEEPS = (
    "Cycle start time",
    "Cycle end time",
    "Cycle timezone",
    "Sleep onset",
    "Wake onset",
    "Sleep performance %",
    "Respiratory rate (rpm)",
    "Asleep duration (min)",
    "In bed duration (min)",
    "Light sleep duration (min)",
    "Deep (SWS) duration (min)",
    "REM duration (min)",
    "Awake duration (min)",
    "Sleep need (min)",
    "Sleep debt (min)",
    "Sleep efficiency %",
    "Sleep consistency %",
    "Nap",
)
WHOOP_WORKOUTS = (
    "Cycle start time",
    "Cycle end time",
    "Cycle timezone",
    "Workout start time",
    "Workout end time",
    "Duration (min)",
    "Activity name",
    "Activity Strain",
    "Energy burned (cal)",
    "Max HR (bpm)",
    "Average HR (bpm)",
    "HR Zone 1 %",
    "HR Zone 2 %",
    "HR Zone 3 %",
    "HR Zone 4 %",
    "HR Zone 5 %",
    "GPS enabled",
    "Distance (meters)",
    "Altitude gain (meters)",
    "Altitude change (meters)",
)


def whoop(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """WHOOP's export CSVs: local wall times, the offset in `Cycle timezone`, newest first."""
    tz, nights = a.tz, a.by_date()

    def t(ts: int) -> str:
        return _naive(ts, tz)

    def zone(ts: int) -> str:
        return "UTC" + _fmt_offset(_offset_s(ts, tz))

    # cycles: one per day, from the night's sleep onset to the next one's
    starts = []
    for i in range(a.days):
        day = a.start + timedelta(days=i)
        n = nights.get(day)
        starts.append(
            (day, n.bedtime if n else local_to_unix(day - timedelta(days=1), 22 * 60 + 30, tz))
        )
    in_progress = local_to_unix(a.start + timedelta(days=a.days - 1), 22 * 60 + 40, tz)
    cycles, sleeps, cycle_of = [], [], {}
    for k, (day, begin) in enumerate(starts):
        end = starts[k + 1][1] if k + 1 < len(starts) else in_progress
        cycle_of[day] = (begin, end)
        n = nights.get(day)
        strain = [
            f"{rng.uniform(4, 18):.1f}",
            str(rng.randint(1800, 3400)),
            str(rng.randint(150, 185)),
            str(rng.randint(62, 80)),
        ]
        if n is None:
            cycles.append([t(begin), t(end), zone(begin), "", "", "", "", "", *strain, *[""] * 14])
            continue
        st = _stage_seconds(n, n.wake)
        mins = [
            n.asleep_s // 60,
            (n.wake - n.bedtime) // 60,
            st["light"] // 60,
            st["deep"] // 60,
            st["rem"] // 60,
            st["awake"] // 60,
        ]
        sleep_cols = [
            t(n.bedtime),
            t(n.wake),
            str(rng.randint(60, 99)),
            "14.6",
            *map(str, mins),
            "480",
            str(rng.randint(0, 90)),
            f"{100 * n.asleep_s / (n.wake - n.bedtime):.1f}",
            str(rng.randint(60, 95)),
        ]
        recovery = [
            str(rng.randint(20, 99)),
            str(n.resting_hr),
            str(n.hrv_ms),
            f"{rng.uniform(33, 35):.2f}",
            f"{rng.uniform(94, 99):.1f}",
        ]
        cycles.append([t(begin), t(end), zone(begin), *recovery, *strain, *sleep_cols])
        sleeps.append([t(begin), t(end), zone(begin), *sleep_cols, "false"])
        if n.nap:
            asleep = sum(e - s for st_, s, e in n.nap if st_ in ASLEEP) // 60
            sleeps.append(
                [
                    t(begin),
                    t(end),
                    zone(begin),
                    t(n.nap[0][1]),
                    t(n.nap[-1][2]),
                    "40",
                    "15.1",
                    str(asleep),
                    str(asleep + 2),
                    "25",
                    "20",
                    "0",
                    "2",
                    "0",
                    "0",
                    "95",
                    "0",
                    "true",
                ]
            )
        ex.add(day, "dev_sleep_hours", n.sleep_hours, "whoop_cycles")
        ex.add(day, "dev_sleep_hours", n.sleep_hours, "whoop_sleeps")
        ex.add(day, "dev_resting_hr", n.resting_hr, "whoop_cycles")
        ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "whoop_cycles")
    cycles.append(
        [
            t(in_progress),
            "",
            zone(in_progress),
            "",
            "",
            "",
            "",
            "",
            "4.2",
            "384",
            "143",
            "68",
            *[""] * 14,
        ]
    )
    names = {"run": "Running", "ride": "Cycling", "strength": "Weightlifting"}
    workouts = []
    for w in a.workouts:
        day = _local(w.start, tz).date()  # the cycle that began with that date's night
        begin, end = cycle_of.get(day, (w.start - 8 * HOUR, w.start + 4 * HOUR))
        zones = [rng.randint(5, 30) for _ in range(5)]
        workouts.append(
            [
                t(begin),
                t(end),
                zone(begin),
                t(w.start),
                t(w.start + w.duration_s),
                str(w.duration_s // 60),
                names[w.kind],
                f"{rng.uniform(5, 17):.1f}",
                str(w.duration_s // 6),
                str(w.max_hr),
                str(w.avg_hr),
                *map(str, zones),
                "false" if w.kind == "strength" else "true",
                "" if w.distance_m is None else f"{w.distance_m:.0f}",
                "" if w.distance_m is None else str(rng.randint(0, 200)),
                "" if w.distance_m is None else str(rng.randint(-20, 20)),
            ]
        )
    out.file(
        a,
        "whoop/physiological_cycles.csv",
        ("\ufeff" + _csv(WHOOP_CYCLES, reversed(cycles))).encode(),
        "whoop_cycles",
    )
    out.file(a, "whoop/sleeps.csv", _csv(WHOOP_SLEEPS, reversed(sleeps)).encode(), "whoop_sleeps")
    out.file(
        a, "whoop/workouts.csv", _csv(WHOOP_WORKOUTS, reversed(workouts)).encode(), "whoop_workouts"
    )


# --------------------------------------------------------------------------- Oura

OURA_SLEEPMODEL = (
    "id",
    "average_breath",
    "average_heart_rate",
    "average_hrv",
    "awake_time",
    "bedtime_end",
    "bedtime_start",
    "day",
    "deep_sleep_duration",
    "efficiency",
    "heart_rate",
    "hrv",
    "latency",
    "light_sleep_duration",
    "low_battery_alert",
    "lowest_heart_rate",
    "movement_30_sec",
    "period",
    "readiness",
    "readiness_score_delta",
    "rem_sleep_duration",
    "restless_periods",
    "sleep_phase_5_min",
    "sleep_score_delta",
    "sleep_algorithm_version",
    "time_in_bed",
    "total_sleep_duration",
    "type",
)
PHASE_DIGIT = {"deep": "1", "light": "2", "rem": "3", "awake": "4"}


def _series_cell(start: int, values: list[float | None], tz: ZoneInfo) -> str:
    items = ", ".join("null" if v is None else f"{float(v):.1f}" for v in values)
    return f'{{"interval": 300.0, "items": [{items}], "timestamp": "{_iso(start, tz)}"}}'


def _oura_period(
    a: StudyAthlete,
    runs: tuple[tuple[str, int, int], ...],
    hr: list[int | None],
    hrv: list[float | None],
    kind: str,
    period: int,
    night: date,
    rid: str,
    rng: random.Random,
    quoted: bool,
) -> str:
    tz = a.tz
    start, end = runs[0][1], runs[-1][2]
    secs = {
        s: sum(e - b for st, b, e in runs if st == s) for s in ("deep", "light", "rem", "awake")
    }
    phases = "".join(PHASE_DIGIT[st] * ((e - s) // STEP_S) for st, s, e in runs)
    hr_cell, hrv_cell = _series_cell(start, hr, tz), _series_cell(start, hrv, tz)
    if quoted:  # some rows have their JSON cells CSV-quoted with doubled quotes
        hr_cell, hrv_cell = ('"' + c.replace('"', '""') + '"' for c in (hr_cell, hrv_cell))
    known_hr = [v for v in hr if v is not None]
    known_hrv = [v for v in hrv if v is not None]
    lead_in = next(s for st, s, _ in runs if st in ASLEEP) - start
    asleep = secs["deep"] + secs["light"] + secs["rem"]
    cells = [
        rid, f"{rng.uniform(13, 16):.2f}".replace(".", ","),
        f"{sum(known_hr) / len(known_hr):.3f}".replace(".", ","),
        str(round(sum(known_hrv) / len(known_hrv))) if kind != "long_sleep" else "",
        str(secs["awake"]), _iso(end, tz), _iso(start, tz), night.isoformat(), str(secs["deep"]),
        str(round(100 * asleep / (end - start))), hr_cell, hrv_cell, str(lead_in),
        str(secs["light"]), "false", str(min(known_hr)), "1" * ((end - start) // 30 // 10),
        str(period), '{"contributors": {"hrv_balance": 80}}', "0", str(secs["rem"]),
        str(rng.randint(3, 20)), phases, "0", "v2", str(end - start), str(asleep), kind,
    ]  # fmt: skip
    return ";".join(cells)


def oura(
    a: StudyAthlete, ex: Expect, out: Out, rng: random.Random, plant_unknown_csv: bool = False
) -> None:
    """Oura's membership-hub export: `;`-separated, JSON series in cells."""
    tz = a.tz
    rows, daily, readiness = [], [], []
    for n in a.nights:
        hr = sleep_hr_series(n, rng)
        hrv = hrv_series(n)
        hr_items: list[int | None] = [None] + [b for _, b in hr[1:]]  # Oura leaves the first null
        hrv_items = [v for _, v in hrv]
        row = _oura_period(
            a,
            n.runs,
            hr_items,
            hrv_items,
            "long_sleep",
            0,
            n.night,
            f"{a.uid:x}-{n.index:04d}",
            rng,
            quoted=False,
        )
        cells = row.split(";")
        cells[OURA_SLEEPMODEL.index("average_hrv")] = str(n.hrv_ms)
        rows.append(";".join(cells))
        lowest = min(b for b in hr_items if b is not None)
        assert lowest == n.resting_hr - 2
        if n.nap:
            nap_len = (n.nap[-1][2] - n.nap[0][1]) // STEP_S
            nap_hr = [None] + [n.resting_hr + 8 + rng.randint(0, 4) for _ in range(nap_len - 1)]
            nap_hrv = [float(n.hrv_ms - 6 + 2 * rng.randint(0, 3)) for _ in range(nap_len)]
            rows.append(
                _oura_period(
                    a,
                    n.nap,
                    nap_hr,
                    nap_hrv,
                    "late_nap",
                    1,
                    n.night,
                    f"{a.uid:x}-{n.index:04d}n",
                    rng,
                    quoted=True,
                )
            )
        if n.index % 11 == 3:  # a period the ring deleted (too short): zeros, not a night
            t0 = n.out_of_bed + 2 * HOUR
            rows.append(
                f"{a.uid:x}-{n.index:04d}d;0;0;0;0;{_iso(t0 + 1800, tz)};{_iso(t0, tz)};"
                f"{n.night};0;0;;;0;0;false;0;;2;;0;0;0;;0;v2;1800;0;deleted"
            )
        ex.add(n.night, "stages", n.sleep_hours, "oura_sleepmodel")
        ex.add(n.night, "sleep_hr_30min", n.resting_hr, "oura_sleepmodel")
        ex.add(n.night, "device_5min", n.hrv_ms, "oura_sleepmodel")
        ex.add(n.night, "dev_sleep_hours", n.sleep_hours, "oura_sleepmodel")
        ex.add(n.night, "dev_resting_hr", lowest, "oura_sleepmodel")
        ex.add(n.night, "dev_hrv_rmssd_ms", n.hrv_ms, "oura_sleepmodel")
        stamp = f"{n.night}T00:00:00.000{_fmt_offset(_offset_s(n.wake, tz))}"
        daily.append(
            f'{a.uid:x}s{n.index};{{"deep_sleep": {rng.randint(50, 99)}, "efficiency": '
            f'{rng.randint(70, 99)}, "total_sleep": {rng.randint(50, 99)}}};{n.night};'
            f"{rng.randint(55, 95)};{stamp}"
        )
        readiness.append(
            f'{a.uid:x}r{n.index};{{"hrv_balance": {rng.randint(40, 99)}, '
            f'"resting_heart_rate": {rng.randint(40, 99)}}};{n.night};'
            f"{rng.randint(50, 95)};{rng.uniform(-0.6, 0.6):.2f}".replace(".", ",")
            + f";{rng.uniform(-0.3, 0.3):.2f}".replace(".", ",")
            + f";{stamp}"
        )
    out.file(
        a,
        "oura/sleepmodel.csv",
        (";".join(OURA_SLEEPMODEL) + "\n" + "\n".join(rows) + "\n").encode(),
        "oura_sleepmodel",
    )
    out.file(
        a,
        "oura/dailysleep.csv",
        ("id;contributors;day;score;timestamp\n" + "\n".join(daily) + "\n").encode(),
        "oura_dailysleep",
    )
    out.file(
        a,
        "oura/dailyreadiness.csv",
        (
            "id;contributors;day;score;temperature_deviation;temperature_trend_deviation;"
            "timestamp\n" + "\n".join(readiness) + "\n"
        ).encode(),
        "oura_readiness",
    )
    if plant_unknown_csv:  # a file of the export herstel does not read
        activity = [
            f"{a.uid:x}a{i};{rng.randint(200, 900)};{{}};{a.start + timedelta(days=i)};"
            f"{rng.randint(2000, 12000)};{rng.randint(50, 99)};{rng.randint(2000, 16000)}"
            for i in range(a.days)
        ]
        out.file(
            a,
            "oura/dailyactivity.csv",
            (
                "id;active_calories;contributors;day;equivalent_walking_distance;score;steps\n"
                + "\n".join(activity)
                + "\n"
            ).encode(),
            None,
            "quarantined",
            "unrecognised format",
        )


OURA_TRENDS = (
    "date",
    "Sleep Score",
    "Total Sleep Score",
    "REM Sleep Score",
    "Deep Sleep Score",
    "Sleep Efficiency Score",
    "Restfulness Score",
    "Sleep Latency Score",
    "Sleep Timing Score",
    "Total Bedtime",
    "Total Sleep Time",
    "Awake Time",
    "REM Sleep Time",
    "Light Sleep Time",
    "Deep Sleep Time",
    "Restless Sleep",
    "Sleep Efficiency",
    "Sleep Latency",
    "Sleep Timing",
    "Sleep Timing",
    "Bedtime Start",
    "Bedtime End",
    "Average Resting Heart Rate",
    "Lowest Resting Heart Rate",
    "Average HRV",
    "Temperature Deviation (°C)",
    "Respiratory Rate",
    "Activity Score",
    "Readiness Score",
)


def oura_trends(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """The older cloud export: one `,`-separated row per date, durations in seconds."""
    tz, nights = a.tz, a.by_date()
    rows = []
    for i in range(a.days):
        day = a.start + timedelta(days=i)
        n = nights.get(day)
        if n is None:
            rows.append([day.isoformat()] + [""] * (len(OURA_TRENDS) - 1))
            continue
        st = _stage_seconds(n)
        scores = [rng.randint(40, 99) for _ in range(8)]
        rows.append([
            day.isoformat(), *scores, n.out_of_bed - n.bedtime, n.asleep_s, st["awake"], st["rem"],
            st["light"], st["deep"], rng.randint(10, 60), rng.randint(80, 97), 900,
            rng.randint(0, 20000), "", _iso(n.bedtime, tz, ms=False),
            _iso(n.out_of_bed, tz, ms=False), f"{n.resting_hr + 3.4:.1f}", n.resting_hr,
            n.hrv_ms, f"{rng.uniform(-0.5, 0.5):.2f}", "14.6", rng.randint(50, 99),
            rng.randint(50, 99),
        ])  # fmt: skip
        ex.add(day, "dev_sleep_hours", n.sleep_hours, "oura_trends")
        ex.add(day, "dev_resting_hr", n.resting_hr, "oura_trends")
        ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "oura_trends")
    last = a.start + timedelta(days=a.days - 1)
    out.file(
        a, f"oura_{a.start}_{last}_trends.csv", _csv(OURA_TRENDS, rows).encode(), "oura_trends"
    )


# --------------------------------------------------------------------------- Fitbit


def _fitbit_time(ts: int, tz: ZoneInfo) -> str:
    return _naive(ts, tz, "%Y-%m-%dT%H:%M:%S") + ".000"


def _fitbit_log(a: StudyAthlete, n: Night, rng: random.Random) -> tuple[dict, int]:
    """The main-sleep log of a night and the seconds of its short wake bouts (`shortData`)."""
    tz = a.tz
    level = {"awake": "wake", "light": "light", "deep": "deep", "rem": "rem"}
    data = [
        {"dateTime": _fitbit_time(s, tz), "level": level[st], "seconds": e - s}
        for st, s, e in n.runs
    ]
    # wake bouts under 3 min, reported apart: 30 s in the first two long light runs
    lights = [s for st, s, e in n.runs if st == "light" and e - s >= 15 * MINUTE][:2]
    short = [
        {"dateTime": _fitbit_time(s + 5 * MINUTE, tz), "level": "wake", "seconds": 30}
        for s in lights
    ]
    short_s = 30 * len(short)
    st = _stage_seconds(n)
    summary = {
        "deep": {"count": 3, "minutes": st["deep"] // 60, "thirtyDayAvgMinutes": 80},
        "wake": {"count": 4, "minutes": (st["awake"] + short_s) // 60, "thirtyDayAvgMinutes": 50},
        "light": {
            "count": 20,
            "minutes": (st["light"] - short_s) // 60,
            "thirtyDayAvgMinutes": 230,
        },
        "rem": {"count": 5, "minutes": st["rem"] // 60, "thirtyDayAvgMinutes": 90},
    }
    log = {
        "logId": 40_000_000_000 + a.index * 100_000 + n.index * 10,
        "dateOfSleep": n.night.isoformat(), "startTime": _fitbit_time(n.bedtime, tz),
        "endTime": _fitbit_time(n.out_of_bed, tz), "duration": (n.out_of_bed - n.bedtime) * 1000,
        "minutesToFallAsleep": (n.main_start - n.bedtime) // 60,
        "minutesAsleep": (n.asleep_s - short_s) // 60,
        "minutesAwake": (st["awake"] + short_s) // 60, "minutesAfterWakeup": 0,
        "timeInBed": (n.out_of_bed - n.bedtime) // 60, "efficiency": rng.randint(85, 97),
        "type": "stages", "infoCode": 0, "logType": "auto_detected",
        "levels": {"summary": summary, "data": data, "shortData": short}, "mainSleep": True,
    }  # fmt: skip
    return log, short_s


def _fitbit_nap(a: StudyAthlete, n: Night) -> dict:
    tz = a.tz
    start, end = n.nap[0][1], n.nap[-1][2]
    return {
        "logId": 40_000_000_000 + a.index * 100_000 + n.index * 10 + 1,
        "dateOfSleep": n.night.isoformat(), "startTime": _fitbit_time(start, tz),
        "endTime": _fitbit_time(end, tz), "duration": (end - start) * 1000,
        "minutesAsleep": (end - start) // 60 - 1, "minutesAwake": 1, "type": "classic",
        "levels": {"summary": {"restless": {"count": 1, "minutes": 1},
                               "awake": {"count": 0, "minutes": 0},
                               "asleep": {"count": 0, "minutes": (end - start) // 60 - 1}},
                   "data": [{"dateTime": _fitbit_time(start, tz), "level": "restless",
                             "seconds": 60},
                            {"dateTime": _fitbit_time(start + 60, tz), "level": "asleep",
                             "seconds": end - start - 60}]},
        "mainSleep": False,
    }  # fmt: skip


def fitbit(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """Google Takeout Fitbit files, one file per 30 days as Takeout splits them."""
    nights = a.by_date()
    gdata = "Takeout/Fitbit/Global Export Data"
    hrv_dir = "Takeout/Fitbit/Heart Rate Variability"
    for first, last in _chunks(a.start, a.days, 30):
        logs, resting, hrv_rows = [], [], []
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            n = nights.get(day)
            stamp = day.strftime("%m/%d/%y")
            if n is None:
                resting.append(
                    {
                        "dateTime": f"{stamp} 00:00:00",
                        "value": {"date": stamp, "value": 0.0, "error": 0.0},
                    }
                )
                continue
            log, short_s = _fitbit_log(a, n, rng)
            logs.append(log)
            if n.nap:
                logs.append(_fitbit_nap(a, n))
            # short wake bouts are carved out of the stage runs: asleep = minutesAsleep
            ex.add(day, "stages", (n.asleep_s - short_s) / HOUR, "fitbit_sleep_json")
            ex.add(day, "dev_sleep_hours", log["minutesAsleep"] / 60, "fitbit_sleep_json")
            no_estimate = n.index % 19 == 4
            bpm = 0.0 if no_estimate else n.resting_hr + rng.uniform(-0.5, 0.5)
            resting.append(
                {
                    "dateTime": f"{stamp} 00:00:00",
                    "value": {
                        "date": stamp,
                        "value": bpm,
                        "error": 0.0 if no_estimate else rng.uniform(3, 9),
                    },
                }
            )
            if not no_estimate:
                ex.add(day, "dev_resting_hr", bpm, "fitbit_resting_hr_json")
            rmssd = round(n.hrv_ms + rng.uniform(-2, 2), 3)
            hrv_rows.append(
                [
                    f"{day}T00:00:00",
                    f"{rmssd:.3f}",
                    f"{n.resting_hr + 1.5:.3f}",
                    f"{rng.uniform(2.2, 2.6):.3f}",
                ]
            )
            ex.add(day, "dev_hrv_rmssd_ms", float(f"{rmssd:.3f}"), "fitbit_hrv_summary_csv")
        logs.reverse()  # Fitbit lists the newest log first
        out.file(
            a,
            f"{gdata}/sleep-{first}.json",
            _json(logs, 2).replace(b'": ', b'" : '),
            "fitbit_sleep_json",
        )
        out.file(
            a, f"{gdata}/resting_heart_rate-{first}.json", _json(resting), "fitbit_resting_hr_json"
        )
        name = f"Daily Heart Rate Variability Summary - {first:%Y-%m}-({first:%d}).csv"
        out.file(
            a,
            f"{hrv_dir}/{name}",
            _csv(("timestamp", "rmssd", "nremhr", "entropy"), hrv_rows).encode(),
            "fitbit_hrv_summary_csv",
        )


# --------------------------------------------------------------------------- Apple Health

APPLE_PROLOG = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 11 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
]>
"""
HKQ = "HKQuantityTypeIdentifier"
HK_SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
HK_SLEEP_VALUE = "HKCategoryValueSleepAnalysis"
#: iOS 16+ stage values; before it only InBed and Asleep were written.
APPLE_STAGES = {"light": "AsleepCore", "deep": "AsleepDeep", "rem": "AsleepREM", "awake": "Awake"}


def _apple_date(ts: int, tz: ZoneInfo) -> str:
    return _naive(ts, tz) + " " + _fmt_offset(_offset_s(ts, tz), colon=False)


def _record(
    kind: str,
    start: int,
    end: int,
    value: str,
    unit: str,
    tz: ZoneInfo,
    source: str = "Apple Watch",
) -> str:
    s, e = _apple_date(start, tz), _apple_date(end, tz)
    unit_attr = f' unit="{unit}"' if unit else ""
    return (
        f' <Record type="{kind}" sourceName="{source}" sourceVersion="10.1"{unit_attr} '
        f'creationDate="{e}" startDate="{s}" endDate="{e}" value="{value}"/>'
    )


def apple_health(a: StudyAthlete, ex: Expect, rng: random.Random) -> bytes:
    """export.xml: HR, resting HR, SDNN spot checks, sleep (old kinds, then iOS 16 stages),
    workouts. Records are grouped by type, as Apple writes them."""
    tz = a.tz
    hr, resting, sdnn, sleep = [], [], [], []
    new_kinds_from = a.days // 2
    for n in a.nights:
        series = sleep_hr_series(n, rng)
        for t, bpm in series:
            hr.append(_record(f"{HKQ}HeartRate", t, t, str(bpm), "count/min", tz))
        day_end = local_to_unix(n.night, 21 * 60, tz)
        for t in range(n.out_of_bed + 20 * MINUTE, day_end, 20 * MINUTE):
            hr.append(_record(f"{HKQ}HeartRate", t, t, str(rng.randint(62, 96)), "count/min", tz))
        resting.append(
            _record(
                f"{HKQ}RestingHeartRate",
                local_to_unix(n.night, 4, tz),
                local_to_unix(n.night, 23 * 60 + 58, tz),
                str(n.resting_hr + 1),
                "count/min",
                tz,
            )
        )
        for minutes in (2 * 60 + 30, 10 * 60, 15 * 60 + 30):  # SDNN: spot readings, not RMSSD
            t = local_to_unix(n.night, minutes, tz)
            sdnn.append(
                _record(
                    f"{HKQ}HeartRateVariabilitySDNN",
                    t,
                    t + 60,
                    f"{n.hrv_ms * 0.7 + rng.uniform(-6, 6):.3f}",
                    "ms",
                    tz,
                )
            )
        sleep.append(
            _record(HK_SLEEP, n.bedtime, n.out_of_bed, f"{HK_SLEEP_VALUE}InBed", "", tz, "iPhone")
        )
        if n.index < new_kinds_from:  # before iOS 16: asleep stretches only, gaps unrecorded
            stretch: list[int] = []
            for st, s, e in (*n.runs, ("awake", n.out_of_bed, n.out_of_bed)):
                if st in ASLEEP:
                    stretch = [stretch[0] if stretch else s, e]
                elif stretch:
                    sleep.append(
                        _record(HK_SLEEP, stretch[0], stretch[1], f"{HK_SLEEP_VALUE}Asleep", "", tz)
                    )
                    stretch = []
            nap_value = f"{HK_SLEEP_VALUE}Asleep"
        else:
            for st, s, e in n.runs:
                sleep.append(_record(HK_SLEEP, s, e, HK_SLEEP_VALUE + APPLE_STAGES[st], "", tz))
            nap_value = f"{HK_SLEEP_VALUE}AsleepUnspecified"
        if n.nap:
            sleep.append(_record(HK_SLEEP, n.nap[0][1], n.nap[-1][2], nap_value, "", tz))
        ex.add(n.night, "stages", n.sleep_hours, "apple_health_xml")
        ex.add(n.night, "sleep_hr_30min", n.resting_hr, "apple_health_xml")
        ex.add(n.night, "dev_resting_hr", n.resting_hr + 1, "apple_health_xml")
    ex.none_note.setdefault("hrv_ms", "apple_health_xml SDNN is not RMSSD")
    workouts = []
    types = {"run": "Running", "ride": "Cycling", "strength": "TraditionalStrengthTraining"}
    for k, w in enumerate(a.workouts):
        s, e = _apple_date(w.start, tz), _apple_date(w.start + w.duration_s, tz)
        old = k % 2 == 0
        dist_attr = (
            f' totalDistance="{w.distance_m / 1000:.3f}" totalDistanceUnit="km"'
            if old and w.distance_m
            else ""
        )
        stats = [
            f'  <WorkoutStatistics type="{HKQ}HeartRate" startDate="{s}" endDate="{e}" '
            f'average="{w.avg_hr}" minimum="{w.avg_hr - 30}" maximum="{w.max_hr}" '
            f'unit="count/min"/>'
        ]
        if not old and w.distance_m:
            kind = "DistanceCycling" if w.kind == "ride" else "DistanceWalkingRunning"
            stats.append(
                f'  <WorkoutStatistics type="{HKQ}{kind}" startDate="{s}" endDate="{e}" '
                f'sum="{w.distance_m / 1000:.3f}" unit="km"/>'
            )
        workouts.append(
            f' <Workout workoutActivityType="HKWorkoutActivityType{types[w.kind]}" '
            f'duration="{w.duration_s / 60:g}" durationUnit="min"{dist_attr} '
            f'sourceName="Apple Watch" sourceVersion="10.1" creationDate="{e}" startDate="{s}" '
            f'endDate="{e}">\n  <MetadataEntry key="HKTimeZone" value="{a.time_zone}"/>\n'
            + "\n".join(stats)
            + "\n </Workout>"
        )
    export_date = _apple_date(local_to_unix(a.start + timedelta(days=a.days), 9 * 60, tz), tz)
    body = [
        '<HealthData locale="en_GB">',
        f' <ExportDate value="{export_date}"/>',
        f' <Me HKCharacteristicTypeIdentifierDateOfBirth="{a.birth_year}-05-01" '
        f'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSex'
        f'{"Female" if a.sex == "F" else "Male"}"/>',
        *hr,
        *resting,
        *sdnn,
        *sleep,
        *workouts,
        "</HealthData>",
        "",
    ]
    return (APPLE_PROLOG + "\n".join(body)).encode()


def apple_routes(a: StudyAthlete, rng: random.Random) -> list[Member]:
    """`workout-routes/route_*.gpx`: the GPS track of each outdoor workout, as export.zip
    holds them (no heart rate; herstel currently loads each as a second activity)."""
    members = []
    for w in a.workouts:
        if w.distance_m is None:
            continue
        points = []
        for k in range(0, w.duration_s + 1, 60):
            when = datetime.fromtimestamp(w.start + k, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            lat, lon = 52.358 + 0.0004 * math.sin(k / 600), 4.8686 + 0.0006 * math.cos(k / 600)
            points.append(
                f'   <trkpt lon="{lon:.6f}" lat="{lat:.6f}"><ele>{rng.uniform(0, 5):.1f}'
                f"</ele><time>{when}</time><extensions><speed>"
                f"{w.distance_m / w.duration_s:.2f}</speed><hAcc>3.0</hAcc>"
                "</extensions></trkpt>"
            )
        local = _local(w.start, a.tz)
        stamp = local.strftime("%Y-%m-%d_%I.%M%p").lower().replace("_0", "_")
        gpx = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Apple Health '
            'Export" xmlns="http://www.topografix.com/GPX/1/1">\n <trk><name>Route '
            f"{local:%Y-%m-%d %H:%M}</name><trkseg>\n"
            + "\n".join(points)
            + "\n </trkseg></trk>\n</gpx>\n"
        )
        members.append(
            Member(f"apple_health_export/workout-routes/route_{stamp}.gpx", gpx.encode(), "gpx")
        )
    return members


# --------------------------------------------------------------------------- Polar, HRV apps


def polar(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """Polar Flow export JSON: sleep results (hypnogram), PPI on some nights, sessions."""
    tz, nights = a.tz, a.by_date()
    states = {
        "deep": ["NONREM3"],
        "rem": ["REM"],
        "awake": ["WAKE"],
        "light": ["NONREM2", "NONREM1"],
    }
    for first, last in _chunks(a.start, a.days, 30):
        records = []
        for i in range((last - first).days + 1):
            n = nights.get(first + timedelta(days=i))
            if n is None:
                continue
            st = _stage_seconds(n)
            changes = [
                {
                    "offsetFromStart": _iso_duration(s - n.bedtime),
                    "state": states[stage][k % len(states[stage])],
                }
                for k, (stage, s, _) in enumerate(n.runs)
            ]
            records.append({
                "night": n.night.isoformat(),
                "evaluation": {
                    "sleepType": "SLEEP_PLUS_STAGES",
                    "sleepSpan": _iso_duration(n.out_of_bed - n.bedtime),
                    "asleepDuration": _iso_duration(n.asleep_s), "age": 2026 - a.birth_year,
                    "analysis": {"efficiencyPercent": round(100 * n.asleep_s / (n.out_of_bed -
                                                            n.bedtime), 2)},
                    "interruptions": {"totalDuration": _iso_duration(st["awake"]),
                                      "totalCount": sum(1 for r in n.runs if r[0] == "awake")},
                    "phaseDurations": {"wake": _iso_duration(st["awake"]),
                                       "rem": _iso_duration(st["rem"]),
                                       "light": _iso_duration(st["light"]),
                                       "deep": _iso_duration(st["deep"]), "unknown": "PT0S"},
                },
                "sleepResult": {"hypnogram": {
                    "sleepStart": _iso(n.bedtime, tz, ms=False),
                    "sleepEnd": _iso(n.out_of_bed, tz, ms=False), "sleepStartOffset": 0,
                    "sleepEndOffset": 0, "rating": "SLEPT_WELL", "sleepStateChanges": changes,
                }},
            })  # fmt: skip
            ex.add(n.night, "stages", n.sleep_hours, "polar_sleep_json")
        out.file(a, f"polar/sleep_result_{first}.json", _json(records), "polar_sleep_json")
    for n in a.nights:
        if n.index % PPI_EVERY == 1:
            out.file(a, f"polar/ppi_samples_{n.night}.json", _ppi(a, n, rng), "polar_ppi_json")
            ex.add(n.night, "rr_rmssd_5min", n.hrv_ms, "polar_ppi_json")
    sports = {"run": "RUNNING", "ride": "CYCLING", "strength": "STRENGTH_TRAINING"}
    for k, w in enumerate(a.workouts):
        start = _naive(w.start, tz, "%Y-%m-%dT%H:%M:%S") + ".000"
        stop = _naive(w.start + w.duration_s, tz, "%Y-%m-%dT%H:%M:%S") + ".000"
        offset_min = _offset_s(w.start, tz) // 60
        session = {
            "exportVersion": "1.6", "name": sports[w.kind].title(), "startTime": start,
            "stopTime": stop, "timeZoneOffset": offset_min,
            **({"distance": w.distance_m} if w.distance_m else {}),
            "duration": f"PT{w.duration_s}.000S", "maximumHeartRate": w.max_hr,
            "averageHeartRate": w.avg_hr, "kiloCalories": w.duration_s // 6,
            "exercises": [{"startTime": start, "stopTime": stop, "timezoneOffset": offset_min,
                           "duration": f"PT{w.duration_s}.000S", "sport": sports[w.kind],
                           "heartRate": {"min": w.avg_hr - 35, "avg": w.avg_hr,
                                         "max": w.max_hr}}],
        }  # fmt: skip
        day = _local(w.start, tz).date()
        out.file(
            a,
            f"polar/training-session-{day}-{k:04d}.json",
            _json(session, 2),
            "polar_training_session_json",
        )


def _ppi(a: StudyAthlete, n: Night, rng: random.Random) -> bytes:
    """Beat-to-beat intervals: a restless lead-in (some blocked by motion), then from the start
    of the main sleep for PPI_HOURS alternating m+h/2, m-h/2: every successive difference is
    +-h, so every 5-minute RMSSD is exactly the night's HRV h."""
    tz = a.tz
    mean = round(60000 / (n.resting_hr + 4))
    half = n.hrv_ms // 2
    samples: list[tuple[int, int, bool]] = []  # (ms since epoch, interval ms, blocked)
    t = n.bedtime * 1000
    while t < n.main_start * 1000 - 2000:
        rr = mean - 150 + rng.randint(-60, 60)
        t += rr
        samples.append((t, rr, rng.random() < 0.1))
    t = n.main_start * 1000
    end = (n.main_start + PPI_HOURS * HOUR) * 1000
    k = 0
    while t < end:
        rr = mean + (half if k % 2 == 0 else -half)
        t += rr
        samples.append((t, rr, False))
        k += 1
    by_day: dict[str, list[dict]] = {}
    for ms, rr, blocked in samples:
        local = datetime.fromtimestamp(ms / 1000, tz)
        by_day.setdefault(local.date().isoformat(), []).append({
            "sampleDateTime": local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}",
            "pulseLength": rr, "errorEstimate": rng.randint(5, 15), "blocker": blocked,
            "skinContact": True,
        })  # fmt: skip
    doc = [
        {"date": d, "devicePpiSamplesList": [{"deviceId": f"{a.uid:08X}"[-8:], "ppiSamples": s}]}
        for d, s in sorted(by_day.items())
    ]
    return _json(doc)


HRV4T_HEADER = (
    "date",
    "timestamp_measurement",
    "HR",
    "AVNN",
    "SDNN",
    "rMSSD",
    "pNN50",
    "LF",
    "HF",
    "HRV4T_Recovery_Points",
    "sleep_time",
    "sleep_quality",
    "mental_energy",
    "muscle_soreness",
    "fatigue",
    "training",
    "trainingRPE",
)


def hrv4training(a: StudyAthlete, ex: Expect, rng: random.Random, european: bool) -> bytes:
    """Morning readings; a failed one is `-`; some evenings a retake (never the night's)."""
    tz = a.tz
    rows = []
    for k, r in enumerate(morning_readings(a, rng)):
        avnn = round(60000 / r.hr, 1)
        values = ["-", "-"] if r.failed else [str(r.hr), f"{r.rmssd:.1f}"]
        row = [
            r.day.isoformat(),
            _naive(r.ts, tz),
            values[0],
            f"{avnn:.1f}",
            f"{r.rmssd * 0.8:.1f}",
            values[1],
            f"{rng.uniform(10, 50):.1f}",
            f"{rng.uniform(500, 2000):.1f}",
            f"{rng.uniform(500, 2000):.1f}",
            f"{rng.uniform(5, 9):.1f}",
            f"{rng.uniform(6, 9):.1f}",
            str(rng.randint(3, 9)),
            str(rng.randint(3, 9)),
            str(rng.randint(1, 6)),
            str(rng.randint(1, 6)),
            rng.choice(("Run", "Bike", "Rest", "Strength")),
            str(rng.randint(1, 9)),
        ]
        if k % 13 == 5:
            row = row[:6]  # ragged: the app left the trailing cells out
        rows.append(row)
        if not r.failed:
            ex.add(r.day, "dev_resting_hr", r.hr, "hrv4training_csv")
            ex.add(r.day, "dev_hrv_rmssd_ms", r.rmssd, "hrv4training_csv")
            if k % 9 == 4:  # an evening retake: later that day, never the morning value
                retake = local_to_unix(r.day, 18 * 60 + 30, tz)
                rows.append(
                    [
                        r.day.isoformat(),
                        _naive(retake, tz),
                        str(r.hr + 12),
                        f"{avnn - 150:.1f}",
                        "40.0",
                        f"{r.rmssd * 0.6:.1f}",
                        "12.0",
                        "800.0",
                        "600.0",
                        "6.0",
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                    ]
                )
    if not european:
        return _csv(HRV4T_HEADER, rows).encode()
    # a European phone: BOM, `;`, decimal commas, no timestamp column, CRLF
    keep = [0, 2, 3, 4, 5, 6, 7, 8, 9]
    eu = [[row[i].replace(".", ",") if i else row[i] for i in keep if i < len(row)] for row in rows]
    return ("\ufeff" + _csv([HRV4T_HEADER[i] for i in keep], eu, ";", "\r\n")).encode()


ELITE_HEADER = (
    "Date Time Start",
    "Date Time End",
    "Reading Type",
    "Position",
    "Tags",
    "Notes",
    "HRV",
    "Morning Readiness",
    "HR",
    "HRV CV",
    "ln(RMSSD)",
    "RMSSD",
    "NN50",
    "PNN50",
    "SDNN",
    "Low Frequency Power",
    "High Frequency Power",
    "LF/HF Ratio",
    "Total Power",
)


def elite_hrv(a: StudyAthlete, ex: Expect, rng: random.Random) -> bytes:
    """Elite HRV readings: Morning Readiness each morning, some open readings by day; `HRV`
    is Elite's 0-100 score, never milliseconds."""
    tz = a.tz
    rows = []

    def reading(ts: int, kind: str, hr: int, rmssd: float, tags: str = "") -> list[str]:
        ln = math.log(rmssd)
        return [
            _naive(ts, tz),
            _naive(ts + 150, tz),
            kind,
            "Lying Down" if "Morning" in kind else "Sitting",
            tags,
            "",
            str(round(ln * 15.385)),
            str(rng.randint(3, 9)),
            str(hr),
            f"{rng.uniform(3, 7):.1f}",
            f"{ln:.2f}",
            f"{rmssd:.1f}",
            str(rng.randint(5, 60)),
            f"{rng.uniform(5, 40):.1f}",
            f"{rmssd * 0.9:.1f}",
            "900",
            "1500",
            "0.6",
            "2600",
        ]

    for k, r in enumerate(morning_readings(a, rng)):
        if r.failed:
            continue
        rows.append(
            reading(r.ts, "Morning Readiness", r.hr, r.rmssd, "sick, tired" if k % 17 == 3 else "")
        )
        ex.add(r.day, "dev_resting_hr", r.hr, "elite_hrv_csv")
        ex.add(r.day, "dev_hrv_rmssd_ms", r.rmssd, "elite_hrv_csv")
        if k % 6 == 2:  # an open reading at lunch: not the night's
            rows.append(
                reading(
                    local_to_unix(r.day, 12 * 60 + 30, tz),
                    "Open Reading",
                    r.hr + 20,
                    round(r.rmssd * 0.5, 1),
                )
            )
        if k % 10 == 7:  # a second morning reading a few minutes later: the first counts
            rows.append(reading(r.ts + 600, "Morning Readiness", r.hr + 3, round(r.rmssd * 0.9, 1)))
    return ("\ufeff" + _csv(ELITE_HEADER, rows)).encode()


# --------------------------------------------------------------------------- Garmin FIT


def _garmin_fit(
    athletes: list[StudyAthlete],
    study: Path,
    out: Out,
    days: int,
    seed: int,
    start: date,
    rr: bool,
    workers: int | None,
) -> list[dict]:
    """Write the Garmin FIT athletes with sample_data.generate and move them in; returns
    their expected rows and fixes their athletes.csv facts (time zone etc.)."""
    from sample_data.athletes import athlete_specs
    from sample_data.generate import generate

    rows: list[dict] = []
    if not athletes:
        return rows
    specs = athlete_specs(len(athletes))
    with tempfile.TemporaryDirectory(prefix="herstel-vendor-fit-") as tmp:
        gen_dir, exp_dir = Path(tmp) / "study", Path(tmp) / "expected"
        generate(
            gen_dir,
            athletes=len(athletes),
            days=days,
            seed=seed,
            start=start,
            rr=rr,
            expected_dir=exp_dir,
            workers=workers,
        )
        with (exp_dir / "expected_nights.csv").open(encoding="utf-8") as fh:
            planned = list(csv.DictReader(fh))
        for a, spec in zip(athletes, specs, strict=True):
            target = study / a.athlete_id
            shutil.move(str(gen_dir / spec.athlete_id), str(target))
            for path in sorted(p for p in target.rglob("*") if p.is_file()):
                rel = path.relative_to(study).as_posix()
                fmt = {".fit": "fit", ".gpx": "gpx"}.get(path.suffix.lower())
                out.files += 1
                out.bytes += path.stat().st_size
                out.digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
                out.expect(rel, a, fmt)
            hrv_method = "rr_rmssd_5min" if rr and spec.hrv_source == "rr" else "device_5min"
            for row in planned:
                if row["athlete_id"] != spec.athlete_id:
                    continue
                for metric, method in (
                    ("sleep_hours", "stages"),
                    ("resting_hr", "sleep_hr_30min"),
                    ("hrv_ms", hrv_method),
                ):
                    rows.append(
                        {
                            "athlete_id": a.athlete_id,
                            "night": row["night"],
                            "metric": metric,
                            "value": float(row[metric]),
                            "method": method,
                            "source": "fit",
                            "profile": a.profile,
                        }
                    )
    return rows


def _fit_specs(athletes: list[StudyAthlete]) -> dict[str, tuple[str, int, str, int]]:
    """athletes.csv facts of the FIT athletes: they keep the generator's zones and profiles."""
    from sample_data.athletes import athlete_specs

    return {
        a.athlete_id: (s.time_zone, s.birth_year, s.sex, s.hr_max)
        for a, s in zip(athletes, athlete_specs(len(athletes)), strict=False)
    }


# --------------------------------------------------------------------------- planted files


def _plant(study: Path, out: Out, by_profile: dict[str, list[StudyAthlete]]) -> None:
    """The files the summary must have something to say about."""
    out.write("participants_notes.txt", b"p01-p12: pilot group; consent forms on the share\n")
    out.expect("participants_notes.txt", None, None, "quarantined", "not inside an athlete folder")
    if fit := by_profile.get("garmin_fit"):
        a = fit[0]
        acts = sorted((study / a.athlete_id / "activities").glob("*.fit"))
        if len(acts) >= 2:  # a download cut short: the data before the cut is kept
            victim = acts[1]
            data = victim.read_bytes()
            cut = data[: len(data) * 2 // 5]
            victim.write_bytes(cut)
            out.bytes -= len(data) - len(cut)
            out.digests[victim.relative_to(study).as_posix()] = hashlib.sha256(cut).hexdigest()
            rel = victim.relative_to(study).as_posix()
            row = next(r for r in out.rows if r["path"] == rel)
            row.update(status="partial", reason="truncated")
        day = a.start + timedelta(days=1)
        broken = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Strava">'
            b"<trk><name>Morning Run</name><type>running</type><trkseg>"
            b'<trkpt lat="52.1" lon="4.9"><time>'
            + f"{day}T06:10:00Z".encode()
            + b"</time></trkseg></trk></gpx>\n"
        )
        out.file(
            a, f"activities/{day}-07-10-00.gpx", broken, None, "quarantined", "malformed GPX XML"
        )
    if wh := by_profile.get("whoop"):
        a = wh[0]
        src = study / a.athlete_id / "whoop" / "physiological_cycles.csv"
        out.file(
            a,
            "whoop (1)/physiological_cycles.csv",
            src.read_bytes(),
            None,
            "duplicate",
            "same content as",
        )


# --------------------------------------------------------------------------- study


@dataclass(frozen=True)
class Roster:
    athletes: list[StudyAthlete]

    def by_profile(self) -> dict[str, list[StudyAthlete]]:
        out: dict[str, list[StudyAthlete]] = {}
        for a in self.athletes:
            out.setdefault(a.profile, []).append(a)
        return out


def roster(athletes: int, days: int, seed: int, start: date) -> Roster:
    """Who is in the study and their plans (cheap: no files)."""
    if athletes < 1 or days < 1:
        raise ValueError("a study needs at least one athlete and one day")
    out = []
    for i in range(athletes):
        profile = PROFILES[i % len(PROFILES)]
        zone = ZONES[(i + i // len(PROFILES)) % len(ZONES)]
        out.append(plan_athlete(f"p{i + 1:02d}", profile, i, zone, start, days, seed))
    return Roster(out)


def write_vendor_study(
    out_dir: Path | str,
    athletes: int = DEFAULT_ATHLETES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    rr: bool = True,
    expected_dir: Path | str | None = None,
    workers: int | None = None,
) -> dict:
    """Write the study to `out_dir` and its expectations to `expected_dir` (default: parent).

    Returns a summary: counts, bytes, seconds, the athletes of each profile and the paths of
    `expected_vendor_nights.csv` / `expected_vendor_files.csv`. `rr=False` makes the Garmin
    FIT athletes write 5-minute HRV instead of beat intervals (smaller, same values).
    """
    t0 = time.perf_counter()
    study = Path(out_dir)
    study.mkdir(parents=True, exist_ok=True)
    exp_dir = Path(expected_dir) if expected_dir else study.parent
    exp_dir.mkdir(parents=True, exist_ok=True)
    plan = roster(athletes, days, seed, start)
    groups = plan.by_profile()
    for a in plan.athletes:
        shutil.rmtree(study / a.athlete_id, ignore_errors=True)
    out = Out(study)
    night_rows = _garmin_fit(
        groups.get("garmin_fit", []), study, out, days, seed, start, rr, workers
    )
    fit_facts = _fit_specs(groups.get("garmin_fit", []))
    for a in plan.athletes:
        if a.profile == "garmin_fit":
            continue
        ex = Expect(a)
        rng = random.Random(a.seed + 3)
        first = groups[a.profile][0] is a
        match a.profile:
            case "garmin_connect_json":
                garmin_connect(a, ex, out, rng, zipped=False)
            case "garmin_connect_zip":
                garmin_connect(a, ex, out, rng, zipped=True, fit_activities=fit_activity_files(a))
            case "whoop":
                whoop(a, ex, out, rng)
            case "oura":
                oura(a, ex, out, rng, plant_unknown_csv=first)
            case "oura_trends":
                oura_trends(a, ex, out, rng)
            case "fitbit":
                fitbit(a, ex, out, rng)
            case "apple_zip":
                out.zip(
                    a,
                    "export.zip",
                    [
                        Member(
                            "apple_health_export/export.xml",
                            apple_health(a, ex, rng),
                            "apple_health_xml",
                        ),
                        *apple_routes(a, rng),
                    ],
                )
            case "apple_hrv4training":
                out.file(
                    a,
                    "apple_health_export/export.xml",
                    apple_health(a, ex, rng),
                    "apple_health_xml",
                )
                ex.none_note.pop("hrv_ms", None)
                out.file(
                    a,
                    "HRV4Training/hrv4training_export.csv",
                    hrv4training(a, ex, rng, european=a.index % 2 == 1),
                    "hrv4training_csv",
                )
            case "polar_elite_hrv":
                polar(a, ex, out, rng)
                out.file(
                    a, "elite_hrv/elite_hrv_export.csv", elite_hrv(a, ex, rng), "elite_hrv_csv"
                )
            case "hrv4training":
                out.file(
                    a,
                    "hrv4training_export.csv",
                    hrv4training(a, ex, rng, european=a.index % 2 == 1),
                    "hrv4training_csv",
                )
            case "elite_hrv":
                out.file(a, "elite_hrv_readings.csv", elite_hrv(a, ex, rng), "elite_hrv_csv")
        night_rows += _resolve(ex)
    _plant(study, out, groups)
    out.mark_duplicates()
    athletes_csv = [
        [a.athlete_id, *fit_facts.get(a.athlete_id, (a.time_zone, a.birth_year, a.sex, a.hr_max))]
        for a in plan.athletes
    ]
    (study / "athletes.csv").write_text(
        _csv(("athlete_id", "time_zone", "birth_year", "sex", "hr_max"), athletes_csv),
        encoding="utf-8",
    )
    nights_path = exp_dir / "expected_vendor_nights.csv"
    night_rows.sort(key=lambda r: (r["athlete_id"], str(r["night"]), METRICS.index(r["metric"])))
    nights_path.write_text(
        _csv(NIGHT_COLUMNS, ([r[c] for c in NIGHT_COLUMNS] for r in night_rows)), encoding="utf-8"
    )
    files_path = exp_dir / "expected_vendor_files.csv"
    out.rows.sort(key=lambda r: r["path"])
    files_path.write_text(
        _csv(FILE_COLUMNS, ([r[c] for c in FILE_COLUMNS] for r in out.rows)), encoding="utf-8"
    )
    return {
        "out_dir": study,
        "athletes": len(plan.athletes),
        "days": days,
        "files": out.files + 1,  # + athletes.csv
        "records": len(out.rows),  # files rows herstel must write (zip members, not zips)
        "bytes": out.bytes + (study / "athletes.csv").stat().st_size,
        "seconds": time.perf_counter() - t0,
        "profiles": {p: [a.athlete_id for a in groups.get(p, [])] for p in PROFILES},
        "time_zones": {
            a.athlete_id: row[1] for a, row in zip(plan.athletes, athletes_csv, strict=True)
        },
        "expected_nights": nights_path,
        "expected_files": files_path,
    }


#: `nightly_metrics` columns of each metric: value, method, file the value came from.
NIGHTLY_COLUMNS = {
    "sleep_hours": ("sleep_hours", "sleep_method", "sleep_file_id"),
    "resting_hr": ("resting_hr", "resting_hr_method", "resting_hr_file_id"),
    "hrv_ms": ("hrv_ms", "hrv_method", "hrv_file_id"),
}


def read_expected_nights(path: Path | str):
    """expected_vendor_nights.csv as a polars frame (`value` null where none is expected)."""
    import polars as pl

    return pl.read_csv(
        path,
        schema_overrides={
            "night": pl.Date,
            "value": pl.Float64,
            "method": pl.String,
            "source": pl.String,
        },
    )


def compare_nights(expected, nightly, files, tolerance: float = 1e-6):
    """Rows of `expected` (see `read_expected_nights`) that `nightly_metrics` does not match,
    plus nights `nightly_metrics` has and the plan has not, each with a `problem`.

    `nightly`: the `nightly_metrics` table; `files`: `files` (`file_id`, `format`), to name
    the format a value came from. Empty result: every night, value, method and source match.
    """
    import polars as pl

    keys = ["athlete_id", "night", "metric"]
    fmt = files.select("file_id", pl.col("format").alias("got_source")).unique("file_id")
    athletes = expected["athlete_id"].unique().implode()
    got = pl.concat([
        nightly.filter(pl.col("athlete_id").is_in(athletes)).select(
            "athlete_id", pl.col("night").cast(pl.Date), pl.lit(metric).alias("metric"),
            pl.col(v).cast(pl.Float64).alias("got_value"), pl.col(m).alias("got_method"),
            pl.col(f).alias("file_id"), pl.lit(True).alias("_got"),
        ).join(fmt, on="file_id", how="left").drop("file_id")
        for metric, (v, m, f) in NIGHTLY_COLUMNS.items()
    ])  # fmt: skip
    both = expected.with_columns(pl.lit(True).alias("_planned")).join(
        got, on=keys, how="full", coalesce=True
    )
    value_ok = (pl.col("value").is_null() & pl.col("got_value").is_null()) | (
        (pl.col("value") - pl.col("got_value")).abs() <= tolerance
    )
    sources = pl.col("source").fill_null("").str.split("|")
    problem = (
        pl.when(pl.col("_planned").is_null()).then(pl.lit("night not planned"))
        .when(pl.col("_got").is_null()).then(pl.lit("night missing"))
        .when(~value_ok.fill_null(False)).then(pl.lit("value"))
        .when(pl.col("method").fill_null("") != pl.col("got_method").fill_null(""))
        .then(pl.lit("method"))
        .when(pl.col("value").is_not_null()
              & ~sources.list.contains(pl.col("got_source").fill_null("")))
        .then(pl.lit("source"))
    )  # fmt: skip
    return (
        both.with_columns(problem.alias("problem"))
        .filter(pl.col("problem").is_not_null())
        .drop("_planned", "_got")
        .sort(keys)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m sample_data.vendor_study",
        description="Write a deterministic study mixing every vendor export herstel reads, "
        "with planted bad files, plus expected_vendor_nights.csv / expected_vendor_files.csv.",
    )
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--athletes", type=int, default=DEFAULT_ATHLETES)
    ap.add_argument("--days", type=int, default=DEFAULT_DAYS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START)
    ap.add_argument(
        "--no-rr",
        dest="rr",
        action="store_false",
        help="Garmin FIT athletes: 5-minute HRV instead of beat intervals",
    )
    ap.add_argument("--expected-dir", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    s = write_vendor_study(
        args.out_dir,
        args.athletes,
        args.days,
        args.seed,
        args.start,
        args.rr,
        args.expected_dir,
        args.workers,
    )
    print(
        f"{s['athletes']} athletes, {s['files']} files ({s['records']} files rows expected), "
        f"{s['bytes'] / 1e6:.1f} MB in {s['seconds']:.1f} s -> {s['out_dir']}; "
        f"expectations: {s['expected_nights'].parent}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
