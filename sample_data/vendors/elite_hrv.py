"""Elite HRV's CSV export (docs/sources/elite_hrv.md): Morning Readiness readings and open
readings by day.
"""

from __future__ import annotations

import math
import random

from sample_data.plan import local_to_unix
from sample_data.vendors.common import Expect, StudyAthlete, csv_text, morning_readings, naive

ELITE_HEADER = (
    "Date Time Start",
    "Date Time End",
    "Reading Type",
    "Position",
    "Tags",
    "Notes",
    "HRV",
    "Morning Readiness",
    "HR",
    "HRV CV",
    "ln(RMSSD)",
    "RMSSD",
    "NN50",
    "PNN50",
    "SDNN",
    "Low Frequency Power",
    "High Frequency Power",
    "LF/HF Ratio",
    "Total Power",
)


def elite_hrv(a: StudyAthlete, ex: Expect, rng: random.Random) -> bytes:
    """Elite HRV readings: Morning Readiness each morning, some open readings by day; `HRV`
    is Elite's 0-100 score, never milliseconds."""
    tz = a.tz
    rows = []

    def reading(ts: int, kind: str, hr: int, rmssd: float, tags: str = "") -> list[str]:
        ln = math.log(rmssd)
        return [
            naive(ts, tz),
            naive(ts + 150, tz),
            kind,
            "Lying Down" if "Morning" in kind else "Sitting",
            tags,
            "",
            str(round(ln * 15.385)),
            str(rng.randint(3, 9)),
            str(hr),
            f"{rng.uniform(3, 7):.1f}",
            f"{ln:.2f}",
            f"{rmssd:.1f}",
            str(rng.randint(5, 60)),
            f"{rng.uniform(5, 40):.1f}",
            f"{rmssd * 0.9:.1f}",
            "900",
            "1500",
            "0.6",
            "2600",
        ]

    for k, r in enumerate(morning_readings(a, rng)):
        if r.failed:
            continue
        rows.append(
            reading(r.ts, "Morning Readiness", r.hr, r.rmssd, "sick, tired" if k % 17 == 3 else "")
        )
        ex.add(r.day, "dev_resting_hr", r.hr, "elite_hrv_csv")
        ex.add(r.day, "dev_hrv_rmssd_ms", r.rmssd, "elite_hrv_csv")
        if k % 6 == 2:  # an open reading at lunch: not the night's
            rows.append(
                reading(
                    local_to_unix(r.day, 12 * 60 + 30, tz),
                    "Open Reading",
                    r.hr + 20,
                    round(r.rmssd * 0.5, 1),
                )
            )
        if k % 10 == 7:  # a second morning reading a few minutes later: the first counts
            rows.append(reading(r.ts + 600, "Morning Readiness", r.hr + 3, round(r.rmssd * 0.9, 1)))
    return ("\ufeff" + csv_text(ELITE_HEADER, rows)).encode()
