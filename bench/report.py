"""Report benchmark: render the HTML report of a big study, print seconds and megabytes.

    python bench/report.py --db STUDY.duckdb [--lang en] [--browser] [--write]
    python bench/report.py --athletes 50 --days 365 [--browser] [--write]

Without --db, a study is generated, ingested and run nightly under bench/_work (kept for the
next run). `write_report` runs in a fresh process, as `herstel report` would: once with an
empty cache (the vega bundle is built, ~2-7 s) and once warm (the bundle is reused); the
import time is reported apart. --browser also opens the team page and the largest athlete
page in headless Chromium and times until every chart is drawn.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "_work"
RESULTS = REPO / "bench" / "RESULTS.md"
HEADING = "## Report"

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from report import write_report
t1 = time.perf_counter()
write_report(sys.argv[1], __import__("pathlib").Path(sys.argv[2]), lang=sys.argv[3])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "render_s": t2 - t1}))
"""


def build_study(athletes: int, days: int) -> Path:
    """Generate, ingest and run nightly once; later runs reuse the warehouse.

    Slow on a shared 2-core machine (50 athletes x 365 days: ~10 min to generate, ~10 min to
    ingest); the warehouse is kept under bench/_work for the next run.
    """
    target = WORK / f"report_{athletes}x{days}"
    db = target / "study.duckdb"
    if (target / ".complete").exists():
        return db
    target.mkdir(parents=True, exist_ok=True)
    herstel = [sys.executable, "-m", "flows.cli"]
    # the study must lie in the past: ingest drops samples from the future as impossible
    start = date.today() - timedelta(days=days + 7)
    steps = [
        [
            sys.executable,
            "-m",
            "sample_data.generate",
            str(target / "study"),
            "--athletes",
            str(athletes),
            "--days",
            str(days),
            "--start",
            start.isoformat(),
            "--no-rr",
            "--workers",
            "2",
        ],
        [*herstel, "ingest", str(target / "study"), "--db", str(db)],
        [*herstel, "nightly", "--db", str(db)],
    ]
    generate, *pipeline = steps
    # the generator writes every file before its expected-flag tables; a plan it cannot
    # pin down exactly (it refuses ambiguous edges) still leaves a complete study to time
    subprocess.run(generate, cwd=REPO, stdout=subprocess.DEVNULL)
    written = [p for p in (target / "study").iterdir() if p.is_dir()]
    if len(written) != athletes:
        raise RuntimeError(f"the generator wrote {len(written)} of {athletes} athletes")
    for step in pipeline:
        subprocess.run(step, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    (target / ".complete").write_text("ok")
    return db


def render(db: Path, out: Path, lang: str, cache: Path) -> dict[str, float]:
    """write_report in a fresh process with the given cache folder."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(out), lang],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"report failed:\n{result.stderr[-3000:]}")
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    timings["process_s"] = time.perf_counter() - start
    return timings


def contents(db: Path) -> dict[str, int]:
    """What the warehouse holds: the scale the timings are for."""
    from warehouse.db import connect
    from warehouse.sql import one

    con = connect(db, read_only=True)
    try:
        return {
            table: one(con, f"SELECT count(*) FROM {table}")[0]
            for table in ("athletes", "nightly_metrics", "daily_metrics", "daily_flags", "files")
        }
    finally:
        con.close()


def sizes(out: Path) -> dict[str, float]:
    files = [p for p in out.rglob("*") if p.is_file()]
    pages = [p for p in files if p.suffix == ".html"]
    mb = 1024 * 1024
    return {
        "total_mb": sum(p.stat().st_size for p in files) / mb,
        "files": len(files),
        "pages": len(pages),
        "largest_page_mb": max(p.stat().st_size for p in pages) / mb,
        "index_mb": (out / "index.html").stat().st_size / mb,
        "vega_js_mb": (out / "assets" / "vega.js").stat().st_size / mb,
    }


def browser_times(out: Path) -> dict[str, float]:
    """Seconds until every chart is drawn: the team page and the largest athlete page."""
    sys.path.insert(0, str(REPO / "tests" / "report"))
    from report_browser import browser_context, open_page, why_no_browser

    if why_no_browser():
        return {}
    largest = max((out / "athletes").glob("*.html"), key=lambda p: p.stat().st_size)
    times = {}
    with browser_context() as context:
        for key, page_path in (
            ("browser_index_s", out / "index.html"),
            ("browser_athlete_s", largest),
        ):
            start = time.perf_counter()
            page, errors = open_page(context, page_path, timeout_ms=120_000)
            times[key] = time.perf_counter() - start
            state = page.evaluate("document.body.dataset.charts")
            if state != "ready" or errors:
                raise RuntimeError(f"{page_path}: charts {state}, errors {errors[:3]}")
            page.close()
    return times


def write_section(text: str) -> None:
    """Replace (or add) the report section of bench/RESULTS.md, keeping the others."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if f"\n{HEADING}\n" in f"\n{current}":
        start = current.index(HEADING)
        nxt = current.find("\n## ", start + len(HEADING))
        current = current[:start] + current[nxt + 1 :] if nxt != -1 else current[:start]
    RESULTS.write_text(current.rstrip() + f"\n\n{HEADING}\n\n{text}", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="an existing warehouse (else one is built)")
    ap.add_argument("--athletes", type=int, default=50)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--out", type=Path, help="report folder (default: a temporary one)")
    ap.add_argument("--browser", action="store_true", help="also time drawing in Chromium")
    ap.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = ap.parse_args()

    db = args.db or build_study(args.athletes, args.days)
    with tempfile.TemporaryDirectory(prefix="herstel-report-bench-") as tmp:
        out = args.out or Path(tmp) / "report"
        cache = Path(tmp) / "cache"
        cold = render(db, out, args.lang, cache)  # empty cache: the bundle is built
        warm = render(db, out, args.lang, cache)  # as every later nightly report
        size = sizes(out)
        drawn = browser_times(out) if args.browser else {}
    print(f"render, cold cache: {cold['render_s']:.2f} s (+{cold['import_s']:.2f} s imports)")
    print(
        f"render, warm cache: {warm['render_s']:.2f} s (+{warm['import_s']:.2f} s imports, "
        f"{warm['process_s']:.2f} s whole process)"
    )
    print(
        f"size: {size['total_mb']:.2f} MB in {size['files']} files ({size['pages']} pages; "
        f"largest page {size['largest_page_mb']:.2f} MB, index {size['index_mb']:.2f} MB, "
        f"vega.js {size['vega_js_mb']:.2f} MB once)"
    )
    for key, seconds in drawn.items():
        print(f"{key}: {seconds:.2f} s")
    if args.write:
        write_section(_section(args, db, cold, warm, size, drawn))


def _section(args, db, cold, warm, size, drawn) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    held = contents(db)
    scale = (
        f"{held['athletes']} athletes, {held['nightly_metrics']} nights, "
        f"{held['daily_metrics']} days, {held['daily_flags']} flags, "
        f"{held['files']} files"
    )
    host = f"{platform.machine()}, {os.cpu_count()} cores (shared, noisy)"
    study = f"--db {db.name}" if args.db else f"--athletes {args.athletes} --days {args.days}"
    rows = [
        ("write_report, warm cache (vega bundle reused)", f"{warm['render_s']:.2f} s"),
        ("write_report, cold cache (bundle built once)", f"{cold['render_s']:.2f} s"),
        ("imports (polars, duckdb, altair, jinja2)", f"{warm['import_s']:.2f} s"),
        ("whole process, warm", f"{warm['process_s']:.2f} s"),
        ("report size", f"{size['total_mb']:.2f} MB in {size['files']} files"),
        ("largest athlete page", f"{size['largest_page_mb']:.2f} MB"),
        ("team page", f"{size['index_mb']:.2f} MB"),
        ("assets/vega.js (shipped once)", f"{size['vega_js_mb']:.2f} MB"),
    ]
    if drawn:
        rows += [
            ("Chromium: team page drawn", f"{drawn['browser_index_s']:.2f} s"),
            ("Chromium: largest athlete page drawn", f"{drawn['browser_athlete_s']:.2f} s"),
        ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (
        f"Measured {when} on {host}, lang {args.lang}; warehouse: {scale}:\n\n"
        f"    python bench/report.py {study}{' --browser' if drawn else ''} --write\n\n"
        f"| measure | value |\n|---|---:|\n{table}\n"
    )


if __name__ == "__main__":
    main()
