"""Alert load before and after issue 13: how often does a coach see red?

    python bench/alert_load.py [--athletes 50] [--days 120] [--seed 1] [--base fa631fb] [--no-write]

On the vendor study (generated and imported once, cached under bench/_work/, with
`herstel ingest STUDY --nightly`), on the committed sample study and on the six realistic
athletes (sample_data/realistic_study.py), compares the flags of
this checkout's rules ("after") with those of the `--base` commit's rules ("before") on the
SAME stored nightly and daily metrics, each evaluated on the whole history in one pass: the
base code is unpacked with `git archive` (the git state is not touched) and evaluates in a
subprocess, this checkout's in this process. Reports, per study:

- share of athlete-nights with a warning: athlete-days with at least one warning flag /
  athlete-nights in nightly_metrics;
- warning episodes per athlete-month: episodes (rules/episodes.py, the same grouping for both
  sets of flags) whose peak is a warning, per 30.44 athlete-nights;
- warning alerts per athlete-month: what a coach was sent. Before: every warning day (each
  morning's digest repeated it); after: episode starts and worsenings at warning severity.

Writes the `## Alert load` section of bench/RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import io
import platform
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import polars as pl  # noqa: E402
from vendor_study import WORK, run_import, study  # noqa: E402

from rules.catalogue import load_ruleset  # noqa: E402
from rules.episodes import alerts, episodes  # noqa: E402
from rules.evaluate import evaluate  # noqa: E402
from warehouse.sql import run  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
#: The last commit before issue 13 changed the rules (a fixed ref: `main` moves).
BEFORE_ISSUE_13 = "fa631fb"
HEADING = "## Alert load"
TABLES = ("nightly_metrics", "daily_metrics", "wellness", "lab_results", "athletes", "files")

#: Run with the base commit's code on PYTHONPATH: evaluate the stored metrics, write Parquet.
BEFORE = """
import sys, duckdb, polars as pl
from datetime import datetime, UTC
from rules.catalogue import load_ruleset
from rules.evaluate import evaluate
db, out = sys.argv[1], sys.argv[2]
con = duckdb.connect(db, read_only=True)
t = {n: con.sql(f"SELECT * FROM {n}").pl() for n in sys.argv[3:]}
con.close()
extra = {k: t[k] for k in ("wellness", "lab_results", "athletes")}
evaluate(t["nightly_metrics"], t["daily_metrics"], load_ruleset(), datetime.now(UTC),
         extra=extra).write_parquet(out)
"""


def base_code(ref: str) -> Path:
    """The base commit's files, unpacked once under bench/_work/base_<sha>."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", ref], check=True,
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    target = WORK / f"base_{sha[:12]}"
    if not (target / "rules").is_dir():
        data = subprocess.run(["git", "-C", str(REPO), "archive", sha], check=True,
                              capture_output=True).stdout  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(target, filter="data")
    return target


def before_flags(db: Path, base: Path) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "before.parquet"
        env = {"PYTHONPATH": str(base), "PATH": "/usr/bin:/bin"}
        subprocess.run([sys.executable, "-c", BEFORE, str(db), str(out), *TABLES],
                       check=True, env=env, cwd=base)  # fmt: skip
        return pl.read_parquet(out)


def load(flags: pl.DataFrame, nights: int, last_data: pl.DataFrame) -> dict:
    """Share of athlete-nights with a warning; warning episodes and alerts per athlete-month."""
    policy = load_ruleset().episodes
    months = nights / 30.44
    warn = flags.filter(pl.col("severity") == "warning")
    eps = episodes(flags, last_data, policy, datetime.now(UTC))
    due = alerts(flags, policy).filter(pl.col("severity") == "warning")
    return {
        "share": warn.select("athlete_id", "day").unique().height / nights,
        "episodes": eps.filter(pl.col("peak_severity") == "warning").height / months,
        "days": warn.height / months,
        "alerts": due.height / months,
    }


def measure(db: Path, base: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        t = {n: con.sql(f"SELECT * FROM {n}").pl() for n in TABLES}
        nights = run(con, "SELECT count(*) FROM nightly_metrics")[0][0]
        athletes = run(con, "SELECT count(*) FROM athletes")[0][0]
        last_data = con.sql(
            "SELECT athlete_id, max(d) AS last_day FROM (SELECT athlete_id, night AS d FROM "
            "nightly_metrics UNION ALL SELECT athlete_id, day FROM daily_metrics) GROUP BY 1"
        ).pl()
    finally:
        con.close()
    extra = {k: t[k] for k in ("wellness", "lab_results", "athletes", "files")}
    after = evaluate(t["nightly_metrics"], t["daily_metrics"], load_ruleset(),
                     datetime.now(UTC), extra=extra)  # fmt: skip
    before = before_flags(db, base)
    keys = ["rule_id", "severity"]
    by_rule = (
        before.group_by(keys).len()
        .join(after.group_by(keys).len(), on=keys, how="full", suffix="_after", coalesce=True)
        .fill_null(0).sort("len", descending=True)
    )  # fmt: skip
    return {"athletes": athletes, "nights": nights, "by_rule": by_rule,
            "before": load(before, nights, last_data),
            "after": load(after, nights, last_data)}  # fmt: skip


def sample_db(work: Path) -> Path:
    db = work / "sample_study.duckdb"
    if not db.exists():
        run_import(REPO / "sample_data" / "study", db, None)
    return db


def realistic_db(work: Path) -> Path:
    """The six realistic athletes of sample_data/realistic_study.py, imported once."""
    from sample_data import realistic_study

    db = work / "realistic_study.duckdb"
    if not db.exists():
        run_import(realistic_study.generate(work / "realistic_study"), db, None)
    return db


def row(name: str, m: dict) -> str:
    b, a = m["before"], m["after"]
    return (
        f"| {name} | {m['athletes']} | {m['nights']} | {100 * b['share']:.1f} % | "
        f"{100 * a['share']:.1f} % | {b['episodes']:.2f} | {a['episodes']:.2f} | "
        f"{b['days']:.2f} | {a['alerts']:.2f} |"
    )


def write_results(text: str) -> None:
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    parts = old.split(HEADING)
    head = parts[0].rstrip() + "\n\n" if parts[0].strip() else ""
    tail = ""
    if len(parts) > 1:
        rest = parts[1].split("\n## ", 1)
        tail = "\n## " + rest[1] if len(rest) > 1 else ""
    RESULTS.write_text(head + text.rstrip() + "\n" + tail, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--athletes", type=int, default=50)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--base", default=BEFORE_ISSUE_13,
                    help="git ref whose rules are 'before' (default: the last commit before "
                         "issue 13's rules)")  # fmt: skip
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    base = base_code(args.base)
    folder, _expected, _info = study(args.athletes, args.days, args.seed)
    db = WORK / f"alert_{args.athletes}x{args.days}_s{args.seed}.duckdb"
    if not db.exists():
        run_import(folder, db, None)
    results = {
        f"vendor study, {args.athletes} athletes × {args.days} days": measure(db, base),
        "sample study (3 athletes × 70 days)": measure(sample_db(WORK), base),
        "realistic athletes (6 × 120 days)": measure(realistic_db(WORK), base),
    }
    lines = [
        HEADING,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} with "
        f"`python bench/alert_load.py --athletes {args.athletes} --days {args.days} "
        f"--base {args.base}`: the same nightly and daily metrics, flags by the base "
        "commit's rules (before) and by this checkout's (after).",
        "",
        "| study | athletes | athlete-nights | nights with a warning, before | after | "
        "warning episodes / athlete-month, before | after | warning alerts / athlete-month, "
        "before | after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[row(name, m) for name, m in results.items()],
        "",
        "Warning episodes: the flags grouped by rules/episodes.py (same grouping for both). "
        "Alerts before: every warning day (the digest repeated each morning); after: each "
        "warning episode's start plus its worsening (docs/rules.md, Episodes). Cost: the "
        "first run generates and imports the study (about 7 min wall on 2 shared cores, "
        "cached under bench/_work/); a run on the cache takes about 25 s. The realistic "
        "athletes (sample_data/realistic_study.py) are evaluated on metrics computed by this "
        "checkout, so 'before' shows only the rule changes (personal HRV lines, median "
        "usual week), not the metric ones (one TRIMP scale, second recordings, a walk "
        "keeping a rest day).",
        "",
        "Flag days per rule and severity (vendor study), before → after:",
        "",
    ]
    vendor = next(iter(results.values()))["by_rule"]
    lines += [f"- `{r}` {s}: {b} → {a}" for r, s, b, a in vendor.iter_rows()]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_results(text)


if __name__ == "__main__":
    main()
