"""End-to-end study benchmark: generate a study, run `herstel ingest` + `herstel nightly`.

    python bench/study.py [--athletes 10] [--days 365] [--engines fast,fitparse] [--write]

Each step runs as its own `herstel` process (as a user would run it), so wall time includes
the CLI's fixed cost (Prefect's temporary server) and peak memory is the largest process's
max RSS.
Engines are compared in the same run (ratios; absolute times drift on shared machines).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "_work"
RESULTS = REPO / "bench" / "RESULTS.md"
HERSTEL = [sys.executable, "-m", "flows.cli"]


def _measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS of the largest process (MB) and peak summed RSS of the whole
    process tree (MB: the CLI, its parse workers; sampled every 0.2 s) of one command."""
    start = time.perf_counter()
    child = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    tree_peak = largest = 0
    out: list[str] = []

    def drain() -> None:
        for line in child.stdout:
            out.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    root = psutil.Process(child.pid)
    while child.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            rss = [p.memory_info().rss for p in procs]
        except psutil.Error:
            rss = []
        if rss:
            tree_peak, largest = max(tree_peak, sum(rss)), max(largest, *rss)
        time.sleep(0.2)
    reader.join()
    wall = time.perf_counter() - start
    if child.returncode:
        raise RuntimeError(f"{cmd} exited {child.returncode}:\n{''.join(out)[-3000:]}")
    return wall, largest / 2**20, tree_peak / 2**20


def children_cpu_s() -> float:
    """CPU seconds (user + sys) of every child process this one has waited for: read before
    and after a command, the difference is the command's whole tree (CLI and workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    """A free TCP port on loopback: a benchmark's own server must not collide with a herstel
    server the user already runs on the default port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(days: int) -> date:
    """A start such that the whole study lies in the past (ingest drops future times)."""
    return date.today() - timedelta(days=days + 7)


def _study(athletes: int, days: int) -> Path:
    from sample_data.generate import generate

    target = WORK / f"study_{athletes}x{days}"
    marker = target / ".complete"
    if not marker.exists():
        shutil.rmtree(target, ignore_errors=True)
        start = time.perf_counter()
        generate(target, athletes=athletes, days=days, seed=7, rr=False, start=_start(days))
        marker.write_text(f"{time.perf_counter() - start:.1f}")
    return target


def _size_mb(folder: Path) -> tuple[float, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def run(athletes: int, days: int, engines: list[str]) -> list[dict]:
    study = _study(athletes, days)
    size_mb, n_files = _size_mb(study)
    rows = []
    for engine in engines:
        db = WORK / f"bench_{engine}.duckdb"
        for p in (db, Path(f"{db}.wal")):
            p.unlink(missing_ok=True)
        env = {**os.environ, "HERSTEL_DB": str(db)}
        cmd = [*HERSTEL, "ingest", str(study), "--fit-engine", engine]
        t_ingest, m_ingest, _ = _measure(cmd, env)
        t_nightly, m_nightly, _ = _measure([*HERSTEL, "nightly"], env)
        rows.append(
            dict(
                engine=engine,
                athletes=athletes,
                days=days,
                files=n_files,
                input_mb=size_mb,
                ingest_s=t_ingest,
                nightly_s=t_nightly,
                total_s=t_ingest + t_nightly,
                mb_per_s=size_mb / (t_ingest + t_nightly),
                ingest_peak_mb=m_ingest,
                nightly_peak_mb=m_nightly,
                db_mb=db.stat().st_size / 1e6,
            )
        )
    return rows


def markdown(rows: list[dict], command: str) -> str:
    head = (
        "| engine | study | files | input MB | ingest s | nightly s | total s "
        "| MB/s end to end | peak MB ingest | peak MB nightly | db MB |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [
        f"| {r['engine']} | {r['athletes']} athletes × {r['days']} days | {r['files']} "
        f"| {r['input_mb']:.1f} | {r['ingest_s']:.1f} | {r['nightly_s']:.1f} | {r['total_s']:.1f} "
        f"| {r['mb_per_s']:.2f} | {r['ingest_peak_mb']:.0f} | {r['nightly_peak_mb']:.0f} "
        f"| {r['db_mb']:.1f} |"
        for r in rows
    ]
    if len(rows) == 2:
        ratio = rows[1]["total_s"] / rows[0]["total_s"]
        lines.append(
            f"\n{rows[0]['engine']} end to end is {ratio:.1f}× faster than {rows[1]['engine']}."
        )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    host = f"{platform.machine()}, {os.cpu_count()} cores"
    return f"Measured {when} on {host} with `{command}`:\n\n{head}\n" + "\n".join(lines) + "\n"


def write_section(text: str, heading: str = "## Study: ingest + nightly") -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if heading in current:
        start = current.index(heading)
        nxt = current.find("\n## ", start + len(heading))
        current = current[:start] + current[nxt + 1 :] if nxt != -1 else current[:start]
    RESULTS.write_text(current.rstrip() + f"\n\n{heading}\n\n{text}", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--athletes", type=int, default=10)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--engines", default="fast,fitparse")
    ap.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = run(args.athletes, args.days, args.engines.split(","))
    text = markdown(rows, "python " + " ".join(["bench/study.py", *sys.argv[1:]]))
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
