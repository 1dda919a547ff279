"""Beat-to-beat recordings planted from the shared nightly plan (`sample_data.export_plan`),
for the Polar `.hrm` and Suunto writers: what the chest strap recorded, and what herstel
must make of it.

Per night: a recording from bedtime to wake-up of intervals alternating `BASE_RR_MS` + h/2
and `BASE_RR_MS` - h/2, h = the night's planned RMSSD, so every successive difference is h
and every 5-minute window's RMSSD, hence the night's `hrv_ms`, is exactly h. Two artifacts
per night (a missed beat of `MISSED_BEAT_MS`, an extra beat of `EXTRA_BEAT_MS`) lie outside
the range herstel keeps (250-2500 ms): they are dropped and counted (`rr_out_of_range`),
their time still passes. A 5-minute morning test after wake-up, with a larger difference
(`MORNING_EXTRA_MS`), lies outside the sleep period: by docs/metrics.md it must not change
the night's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sample_data.export_plan import PlannedNight

BASE_RR_MS = 1000
MISSED_BEAT_MS = 2800
#: a double-counted T wave; shorter than 200 ms would be bridged by the metrics' neighbour
#: rule (metrics/hrv.py `RR_CONTIGUITY_MS`), see docs/sources/polar_hrm.md
EXTRA_BEAT_MS = 240
#: beat indexes (in the night recording) replaced by the two artifacts
ARTIFACT_AT = {600: MISSED_BEAT_MS, 9000: EXTRA_BEAT_MS}
ARTIFACTS_PER_NIGHT = len(ARTIFACT_AT)
MORNING_TEST_AT = time(7, 45)
MORNING_TEST_MIN = 5
MORNING_EXTRA_MS = 30


@dataclass(frozen=True)
class Recording:
    """One beat-to-beat recording: its local aware start and its intervals in ms."""

    start: datetime
    rr_ms: list[int]

    @property
    def length_s(self) -> float:
        return sum(self.rr_ms) / 1000


def _alternating(h: int, duration: timedelta) -> list[int]:
    out, total = [], 0
    while total < duration.total_seconds() * 1000:
        rr = BASE_RR_MS + (h // 2 if len(out) % 2 else -(h // 2))
        out.append(rr)
        total += rr
    return out


def night_recording(p: PlannedNight) -> Recording:
    """Bed to wake-up, with the night's artifacts (RMSSD = the planned `hrv_ms`)."""
    assert p.hrv_ms == int(p.hrv_ms) and int(p.hrv_ms) % 2 == 0, "h/2 must be whole ms"
    # in absolute time: on a clock-change night the wall clock repeats or skips an hour
    rr = _alternating(int(p.hrv_ms), p.wake.astimezone(UTC) - p.bed.astimezone(UTC))
    for at, value in ARTIFACT_AT.items():
        rr[at] = value
    return Recording(p.bed, rr)


def morning_test(p: PlannedNight) -> Recording:
    """A 5-minute lying test after wake-up (not part of the night)."""
    start = datetime.combine(p.night, MORNING_TEST_AT, p.bed.tzinfo)
    return Recording(start, _alternating(int(p.hrv_ms) + MORNING_EXTRA_MS,
                                         timedelta(minutes=MORNING_TEST_MIN)))
