"""Polar Flow's export JSON (docs/sources/polar.md): sleep results with hypnograms, PPI
(beat-to-beat) on some nights, training sessions.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sample_data.vendors.common import (
    HOUR,
    PPI_EVERY,
    PPI_HOURS,
    Expect,
    Night,
    Out,
    StudyAthlete,
    chunks,
    iso,
    iso_duration,
    json_bytes,
    local_time,
    naive,
    offset_s,
    stage_seconds,
)


def polar(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """Polar Flow export JSON: sleep results (hypnogram), PPI on some nights, sessions."""
    tz, nights = a.tz, a.by_date()
    states = {
        "deep": ["NONREM3"],
        "rem": ["REM"],
        "awake": ["WAKE"],
        "light": ["NONREM2", "NONREM1"],
    }
    for first, last in chunks(a.start, a.days, 30):
        records = []
        for i in range((last - first).days + 1):
            n = nights.get(first + timedelta(days=i))
            if n is None:
                continue
            st = stage_seconds(n)
            changes = [
                {
                    "offsetFromStart": iso_duration(s - n.bedtime),
                    "state": states[stage][k % len(states[stage])],
                }
                for k, (stage, s, _) in enumerate(n.runs)
            ]
            records.append({
                "night": n.night.isoformat(),
                "evaluation": {
                    "sleepType": "SLEEP_PLUS_STAGES",
                    "sleepSpan": iso_duration(n.out_of_bed - n.bedtime),
                    "asleepDuration": iso_duration(n.asleep_s), "age": 2026 - a.birth_year,
                    "analysis": {"efficiencyPercent": round(100 * n.asleep_s / (n.out_of_bed -
                                                            n.bedtime), 2)},
                    "interruptions": {"totalDuration": iso_duration(st["awake"]),
                                      "totalCount": sum(1 for r in n.runs if r[0] == "awake")},
                    "phaseDurations": {"wake": iso_duration(st["awake"]),
                                       "rem": iso_duration(st["rem"]),
                                       "light": iso_duration(st["light"]),
                                       "deep": iso_duration(st["deep"]), "unknown": "PT0S"},
                },
                "sleepResult": {"hypnogram": {
                    "sleepStart": iso(n.bedtime, tz, ms=False),
                    "sleepEnd": iso(n.out_of_bed, tz, ms=False), "sleepStartOffset": 0,
                    "sleepEndOffset": 0, "rating": "SLEPT_WELL", "sleepStateChanges": changes,
                }},
            })  # fmt: skip
            ex.add(n.night, "stages", n.sleep_hours, "polar_sleep_json")
        out.file(a, f"polar/sleep_result_{first}.json", json_bytes(records), "polar_sleep_json")
    for n in a.nights:
        if n.index % PPI_EVERY == 1:
            out.file(a, f"polar/ppi_samples_{n.night}.json", _ppi(a, n, rng), "polar_ppi_json")
            ex.add(n.night, "rr_rmssd_5min", n.hrv_ms, "polar_ppi_json")
    sports = {"run": "RUNNING", "ride": "CYCLING", "strength": "STRENGTH_TRAINING"}
    for k, w in enumerate(a.workouts):
        start = naive(w.start, tz, "%Y-%m-%dT%H:%M:%S") + ".000"
        stop = naive(w.start + w.duration_s, tz, "%Y-%m-%dT%H:%M:%S") + ".000"
        offset_min = offset_s(w.start, tz) // 60
        session = {
            "exportVersion": "1.6", "name": sports[w.kind].title(), "startTime": start,
            "stopTime": stop, "timeZoneOffset": offset_min,
            **({"distance": w.distance_m} if w.distance_m else {}),
            "duration": f"PT{w.duration_s}.000S", "maximumHeartRate": w.max_hr,
            "averageHeartRate": w.avg_hr, "kiloCalories": w.duration_s // 6,
            "exercises": [{"startTime": start, "stopTime": stop, "timezoneOffset": offset_min,
                           "duration": f"PT{w.duration_s}.000S", "sport": sports[w.kind],
                           "heartRate": {"min": w.avg_hr - 35, "avg": w.avg_hr,
                                         "max": w.max_hr}}],
        }  # fmt: skip
        day = local_time(w.start, tz).date()
        out.file(
            a,
            f"polar/training-session-{day}-{k:04d}.json",
            json_bytes(session, 2),
            "polar_training_session_json",
        )


def _ppi(a: StudyAthlete, n: Night, rng: random.Random) -> bytes:
    """Beat-to-beat intervals: a restless lead-in (some blocked by motion), then from the start
    of the main sleep for PPI_HOURS alternating m+h/2, m-h/2: every successive difference is
    +-h, so every 5-minute RMSSD is exactly the night's HRV h."""
    tz = a.tz
    mean = round(60000 / (n.resting_hr + 4))
    half = n.hrv_ms // 2
    samples: list[tuple[int, int, bool]] = []  # (ms since epoch, interval ms, blocked)
    t = n.bedtime * 1000
    while t < n.main_start * 1000 - 2000:
        rr = mean - 150 + rng.randint(-60, 60)
        t += rr
        samples.append((t, rr, rng.random() < 0.1))
    t = n.main_start * 1000
    end = (n.main_start + PPI_HOURS * HOUR) * 1000
    k = 0
    while t < end:
        rr = mean + (half if k % 2 == 0 else -half)
        t += rr
        samples.append((t, rr, False))
        k += 1
    by_day: dict[str, list[dict]] = {}
    for ms, rr, blocked in samples:
        local = datetime.fromtimestamp(ms / 1000, tz)
        by_day.setdefault(local.date().isoformat(), []).append({
            "sampleDateTime": local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}",
            "pulseLength": rr, "errorEstimate": rng.randint(5, 15), "blocker": blocked,
            "skinContact": True,
        })  # fmt: skip
    doc = [
        {"date": d, "devicePpiSamplesList": [{"deviceId": f"{a.uid:08X}"[-8:], "ppiSamples": s}]}
        for d, s in sorted(by_day.items())
    ]
    return json_bytes(doc)
