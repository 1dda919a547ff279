"""The training load of a plan: a Banister TRIMP per planned session, integrated over the
heart-rate samples its activity file holds, and the load per local day.

A quantity read off the plan (like `plan.planned_sitting_hours`), kept apart from the rules
in `sample_data.expected` that judge it (heavy weeks, strength increases). herstel computes
its own TRIMP from the files it reads (docs/metrics.md, "TRIMP per activity"); this one is
independent of it.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from sample_data.fit_files import RECORD_EVERY_S
from sample_data.gpx_files import GPX_STEP_S
from sample_data.plan import AthletePlan, file_rng
from sample_data.signals import activity_samples

#: Banister TRIMP (one method for every session): k per sex, weighting factor, longest
#: time one heart-rate sample stands for.
BANISTER_K = {"M": 1.92, "F": 1.67}
BANISTER_A = 0.64
SAMPLE_MAX_GAP_S = 30


def _hr_rest(plan: AthletePlan, day: date) -> float:
    """HRrest of a session: the planted resting HR of the latest night on or before its
    local day (herstel reads the same value from nightly_metrics)."""
    nights = [n for n in plan.nights if n.night <= day]
    return float(max(nights, key=lambda n: n.night).resting_hr) if nights else 60.0


def session_trimp(plan: AthletePlan, index: int) -> float:
    """Banister TRIMP of one session integrated over its planned heart-rate samples."""
    act = plan.activities[index]
    step = GPX_STEP_S if plan.spec.activity_format == "gpx" else RECORD_EVERY_S
    samples = activity_samples(act, step, file_rng(plan, 2, index))
    end = act.start + act.duration_s
    rest, top = _hr_rest(plan, act.local_start.date()), float(plan.spec.hr_max)
    k = BANISTER_K[plan.spec.sex]
    total = 0.0
    for i, (t, bpm, _dist) in enumerate(samples):
        nxt = samples[i + 1][0] if i + 1 < len(samples) else end
        hrr = min(max((bpm - rest) / (top - rest), 0.0), 1.0)
        total += min(nxt - t, SAMPLE_MAX_GAP_S) / 60 * hrr * BANISTER_A * math.exp(k * hrr)
    return total


def daily_loads(plan: AthletePlan) -> tuple[dict[date, float], dict[date, float]]:
    """(all TRIMP, strength TRIMP) per local day of every study day (0 without sessions)."""
    days = [plan.start + timedelta(days=i) for i in range(plan.days)]
    load = dict.fromkeys(days, 0.0)
    strength = dict.fromkeys(days, 0.0)
    for i, act in enumerate(plan.activities):
        day = act.local_start.date()
        trimp = session_trimp(plan, i)
        load[day] += trimp
        if act.sub_sport == "strength_training":
            strength[day] += trimp
    return load, strength
