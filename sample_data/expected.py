"""Expected nightly markers and flags, read off the plan (never computed by herstel code).

`expected_nights` lists the planted value of every present night; `expected_flags` applies
the rule definitions below to those values and to the planned training days. The rules are
re-implemented here on purpose, from docs/rules.md and the thresholds below, so the
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
- hrv_below_baseline: watch on a night with HRV when the mean of ln(hrv) over the present
  nights D-6..D (at least 5) is below mean - 0.5 SD (ddof 1) of ln(hrv) over the present
  nights D-60..D-1 (at least 28).
- heavy_weeks_streak, strength_up_unstable_sleep: from an independent Banister TRIMP of each
  session integrated over its planned heart-rate samples (the activity file's own records;
  herstel also sees the watch's monitoring samples, so its TRIMP differs by a few per
  cent). Heavy week: more than 1.3 x the median complete week with load of the 12 weeks
  before, frozen while a block runs; a block ends with 5 recovery days in a row or 2
  non-heavy weeks in a row. Strength: flagged on the day the 7-day strength load first
  rises over 1.25 x the 4-week mean, when sleep was not stable (reported sleep quality
  where there are 5 reports in the 7 days and 7 in the 28 before, lowest more than 1.5
  points under that mean; else duration and regularity). Every decision must stay the
  same when its ratio threshold moves by 7-15 %, else the plan is refused.
- fatigue_persists: warning when the planned fatigue is >= 7 and the two days before had
  no activity. wellness_decline: watch when the 7-day mean motivation (else mood) is under
  the mean of the 28 days before it minus max(SD, 0.5). ferritin_low: watch under 30 ug/L.
  cortisol_change: watch when more than 50 % away from the mean of the last 3 earlier
  results within 365 days (at least 2). sedentary_long: info when the planned sitting
  hours exceed 10 (plans within 1.5 h of it are refused). multi_signal: warning on a day
  with a warning when warnings of 2 different rules fall on D-2..D.
- profile "older" (age >= 50 in the day's year): hrv_low thresholds 35 / 50 ms.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sample_data.plan import AthletePlan, plan_wellness, planned_sitting_hours
from sample_data.planned_load import daily_loads

#: Rules whose complete flag set the sample data pins down (all of the ruleset).
RULES = (
    "rhr_elevated", "sleep_short_streak", "sleep_out_of_range", "hrv_low", "no_rest_day",
    "hrv_below_baseline", "heavy_weeks_streak", "strength_up_unstable_sleep",
    "fatigue_persists", "wellness_decline", "ferritin_low", "cortisol_change",
    "sedentary_long", "multi_signal",
)  # fmt: skip
#: The rules whose flags need only the nightly and daily metrics (no wellness, lab results
#: or monitoring heart rate passed to the rules).
CORE_RULES = RULES[:8]

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


#: Profile "older": from this age (in the day's year) hrv_low uses these bounds (ms).
OLDER_AGE = 50
OLDER_HRV_MS = (35.0, 50.0)


def hrv_flags(athlete: str, hrv: dict[date, float], birth_year: int | None = None) -> list[Flag]:
    flags = []
    for night, v in sorted(hrv.items()):
        older = birth_year is not None and night.year - birth_year >= OLDER_AGE
        warn, watch = OLDER_HRV_MS if older else (HRV_WARN_MS, HRV_WATCH_MS)
        if v == watch and not older:  # the planted 50-ms night is on purpose for "older"
            raise ValueError(f"{athlete} {night}: HRV exactly on the {watch}-ms edge is ambiguous")
        if v < warn:
            flags.append(Flag(athlete, night, "hrv_low", "warning"))
        elif v <= watch:
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


# --------------------------------------------------------------------------- HRV, own range

HRV_RECENT_NIGHTS, HRV_RECENT_MIN = 7, 5
HRV_BASE_NIGHTS, HRV_BASE_MIN = 60, 28
HRV_SD_FACTOR = 0.5
#: Comparisons of exact planned values must not be closer than this to their boundary.
EXACT_MARGIN = 1e-6


def _mean_sd(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def hrv_baseline_flags(athlete: str, hrv: dict[date, float]) -> list[Flag]:
    """hrv_below_baseline: 7-night mean of ln RMSSD under the 60-night mean - 0.5 SD."""
    ln = {d: math.log(v) for d, v in hrv.items()}
    flags = []
    for night in sorted(ln):
        recent = [ln[d] for k in range(HRV_RECENT_NIGHTS)
                  if (d := night - timedelta(days=k)) in ln]  # fmt: skip
        base = [ln[d] for k in range(1, HRV_BASE_NIGHTS + 1)
                if (d := night - timedelta(days=k)) in ln]  # fmt: skip
        if len(recent) < HRV_RECENT_MIN or len(base) < HRV_BASE_MIN:
            continue
        m, sd = _mean_sd(base)
        value, limit = sum(recent) / len(recent), m - HRV_SD_FACTOR * sd
        if abs(value - limit) < EXACT_MARGIN:
            raise ValueError(f"{athlete} {night}: 7-night HRV mean on its boundary")
        if value < limit:
            flags.append(Flag(athlete, night, "hrv_below_baseline", "watch"))
    return flags


# --------------------------------------------------------------------------- training load
# (the load itself, a TRIMP per planned session: sample_data.planned_load)

HEAVY = {"max_weeks": 3, "ratio": 1.3, "bridge_weeks": 1, "ref_min": 2, "lookback_weeks": 12,
         "recovery_days": 5, "recovery_ratio": 0.5}  # fmt: skip
STRENGTH_RATIO, STRENGTH_REF_WEEKS = 1.25, 4
STABLE_MIN_HOURS, STABLE_MAX_SD, STABLE_MIN_NIGHTS = 7.0, 1.0, 5
#: Self-reported sleep quality: reports needed in the 7 days and in the 28 days before, and
#: the largest allowed dip of the lowest report under the mean of those 28 days (points).
QUALITY_MIN_REPORTS, QUALITY_BASE_DAYS, QUALITY_BASE_MIN, QUALITY_MAX_DROP = 5, 28, 7, 1.5
#: Relative moves of the ratio thresholds under which every load decision must hold.
LOAD_MARGINS = (0.93, 1.07)
RECOVERY_MARGINS = (0.85, 1.15)
STRENGTH_MARGINS = (0.9, 1.1)


def _median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def heavy_weeks(
    athlete: str, load: dict[date, float], active: set[date], ratio: float, recovery_ratio: float
) -> list[Flag]:
    """heavy_weeks_streak on the study calendar (docs/rules.md): usual week = median of the
    complete weeks with load in the 12 weeks before (frozen during a block); a block ends
    with 5 recovery days in a row or 2 non-heavy weeks in a row."""
    days = sorted(load)
    history: list[tuple[date, float, float, int]] = []
    streak, gap, run, flags = 0, 0, 0, []
    frozen: tuple = (None, None)
    weeks: dict[date, list[date]] = {}
    for d in days:
        weeks.setdefault(d - timedelta(days=d.weekday()), []).append(d)
    for monday, week in sorted(weeks.items()):
        ref = train_day = None
        if streak:
            ref, train_day = frozen
        else:
            usable = [w for w in history
                      if w[0] >= monday - timedelta(weeks=HEAVY["lookback_weeks"])]  # fmt: skip
            if len(usable) >= HEAVY["ref_min"]:
                ref = _median([w[1] for w in usable])
                n = sum(w[3] for w in usable)
                train_day = sum(w[2] for w in usable) / n if n else None
        reset = False
        for d in week:
            easy = train_day is not None and load[d] <= recovery_ratio * train_day
            run = run + 1 if (d not in active or easy) else 0
            reset = reset or run >= HEAVY["recovery_days"]
        total = sum(load[d] for d in week)
        complete = len(week) == 7
        heavy = complete and ref is not None and total > ratio * ref
        if reset:
            streak, gap = (1 if heavy else 0), 0
        elif heavy:
            streak, gap = streak + 1, 0
        else:
            gap += 1
            streak = streak if gap <= HEAVY["bridge_weeks"] else 0
        if heavy and streak == 1:
            frozen = (ref, train_day)
        if complete and total > 0:
            trained = [d for d in week if d in active]
            history.append((monday, total, sum(load[d] for d in trained), len(trained)))
        if heavy and streak > HEAVY["max_weeks"]:
            flags.append(Flag(athlete, week[-1], "heavy_weeks_streak", "warning"))
    return flags


def heavy_week_flags(athlete: str, load: dict[date, float], active: set[date]) -> list[Flag]:
    """heavy_weeks_streak, refusing plans whose flags hinge on a few per cent of TRIMP."""
    want = heavy_weeks(athlete, load, active, HEAVY["ratio"], HEAVY["recovery_ratio"])
    for m in LOAD_MARGINS:
        if heavy_weeks(athlete, load, active, HEAVY["ratio"] * m, HEAVY["recovery_ratio"]) != want:
            raise ValueError(f"{athlete}: a heavy-week decision is within {m} of the ratio")
    for m in RECOVERY_MARGINS:
        got = heavy_weeks(athlete, load, active, HEAVY["ratio"], HEAVY["recovery_ratio"] * m)
        if got != want:
            raise ValueError(f"{athlete}: a recovery-day decision is within {m} of its ratio")
    return want


def _strength_up(strength: dict[date, float], d: date, ratio: float) -> bool:
    ref_days = [d - timedelta(days=k) for k in range(7, 7 + 7 * STRENGTH_REF_WEEKS)]
    if any(x not in strength for x in ref_days):
        return False
    s7 = sum(strength.get(d - timedelta(days=k), 0.0) for k in range(7))
    return s7 > ratio * sum(strength[x] for x in ref_days) / STRENGTH_REF_WEEKS


def _quality_unstable(quality: dict[date, float], d: date) -> bool | None:
    """Self-reported sleep quality of D-6..D against the 28 days before; None: too few."""
    recent = [quality[x] for k in range(7) if (x := d - timedelta(days=k)) in quality]
    base = [quality[x] for k in range(7, 7 + QUALITY_BASE_DAYS)
            if (x := d - timedelta(days=k)) in quality]  # fmt: skip
    if len(recent) < QUALITY_MIN_REPORTS or len(base) < QUALITY_BASE_MIN:
        return None
    drop = sum(base) / len(base) - min(recent)
    if abs(drop - QUALITY_MAX_DROP) < EXACT_MARGIN:
        raise ValueError(f"{d}: a sleep-quality dip exactly on its boundary")
    return drop > QUALITY_MAX_DROP


def strength_flags(
    athlete: str,
    strength: dict[date, float],
    sleep: dict[date, float],
    ratio: float,
    quality: dict[date, float] | None = None,
) -> list[Flag]:
    """On the day a strength session lifts the 7-day strength load over the ratio (and it
    was not over it the day before), when sleep was not stable: by reported quality where
    there are enough reports, else by duration and regularity."""
    flags = []
    for d, s in sorted(strength.items()):
        if s <= 0 or not _strength_up(strength, d, ratio):
            continue
        if _strength_up(strength, d - timedelta(days=1), ratio):
            continue  # the increase was flagged (or judged) already
        by_quality = _quality_unstable(quality or {}, d)
        if by_quality is not None:
            if by_quality:
                flags.append(Flag(athlete, d, "strength_up_unstable_sleep", "watch"))
            continue
        if d not in sleep:
            continue
        hours = [sleep[x] for k in range(7) if (x := d - timedelta(days=k)) in sleep]
        if len(hours) < STABLE_MIN_NIGHTS:
            continue
        m = sum(hours) / len(hours)
        sd = math.sqrt(sum((h - m) ** 2 for h in hours) / (len(hours) - 1))
        if abs(sd - STABLE_MAX_SD) < EXACT_MARGIN:
            raise ValueError(f"{athlete} {d}: sleep SD on its boundary")
        if min(hours) < STABLE_MIN_HOURS or sd > STABLE_MAX_SD:
            flags.append(Flag(athlete, d, "strength_up_unstable_sleep", "watch"))
    return flags


def strength_up_flags(
    athlete: str,
    strength: dict[date, float],
    sleep: dict[date, float],
    quality: dict[date, float] | None = None,
) -> list[Flag]:
    want = strength_flags(athlete, strength, sleep, STRENGTH_RATIO, quality)
    for m in STRENGTH_MARGINS:
        if strength_flags(athlete, strength, sleep, STRENGTH_RATIO * m, quality) != want:
            raise ValueError(f"{athlete}: a strength-increase decision is within {m} of the ratio")
    return want


# --------------------------------------------------------------------------- self-report

FATIGUE_HIGH, FATIGUE_REST_DAYS = 7, 2
DECLINE = {"sd_factor": 1.0, "min_sd": 0.5, "recent": 7, "recent_min": 4, "base": 28,
           "base_min": 14}  # fmt: skip


def fatigue_flags(athlete: str, fatigue: dict[date, float], active: set[date]) -> list[Flag]:
    flags = []
    for d, f in sorted(fatigue.items()):
        before = [d - timedelta(days=k) for k in range(1, FATIGUE_REST_DAYS + 1)]
        if f >= FATIGUE_HIGH and all(x in fatigue and x not in active for x in before):
            flags.append(Flag(athlete, d, "fatigue_persists", "warning"))
    return flags


def decline_days(athlete: str, scores: dict[date, float]) -> set[date]:
    """Days whose 7-day mean is under the 28 days before it by more than max(SD, 0.5)."""
    out = set()
    for d in sorted(scores):
        recent = [scores[x] for k in range(DECLINE["recent"])
                  if (x := d - timedelta(days=k)) in scores]  # fmt: skip
        base = [scores[x] for k in range(DECLINE["recent"], DECLINE["recent"] + DECLINE["base"])
                if (x := d - timedelta(days=k)) in scores]  # fmt: skip
        if len(recent) < DECLINE["recent_min"] or len(base) < DECLINE["base_min"]:
            continue
        m, sd = _mean_sd(base)
        limit = m - DECLINE["sd_factor"] * max(sd, DECLINE["min_sd"])
        value = sum(recent) / len(recent)
        if abs(value - limit) < EXACT_MARGIN:
            raise ValueError(f"{athlete} {d}: a wellness mean on its boundary")
        if value < limit:
            out.add(d)
    return out


def wellness_flags(athlete: str, rows: list[dict]) -> list[Flag]:
    motivation = decline_days(athlete, {r["day"]: float(r["motivation"]) for r in rows})
    mood = decline_days(athlete, {r["day"]: float(r["mood"]) for r in rows})
    return [Flag(athlete, d, "wellness_decline", "watch") for d in sorted(motivation | mood)]


# --------------------------------------------------------------------------- blood values

#: Conversions to the stored units (ug/L; nmol/L), written out independently of the parser.
LAB_UNITS = {
    "ferritin": {"ng/ml": 1.0, "ug/l": 1.0, "µg/l": 1.0},
    "cortisol": {"nmol/l": 1.0, "µg/dl": 27.59, "ug/dl": 27.59},
}
LAB_ALIASES = {"ferritine": "ferritin", "serum ferritin": "ferritin"}
FERRITIN_LOW = 30.0
CORTISOL_PCT, CORTISOL_EARLIER, CORTISOL_MIN_EARLIER, CORTISOL_LOOKBACK = 50.0, 3, 2, 365


def lab_values(plan: AthletePlan) -> dict[str, dict[date, float]]:
    out: dict[str, dict[date, float]] = {"ferritin": {}, "cortisol": {}}
    for day, marker, value, unit in plan.labs:
        m = LAB_ALIASES.get(marker.lower(), marker.lower())
        out[m][day] = value * LAB_UNITS[m][unit.lower()]
    return out


def lab_flags(athlete: str, values: dict[str, dict[date, float]]) -> list[Flag]:
    flags = [Flag(athlete, d, "ferritin_low", "watch")
             for d, v in sorted(values["ferritin"].items()) if v < FERRITIN_LOW]  # fmt: skip
    cortisol = values["cortisol"]
    for d, v in sorted(cortisol.items()):
        earlier = [cortisol[x] for x in sorted(cortisol)
                   if d - timedelta(days=CORTISOL_LOOKBACK) <= x < d][-CORTISOL_EARLIER:]
        if len(earlier) < CORTISOL_MIN_EARLIER:
            continue
        base = sum(earlier) / len(earlier)
        if abs(abs(v - base) / base * 100 - CORTISOL_PCT) < 1.0:
            raise ValueError(f"{athlete} {d}: cortisol change too close to {CORTISOL_PCT} %")
        if abs(v - base) / base * 100 > CORTISOL_PCT:
            flags.append(Flag(athlete, d, "cortisol_change", "watch"))
    return flags


# --------------------------------------------------------------------------- sitting

SITTING_HOURS, SITTING_MARGIN_H = 10.0, 1.5


def sitting_flags(athlete: str, hours: dict[date, float]) -> list[Flag]:
    flags = []
    for d, h in sorted(hours.items()):
        if abs(h - SITTING_HOURS) < SITTING_MARGIN_H:
            raise ValueError(f"{athlete} {d}: {h:.2f} h of sitting is too close to the limit")
        if h > SITTING_HOURS:
            flags.append(Flag(athlete, d, "sedentary_long", "info"))
    return flags


# --------------------------------------------------------------------------- combined

MULTI_RULES, MULTI_DAYS = 2, 3


def multi_flags(flags: list[Flag]) -> list[Flag]:
    """multi_signal from the other rules' warnings of one athlete."""
    warnings = [f for f in flags if f.severity == "warning"]
    out = []
    for day in sorted({f.day for f in warnings}):
        first = day - timedelta(days=MULTI_DAYS - 1)
        rules = {f.rule_id for f in warnings if first <= f.day <= day}
        if len(rules) >= MULTI_RULES:
            out.append(Flag(warnings[0].athlete_id, day, "multi_signal", "warning"))
    return out


# --------------------------------------------------------------------------- athlete


def athlete_flags(plan: AthletePlan) -> list[Flag]:
    """Every flag of every rule for one athlete, in (day, rule) order."""
    a = plan.spec.athlete_id
    nights = plan.nights
    active = {act.local_start.date() for act in plan.activities}
    load, strength = daily_loads(plan)
    sleep = {n.night: n.sleep_hours for n in nights}
    hrv = {n.night: float(n.hrv_ms) for n in nights}
    rows = plan_wellness(plan)
    flags = (
        rhr_flags(a, {n.night: n.resting_hr for n in nights})
        + sleep_flags(a, sleep)
        + hrv_flags(a, hrv, plan.spec.birth_year)
        + rest_flags(a, active, plan.start, plan.days)
        + hrv_baseline_flags(a, hrv)
        + heavy_week_flags(a, load, active)
        + strength_up_flags(a, strength, sleep, {r["day"]: float(r["sleep_quality"]) for r in rows})
        + fatigue_flags(a, {r["day"]: float(r["fatigue"]) for r in rows}, active)
        + wellness_flags(a, rows)
        + lab_flags(a, lab_values(plan))
        + sitting_flags(a, planned_sitting_hours(plan))
    )
    return sorted(flags + multi_flags(flags))
