"""The fast FIT engine against the references, value for value.

Every FIT file of the real corpus (../shared/corpus, skipped when absent) and of
sample_data/ is decoded with `decode_fit(data, "fast")` and `decode_fit(data, "fitparse")`;
every message type and every column both engines produce must be identical to the last
unit (polars `assert_frame_equal`, exact floats). Where fitparse stops early on damage the
fast engine decodes through (COROS PACE 2 misaligned field sizes: fitparse 1.2.0 raises),
the common prefix is compared. Messages fitparse's 2019 profile does not know (211, 275,
370, 371) come through it as raw numbers and our profile names them; the Garmin SDK's own
Decoder is a third, independent reference for them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from garmin_fit_sdk import Decoder, Encoder, Profile, Stream
from polars.testing import assert_frame_equal

from parsers.fit import canonical
from parsers.fit.canonical import USED_MESSAGES
from parsers.fit.decode import FitDecoded, decode_fit

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLE_DATA = REPO / "sample_data"

#: Files on which fitparse 1.2.0 gives up where the fast engine rightly goes on.
FAST_DECODES_FURTHER = {
    # field definitions with a size that is not a multiple of the base type (uint32 size 1)
    "coros-pace-2-cycling-misaligned-fields.fit",
}

#: The values the pipeline reads (issue: "identical values for ..."), by message.
KEY_COLUMNS: dict[str, list[str]] = {
    "record": ["timestamp", "heart_rate"],
    "hr": ["timestamp"],
    "hrv": ["time"],
    "beat_intervals": ["timestamp", "time"],
    "sleep_level": ["timestamp", "sleep_level"],
    "session": [
        "timestamp",
        "start_time",
        "total_elapsed_time",
        "total_timer_time",
        "sport",
        "sub_sport",
        "avg_heart_rate",
        "max_heart_rate",
        "total_distance",
    ],
    "monitoring": ["timestamp", "heart_rate"],
    "monitoring_hr_data": ["timestamp", "resting_heart_rate", "current_day_resting_heart_rate"],
    "hrv_value": ["timestamp", "value"],
    "hrv_status_summary": ["timestamp", "weekly_average", "last_night_average", "status"],
}


def _fit_files() -> list[Path]:
    roots = [d for d in (CORPUS, SAMPLE_DATA) if d.is_dir()]
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix.lower() == ".fit")


FIT_FILES = _fit_files()
pytestmark = pytest.mark.corpus


def _id(path: Path) -> str:
    return path.name


@cache
def _decoded(path: Path) -> tuple[FitDecoded, FitDecoded]:
    data = path.read_bytes()
    return decode_fit(data, "fast"), decode_fit(data, "fitparse")


def _count(decoded: FitDecoded) -> int:
    return sum(frame.height for frame in decoded.messages.values())


def _manifest_counts() -> dict[str, int]:
    """total_msgs per corpus file, as counted by fitdecode/fitparse when the corpus was made."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return {}
    counts = {}
    for line in manifest.read_text().splitlines()[1:]:
        found = re.search(r"total_msgs=(\d+)", line)
        if found:
            counts[Path(line.split("\t")[0]).name] = int(found.group(1))
    return counts


def _prefix(fast: FitDecoded, limit: int) -> dict[str, pl.DataFrame]:
    """Fast frames cut to the first `limit` data messages (what fitparse reached)."""
    out = {}
    for name, frame in fast.messages.items():
        kept = frame.filter(pl.col("_index") < limit)
        if kept.height:
            out[name] = kept
    return out


def test_corpus_has_fit_files() -> None:
    if not FIT_FILES:
        pytest.skip(f"no FIT files under {CORPUS} or {SAMPLE_DATA}")
    assert len(FIT_FILES) >= 1


@pytest.mark.parametrize("path", FIT_FILES, ids=_id)
def test_every_shared_column_identical(path: Path) -> None:
    fast, ref = _decoded(path)
    frames = fast.messages
    if path.name in FAST_DECODES_FURTHER:
        assert ref.problems, "fitparse was expected to stop on this file"
        frames = _prefix(fast, _count(ref))
    assert set(frames) == set(ref.messages)
    for name, expected in ref.messages.items():
        got = frames[name]
        missing = set(expected.columns) - set(got.columns)
        assert not missing, f"{name}: fast lacks {missing}"
        extra = [c for c in got.columns if c not in expected.columns]
        # only fields first defined after fitparse's stop may be extra, and then all null
        assert all(got[c].null_count() == got.height for c in extra), (name, extra)
        assert_frame_equal(got.select(expected.columns), expected, check_exact=True)


@pytest.mark.parametrize("path", FIT_FILES, ids=_id)
def test_only_the_used_messages_decode_to_the_same_frames(path: Path) -> None:
    """`decode_fit(only=...)`, what ingest runs, skips building the other messages' frames
    but must give the wanted ones exactly as a full decode does (timestamp_16 included)."""
    fast, _ = _decoded(path)
    data = path.read_bytes()
    lean = decode_fit(data, "fast", only=USED_MESSAGES)
    assert set(lean.messages) == set(fast.messages) & USED_MESSAGES
    assert lean.problems == fast.problems
    for name, frame in lean.messages.items():
        assert_frame_equal(frame, fast.messages[name], check_exact=True)


@pytest.mark.parametrize("path", FIT_FILES, ids=_id)
def test_mappings_read_only_the_used_messages(path: Path, monkeypatch) -> None:
    """USED_MESSAGES must list every message the canonical mappings read, or ingest would
    silently miss it: map a full decode and record every message asked for."""
    asked: set[str] = set()

    class Recording(dict):
        def __getitem__(self, name):
            asked.add(name)
            return super().__getitem__(name)

        def get(self, name, default=None):
            asked.add(name)
            return super().get(name, default)

    fast, _ = _decoded(path)
    monkeypatch.setattr(
        canonical, "decode_fit",
        lambda data, engine, only: FitDecoded(Recording(fast.messages), list(fast.problems)),
    )
    canonical.parse(path.read_bytes(), path.name)
    assert asked <= USED_MESSAGES, asked - USED_MESSAGES


@pytest.mark.parametrize("path", FIT_FILES, ids=_id)
def test_key_columns_identical(path: Path) -> None:
    """The columns the pipeline reads, named explicitly (also covered by the test above)."""
    fast, ref = _decoded(path)
    limit = _count(ref)
    for mesg, columns in KEY_COLUMNS.items():
        if mesg not in ref.messages:
            continue
        expected = ref.messages[mesg]
        got = fast.messages[mesg].filter(pl.col("_index") < limit)
        present = ["_index"] + [c for c in columns if c in expected.columns]
        assert_frame_equal(got.select(present), expected.select(present), check_exact=True)


@pytest.mark.parametrize("path", FIT_FILES, ids=_id)
def test_damage_reported_alike(path: Path) -> None:
    fast, ref = _decoded(path)
    if path.name in FAST_DECODES_FURTHER:
        assert _count(fast) > _count(ref)
        return
    assert bool(fast.problems) == bool(ref.problems), (fast.problems, ref.problems)
    assert _count(fast) == _count(ref)


@pytest.mark.parametrize("path", [p for p in FIT_FILES if p.name in _manifest_counts()], ids=_id)
def test_message_count_matches_manifest(path: Path) -> None:
    """An independent count (the corpus manifest, made with fitdecode/fitparse)."""
    fast, _ = _decoded(path)
    assert _count(fast) == _manifest_counts()[path.name]


def test_coros_misaligned_file_decodes_fully() -> None:
    path = CORPUS / "fit_bad" / "coros-pace-2-cycling-misaligned-fields.fit"
    if not path.is_file():
        pytest.skip("COROS file not in the corpus")
    fast, ref = _decoded(path)
    assert fast.problems == []
    assert _count(fast) == 11293  # python-fitparse master's count with its byte fallback
    assert _count(ref) < _count(fast)
    assert fast.messages["session"].height == 1
    assert fast.messages["event"]["data"].drop_nulls().len() > 0


# --- the Garmin SDK as a reference for messages fitparse does not know ----------------------

MESG = Profile["mesg_num"]
LEVELS = ["awake", "light", "deep", "rem", "light", "unmeasurable", "deep"]
HRV_VALUES = [42.5, 50.0, 61.25, 38.0078125]


def _at(hour: int, minute: int) -> datetime:
    return datetime(2024, 3, 2, hour, minute, tzinfo=UTC)


@cache
def _sdk_file() -> bytes:
    enc = Encoder()
    enc.on_mesg(
        MESG["FILE_ID"],
        {
            "type": "monitoring_b",
            "manufacturer": "garmin",
            "product": 1,
            "serial_number": 1234,
            "time_created": _at(0, 0),
        },
    )
    for i, level in enumerate(LEVELS):
        enc.on_mesg(MESG["SLEEP_LEVEL"], {"timestamp": _at(1, i), "sleep_level": level})
    for i, value in enumerate(HRV_VALUES):
        enc.on_mesg(MESG["HRV_VALUE"], {"timestamp": _at(2, 5 * i), "value": value})
    enc.on_mesg(
        MESG["HRV_STATUS_SUMMARY"],
        {
            "timestamp": _at(6, 0),
            "weekly_average": 48.5,
            "last_night_average": 51.0,
            "status": "balanced",
        },
    )
    enc.on_mesg(
        MESG["MONITORING_HR_DATA"],
        {"timestamp": _at(6, 0), "resting_heart_rate": 48, "current_day_resting_heart_rate": 47},
    )
    return enc.close()


def _sdk_messages(data: bytes) -> dict:
    messages, errors = Decoder(Stream.from_byte_array(data)).read()
    assert errors == []
    return messages


def test_sleep_level_and_hrv_value_match_garmin_sdk() -> None:
    data = _sdk_file()
    sdk = _sdk_messages(data)
    fast = decode_fit(data, "fast").messages
    sleep = fast["sleep_level"]
    assert sleep["sleep_level"].to_list() == [m["sleep_level"] for m in sdk["sleep_level_mesgs"]]
    assert sleep["timestamp"].to_list() == [m["timestamp"] for m in sdk["sleep_level_mesgs"]]
    hrv = fast["hrv_value"]
    assert hrv["value"].to_list() == [m["value"] for m in sdk["hrv_value_mesgs"]]
    assert hrv["value"].to_list() == HRV_VALUES
    assert hrv["timestamp"].to_list() == [m["timestamp"] for m in sdk["hrv_value_mesgs"]]


def test_hrv_status_and_resting_hr_match_garmin_sdk() -> None:
    data = _sdk_file()
    sdk = _sdk_messages(data)
    fast = decode_fit(data, "fast").messages
    (summary,) = sdk["hrv_status_summary_mesgs"]
    row = fast["hrv_status_summary"].row(0, named=True)
    for key in ("weekly_average", "last_night_average", "status", "timestamp"):
        assert row[key] == summary[key]
    (resting,) = sdk["monitoring_hr_data_mesgs"]
    row = fast["monitoring_hr_data"].row(0, named=True)
    assert row["resting_heart_rate"] == resting["resting_heart_rate"] == 48
    assert row["current_day_resting_heart_rate"] == resting["current_day_resting_heart_rate"]


def test_sdk_file_fast_equals_fitparse_engine() -> None:
    data = _sdk_file()
    fast, ref = decode_fit(data, "fast"), decode_fit(data, "fitparse")
    assert set(fast.messages) == set(ref.messages)
    for name, frame in ref.messages.items():
        assert_frame_equal(fast.messages[name], frame, check_exact=True)
