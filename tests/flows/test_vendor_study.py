"""A study mixing every vendor export herstel reads, imported with ONE real command.

`sample_data.vendors.study` writes one athlete per source profile x 21 nights (Garmin FIT,
Garmin Connect JSON loose and zipped with a nested FIT zip, WHOOP, Oura new and old exports,
Fitbit Takeout, Apple Health zipped and with HRV4Training, Polar + Elite HRV, HRV4Training,
Elite HRV, Oura + beat-to-beat Polar .hrm / Suunto .sml / Suunto app JSON, Gadgetbridge,
Android Health Connect, Samsung Health, Withings, Google Health Takeout zip, Zepp: `PROFILES`)
plus planted bad files, and the plan's expectations. The test runs

    herstel ingest STUDY --nightly --db DB

as a subprocess, exactly as a researcher would (it starts its own temporary Prefect server),
then reads the warehouse: every file and zip member recorded once with the expected status,
the printed summary naming each file that needs a look, and every planned night's sleep
hours, resting HR and HRV with the method and source format herstel must have used.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sample_data.vendors.compare import compare_nights, read_expected_nights
from sample_data.vendors.study import PROFILES, write_vendor_study
from warehouse.db import connect
from warehouse.sql import frame

#: one athlete per profile: the count follows PROFILES as profiles are added
ATHLETES, DAYS, SEED = len(PROFILES), 21, 3
#: No DST change in any of the study's zones in these three weeks.
START = date(2026, 6, 1)
#: Profiles whose export gives one nightly marker only (Zepp: the device's sleep hours).
ONE_MARKER = {"zepp"}
#: Every nightly method the study must exercise at least once.
METHODS = {
    "sleep_hours": {"stages", "device"},
    "resting_hr": {"sleep_hr_30min", "device"},
    "hrv_ms": {"rr_rmssd_5min", "device_5min", "device_nightly"},
}


def herstel_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = shutil.which("herstel", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "flows.cli"]


@dataclass
class Imported:
    study: Path
    summary: dict
    proc: subprocess.CompletedProcess
    seconds: float
    db: str

    def query(self, sql: str, params: list | None = None) -> pl.DataFrame:
        con = connect(self.db, read_only=True)
        try:
            return frame(con, sql, params)
        finally:
            con.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Imported:
    root = tmp_path_factory.mktemp("vendor_study")
    study = root / "study"
    summary = write_vendor_study(
        study, athletes=ATHLETES, days=DAYS, seed=SEED, start=START, expected_dir=root
    )
    db = str(root / "study.duckdb")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    # wide enough that rich never folds a path or a reason; a private Prefect home so other
    # test runs on the machine do not share the temporary server's database
    env |= {"COLUMNS": "1000", "PREFECT_HOME": str(root / "prefect-home")}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*herstel_command(), "ingest", str(study), "--nightly", "--db", db],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    imp = Imported(study, summary, proc, time.perf_counter() - t0, db)
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return imp


def expected_files(imp: Imported) -> list[dict]:
    with imp.summary["expected_files"].open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def recorded_files(imp: Imported) -> pl.DataFrame:
    prefix = f"{imp.study.name}/"  # paths are recorded from the study folder's own name
    return imp.query("SELECT path, athlete_id, status, format, reason FROM files").with_columns(
        pl.col("path").str.strip_prefix(prefix).alias("rel")
    )


def test_one_command_exits_0_and_covers_every_source(imported):
    assert imported.proc.returncode == 0
    assert all(imported.summary["profiles"][p] for p in PROFILES), imported.summary["profiles"]
    print(
        f"herstel ingest --nightly: {imported.seconds:.1f} s for "
        f"{imported.summary['records']} files, {imported.summary['bytes'] / 1e6:.1f} MB"
    )


def test_every_file_and_zip_member_has_exactly_one_files_row(imported):
    files = recorded_files(imported)
    expected = {r["path"]: r for r in expected_files(imported)}
    twice = files.group_by("rel").len().filter(pl.col("len") > 1)
    assert twice.height == 0, f"recorded more than once:\n{twice}"
    assert set(files["rel"]) == set(expected), (
        f"not recorded: {sorted(set(expected) - set(files['rel']))}\n"
        f"not expected: {sorted(set(files['rel']) - set(expected))}"
    )
    wrong = []
    for row in files.iter_rows(named=True):
        exp = expected[row["rel"]]
        if row["status"] != exp["status"]:
            wrong.append((row["rel"], "status", row["status"], exp["status"], row["reason"]))
        elif exp["format"] and row["format"] != exp["format"]:
            wrong.append((row["rel"], "format", row["format"], exp["format"]))
        elif exp["reason"] and exp["reason"].lower() not in (row["reason"] or "").lower():
            wrong.append((row["rel"], "reason", row["reason"], exp["reason"]))
        elif (row["athlete_id"] or "") != exp["athlete_id"]:
            wrong.append((row["rel"], "athlete", row["athlete_id"], exp["athlete_id"]))
    assert not wrong, "\n".join(map(str, wrong))
    # every file on disk is in the expectations (zips through their members)
    on_disk = {
        p.relative_to(imported.study).as_posix()
        for p in imported.study.rglob("*")
        if p.is_file() and p.name != "athletes.csv"
    }
    for path in on_disk:
        assert path in expected or any(e.startswith(path + "/") for e in expected), path
    # the planted cases are all there
    statuses = {e["status"] for e in expected.values()}
    assert statuses == {"loaded", "partial", "duplicate", "quarantined"}


def test_summary_names_every_file_that_needs_a_look(imported):
    out = imported.proc.stdout
    lines = out.splitlines()
    for exp in expected_files(imported):
        if exp["status"] not in ("quarantined", "partial"):
            continue
        hits = [ln for ln in lines if exp["path"] in ln]
        assert hits, f"{exp['path']} is not named in the summary:\n{out[:4000]}"
        assert exp["status"] in hits[0] and exp["reason"].lower() in hits[0].lower(), hits[0]
    counts = [ln for ln in lines if "duplicate" in ln]
    assert counts and counts[0].split()[-2] == "1", counts  # the format/status table
    assert "Nights per athlete" in out
    nights_rows = {cells[1].strip() for ln in lines if len(cells := ln.split("│")) > 2}
    for athletes in imported.summary["profiles"].values():
        assert set(athletes) <= nights_rows, athletes


def test_every_athlete_has_nights(imported):
    nights = imported.query(
        "SELECT athlete_id, count(*) AS n FROM nightly_metrics GROUP BY 1 ORDER BY 1"
    )
    assert nights["athlete_id"].to_list() == [f"p{i:02d}" for i in range(1, ATHLETES + 1)]
    assert nights["n"].min() >= DAYS * 3 // 4, nights


def test_nightly_values_methods_and_sources_match_the_plan(imported):
    expected = read_expected_nights(imported.summary["expected_nights"])
    bad = compare_nights(
        expected,
        imported.query("SELECT * FROM nightly_metrics"),
        imported.query("SELECT file_id, format FROM files"),
    )
    with pl.Config(tbl_rows=40, tbl_cols=12, tbl_width_chars=200):
        assert bad.height == 0, f"{bad.height} mismatches:\n{bad.head(40)}"
    # the expectations exercise every method, and every profile has values checked
    for metric, methods in METHODS.items():
        got = set(expected.filter(pl.col("metric") == metric)["method"].drop_nulls())
        assert methods <= got, (metric, got)
    checked = dict(expected.filter(pl.col("value").is_not_null()).group_by("profile").len()
                   .iter_rows())
    assert set(checked) == set(PROFILES)
    nights = dict(expected.group_by("profile").agg(pl.col("night").n_unique()).iter_rows())
    for profile, n in checked.items():
        if profile in ONE_MARKER:  # one value a night, on every night the athlete slept
            assert n == nights[profile] >= DAYS * 3 // 4, (profile, n, nights[profile])
        else:
            assert n >= DAYS, (profile, n)


def test_apple_sdnn_is_stored_but_never_used_as_hrv(imported):
    apple = imported.summary["profiles"]["apple_zip"]
    sdnn = imported.query(
        "SELECT count(*) AS n FROM device_summaries WHERE metric = 'hrv_sdnn_ms' "
        "AND list_contains(?, athlete_id)",
        [apple],
    )
    assert sdnn["n"][0] >= DAYS * 3 // 4, "Apple's SDNN readings (one per night) were not stored"
    from_apple = imported.query(
        "SELECT n.athlete_id, n.night, n.hrv_ms FROM nightly_metrics n "
        "JOIN files f ON f.file_id = n.hrv_file_id WHERE f.format = 'apple_health_xml'"
    )
    assert from_apple.height == 0, f"hrv_ms taken from an Apple file:\n{from_apple}"
    apple_hrv = imported.query(
        "SELECT count(hrv_ms) AS n FROM nightly_metrics WHERE list_contains(?, athlete_id)", [apple]
    )
    assert apple_hrv["n"][0] == 0


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_generation_is_deterministic(tmp_path):
    for run in ("a", "b"):
        write_vendor_study(
            tmp_path / run / "study",
            athletes=ATHLETES,
            days=3,
            seed=SEED,
            start=START,
            expected_dir=tmp_path / run,
        )
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_fitbit_sleep_on_a_dst_change_night():
    from parsers.vendors import fitbit
    from sample_data.vendors.common import json_bytes
    from sample_data.vendors.fitbit import _fitbit_log
    from sample_data.vendors.study import plan_athlete

    a = plan_athlete("x", "fitbit", 30, "Europe/Amsterdam", date(2026, 3, 28), 2, SEED)
    night = a.by_date()[date(2026, 3, 29)]  # 02:00 CET -> 03:00 CEST while asleep
    log, short_s = _fitbit_log(a, night, random.Random(1))
    stages = fitbit.parse_sleep(json_bytes([log]), "sleep-2026-03-28.json", tz=a.time_zone)
    asleep = stages.frames["sleep_stages"].filter(pl.col("stage").is_in(["light", "deep", "rem"]))
    seconds = asleep.select((pl.col("end_ts") - pl.col("start_ts")).dt.total_seconds().sum())
    assert seconds.item() == night.asleep_s - short_s
