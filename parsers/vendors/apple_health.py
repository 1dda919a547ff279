"""Apple Health `export.xml` (Health app -> profile -> Export All Health Data), streamed.

Real exports are gigabytes, so the file is read with `iterparse` and every finished
top-level element is cleared; rows are gathered as strings and typed by polars in batches.

Safety and Apple's own bugs, both handled before the parser sees a byte:
- the internal DTD Apple writes (`<!DOCTYPE HealthData [ <!ELEMENT ...> <!ATTLIST ...> ]>`)
  is skipped: we never need it, iOS 16 wrote it malformed (`syntax error: line 156`), and
  a DOCTYPE that declares entities (`<!ENTITY`, the billion-laughs bomb) is REFUSED;
  defusedxml then forbids any further DTD or entity, so nothing is ever expanded;
- control bytes that are illegal in XML 1.0 (iOS 16 wrote `\\x0b` into values) are dropped.

Mapped: HeartRate -> heart_rate; RestingHeartRate -> resting_hr; HeartRateVariabilitySDNN
-> hrv_sdnn_ms (Apple's HRV is SDNN, never stored as RMSSD); SleepAnalysis -> sleep_stages;
Workout -> activities. See docs/sources/apple_health.md.
"""

from __future__ import annotations

import io
import re
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml.ElementTree as SafeET
import polars as pl
from defusedxml import DefusedXmlException

from parsers.base import ParsedFile, ParseError, conform
from parsers.vendors.common import (
    VendorFormat,
    common_offset,
    frames_of,
    head_text,
    offset_seconds,
    sport_columns,
    summaries,
)

VENDOR = "apple"
FORMAT = "apple_health_xml"

#: The DOCTYPE must close within this many leading bytes (Apple's DTD is ~10 KB).
PROLOG_LIMIT = 1 << 20
#: Rows gathered as strings before they are typed into a frame (bounds memory).
BATCH_ROWS = 200_000
#: Bytes illegal in XML 1.0 except TAB, LF, CR; safe to delete from UTF-8 (never inside
#: a multi-byte sequence).
CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))

HR = "HKQuantityTypeIdentifierHeartRate"
RESTING_HR = "HKQuantityTypeIdentifierRestingHeartRate"
SDNN = "HKQuantityTypeIdentifierHeartRateVariabilitySDNN"
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"

#: SleepAnalysis values -> canonical stage; InBed (0) is time in bed, not a stage: skipped.
SLEEP_VALUES = {
    "HKCategoryValueSleepAnalysisAsleep": "asleep",
    "HKCategoryValueSleepAnalysisAsleepUnspecified": "asleep",
    "HKCategoryValueSleepAnalysisAsleepCore": "light",
    "HKCategoryValueSleepAnalysisAsleepDeep": "deep",
    "HKCategoryValueSleepAnalysisAsleepREM": "rem",
    "HKCategoryValueSleepAnalysisAwake": "awake",
    "1": "asleep", "2": "awake", "3": "light", "4": "deep", "5": "rem",
}
DURATION_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
DISTANCE_M = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "yd": 0.9144, "ft": 0.3048}
APPLE_TIME = "%Y-%m-%d %H:%M:%S %z"


def sniff(data: bytes, name: str) -> bool:
    """XML whose DOCTYPE or root is `HealthData` (Apple's comment names the export version)."""
    head = head_text(data).lstrip()
    if not head.startswith("<"):
        return False
    return bool(re.search(r"<!DOCTYPE\s+HealthData\b|<HealthData[\s>]|HealthKit Export Version",
                          head))


# ---------------------------------------------------------------- safe byte stream


def doctype_span(data: bytes) -> tuple[int, int] | None:
    """(start, end) of the DOCTYPE declaration, or None; `ParseError` if it declares entities."""
    prolog = data[:PROLOG_LIMIT]
    start = prolog.find(b"<!DOCTYPE")
    if start < 0:
        return None
    bracket, close = prolog.find(b"[", start), prolog.find(b">", start)
    if close < 0:
        raise ParseError(f"export.xml: the DOCTYPE does not end within the first "
                         f"{PROLOG_LIMIT >> 20} MiB; refused")
    if 0 <= bracket < close:  # internal subset: ends at the first `]` + `>`
        m = re.compile(rb"\]\s*>").search(prolog, bracket)
        if m is None:
            raise ParseError(f"export.xml: the DOCTYPE internal subset is not closed within the "
                             f"first {PROLOG_LIMIT >> 20} MiB; refused")
        close = m.end() - 1
    if re.search(rb"<!ENTITY", prolog[start:close + 1], re.IGNORECASE):
        raise ParseError("export.xml refused: its DOCTYPE declares XML entities (<!ENTITY ...>). "
                         "Apple Health exports never do; entity expansion is how XML bombs "
                         "('billion laughs') work, so the file is not parsed")
    return start, close + 1


class CleanStream(io.RawIOBase):
    """`data` minus one byte span (the DOCTYPE) and minus XML-illegal control bytes."""

    def __init__(self, data: bytes, skip: tuple[int, int] | None) -> None:
        view = memoryview(data)
        self._parts = [view] if skip is None else [view[: skip[0]], view[skip[1]:]]
        self._part = 0
        self._pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else 1 << 20
        while self._part < len(self._parts):
            part = self._parts[self._part]
            if self._pos >= len(part):
                self._part, self._pos = self._part + 1, 0
                continue
            chunk = bytes(part[self._pos: self._pos + size]).translate(None, CONTROL_BYTES)
            self._pos += size
            if chunk:
                return chunk
        return b""


# ---------------------------------------------------------------- collection


class _Rows:
    """Column lists of strings, typed into a polars frame every `BATCH_ROWS` rows."""

    def __init__(self, columns: tuple[str, ...], typer) -> None:
        self.columns, self.typer = columns, typer
        self.pending: dict[str, list] = {c: [] for c in columns}
        self.frames: list[pl.DataFrame] = []
        self.count = 0

    def add(self, *values: str | None) -> None:
        for col, value in zip(self.columns, values, strict=True):
            self.pending[col].append(value)
        self.count += 1
        if len(self.pending[self.columns[0]]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending[self.columns[0]]:
            raw = pl.DataFrame(self.pending, schema={c: pl.String for c in self.columns})
            self.frames.append(self.typer(raw))
            self.pending = {c: [] for c in self.columns}

    def frame(self) -> pl.DataFrame:
        self.flush()
        empty = self.typer(pl.DataFrame(schema={c: pl.String for c in self.columns}))
        return pl.concat(self.frames) if self.frames else empty


def _apple_time(col: str) -> pl.Expr:
    # "2019-06-11 15:00:00 -0700": local wall time + its offset
    return pl.col(col).str.to_datetime(APPLE_TIME, time_unit="us", time_zone="UTC", strict=False)


def _typed_values(raw: pl.DataFrame) -> pl.DataFrame:
    """(start, value) strings -> ts (UTC), local night (the date Apple wrote), offset, value."""
    return raw.select(
        _apple_time("start").alias("ts"),
        pl.col("start").str.slice(0, 10).str.to_date(strict=False).alias("night"),
        offset_seconds(pl.col("start").str.extract(r"([+-]\d{4})\s*$")).alias("offset_s"),
        pl.col("value").cast(pl.Float64, strict=False).alias("value"),
    )


def _typed_sleep(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.select(
        _apple_time("start").alias("start_ts"),
        _apple_time("end").alias("end_ts"),
        pl.col("value").replace_strict(SLEEP_VALUES, default=None, return_dtype=pl.String)
        .alias("stage"),
    )


def _typed_workouts(raw: pl.DataFrame) -> pl.DataFrame:
    def scaled(value: str, unit: str, table: dict[str, float]) -> pl.Expr:
        factor = pl.col(unit).str.strip_chars().replace_strict(table, default=None,
                                                               return_dtype=pl.Float64)
        return pl.col(value).cast(pl.Float64, strict=False) * factor

    activity = pl.col("kind").str.replace(r"^HKWorkoutActivityType", "")
    seconds = (_apple_time("end") - _apple_time("start")).dt.total_seconds().cast(pl.Float64)
    return raw.select(
        _apple_time("start").alias("start_ts"),
        pl.coalesce(scaled("duration", "duration_unit", DURATION_S), seconds).alias("duration_s"),
        *sport_columns(activity),
        pl.col("avg_hr").cast(pl.Float64, strict=False).alias("avg_hr"),
        pl.col("max_hr").cast(pl.Float64, strict=False).alias("max_hr"),
        scaled("distance", "distance_unit", DISTANCE_M).alias("distance_m"),
    )


def _workout_row(el) -> tuple[str | None, ...]:
    # <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="5.19" durationUnit=
    #  "min" totalDistance="0.497" totalDistanceUnit="mi" startDate="2016-11-14 07:25:41 -0700"
    #  endDate="..."> <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate"
    #  average="141" maximum="171" unit="count/min"/> ... </Workout>
    a = el.attrib
    avg_hr = max_hr = None
    distance, distance_unit = a.get("totalDistance"), a.get("totalDistanceUnit")
    for stat in el.iter("WorkoutStatistics"):
        kind = stat.get("type", "")
        if kind == HR:
            avg_hr, max_hr = stat.get("average"), stat.get("maximum")
        elif kind.startswith("HKQuantityTypeIdentifierDistance") and distance is None:
            distance, distance_unit = stat.get("sum"), stat.get("unit")
    return (a.get("workoutActivityType"), a.get("startDate"), a.get("endDate"),
            a.get("duration"), a.get("durationUnit"), distance, distance_unit, avg_hr, max_hr)


class _Collected:
    def __init__(self) -> None:
        self.hr = _Rows(("start", "value"), _typed_values)
        self.resting = _Rows(("start", "value"), _typed_values)
        self.sdnn = _Rows(("start", "value"), _typed_values)
        self.sleep = _Rows(("start", "end", "value"), _typed_sleep)
        self.workouts = _Rows(("kind", "start", "end", "duration", "duration_unit", "distance",
                               "distance_unit", "avg_hr", "max_hr"), _typed_workouts)

    def record(self, a: dict) -> None:
        # <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch"
        #  unit="count/min" creationDate="..." startDate="2018-09-10 02:28:55 -0700"
        #  endDate="2018-09-10 02:28:55 -0700" value="72"/>
        kind = a.get("type")
        if kind == HR:
            self.hr.add(a.get("startDate"), a.get("value"))
        elif kind == RESTING_HR:
            self.resting.add(a.get("startDate"), a.get("value"))
        elif kind == SDNN:
            self.sdnn.add(a.get("startDate"), a.get("value"))
        elif kind == SLEEP:
            self.sleep.add(a.get("startDate"), a.get("endDate"), a.get("value"))

    @property
    def count(self) -> int:
        return sum(r.count for r in (self.hr, self.resting, self.sdnn, self.sleep, self.workouts))


def _walk(data: bytes, name: str) -> tuple[_Collected, list[str]]:
    """Stream the document; damage after some records -> problems, before any -> ParseError."""
    got, problems = _Collected(), []
    stream = CleanStream(data, doctype_span(data))
    depth, root = 0, None
    try:
        for event, el in SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                if root is None:
                    root = el
                    if el.tag != "HealthData":
                        raise ParseError(f"{name or 'file'}: XML root is <{el.tag}>, "
                                         f"expected Apple Health's <HealthData>")
                continue
            depth -= 1
            if el.tag == "Record" and depth == 1:
                got.record(el.attrib)
            elif el.tag == "Workout":
                got.workouts.add(*_workout_row(el))
            if depth == 1:
                root.clear()  # finished top-level element: free it
    except DefusedXmlException as exc:
        raise ParseError(f"{name or 'file'} refused: {exc} (DTD/entity declarations are not "
                         f"allowed; only Apple's own DOCTYPE at the top is skipped)") from None
    except (XMLSyntaxError, LookupError, ValueError) as exc:  # Lookup/ValueError: expat
        # cannot read the declared encoding (`UTF-8C`, multi-byte `UTF-7`)
        where = f"XML breaks: {exc}"
        if got.count == 0:
            raise ParseError(f"{name or 'file'}: not readable as Apple Health XML; {where}") \
                from None
        problems.append(f"{where}; kept the {got.count} records before it")
    return got, problems


# ---------------------------------------------------------------- frames


def _per_night(values: pl.DataFrame, metric: str) -> pl.DataFrame:
    """Several readings a day (Apple's SDNN spot checks) -> their mean for the local date."""
    daily = values.drop_nulls(["night", "value"]).group_by("night").agg(
        pl.col("value").mean(), pl.col("ts").max()
    ).sort("night")
    return summaries(daily, {metric: pl.col("value")}, VENDOR, night=pl.col("night"),
                     ts=pl.col("ts"))


def parse(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """export.xml -> heart_rate, sleep_stages, device_summaries, activities."""
    got, problems = _walk(data, name)
    hr = got.hr.frame()
    heart_rate = hr.select("ts", pl.col("value").round().alias("bpm"),
                           pl.lit("monitoring").alias("context")).drop_nulls(["ts", "bpm"])
    device = pl.concat([_per_night(got.resting.frame(), "resting_hr"),
                        _per_night(got.sdnn.frame(), "hrv_sdnn_ms")])
    stages = got.sleep.frame().drop_nulls().filter(pl.col("end_ts") > pl.col("start_ts"))
    acts = got.workouts.frame().filter(pl.col("start_ts").is_not_null())
    frames = frames_of(
        heart_rate=conform(heart_rate, "heart_rate"),
        device_summaries=device,
        sleep_stages=conform(stages.sort("start_ts"), "sleep_stages"),
        activities=conform(acts, "activities"),
    )
    offsets = pl.concat([hr.select("offset_s"), got.resting.frame().select("offset_s")])
    return ParsedFile(FORMAT, frames, vendor=VENDOR, problems=problems,
                      utc_offset_s=common_offset(offsets.to_series()))


PARSERS = [VendorFormat(FORMAT, sniff, parse)]
