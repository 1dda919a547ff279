"""The plumbing every study writer shares: the plan's records (`Night`, `Workout`, `Reading`,
`StudyAthlete`), the signals derived from a night (HR and 5-minute RMSSD series, HRV-app
mornings), time formatting (local wall times, offsets, ISO durations), what a night must
produce (`Expect`, resolved in docs/metrics.md order by `resolve`) and the output side
(`Out` writes files and records each one's expected `files` row; `Member`/`zip_bytes` build
zips with fixed timestamps, `ZIP_TIME`, so the same arguments give the same bytes).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sample_data.plan import local_to_unix, zone

MINUTE = 60

HOUR = 3600

STEP_S = 300  # 5-minute series (Oura, Apple HR during sleep, hypnogram digits)

ASLEEP = ("light", "deep", "rem")


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


METRICS = ("sleep_hours", "resting_hr", "hrv_ms")

ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def local_time(ts: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, tz)


def offset_s(ts: int, tz: ZoneInfo) -> int:
    off = local_time(ts, tz).utcoffset()
    assert off is not None
    return int(off.total_seconds())


def fmt_offset(seconds: int, colon: bool = True) -> str:
    sign = "-" if seconds < 0 else "+"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}"


def naive(ts: int, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return local_time(ts, tz).strftime(fmt)


def iso(ts: int, tz: ZoneInfo, ms: bool = True) -> str:
    """`2026-06-01T23:15:00.000+09:00`: local time with its offset."""
    text = naive(ts, tz, "%Y-%m-%dT%H:%M:%S") + (".000" if ms else "")
    return text + fmt_offset(offset_s(ts, tz))


def gmt(ts: int) -> str:
    """Garmin's GMT stamps: `2026-06-01T21:15:00.0`."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S") + ".0"


def iso_duration(seconds: int) -> str:
    """`PT7H30M`, `PT45M`, `PT0S`."""
    h, rest = divmod(int(seconds), HOUR)
    m, s = divmod(rest, MINUTE)
    text = "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")
    return text if text != "PT" else "PT0S"


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


def chunks(start: date, days: int, size: int) -> list[tuple[date, date]]:
    """[first, last] date ranges of `size` days covering the study (exports split files)."""
    out = []
    for i in range(0, days, size):
        out.append((start + timedelta(days=i), start + timedelta(days=min(i + size, days) - 1)))
    return out


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


def resolve(ex: Expect) -> list[dict]:
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


@dataclass
class Member:
    """A file inside a zip; `members` set: a nested zip built from them."""

    name: str
    data: bytes = b""
    format: str | None = None
    status: str = "loaded"
    reason: str = ""
    members: list[Member] | None = None


def zip_bytes(members: list[Member]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in members:
            data = zip_bytes(m.members) if m.members is not None else m.data
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
        self.write(f"{a.athlete_id}/{rel}", zip_bytes(members))
        self._members(a, f"{a.athlete_id}/{rel}", members)

    def _members(self, a: StudyAthlete, prefix: str, members: list[Member]) -> None:
        for m in members:
            if m.members is not None:
                self._members(a, f"{prefix}/{m.name}", m.members)
            else:
                self.expect(f"{prefix}/{m.name}", a, m.format, m.status, m.reason)


def json_bytes(doc: object, indent: int | None = None) -> bytes:
    return json.dumps(doc, indent=indent, ensure_ascii=False).encode()


def csv_text(
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


def stage_seconds(n: Night, until: int | None = None) -> dict[str, int]:
    return {s: n.seconds(s, until) for s in ("deep", "light", "rem", "awake")}
