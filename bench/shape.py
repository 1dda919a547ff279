"""Scaling shape: wall, CPU and peak memory of one `herstel ingest` of 1 ... 10,000 small files.

    python bench/shape.py [--sizes 1,10,100,1000,10000] [--athletes 30] [--days 366] [--write]

Generates one study of small daily wellness FIT files (`rr=False`, as bench/scale.py), then
for each size n takes the study's first n wellness files (day by day, all athletes of a day
before the next day: a club's nights in the order they arrive), hard-links them with
`athletes.csv` into a fresh folder and runs ONE `herstel ingest DIR` into a fresh warehouse,
against one shared local Prefect server (as a club running `herstel serve` has). One ingest of
a single file runs first and is not recorded, so every measured run meets a warm server.

Per size: wall seconds, CPU seconds of the whole process tree (user + sys of the CLI and its
parse worker processes: `getrusage(RUSAGE_CHILDREN)` before and after, so every reaped
descendant counts) and peak summed RSS of the tree (sampled every 0.2 s). The warehouse must
hold exactly n loaded files, else the run stops: a broken ingest cannot be recorded.

CPU is then fitted as fixed seconds + seconds per file (least squares), separately below and
from `flows.ingest.PROCESS_POOL_MIN_FILES`, where ingest moves from threads to processes.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

WORK = REPO / "bench" / "_work"
HERSTEL = [sys.executable, "-m", "flows.cli"]
SIZES = (1, 10, 100, 1000, 10000)
SECTION = "## Scale: the shape of one ingest"


def select_files(rel_paths: Iterable[str], n: int) -> list[str]:
    """The first `n` daily wellness files (`<athlete>/wellness/<date>_WELLNESS.fit`), day by
    day and athlete by athlete within a day, so n files are whole nights of the club."""
    wellness = [PurePosixPath(p) for p in rel_paths if PurePosixPath(p).parent.name == "wellness"]
    ordered = sorted(wellness, key=lambda p: (p.name, p.parts[0]))
    if len(ordered) < n:
        raise ValueError(f"the study holds {len(ordered)} wellness files, fewer than {n}")
    return [str(p) for p in ordered[:n]]


def fit_line(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least squares `y = fixed + slope * x`: (fixed, slope). Needs two distinct x."""
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    if len(set(xs)) < 2:
        raise ValueError("a line needs at least two distinct x values")
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    return mean_y - slope * mean_x, slope


def fit_segments(
    rows: Sequence[dict], threshold: int, key: str = "cpu_s"
) -> dict[str, tuple[float, float, list[int]]]:
    """`key` against files, fitted apart below and from `threshold` files (the process pool):
    segment -> (fixed s, s per file, the sizes fitted). A segment with one size is left out."""
    out = {}
    for name, part in (
        ("below", [r for r in rows if r["files"] < threshold]),
        ("from", [r for r in rows if r["files"] >= threshold]),
    ):
        sizes = sorted({r["files"] for r in part})
        if len(sizes) >= 2:
            fixed, slope = fit_line([(r["files"], r[key]) for r in part])
            out[name] = (fixed, slope, sizes)
    return out


def _study(athletes: int, days: int) -> Path:
    from bench.study import _start
    from sample_data.generate import generate

    root = WORK / f"shape_{athletes}x{days}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        generate(root / "study", athletes=athletes, days=days, seed=11, rr=False,
                 workers=2, start=_start(days))
        (root / ".complete").write_text("ok")
    return root / "study"


def _subset(study: Path, rel: list[str], dest: Path) -> float:
    """Hard-link the chosen files (and athletes.csv) into a fresh `dest`; their MB."""
    shutil.rmtree(dest, ignore_errors=True)
    size = 0
    for name in [*rel, "athletes.csv"]:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(study / name, target)
        size += target.stat().st_size if name != "athletes.csv" else 0
    return size / 1e6


def _file_states(db: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT status, count(*) FROM files GROUP BY status").fetchall()
    return {status: count for status, count in rows}


def measure(study: Path, n: int, env: dict[str, str]) -> dict:
    """One ingest of the study's first `n` wellness files into a fresh warehouse."""
    from bench.study import _measure, children_cpu_s

    rel = select_files((str(p.relative_to(study)) for p in study.rglob("*.fit")), n)
    folder, db = WORK / f"shape_in_{n}", WORK / f"shape_{n}.duckdb"
    mb = _subset(study, rel, folder)
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    cpu0 = children_cpu_s()
    wall, _largest, tree_mb = _measure([*HERSTEL, "ingest", str(folder)],
                                       {**env, "HERSTEL_DB": str(db)})
    cpu = children_cpu_s() - cpu0
    states = _file_states(db)
    if states != {"loaded": n}:
        raise AssertionError(f"{n} files: the warehouse holds {states}, not {n} loaded")
    shutil.rmtree(folder)
    return {"files": n, "mb": mb, "wall_s": wall, "cpu_s": cpu, "peak_mb": tree_mb}


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout

    dirty = " + uncommitted changes" if git("status", "--porcelain", "--", ".").strip() else ""
    return f"{git('log', '-1', '--format=%h %s').strip()}{dirty}"


def markdown(rows: list[dict], threshold: int, meta: dict) -> str:
    lines = [
        f"Measured {meta['start']}–{meta['end']} on {meta['host']} with `{meta['command']}` at "
        f"commit {meta['commit']}; load average {meta['load_before']} before, "
        f"{meta['load_after']} after. One `herstel ingest DIR` per size, the first n daily "
        f"wellness FIT files of one study ({meta['study']}, night by night), "
        "a fresh warehouse each, one shared local Prefect server, warmed by one unrecorded "
        "ingest. CPU: user + sys of the whole process tree (CLI and parse workers); peak MB: "
        "summed RSS of the tree, sampled every 0.2 s. Each run checked: the warehouse holds "
        "exactly n loaded files.",
        "",
        "| files | MB | wall s | CPU s | CPU ms per file | peak MB |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['files']:,} | {r['mb']:.3f} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} "
            f"| {1000 * r['cpu_s'] / r['files']:.1f} | {r['peak_mb']:.0f} |"
        )
    lines += ["", f"Least-squares lines (ingest uses a process pool from {threshold:,} files):", ""]
    label = {"below": f"below {threshold:,} (threads)", "from": f"from {threshold:,} (processes)"}
    for key, what in (("cpu_s", "CPU"), ("wall_s", "wall")):
        for seg, (fixed, slope, sizes) in fit_segments(rows, threshold, key).items():
            lines.append(
                f"- {what}, {label[seg]}: {fixed:.1f} s fixed + {1000 * slope:.1f} ms per file "
                f"(fitted on {', '.join(f'{s:,}' for s in sizes)} files)"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--athletes", type=int, default=30)
    ap.add_argument("--days", type=int, default=366)  # with seed 11 a valid study
    ap.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = ap.parse_args()
    from bench.study import free_port, write_section
    from flows import server
    from flows.ingest import PROCESS_POOL_MIN_FILES

    WORK.mkdir(parents=True, exist_ok=True)
    study = _study(args.athletes, args.days)
    meta = {
        "command": "python " + " ".join(["bench/shape.py", *sys.argv[1:]]),
        "commit": _commit(),
        "host": f"{platform.machine()}, {os.cpu_count()} cores",
        "start": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "study": f"{args.athletes} athletes × {args.days} days",
        "load_before": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    os.environ["PREFECT_HOME"] = str(WORK / "prefect-home")
    os.environ["HERSTEL_SERVER_PORT"] = str(free_port())  # not the port a user's server holds
    env = dict(os.environ)
    env["PREFECT_API_URL"] = server.start().api_url  # herstel's own local server
    try:
        measure(study, 1, env)  # warm the server: not recorded
        rows = []
        for n in (int(s) for s in args.sizes.split(",")):
            rows.append(measure(study, n, env))
            print(rows[-1], flush=True)
    finally:
        server.stop()
    meta["end"] = datetime.now(UTC).strftime("%H:%M UTC")
    meta["load_after"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = markdown(rows, PROCESS_POOL_MIN_FILES, meta)
    print(text)
    if args.write:
        write_section(text, SECTION)


if __name__ == "__main__":
    main()
