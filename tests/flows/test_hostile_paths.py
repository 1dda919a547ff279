"""Real paths, real privacy (issue 12, points 4, 7, 8): links stay inside the study, names stay
out of the warehouse, the console and Prefect's database, forget leaves no trace, and every
file herstel writes is its owner's alone. Fixtures are made in the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from parsers.paths import REASON_OTHER_ATHLETE, REASON_OUTSIDE
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.sql import run

pytestmark = pytest.mark.hostile

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
SECRET = "root:$6$SECRETHASH$x:19000:0:99999:7:::"
FITS = sorted((STUDY_DIR / "anna" / "wellness").glob("*.fit"))


def _text_hits(db: Path, needle: str) -> list[tuple[str, str]]:
    """(table, column) pairs where any text value contains `needle`, in any case."""
    con = connect(db, read_only=True)
    try:
        cols = run(
            con,
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE NOT internal AND schema_name = 'main' AND data_type = 'VARCHAR'",
        )
        return [
            (t, c)
            for t, c in cols
            if run(con, f'SELECT count(*) FROM "{t}" WHERE contains(lower("{c}"), ?)',
                   [needle.lower()])[0][0]
        ]
    finally:
        con.close()


def _flat(output: str) -> str:
    """Console text without rich's box drawing and line wrapping."""
    return " ".join(output.replace("│", " ").split())


def _mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def _prefect_runs() -> list:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(limit=200)


# --- point 4: inputs stay inside what the user gave ---------------------------------------


@pytest.fixture(scope="module")
def linked_study(tmp_path_factory, prefect_server):
    """anna links a private file out of the study and bob's file; carl is a linked folder
    outside; a file name and its content carry terminal escape codes."""
    tmp = tmp_path_factory.mktemp("links")
    study = tmp / "study"
    (study / "anna").mkdir(parents=True)
    (study / "bob").mkdir()
    (study / "anna" / "own.fit").write_bytes(FITS[0].read_bytes())
    (study / "bob" / "bobs.fit").write_bytes(FITS[1].read_bytes())
    secret = tmp / "shadow"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    os.symlink(secret, study / "anna" / "shadow.csv")
    os.symlink(study / "bob" / "bobs.fit", study / "anna" / "borrowed.fit")
    (study / "anna" / "evil\x1b[31mRED\x1b[0m.csv").write_text(
        "\x1b]0;pwned\x07name,\x1b[2Jvalue\n1,2\n"
    )
    outside = tmp / "elsewhere" / "carl"
    outside.mkdir(parents=True)
    (outside / "carl.fit").write_bytes(FITS[2].read_bytes())
    os.symlink(outside, study / "carl")
    db = tmp / "w.duckdb"
    result = runner.invoke(app, ["ingest", str(study), "--db", str(db)], terminal_width=200)
    return study, db, result


def test_links_out_of_bounds_are_quarantined_unread(linked_study):
    study, db, result = linked_study
    assert result.exit_code == 0, result.output
    con = connect(db, read_only=True)
    try:
        rows = run(con, "SELECT path, athlete_id, status, reason, rows_heart_rate FROM files")
        anna_hr = run(con, "SELECT count(*) FROM heart_rate WHERE athlete_id = 'anna'")[0][0]
    finally:
        con.close()
    # recorded paths start at the study folder's own name (docs/study-import.md)
    files = {Path(p).relative_to(study.name).as_posix(): (a, s, r, n) for p, a, s, r, n in rows}
    own = files.pop("anna/own.fit")
    assert own[:3] == ("anna", "loaded", None) and own[3] > 0
    assert anna_hr == own[3]  # bob's file did not become anna's data
    assert files.pop("anna/shadow.csv") == ("anna", "quarantined", REASON_OUTSIDE, 0)
    assert files.pop("anna/borrowed.fit") == ("anna", "quarantined", REASON_OTHER_ATHLETE, 0)
    carl = files.pop("carl")
    assert carl[:2] == ("carl", "quarantined") and carl[2].startswith(
        "athlete folder is a symbolic link to a place outside the study folder given"
    )
    assert files.pop("bob/bobs.fit")[:3] == ("bob", "loaded", None)
    ((name, (who, status, reason, _)),) = files.items()  # the escape-code file
    assert (who, status) == ("anna", "quarantined")
    assert "\x1b" not in reason and "pwned" in reason  # an inert, short excerpt
    assert reason.startswith("unrecognised format: text whose first line has columns")


def test_secret_content_and_escape_codes_reach_nothing(linked_study):
    study, db, result = linked_study
    assert _text_hits(db, "SECRETHASH") == []
    assert "SECRETHASH" not in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "evil" in result.output  # the file is listed, its name made inert


def test_a_relative_athlete_id_is_a_usage_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.fit").write_bytes(FITS[0].read_bytes())
    staging = tmp_path / "a" / "b" / "staging"
    result = runner.invoke(
        app,
        ["ingest", str(tmp_path / "in"), "--athlete", "../../..", "--staging", str(staging),
         "--db", str(tmp_path / "w.duckdb")],
    )
    assert result.exit_code == 2
    assert "an athlete id cannot start with '.'" in _flat(result.output)
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "a").exists()
    assert list(tmp_path.rglob("*.parquet")) == []


# --- point 7: pseudonymisation leaves no trace ---------------------------------------------


@pytest.fixture(scope="module")
def pseudonymised(tmp_path_factory, prefect_server):
    """Zoe (by --athlete, a zip with her e-mail in a member name) and Yara (a study folder)."""
    tmp = tmp_path_factory.mktemp("pseudo")
    zoe = tmp / "Zoe-Realname"
    zoe.mkdir()
    (zoe / "Zoe-Realname_watch.fit").write_bytes(FITS[0].read_bytes())
    with zipfile.ZipFile(zoe / "zoe-realname-export.zip", "w") as zf:
        zf.writestr("uploads/zoe.realname@example.com_12345.fit", FITS[1].read_bytes())
        zf.writestr("Zoe-Realname notes.txt", "free text\n")
    study = tmp / "study"
    (study / "Yara-Realname").mkdir(parents=True)
    (study / "Yara-Realname" / "yara-realname.fit").write_bytes(FITS[2].read_bytes())
    (study / "notes for yara-realname.txt").write_text("a stray file: nobody's, names anyone\n")
    db, staging, key = tmp / "w.duckdb", tmp / "staging", tmp / "keys" / "study.key"
    os.umask(0o022)  # a permissive start: the key and the flow must set their own modes
    common = ["--pseudonymise", "--key-file", str(key), "--db", str(db), "--staging",
              str(staging)]
    outputs = [
        runner.invoke(app, ["ingest", str(zoe), "--athlete", "Zoe-Realname", *common]),
        runner.invoke(app, ["ingest", str(study), *common]),
    ]
    return db, staging, key, outputs


def test_pseudonymised_names_reach_neither_warehouse_nor_console(pseudonymised):
    db, _, _, outputs = pseudonymised
    assert [r.exit_code for r in outputs] == [0, 0], [r.output for r in outputs]
    for needle in ("realname", "example.com"):
        assert _text_hits(db, needle) == [], needle
        assert needle not in "".join(r.output for r in outputs).lower()
    con = connect(db, read_only=True)
    try:
        paths = sorted(p for (p,) in run(con, "SELECT path FROM files"))
        athletes = run(con, "SELECT count(*) FROM athletes")[0][0]
    finally:
        con.close()
    assert athletes == 2
    assert any(p.endswith("/uploads/(e-mail)_12345.fit") for p in paths), paths


def test_pseudonymised_names_never_reach_prefects_database(pseudonymised):
    import prefect.settings
    from prefect.client.orchestration import get_client

    runs = _prefect_runs()
    masked = [r for r in runs if r.parameters.get("athlete") == "**********"]
    assert masked, "the pseudonymised --athlete run must be recorded, masked"
    for r in runs:
        text = json.dumps(r.parameters, ensure_ascii=False) + r.name
        assert "realname" not in text.lower()
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(limit=200)
    assert tasks and not [t.name for t in tasks if "realname" in t.name.lower()]
    url = prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value()
    if url.startswith("sqlite"):  # every byte of the server's database, its WAL included
        base = Path(url.split("///", 1)[1])
        for f in base.parent.glob(base.name + "*"):
            assert b"realname" not in f.read_bytes().lower(), f


def test_pseudonymised_files_are_owner_only(pseudonymised):
    db, staging, key, _ = pseudonymised
    assert _mode(db) == "0o600" and _mode(key) == "0o600" and _mode(key.parent) == "0o700"
    staged = list(staging.rglob("*"))
    assert any(p.suffix == ".parquet" for p in staged)
    assert {_mode(p) for p in staged if p.is_file()} == {"0o600"}
    assert {_mode(p) for p in [staging, *staged] if p.is_dir()} == {"0o700"}


def test_a_short_key_is_a_usage_error(tmp_path):
    key = tmp_path / "k"
    key.write_text("")  # what a full disk on first use leaves
    (tmp_path / "in" / "anna").mkdir(parents=True)
    (tmp_path / "in" / "anna" / "hr.csv").write_text("timestamp,metric,value\n")
    result = runner.invoke(
        app, ["ingest", str(tmp_path / "in"), "--pseudonymise", "--key-file", str(key),
              "--db", str(tmp_path / "w.duckdb")], terminal_width=400,
    )
    assert result.exit_code == 2
    assert "does not hold 32 random bytes" in _flat(result.output)
    assert not (tmp_path / "w.duckdb").exists()


# --- point 7: forget ------------------------------------------------------------------------


@pytest.fixture()
def two_athletes(tmp_path, prefect_server):
    db, staging = tmp_path / "w.duckdb", tmp_path / "custom-staging"
    for who, fit in (("zoe", FITS[0]), ("yves", FITS[1])):
        folder = tmp_path / who
        folder.mkdir()
        (folder / fit.name).write_bytes(fit.read_bytes())
        result = runner.invoke(
            app, ["ingest", str(folder), "--athlete", who, "--db", str(db), "--staging",
                  str(staging)],
        )
        assert result.exit_code == 0, result.output
    return db, staging


def _forget(db: Path, *args: str, input: str | None = None, env: dict | None = None):
    return runner.invoke(app, ["forget", "--db", str(db), *args], input=input, env=env,
                         terminal_width=200)


def test_forget_refuses_wildcards_empty_and_unknown_ids(two_athletes):
    db, staging = two_athletes
    before = db.read_bytes()
    for athlete, says in (
        ("*", "an athlete id cannot contain / \\ * ? [ ]"),
        ("", "an athlete id cannot be empty"),
        ("zo?", "an athlete id cannot contain / \\ * ? [ ]"),
        ("nobody", "no athlete 'nobody' in"),
    ):
        result = _forget(db, "--athlete", athlete, "--yes", "--staging", str(staging))
        assert result.exit_code == 2, (athlete, result.output)
        assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before


def test_forget_asks_first(two_athletes):
    db, staging = two_athletes
    result = _forget(db, "--athlete", "zoe", "--staging", str(staging), input="n\n")
    assert result.exit_code == 1 and "cannot be undone" in result.output
    assert _text_hits(db, "zoe")  # nothing removed


def test_forget_with_a_reader_holding_the_file_changes_nothing(two_athletes):
    db, staging = two_athletes
    before = db.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
         "print('held', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = _forget(db, "--athlete", "zoe", "--yes", "--staging", str(staging),
                         env={"HERSTEL_LOCK_WAIT_S": "1"})
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("herstel forget: the warehouse was not changed")
    assert db.read_bytes() == before
    assert list(staging.glob("*/athlete_id=zoe"))  # staged files kept too


def test_forget_removes_rows_staged_files_and_prefect_records(two_athletes):
    db, staging = two_athletes
    assert list(staging.glob("*/athlete_id=zoe")) and list(staging.glob("*/athlete_id=yves"))
    assert [r for r in _prefect_runs() if r.parameters.get("athlete") == "zoe"]
    result = _forget(db, "--athlete", "zoe", "--yes", "--staging", str(staging))
    assert result.exit_code == 0, result.output
    assert "Removed" in result.output
    assert _text_hits(db, "zoe") == [] and b"zoe" not in db.read_bytes()
    assert list(staging.glob("*/athlete_id=zoe")) == []
    assert list(staging.glob("*/athlete_id=yves"))  # the other athlete keeps everything
    assert _text_hits(db, "yves")
    runs = _prefect_runs()
    assert [r for r in runs if "zoe" in json.dumps(r.parameters)] == []
    assert [r for r in runs if r.parameters.get("athlete") == "yves"]
    assert _mode(db) == "0o600"


# --- point 8: everything herstel writes is owner-only --------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The real entry point, started with a permissive umask: herstel must set its own."""
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], cwd=REPO, capture_output=True, text=True,
        preexec_fn=lambda: os.umask(0o022), check=False,
    )


def test_report_pages_are_owner_only(two_athletes, tmp_path):
    db, _ = two_athletes
    out = tmp_path / "report"
    done = _cli("report", "--db", str(db), "--out", str(out))
    assert done.returncode == 0, done.stderr
    written = list(out.rglob("*"))
    assert any(p.suffix == ".html" for p in written)
    assert {_mode(p) for p in written if p.is_file()} == {"0o600"}
    assert {_mode(p) for p in [out, *written] if p.is_dir()} == {"0o700"}


def test_the_warehouse_wal_is_owner_only(tmp_path):
    db = tmp_path / "w.duckdb"
    script = (
        "import os, sys\n"
        "sys.argv = ['herstel', 'rules']\n"
        "from flows.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "from warehouse.db import connect\n"
        f"con = connect({str(db)!r})\n"
        "con.execute(\"INSERT INTO athletes (athlete_id, time_zone, time_zone_source) "
        "VALUES ('anna', 'UTC', 'option')\")\n"
        f"print(oct(os.stat({str(db) + '.wal'!r}).st_mode & 0o777))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, preexec_fn=lambda: os.umask(0o022), check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0o600"
