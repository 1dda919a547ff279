"""A study folder mixing every source herstel reads, with planted bad files and, for every
night, the values each source must produce.

    python -m sample_data.vendors.study OUT_DIR [--athletes 50] [--days 60] [--seed 1]
        [--start 2025-11-03] [--no-rr] [--expected-dir DIR] [--workers N]

writes, deterministically (same arguments, same bytes):

    OUT_DIR/athletes.csv                 athlete_id,time_zone,birth_year,sex,hr_max
    OUT_DIR/pNN/...                      one folder per athlete, in the layout its vendor exports
    OUT_DIR/participants_notes.txt       planted: a stray file outside every athlete folder
    EXPECTED_DIR/expected_vendor_nights.csv   athlete_id,night,metric,value,method,source,profile
    EXPECTED_DIR/expected_vendor_files.csv    path,athlete_id,profile,status,format,reason
    (EXPECTED_DIR defaults to OUT_DIR's parent: a study's top level is athlete folders only)

Athletes are dealt round-robin over `PROFILES`, so any study of `len(PROFILES)` (19) or more
athletes holds every source. Each athlete has a plan (`plan_athlete`): per night the stage
runs (whole 5-minute steps, so Oura's hypnogram, Fitbit's 30-s epochs and Apple's records
all hold them exactly), the resting HR and the RMSSD; a few nights are missing, some have an
afternoon nap.
Every vendor file is written from that plan by its source's module beside this one
(`sample_data.vendors.<source>`), and `expected_vendor_nights.csv` says, per athlete-night
and metric (`sleep_hours`, `resting_hr`, `hrv_ms`), which value and `method`
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

import hashlib
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sample_data.plan import local_to_unix, merge_runs, zone
from sample_data.vendors.android import (
    health_connect_export,
    samsung_export,
    withings_export,
    zepp_export,
)
from sample_data.vendors.apple_health import apple_health, apple_routes
from sample_data.vendors.beats.study import beat_to_beat
from sample_data.vendors.common import (
    METRICS,
    MINUTE,
    Expect,
    Member,
    Night,
    Out,
    StudyAthlete,
    Workout,
    csv_text,
    resolve,
)
from sample_data.vendors.elite_hrv import elite_hrv
from sample_data.vendors.fitbit import fitbit
from sample_data.vendors.gadgetbridge import gadgetbridge
from sample_data.vendors.garmin_connect import fit_activity_files, garmin_connect
from sample_data.vendors.garmin_fit import fit_specs, garmin_fit
from sample_data.vendors.google_health import google_health
from sample_data.vendors.hrv4training import hrv4training
from sample_data.vendors.oura import oura, oura_trends
from sample_data.vendors.polar import polar
from sample_data.vendors.whoop import whoop

#: Source profiles, dealt to athletes in this order (athlete i gets PROFILES[i % len(PROFILES)]).
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
    "beat_to_beat",  # Oura + chest-strap RR: Polar .hrm, Suunto .sml, Suunto app JSON in turn
    "gadgetbridge",  # Gadgetbridge.zip: database/Gadgetbridge (3 bands in turn), FIT workouts
    "health_connect",  # health_connect_export.zip: one SQLite file (sample_data.vendors.android)
    "samsung_health",  # samsunghealth_<id>_<stamp>/: CSVs + jsons/ binning files (same module)
    "withings",  # raw_tracker_sleep-state.csv, raw_hr_hr.csv, sleep.csv (same module; no HRV)
    "google_health",  # Google Health Takeout zip: *_GoogleData CSVs + legacy JSON twins
    "zepp",  # <uid>_<stamp>/HEARTRATE_AUTO, SLEEP (+ ACTIVITY, USER unread); sleep hours only
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


NIGHT_COLUMNS = ("athlete_id", "night", "metric", "value", "method", "source", "profile")

FILE_COLUMNS = ("path", "athlete_id", "profile", "status", "format", "reason")


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
    return merge_runs(runs)


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


#: The sources written by one call with nothing else to choose; `_write_mixed` writes the rest.
WRITERS: dict[str, Callable[[StudyAthlete, Expect, Out, random.Random], None]] = {
    "whoop": whoop,
    "oura_trends": oura_trends,
    "fitbit": fitbit,
    "google_health": google_health,
    "beat_to_beat": beat_to_beat,
    "gadgetbridge": gadgetbridge,
    "health_connect": health_connect_export,
    "samsung_health": samsung_export,
    "withings": withings_export,
    "zepp": zepp_export,
}


def _write_mixed(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random, first: bool) -> None:
    """The profiles that write a zip, several sources, or plant a file (`first`: the
    profile's first athlete, who gets the planted one)."""
    match a.profile:
        case "garmin_connect_json":
            garmin_connect(a, ex, out, rng, zipped=False)
        case "garmin_connect_zip":
            garmin_connect(a, ex, out, rng, zipped=True, fit_activities=fit_activity_files(a))
        case "oura":
            oura(a, ex, out, rng, plant_unknown_csv=first)
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
    night_rows = garmin_fit(
        groups.get("garmin_fit", []), study, out, days, seed, start, rr, workers
    )
    fit_facts = fit_specs(groups.get("garmin_fit", []))
    for a in plan.athletes:
        if a.profile == "garmin_fit":
            continue
        ex = Expect(a)
        rng = random.Random(a.seed + 3)
        first = groups[a.profile][0] is a
        if a.profile in WRITERS:
            WRITERS[a.profile](a, ex, out, rng)
        else:
            _write_mixed(a, ex, out, rng, first)
        night_rows += resolve(ex)
    _plant(study, out, groups)
    out.mark_duplicates()
    athletes_csv = [
        [a.athlete_id, *fit_facts.get(a.athlete_id, (a.time_zone, a.birth_year, a.sex, a.hr_max))]
        for a in plan.athletes
    ]
    (study / "athletes.csv").write_text(
        csv_text(("athlete_id", "time_zone", "birth_year", "sex", "hr_max"), athletes_csv),
        encoding="utf-8",
    )
    nights_path = exp_dir / "expected_vendor_nights.csv"
    night_rows.sort(key=lambda r: (r["athlete_id"], str(r["night"]), METRICS.index(r["metric"])))
    nights_path.write_text(
        csv_text(NIGHT_COLUMNS, ([r[c] for c in NIGHT_COLUMNS] for r in night_rows)),
        encoding="utf-8",
    )
    files_path = exp_dir / "expected_vendor_files.csv"
    out.rows.sort(key=lambda r: r["path"])
    files_path.write_text(
        csv_text(FILE_COLUMNS, ([r[c] for c in FILE_COLUMNS] for r in out.rows)), encoding="utf-8"
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


def main(argv: list[str] | None = None) -> int:
    from sample_data.generate import study_arguments  # lazily, as garmin_fit imports it

    s = write_vendor_study(
        *study_arguments(
            argv,
            "python -m sample_data.vendors.study",
            "Write a deterministic study mixing every vendor export herstel reads, with "
            "planted bad files, plus expected_vendor_nights.csv / expected_vendor_files.csv.",
            "Garmin FIT athletes: 5-minute HRV instead of beat intervals",
            (DEFAULT_ATHLETES, DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_START),
        )
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
