"""Generate a study of real-format watch exports with planted episodes.

    python -m sample_data.generate OUT_DIR [--athletes N] [--days D] [--seed S]
                                           [--start DATE] [--no-rr] [--expected-dir DIR]

writes, deterministically (same arguments, same bytes):

    OUT_DIR/athletes.csv                          athlete_id,time_zone,birth_year,sex,hr_max
    OUT_DIR/<athlete>/wellness/<night>_WELLNESS.fit   one per night (FIT monitoring_b)
    OUT_DIR/<athlete>/activities/<local start>.fit|.gpx
    OUT_DIR/<athlete>/questionnaire.csv           day,fatigue,mood,motivation,stress,...
    OUT_DIR/<athlete>/lab/results.csv             day,marker,value,unit (athletes with labs)
    EXPECTED_DIR/expected_nights.csv, expected_flags.csv   (default: OUT_DIR's parent)

The committed sample set is exactly `python -m sample_data.generate sample_data/study`.
Expectations go outside OUT_DIR because a study folder's top level is read as athlete folders
plus athletes.csv. Each athlete folder that is generated is replaced as a whole; nothing else
in OUT_DIR is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sample_data.athletes import AthleteSpec, athlete_specs
from sample_data.expected import write_csv, write_expected
from sample_data.fit_files import DayContext, activity_fit, wellness_fit
from sample_data.gpx_files import activity_gpx
from sample_data.plan import AthletePlan, file_rng, plan_athlete, plan_wellness

DEFAULT_ATHLETES = 3
DEFAULT_DAYS = 70
DEFAULT_SEED = 1
DEFAULT_START = date(2026, 9, 1)
#: Below this many athlete-days one process is faster than starting a pool.
PARALLEL_FROM_ATHLETE_DAYS = 1000

ATHLETE_COLUMNS = ("athlete_id", "time_zone", "birth_year", "sex", "hr_max")
LAB_COLUMNS = ("day", "marker", "value", "unit")
QUESTIONNAIRE_COLUMNS = (
    "day",
    "fatigue",
    "mood",
    "motivation",
    "stress",
    "soreness",
    "sleep_quality",
)
#: Devices average over this many recent nights for their own summaries.
DEVICE_WINDOW_NIGHTS = 7


@dataclass(frozen=True)
class Summary:
    """What one `generate` call wrote."""

    out_dir: Path
    athletes: int
    files: int
    bytes: int
    seconds: float
    expected_nights: Path
    expected_flags: Path


def plans_for(athletes: int, days: int, seed: int, start: date) -> list[AthletePlan]:
    """The plans of a study (cheap: no files)."""
    if days < 1:
        raise ValueError("days must be >= 1")
    return [
        plan_athlete(spec, start, days, seed, i) for i, spec in enumerate(athlete_specs(athletes))
    ]


_rng = file_rng


def _rolling(values: list[int]) -> int:
    recent = values[-DEVICE_WINDOW_NIGHTS:]
    return int(sum(recent) / len(recent) + 0.5)


def wellness_files(plan: AthletePlan, rr: bool) -> dict[str, bytes]:
    """File name -> bytes of every wellness FIT file of one athlete."""
    source = plan.spec.hrv_source if rr else "hrv_value"
    out = {}
    rhrs: list[int] = []
    hrvs: list[int] = []
    for night in plan.nights:
        rhrs.append(night.resting_hr)
        hrvs.append(night.hrv_ms)
        end = plan.file_end[night.night]
        ctx = DayContext(
            file_end=end,
            activities=tuple(a for a in plan.activities if night.bedtime <= a.start < end),
            rhr_7day=_rolling(rhrs),
            hrv_weekly=_rolling(hrvs),
            hrv_source=source,
            sitting=plan.sitting_day(night.night),
        )
        name = f"{night.night.isoformat()}_WELLNESS.fit"
        out[name] = wellness_fit(plan, night, ctx, _rng(plan, 1, night.day_index))
    return out


def activity_files(plan: AthletePlan) -> dict[str, bytes]:
    """File name (local start time, as watches name them) -> bytes of every session."""
    out = {}
    for i, act in enumerate(plan.activities):
        stem = act.local_start.strftime("%Y-%m-%d-%H-%M-%S")
        if plan.spec.activity_format == "gpx":
            out[f"{stem}.gpx"] = activity_gpx(act, _rng(plan, 2, i))
        else:
            out[f"{stem}.fit"] = activity_fit(plan, act, i + 1, _rng(plan, 2, i))
    return out


def questionnaire_rows(plan: AthletePlan) -> list[dict]:
    """Daily self-reports (1-10), as planned (`sample_data.plan.plan_wellness`)."""
    return plan_wellness(plan)


def lab_rows(plan: AthletePlan) -> list[dict]:
    """The athlete's blood values as the lab wrote them (marker names and units vary)."""
    return [{"day": d, "marker": m, "value": f"{v:g}", "unit": u} for d, m, v, u in plan.labs]


def write_athlete(plan: AthletePlan, out_dir: Path, rr: bool) -> tuple[int, int]:
    """Replace one athlete's folder; returns (files, bytes)."""
    folder = out_dir / plan.spec.athlete_id
    if folder.exists():
        shutil.rmtree(folder)
    files = 0
    size = 0
    for sub, content in (
        ("wellness", wellness_files(plan, rr)),
        ("activities", activity_files(plan)),
    ):
        (folder / sub).mkdir(parents=True)
        for name, data in content.items():
            (folder / sub / name).write_bytes(data)
            files += 1
            size += len(data)
    q = folder / "questionnaire.csv"
    write_csv(q, QUESTIONNAIRE_COLUMNS, questionnaire_rows(plan))
    files, size = files + 1, size + q.stat().st_size
    if plan.labs:
        (folder / "lab").mkdir()
        lab = folder / "lab" / "results.csv"
        write_csv(lab, LAB_COLUMNS, lab_rows(plan))
        files, size = files + 1, size + lab.stat().st_size
    return files, size


def _write_one(args: tuple[AthleteSpec, date, int, int, int, Path, bool]) -> tuple[int, int]:
    spec, start, days, seed, index, out_dir, rr = args
    return write_athlete(plan_athlete(spec, start, days, seed, index), out_dir, rr)


def write_athletes_csv(specs: list[AthleteSpec], out_dir: Path) -> Path:
    path = out_dir / "athletes.csv"
    write_csv(path, ATHLETE_COLUMNS, ({c: getattr(s, c) for c in ATHLETE_COLUMNS} for s in specs))
    return path


def generate(
    out_dir: Path | str,
    athletes: int = DEFAULT_ATHLETES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    rr: bool = True,
    expected_dir: Path | str | None = None,
    workers: int | None = None,
) -> Summary:
    """Write a study to `out_dir` and its expectations to `expected_dir` (default: parent).

    `rr=False` writes five-minute HRV values (FIT 371) instead of beat intervals for the RR
    athletes: files ~10x smaller, same expected markers. `workers` processes write athletes in
    parallel (default: all cores for big studies); the bytes do not depend on it.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plans = plans_for(athletes, days, seed, start)  # validates every plan before writing
    specs = [p.spec for p in plans]
    if workers is None:
        big = athletes * days >= PARALLEL_FROM_ATHLETE_DAYS
        workers = (os.cpu_count() or 1) if big else 1
    jobs = [(s, start, days, seed, i, out_dir, rr) for i, s in enumerate(specs)]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            results = list(pool.map(_write_one, jobs))
    else:
        results = [write_athlete(p, out_dir, rr) for p in plans]
    athletes_csv = write_athletes_csv(specs, out_dir)
    nights, flags = write_expected(plans, Path(expected_dir) if expected_dir else out_dir.parent)
    return Summary(
        out_dir=out_dir,
        athletes=len(specs),
        files=sum(f for f, _ in results) + 1,
        bytes=sum(b for _, b in results) + athletes_csv.stat().st_size,
        seconds=time.perf_counter() - t0,
        expected_nights=nights,
        expected_flags=flags,
    )


def study_arguments(
    argv: list[str] | None,
    prog: str,
    description: str,
    rr_help: str,
    defaults: tuple[int, int, int, date],
) -> tuple:
    """The command line both study writers share (this one and `sample_data.vendors.study`),
    so their options cannot drift apart. `defaults`: (athletes, days, seed, start). Returns
    the positional arguments of `generate` / `write_vendor_study`, in their order."""
    athletes, days, seed, start = defaults
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("out_dir", type=Path, help="study folder (one sub-folder per athlete)")
    ap.add_argument("--athletes", type=int, default=athletes)
    ap.add_argument("--days", type=int, default=days)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument(
        "--start",
        type=date.fromisoformat,
        default=start,
        help="first night / day, YYYY-MM-DD (default %(default)s)",
    )
    ap.add_argument("--no-rr", dest="rr", action="store_false", help=rr_help)
    ap.add_argument(
        "--expected-dir",
        type=Path,
        default=None,
        help="where expected_*.csv go (default: OUT_DIR's parent)",
    )
    ap.add_argument("--workers", type=int, default=None, help="processes (default: auto)")
    a = ap.parse_args(argv)
    return a.out_dir, a.athletes, a.days, a.seed, a.start, a.rr, a.expected_dir, a.workers


def main(argv: list[str] | None = None) -> int:
    s = generate(
        *study_arguments(
            argv,
            "python -m sample_data.generate",
            "Write a deterministic study of FIT/GPX/CSV watch exports with planted "
            "episodes, plus expected_nights.csv and expected_flags.csv.",
            "five-minute HRV values instead of beat intervals (much smaller)",
            (DEFAULT_ATHLETES, DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_START),
        )
    )
    print(
        f"{s.athletes} athletes, {s.files} files, {s.bytes / 1e6:.1f} MB in {s.seconds:.1f} s "
        f"-> {s.out_dir}; expectations: {s.expected_nights.parent}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
