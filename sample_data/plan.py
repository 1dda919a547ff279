"""The plan of a study: every night's stage runs and markers, every training session.

The plan is the single source of truth: the file writers turn it into FIT/GPX/CSV bytes and
`sample_data.expected` reads the expected markers and flags off it. Nothing here reads a file
or runs herstel code, so the expectations are by construction.

Times are integer Unix seconds (UTC). Local times come from the athlete's IANA zone, so the
DST change on 2026-10-25 (Europe/Amsterdam) makes that night's wall clock one hour shorter
than its real length: every duration here is real elapsed time.

How each marker is made exactly computable (docs/metrics.md):

- sleep_hours: a night is a run list starting with an awake lead-in, then asleep runs
  (light/deep/rem) with short awake gaps (< 60 min, they join runs). The asleep runs of the
  main period sum to the planned hours exactly.
- resting_hr: during sleep HR is sampled every minute; a 45-minute plateau at exactly the
  night's resting value starts 60 min into the main period, and every other sample of the
  night is at least 1 bpm higher, so the lowest 30-minute rolling mean is the plateau value.
- hrv_ms: the night's planned RMSSD; the writers emit 5-minute values (FIT 371) whose mean is
  exactly that, or beat intervals (FIT 290) alternating mean +- hrv/2, so every window's RMSSD
  is exactly that.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sample_data.athletes import AthleteSpec
from sample_data.episodes import (
    ARCHETYPES,
    CYCLE_DAYS,
    NORMAL_SLEEP_HOURS,
    DayEpisode,
    NightEpisode,
    Session,
    sessions_for,
)

#: Stages that count as asleep (docs/metrics.md: light + deep + REM).
ASLEEP = frozenset({"light", "deep", "rem"})

MINUTE = 60  # s
HOUR = 3600  # s

#: Plateau of the resting HR: starts this long after the main period begins (s) ...
PLATEAU_OFFSET_S = 60 * MINUTE
#: ... and lasts this long (s): longer than the 30-min window, so it holds one fully.
PLATEAU_S = 45 * MINUTE
#: In a broken night, the first (shorter) period gets a plateau this much lower (bpm): an
#: implementation that wrongly takes the whole night reports a different resting HR.
BROKEN_FIRST_PLATEAU_DELTA = -2

#: Local bedtimes (minutes after midnight on the evening before the night) to draw from.
BEDTIMES_MIN = (22 * 60, 22 * 60 + 15, 22 * 60 + 30, 22 * 60 + 45, 23 * 60, 23 * 60 + 15)
#: Awake lead-in before falling asleep, minutes (drawn uniformly, inclusive).
LEAD_IN_MIN = (8, 20)
#: Short awake gaps inside the night, minutes (inclusive); always < 60 so they join runs.
GAP_MIN = (4, 12)
#: Broken night: first period asleep, awake break, minutes.
BROKEN_FIRST_MIN = 120
BROKEN_BREAK_MIN = 80
#: Afternoon nap: local start, and its stage runs (minutes).
NAP_START_MIN = 14 * 60
NAP_RUNS = (("light", 20), ("deep", 25), ("light", 15))
#: Evening sessions start at one of these local times (minutes after midnight).
EVENING_STARTS_MIN = (17 * 60 + 30, 17 * 60 + 45, 18 * 60, 18 * 60 + 30, 19 * 60)
#: Morning sessions start this long after wake-up (minutes), rounded up to 5 minutes.
MORNING_AFTER_WAKE_MIN = 60
#: A normal night's RMSSD is the athlete's level plus this offset by weekday (Monday first).
#: The offsets sum to zero, so every full week of normal nights has the same mean: a
#: 7-night mean never drifts below the 60-night normal range by chance (hrv_below_baseline
#: flags only planted drops). Even numbers, so RR series can reach every value.
HRV_WEEKDAY_OFFSETS = (0, 4, -2, 2, -4, 2, -2)
#: By day, outside sessions, two of every three UTC hours are "active" (walking, standing:
#: heart rate well above resting) and the third (hour number divisible by 3) "sitting"; on a
#: planted sitting day every hour sits. The heart-rate ranges (bpm above the night's
#: resting HR) keep a wide margin around herstel's sitting limit of resting HR + 30 % of the
#: heart-rate reserve (docs/metrics.md).
ACTIVE_HR_ABOVE_REST = (50, 70)
SITTING_HR_ABOVE_REST = (10, 30)


@dataclass(frozen=True)
class Run:
    """One sleep-stage run [start, end) in Unix seconds."""

    stage: str  # awake | light | deep | rem
    start: int
    end: int


@dataclass(frozen=True)
class Plateau:
    """Minutes of constant sleeping HR [start, end), Unix seconds."""

    start: int
    end: int
    bpm: int


@dataclass(frozen=True)
class NightPlan:
    """One night (wake-up date `night`) as planned; `runs` end at wake-up."""

    night: date
    day_index: int
    bedtime: int  # first sleep_level message (awake lead-in), Unix s
    runs: tuple[Run, ...]  # lead-in, asleep runs and awake gaps, up to wake-up
    main_start: int  # main sleep period [main_start, main_end)
    main_end: int
    other_periods: tuple[tuple[int, int], ...]  # sleep periods of the night that are not main
    resting_hr: int  # bpm, planted plateau value of the main period
    plateaus: tuple[Plateau, ...]
    hrv_ms: int  # planted RMSSD, ms
    nap: tuple[Run, ...]  # afternoon nap runs on `night` (empty: no nap)
    episode: str  # label of the planted episode, "" for a normal night

    @property
    def wake(self) -> int:
        return self.runs[-1].end

    @property
    def sleep_hours(self) -> float:
        """Asleep time inside the main period, hours (exact: whole seconds / 3600)."""
        asleep = sum(
            r.end - r.start
            for r in self.runs
            if r.stage in ASLEEP and self.main_start <= r.start < self.main_end
        )
        return asleep / HOUR

    def sleep_periods(self) -> tuple[tuple[int, int], ...]:
        """Every sleep period of the night proper (main and broken-off), in time order."""
        return tuple(sorted((*self.other_periods, (self.main_start, self.main_end))))


@dataclass(frozen=True)
class ActivityPlan:
    """One training session: start (Unix s), whole-second duration, and how it feels."""

    start: int
    duration_s: int
    sport: str
    sub_sport: str
    kind: str
    local_start: datetime  # naive local wall-clock start (file names, GPX names)


@dataclass(frozen=True)
class AthletePlan:
    """Everything generated for one athlete."""

    spec: AthleteSpec
    start: date
    days: int
    nights: tuple[NightPlan, ...]  # present nights, in date order
    missing: tuple[date, ...]  # planned-missing nights (no wellness file)
    #: file window end of each wellness file: the bedtime of the next night, by night date
    file_end: dict[date, int]
    activities: tuple[ActivityPlan, ...]
    seed: int
    #: planted self-report / daytime episodes by local date
    day_episodes: dict[date, DayEpisode] = field(default_factory=dict)
    #: blood values: (day, marker as written, value, unit as written)
    labs: tuple[tuple[date, str, float, str], ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.spec.time_zone)

    def sitting_day(self, day: date) -> bool:
        ep = self.day_episodes.get(day)
        return bool(ep and ep.sitting)


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_to_unix(day: date, minutes: int, tz: ZoneInfo) -> int:
    """Unix seconds of `minutes` after local midnight of `day` (never a DST gap here)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return int(naive.replace(tzinfo=tz).timestamp())


def unix_to_local(ts: int, tz: ZoneInfo) -> datetime:
    """Naive local wall-clock time of a Unix timestamp."""
    return datetime.fromtimestamp(ts, tz).replace(tzinfo=None)


def utc_offset_s(ts: int, tz: ZoneInfo) -> int:
    """The zone's UTC offset at `ts`, seconds (FIT local_timestamp = timestamp + this)."""
    offset = datetime.fromtimestamp(ts, tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def athlete_seed(seed: int, index: int) -> int:
    """A per-athlete seed: independent streams, stable across Python versions."""
    return seed * 1_000_003 + index * 7919


def file_rng(plan: AthletePlan, kind: int, index: int) -> random.Random:
    """An independent, reproducible stream per file or table (kind 1: wellness FIT, 2:
    activity, 3: questionnaire): the writers and the expectations draw the same numbers."""
    return random.Random(plan.seed * 100_003 + kind * 10_007_009 + index)


def is_active(t: int, sitting_day: bool) -> bool:
    """Daytime outside sessions: walking (True) or sitting (False) at Unix second `t`."""
    return not sitting_day and (t // HOUR) % 3 != 0


# --------------------------------------------------------------------------- nights


def cycle_template(cycle: int) -> tuple[tuple[str, int], ...]:
    """Stage runs of one ~90-min sleep cycle, minutes: deep sleep shrinks, REM grows."""
    deep = max(10, 35 - 8 * cycle)
    rem = min(35, 20 + 5 * cycle)
    return (("light", 25), ("deep", deep), ("light", 15), ("rem", rem))


def asleep_runs(asleep_min: int, rng: random.Random, gaps: bool) -> list[tuple[str, int]]:
    """Runs (stage, minutes) with exactly `asleep_min` asleep minutes.

    Awake gaps (GAP_MIN, < 60 min) follow the 2nd and 4th cycle when more than 20 minutes of
    sleep remain, so the first ~2.5 h are one continuous stretch that holds the HR plateau.
    """
    runs: list[tuple[str, int]] = []
    left = asleep_min
    cycle = 0
    while left > 0:
        for stage, base in cycle_template(cycle):
            minutes = min(left, max(5, base + rng.randint(-3, 3)))
            runs.append((stage, minutes))
            left -= minutes
            if left == 0:
                break
        cycle += 1
        if gaps and cycle in (2, 4) and left > 20:
            runs.append(("awake", rng.randint(*GAP_MIN)))
    return merge_runs(runs)


def merge_runs(runs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Join neighbouring runs of the same stage (a stage change is what FIT 275 records; the
    vendor study's plans join theirs the same way)."""
    merged: list[tuple[str, int]] = []
    for stage, minutes in runs:
        if merged and merged[-1][0] == stage:
            merged[-1] = (stage, merged[-1][1] + minutes)
        else:
            merged.append((stage, minutes))
    return merged


def _timed(runs: list[tuple[str, int]], start: int) -> list[Run]:
    out = []
    for stage, minutes in runs:
        out.append(Run(stage, start, start + minutes * MINUTE))
        start += minutes * MINUTE
    return out


def _period(runs: list[Run]) -> tuple[int, int]:
    asleep = [r for r in runs if r.stage in ASLEEP]
    return asleep[0].start, asleep[-1].end


def _hours_to_min(hours: float) -> int:
    minutes = round(hours * 60)
    if minutes != hours * 60:
        raise ValueError(f"sleep hours {hours} are not whole minutes")
    return minutes


def plan_night(
    spec: AthleteSpec,
    night: date,
    day_index: int,
    episode: NightEpisode | None,
    resting_hr: int,
    hrv_ms: int,
    rng: random.Random,
) -> NightPlan:
    """Stage runs, plateau and markers of one night ending on local date `night`."""
    tz = zone(spec.time_zone)
    episode = episode or NightEpisode("")
    hours = episode.sleep_hours or rng.choice(NORMAL_SLEEP_HOURS)
    bed_min = BEDTIMES_MIN[2] if episode.broken else rng.choice(BEDTIMES_MIN)
    lead_in = 10 if episode.broken else rng.randint(*LEAD_IN_MIN)
    bedtime = local_to_unix(night - timedelta(days=1), bed_min, tz)

    plan: list[tuple[str, int]] = [("awake", lead_in)]
    if episode.broken:
        plan += asleep_runs(BROKEN_FIRST_MIN, rng, gaps=False)
        plan.append(("awake", BROKEN_BREAK_MIN))
    first_main = len(plan)
    plan += asleep_runs(_hours_to_min(hours), rng, gaps=True)
    runs = _timed(plan, bedtime)

    main_start, main_end = _period(runs[first_main:])
    plateaus = [
        Plateau(
            main_start + PLATEAU_OFFSET_S, main_start + PLATEAU_OFFSET_S + PLATEAU_S, resting_hr
        )
    ]
    others: list[tuple[int, int]] = []
    if episode.broken:
        first = _period(runs[1:first_main])
        others.append(first)
        # 40 min in: inside the first period's single continuous stretch
        p0 = first[0] + 40 * MINUTE
        plateaus.append(Plateau(p0, p0 + PLATEAU_S, resting_hr + BROKEN_FIRST_PLATEAU_DELTA))

    nap: tuple[Run, ...] = ()
    if episode.nap:
        nap = tuple(_timed(list(NAP_RUNS), local_to_unix(night, NAP_START_MIN, tz)))

    result = NightPlan(
        night=night,
        day_index=day_index,
        bedtime=bedtime,
        runs=tuple(runs),
        main_start=main_start,
        main_end=main_end,
        other_periods=tuple(others),
        resting_hr=resting_hr,
        plateaus=tuple(plateaus),
        hrv_ms=hrv_ms,
        nap=nap,
        episode=episode.label,
    )
    _check_night(result, hours)
    return result


def _check_night(n: NightPlan, hours: float) -> None:
    """The planted facts the expectations rely on; a failure is a bug in this module."""
    assert n.sleep_hours == hours, (n.night, n.sleep_hours, hours)
    for p in n.plateaus:
        stretch = [r for r in n.runs if r.start < p.end and r.end > p.start]
        assert all(r.stage in ASLEEP for r in stretch), "a plateau must lie in continuous sleep"
    main = n.plateaus[0]
    assert n.main_start <= main.start and main.end <= n.main_end
    for start, end in n.other_periods:
        assert end - start < n.main_end - n.main_start
        assert n.main_start - end > HOUR, "a broken-off period must be > 60 min away"


def bedtime_only(spec: AthleteSpec, night: date, rng: random.Random) -> int:
    """The bedtime a night would have had: ends the previous wellness file's window."""
    return local_to_unix(night - timedelta(days=1), rng.choice(BEDTIMES_MIN), zone(spec.time_zone))


# --------------------------------------------------------------------------- markers


def baseline(
    values: dict[date, float], night: date, window: int = 28, minimum: int = 7
) -> float | None:
    """Mean of the present nights among the previous `window` calendar nights (docs/metrics.md)."""
    prev = [values[d] for i in range(1, window + 1) if (d := night - timedelta(days=i)) in values]
    return sum(prev) / len(prev) if len(prev) >= minimum else None


def normal_resting_hr(spec: AthleteSpec, rng: random.Random) -> int:
    """A normal night: the athlete's level +-1 bpm (within +-3 %)."""
    return spec.rhr_level + rng.choice((-1, 0, 0, 1))


def normal_hrv(spec: AthleteSpec, night: date, rng: random.Random) -> int:
    """A normal night's RMSSD: level + the weekday's offset (HRV_WEEKDAY_OFFSETS, +-4 ms).

    Still draws one number, as earlier versions of the generator did, so that the other
    planned values of a study stay where they were.
    """
    rng.randint(-2, 2)
    return spec.hrv_level + HRV_WEEKDAY_OFFSETS[night.weekday()]


def plan_markers(
    spec: AthleteSpec,
    episode: NightEpisode | None,
    history: dict[date, float],
    night: date,
    rng: random.Random,
) -> tuple[int, int]:
    """Resting HR and HRV of a night: planted by the episode, else normal."""
    rhr = normal_resting_hr(spec, rng)
    hrv = normal_hrv(spec, night, rng)
    if episode and episode.rhr_vs_baseline is not None:
        base = baseline(history, night)
        if base is None:
            raise ValueError(f"{spec.athlete_id} {night}: a resting-HR episode needs a baseline")
        rhr = round(base * episode.rhr_vs_baseline)
    if episode and episode.hrv_ms is not None:
        hrv = episode.hrv_ms
    return rhr, hrv


# --------------------------------------------------------------------------- activities


def plan_activities(
    spec: AthleteSpec,
    day: date,
    sessions: tuple[Session, ...],
    wake: int | None,
    rng: random.Random,
) -> list[ActivityPlan]:
    """Sessions of one local day with start times: mornings an hour after wake-up."""
    tz = zone(spec.time_zone)
    out = []
    for s in sessions:
        if s.slot == "morning":
            if wake is None:  # no night recorded: assume a 07:00 wake-up
                wake = local_to_unix(day, 7 * 60, tz)
            start = wake + MORNING_AFTER_WAKE_MIN * MINUTE
            start += (-start) % (5 * MINUTE)
        else:
            start = local_to_unix(day, rng.choice(EVENING_STARTS_MIN), tz)
        minutes = s.minutes + 5 * rng.randint(-1, 2)
        if s.kind == "strength":  # a fixed session: strength load changes only by design
            minutes = s.minutes
        out.append(
            ActivityPlan(
                start, minutes * MINUTE, s.sport, s.sub_sport, s.kind, unix_to_local(start, tz)
            )
        )
    return out


# --------------------------------------------------------------------------- athlete


def plan_athlete(spec: AthleteSpec, start: date, days: int, seed: int, index: int) -> AthletePlan:
    """Plan `days` nights and days for one athlete, deterministically from `seed`."""
    archetype = ARCHETYPES[spec.archetype]
    rng = random.Random(athlete_seed(seed, index))
    nights: list[NightPlan] = []
    missing: list[date] = []
    bedtimes: dict[date, int] = {}
    history: dict[date, float] = {}
    activities: list[ActivityPlan] = []
    for i in range(days):
        day = start + timedelta(days=i)
        episode = archetype.nights.get(i % CYCLE_DAYS)
        wake = None
        if episode and episode.missing:
            missing.append(day)
            bedtimes[day] = bedtime_only(spec, day, rng)
        else:
            rhr, hrv = plan_markers(spec, episode, history, day, rng)
            night = plan_night(spec, day, i, episode, rhr, hrv, rng)
            nights.append(night)
            history[day] = rhr
            bedtimes[day] = night.bedtime
            wake = night.wake
        sessions = sessions_for(archetype, i % CYCLE_DAYS, day.weekday())
        activities += plan_activities(spec, day, sessions, wake, rng)
    end = start + timedelta(days=days)
    bedtimes[end] = bedtime_only(spec, end, rng)
    file_end = {d: bedtimes[d + timedelta(days=1)] for d in bedtimes if d != end}
    day_episodes = {}
    labs = []
    for i in range(days):
        day = start + timedelta(days=i)
        if (ep := archetype.days.get(i % CYCLE_DAYS)) is not None:
            day_episodes[day] = ep
        labs += [(day, lab.marker, lab.value, lab.unit)
                 for lab in archetype.labs if lab.offset == i % CYCLE_DAYS]  # fmt: skip
    plan = AthletePlan(
        spec,
        start,
        days,
        tuple(nights),
        tuple(missing),
        file_end,
        tuple(activities),
        athlete_seed(seed, index),
        day_episodes,
        tuple(labs),
    )
    _check_activities(plan)
    return plan


def _check_activities(plan: AthletePlan) -> None:
    """Sessions never overlap sleep or each other and stay inside their local day."""
    busy = sorted(
        [(n.bedtime, n.wake) for n in plan.nights]
        + [(n.nap[0].start, n.nap[-1].end) for n in plan.nights if n.nap]
        + [(a.start, a.start + a.duration_s) for a in plan.activities]
    )
    for (_, end), (nxt, _) in zip(busy, busy[1:], strict=False):
        assert end <= nxt, f"{plan.spec.athlete_id}: overlapping plan at {nxt}"
    for a in plan.activities:
        end_local = unix_to_local(a.start + a.duration_s, plan.tz)
        assert end_local.date() == a.local_start.date(), "a session must not cross midnight"


# --------------------------------------------------------------------------- days


def plan_wellness(plan: AthletePlan) -> list[dict]:
    """Daily self-reports (1-10) of every study day, by construction.

    Worse after short, low-HRV or high-resting-HR nights ("tired" points), with one random
    point of noise per score; planted day episodes set the fatigue or take points off
    motivation and mood. Always the same draws per day, episode or not.
    """
    rng = file_rng(plan, 3, 0)
    nights = {n.night: n for n in plan.nights}
    rows = []
    for i in range(plan.days):
        day = plan.start + timedelta(days=i)
        n: NightPlan | None = nights.get(day)
        ep = plan.day_episodes.get(day) or DayEpisode("")
        tired = 0
        if n is not None:
            tired += 2 if n.sleep_hours < 6 else 0
            tired += 2 if n.hrv_ms < 70 else 0
            tired += 3 if n.resting_hr > plan.spec.rhr_level * 1.1 else 0

        def score(base: int, sign: int, drop: int = 0, _tired: int = tired) -> int:
            return max(1, min(10, base + sign * _tired + rng.randint(-1, 1) - drop))

        fatigue = score(3, 1)
        rows.append({
            "day": day, "fatigue": ep.fatigue if ep.fatigue is not None else fatigue,
            "mood": score(7, -1, ep.mood_drop), "motivation": score(8, -1, ep.motivation_drop),
            "stress": score(3, 1), "soreness": score(3, 1),
            "sleep_quality": score(7, -1) if n is not None else score(5, 0),
        })  # fmt: skip
    return rows


def planned_sitting_hours(plan: AthletePlan) -> dict[date, float]:
    """Hours of each day with a wellness file spent sitting, as planned.

    The day's watch data run from wake-up to the next bedtime; sessions and a nap are not
    sitting; the rest sits in every third UTC hour (every hour on a planted sitting day).
    herstel's estimate comes from heart-rate samples 2-5 minutes apart, so it may differ by
    some minutes; the expectations keep a wide margin around the threshold.
    """
    out = {}
    for n in plan.nights:
        start, end = n.wake, plan.file_end[n.night]
        busy = [(a.start, a.start + a.duration_s) for a in plan.activities
                if a.start < end and a.start + a.duration_s > start]  # fmt: skip
        if n.nap:
            busy.append((n.nap[0].start, n.nap[-1].end))
        sitting_day = plan.sitting_day(n.night)
        cuts = sorted({start, end, *(max(start, min(end, x)) for b in busy for x in b),
                       *range((start // HOUR + 1) * HOUR, end, HOUR)})  # fmt: skip
        total = 0
        for a, b in zip(cuts, cuts[1:], strict=False):
            if any(s <= a < e for s, e in busy) or is_active(a, sitting_day):
                continue
            total += b - a
        out[n.night] = total / HOUR
    return out
