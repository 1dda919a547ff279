"""Shared placing of beat-to-beat recordings (Polar `.hrm`, Suunto `.sml` / app JSON).

These files give a start time and the intervals only: beat k ends at start + rr_0 + ... +
rr_k (`rr_intervals.ts` is the time of the beat that ends the interval, docs/metrics.md,
"HRV"). Every interval the device wrote counts towards the clock, also an artifact, because
the time passed; implausible values are then dropped and counted centrally
(`parsers.clean`: `rr_out_of_range`), and the metrics' neighbour rule keeps any successive
difference from bridging them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from parsers.base import ParseError, conform
from parsers.vendors.placing import AMBIGUOUS_LOCAL, NONEXISTENT_LOCAL

#: A recording whose intervals add up to less than its stated length by more than this
#: (and `TRUNCATION_SHARE` of it) lost its end: the file is `partial`. The slack is generous
#: because a monitor may store no interval while the strap loses contact (a short gap in a
#: healthy file); a copy cut short usually loses far more.
TRUNCATION_SLACK = timedelta(seconds=30)
TRUNCATION_SHARE = 0.02


def local_start(naive: datetime, tz: str | None) -> tuple[datetime | None, str | None]:
    """A local wall-clock start read in the athlete's zone -> (UTC start, None), or
    (None, reason) when the clock-change hour makes it ambiguous or non-existent."""
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ParseError(f"unknown time zone {tz!r}; give the athlete an IANA zone") from None
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC), None
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return None, (AMBIGUOUS_LOCAL if back == naive else NONEXISTENT_LOCAL)


def unplaceable(n: int, reason: str, start: datetime, tz: str | None) -> tuple[dict, list]:
    """`dropped`/`problems` for a recording whose start cannot be placed in UTC."""
    what = ("falls in the hour the clocks repeated" if reason == AMBIGUOUS_LOCAL
            else "falls in the hour skipped when the clocks went forward")
    return {reason: n}, [f"{n} beats skipped: the recording's start {start:%Y-%m-%d %H:%M:%S} "
                         f"{what} in {tz or 'UTC'}, so its instant is unknown"]


def beats_frame(start_utc: datetime, rr_ms: list[float]) -> pl.DataFrame:
    """Canonical `rr_intervals`: beat k at `start_utc` + the sum of intervals 0..k."""
    rr = pl.Series("rr_ms", rr_ms, dtype=pl.Float64)
    ends_us = (rr.fill_null(0.0).cum_sum() * 1000).round().cast(pl.Int64)
    ts = pl.lit(start_utc, pl.Datetime("us", "UTC")) + pl.duration(microseconds=pl.col("_end_us"))
    frame = pl.DataFrame({"rr_ms": rr, "_end_us": ends_us})
    out = frame.select(ts.alias("ts"), "rr_ms").filter(pl.col("rr_ms").is_not_null())
    return conform(out, "rr_intervals")


def truncation_problem(rr_ms: list[float], length_s: float | None, what: str) -> str | None:
    """A problem line when the beats cover clearly less than the recording's stated length."""
    if not length_s or length_s <= 0:
        return None
    covered_s = sum(v for v in rr_ms if v is not None) / 1000
    missing_s = length_s - covered_s
    if missing_s <= max(TRUNCATION_SLACK.total_seconds(), TRUNCATION_SHARE * length_s):
        return None
    return (f"{what} says the recording lasted {_hms(length_s)} but its beats cover only "
            f"{_hms(covered_s)}: the file was cut short (an interrupted copy or transfer?); "
            f"the beats it holds are loaded, copy the file again from the device software "
            f"for the rest")


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
