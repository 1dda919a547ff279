"""Every real file in ../shared/corpus: ParsedFile or ParseError, never anything else.

Expectations come from MANIFEST.tsv: files marked EXPECTED TO FAIL end partial or
quarantined, and the manifest's measured facts (HR counts and ranges, RR counts, resting
HR, device names) are checked against what the parsers produce.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from parsers_testkit import CORPUS

from parsers.base import CANONICAL, ParsedFile, ParseError
from parsers.registry import parse_file

pytestmark = pytest.mark.corpus
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _manifest() -> dict[str, str]:
    path = CORPUS / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["local_path"]: row["what_it_contains"]
                for row in csv.DictReader(fh, delimiter="\t")}


MANIFEST = _manifest()
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*")
               if p.is_file() and p.name != "MANIFEST.tsv") if CORPUS.is_dir() else []
CASES = [(f, e) for f in FILES for e in (["fast", "fitparse"] if f.endswith(".fit") else ["fast"])]


def _parse(rel: str, engine: str) -> ParsedFile | ParseError:
    try:
        return parse_file(CORPUS / rel, engine=engine, now=NOW)
    except ParseError as exc:
        return exc


#: Manifest facts that mean a file holds readings herstel loads (never "empty").
_HAS_READINGS = (r"heart_rate n=[1-9]|HR tags \w+:hr:[1-9]|RR intervals=[1-9]|sleep_level=[1-9]"
                 r"|session=[1-9]|hrv_value=[1-9]|monitoring_hr_data=[1-9]")


def _expect_failure(note: str, engine: str) -> bool:
    if note.startswith("MALFORMED") or note.startswith("EXPECTED TO FAIL:"):
        return True
    return note.startswith("EXPECTED TO FAIL in strict") and engine == "fitparse"


@pytest.mark.parametrize(("rel", "engine"), CASES)
def test_corpus_file(corpus, rel, engine):
    result = _parse(rel, engine)
    note = MANIFEST.get(rel, "")
    if isinstance(result, ParseError):
        assert str(result), "ParseError without a reason"
        if str(result).startswith("empty:"):  # no readings: quarantined as empty (formats.md)
            assert not re.search(_HAS_READINGS, note), f"{rel} has readings: {result}"
            return
        assert rel.endswith((".xml", ".json")) or _expect_failure(note, engine), str(result)
        return
    assert isinstance(result, ParsedFile)
    for table, frame in result.frames.items():
        assert {k: v for k, v in frame.schema.items() if k != "athlete_id"} == CANONICAL[table]
    if _expect_failure(note, engine):
        assert result.problems, "a known-bad file decoded without any problem"
        assert all(len(p) > 20 for p in result.problems)
    if not result.problems:
        _check_manifest_facts(note, result)


def _activity_hr(parsed: ParsedFile, context: str) -> pl.Series:
    frame = parsed.frames.get("heart_rate")
    if frame is None:
        return pl.Series("bpm", [], dtype=pl.Int16)
    return frame.filter(pl.col("context") == context)["bpm"]


def _check_manifest_facts(note: str, parsed: ParsedFile) -> None:
    """Compare with the measured facts in the manifest where the file decoded whole."""
    for mesg, context in (("record", "activity"), ("monitoring", "monitoring")):
        m = re.search(rf"{mesg}\.heart_rate n=(\d+) range (\d+)-(\d+)", note)
        if m:
            n, lo, hi = map(int, m.groups())
            bpm = _activity_hr(parsed, context)
            assert bpm.len() + parsed.dropped.get("hr_out_of_range", 0) == n
            if lo > 0:
                assert (bpm.min(), bpm.max()) == (lo, hi)
    m = re.search(r"RR intervals=(\d+)", note)
    if m:
        assert parsed.frames["rr_intervals"].height == int(m.group(1))
    m = re.search(r"device=([^;(]+)", note)
    if m and parsed.format == "fit":
        assert parsed.device == m.group(1).strip()
    summaries = parsed.frames.get("device_summaries")
    for field, metric in (("current_day_resting_heart_rate", "resting_hr"),
                          ("\\.resting_heart_rate", "resting_hr_7d_avg")):
        m = re.search(rf"monitoring_hr_data{field}=(\d+)", note)
        if m:
            values = summaries.filter(pl.col("metric") == metric)["value"]
            assert set(values.to_list()) == {float(m.group(1))}
    m = re.search(r"sleep_level awake:(\d+)", note)
    if m:
        stages = parsed.frames["sleep_stages"]["stage"]
        assert stages.len() == int(m.group(1)) and set(stages) == {"unmeasurable"}


def test_spot_values(corpus):
    """The brief's spot values, spelled out."""
    mon = parse_file(corpus / "fit_wellness/vivosmart4_monitoring_68432691503.fit", now=NOW)
    hr = mon.frames["heart_rate"]
    assert hr.height == 277 and (hr["bpm"].min(), hr["bpm"].max()) == (43, 87)
    assert hr["ts"].min() == datetime(2020, 9, 24, 21, 4, tzinfo=UTC)
    assert hr["ts"].max() <= datetime(2020, 9, 25, 5, 22, tzinfo=UTC)
    assert hr["ts"].is_sorted()
    summ = dict(mon.frames["device_summaries"].select("metric", "value").iter_rows())
    assert summ == {"resting_hr": 47.0, "resting_hr_7d_avg": 46.0}
    assert mon.utc_offset_s == 3 * 3600 and mon.device == "garmin vivosmart_4"
    rr = parse_file(corpus / "fit_wellness/fitparse-rs_hrv-activity.fit", now=NOW)
    assert rr.frames["rr_intervals"].height == 2705
    assert rr.frames["rr_intervals"]["ts"].min() > datetime(2022, 2, 7, 16, 47, 52, tzinfo=UTC)


def test_malformed_gpx_reason(corpus):
    with pytest.raises(ParseError, match="malformed GPX XML: not well-formed"):
        parse_file(corpus / "gpx/malformed_badcharacter.gpx")


def test_corpus_listed():
    if not CORPUS.is_dir():
        pytest.skip("corpus absent")
    assert len(FILES) >= 30 and all(isinstance(Path(f), Path) for f in FILES)
