"""Sample series with exactly known summaries: HRV values, RR intervals, activity HR.

Kept apart from the file writers so FIT and GPX share them and tests can check the
arithmetic without decoding files.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from sample_data.plan import ASLEEP, ActivityPlan, NightPlan

#: Length of one device HRV value's window, s (Garmin: 5-minute RMSSD).
HRV_WINDOW_S = 300
#: Deviations (ms) of paired five-minute HRV values from the night's mean: pair k gets
#: (-d, +d) with d = HRV_PAIR_DEVIATIONS[k % len], so every pair averages to the mean.
HRV_PAIR_DEVIATIONS = (3, 5, 2, 6, 4)
#: Mean RR during sleep = 60000 / (resting HR + this), ms: the heart beats a little faster
#: on average than at its lowest 30 minutes.
RR_HR_ABOVE_RESTING = 4
#: Running/cycling speeds, m/s, by session kind (strength: no distance).
SPEED_MPS = {"easy": 3.0, "long": 3.1, "intervals": 3.4, "ride": 7.5, "strength": 0.0}
#: Loop the GPX tracks follow: centre (deg) and length (m).
LOOP_CENTRE = (52.3580, 4.8686)  # Vondelpark, Amsterdam
LOOP_M = 5000.0


def _stage_at(night: NightPlan, t: int) -> str:
    return next((r.stage for r in night.runs if r.start <= t < r.end), "awake")


def hrv_five_minute_values(night: NightPlan) -> list[tuple[int, int]]:
    """(timestamp, ms) of five-minute RMSSD values whose mean is exactly `night.hrv_ms`.

    One value per whole 5-minute window of each sleep period, stamped at the window's middle
    (never on a period boundary). Values in asleep windows come in (-d, +d) pairs; a value in
    an awake gap, or a last unpaired one, is the mean itself. So the mean is exact whether a
    consumer keeps all values of the main period or only the asleep ones, and the broken-off
    period of a broken night has the same mean.
    """
    out: list[tuple[int, int]] = []
    for start, end in night.sleep_periods():
        mids = [
            start + HRV_WINDOW_S * k + HRV_WINDOW_S // 2
            for k in range((end - start) // HRV_WINDOW_S)
        ]
        asleep = [t for t in mids if _stage_at(night, t) in ASLEEP]
        dev = dict.fromkeys(mids, 0)
        for k in range(len(asleep) // 2):
            d = HRV_PAIR_DEVIATIONS[k % len(HRV_PAIR_DEVIATIONS)]
            dev[asleep[2 * k]], dev[asleep[2 * k + 1]] = -d, d
        out += [(t, night.hrv_ms + dev[t]) for t in mids]
    return out


def rr_intervals(night: NightPlan, per_message: int) -> Iterator[tuple[int, list[int]]]:
    """(ms of the chunk's first beat, RR intervals in ms) through each sleep period.

    Intervals alternate mean + a, mean - a with a = hrv_ms / 2: every successive difference
    is +-hrv_ms, so the RMSSD of any window with two or more intervals is exactly hrv_ms.
    Neighbouring intervals differ by < 10 %, far from any artifact filter's 20 %. The last
    interval ends inside the period. A chunk's time is the beat that starts its first interval.
    """
    if night.hrv_ms % 2:
        raise ValueError("RR nights need an even RMSSD")
    a = night.hrv_ms // 2
    mean = round(60_000 / (night.resting_hr + RR_HR_ABOVE_RESTING))
    assert 2 * a < 0.2 * (mean - a), "successive differences must stay under 20 %"
    k = 0
    for start, end in night.sleep_periods():
        t, stop = start * 1000, end * 1000
        chunk: list[int] = []
        chunk_start = t
        while True:
            rr = mean + a if k % 2 == 0 else mean - a
            if t + rr > stop:
                break
            if not chunk:
                chunk_start = t
            chunk.append(rr)
            t += rr
            k += 1
            if len(chunk) == per_message:
                yield chunk_start, chunk
                chunk = []
        if chunk:
            yield chunk_start, chunk


def _target_hr(kind: str, s: int, duration_s: int) -> float:
    """Intended HR s seconds into a session: warm-up, kind-specific main part, cool-down."""
    if kind == "strength":
        base = 118.0 if (s // 60) % 3 < 2 else 100.0
    elif kind == "intervals":
        base = 138.0 if s < 720 or s > duration_s - 600 else (168.0 if (s // 60) % 5 < 3 else 132.0)
    elif kind == "long":
        base = 140.0 + 10.0 * s / duration_s
    elif kind == "ride":
        base = 130.0
    else:
        base = 143.0
    warm = min(1.0, s / 480)
    cool = min(1.0, (duration_s - s) / 240)
    return 95.0 + (base - 95.0) * warm * cool


def _speed(kind: str, s: int, duration_s: int) -> float:
    speed = SPEED_MPS[kind]
    if kind == "intervals" and 720 <= s <= duration_s - 600:
        speed = 4.3 if (s // 60) % 5 < 3 else 2.6
    return speed


def activity_samples(
    act: ActivityPlan, step_s: int, rng: random.Random
) -> list[tuple[int, int, float]]:
    """(timestamp, bpm, cumulative distance m rounded to cm) every `step_s`, end included."""
    out = []
    dist = 0.0
    for s in range(0, act.duration_s + 1, step_s):
        if s:
            dist += _speed(act.kind, s, act.duration_s) * step_s * (1 + rng.uniform(-0.05, 0.05))
        bpm = round(_target_hr(act.kind, s, act.duration_s) + rng.uniform(-3, 3))
        out.append((act.start + s, bpm, round(dist, 2)))
    return out


def loop_position(dist_m: float) -> tuple[float, float]:
    """Latitude, longitude (deg, 6 decimals) after `dist_m` metres around the loop."""
    angle = 2 * math.pi * dist_m / LOOP_M
    radius_m = LOOP_M / (2 * math.pi)
    lat = LOOP_CENTRE[0] + radius_m * math.sin(angle) / 111_320
    lon = LOOP_CENTRE[1] + radius_m * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
    return round(lat, 6), round(lon, 6)
