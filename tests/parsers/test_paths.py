"""Inputs stay inside what the user gave (issue 12, point 4): the link rule, ids, reasons, keys."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from parsers.base import ParsedFile
from parsers.inputs import ParseResult
from parsers.paths import (
    REASON_BROKEN,
    REASON_LOOP,
    REASON_OTHER_ATHLETE,
    REASON_OUTSIDE,
    REASON_SPECIAL,
    athlete_id_problem,
    clean_text,
    scrub_path,
)
from parsers.study import KeyFileError, discover, load_key
from warehouse.staging import partition_uri, stage
from warehouse.write import forget_staged, staged_folders

pytestmark = pytest.mark.hostile

SECRET = "root:$6$SECRETHASH$x:19000:0:99999:7:::"
ESC_NAME = "evil\x1b[31mRED\x1b[0m\x07.csv"


def _study(tmp_path: Path) -> Path:
    """anna (with every kind of link), bob, carl (a linked folder outside), dora (inside)."""
    study = tmp_path / "study"
    (study / "anna" / "sub").mkdir(parents=True)
    (study / "bob").mkdir()
    (study / "anna" / "a.csv").write_text("timestamp,metric,value\n")
    (study / "bob" / "b.csv").write_text("timestamp,metric,value\n")
    secret = tmp_path / "shadow"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    os.symlink(secret, study / "anna" / "shadow.csv")  # out of the study
    os.symlink(study / "bob" / "b.csv", study / "anna" / "bobs.csv")  # another athlete's
    os.symlink(study / "athletes.csv", study / "anna" / "top.csv")  # the study's top level
    os.symlink(study / "anna" / "a.csv", study / "anna" / "sub" / "again.csv")  # inside: read
    os.symlink(study / "anna", study / "anna" / "sub" / "loop")  # a loop
    os.symlink(tmp_path / "nowhere", study / "anna" / "broken.csv")
    os.mkfifo(study / "anna" / "pipe.csv")  # would block a reader forever
    outside = tmp_path / "elsewhere" / "carl"
    outside.mkdir(parents=True)
    (outside / "c.csv").write_text("timestamp,metric,value\n")
    os.symlink(outside, study / "carl")  # an athlete folder outside the study
    raw = study / "raw" / "dora"
    raw.mkdir(parents=True)
    (raw / "d.csv").write_text("timestamp,metric,value\n")
    os.symlink(raw, study / "dora")  # an athlete folder inside the study: followed
    (study / "athletes.csv").write_text("athlete_id\nanna\n")
    return study


def test_links_are_followed_only_inside_the_athletes_folder(tmp_path):
    study = _study(tmp_path)
    found = {
        (f.athlete_id, Path(f.recorded_path).relative_to(study.name).as_posix()): (f.path, f.reason)
        for f in discover([study])
    }
    assert {k: v[1] for k, v in found.items()} == {
        ("anna", "anna/a.csv"): None,
        ("anna", "anna/bobs.csv"): REASON_OTHER_ATHLETE,
        ("anna", "anna/broken.csv"): REASON_BROKEN,
        ("anna", "anna/pipe.csv"): REASON_SPECIAL,
        ("anna", "anna/shadow.csv"): REASON_OUTSIDE,
        ("anna", "anna/sub/again.csv"): None,
        ("anna", "anna/sub/loop"): REASON_LOOP,
        ("anna", "anna/top.csv"): REASON_OTHER_ATHLETE,
        ("bob", "bob/b.csv"): None,
        ("carl", "carl"): found[("carl", "carl")][1],
        ("dora", "dora/d.csv"): None,
        ("raw", "raw/dora/d.csv"): None,
    }
    assert found[("carl", "carl")][1].startswith("athlete folder is a symbolic link to a place")
    # a followed link is read at its target, never through the link
    assert found[("anna", "anna/sub/again.csv")][0] == (study / "anna" / "a.csv").resolve()
    assert found[("dora", "dora/d.csv")][0] == (study / "raw" / "dora" / "d.csv").resolve()
    assert not any(SECRET in (r or "") for _, r in found.values())


def test_with_athlete_links_stay_inside_the_folder_given(tmp_path):
    study = _study(tmp_path)
    found = {
        Path(f.recorded_path).name: f.reason for f in discover([study / "anna"], "anna")
    }
    assert found["shadow.csv"] == REASON_OUTSIDE
    assert found["bobs.csv"] == REASON_OUTSIDE  # bob's folder was not given
    assert found["a.csv"] is None and found["again.csv"] is None


def test_a_link_given_on_the_command_line_is_the_users_choice(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("x")
    os.symlink(target, tmp_path / "link.csv")
    (f,) = discover([tmp_path / "link.csv"], "anna")
    # recorded from its folder, like any file given on its own (docs/study-import.md)
    assert (f.path, f.reason, f.recorded_path) == (target, None, f"{tmp_path.name}/link.csv")


def test_athletes_file_linked_out_of_the_study_stops_the_import(tmp_path):
    from parsers.base import ParseError
    from parsers.study import athletes_files

    study = tmp_path / "study"
    study.mkdir()
    (tmp_path / "elsewhere.csv").write_text(SECRET)
    os.symlink(tmp_path / "elsewhere.csv", study / "athletes.csv")
    with pytest.raises(ParseError) as err:
        athletes_files([study])
    assert str(err.value) == f"athletes.csv: {REASON_OUTSIDE}"


def test_reasons_are_inert_and_bounded():
    assert clean_text("bad \x1b[31mred\x1b[0m\x1b]0;title\x07 name\x00\u202e!") == "bad red name??!"
    long = clean_text("x" * 5000)
    assert len(long) == 400 and long.endswith("…")
    assert clean_text("a\n\tb   c") == "a b c"


@pytest.mark.parametrize(
    ("athlete_id", "problem"),
    [
        ("../../..", "an athlete id cannot start with '.'"),
        ("a/../../b", "an athlete id cannot contain / \\ * ? [ ]"),
        ("*", "an athlete id cannot contain / \\ * ? [ ]"),
        ("", "an athlete id cannot be empty"),
        ("  ", "an athlete id cannot be empty"),
        ("anna\x1b[2J", "an athlete id cannot contain control characters"),
        ("anna", None),
        ("José García", None),
    ],
)
def test_athlete_ids(athlete_id, problem):
    assert athlete_id_problem(athlete_id) == problem


def test_staging_cannot_leave_its_root(tmp_path):
    root = tmp_path / "staging"
    with pytest.raises(ValueError, match="cannot stage athlete id"):
        partition_uri(str(root), "heart_rate", "../../..", "2026-01", "f" * 64)
    frame = pl.DataFrame({"ts": [None], "bpm": [60]}, schema={"ts": pl.Datetime("us", "UTC"),
                                                               "bpm": pl.Int16})
    result = ParseResult("x.csv", "../../../escaped", "f" * 64, 1,
                         parsed=ParsedFile("csv_long", {"heart_rate": frame}))
    with pytest.raises(ValueError):
        stage(result, str(root))
    assert list(tmp_path.rglob("*.parquet")) == []


def test_forget_staged_matches_exactly(tmp_path):
    for who in ("anna", "annabel", "bob"):
        part = tmp_path / "heart_rate" / f"athlete_id={who}" / "month=2026-01"
        part.mkdir(parents=True)
        (part / "x.parquet").write_bytes(b"PAR1")
    assert [Path(f).name for f in staged_folders(tmp_path, "anna")] == ["athlete_id=anna"]
    assert forget_staged(tmp_path, "*") == 0
    assert forget_staged(tmp_path, "anna") == 1
    assert sorted(p.name for p in (tmp_path / "heart_rate").iterdir()) == [
        "athlete_id=annabel",
        "athlete_id=bob",
    ]


def test_short_or_empty_keys_are_refused(tmp_path):
    for content in ("", "00ff", "zz" * 32, "ab" * 31):
        key = tmp_path / "k"
        key.write_text(content)
        with pytest.raises(KeyFileError, match="does not hold 32 random bytes"):
            load_key(key)


def test_a_new_key_is_whole_private_and_alone(tmp_path):
    folder = tmp_path / "keys"
    key = load_key(folder / "study.key")
    assert len(key) == 32
    assert oct((folder / "study.key").stat().st_mode & 0o777) == "0o600"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert [p.name for p in folder.iterdir()] == ["study.key"]  # no temporary file left
    assert load_key(folder / "study.key") == key


def test_pseudonymised_paths_lose_names_and_addresses():
    path = "study/pab12/Anna_export.zip/anna.smith@example.com_123.fit"
    assert scrub_path(path, "anna", "pab12") == "study/pab12/pab12_export.zip/(e-mail)_123.fit"
    # a short name only as a whole word: `al` must not garble `Global Export`
    assert scrub_path("s/px/Global Export/al-1.json", "al", "px") == "s/px/Global Export/px-1.json"


def test_ansi_escape_name_in_reason_is_cleaned():
    from warehouse.load import Incoming, _decide

    out = _decide(Incoming("f" * 64, ESC_NAME, "anna", 1, error=f"bad {ESC_NAME}"), {})
    assert out.reason == "bad evilRED?.csv"
