"""The CLI's fixed cost: what a command costs before it does any work.

    python bench/cli_overhead.py [--repeat 3] [--write]

Compares, in one run, the best of `repeat` wall times of: `herstel rules` (no Prefect, no
database), `herstel flags` (a read-only query), and `herstel nightly` on an empty warehouse,
once with Prefect's temporary server (no PREFECT_API_URL: what a cron user pays per run) and
once against an already running local server (what `herstel serve` pays).
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

from bench.study import write_section  # noqa: E402
from flows.serve import start_local_server  # noqa: E402

HERSTEL = [sys.executable, "-m", "flows.cli"]


def _best(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HERSTEL_DB": f"{tmp}/empty.duckdb", "PREFECT_HOME": f"{tmp}/ph"}
        env.pop("PREFECT_API_URL", None)
        # an empty warehouse (`nightly` never creates one: a missing file is a usage error)
        subprocess.run(
            [sys.executable, "-c", "from warehouse.db import connect; connect().close()"],
            env=env, cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
        rows = [
            (
                "python -c pass (interpreter)",
                _best([sys.executable, "-c", "pass"], env, args.repeat),
            ),
            ("herstel rules", _best([*HERSTEL, "rules"], env, args.repeat)),
            ("herstel flags (read-only query)", _best([*HERSTEL, "flags"], env, args.repeat)),
            (
                "herstel nightly, temporary Prefect server",
                _best([*HERSTEL, "nightly"], env, args.repeat),
            ),
        ]
        server, api_url = start_local_server(env=env)
        try:
            served = {**env, "PREFECT_API_URL": api_url}
            rows.append(
                (
                    "herstel nightly, running Prefect server",
                    _best([*HERSTEL, "nightly"], served, args.repeat),
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    command = "python " + " ".join(["bench/cli_overhead.py", *sys.argv[1:]])
    lines = [
        f"Best of {args.repeat} wall times, `{command}`:",
        "",
        "| command | seconds |",
        "|---|---|",
    ]
    lines += [f"| {name} | {t:.2f} |" for name, t in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(text, "## CLI fixed cost")


if __name__ == "__main__":
    main()
