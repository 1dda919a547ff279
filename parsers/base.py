"""The contract between parsers and the warehouse: canonical frames and the parse result.

Every parser turns one input file into a `ParsedFile`: a few polars frames whose names and
columns match the warehouse tables (without `athlete_id` and `file_id`, which the loader adds
because only it knows them). Parsers never touch DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

UTC_US = pl.Datetime("us", "UTC")

#: Canonical frame schemas, keyed by the warehouse table they load into.
#: A parser may return any subset of these; columns must match names and dtypes exactly
#: (use `conform`). `athlete_id` is optional: a long CSV may name the athlete per row.
CANONICAL: dict[str, dict[str, pl.DataType]] = {
    # one heart-rate sample; context: monitoring | activity | sleep
    "heart_rate": {"ts": UTC_US, "bpm": pl.Int16, "context": pl.String},
    # one beat-to-beat interval, ts = time of the beat that ends it
    "rr_intervals": {"ts": UTC_US, "rr_ms": pl.Float64},
    # one device 5-minute HRV (RMSSD) value, e.g. FIT 371 hrv_value
    "hrv_samples": {"ts": UTC_US, "rmssd_ms": pl.Float64},
    # one sleep stage interval: awake | light | deep | rem | asleep | unmeasurable
    "sleep_stages": {"start_ts": UTC_US, "end_ts": UTC_US, "stage": pl.String},
    # one training session
    "activities": {
        "start_ts": UTC_US,
        "duration_s": pl.Float64,
        "sport": pl.String,
        "sub_sport": pl.String,
        "avg_hr": pl.Float64,
        "max_hr": pl.Float64,
        "distance_m": pl.Float64,
    },
    # a vendor-computed nightly value; `night` may be null when only `ts` is known: the
    # loader then takes the local date of `ts` in the athlete's time zone.
    "device_summaries": {
        "night": pl.Date,
        "ts": UTC_US,
        "metric": pl.String,
        "value": pl.Float64,
        "vendor": pl.String,
    },
    # a self-reported day (scores as given, typically 1-10)
    "wellness": {
        "day": pl.Date,
        "fatigue": pl.Float64,
        "mood": pl.Float64,
        "motivation": pl.Float64,
        "stress": pl.Float64,
        "soreness": pl.Float64,
        "sleep_quality": pl.Float64,
    },
    "lab_results": {"day": pl.Date, "marker": pl.String, "value": pl.Float64, "unit": pl.String},
}

#: Contexts of a heart-rate sample.
HR_CONTEXTS = ("monitoring", "activity", "sleep")
#: Sleep stages as docs/metrics.md names them.
SLEEP_STAGES = ("awake", "light", "deep", "rem", "asleep", "unmeasurable")


class ParseError(Exception):
    """The file cannot be read at all: the loader records it as `quarantined` with this text.

    The message must say what is wrong in words a person can act on, e.g.
    "not a FIT file: header signature is b'XXXX', expected b'.FIT'".
    """


@dataclass
class ParsedFile:
    """What one parser made of one file."""

    format: str  # fit | gpx | csv_long | wellness_csv | ...
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    vendor: str | None = None  # garmin, wahoo, apple, ...
    device: str | None = None  # e.g. "garmin vivosmart_4"
    #: UTC offset in seconds seen in the file itself (FIT monitoring_info.local_timestamp)
    utc_offset_s: int | None = None
    #: damage found: the file decoded only partly. Non-empty -> status `partial`.
    problems: list[str] = field(default_factory=list)
    #: impossible values dropped, by reason, e.g. {"hr_out_of_range": 3}
    dropped: dict[str, int] = field(default_factory=dict)

    def rows(self) -> dict[str, int]:
        return {name: frame.height for name, frame in self.frames.items()}


#: A file's recorded reason (`files.reason`) stays short whatever the file holds: at most
#: `MAX_PROBLEMS` problem lines, each cut to `MAX_PROBLEM_CHARS`, the rest counted as
#: "and N more problems", all within `MAX_REASON_CHARS` once joined with "; " (a 285 KB
#: chain of tiny FIT files with bad CRCs made a 2 MB reason).
MAX_PROBLEMS = 5
MAX_PROBLEM_CHARS = 200
MAX_REASON_CHARS = 500
_CUT = " [...]"


def shorten(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` cut to `limit` characters (marked `[...]` where it was cut)."""
    return text if len(text) <= limit else text[: limit - len(_CUT)] + _CUT


def bounded_problems(problems: list[str]) -> list[str]:
    """The first problems, each shortened, with the rest counted in a last line, so that
    `"; ".join(result)` never exceeds `MAX_REASON_CHARS`."""
    kept: list[str] = []
    tail_room = len("; and 999999999 more problems")
    used = 0
    for i, problem in enumerate(problems):
        line = shorten(problem, MAX_PROBLEM_CHARS)
        cost = len(line) + (2 if kept else 0)
        rest = len(problems) - i - 1
        room = MAX_REASON_CHARS - (tail_room if rest else 0)
        if len(kept) == MAX_PROBLEMS or used + cost > room:
            break
        kept.append(line)
        used += cost
    if (more := len(problems) - len(kept)):
        kept.append(f"and {more} more problem{'s' if more > 1 else ''}")
    return kept


def conform(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Cast and order `frame` to the canonical schema of `table`; missing columns become null.

    An optional `athlete_id` column is kept (first) when present. A value that does not fit
    an integer column (HR 99999, inf, NaN) becomes null rather than failing the whole file:
    `parsers.clean.drop_impossible` then drops and counts that row.
    """
    if not frame.columns:  # selecting literals from a frame without columns makes ONE row
        return empty(table)
    schema = CANONICAL[table]
    if list(frame.schema.items()) == list(schema.items()):
        return frame.clone()  # already canonical: a select of casts costs ~80 us, a clone ~1
    cols = []
    if "athlete_id" in frame.columns:
        cols.append(pl.col("athlete_id").cast(pl.String))
    for name, dtype in schema.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype, strict=not dtype.is_integer()))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)


#: The file key of frames stacked from several files (a file's position in its batch).
FILE_KEY = "_file"


def stack_keyed(frames: list[pl.DataFrame], keys: list[int], key: str = FILE_KEY) -> pl.DataFrame:
    """Frames of one schema stacked, with column `key` (UInt32) telling each row's frame by
    `keys` (one per frame): many small files' frames go through one polars pass, not one
    each, and are told apart again by the key."""
    heights = pl.DataFrame({key: keys, "n": [f.height for f in frames]},
                           schema={key: pl.UInt32, "n": pl.UInt32})
    tags = heights.select(pl.col(key).repeat_by("n")).explode(key)
    return pl.concat(frames).with_columns(tags.get_column(key))


def empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=CANONICAL[table])
