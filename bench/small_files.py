"""Per-file CPU of a small-file ingest: parse (decode, map, clean) and load, in one process.

    python bench/small_files.py [--athletes 3] [--days 60] [--only wellness] [--profile]
                                [--batch N]

Generates a study of small daily files (wellness FIT, plus the generator's activities and
CSVs) and runs exactly what the ingest flow runs for each batch of files, without Prefect's
orchestration: `flows.ingest.parse_batch` (its function) and `flows.ingest._load`, on the
flow's own batches. Reports CPU milliseconds per file (process time, best of `--repeat`).
`--only wellness` keeps the files whose path holds `/wellness/` (the small daily FIT files).
`--profile` prints where parse and load spend their time (cProfile, cumulative). `--batch N`
cuts batches of N files instead (`--batch 1`: one file at a time). The code measured is the
one first on PYTHONPATH, so the same command measures another checkout (before/after).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.append(str(REPO))  # PYTHONPATH first: measure the checkout it names

from flows import ingest as flow  # noqa: E402
from parsers.study import discover  # noqa: E402

WORK = REPO / "bench" / "_work"


def _study(athletes: int, days: int) -> Path:
    from sample_data.generate import generate

    root = WORK / f"small_{athletes}x{days}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        generate(root / "study", athletes=athletes, days=days, seed=11, rr=False, workers=1)
        (root / ".complete").write_text("ok")
    return root / "study"


def _batches(jobs: list, batch_files: int | None) -> list[list]:
    if batch_files is None and hasattr(flow, "batched"):
        return flow.batched(jobs)
    n = batch_files or flow.BATCH_FILES
    return [jobs[i : i + n] for i in range(0, len(jobs), n)]


def _once(study: Path, batch_files: int | None, only: str | None,
          profile: cProfile.Profile | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "w.duckdb")
        files = discover([study])
        known, zones = flow._register_athletes(db, [study], files, None, lambda n: n)
        jobs = [(str(f.path), f.athlete_id, f.recorded_path, f.alias) for f in files
                if only is None or f"/{only}/" in str(f.path)]
        batches = _batches(jobs, batch_files)
        parse_s = load_s = 0.0
        for batch in batches:
            t0 = time.process_time()
            if profile:
                profile.enable()
            results = flow.parse_batch.fn(batch, known, "fast", zones)
            t1 = time.process_time()
            flow._load(db, results)
            if profile:
                profile.disable()
            t2 = time.process_time()
            parse_s, load_s = parse_s + t1 - t0, load_s + t2 - t1
    return {"files": len(jobs), "parse_s": parse_s, "load_s": load_s}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--athletes", type=int, default=3)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--only", default=None, help="a folder name, e.g. wellness")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    study = _study(args.athletes, args.days)
    _once(study, args.batch, args.only, None)  # warm: imports, compiled FIT plans
    runs = [_once(study, args.batch, args.only, None) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["parse_s"] + r["load_s"])
    n = best["files"]
    print(
        f"{n} files, batch {args.batch or 'as the flow'}: "
        f"parse {1000 * best['parse_s'] / n:.1f} ms/file, "
        f"load {1000 * best['load_s'] / n:.1f} ms/file, "
        f"total {1000 * (best['parse_s'] + best['load_s']) / n:.1f} ms/file (CPU, best of "
        f"{args.repeat})"
    )
    if args.profile:
        prof = cProfile.Profile()
        _once(study, args.batch, args.only, prof)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
