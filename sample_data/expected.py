"""Expected nightly markers and flags, read off the plan (never computed by herstel code).

`expected_nights` lists the planted value of every present night; `expected_flags` applies
the rule definitions below to those values and to the planned training days. The rules are
re-implemented here on purpose, from DESIGN.md section 5 and the thresholds below, so the
sample set checks the real rule engine instead of copying it.

Rule definitions used (defaults of the ruleset):

- rhr_elevated: baseline = mean of the present nights among the previous 28 calendar nights,
  at least 7 of them, the current night excluded (none: not evaluated). warning when
  resting_hr > baseline x 1.08 or > baseline + 8 bpm; else watch when > baseline x 1.05;
  watch when < baseline x 0.90.
- sleep_short_streak: warning on the 3rd and each further consecutive calendar night with
  sleep_hours < 6 (a missing night breaks the run).
- sleep_out_of_range: info when sleep_hours < 7 or > 9.
- hrv_low: warning when hrv_ms < 50; watch when 50 <= hrv_ms <= 70.
- no_rest_day: warning on day D when each local day D-6..D has at least one activity,
  evaluated from the 7th day of the study on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sample_data.plan import AthletePlan

#: Rules whose complete flag set the sample data pins down.
RULES = ("rhr_elevated", "sleep_short_streak", "sleep_out_of_range", "hrv_low", "no_rest_day")

#: rhr_elevated: warning above baseline x this, or above baseline + this many bpm ...
RHR_WARN_RATIO = 1.08
RHR_WARN_BPM = 8.0
#: ... watch above baseline x this, or below baseline x RHR_LOW_RATIO
RHR_WATCH_RATIO = 1.05
RHR_LOW_RATIO = 0.90
#: Baseline: previous nights considered, and how many must be present.
BASELINE_NIGHTS = 28
BASELINE_MIN_NIGHTS = 7
#: sleep_short_streak: hours under which a night is short; flagged from this run length on.
SHORT_SLEEP_H = 6.0
SHORT_STREAK_NIGHTS = 3
#: sleep_out_of_range: info outside this band, hours (edges are in range).
SLEEP_RANGE_H = (7.0, 9.0)
#: hrv_low: warning under HRV_WARN_MS, watch from it up to HRV_WATCH_MS (ms, both inclusive).
HRV_WARN_MS = 50.0
HRV_WATCH_MS = 70.0
#: no_rest_day: the window of local days that must hold a rest day.
REST_WINDOW_DAYS = 7
#: A planted resting HR must keep its severity when the baseline moves by this fraction, so
#: the expected flag does not hinge on how a baseline is rounded or windowed.
RHR_MARGIN = 0.003

NIGHT_COLUMNS = ("athlete_id", "night", "sleep_hours", "resting_hr", "hrv_ms")
FLAG_COLUMNS = ("athlete_id", "day", "rule_id", "severity")


@dataclass(frozen=True, order=True)
class Flag:
    athlete_id: str
    day: date
    rule_id: str
    severity: str


def expected_nights(plans: Iterable[AthletePlan]) -> list[dict]:
    """One row per present night: the planted sleep_hours, resting_hr and hrv_ms."""
    return [
        {
            "athlete_id": p.spec.athlete_id,
            "night": n.night,
            "sleep_hours": n.sleep_hours,
            "resting_hr": n.resting_hr,
            "hrv_ms": float(n.hrv_ms),
        }
        for p in plans
        for n in p.nights
    ]


def _baseline(prev: list[float]) -> float | None:
    return sum(prev) / len(prev) if len(prev) >= BASELINE_MIN_NIGHTS else None


def rhr_severity(value: float, base: float) -> str | None:
    """Severity of rhr_elevated for one night against its baseline."""
    if value > base * RHR_WARN_RATIO or value > base + RHR_WARN_BPM:
        return "warning"
    if value > base * RHR_WATCH_RATIO or value < base * RHR_LOW_RATIO:
        return "watch"
    return None


def _check_margin(
    athlete: str, night: date, value: float, base: float, severity: str | None
) -> None:
    """The severity must not change when the baseline moves by RHR_MARGIN (relative)."""
    for b in (base * (1 - RHR_MARGIN), base * (1 + RHR_MARGIN)):
        if rhr_severity(value, b) != severity:
            raise ValueError(
                f"{athlete} {night}: resting HR {value} is too close to a "
                f"threshold around baseline {base:.2f}"
            )


def rhr_flags(athlete: str, values: dict[date, float]) -> list[Flag]:
    """rhr_elevated flags; refuses plans whose severity would depend on the baseline window.

    Both readings of "previous 28 nights" (calendar nights, or the last 28 present nights)
    must give the same severity with a margin, else a ValueError: a fragile plan.
    """
    flags = []
    nights = sorted(values)
    for i, night in enumerate(nights):
        calendar = [
            values[d]
            for k in range(1, BASELINE_NIGHTS + 1)
            if (d := night - timedelta(days=k)) in values
        ]
        present = [values[d] for d in nights[max(0, i - BASELINE_NIGHTS) : i]]
        base, alt = _baseline(calendar), _baseline(present)
        if base is None and alt is None:
            continue
        if base is None or alt is None:
            raise ValueError(f"{athlete} {night}: baseline exists under one reading only")
        severity = rhr_severity(values[night], base)
        for b in (base, alt):
            _check_margin(athlete, night, values[night], b, severity)
        if severity:
            flags.append(Flag(athlete, night, "rhr_elevated", severity))
    return flags


def sleep_flags(athlete: str, hours: dict[date, float]) -> list[Flag]:
    """sleep_out_of_range and sleep_short_streak from each night's sleep hours."""
    flags = []
    run = 0
    for night in sorted(hours):
        h = hours[night]
        if h < SLEEP_RANGE_H[0] or h > SLEEP_RANGE_H[1]:
            flags.append(Flag(athlete, night, "sleep_out_of_range", "info"))
        prev_present = night - timedelta(days=1) in hours
        run = (run + 1 if prev_present else 1) if h < SHORT_SLEEP_H else 0
        if run >= SHORT_STREAK_NIGHTS:
            flags.append(Flag(athlete, night, "sleep_short_streak", "warning"))
    return flags


def hrv_flags(athlete: str, hrv: dict[date, float]) -> list[Flag]:
    flags = []
    for night, v in sorted(hrv.items()):
        if v == HRV_WATCH_MS:
            raise ValueError(f"{athlete} {night}: HRV exactly on the 70-ms edge is ambiguous")
        if v < HRV_WARN_MS:
            flags.append(Flag(athlete, night, "hrv_low", "warning"))
        elif v <= HRV_WATCH_MS:
            flags.append(Flag(athlete, night, "hrv_low", "watch"))
    return flags


def rest_flags(athlete: str, active: set[date], start: date, days: int) -> list[Flag]:
    """no_rest_day: from the 7th study day, every day whose 7-day window has no rest day."""
    flags = []
    for i in range(REST_WINDOW_DAYS - 1, days):
        day = start + timedelta(days=i)
        if all(day - timedelta(days=k) in active for k in range(REST_WINDOW_DAYS)):
            flags.append(Flag(athlete, day, "no_rest_day", "warning"))
    return flags


def athlete_flags(plan: AthletePlan) -> list[Flag]:
    """Every flag of the five rules for one athlete, in (day, rule) order."""
    a = plan.spec.athlete_id
    nights = plan.nights
    active = {act.local_start.date() for act in plan.activities}
    flags = (
        rhr_flags(a, {n.night: n.resting_hr for n in nights})
        + sleep_flags(a, {n.night: n.sleep_hours for n in nights})
        + hrv_flags(a, {n.night: n.hrv_ms for n in nights})
        + rest_flags(a, active, plan.start, plan.days)
    )
    return sorted(flags)


def expected_flags(plans: Iterable[AthletePlan]) -> list[Flag]:
    """All flags of all athletes, athletes in study order."""
    return [f for p in plans for f in athlete_flags(p)]


def write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[dict]) -> None:
    """A plain CSV with `\\n` line ends (same bytes on every platform)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
            )


def write_expected(plans: list[AthletePlan], folder: Path) -> tuple[Path, Path]:
    """expected_nights.csv and expected_flags.csv in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    nights_path = folder / "expected_nights.csv"
    flags_path = folder / "expected_flags.csv"
    write_csv(nights_path, NIGHT_COLUMNS, expected_nights(plans))
    write_csv(
        flags_path,
        FLAG_COLUMNS,
        (
            {"athlete_id": f.athlete_id, "day": f.day, "rule_id": f.rule_id, "severity": f.severity}
            for f in expected_flags(plans)
        ),
    )
    return nights_path, flags_path
