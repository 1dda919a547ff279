"""Fitbit's Google Takeout files (docs/sources/fitbit.md): sleep-*.json,
resting_heart_rate-*.json and the daily HRV summary CSV, one file per 30 days.
"""

from __future__ import annotations

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from sample_data.vendors.common import (
    HOUR,
    MINUTE,
    Expect,
    Night,
    Out,
    StudyAthlete,
    chunks,
    csv_text,
    json_bytes,
    naive,
    stage_seconds,
)


def _fitbit_time(ts: int, tz: ZoneInfo) -> str:
    return naive(ts, tz, "%Y-%m-%dT%H:%M:%S") + ".000"


def _fitbit_log(a: StudyAthlete, n: Night, rng: random.Random) -> tuple[dict, int]:
    """The main-sleep log of a night and the seconds of its short wake bouts (`shortData`)."""
    tz = a.tz
    level = {"awake": "wake", "light": "light", "deep": "deep", "rem": "rem"}
    data = [
        {"dateTime": _fitbit_time(s, tz), "level": level[st], "seconds": e - s}
        for st, s, e in n.runs
    ]
    # wake bouts under 3 min, reported apart: 30 s in the first two long light runs
    lights = [s for st, s, e in n.runs if st == "light" and e - s >= 15 * MINUTE][:2]
    short = [
        {"dateTime": _fitbit_time(s + 5 * MINUTE, tz), "level": "wake", "seconds": 30}
        for s in lights
    ]
    short_s = 30 * len(short)
    st = stage_seconds(n)
    summary = {
        "deep": {"count": 3, "minutes": st["deep"] // 60, "thirtyDayAvgMinutes": 80},
        "wake": {"count": 4, "minutes": (st["awake"] + short_s) // 60, "thirtyDayAvgMinutes": 50},
        "light": {
            "count": 20,
            "minutes": (st["light"] - short_s) // 60,
            "thirtyDayAvgMinutes": 230,
        },
        "rem": {"count": 5, "minutes": st["rem"] // 60, "thirtyDayAvgMinutes": 90},
    }
    log = {
        "logId": 40_000_000_000 + a.index * 100_000 + n.index * 10,
        "dateOfSleep": n.night.isoformat(), "startTime": _fitbit_time(n.bedtime, tz),
        "endTime": _fitbit_time(n.out_of_bed, tz), "duration": (n.out_of_bed - n.bedtime) * 1000,
        "minutesToFallAsleep": (n.main_start - n.bedtime) // 60,
        "minutesAsleep": (n.asleep_s - short_s) // 60,
        "minutesAwake": (st["awake"] + short_s) // 60, "minutesAfterWakeup": 0,
        "timeInBed": (n.out_of_bed - n.bedtime) // 60, "efficiency": rng.randint(85, 97),
        "type": "stages", "infoCode": 0, "logType": "auto_detected",
        "levels": {"summary": summary, "data": data, "shortData": short}, "mainSleep": True,
    }  # fmt: skip
    return log, short_s


def _fitbit_nap(a: StudyAthlete, n: Night) -> dict:
    tz = a.tz
    start, end = n.nap[0][1], n.nap[-1][2]
    return {
        "logId": 40_000_000_000 + a.index * 100_000 + n.index * 10 + 1,
        "dateOfSleep": n.night.isoformat(), "startTime": _fitbit_time(start, tz),
        "endTime": _fitbit_time(end, tz), "duration": (end - start) * 1000,
        "minutesAsleep": (end - start) // 60 - 1, "minutesAwake": 1, "type": "classic",
        "levels": {"summary": {"restless": {"count": 1, "minutes": 1},
                               "awake": {"count": 0, "minutes": 0},
                               "asleep": {"count": 0, "minutes": (end - start) // 60 - 1}},
                   "data": [{"dateTime": _fitbit_time(start, tz), "level": "restless",
                             "seconds": 60},
                            {"dateTime": _fitbit_time(start + 60, tz), "level": "asleep",
                             "seconds": end - start - 60}]},
        "mainSleep": False,
    }  # fmt: skip


def fitbit(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """Google Takeout Fitbit files, one file per 30 days as Takeout splits them."""
    nights = a.by_date()
    gdata = "Takeout/Fitbit/Global Export Data"
    hrv_dir = "Takeout/Fitbit/Heart Rate Variability"
    for first, last in chunks(a.start, a.days, 30):
        logs, resting, hrv_rows = [], [], []
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            n = nights.get(day)
            stamp = day.strftime("%m/%d/%y")
            if n is None:
                resting.append(
                    {
                        "dateTime": f"{stamp} 00:00:00",
                        "value": {"date": stamp, "value": 0.0, "error": 0.0},
                    }
                )
                continue
            log, short_s = _fitbit_log(a, n, rng)
            logs.append(log)
            if n.nap:
                logs.append(_fitbit_nap(a, n))
            # short wake bouts are carved out of the stage runs: asleep = minutesAsleep
            ex.add(day, "stages", (n.asleep_s - short_s) / HOUR, "fitbit_sleep_json")
            ex.add(day, "dev_sleep_hours", log["minutesAsleep"] / 60, "fitbit_sleep_json")
            no_estimate = n.index % 19 == 4
            bpm = 0.0 if no_estimate else n.resting_hr + rng.uniform(-0.5, 0.5)
            resting.append(
                {
                    "dateTime": f"{stamp} 00:00:00",
                    "value": {
                        "date": stamp,
                        "value": bpm,
                        "error": 0.0 if no_estimate else rng.uniform(3, 9),
                    },
                }
            )
            if not no_estimate:
                ex.add(day, "dev_resting_hr", bpm, "fitbit_resting_hr_json")
            rmssd = round(n.hrv_ms + rng.uniform(-2, 2), 3)
            hrv_rows.append(
                [
                    f"{day}T00:00:00",
                    f"{rmssd:.3f}",
                    f"{n.resting_hr + 1.5:.3f}",
                    f"{rng.uniform(2.2, 2.6):.3f}",
                ]
            )
            ex.add(day, "dev_hrv_rmssd_ms", float(f"{rmssd:.3f}"), "fitbit_hrv_summary_csv")
        logs.reverse()  # Fitbit lists the newest log first
        out.file(
            a,
            f"{gdata}/sleep-{first}.json",
            json_bytes(logs, 2).replace(b'": ', b'" : '),
            "fitbit_sleep_json",
        )
        out.file(
            a,
            f"{gdata}/resting_heart_rate-{first}.json",
            json_bytes(resting),
            "fitbit_resting_hr_json",
        )
        name = f"Daily Heart Rate Variability Summary - {first:%Y-%m}-({first:%d}).csv"
        out.file(
            a,
            f"{hrv_dir}/{name}",
            csv_text(("timestamp", "rmssd", "nremhr", "entropy"), hrv_rows).encode(),
            "fitbit_hrv_summary_csv",
        )
