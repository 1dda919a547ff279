"""Builders for hand-made raw frames shaped like the warehouse tables (tests only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import polars as pl

UTC_US = pl.Datetime("us", "UTC")

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "sleep_stages": {"athlete_id": pl.String(), "file_id": pl.String(), "start_ts": UTC_US,
                     "end_ts": UTC_US, "stage": pl.String()},
    "heart_rate": {"athlete_id": pl.String(), "file_id": pl.String(), "ts": UTC_US,
                   "bpm": pl.Int16(), "context": pl.String()},
    "rr_intervals": {"athlete_id": pl.String(), "file_id": pl.String(), "ts": UTC_US,
                     "rr_ms": pl.Float64()},
    "hrv_samples": {"athlete_id": pl.String(), "file_id": pl.String(), "ts": UTC_US,
                    "rmssd_ms": pl.Float64()},
    "device_summaries": {"athlete_id": pl.String(), "file_id": pl.String(), "night": pl.Date(),
                         "ts": UTC_US, "metric": pl.String(), "value": pl.Float64(),
                         "vendor": pl.String()},
    "activities": {"athlete_id": pl.String(), "file_id": pl.String(), "start_ts": UTC_US,
                   "duration_s": pl.Float64(), "sport": pl.String(), "sub_sport": pl.String(),
                   "avg_hr": pl.Float64(), "max_hr": pl.Float64(), "distance_m": pl.Float64()},
    "athletes": {"athlete_id": pl.String(), "time_zone": pl.String(), "birth_year": pl.Int64(),
                 "sex": pl.String(), "hr_max": pl.Float64()},
}  # fmt: skip


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def frame(table: str, rows: Iterable[dict] = ()) -> pl.DataFrame:
    """A frame of `table`'s schema; missing keys in a row are null."""
    schema = SCHEMAS[table]
    rows = [{k: r.get(k) for k in schema} for r in rows]
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def stages(
    runs: Sequence[tuple[str, datetime, datetime]], athlete: str = "a", file_id: str = "s1"
) -> pl.DataFrame:
    return frame("sleep_stages", [
        {"athlete_id": athlete, "file_id": file_id, "start_ts": s, "end_ts": e, "stage": st}
        for st, s, e in runs
    ])  # fmt: skip


def stage_runs(start: datetime, runs: Sequence[tuple[str, int]]) -> list[tuple]:
    """Consecutive runs from `start`: [(stage, minutes), ...] -> [(stage, start, end)]."""
    out, t = [], start
    for stage, minutes in runs:
        out.append((stage, t, t + timedelta(minutes=minutes)))
        t += timedelta(minutes=minutes)
    return out


def hr_per_minute(
    start: datetime, bpms: Sequence[int | None], athlete: str = "a", file_id: str = "h1"
) -> pl.DataFrame:
    """One HR sample at the start of each minute from `start` (None = no sample)."""
    return frame("heart_rate", [
        {"athlete_id": athlete, "file_id": file_id, "ts": start + timedelta(minutes=i),
         "bpm": b, "context": "sleep"}
        for i, b in enumerate(bpms) if b is not None
    ])  # fmt: skip


def rr_series(
    start: datetime, rrs: Sequence[float], athlete: str = "a", file_id: str = "r1"
) -> pl.DataFrame:
    """Beats with ts = start + cumulative RR (ts = time of the beat that ends the interval)."""
    rows, t = [], start
    for rr in rrs:
        t += timedelta(milliseconds=rr)
        rows.append({"athlete_id": athlete, "file_id": file_id, "ts": t, "rr_ms": rr})
    return frame("rr_intervals", rows)


def summaries(
    rows: Sequence[tuple[date, str, float]],
    athlete: str = "a",
    file_id: str = "d1",
    vendor: str = "garmin",
) -> pl.DataFrame:
    return frame("device_summaries", [
        {"athlete_id": athlete, "file_id": file_id, "night": n, "metric": m, "value": v,
         "vendor": vendor}
        for n, m, v in rows
    ])  # fmt: skip


def athletes(*rows: tuple[str, str], **facts) -> pl.DataFrame:
    return frame("athletes", [{"athlete_id": a, "time_zone": tz, **facts} for a, tz in rows])


def empty(table: str) -> pl.DataFrame:
    return frame(table)
