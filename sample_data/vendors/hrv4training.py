"""HRV4Training's CSV export (docs/sources/hrv4training.md): one morning reading a day, in
US or European number format.
"""

from __future__ import annotations

import random

from sample_data.plan import local_to_unix
from sample_data.vendors.common import Expect, StudyAthlete, csv_text, morning_readings, naive

HRV4T_HEADER = (
    "date",
    "timestamp_measurement",
    "HR",
    "AVNN",
    "SDNN",
    "rMSSD",
    "pNN50",
    "LF",
    "HF",
    "HRV4T_Recovery_Points",
    "sleep_time",
    "sleep_quality",
    "mental_energy",
    "muscle_soreness",
    "fatigue",
    "training",
    "trainingRPE",
)


def hrv4training(a: StudyAthlete, ex: Expect, rng: random.Random, european: bool) -> bytes:
    """Morning readings; a failed one is `-`; some evenings a retake (never the night's)."""
    tz = a.tz
    rows = []
    for k, r in enumerate(morning_readings(a, rng)):
        avnn = round(60000 / r.hr, 1)
        values = ["-", "-"] if r.failed else [str(r.hr), f"{r.rmssd:.1f}"]
        row = [
            r.day.isoformat(),
            naive(r.ts, tz),
            values[0],
            f"{avnn:.1f}",
            f"{r.rmssd * 0.8:.1f}",
            values[1],
            f"{rng.uniform(10, 50):.1f}",
            f"{rng.uniform(500, 2000):.1f}",
            f"{rng.uniform(500, 2000):.1f}",
            f"{rng.uniform(5, 9):.1f}",
            f"{rng.uniform(6, 9):.1f}",
            str(rng.randint(3, 9)),
            str(rng.randint(3, 9)),
            str(rng.randint(1, 6)),
            str(rng.randint(1, 6)),
            rng.choice(("Run", "Bike", "Rest", "Strength")),
            str(rng.randint(1, 9)),
        ]
        if k % 13 == 5:
            row = row[:6]  # ragged: the app left the trailing cells out
        rows.append(row)
        if not r.failed:
            ex.add(r.day, "dev_resting_hr", r.hr, "hrv4training_csv")
            ex.add(r.day, "dev_hrv_rmssd_ms", r.rmssd, "hrv4training_csv")
            if k % 9 == 4:  # an evening retake: later that day, never the morning value
                retake = local_to_unix(r.day, 18 * 60 + 30, tz)
                rows.append(
                    [
                        r.day.isoformat(),
                        naive(retake, tz),
                        str(r.hr + 12),
                        f"{avnn - 150:.1f}",
                        "40.0",
                        f"{r.rmssd * 0.6:.1f}",
                        "12.0",
                        "800.0",
                        "600.0",
                        "6.0",
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                    ]
                )
    if not european:
        return csv_text(HRV4T_HEADER, rows).encode()
    # a European phone: BOM, `;`, decimal commas, no timestamp column, CRLF
    keep = [0, 2, 3, 4, 5, 6, 7, 8, 9]
    eu = [[row[i].replace(".", ",") if i else row[i] for i in keep if i < len(row)] for row in rows]
    return ("\ufeff" + csv_text([HRV4T_HEADER[i] for i in keep], eu, ";", "\r\n")).encode()
