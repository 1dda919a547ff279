"""`herstel export` end to end on the sample study: files, data dictionary, manifest, filters,
owner-only permissions, and a pseudonymised study that exports pseudonyms only."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest
from flows.nightly import nightly
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.sql import run

runner = CliRunner()
NAMES = ("anna", "bram", "chiyo")


def _count(db: Path, sql: str, params: list | None = None) -> int:
    con = connect(db, read_only=True)
    try:
        return run(con, sql, params)[0][0]
    finally:
        con.close()


def _export(db: Path, out: Path, *args: str):
    return runner.invoke(app, ["export", "--db", str(db), "--out", str(out), *args])


@pytest.fixture(scope="module")
def parquet_export(sample_warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "study-export"
    result = _export(sample_warehouse, out)
    assert result.exit_code == 0, result.output
    return out


def test_files_rows_and_permissions(parquet_export, sample_warehouse):
    episodes = _count(
        sample_warehouse, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'flag_episodes'"
    )
    expected = {"nights.parquet", "days.parquet", "flags.parquet", "athletes.parquet",
                "data_dictionary.csv", "manifest.json"}  # fmt: skip
    expected |= {"episodes.parquet"} if episodes else set()
    assert {p.name for p in parquet_export.iterdir()} == expected
    assert oct(parquet_export.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in parquet_export.iterdir()} == {"0o600"}
    for name, table in (("nights", "nightly_metrics"), ("days", "daily_metrics"),
                        ("flags", "daily_flags"), ("athletes", "athletes")):  # fmt: skip
        data = pl.read_parquet(parquet_export / f"{name}.parquet")
        assert data.height == _count(sample_warehouse, f"SELECT count(*) FROM {table}") > 0
    nights = pl.read_parquet(parquet_export / "nights.parquet")
    assert nights.schema["night"] == pl.Date and nights.schema["resting_hr"] == pl.Float64
    flags = pl.read_parquet(parquet_export / "flags.parquet")
    assert flags["unit"].null_count() == 0
    assert set(flags.filter(pl.col("rule_id") == "rhr_elevated")["unit"]) == {"bpm"}
    assert set(flags.filter(pl.col("rule_id") == "hrv_low")["unit"]) <= {"ms"}


def test_data_dictionary_describes_every_exported_column(parquet_export):
    dictionary = pl.read_csv(parquet_export / "data_dictionary.csv")
    assert dictionary.columns == ["file", "column", "type", "description"]
    for path in parquet_export.glob("*.parquet"):
        listed = dictionary.filter(pl.col("file") == path.name)["column"].to_list()
        assert listed == pl.read_parquet(path).columns, path.name
    assert dictionary.filter(pl.col("description").fill_null("") == "").height == 0
    unit = dictionary.filter((pl.col("file") == "flags.parquet") & (pl.col("column") == "unit"))
    assert "bpm" in unit["description"][0]


def test_manifest_replicates_the_study(parquet_export, sample_warehouse):
    m = json.loads((parquet_export / "manifest.json").read_text())
    assert m["herstel_version"] == "0.1.0" and m["format"] == "parquet"
    assert m["filters"] == {"athlete": None, "since": None}
    rs = m["ruleset"]
    assert rs["version"] == "2026.12.1" and rs["file"] == "packaged"
    assert re.fullmatch(r"[0-9a-f]{64}", rs["sha256"])
    assert rs["rules"]["rhr_elevated"]["unit"] == "bpm"
    assert rs["rules"]["rhr_elevated"]["levels"]["high"] == {
        "severity": "warning", "thresholds": {"pct_above": 8.0, "bpm_above": 8.0}}  # fmt: skip
    assert rs["rules"]["sleep_short_streak"]["levels"]["streak"]["thresholds"] == {
        "hours_below": 6.0, "nights": 3.0}  # fmt: skip
    assert len(rs["rules"]) == 15 and all(r["unit"] for r in rs["rules"].values())
    assert [p["name"] for p in rs["profiles"]] == ["older"]
    assert rs["profiles"][0]["thresholds"]["hrv_low"]["low"] == {"ms_below": 35.0}
    assert set(m["flags_ruleset_versions"]) <= {"2026.12.1", "2026.12.1+older"}
    assert m["ruleset_matches_flags"] is True
    flags = _count(sample_warehouse, "SELECT count(*) FROM daily_flags")
    assert m["tables"]["flags"]["rows"] == flags


def test_csv_for_one_athlete_since_a_day(sample_warehouse, tmp_path):
    out = tmp_path / "anna-csv"
    result = _export(sample_warehouse, out, "--format", "csv", "--athlete", "anna",
                     "--since", "2026-10-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    nights = pl.read_csv(out / "nights.csv", try_parse_dates=True)
    flags = pl.read_csv(out / "flags.csv", try_parse_dates=True)
    assert set(nights["athlete_id"]) == {"anna"} and set(flags["athlete_id"]) == {"anna"}
    assert nights["night"].min() >= date(2026, 10, 1)
    assert nights.height == _count(
        sample_warehouse,
        "SELECT count(*) FROM nightly_metrics WHERE athlete_id = 'anna' AND night >= ?",
        [date(2026, 10, 1)],
    )
    assert flags.height == _count(
        sample_warehouse,
        "SELECT count(*) FROM daily_flags WHERE athlete_id = 'anna' AND day >= ?",
        [date(2026, 10, 1)],
    )
    m = json.loads((out / "manifest.json").read_text())
    assert m["filters"] == {"athlete": "anna", "since": "2026-10-01"}


def test_usage_errors_exit_2(sample_warehouse, tmp_path):
    assert _export(sample_warehouse, tmp_path / "x", "--athlete", "nobody").exit_code == 2
    assert _export(sample_warehouse, tmp_path / "y", "--format", "xlsx").exit_code == 2
    assert _export(sample_warehouse, tmp_path / "z", "--since", "last week").exit_code == 2


def test_pseudonymised_study_exports_pseudonyms_only(tmp_path, prefect_server):
    db = tmp_path / "pseudo.duckdb"
    ingest([str(STUDY_DIR)], str(db), pseudonymise_key=str(tmp_path / "key"))
    nightly(str(db))
    out = tmp_path / "pseudo-export"
    result = _export(db, out, "--format", "csv")
    assert result.exit_code == 0, result.output
    ids = set(pl.read_csv(out / "nights.csv")["athlete_id"])
    assert len(ids) == 3 and all(re.fullmatch(r"p[0-9a-f]{16}", i) for i in ids)
    names = re.compile(r"\b(" + "|".join(NAMES) + r")\b", re.I)  # not "vannacht"
    for path in out.iterdir():
        assert names.findall(path.read_text(encoding="utf-8")) == [], path.name
