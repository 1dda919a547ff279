"""Vendor study benchmark: every source herstel reads, imported with ONE command.

    python bench/vendor_study.py [--athletes 50] [--days 365] [--seed 1] [--no-write]

Generates (once, cached under bench/_work/) the study of `sample_data.vendors.study`: athletes
dealt over Garmin FIT, Garmin Connect JSON (loose and zipped with nested FIT), WHOOP, Oura,
Oura trends, Fitbit, Apple Health, Polar + Elite HRV, HRV4Training, Elite HRV, Oura with
beat-to-beat files (Polar .hrm, Suunto .sml / app JSON), Gadgetbridge, Android Health
Connect, Samsung Health, Withings and the Google Health Takeout (`PROFILES`), with planted
bad files. Then runs, as a researcher would,

    herstel ingest STUDY --nightly --db DB

in its own process (wall time includes the CLI's temporary Prefect server), and reports
files, MB, seconds, MB/s, peak memory (the largest process, and the whole process tree
sampled every 0.2 s), the files per status, and how many planned nightly values came out
exactly (value, method and source format) per source profile. Writes the
`## Vendor study import` section of bench/RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sample_data.vendors.compare import compare_nights, read_expected_nights  # noqa: E402
from sample_data.vendors.study import (  # noqa: E402
    DEFAULT_SEED,
    DEFAULT_START,
    write_vendor_study,
)

WORK = REPO / "bench" / "_work"
RESULTS = REPO / "bench" / "RESULTS.md"
HEADING = "## Vendor study import"


def herstel_command() -> list[str]:
    script = shutil.which("herstel", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "flows.cli"]


def study(athletes: int, days: int, seed: int) -> tuple[Path, Path, dict]:
    """The cached study folder, its expectations folder and what was generated."""
    target = WORK / f"vendor_study_{athletes}x{days}_s{seed}"
    folder, expected = target / "study", target / "expected"
    marker = target / "generated.json"
    if not marker.exists():
        shutil.rmtree(target, ignore_errors=True)
        s = write_vendor_study(folder, athletes, days, seed, DEFAULT_START, expected_dir=expected)
        info = {k: s[k] for k in ("athletes", "days", "files", "records", "bytes", "seconds")}
        marker.write_text(json.dumps(info))
    return folder, expected, json.loads(marker.read_text())


def _tree_rss_mb(pid: int) -> float:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with prefect
        return 0.0
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 1e6


def run_import(folder: Path, db: Path, workers: int | None) -> dict:
    """Wall time, exit status, output and peak memory of one `herstel ingest --nightly`."""
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    cmd = [*herstel_command(), "ingest", str(folder), "--nightly", "--db", str(db)]
    if workers:
        cmd += ["--workers", str(workers)]
    # the wrapper reports the largest process's max RSS (children are waited for)
    wrapper = (
        "import resource, subprocess, sys, json;"
        "r = subprocess.run(sys.argv[1:]);"
        "print(json.dumps([r.returncode,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    )
    env = {**os.environ, "COLUMNS": "160"}
    env.pop("PREFECT_API_URL", None)
    peak_tree = 0.0
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", wrapper, *cmd],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.wait(0.2):
            peak_tree = max(peak_tree, _tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if proc.returncode or not last.startswith("["):
        raise RuntimeError(f"{cmd} failed:\n{out[-3000:]}\n{err[-3000:]}")
    rc, maxrss_kb = json.loads(last)
    if rc:
        raise RuntimeError(f"{cmd} exited {rc}:\n{out[-3000:]}\n{err[-3000:]}")
    return {
        "seconds": wall,
        "rc": rc,
        "peak_process_mb": maxrss_kb / 1024,
        "peak_tree_mb": peak_tree,
        "stdout": out,
    }


def check(db: Path, expected: Path) -> tuple[dict, object, object, object, object]:
    """Files per status, files not loaded, and how the planned nightly values came out."""
    import polars as pl

    from warehouse.db import connect
    from warehouse.sql import frame

    con = connect(str(db), read_only=True)
    try:
        statuses = frame(con, "SELECT status, count(*) AS n FROM files GROUP BY 1 ORDER BY 1")
        not_loaded = frame(
            con, "SELECT status, path, reason FROM files WHERE status <> 'loaded' ORDER BY 1, 2"
        )
        nightly = frame(con, "SELECT * FROM nightly_metrics")
        files = frame(con, "SELECT file_id, format FROM files")
    finally:
        con.close()
    planned = read_expected_nights(expected / "expected_vendor_nights.csv")
    bad = compare_nights(planned, nightly, files)
    per_profile = (
        planned.group_by("profile").len("planned")
        .join(bad.filter(pl.col("profile").is_not_null()).group_by("profile").len("wrong"),
              on="profile", how="left")
        .with_columns(pl.col("wrong").fill_null(0))
        .sort("profile")
    )  # fmt: skip
    problems = bad.group_by("profile", "metric", "problem").len().sort("profile", "metric")
    return dict(statuses.iter_rows()), not_loaded, per_profile, problems, bad


def dst_change(zone: str, night) -> bool:
    """Whether the zone's UTC offset differs between noon before and noon of `night`."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    noon = datetime(night.year, night.month, night.day, 12, tzinfo=tz)
    return noon.utcoffset() != (noon - timedelta(days=1)).utcoffset()


def markdown(
    info: dict,
    res: dict,
    statuses: dict,
    not_loaded,
    per_profile,
    problems,
    bad,
    command: str,
    study: Path,
    zones: dict[str, str],
) -> str:
    mb = info["bytes"] / 1e6
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    host = f"{platform.machine()}, {os.cpu_count()} cores (shared)"
    lines = [
        f"Measured {when} on {host}, Python {platform.python_version()}, with `{command}`:",
        "",
        "| study | files on disk | files rows | input MB | seconds | MB/s | peak RSS MB "
        "(largest process) | peak RSS MB (process tree) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| {info['athletes']} athletes × {info['days']} days | {info['files']} "
        f"| {info['records']} | {mb:.1f} | {res['seconds']:.1f} | {mb / res['seconds']:.2f} "
        f"| {res['peak_process_mb']:.0f} | {res['peak_tree_mb']:.0f} |",
        "",
        "One command (`herstel ingest STUDY --nightly`): discovery, parsing, loading, nightly "
        "metrics, baselines and rules; wall time includes starting Prefect's temporary server. "
        f"Generating the study took {info['seconds']:.0f} s (not included).",
        "",
        "Files per status: " + ", ".join(f"{n} {s}" for s, n in statuses.items()) + ".",
        "",
        "| status | file | reason |",
        "|---|---|---|",
        *(f"| {r['status']} | `{r['path'].removeprefix(str(study) + '/')}` "
          f"| {(r['reason'] or '').replace(str(study) + '/', '')[:90].replace('|', '/')} |"
          for r in not_loaded.head(20).iter_rows(named=True)),
        "",
        "Planned nightly values (sleep hours, resting HR, HRV: value, method and source format) "
        "reproduced, per source profile:",
        "",
        "| profile | planned values | wrong or missing |",
        "|---|---:|---:|",
        *(f"| {r['profile']} | {r['planned']} | {r['wrong']} |"
          for r in per_profile.iter_rows(named=True)),
    ]  # fmt: skip
    if problems.height:
        lines += [
            "",
            "Mismatches by kind:",
            "",
            "| profile | metric | problem | count |",
            "|---|---|---|---:|",
        ]
        lines += [
            f"| {r['profile']} | {r['metric']} | {r['problem']} | {r['len']} |"
            for r in problems.iter_rows(named=True)
        ]
    if 0 < bad.height <= 12:
        lines += [
            "",
            "| athlete | time zone | night | DST change that night | metric | planned "
            "| got | method |",
            "|---|---|---|---|---|---:|---:|---|",
        ]
        for r in bad.iter_rows(named=True):
            zone = zones.get(r["athlete_id"], "UTC")
            lines.append(
                f"| {r['athlete_id']} | {zone} | {r['night']} | "
                f"{'yes' if dst_change(zone, r['night']) else 'no'} | {r['metric']} | "
                f"{r['value'] if r['value'] is None else round(r['value'], 4)} | "
                f"{r['got_value'] if r['got_value'] is None else round(r['got_value'], 4)} | "
                f"{r['got_method']} |"
            )
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if HEADING in current:
        start = current.index(HEADING)
        nxt = current.find("\n## ", start + len(HEADING))
        current = current[:start] + current[nxt + 1 :] if nxt != -1 else current[:start]
    RESULTS.write_text(current.rstrip() + f"\n\n{HEADING}\n\n{text}", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--athletes", type=int, default=50)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--workers", type=int, default=None, help="herstel --workers")
    ap.add_argument(
        "--no-write",
        dest="write",
        action="store_false",
        help="do not record the result in bench/RESULTS.md",
    )
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    folder, expected, info = study(args.athletes, args.days, args.seed)
    print(
        f"study: {info['athletes']} athletes x {info['days']} days, {info['files']} files, "
        f"{info['bytes'] / 1e6:.1f} MB -> {folder}",
        file=sys.stderr,
    )
    db = WORK / f"vendor_study_{args.athletes}x{args.days}.duckdb"
    res = run_import(folder, db, args.workers)
    statuses, not_loaded, per_profile, problems, bad = check(db, expected)
    command = "python " + " ".join(["bench/vendor_study.py", *sys.argv[1:]])
    with (folder / "athletes.csv").open(encoding="utf-8") as fh:
        zones = {row["athlete_id"]: row["time_zone"] for row in csv.DictReader(fh)}
    text = markdown(
        info,
        res,
        statuses,
        not_loaded,
        per_profile,
        problems,
        bad,
        command,
        folder.resolve(),
        zones,
    )
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
