"""The vendor study's `beat_to_beat` profile: an Oura ring for sleep (stages, HR, its own
HRV) plus a chest strap's beat-to-beat recordings, in turn a Polar `.hrm`, a Suunto `.sml`
and a Suunto app `samples.json` (docs/sources/polar_hrm.md, docs/sources/suunto.md).

On every `RR_EVERY`-th night (index % RR_EVERY == 0) the strap records from the start of
the main sleep for `PPI_HOURS` (>= 25 % of any main period, the coverage rule): intervals
alternating m + h/2, m - h/2 (h = the night's RMSSD), so every 5-minute RMSSD is h and the
night's `hrv_ms` comes from the beats (`rr_rmssd_5min`, which outranks the ring's values).
One missed beat per recording (`beat_plan.MISSED_BEAT_MS`) is dropped and counted
(`rr_out_of_range`); its time still passes. A 5-minute morning test after getting up lies
outside the sleep period and must not change the night.
"""

from __future__ import annotations

import random
from datetime import datetime

from sample_data.vendors.beats.plan import MISSED_BEAT_MS, MORNING_EXTRA_MS, Recording
from sample_data.vendors.common import HOUR, MINUTE, PPI_HOURS, Expect, Night, Out, StudyAthlete
from sample_data.vendors.oura import oura
from sample_data.vendors.polar_hrm import hrm_text
from sample_data.vendors.suunto import SERIAL, app_json, sml_text

RR_EVERY = 3
#: beat index of the missed beat in each night recording
MISSED_AT = 300
#: the morning test starts this long after getting up
MORNING_AFTER_S = 20 * MINUTE


def _alternating(mean: int, h: int, seconds: int) -> list[int]:
    out, total = [], 0
    while total < seconds * 1000:
        out.append(mean + (h // 2 if len(out) % 2 == 0 else -(h // 2)))
        total += out[-1]
    return out


def recordings(a: StudyAthlete, n: Night) -> tuple[Recording, Recording]:
    """(night recording from the main sleep's start, morning test after getting up)."""
    mean = round(60000 / (n.resting_hr + 4))
    rr = _alternating(mean, n.hrv_ms, PPI_HOURS * HOUR)
    rr[MISSED_AT] = MISSED_BEAT_MS
    night = Recording(datetime.fromtimestamp(n.main_start, a.tz), rr)
    morning = Recording(datetime.fromtimestamp(n.out_of_bed + MORNING_AFTER_S, a.tz),
                        _alternating(mean - 100, n.hrv_ms + MORNING_EXTRA_MS, 5 * MINUTE))
    return night, morning


def beat_to_beat(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """Oura export + every RR_EVERY-th night a beat-to-beat recording and a morning test."""
    oura(a, ex, out, rng)
    recorded = [n for n in a.nights if n.index % RR_EVERY == 0]
    for k, n in enumerate(recorded):
        for rec in recordings(a, n):
            stamp = f"{rec.start:%Y-%m-%dT%H_%M_%S}"
            match k % 3:
                case 0:
                    fmt = "polar_hrm"
                    out.file(a, f"protrainer/{rec.start:%y%m%d%H%M}.hrm",
                             hrm_text(rec).encode("ascii"), fmt)
                case 1:
                    fmt = "suunto_sml"
                    out.file(a, f"suuntolink/log-{SERIAL}-{stamp}-0.sml",
                             sml_text(rec).encode(), fmt)
                case _:
                    fmt = "suunto_json"
                    out.file(a, f"suunto_app/entry_{int(rec.start.timestamp())}/samples.json",
                             app_json(rec).encode(), fmt)
        ex.add(n.night, "rr_rmssd_5min", n.hrv_ms, fmt)
