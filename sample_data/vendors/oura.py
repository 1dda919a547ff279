"""Oura exports (docs/sources/oura.md): the membership-hub files (sleepmodel.csv with JSON
series in cells, dailysleep.csv, dailyreadiness.csv) and the older cloud trends CSV.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sample_data.vendors.common import (
    ASLEEP,
    HOUR,
    STEP_S,
    Expect,
    Out,
    StudyAthlete,
    csv_text,
    fmt_offset,
    hrv_series,
    iso,
    offset_s,
    sleep_hr_series,
    stage_seconds,
)

OURA_SLEEPMODEL = (
    "id",
    "average_breath",
    "average_heart_rate",
    "average_hrv",
    "awake_time",
    "bedtime_end",
    "bedtime_start",
    "day",
    "deep_sleep_duration",
    "efficiency",
    "heart_rate",
    "hrv",
    "latency",
    "light_sleep_duration",
    "low_battery_alert",
    "lowest_heart_rate",
    "movement_30_sec",
    "period",
    "readiness",
    "readiness_score_delta",
    "rem_sleep_duration",
    "restless_periods",
    "sleep_phase_5_min",
    "sleep_score_delta",
    "sleep_algorithm_version",
    "time_in_bed",
    "total_sleep_duration",
    "type",
)

PHASE_DIGIT = {"deep": "1", "light": "2", "rem": "3", "awake": "4"}


def _series_cell(start: int, values: list[float | None], tz: ZoneInfo) -> str:
    items = ", ".join("null" if v is None else f"{float(v):.1f}" for v in values)
    return f'{{"interval": 300.0, "items": [{items}], "timestamp": "{iso(start, tz)}"}}'


def _oura_period(
    a: StudyAthlete,
    runs: tuple[tuple[str, int, int], ...],
    hr: list[int | None],
    hrv: list[float | None],
    kind: str,
    period: int,
    night: date,
    rid: str,
    rng: random.Random,
    quoted: bool,
) -> str:
    tz = a.tz
    start, end = runs[0][1], runs[-1][2]
    secs = {
        s: sum(e - b for st, b, e in runs if st == s) for s in ("deep", "light", "rem", "awake")
    }
    phases = "".join(PHASE_DIGIT[st] * ((e - s) // STEP_S) for st, s, e in runs)
    hr_cell, hrv_cell = _series_cell(start, hr, tz), _series_cell(start, hrv, tz)
    if quoted:  # some rows have their JSON cells CSV-quoted with doubled quotes
        hr_cell, hrv_cell = ('"' + c.replace('"', '""') + '"' for c in (hr_cell, hrv_cell))
    known_hr = [v for v in hr if v is not None]
    known_hrv = [v for v in hrv if v is not None]
    lead_in = next(s for st, s, _ in runs if st in ASLEEP) - start
    asleep = secs["deep"] + secs["light"] + secs["rem"]
    cells = [
        rid, f"{rng.uniform(13, 16):.2f}".replace(".", ","),
        f"{sum(known_hr) / len(known_hr):.3f}".replace(".", ","),
        str(round(sum(known_hrv) / len(known_hrv))) if kind != "long_sleep" else "",
        str(secs["awake"]), iso(end, tz), iso(start, tz), night.isoformat(), str(secs["deep"]),
        str(round(100 * asleep / (end - start))), hr_cell, hrv_cell, str(lead_in),
        str(secs["light"]), "false", str(min(known_hr)), "1" * ((end - start) // 30 // 10),
        str(period), '{"contributors": {"hrv_balance": 80}}', "0", str(secs["rem"]),
        str(rng.randint(3, 20)), phases, "0", "v2", str(end - start), str(asleep), kind,
    ]  # fmt: skip
    return ";".join(cells)


def oura(
    a: StudyAthlete, ex: Expect, out: Out, rng: random.Random, plant_unknown_csv: bool = False
) -> None:
    """Oura's membership-hub export: `;`-separated, JSON series in cells."""
    tz = a.tz
    rows, daily, readiness = [], [], []
    for n in a.nights:
        hr = sleep_hr_series(n, rng)
        hrv = hrv_series(n)
        hr_items: list[int | None] = [None] + [b for _, b in hr[1:]]  # Oura leaves the first null
        hrv_items = [v for _, v in hrv]
        row = _oura_period(
            a,
            n.runs,
            hr_items,
            hrv_items,
            "long_sleep",
            0,
            n.night,
            f"{a.uid:x}-{n.index:04d}",
            rng,
            quoted=False,
        )
        cells = row.split(";")
        cells[OURA_SLEEPMODEL.index("average_hrv")] = str(n.hrv_ms)
        rows.append(";".join(cells))
        lowest = min(b for b in hr_items if b is not None)
        assert lowest == n.resting_hr - 2
        if n.nap:
            nap_len = (n.nap[-1][2] - n.nap[0][1]) // STEP_S
            nap_hr = [None] + [n.resting_hr + 8 + rng.randint(0, 4) for _ in range(nap_len - 1)]
            nap_hrv = [float(n.hrv_ms - 6 + 2 * rng.randint(0, 3)) for _ in range(nap_len)]
            rows.append(
                _oura_period(
                    a,
                    n.nap,
                    nap_hr,
                    nap_hrv,
                    "late_nap",
                    1,
                    n.night,
                    f"{a.uid:x}-{n.index:04d}n",
                    rng,
                    quoted=True,
                )
            )
        if n.index % 11 == 3:  # a period the ring deleted (too short): zeros, not a night
            t0 = n.out_of_bed + 2 * HOUR
            rows.append(
                f"{a.uid:x}-{n.index:04d}d;0;0;0;0;{iso(t0 + 1800, tz)};{iso(t0, tz)};"
                f"{n.night};0;0;;;0;0;false;0;;2;;0;0;0;;0;v2;1800;0;deleted"
            )
        ex.add(n.night, "stages", n.sleep_hours, "oura_sleepmodel")
        ex.add(n.night, "sleep_hr_30min", n.resting_hr, "oura_sleepmodel")
        ex.add(n.night, "device_5min", n.hrv_ms, "oura_sleepmodel")
        ex.add(n.night, "dev_sleep_hours", n.sleep_hours, "oura_sleepmodel")
        ex.add(n.night, "dev_resting_hr", lowest, "oura_sleepmodel")
        ex.add(n.night, "dev_hrv_rmssd_ms", n.hrv_ms, "oura_sleepmodel")
        stamp = f"{n.night}T00:00:00.000{fmt_offset(offset_s(n.wake, tz))}"
        daily.append(
            f'{a.uid:x}s{n.index};{{"deep_sleep": {rng.randint(50, 99)}, "efficiency": '
            f'{rng.randint(70, 99)}, "total_sleep": {rng.randint(50, 99)}}};{n.night};'
            f"{rng.randint(55, 95)};{stamp}"
        )
        readiness.append(
            f'{a.uid:x}r{n.index};{{"hrv_balance": {rng.randint(40, 99)}, '
            f'"resting_heart_rate": {rng.randint(40, 99)}}};{n.night};'
            f"{rng.randint(50, 95)};{rng.uniform(-0.6, 0.6):.2f}".replace(".", ",")
            + f";{rng.uniform(-0.3, 0.3):.2f}".replace(".", ",")
            + f";{stamp}"
        )
    out.file(
        a,
        "oura/sleepmodel.csv",
        (";".join(OURA_SLEEPMODEL) + "\n" + "\n".join(rows) + "\n").encode(),
        "oura_sleepmodel",
    )
    out.file(
        a,
        "oura/dailysleep.csv",
        ("id;contributors;day;score;timestamp\n" + "\n".join(daily) + "\n").encode(),
        "oura_dailysleep",
    )
    out.file(
        a,
        "oura/dailyreadiness.csv",
        (
            "id;contributors;day;score;temperature_deviation;temperature_trend_deviation;"
            "timestamp\n" + "\n".join(readiness) + "\n"
        ).encode(),
        "oura_readiness",
    )
    if plant_unknown_csv:  # a file of the export herstel does not read
        activity = [
            f"{a.uid:x}a{i};{rng.randint(200, 900)};{{}};{a.start + timedelta(days=i)};"
            f"{rng.randint(2000, 12000)};{rng.randint(50, 99)};{rng.randint(2000, 16000)}"
            for i in range(a.days)
        ]
        out.file(
            a,
            "oura/dailyactivity.csv",
            (
                "id;active_calories;contributors;day;equivalent_walking_distance;score;steps\n"
                + "\n".join(activity)
                + "\n"
            ).encode(),
            None,
            "quarantined",
            "unrecognised format",
        )


OURA_TRENDS = (
    "date",
    "Sleep Score",
    "Total Sleep Score",
    "REM Sleep Score",
    "Deep Sleep Score",
    "Sleep Efficiency Score",
    "Restfulness Score",
    "Sleep Latency Score",
    "Sleep Timing Score",
    "Total Bedtime",
    "Total Sleep Time",
    "Awake Time",
    "REM Sleep Time",
    "Light Sleep Time",
    "Deep Sleep Time",
    "Restless Sleep",
    "Sleep Efficiency",
    "Sleep Latency",
    "Sleep Timing",
    "Sleep Timing",
    "Bedtime Start",
    "Bedtime End",
    "Average Resting Heart Rate",
    "Lowest Resting Heart Rate",
    "Average HRV",
    "Temperature Deviation (°C)",
    "Respiratory Rate",
    "Activity Score",
    "Readiness Score",
)


def oura_trends(a: StudyAthlete, ex: Expect, out: Out, rng: random.Random) -> None:
    """The older cloud export: one `,`-separated row per date, durations in seconds."""
    tz, nights = a.tz, a.by_date()
    rows = []
    for i in range(a.days):
        day = a.start + timedelta(days=i)
        n = nights.get(day)
        if n is None:
            rows.append([day.isoformat()] + [""] * (len(OURA_TRENDS) - 1))
            continue
        st = stage_seconds(n)
        scores = [rng.randint(40, 99) for _ in range(8)]
        rows.append([
            day.isoformat(), *scores, n.out_of_bed - n.bedtime, n.asleep_s, st["awake"], st["rem"],
            st["light"], st["deep"], rng.randint(10, 60), rng.randint(80, 97), 900,
            rng.randint(0, 20000), "", iso(n.bedtime, tz, ms=False),
            iso(n.out_of_bed, tz, ms=False), f"{n.resting_hr + 3.4:.1f}", n.resting_hr,
            n.hrv_ms, f"{rng.uniform(-0.5, 0.5):.2f}", "14.6", rng.randint(50, 99),
            rng.randint(50, 99),
        ])  # fmt: skip
        ex.add(day, "dev_sleep_hours", n.sleep_hours, "oura_trends")
        ex.add(day, "dev_resting_hr", n.resting_hr, "oura_trends")
        ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "oura_trends")
    last = a.start + timedelta(days=a.days - 1)
    out.file(
        a, f"oura_{a.start}_{last}_trends.csv", csv_text(OURA_TRENDS, rows).encode(), "oura_trends"
    )
