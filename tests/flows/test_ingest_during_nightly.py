"""An ingest that runs while the nightly flow runs, through the real CLI in separate processes.

DuckDB lets one process write a file at a time; herstel's writers hold it only per batch or
group of athletes and wait for it with a bounded retry (warehouse/db.py). The warehouse holds
most of the sample study; a `herstel nightly` starts on it (its first run: every athlete in
full) and, while it runs, a `herstel ingest` of the remaining files starts. Both must exit 0,
`files` must account for every file, and one more nightly run must give exactly the derived
tables of a clean one-pass import. Meanwhile an analyst opens short read-only connections
(docs/analyst.md) and must either read a consistent warehouse or get the documented
`WarehouseBusy` error, never a half-loaded file or half-written nightly results.

The overlap is arranged, not hoped for. Both CLI processes start first and wait, imports done,
for a go signal; they talk to the session's Prefect server (PREFECT_API_URL), as runs under
`herstel serve` do. The analyst holds one read-only connection open while the nightly flow run
starts (its `started_at` is taken) and then while the ingest flow run starts, so both writers
queue behind the reader (docs/analyst.md: a long-lived reader makes a run wait, up to a
minute). When the analyst lets go, the two runs contend for the file: the ingest registers,
parses and commits its files while the nightly run plans, reads, computes and stores. Whether
the nightly run's reads come before or after the ingest's commit is up to the lock; either way
the ingest's files are committed after the run's `started_at`, so they are new for the next
run (nightly_runs.started_at: "files ingested after it are new for the next run"), and the
next run must bring every derived table to what a clean one-pass import gives.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from derived_snapshot import assert_same_derived, derived_snapshot

from flows.ingest import ingest
from flows.nightly import nightly
from sample_data import STUDY_DIR
from warehouse.db import WarehouseBusy, connect
from warehouse.schema import RAW_TABLES
from warehouse.sql import frame, run

REPO = Path(__file__).resolve().parents[2]
#: Files of the study's last days (wellness and activities) held back for the second ingest:
#: few, so that the test stays fast (the ingest's work overlaps the nightly run's).
HELD_FROM = "2026-11-07"
#: Longest the whole concurrent part may take before the test gives up (s).
TIMEOUT_S = 120
#: How long the polling analyst waits for the lock before taking the busy error (s): not at
#: all, so that both answers occur and the analyst never makes a writer wait for long.
READER_WAIT_S = 0.0

#: A CLI process that imports everything, says "ready", waits for its go file, then runs
#: `herstel ARGS...` exactly as the console script does.
WAITING_CLI = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    go, args = Path(sys.argv[1]), sys.argv[2:]
    from flows import cli
    import flows.ingest, flows.nightly, report  # noqa: F401  (import time off the race)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    sys.argv = ["herstel", *args]
    cli.main()
    """
)


def _study_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "athletes.csv")


def _split(root: Path) -> tuple[Path, Path]:
    """The sample study as `most` (everything before HELD_FROM, and anna's night 10-01 held
    back from the middle) and `rest` (those files), both with athletes.csv."""
    most, rest = root / "most", root / "rest"
    shutil.copytree(STUDY_DIR, most)
    rest.mkdir()
    shutil.copy(most / "athletes.csv", rest / "athletes.csv")
    for path in _study_files(most):
        held = path.parent.name in ("wellness", "activities") and path.name[:10] >= HELD_FROM
        if held or path.name == "2026-10-01_WELLNESS.fit":
            target = rest / path.relative_to(most)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
    return most, rest


@pytest.fixture(scope="module")
def api_url(prefect_server) -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the prefect_server fixture gives an API URL"
    return url


@pytest.fixture(scope="module")
def clean_snapshot(tmp_path_factory, prefect_server) -> dict[str, pl.DataFrame]:
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    ingest([str(STUDY_DIR)], str(db))
    nightly(str(db))
    return derived_snapshot(db)


def _waiting_cli(go: Path, *args: str, db: Path, api_url: str) -> subprocess.Popen:
    env = {**os.environ, "HERSTEL_DB": str(db), "PREFECT_API_URL": api_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", WAITING_CLI, str(go), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode(errors="replace").strip()
    if line != "ready":
        proc.kill()
        pytest.fail(f"CLI process did not start: {line}{proc.stdout.read().decode()[-3000:]}")
    return proc


def _analyst_read(db: Path) -> tuple[int, ...] | None:
    """One short read-only look (docs/analyst.md), or None when the documented busy error
    came instead. Checks that every loaded file is wholly there and that the nightly tables
    come from one transaction."""
    try:
        con = connect(db, read_only=True, wait_s=READER_WAIT_S)
    except WarehouseBusy as exc:
        assert "held by another process" in str(exc) and "docs/analyst.md" in str(exc)
        return None
    try:
        counted = ", ".join(f"coalesce(sum(rows_{t}), 0)" for t in RAW_TABLES)
        stored = ", ".join(f"(SELECT count(*) FROM {t})" for t in RAW_TABLES)
        row = run(con, f"SELECT count(*), {counted}, {stored} FROM files")[0]
        stamps = run(
            con,
            "SELECT (SELECT max(computed_at) FROM nightly_metrics), "
            "(SELECT max(computed_at) FROM daily_metrics), "
            "(SELECT max(computed_at) FROM daily_flags)",
        )[0]
    finally:
        con.close()
    n = len(RAW_TABLES)
    files, counted_rows, stored_rows = row[0], row[1 : 1 + n], row[1 + n :]
    said = dict(zip(RAW_TABLES, counted_rows, strict=True))
    held = dict(zip(RAW_TABLES, stored_rows, strict=True))
    assert said == held, f"a reader saw a file half loaded: files say {said}, tables hold {held}"
    assert len(set(stamps)) == 1, f"a reader saw nightly results half written: {stamps}"
    return (files, *stored_rows)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _finish(proc: subprocess.Popen, what: str, timeout: float) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{what} did not finish in time:\n{out.decode(errors='replace')[-3000:]}")
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"{what} exited {proc.returncode}:\n{text[-3000:]}"
    return text


def _flow_runs(name: str) -> dict:
    """Flow runs of the flow `name` on the session's Prefect server: id -> state type."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[name])))
        return {r.id: r.state_type.value if r.state_type else None for r in runs}


def _wait_running(name: str, known: set, proc: subprocess.Popen, deadline: float):
    """Until the process's new flow run of `name` is RUNNING (its flow function entered)."""
    while time.monotonic() < deadline:
        new = {i: s for i, s in _flow_runs(name).items() if i not in known}
        if "RUNNING" in new.values():
            return next(i for i, s in new.items() if s == "RUNNING")
        assert proc.poll() is None, f"{name} exited {proc.poll()} before it ran"
        assert set(new.values()) <= {"SCHEDULED", "PENDING", None}, f"{name}: {new}"
        time.sleep(0.05)
    pytest.fail(f"no running {name} flow run")


def test_ingest_during_nightly_completes_and_equals_a_clean_import(
    clean_snapshot, api_url, tmp_path
):
    study = tmp_path / "study"
    most, rest = _split(study)
    held = _study_files(rest)
    assert 10 <= len(held) <= 40
    db = tmp_path / "busy.duckdb"
    ingest([str(most)], str(db))  # most of the study, never computed: the nightly has work

    go_nightly, go_ingest = tmp_path / "go-nightly", tmp_path / "go-ingest"
    deadline = time.monotonic() + TIMEOUT_S
    known = set(_flow_runs("herstel-nightly")) | set(_flow_runs("herstel-ingest"))
    reads: list[tuple[int, ...]] = []
    busy = 0
    procs: list[subprocess.Popen] = []
    try:
        night = _waiting_cli(go_nightly, "nightly", "--db", str(db), db=db, api_url=api_url)
        procs.append(night)
        late = _waiting_cli(
            go_ingest,
            "ingest",
            str(rest),
            "--db",
            str(db),
            "--workers",
            "1",
            db=db,
            api_url=api_url,
        )
        procs.append(late)
        analyst = connect(db, read_only=True)  # a long read: writers must wait for it
        try:
            go_nightly.touch()
            nightly_run = _wait_running("herstel-nightly", known, night, deadline)
            go_ingest.touch()
            _wait_running("herstel-ingest", known, late, deadline)
            time.sleep(0.2)  # the ingest finds its files and queues to register its athletes
            assert _flow_runs("herstel-nightly")[nightly_run] == "RUNNING"
            assert run(analyst, "SELECT count(*) FROM files")[0][0] == len(_study_files(most))
        finally:
            analyst.close()
        released = time.time()
        while (night.poll() is None or late.poll() is None) and time.monotonic() < deadline:
            seen = _analyst_read(db)
            if seen is None:
                busy += 1
            else:
                reads.append(seen)
            time.sleep(0.05)
    except BaseException:
        for proc in procs:  # no stray runs holding the file after a failure
            _kill(proc)
        raise
    _finish(night, "herstel nightly", max(1.0, deadline - time.monotonic()))
    _finish(late, "herstel ingest", max(1.0, deadline - time.monotonic()))
    assert reads or busy
    counts = [r[0] for r in reads]
    assert counts == sorted(counts), "the analyst saw committed files disappear"
    assert _flow_runs("herstel-nightly")[nightly_run] == "COMPLETED"

    con = connect(db, read_only=True)
    try:
        files = frame(con, "SELECT path, status, ingested_at FROM files ORDER BY path")
        runs = frame(con, "SELECT started_at, finished_at FROM nightly_runs")
    finally:
        con.close()
    # every file of the study, once, loaded
    # recorded paths start at the folder given (docs/study-import.md): most/... and rest/...
    recorded = sorted(Path(p).parts[1:] for p in files["path"])
    on_disk = sorted(p.relative_to(d).parts for d in (most, rest) for p in _study_files(d))
    assert recorded == on_disk
    assert len(recorded) == len(_study_files(STUDY_DIR))
    assert set(files["status"]) == {"loaded"}
    # the nightly run had started (and was held by the reader) before the ingest could commit:
    # the late files count as new for the next run
    assert runs.height == 1
    started = runs["started_at"][0]
    assert started.timestamp() < released
    late_files = files.filter(pl.col("path").str.starts_with(f"{rest.name}/"))
    assert late_files.height == len(held)
    assert late_files["ingested_at"].min() > started

    following = nightly(str(db))
    assert sorted(following.athletes) == ["anna", "bram", "chiyo"]
    assert_same_derived(clean_snapshot, derived_snapshot(db))
