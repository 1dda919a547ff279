"""The CLI's fixed cost: what a command costs before it does any work, as ratios in one run.

    python bench/cli_overhead.py [--repeat 2] [--write]

Against an existing warehouse (one sample athlete, computed) and herstel's running local
server (flows/server.py), the best of `repeat` wall times of: `herstel rules` (the yardstick:
no Prefect, no database), `herstel nightly` with nothing new to do, and `herstel ingest` of
one small FIT file (3 KB, a different one each time). Goals (issue 14): nightly within 2x
and ingest within 3x `herstel rules`. For comparison, once each: the nightly flow run with
nothing to do (what `herstel nightly` always was) on the running server and on Prefect's
per-command temporary server (HERSTEL_SERVER=temporary: what every flow command paid before
the long-lived server), the ingest on the temporary server, and the import time of each
command's modules (`python -X importtime`, cumulative).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.study import free_port, write_section  # noqa: E402

HERSTEL = [sys.executable, "-m", "flows.cli"]
STUDY = REPO / "sample_data" / "study"
#: Small FIT files (3 KB each) of an athlete not yet in the warehouse: one per ingest timing.
SMALL_FILES = sorted((STUDY / "chiyo" / "activities").glob("*.fit"))


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - start


def _best(cmds: list[list[str]], env: dict[str, str]) -> float:
    return min(_time(cmd, env) for cmd in cmds)


def _import_s(module: str, env: dict[str, str]) -> float:
    """Cumulative import time of `module` in a fresh interpreter, in seconds."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env, cwd=REPO, check=True, capture_output=True, text=True,
    )  # fmt: skip
    last = [line for line in out.stderr.splitlines() if line.rstrip().endswith(f"| {module}")]
    return int(last[-1].split("|")[1]) / 1e6


def _ingest(db: str, path: Path) -> list[str]:
    return [*HERSTEL, "ingest", str(path), "--athlete", "chiyo", "--tz", "Asia/Tokyo", "--db", db]


def measure(tmp: str, repeat: int) -> list[tuple[str, float]]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {
        "PREFECT_HOME": f"{tmp}/prefect-home",
        "HERSTEL_SERVER": "auto",
        "HERSTEL_SERVER_PORT": str(free_port()),
        "HERSTEL_CONFIG": f"{tmp}/no-alerts.toml",
    }
    db = f"{tmp}/club.duckdb"
    nightly = [*HERSTEL, "nightly", "--db", db]
    # the warehouse and the server, before any timing (this starts the server)
    subprocess.run(
        [*HERSTEL, "ingest", str(STUDY / "anna"), "--athlete", "anna", "--tz",
         "Europe/Amsterdam", "--db", db, "--nightly"],
        env=env, cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    files = iter(SMALL_FILES)
    temporary = env | {"HERSTEL_SERVER": "temporary"}
    # --since far ahead: the flow runs with nothing to do, as every nightly did before
    flow_run = [*nightly, "--since", "2100-01-01"]
    try:
        # the nightly rows first: each ingest below leaves new data for the next nightly
        rows = [
            ("python -c pass (interpreter)", _best([[sys.executable, "-c", "pass"]] * repeat, env)),
            ("herstel rules", _best([[*HERSTEL, "rules"]] * repeat, env)),
            ("herstel nightly, nothing new", _best([nightly] * repeat, env)),
            ("herstel nightly, nothing new, as a flow run, running server", _time(flow_run, env)),
            (
                "herstel nightly, nothing new, as a flow run, temporary server (before)",
                _time(flow_run, temporary),
            ),
            (
                "herstel ingest one 3 KB FIT file, running server",
                _best([_ingest(db, next(files)) for _ in range(repeat)], env),
            ),
            (
                "herstel ingest one 3 KB FIT file, temporary server (before)",
                _time(_ingest(db, next(files)), temporary),
            ),
        ]
        rows += [
            (f"import {m} (-X importtime)", _import_s(m, env))
            for m in ("flows.cli", "flows.nightly", "flows.ingest")
        ]
    finally:
        subprocess.run([*HERSTEL, "server", "stop"], env=env, cwd=REPO, capture_output=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(tmp, args.repeat)
    rules = rows[1][1]
    command = "python " + " ".join(["bench/cli_overhead.py", *sys.argv[1:]])
    load = os.getloadavg()[0]
    lines = [
        f"Best of {args.repeat} wall times (the 'before' rows: one), `{command}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load:.1f} "
        "on 2 cores:",
        "",
        "| command | seconds | × herstel rules |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {t:.2f} | {t / rules:.1f} |" for name, t in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(text, "## CLI fixed cost, latest run")  # keeps the before/after notes


if __name__ == "__main__":
    main()
