"""Shared pieces of the fuzz tests and the atheris harnesses: seeds, mutations, the strict
parse call, and the time/memory guard.

A uniquely named module (not conftest) so that pytest tests and the standalone atheris
scripts (`python tests/fuzz/atheris_fit.py ...`) import the same code.

Seeds are small real or realistic files of every format:
- FIT: a few `sample_data/study` files, the small files of `../shared/corpus` (read in
  place, never copied into the repo) and one hand-built file with every message the FIT
  mapping reads (sleep_level, hrv_value, beat_intervals, monitoring_hr_data, ...);
- GPX, long CSV, wellness CSV: study files and minimal hand-written ones;
- vendor exports: every byte-string fixture of `tests/parsers/vendors/test_*.py` that a
  vendor sniffer claims (imported from the test modules, so new fixtures become seeds);
- zip: small export archives built from the seeds above (flat, nested, with refused members).
"""

from __future__ import annotations

import importlib.util
import io
import re
import threading
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from parsers import registry, vendors
from parsers.base import CANONICAL, ParsedFile, ParseError
from parsers.clean import (
    EARLIEST,
    FUTURE_SLACK,
    HR_MAX_BPM,
    HR_MIN_BPM,
    MAX_STAGE,
    RR_MAX_MS,
    RR_MIN_MS,
    drop_impossible,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
STUDY = REPO / "sample_data" / "study"
REGRESSIONS = HERE / "regressions"
#: A fixed "now" so that the future-timestamp rule does not depend on the day tests run.
NOW = datetime(2026, 12, 1, tzinfo=UTC)

#: One parse call may take at most this long (a hang detector, not a speed test).
TIME_LIMIT_S = 5.0
#: Python-heap peak (tracemalloc) one parse may reach: a fixed allowance for imports,
#: profile tables and polars/arrow glue, plus a multiple of the input size.
MEM_BASE_BYTES = 64 << 20
MEM_PER_INPUT_BYTE = 40

#: Corpus FIT files small enough to mutate many times (bytes).
MAX_FIT_SEED = 60_000


@dataclass(frozen=True)
class Seed:
    group: str  # fit | gpx | csv_long | wellness_csv | <vendor format> | zip
    name: str  # file name handed to the parser (extensions are a sniffing fallback)
    data: bytes


# ---------------------------------------------------------------- seeds


def _files(root: Path, pattern: str, max_bytes: int, limit: int | None = None) -> list[Path]:
    if not root.is_dir():
        return []
    paths = sorted(p for p in root.glob(pattern) if p.stat().st_size <= max_bytes)
    return paths[:limit] if limit else paths


def _study_fit() -> list[Path]:
    """A few small study FIT files of each kind (activity, wellness)."""
    picks = []
    for kind in ("activities", "wellness"):
        picks += sorted(STUDY.glob(f"*/{kind}/*.fit"), key=lambda p: p.stat().st_size)[:3]
    return picks


def built_fit() -> bytes:
    """One small FIT file with every message `parsers.fit` maps (garmin-fit-sdk encoder)."""
    from garmin_fit_sdk import Encoder, Profile

    mesg = Profile["mesg_num"]
    t0 = int(datetime(2024, 3, 1, 22, 0, tzinfo=UTC).timestamp()) - 631_065_600
    enc = Encoder()
    enc.on_mesg(mesg["FILE_ID"], {"type": "monitoring_b", "manufacturer": "garmin",
                                  "product": 3110, "serial_number": 1, "time_created": t0})
    enc.on_mesg(mesg["MONITORING_INFO"], {"timestamp": t0, "local_timestamp": t0 + 3600})
    for i in range(6):
        enc.on_mesg(mesg["MONITORING"], {"timestamp": t0 + 60 * i, "heart_rate": 50 + i})
        enc.on_mesg(mesg["MONITORING"], {"timestamp_16": (t0 + 60 * i + 30) & 0xFFFF,
                                         "heart_rate": 51 + i})
    for i, level in enumerate(("light", "deep", "rem", "awake")):
        enc.on_mesg(mesg["SLEEP_LEVEL"], {"timestamp": t0 + 600 * i, "sleep_level": level})
    enc.on_mesg(mesg["HRV_VALUE"], {"timestamp": t0 + 300, "value": 42.5})
    enc.on_mesg(mesg["BEAT_INTERVALS"], {"timestamp": t0 + 400, "timestamp_ms": 250,
                                         "time": [800, 1000, 950]})
    enc.on_mesg(mesg["MONITORING_HR_DATA"], {"timestamp": t0 + 900,
                                             "resting_heart_rate": 46,
                                             "current_day_resting_heart_rate": 47})
    enc.on_mesg(mesg["HRV_STATUS_SUMMARY"], {"timestamp": t0 + 900, "weekly_average": 55.0,
                                             "last_night_average": 61.5})
    enc.on_mesg(mesg["RECORD"], {"timestamp": t0 + 1000, "heart_rate": 120, "distance": 10.0})
    enc.on_mesg(mesg["HRV"], {"time": [0.8, 0.81, 0.79]})
    enc.on_mesg(mesg["SESSION"], {"timestamp": t0 + 1100, "start_time": t0 + 1000,
                                  "total_elapsed_time": 100.0, "sport": "running",
                                  "avg_heart_rate": 120, "max_heart_rate": 130})
    return enc.close()


GPX_HR = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Garmin Connect" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
 <trk><name>run</name><type>running</type><trkseg>
  <trkpt lat="52.0" lon="5.0"><time>2024-03-01T08:00:00Z</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>120</gpxtpx:hr>
   </gpxtpx:TrackPointExtension></extensions></trkpt>
  <trkpt lat="52.001" lon="5.001"><time>2024-03-01T08:00:10Z</time>
   <extensions><heartrate>125</heartrate></extensions></trkpt>
 </trkseg></trk>
</gpx>
"""

CSV_LONG = b"""athlete_id,timestamp,metric,value,unit,end_timestamp,context,vendor
a01,2024-03-01T22:00:00Z,heart_rate,52,bpm,,sleep,
a01,2024-03-01T23:10:00+01:00,sleep_stage,light,,,,
a01,2024-03-01T23:40:00+01:00,sleep_stage,deep,,,,
a01,2024-03-02T01:00:00+01:00,sleep_stage,rem,,2024-03-02T01:25:00+01:00,,
a01,2024-03-02T06:30:00+01:00,sleep_stage,end,,,,
a01,2024-03-02T06:31:00Z,rr,0.812,s,,,
a01,2024-03-02T03:05:00Z,hrv_rmssd,48.5,ms,,,
a01,2024-03-02,resting_hr,48,bpm,,,oura
a01,2024-03-02,sleep_hours,444,min,,,
"""

WELLNESS = b"""day;fatigue;mood;stress;soreness;sleep_quality;motivation
2024-03-01;3;7;4;2;6,5;8
2024-03-02;4;6;5;3;7;x
"""


@cache
def vendor_fixtures() -> list[Seed]:
    """Every bytes constant of the vendor parser tests that a vendor sniffer claims."""
    seeds: list[Seed] = []
    for path in sorted((REPO / "tests" / "parsers" / "vendors").glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_fuzz_seed_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names = {}
        for fname, value in getattr(module, "FIXTURES", {}).items():
            data = value[1] if isinstance(value, tuple) else value
            names[data if isinstance(data, bytes) else data.encode()] = fname
        for attr, value in vars(module).items():
            if not attr.isupper() or not isinstance(value, bytes | str):
                continue
            data = value if isinstance(value, bytes) else value.encode()
            name = names.get(data, f"{attr.lower()}.{'xml' if data[:1] == b'<' else 'txt'}")
            fmt = vendors.find_format(data, name)
            if fmt is not None:
                seeds.append(Seed(fmt.format, name, data))
    for path in _files(CORPUS / "csv_vendor", "*", 100_000):
        data = path.read_bytes()
        fmt = vendors.find_format(data, path.name)
        if fmt is not None:
            seeds.append(Seed(fmt.format, path.name, data))
    return seeds


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@cache
def seeds() -> dict[str, list[Seed]]:
    """Seeds by group; each group's list is non-empty (hand-built seeds need no corpus)."""
    out: dict[str, list[Seed]] = {}
    fit = [Seed("fit", "built.fit", built_fit())]
    fit += [Seed("fit", p.name, p.read_bytes()) for p in _study_fit()]
    fit += [Seed("fit", p.name, p.read_bytes())
            for p in _files(CORPUS, "*/*.fit", MAX_FIT_SEED)]
    out["fit"] = fit
    gpx = [Seed("gpx", "hr.gpx", GPX_HR)]
    gpx += [Seed("gpx", p.name, p.read_bytes()) for p in _files(CORPUS / "gpx", "*.gpx", 10_000)]
    study_gpx = sorted(STUDY.glob("*/activities/*.gpx"), key=lambda p: p.stat().st_size)[:1]
    gpx += [Seed("gpx", p.name, p.read_bytes()) for p in study_gpx]
    out["gpx"] = gpx
    out["csv_long"] = [Seed("csv_long", "long.csv", CSV_LONG)]
    wellness = [Seed("wellness_csv", "wellness.csv", WELLNESS)]
    wellness += [Seed("wellness_csv", p.name, p.read_bytes())
                 for p in sorted(STUDY.glob("*/questionnaire.csv"))[:1]]
    out["wellness_csv"] = wellness
    for seed in vendor_fixtures():
        out.setdefault(seed.group, []).append(seed)
    for seed in _study_seeds(set(out)):
        out.setdefault(seed.group, []).append(seed)
    small = {s.name: s.data for s in (fit[0], gpx[0], out["csv_long"][0], wellness[0])}
    vendor_one = {s.name: s.data for s in vendor_fixtures()[:3]}
    out["zip"] = [
        Seed("zip", "export.zip", _zip({**small, **vendor_one})),
        Seed("zip", "stored.zip", _zip(small, zipfile.ZIP_STORED)),
        Seed("zip", "nested.zip", _zip({"DI-Connect-Uploaded-Files/up.zip": _zip(small),
                                        "../escape.csv": CSV_LONG, "dir/": b""})),
    ]
    return out


def _study_seeds(covered: set[str], per_format: int = 2) -> list[Seed]:
    """Small sample_data files of any registered format that has no seed yet (a format
    added later, e.g. lab results, is fuzzed as soon as the study holds a file of it)."""
    found: dict[str, list[Seed]] = {}
    for path in sorted(STUDY.rglob("*")) if STUDY.is_dir() else []:
        if not path.is_file() or path.stat().st_size > 20_000:
            continue
        data = path.read_bytes()
        kind = registry.sniff(data, path.name)
        if kind and kind not in covered and len(found.setdefault(kind, [])) < per_format:
            found[kind].append(Seed(kind, path.name, data))
    return [seed for group in found.values() for seed in group]


def groups() -> list[str]:
    """Every registered format that has seeds, in registry order (zip is separate)."""
    return [name for name in registry.FORMATS if seeds().get(name)]


def vendor_groups() -> list[str]:
    return sorted(g for g in seeds() if g not in ("fit", "gpx", "csv_long", "wellness_csv",
                                                   "zip"))


# ---------------------------------------------------------------- mutations


def mutate(data: bytes, ops: list[tuple[str, int, int, bytes]]) -> bytes:
    """Apply (kind, position, length, payload) edits; positions wrap around the input.

    kinds: flip (xor a byte), set (overwrite bytes), insert, delete, truncate, dup (repeat a
    slice), interesting (overwrite with a boundary integer: 0, 0xFF, 0x7F, 0x80, 0xFFFF...).
    """
    buf = bytearray(data)
    for kind, pos, length, payload in ops:
        n = len(buf)
        at = pos % (n + 1)
        if kind == "flip" and n:
            buf[at % n] ^= (length % 255) + 1
        elif kind == "set" and n:
            end = min(at + len(payload), n)
            buf[at:end] = payload[: end - at]
        elif kind == "insert":
            buf[at:at] = payload
        elif kind == "delete":
            del buf[at:at + length]
        elif kind == "truncate":
            del buf[at:]
        elif kind == "dup":
            buf[at:at] = buf[at:at + length] * 2
        elif kind == "interesting" and n:
            value = INTERESTING[length % len(INTERESTING)]
            end = min(at + len(value), n)
            buf[at:end] = value[: end - at]
    return bytes(buf)


INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff", b"\x00\x00", b"\xff\xff\xff\xff",
               b"\x00\x00\x00\x80", b"\x0e", b"\x0c", b"\x40", b"\xc0", b",", b";", b'"',
               b"\n", b"\r\n", b"<", b"&", b"NaN", b"-1", b"1e308", b"9999999999", b"\xef\xbb\xbf"]


def mutation_ops():
    """Hypothesis strategy for a short list of mutation edits (shrinks towards no edit)."""
    from hypothesis import strategies as st

    op = st.tuples(
        st.sampled_from(["flip", "set", "insert", "delete", "truncate", "dup", "interesting"]),
        st.integers(min_value=0, max_value=1 << 24),
        st.integers(min_value=0, max_value=4096),
        st.binary(min_size=1, max_size=64),
    )
    return st.lists(op, min_size=1, max_size=6)


# ---------------------------------------------------------------- the calls


def strict_parse(data: bytes, name: str, engine: str = "fast", tz: str | None = None,
                 now: datetime = NOW) -> ParsedFile:
    """`registry.parse_file` WITHOUT its catch-all: any exception but `ParseError` escapes.

    The registry wraps a parser's unexpected exception into a `ParseError` ("... could not be
    parsed: KeyError: ...") so that no file is lost; that safety net would hide parser bugs
    from the fuzzer, so the fuzz tests call the sniffed parser directly.
    """
    kind = registry.sniff(data, name)
    if kind is None:
        return registry.parse_file(data, name, engine=engine, now=now, tz=tz)  # ParseError
    fmt = registry.FORMATS[kind]
    options: dict[str, Any] = {}
    if fmt.takes_engine:
        options["engine"] = engine
    if fmt.takes_tz:
        options["tz"] = tz
    return drop_impossible(fmt.parse(data, name, **options), now)


def check_parsed(parsed: ParsedFile, now: datetime = NOW) -> None:
    """Invariants of every parse result: canonical frames, no impossible value left."""
    assert isinstance(parsed, ParsedFile)
    for table, frame in parsed.frames.items():
        assert table in CANONICAL, f"unknown frame {table}"
        schema = {k: v for k, v in frame.schema.items() if k != "athlete_id"}
        assert schema == CANONICAL[table], f"{table} columns {frame.schema}"
    for reason, count in parsed.dropped.items():
        assert isinstance(reason, str) and isinstance(count, int) and count >= 0
    assert all(isinstance(p, str) and p for p in parsed.problems)
    latest = now + FUTURE_SLACK
    frames = parsed.frames
    if "heart_rate" in frames:
        bpm = frames["heart_rate"]["bpm"]
        assert bpm.null_count() == 0 and bpm.is_between(HR_MIN_BPM, HR_MAX_BPM).all()
    if "rr_intervals" in frames:
        rr = frames["rr_intervals"]["rr_ms"]
        assert rr.null_count() == 0 and rr.is_between(RR_MIN_MS, RR_MAX_MS).all()
    if "sleep_stages" in frames:
        s = frames["sleep_stages"]
        length = s["end_ts"] - s["start_ts"]
        assert ((length > timedelta(0)) & (length <= MAX_STAGE)).all()
    for frame in frames.values():
        for col in ("ts", "start_ts", "end_ts"):
            if col in frame.columns:
                values = frame[col].drop_nulls()
                assert values.is_empty() or (values.min() >= EARLIEST and values.max() <= latest)


class Timeout(AssertionError):
    pass


@dataclass
class Guarded:
    value: Any
    peak_bytes: int
    bound_bytes: int


def memory_bound(size: int) -> int:
    return MEM_BASE_BYTES + MEM_PER_INPUT_BYTE * size


def guarded(fn: Callable[[], Any], size: int, timeout: float = TIME_LIMIT_S,
            trace_memory: bool = True) -> Guarded:
    """Run `fn()` in a worker thread with a time limit and a tracemalloc peak bound.

    A call still running after `timeout` fails the test with `Timeout` (the thread is left
    to finish in the background: Python cannot kill a thread, and a hang is the bug being
    reported). The exception `fn` raised, if any, is re-raised here. The peak of the Python
    heap (tracemalloc: Python objects, numpy buffers; not polars' Rust heap) must stay under
    `memory_bound(size)`.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    started_here = trace_memory and not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    if trace_memory:
        tracemalloc.reset_peak()
    worker = threading.Thread(target=run, daemon=True, name="fuzz-call")
    worker.start()
    worker.join(timeout)
    try:
        if worker.is_alive():
            raise Timeout(f"call still running after {timeout} s (input of {size} bytes)")
        peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
    finally:
        if started_here:
            tracemalloc.stop()
    if "error" in box:
        raise box["error"]
    bound = memory_bound(size)
    assert peak <= bound, f"Python heap peak {peak:,} B over the bound {bound:,} B"
    return Guarded(box.get("value"), peak, bound)


def only_parse_errors(data: bytes, name: str, engine: str = "fast",
                      trace_memory: bool = True) -> ParsedFile | ParseError:
    """The fuzz property of `parse_file`'s parsers: a result or a `ParseError`, never
    anything else, within the time and memory bounds; a result satisfies `check_parsed`."""
    try:
        result = guarded(lambda: strict_parse(data, name, engine=engine), len(data),
                         trace_memory=trace_memory).value
    except ParseError as exc:
        assert str(exc).strip(), "ParseError without a reason"
        return exc
    check_parsed(result)
    return result


def regression_files(group: str | None = None) -> list[Path]:
    root = REGRESSIONS if group is None else REGRESSIONS / group
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".md"))


def regression_name(path: Path) -> str:
    """The file name the regression input is parsed under: `<name>` of `<id>--<name>`."""
    return re.sub(r"^[0-9a-f]{8,}--", "", path.name)


def frame_heights(parsed: ParsedFile) -> dict[str, int]:
    return {k: v.height for k, v in parsed.frames.items()}




# ---------------------------------------------------------------- atheris


def run_atheris(target: str, one_input: Callable[[bytes], None], corpus: list[bytes]) -> None:
    """Run a libFuzzer/atheris harness: seeds `corpus` into a fresh directory unless one is
    given on the command line, keeps crash files under /tmp/herstel-atheris/<target>/.

    Usage (docs/reliability.md): python tests/fuzz/atheris_<target>.py -max_total_time=180
    """
    import sys
    import tempfile

    import atheris

    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        seed_dir = Path(tempfile.mkdtemp(prefix=f"herstel-atheris-{target}-"))
        for i, data in enumerate(corpus):
            (seed_dir / f"seed-{i:03d}").write_bytes(data)
        argv.append(str(seed_dir))
    if not any(a.startswith("-artifact_prefix=") for a in argv):
        crashes = Path("/tmp/herstel-atheris") / target
        crashes.mkdir(parents=True, exist_ok=True)
        argv.append(f"-artifact_prefix={crashes}/")
    for flag, value in (("-timeout", TIME_LIMIT_S), ("-rss_limit_mb", 4096),
                        ("-max_len", max(len(c) for c in corpus) + 4096)):
        if not any(a.startswith(flag + "=") for a in argv):
            argv.append(f"{flag}={int(value)}")
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def choose(data: bytes, names: list[str]) -> tuple[str, bytes]:
    """First byte picks a file name (the sniffing fallback), the rest is the content."""
    if not data:
        return names[0], b""
    return names[data[0] % len(names)], data[1:]
