"""herstel against its peer GarminDB 3.7.0, end to end on the same files, in one run.

    python bench/peer.py [--athletes 1] [--days 90] [--club 10] [--history 14] [--write]
    python bench/peer.py --quick        # a tiny smoke run (1 x 3 days, club 2 x 2 days)

Three workloads, each run by both tools on the same files, the two tools interleaved:

- study: a generated daily-wellness FIT study (monitoring files only), `athletes` × `days`;
  herstel `ingest DIR` and `ingest DIR --nightly` (each on a fresh warehouse), GarminDB
  `--import --monitoring` then `--analyze` (a fresh scratch HOME per athlete: one user each);
- activities: the real activity FIT files of ../shared/corpus that GarminDB can import
  (ACTIVITY_FILES), herstel `ingest FILES --athlete` and GarminDB `--import --activities`;
- club: `club` athletes with `history` days already loaded in both, then one new day each:
  herstel `ingest NEW` / `ingest NEW --nightly` (one command for the club), GarminDB
  `--import --monitoring --latest` + `--analyze` in every athlete's HOME.

Cost is CPU time (user + sys) of the command's whole process tree (resource.getrusage of
the waited children: the CLI and its parse workers), plus, for herstel, what the one shared
local Prefect server spent meanwhile (a club runs `herstel serve`; the server is started
once, before any timing, and its start-up is reported apart). Every run is verified: the
warehouse and GarminDB's sqlite databases must hold the expected files, days and activities,
or the run stops (a tool that imported less is no comparison).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import peer_garmindb as garmindb  # noqa: E402
from bench.study import _start, children_cpu_s, free_port, write_section  # noqa: E402

HERSTEL = [sys.executable, "-m", "flows.cli"]
SCRATCH = Path(os.environ.get("HERSTEL_PEER_SCRATCH", "/tmp/herstel-peer"))
CORPUS = REPO.parent / "shared" / "corpus"
HEADING = "## Peer: herstel vs GarminDB 3.7.0"
#: The corpus activity files GarminDB 3.7.0 imports; the other ten FIT activity files of the
#: corpus (fit_bad/*, and the fr255 triathlon, onelap and wahoo ELEMNT files) stop its parser.
ACTIVITY_FILES = (
    "fit_wellness/fit2gpx_edge530_HRV.fit",
    "fit_wellness/fitparse-rs_hrv-activity.fit",
    "fit_activity/garmin_edge810_vector.fit",
    "fit_activity/garmin_fenix5_run.fit",
    "fit_activity/garmin_fr920xt_multiple_header.fit",
    "fit_activity/garmin_fr935_cr.fit",
    "fit_activity/garmin_vivoactiveHR_devdata.fit",
    "fit_bad/activity-activity-filecrc.fit",
    "fit_bad/activity-filecrc.fit",
    "fit_bad/activity-settings-corruptheader.fit",
    "fit_bad/activity-settings-nodata.fit",
)


@dataclass
class Cost:
    """CPU seconds of one command: its process tree, and the herstel server meanwhile."""

    tree_s: float
    server_s: float = 0.0
    wall_s: float = 0.0

    @property
    def cpu_s(self) -> float:
        return self.tree_s + self.server_s


@dataclass
class Row:
    """One workload: what each tool spent on import and on import + nightly/analyze."""

    workload: str
    files: int
    mb: float
    herstel_import_s: float
    herstel_total_s: float
    garmindb_import_s: float
    garmindb_total_s: float
    notes: list[str] = field(default_factory=list)


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds so far of a running process and its live children (the Prefect server)."""
    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
        return sum(sum(p.cpu_times()[:4]) for p in procs)
    except psutil.Error:
        return 0.0


def run_cost(
    cmd: list[str], env: dict[str, str], server_pid: int | None = None, cwd: Path = REPO
) -> Cost:
    """Run `cmd` to its end and return its CPU cost; a failing command stops the benchmark."""
    before = children_cpu_s()
    server_before = _tree_cpu_s(server_pid) if server_pid else 0.0
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = children_cpu_s()
    server = _tree_cpu_s(server_pid) - server_before if server_pid else 0.0
    if done.returncode:
        raise RuntimeError(
            f"{cmd} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}"
        )
    return Cost(after - before, server, wall)


def _mb(files: list[Path]) -> float:
    return sum(p.stat().st_size for p in files) / 1e6


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, mode=0o700)
    return path


def _wellness_study(root: Path, athletes: int, days: int, seed: int) -> list[Path]:
    """A generated study that keeps only the daily wellness FIT files (and athletes.csv)."""
    from sample_data.generate import generate

    generate(_fresh(root), athletes=athletes, days=days, seed=seed, rr=False, start=_start(days))
    for path in sorted(root.rglob("*"), reverse=True):
        keep = path.name == "athletes.csv" or path.is_dir() or path.parent.name == "wellness"
        if not keep:
            path.unlink()
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    return sorted(root.rglob("*_WELLNESS.fit"))


def _planned_nights(root: Path) -> int:
    """The nights the generator planned (expected_nights.csv, next to the study): a day
    without a file (the watch off) has none, so the count is not athletes × days."""
    lines = (root / "expected_nights.csv").read_text().splitlines()
    return len(lines) - 1


def _by_athlete(files: list[Path]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for f in files:
        out.setdefault(f.parent.parent.name, []).append(f)
    return out


def herstel_counts(db: Path) -> dict[str, int]:
    """What herstel's warehouse holds: files loaded, activities, nightly rows."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:

        def one(sql: str) -> int:
            return int(con.execute(sql).fetchone()[0])

        return {
            "loaded": one("SELECT count(*) FROM files WHERE status IN ('loaded', 'partial')"),
            "activities": one("SELECT count(*) FROM activities"),
            "nights": one("SELECT count(*) FROM nightly_metrics"),
        }


def _check(what: str, got: int, expected: int, at_least: bool = False) -> None:
    ok = got >= expected if at_least else got == expected
    if not ok:
        raise RuntimeError(f"invalid run: {what} is {got}, expected {expected}")


class Bench:
    """One shared herstel server, the GarminDB command, scratch folders, and the checks."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = _fresh(scratch)
        self.garmindb = garmindb.cli()
        self.env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        self.env |= {
            "PYTHONPATH": str(REPO),
            "PREFECT_HOME": str(self.scratch / "prefect-home"),
            "HERSTEL_SERVER_PORT": str(free_port()),
            "HERSTEL_CONFIG": str(self.scratch / "no-alerts.toml"),
        }
        self.server_pid: int | None = None
        self.server_start_s = 0.0

    def start_server(self) -> None:
        """herstel's long-lived local server, as `herstel serve` keeps it: started once."""
        cost = run_cost([*HERSTEL, "server", "start"], self.env)
        from flows import server

        os.environ.update({k: self.env[k] for k in ("PREFECT_HOME", "HERSTEL_SERVER_PORT")})
        running = server.status()
        if running is None:
            raise RuntimeError("herstel's server did not start")
        self.server_pid = running.pid
        self.server_start_s = cost.cpu_s + _tree_cpu_s(running.pid)
        self.env["PREFECT_API_URL"] = running.api_url

    def stop_server(self) -> None:
        subprocess.run([*HERSTEL, "server", "stop"], env=self.env, cwd=REPO, capture_output=True)

    def herstel(self, args: list[str], db: Path) -> Cost:
        cmd = [*HERSTEL, *args, "--db", str(db)]
        return run_cost(cmd, self.env | {"HERSTEL_DB": str(db)}, self.server_pid)

    def garmin(self, home: Path, args: list[str]) -> Cost:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT", "HERSTEL"))}
        # run in its HOME: GarminDB writes garmindb.log into the working directory
        return run_cost([*self.garmindb, *args], env | {"HOME": str(home)}, cwd=home)


def study(b: Bench, athletes: int, days: int) -> Row:
    """Workload a: the wellness study, imported (and analysed) whole by each tool."""
    root = b.scratch / "study"
    files = _wellness_study(root / "input", athletes, days, seed=7)
    per = _by_athlete(files)
    planned = _planned_nights(root)
    h_import = b.herstel(["ingest", str(root / "input")], root / "import.duckdb")
    _check("herstel files loaded", herstel_counts(root / "import.duckdb")["loaded"], len(files))
    g_import = g_analyze = 0.0
    homes = {}
    for name, own in per.items():
        home = _fresh(root / f"home-{name}")
        garmindb.place(own, garmindb.write_home(home)["monitoring"], "WELLNESS")
        g_import += b.garmin(home, ["--import", "--monitoring"]).cpu_s
        homes[name] = home
    db = root / "nightly.duckdb"
    h_total = b.herstel(["ingest", str(root / "input"), "--nightly"], db)
    got = herstel_counts(db)
    _check("herstel files loaded (--nightly)", got["loaded"], len(files))
    _check("herstel nights", got["nights"], planned, at_least=True)
    for name, home in homes.items():
        g_analyze += b.garmin(home, ["--analyze"]).cpu_s
        c = garmindb.counts(home)
        _check(f"GarminDB monitoring files of {name}", c["monitoring_files"], len(per[name]))
        own = len(per[name])
        _check(f"GarminDB monitoring days of {name}", c["monitoring_days"], own, at_least=True)
        _check(f"GarminDB summary days of {name}", c["summary_days"], own, at_least=True)
    return Row(
        f"study: {athletes} athlete(s) × {days} days, daily wellness FIT",
        len(files), _mb(files), h_import.cpu_s, h_total.cpu_s, g_import, g_import + g_analyze,
        [f"herstel nights {got['nights']}; server share of herstel import+nightly "
         f"{h_total.server_s:.1f} s",
         f"per file: herstel import {1000 * h_import.cpu_s / len(files):.0f} ms, GarminDB "
         f"import {1000 * g_import / len(files):.0f} ms (all fixed costs included)"],
    )  # fmt: skip


def activities(b: Bench) -> Row:
    """Workload b: the real activity files GarminDB imports, read where they lie."""
    files = [CORPUS / name for name in ACTIVITY_FILES]
    missing = [f for f in files if not f.exists()]
    if missing:
        raise RuntimeError(f"corpus files missing: {missing}")
    root = _fresh(b.scratch / "activities")
    db = root / "herstel.duckdb"
    h = b.herstel(["ingest", *map(str, files), "--athlete", "corpus", "--tz", "UTC"], db)
    got = herstel_counts(db)
    _check("herstel activity files loaded", got["loaded"], len(files))
    _check("herstel activities", got["activities"], len(files), at_least=True)  # multisport: more
    home = _fresh(root / "home")
    garmindb.place(files, garmindb.write_home(home)["activities"], "ACTIVITY")
    g = b.garmin(home, ["--import", "--activities"])
    c = garmindb.counts(home)
    _check("GarminDB activities", c["activities"], len(files))
    db2 = root / "herstel-nightly.duckdb"
    h_total = b.herstel(
        ["ingest", *map(str, files), "--athlete", "corpus", "--tz", "UTC", "--nightly"], db2
    )
    g_an = b.garmin(home, ["--analyze"])
    return Row(
        "activities: real FIT activity files of the corpus",
        len(files), _mb(files), h.cpu_s, h_total.cpu_s, g.cpu_s, g.cpu_s + g_an.cpu_s,
        [f"herstel activities {got['activities']}, GarminDB activities {c['activities']}"],
    )  # fmt: skip


def _age(files: list[Path], days: float) -> None:
    """Date files back, so GarminDB's --latest (files of the last day) skips them as old."""
    when = time.time() - days * 86400
    for f in files:
        os.utime(f, (when, when))


def club(b: Bench, athletes: int, history: int) -> Row:
    """Workload c: one new night for each athlete of a club whose history both tools hold."""
    root = b.scratch / "club"
    files = _wellness_study(root / "input", athletes, history + 1, seed=11)
    new = [max(own, key=lambda f: f.name) for own in _by_athlete(files).values()]
    old = [f for f in files if f not in new]
    _check("club new files", len(new), athletes)
    inc = _fresh(root / "increment")
    shutil.copy(root / "input" / "athletes.csv", inc / "athletes.csv")
    for f in new:
        target = inc / f.relative_to(root / "input")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(f, target)
    _age(old, 3)
    # the history, in both (not timed)
    history_db = root / "history.duckdb"
    b.herstel(["ingest", str(root / "input"), "--nightly"], history_db)
    _check("herstel history files", herstel_counts(history_db)["loaded"], len(old))
    homes = {}
    for name, own in _by_athlete(old).items():
        home = _fresh(root / f"home-{name}")
        mon = garmindb.write_home(home)["monitoring"]
        garmindb.place(own, mon, "WELLNESS")
        b.garmin(home, ["--import", "--monitoring"])
        b.garmin(home, ["--analyze"])
        _check(f"GarminDB history of {name}", garmindb.counts(home)["monitoring_files"], len(own))
        homes[name] = (home, mon, len(own))
    for suffix in ("import", "nightly"):
        shutil.copy(history_db, root / f"{suffix}.duckdb")
    # the night, interleaved
    h_import = b.herstel(["ingest", str(inc)], root / "import.duckdb")
    _check("herstel new files", herstel_counts(root / "import.duckdb")["loaded"], len(files))
    g_import = g_analyze = 0.0
    new_by = _by_athlete(sorted(inc.rglob("*_WELLNESS.fit")))
    for name, (home, mon, held) in homes.items():
        garmindb.place(new_by[name], mon, "WELLNESS", first_id=garmindb.FIRST_ID + held)
        g_import += b.garmin(home, ["--import", "--monitoring", "--latest"]).cpu_s
    h_total = b.herstel(["ingest", str(inc), "--nightly"], root / "nightly.duckdb")
    nights = herstel_counts(root / "nightly.duckdb")["nights"]
    _check("herstel nights after the increment", nights, _planned_nights(root), at_least=True)
    for name, (home, _mon, held) in homes.items():
        g_analyze += b.garmin(home, ["--analyze"]).cpu_s
        got = garmindb.counts(home)["monitoring_files"]
        _check(f"GarminDB files of {name} after the increment", got, held + 1)
    # the same command once more: every file a duplicate, no new night: herstel's fixed cost
    fixed = b.herstel(["ingest", str(inc), "--nightly"], root / "nightly.duckdb")
    return Row(
        f"club night: {athletes} athletes, {len(old)} daily files held, 1 new day each",
        len(new), _mb(list(inc.rglob("*.fit"))), h_import.cpu_s, h_total.cpu_s, g_import,
        g_import + g_analyze,
        [f"server share of herstel import+nightly {h_total.server_s:.1f} s "
         f"(import alone: {h_import.server_s:.1f} s)",
         f"herstel's fixed cost: the same `ingest NEW --nightly` again, nothing new to do: "
         f"{fixed.cpu_s:.1f} s (server {fixed.server_s:.1f} s)",
         f"GarminDB per athlete: import {g_import / athletes:.1f} s, analyze "
         f"{g_analyze / athletes:.1f} s"],
    )  # fmt: skip


def markdown(rows: list[Row], command: str, server_start_s: float, load: tuple) -> str:
    """The RESULTS.md section: per workload CPU seconds of each tool and the ratios."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} with `{command}`, load average at the end {load[0]:.1f} / {load[1]:.1f} "
        f"(1 / 5 min) on {os.cpu_count()} cores. CPU seconds (user + sys) of each command's "
        "whole process tree; herstel's include what its running local server spent meanwhile "
        f"(the server's own start, once: {server_start_s:.1f} s, not counted).",
        "",
        "| workload | files | MB | herstel import s | GarminDB import s | import ratio "
        "| herstel import + nightly s | GarminDB import + analyze s | end-to-end ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.workload} | {r.files} | {r.mb:.2f} | {r.herstel_import_s:.1f} "
            f"| {r.garmindb_import_s:.1f} | {ratio(r.garmindb_import_s, r.herstel_import_s)} "
            f"| {r.herstel_total_s:.1f} | {r.garmindb_total_s:.1f} "
            f"| {ratio(r.garmindb_total_s, r.herstel_total_s)} |"
        )
    notes = [f"- {r.workload.split(':')[0]}: {n}" for r in rows for n in r.notes]
    return "\n".join(lines + ["", *notes]) + "\n"


def ratio(peer_s: float, herstel_s: float) -> str:
    """How many times less CPU herstel used than GarminDB, e.g. '4.8×'."""
    return f"{peer_s / herstel_s:.1f}×" if herstel_s > 0 else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--athletes", type=int, default=1)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--club", type=int, default=10)
    ap.add_argument("--history", type=int, default=14)
    ap.add_argument("--quick", action="store_true", help="a tiny smoke run")
    ap.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = ap.parse_args()
    if args.quick:
        args.athletes, args.days, args.club, args.history = 1, 3, 2, 2
    b = Bench(SCRATCH)
    b.start_server()
    try:
        rows = []
        for step in (
            lambda: study(b, args.athletes, args.days),
            lambda: activities(b),
            lambda: club(b, args.club, args.history),
        ):
            rows.append(step())
            print(rows[-1], flush=True)
    finally:
        b.stop_server()
    command = "python " + " ".join(["bench/peer.py", *sys.argv[1:]])
    text = markdown(rows, command, b.server_start_s, os.getloadavg())
    print(text)
    if args.write:
        write_section(text, HEADING)


if __name__ == "__main__":
    main()
