"""Polar `.hrm` recordings (Polar ProTrainer / Precision Performance, "HRM" text format).

An INI-like text file: a `[Params]` section of `key=value` lines, other sections
(`[Note]`, `[IntTimes]`, `[HRZones]`, ...) that herstel does not need, and `[HRData]` last,
one row per sample. `Interval=238` marks an R-R recording: each row starts with one
beat-to-beat interval in ms (further tab-separated columns, present when `SMode` switches
speed/cadence/altitude/power on, are ignored). Any other `Interval` is seconds per sample and
each row starts with the heart rate in bpm.

`Date` (`yyyymmdd`) and `StartTime` (`hh:mm:ss.s`) are the watch's local wall clock without
a zone: read in the athlete's zone `tz`. Beats are laid end to end from there in absolute
time (`vendors.beats`), so a night across a clock change is placed exactly. See
docs/sources/polar_hrm.md.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import polars as pl

from parsers.base import ParsedFile, ParseError, conform
from parsers.vendors.beats import beats_frame, local_start, truncation_problem, unplaceable
from parsers.vendors.common import VendorFormat, decode_text, frames_of, head_text

VENDOR = "polar"
FORMAT = "polar_hrm"
#: `Interval` value that marks R-R (beat-to-beat) rows instead of a sampling period.
RR_INTERVAL = 238
#: Sampling periods (s) Polar monitors use; anything else is not a period herstel trusts.
MAX_SAMPLE_PERIOD_S = 60
#: `dropped` reason for the rows from the first unreadable one on (their time is unknown).
UNREADABLE_ROW = "unreadable_row"

_SECTION = re.compile(r"^\[([^\]\r\n]+)\]\s*$", re.M)


def sniff(data: bytes, name: str) -> bool:
    """Starts with `[Params]` and names a Polar parameter (`SMode=`, `Monitor=`, `Interval=`)."""
    head = head_text(data).lstrip()
    return head.startswith("[Params]") and bool(
        re.search(r"^(SMode|Monitor|Interval)=", head, re.M))


def _sections(text: str) -> dict[str, str]:
    marks = list(_SECTION.finditer(text))
    return {m.group(1).strip(): text[m.end(): marks[i + 1].start() if i + 1 < len(marks)
                                     else len(text)] for i, m in enumerate(marks)}


def _params(body: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in body.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def _clock_s(value: str | None) -> float | None:
    """`07:20:00.0` -> seconds; None when it is not hh:mm:ss(.s)."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)", (value or "").strip())
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else None


def _start(params: dict[str, str], name: str) -> datetime:
    day, clock = params.get("Date", ""), _clock_s(params.get("StartTime"))
    try:
        start = datetime.strptime(day, "%Y%m%d")
    except ValueError:
        raise ParseError(f"{name or 'file'}: [Params] Date={day!r} is not yyyymmdd; the "
                         f"recording cannot be placed in time") from None
    if clock is None:
        raise ParseError(f"{name or 'file'}: [Params] StartTime="
                         f"{params.get('StartTime')!r} is not hh:mm:ss.s")
    return start + timedelta(seconds=clock)


def _period(params: dict[str, str], name: str) -> int:
    raw = params.get("Interval", "")
    if not raw.isdigit() or not (int(raw) == RR_INTERVAL or 0 < int(raw) <= MAX_SAMPLE_PERIOD_S):
        raise ParseError(f"{name or 'file'}: [Params] Interval={raw!r} is neither 238 (R-R "
                         f"recording) nor a sampling period of 1-{MAX_SAMPLE_PERIOD_S} s")
    return int(raw)


def _rows(body: str) -> tuple[list[float], int | None]:
    """First column of every [HRData] row, up to the first row that is not a number:
    (values, 1-based number of that row or None)."""
    values: list[float] = []
    for i, line in enumerate(ln for ln in body.splitlines() if ln.strip()):
        first = line.split()[0]
        if not first.isdigit():
            return values, i + 1
        values.append(float(first))
    return values, None


def parse(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """[HRData] -> rr_intervals (Interval=238) or heart_rate (sampled), from the local start."""
    # [Params]
    # Version=106
    # Monitor=22
    # SMode=000000000
    # Date=20251025
    # StartTime=22:50:00.0
    # Length=07:20:00.0
    # Interval=238
    # ...
    # [HRData]
    # 1029
    # 971
    sections = _sections(decode_text(data, name))
    if "Params" not in sections:
        raise ParseError(f"{name or 'file'}: no [Params] section; not a Polar .hrm file")
    params = _params(sections["Params"])
    period, naive = _period(params, name), _start(params, name)
    if "HRData" not in sections:
        last = list(sections)[-1]
        raise ParseError(f"{name or 'file'}: no [HRData] section (the file ends in [{last}]: "
                         f"cut short?); export the exercise again from Polar ProTrainer")
    values, bad_row = _rows(sections["HRData"])
    dropped, problems = {}, []
    if bad_row is not None:
        lost = sum(1 for ln in sections["HRData"].splitlines() if ln.strip()) - len(values)
        dropped[UNREADABLE_ROW] = lost
        # the row's text is not quoted: it may hold health values (reasons reach the console)
        problems.append(f"[HRData] row {bad_row} does not start with a whole number: the "
                        f"{lost} rows from there on cannot be placed in time and are skipped")
    start, unknown = local_start(naive, tz)
    device = f"polar monitor {params['Monitor']}" if params.get("Monitor") else None
    if start is None:
        more, lines = unplaceable(len(values), unknown, naive, tz)
        return ParsedFile(FORMAT, {}, vendor=VENDOR, device=device,
                          dropped={**dropped, **more}, problems=problems + lines)
    if period == RR_INTERVAL:
        frames = frames_of(rr_intervals=beats_frame(start, values))
        if bad_row is None and (cut := truncation_problem(
                values, _clock_s(params.get("Length")), "[Params] Length")):
            problems.append(cut)
    else:
        hr = pl.DataFrame({"i": range(len(values)), "bpm": values}, schema={
            "i": pl.Int64, "bpm": pl.Float64})
        hr = hr.select((pl.lit(start) + pl.duration(seconds=pl.col("i") * period)).alias("ts"),
                       "bpm", pl.lit("activity").alias("context"))
        frames = frames_of(heart_rate=conform(hr, "heart_rate"))
        if bad_row is None and (cut := truncation_problem(
                [period * 1000.0] * len(values), _clock_s(params.get("Length")),
                "[Params] Length")):
            problems.append(cut)
    return ParsedFile(FORMAT, frames, vendor=VENDOR, device=device, dropped=dropped,
                      problems=problems)


PARSERS = [VendorFormat(FORMAT, sniff, parse)]
