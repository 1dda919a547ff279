"""Issue 12, point 2: bad configuration is refused at the door, per athlete, and an athlete
whose stored configuration is still bad is skipped by the nightly run, every other computed."""

from __future__ import annotations

from datetime import date

import pytest
from hostile_study import execute, nightly_csv, query, write
from typer.testing import CliRunner

import flows.nightly
from flows.cli import app
from flows.ingest import ingest
from flows.nightly import nightly
from warehouse.athlete_config import profile_problems, zone_problem

pytestmark = pytest.mark.hostile
runner = CliRunner()
JUNE = date(2026, 6, 1)
NIGHTS = 8
ATHLETES_SQL = "SELECT athlete_id, time_zone, time_zone_source, birth_year FROM athletes ORDER BY 1"
PROBLEMS_SQL = "SELECT athlete_id, source, problem FROM athlete_problems ORDER BY ALL"
NIGHTS_SQL = "SELECT athlete_id, count(*) FROM nightly_metrics GROUP BY 1 ORDER BY 1"


def _study(tmp_path, athletes_csv: str | None = None):
    study = tmp_path / "study"
    for who in ("anna", "bob"):
        write(study / who / "nights.csv", nightly_csv("", JUNE, NIGHTS))
    if athletes_csv is not None:
        write(study / "athletes.csv", athletes_csv)
    return study, tmp_path / "w.duckdb"


@pytest.mark.parametrize(
    ("zone", "problem"),
    [
        ("localtime", "unknown time zone 'localtime' (an IANA name such as 'Europe/Amsterdam')"),
        ("posixrules", "unknown time zone 'posixrules' (an IANA name such as 'Europe/Amsterdam')"),
        ("Factory", "unknown time zone 'Factory' (an IANA name such as 'Europe/Amsterdam')"),
        ("posix/Europe/Amsterdam",
         "unknown time zone 'posix/Europe/Amsterdam'; did you mean 'Europe/Amsterdam'?"),
        ("right/UTC", "unknown time zone 'right/UTC'; did you mean 'UTC'?"),
        ("Europe/Amsterdamm",
         "unknown time zone 'Europe/Amsterdamm'; did you mean 'Europe/Amsterdam'?"),
        ("europe/amsterdam",
         "unknown time zone 'europe/amsterdam'; did you mean 'Europe/Amsterdam'?"),
        ("", "time zone is empty"),
        ("Europe/Amsterdam", None),
        ("Asia/Tokyo", None),
        ("Etc/GMT-9", None),
        ("UTC", None),
    ],
)  # fmt: skip
def test_zones_both_polars_and_duckdb_accept(zone, problem):
    assert zone_problem(zone) == problem


def test_profile_values():
    assert profile_problems("19x4", "F", "300") == [
        "birth_year '19x4' is not a year",
        "hr_max '300' is not a heart rate between 100 and 250 bpm",
    ]
    assert profile_problems("1899", "vrouw", None, year=2026) == [
        "birth_year 1899 is not between 1900 and 2026",
        "sex 'vrouw' is not f or m",
    ]
    assert profile_problems("1994", "female", "192") == []
    assert profile_problems(1994, "m", 192.0) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--tz", "localtime"],
        ["--tz", "posixrules"],
        ["--tz", "Factory"],
        ["--tz", "posix/Europe/Amsterdam"],
        ["--tz", "right/UTC"],
        ["--tz", "Europe/Amsterdamm"],
        ["--workers", "0"],
        ["--workers", "-3"],
    ],
)
def test_cli_refuses_bad_options_as_usage_errors(tmp_path, args):
    result = runner.invoke(app, ["ingest", str(tmp_path), *args], terminal_width=200)
    assert result.exit_code == 2, result.output
    if args[1] == "Europe/Amsterdamm":  # the message, unwrapped from its box
        text = " ".join(result.output.replace("│", " ").split())
        assert "did you mean 'Europe/Amsterdam'?" in text
    assert not (tmp_path / "herstel.duckdb").exists()


def test_bad_athletes_row_is_refused_for_that_athlete_only(tmp_path, prefect_server):
    study, db = _study(
        tmp_path,
        "athlete_id,time_zone,birth_year\nanna,Europe/Amsterdamm,1994\nbob,Europe/Amsterdam,19x4\n"
        "cleo,Asia/Tokyo,1990\n",
    )
    write(study / "cleo" / "nights.csv", nightly_csv("", JUNE, NIGHTS))
    ingest([str(study)], str(db))
    # nothing of a refused row is stored; the folders still make anna and bob athletes
    assert query(db, ATHLETES_SQL) == [
        ("anna", "UTC", "default_utc", None),
        ("bob", "UTC", "default_utc", None),
        ("cleo", "Asia/Tokyo", "athletes_file", 1990),
    ]
    assert query(db, PROBLEMS_SQL) == [
        ("anna", "athletes_file",
         "athletes.csv: unknown time zone 'Europe/Amsterdamm'; did you mean 'Europe/Amsterdam'?"),
        ("bob", "athletes_file", "athletes.csv: birth_year '19x4' is not a year"),
    ]  # fmt: skip
    assert query(db, "SELECT count(*) FROM files WHERE status = 'loaded'") == [(3,)]
    summary = nightly(str(db))
    assert summary.athletes == ["cleo"]
    assert sorted(summary.skipped) == ["anna", "bob"]
    assert query(db, NIGHTS_SQL) == [("cleo", NIGHTS)]
    # corrected: the problems go, and the next run computes both whole histories
    write(study / "athletes.csv", "athlete_id,time_zone,birth_year\nanna,Europe/Amsterdam,1994\n"
          "bob,Europe/Amsterdam,1984\ncleo,Asia/Tokyo,1990\n")  # fmt: skip
    ingest([str(study)], str(db))
    assert query(db, PROBLEMS_SQL) == []
    assert nightly(str(db)).athletes == ["anna", "bob"]
    assert query(db, NIGHTS_SQL) == [("anna", NIGHTS), ("bob", NIGHTS), ("cleo", NIGHTS)]


def test_bad_configuration_in_the_warehouse_skips_that_athlete(tmp_path, prefect_server):
    """A zone written by an older herstel (here: by SQL) no longer stops every athlete."""
    study, db = _study(tmp_path)
    ingest([str(study)], str(db))
    execute(db, "UPDATE athletes SET time_zone = 'posixrules' WHERE athlete_id = 'bob'")
    execute(db, "UPDATE athletes SET hr_max = 400 WHERE athlete_id = 'anna'")
    summary = nightly(str(db))
    assert summary.athletes == []
    assert summary.skipped == {
        "anna": "stored athletes: hr_max 400.0 is not a heart rate between 100 and 250 bpm "
        "(correct it and ingest again)",
        "bob": "stored athletes: unknown time zone 'posixrules' (an IANA name such as "
        "'Europe/Amsterdam') (correct it and ingest again)",
    }
    assert [r[:2] for r in query(db, PROBLEMS_SQL)] == [("anna", "warehouse"), ("bob", "warehouse")]
    execute(db, "UPDATE athletes SET hr_max = NULL WHERE athlete_id = 'anna'")
    summary = nightly(str(db))
    assert (summary.athletes, list(summary.skipped)) == (["anna"], ["bob"])
    assert query(db, NIGHTS_SQL) == [("anna", NIGHTS)]
    execute(db, "UPDATE athletes SET time_zone = 'Europe/Amsterdam' WHERE athlete_id = 'bob'")
    summary = nightly(str(db))
    assert (summary.athletes, summary.skipped) == (["bob"], {})
    assert query(db, NIGHTS_SQL) == [("anna", NIGHTS), ("bob", NIGHTS)]
    assert query(db, PROBLEMS_SQL) == []


def test_bad_travel_row_is_refused_for_that_athlete_only(tmp_path, prefect_server):
    study, db = _study(tmp_path)
    write(study / "time_zones.csv", "athlete_id,from,time_zone\nanna,2026-06-03,Asia/Tokio\n"
          "anna,2026-06-06,Europe/Amsterdam\nbob,2026-06-03,Asia/Tokyo\n")  # fmt: skip
    ingest([str(study)], str(db))
    travel = "SELECT athlete_id, time_zone FROM athlete_time_zones ORDER BY ALL"
    assert query(db, travel) == [("bob", "Asia/Tokyo")]
    assert query(db, PROBLEMS_SQL) == [
        ("anna", "time_zones_file",
         "time_zones.csv line 2: unknown time zone 'Asia/Tokio'; did you mean 'Asia/Tokyo'?"),
    ]  # fmt: skip
    summary = nightly(str(db))
    assert (summary.athletes, list(summary.skipped)) == (["bob"], ["anna"])


def test_an_athlete_whose_computation_fails_is_skipped_and_retried(
    tmp_path, prefect_server, monkeypatch
):
    """Whatever breaks the computation of one athlete (here: a monkeypatched compute step
    raising for bob) ends that athlete's run, not the others'; the next run tries bob again
    over his whole history."""
    study, db = _study(tmp_path)
    ingest([str(study)], str(db))
    real = flows.nightly.compute

    def compute(inputs, windows, computed_at, ruleset=None):
        if "bob" in windows["athlete_id"].to_list():
            raise ValueError("bob's data breaks a metric")
        return real(inputs, windows, computed_at, ruleset)

    monkeypatch.setattr(flows.nightly, "compute", compute)
    summary = nightly(str(db))
    assert summary.athletes == ["anna"]
    assert summary.skipped == {
        "bob": "the nightly computation failed (ValueError); retried in full next run"
    }
    assert query(db, NIGHTS_SQL) == [("anna", NIGHTS)]
    monkeypatch.setattr(flows.nightly, "compute", real)
    summary = nightly(str(db))
    assert (summary.athletes, summary.skipped) == (["bob"], {})
    assert query(db, NIGHTS_SQL) == [("anna", NIGHTS), ("bob", NIGHTS)]
    assert query(db, PROBLEMS_SQL) == []
