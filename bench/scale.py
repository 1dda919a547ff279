"""Scale benchmark: a full ingest + nightly of a large study against a one-night increment.

    python bench/scale.py [--athletes 100] [--days 365] [--small 25] [--write]

Generates `athletes` × (`days` + 1) days, holds each athlete's last day back, then measures in
one run, each phase as the documented one command `herstel ingest DIR --nightly` (one process)
against one shared local Prefect server (as a club running `herstel serve` has; the CLI's own
start-up cost is measured in bench/cli_overhead.py); `--separate` runs `ingest` and `nightly`
as two processes instead and reports them apart:

- full: ingest of the whole history + nightly;
- increment: ingest of the held-back day (one new night per athlete) + incremental nightly;
- the same for a `small` study, to show peak memory does not grow with study size.

Peak memory is the summed RSS of the step's whole process tree (the CLI and its parse
workers), sampled every 0.2 s.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.study import _measure, _start, free_port, write_section  # noqa: E402
from flows import server  # noqa: E402

WORK = REPO / "bench" / "_work"
HERSTEL = [sys.executable, "-m", "flows.cli"]


def _study(athletes: int, days: int) -> tuple[Path, Path]:
    """The study without each athlete's last day, and that last day as its own study."""
    from sample_data.generate import generate

    root = WORK / f"scale_{athletes}x{days}"
    full, extra = root / "history", root / "increment"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        generate(
            full,
            athletes=athletes,
            days=days + 1,
            seed=11,
            rr=False,
            workers=2,
            start=_start(days + 1),
        )
        for athlete in (p for p in full.iterdir() if p.is_dir()):
            files = sorted(athlete.rglob("*.*"), key=lambda p: p.name)
            last_day = max(p.name[:10] for p in files if p.name[:4].isdigit())
            for path in files:
                if path.name.startswith(last_day):
                    target = extra / path.relative_to(full)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(path, target)
        shutil.copy(full / "athletes.csv", extra / "athletes.csv")
        (root / ".complete").write_text("ok")
    return full, extra


def _mb(folder: Path) -> tuple[float, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def run_full_and_increment(
    athletes: int, days: int, env: dict[str, str], separate: bool = False
) -> dict:
    full, extra = _study(athletes, days)
    db = WORK / f"scale_{athletes}x{days}.duckdb"
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    env = {**env, "HERSTEL_DB": str(db)}
    r: dict = {"athletes": athletes, "days": days}
    r["full_mb"], r["full_files"] = _mb(full)
    r["inc_mb"], r["inc_files"] = _mb(extra)
    if separate:
        steps = {
            "full_ingest": ["ingest", str(full)],
            "full_nightly": ["nightly"],
            "inc_ingest": ["ingest", str(extra)],
            "inc_nightly": ["nightly"],
        }
    else:
        steps = {
            "full_ingest": ["ingest", str(full), "--nightly"],
            "inc_ingest": ["ingest", str(extra), "--nightly"],
        }
    r["full_nightly_s"] = r["inc_nightly_s"] = r["full_nightly_mb"] = r["inc_nightly_mb"] = 0.0
    for step, args in steps.items():
        wall, _largest, tree = _measure([*HERSTEL, *args], env)
        r[f"{step}_s"], r[f"{step}_mb"] = wall, tree
    r["full_s"] = r["full_ingest_s"] + r["full_nightly_s"]
    r["inc_s"] = r["inc_ingest_s"] + r["inc_nightly_s"]
    r["ratio_pct"] = 100 * r["inc_s"] / r["full_s"]
    return r


def markdown(rows: list[dict], command: str, separate: bool) -> str:
    how = (
        "`herstel ingest` and `herstel nightly` as two processes"
        if separate
        else "`herstel ingest DIR --nightly`, one process per phase"
    )
    lines = [
        f"Measured with `{command}` ({how}, one shared local Prefect server; peak MB: summed "
        "RSS of the whole process tree):",
        "",
    ]
    if separate:
        lines += [
            "| study | files | MB | full ingest s | full nightly s | increment ingest s "
            "| increment nightly s | increment / full | peak MB ingest | peak MB nightly |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
    else:
        lines += [
            "| study | files | MB | full run s | increment s | increment / full "
            "| peak MB full | peak MB increment |",
            "|---|---|---|---|---|---|---|---|",
        ]
    for r in rows:
        head = (
            f"| {r['athletes']} athletes × {r['days']} days | {r['full_files']} "
            f"| {r['full_mb']:.0f} "
        )
        if separate:
            lines.append(
                head + f"| {r['full_ingest_s']:.1f} | {r['full_nightly_s']:.1f} "
                f"| {r['inc_ingest_s']:.1f} | {r['inc_nightly_s']:.1f} | {r['ratio_pct']:.2f} % "
                f"| {max(r['full_ingest_mb'], r['inc_ingest_mb']):.0f} "
                f"| {max(r['full_nightly_mb'], r['inc_nightly_mb']):.0f} |"
            )
        else:
            lines.append(
                head + f"| {r['full_s']:.1f} | {r['inc_s']:.1f} | {r['ratio_pct']:.2f} % "
                f"| {r['full_ingest_mb']:.0f} | {r['inc_ingest_mb']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--athletes", type=int, default=100)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--small", type=int, default=25, help="athletes of the second size")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--separate", action="store_true", help="ingest and nightly as two processes")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(WORK / "prefect-home")
    os.environ["HERSTEL_SERVER_PORT"] = str(free_port())  # not the port a user's server holds
    env = dict(os.environ)
    env["PREFECT_API_URL"] = server.start().api_url  # herstel's own local server
    try:
        rows = []
        for n in (args.small, args.athletes):
            rows.append(run_full_and_increment(n, args.days, env, args.separate))
            print(rows[-1], flush=True)  # each size as soon as it is measured
    finally:
        server.stop()
    text = markdown(rows, "python " + " ".join(["bench/scale.py", *sys.argv[1:]]), args.separate)
    print(text)
    if args.write:
        write_section(text, "## Scale: full run vs one-night increment")


if __name__ == "__main__":
    main()
