"""WHOOP's export CSVs (docs/sources/whoop.md): physiological_cycles.csv, sleeps.csv (naps
included) and workouts.csv.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sample_data.plan import local_to_unix
from sample_data.vendors.common import (
    ASLEEP,
    HOUR,
    Expect,
    Out,
    StudyAthlete,
    csv_text,
    fmt_offset,
    local_time,
    naive,
    offset_s,
    stage_seconds,
)

#: Every WHOOP file starts with the physiological cycle it belongs to.
_CYCLE = ("Cycle start time", "Cycle end time", "Cycle timezone")
#: The sleep columns, which physiological_cycles.csv repeats (its cycle's main sleep) in
#: the order sleeps.csv has them.
_SLEEP = (
    "Sleep onset",
    "Wake onset",
    "Sleep performance %",
    "Respiratory rate (rpm)",
    "Asleep duration (min)",
    "In bed duration (min)",
    "Light sleep duration (min)",
    "Deep (SWS) duration (min)",
    "REM duration (min)",
    "Awake duration (min)",
    "Sleep need (min)",
    "Sleep debt (min)",
    "Sleep efficiency %",
    "Sleep consistency %",
)
#: Columns physiological_cycles.csv and workouts.csv share.
_EFFORT = ("Energy burned (cal)", "Max HR (bpm)", "Average HR (bpm)")

WHOOP_CYCLES = (
    *_CYCLE,
    "Recovery score %",
    "Resting heart rate (bpm)",
    "Heart rate variability (ms)",
    "Skin temp (celsius)",
    "Blood oxygen %",
    "Day Strain",
    *_EFFORT,
    *_SLEEP,
)

WHOOP_SLEEPS = (*_CYCLE, *_SLEEP, "Nap")

WHOOP_WORKOUTS = (
    *_CYCLE,
    "Workout start time",
    "Workout end time",
    "Duration (min)",
    "Activity name",
    "Activity Strain",
    *_EFFORT,
    "HR Zone 1 %",
    "HR Zone 2 %",
    "HR Zone 3 %",
    "HR Zone 4 %",
    "HR Zone 5 %",
    "GPS enabled",
    "Distance (meters)",
    "Altitude gain (meters)",
    "Altitude change (meters)",
)


def whoop(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """WHOOP's export CSVs: local wall times, the offset in `Cycle timezone`, newest first."""
    tz, nights = a.tz, a.by_date()

    def t(ts: int) -> str:
        return naive(ts, tz)

    def zone(ts: int) -> str:
        return "UTC" + fmt_offset(offset_s(ts, tz))

    # cycles: one per day, from the night's sleep onset to the next one's
    starts = []
    for i in range(a.days):
        day = a.start + timedelta(days=i)
        n = nights.get(day)
        starts.append(
            (day, n.bedtime if n else local_to_unix(day - timedelta(days=1), 22 * 60 + 30, tz))
        )
    in_progress = local_to_unix(a.start + timedelta(days=a.days - 1), 22 * 60 + 40, tz)
    cycles, sleeps, cycle_of = [], [], {}
    for k, (day, begin) in enumerate(starts):
        end = starts[k + 1][1] if k + 1 < len(starts) else in_progress
        cycle_of[day] = (begin, end)
        n = nights.get(day)
        strain = [
            f"{rng.uniform(4, 18):.1f}",
            str(rng.randint(1800, 3400)),
            str(rng.randint(150, 185)),
            str(rng.randint(62, 80)),
        ]
        if n is None:
            cycles.append([t(begin), t(end), zone(begin), "", "", "", "", "", *strain, *[""] * 14])
            continue
        st = stage_seconds(n, n.wake)
        mins = [
            n.asleep_s // 60,
            (n.wake - n.bedtime) // 60,
            st["light"] // 60,
            st["deep"] // 60,
            st["rem"] // 60,
            st["awake"] // 60,
        ]
        sleep_cols = [
            t(n.bedtime),
            t(n.wake),
            str(rng.randint(60, 99)),
            "14.6",
            *map(str, mins),
            "480",
            str(rng.randint(0, 90)),
            f"{100 * n.asleep_s / (n.wake - n.bedtime):.1f}",
            str(rng.randint(60, 95)),
        ]
        recovery = [
            str(rng.randint(20, 99)),
            str(n.resting_hr),
            str(n.hrv_ms),
            f"{rng.uniform(33, 35):.2f}",
            f"{rng.uniform(94, 99):.1f}",
        ]
        cycles.append([t(begin), t(end), zone(begin), *recovery, *strain, *sleep_cols])
        sleeps.append([t(begin), t(end), zone(begin), *sleep_cols, "false"])
        if n.nap:
            asleep = sum(e - s for st_, s, e in n.nap if st_ in ASLEEP) // 60
            sleeps.append(
                [
                    t(begin),
                    t(end),
                    zone(begin),
                    t(n.nap[0][1]),
                    t(n.nap[-1][2]),
                    "40",
                    "15.1",
                    str(asleep),
                    str(asleep + 2),
                    "25",
                    "20",
                    "0",
                    "2",
                    "0",
                    "0",
                    "95",
                    "0",
                    "true",
                ]
            )
        ex.add(day, "dev_sleep_hours", n.sleep_hours, "whoop_cycles")
        ex.add(day, "dev_sleep_hours", n.sleep_hours, "whoop_sleeps")
        ex.add(day, "dev_resting_hr", n.resting_hr, "whoop_cycles")
        ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "whoop_cycles")
    cycles.append(
        [
            t(in_progress),
            "",
            zone(in_progress),
            "",
            "",
            "",
            "",
            "",
            "4.2",
            "384",
            "143",
            "68",
            *[""] * 14,
        ]
    )
    names = {"run": "Running", "ride": "Cycling", "strength": "Weightlifting"}
    workouts = []
    for w in a.workouts:
        day = local_time(w.start, tz).date()  # the cycle that began with that date's night
        begin, end = cycle_of.get(day, (w.start - 8 * HOUR, w.start + 4 * HOUR))
        zones = [rng.randint(5, 30) for _ in range(5)]
        workouts.append(
            [
                t(begin),
                t(end),
                zone(begin),
                t(w.start),
                t(w.start + w.duration_s),
                str(w.duration_s // 60),
                names[w.kind],
                f"{rng.uniform(5, 17):.1f}",
                str(w.duration_s // 6),
                str(w.max_hr),
                str(w.avg_hr),
                *map(str, zones),
                "false" if w.kind == "strength" else "true",
                "" if w.distance_m is None else f"{w.distance_m:.0f}",
                "" if w.distance_m is None else str(rng.randint(0, 200)),
                "" if w.distance_m is None else str(rng.randint(-20, 20)),
            ]
        )
    out.file(
        a,
        "whoop/physiological_cycles.csv",
        ("\ufeff" + csv_text(WHOOP_CYCLES, reversed(cycles))).encode(),
        "whoop_cycles",
    )
    out.file(
        a, "whoop/sleeps.csv", csv_text(WHOOP_SLEEPS, reversed(sleeps)).encode(), "whoop_sleeps"
    )
    out.file(
        a,
        "whoop/workouts.csv",
        csv_text(WHOOP_WORKOUTS, reversed(workouts)).encode(),
        "whoop_workouts",
    )
