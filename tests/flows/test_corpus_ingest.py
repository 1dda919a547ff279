"""Every real file in ../shared/corpus through the ingest flow: all accounted for, none crash,
known-bad files recorded with a reason a person can act on."""

from __future__ import annotations

import csv

import pytest

from flows.ingest import ingest
from flows.nightly import nightly
from warehouse.db import connect
from warehouse.sql import run

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus_db(corpus, tmp_path_factory, prefect_server):
    db = str(tmp_path_factory.mktemp("corpus") / "corpus.duckdb")
    outcomes = ingest([str(corpus)], db, athlete="corpus", tz="Europe/Amsterdam")
    nightly(db)
    return db, outcomes


def _manifest(corpus) -> dict[str, str]:
    with open(corpus / "MANIFEST.tsv", encoding="utf-8") as fh:
        return {
            row["local_path"]: row["what_it_contains"] for row in csv.DictReader(fh, delimiter="\t")
        }


def test_every_file_accounted_for(corpus, corpus_db):
    db, outcomes = corpus_db
    # recorded from the folder given, by its own name (docs/study-import.md)
    on_disk = sorted(
        f"{corpus.name}/{p.relative_to(corpus)}" for p in corpus.rglob("*") if p.is_file()
    )
    assert sorted(o.path for o in outcomes) == on_disk
    con = connect(db, read_only=True)
    try:
        rows = run(con, "SELECT path, status, reason FROM files ORDER BY path")
    finally:
        con.close()
    assert [r[0] for r in rows] == on_disk  # exactly one recorded state per file
    assert all(status in ("loaded", "partial", "duplicate", "quarantined") for _, status, _ in rows)
    for path, status, reason in rows:
        if status != "loaded":
            assert reason and len(reason) > 15, f"{path} is {status} without a usable reason"
    manifest = next(r for r in rows if r[0].endswith("MANIFEST.tsv"))
    assert manifest[1] == "quarantined" and "unrecognised format" in manifest[2]


def test_known_bad_files_are_partial_or_quarantined_with_reasons(corpus, corpus_db):
    db, _ = corpus_db
    con = connect(db, read_only=True)
    try:
        status = {
            path.removeprefix(corpus.name + "/"): (s, reason)
            for path, s, reason in run(con, "SELECT path, status, reason FROM files")
        }
    finally:
        con.close()
    for local_path, text in _manifest(corpus).items():
        if text.startswith("EXPECTED TO FAIL") or text.startswith("MALFORMED"):
            s, reason = status[local_path]
            strict_only = "in strict" in text.split(":")[0]
            assert s in ("partial", "quarantined") or strict_only, (local_path, s)
            if s != "loaded":
                assert reason, local_path
    assert status["fit_bad/activity-unexpected-eof.fit"][0] == "partial"
    assert "truncated" in status["fit_bad/activity-unexpected-eof.fit"][1]
    assert status["gpx/malformed_badcharacter.gpx"][0] == "quarantined"
    assert status["fit_wellness/vivosmart4_monitoring_68432691503.fit"][0] == "loaded"


def test_real_values_arrive(corpus_db):
    db, _ = corpus_db
    con = connect(db, read_only=True)
    try:
        rr = run(con, "SELECT count(*) FROM rr_intervals")[0][0]
        resting = run(
            con,
            "SELECT value FROM device_summaries WHERE metric = 'resting_hr' "
            "AND night = DATE '2020-09-25' ORDER BY value",
        )
        nights = run(con, "SELECT count(*) FROM nightly_metrics")[0][0]
    finally:
        con.close()
    assert rr > 2705  # the Edge 530 file alone holds 2705 RR intervals
    assert (47.0,) in resting  # vivosmart 4 current_day_resting_heart_rate
    assert nights >= 1
