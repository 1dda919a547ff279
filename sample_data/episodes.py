"""The planted episodes and weekly training patterns of the three archetypes.

Everything here is data. A study is cut into 70-day cycles (10 weeks) counted from its first
day; an episode sits at a fixed *offset* inside every cycle (day index modulo CYCLE_DAYS).
With the defaults (start 2026-09-01, 70 days) there is exactly one cycle, and README.md lists
the resulting calendar dates. Longer studies repeat the episodes every cycle; a study shorter
than a cycle simply stops before the later ones. Flags are always derived from the planned
values (sample_data.expected), so a cut-off episode still yields a consistent expected set.

A night's offset is the index of its wake-up date (night D = the sleep that ends on local
date D); an activity day's offset is the index of its local date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Length of the episode cycle, days. 10 weeks: a 28-night baseline fits before the chiyo
#: resting-HR episode and the short-sleep and HRV episodes do not overlap.
CYCLE_DAYS = 70

#: Sleep hours of a normal night are drawn from these (all inside the 7-9 h band, all whole
#: quarter hours so every total is exact in binary floating point).
NORMAL_SLEEP_HOURS = (7.25, 7.5, 7.75, 8.0, 8.25, 8.5)


@dataclass(frozen=True)
class NightEpisode:
    """What is planted in one night. Unset fields keep the normal night's random values."""

    label: str
    #: asleep hours (light + deep + REM) of the main sleep period
    sleep_hours: float | None = None
    #: resting HR = round(baseline x this), baseline = mean of the previous 28 nights
    rhr_vs_baseline: float | None = None
    #: the night's RMSSD, ms (even: RR athletes reach it as 2 x alternation amplitude)
    hrv_ms: int | None = None
    #: watch not worn: no wellness file for this date at all
    missing: bool = False
    #: a 2-h sleep period, then > 60 min awake, then the (longer) main period
    broken: bool = False
    #: an afternoon nap on this date (a second, shorter sleep period ending on the same date)
    nap: bool = False


@dataclass(frozen=True)
class DayEpisode:
    """What is planted in one day's self-report and daytime. Unset fields keep the normal day."""

    label: str
    #: fatigue reported that day (1-10), replacing the normal score
    fatigue: int | None = None
    #: points taken off the normal motivation / mood scores (a falling mental state)
    motivation_drop: int = 0
    mood_drop: int = 0
    #: a long sitting day: no active (walking) hours between wake-up and bedtime
    sitting: bool = False


@dataclass(frozen=True)
class LabResult:
    """One blood value in the athlete's lab-results CSV, as the lab reported it."""

    offset: int  # cycle offset of the day the blood was drawn
    marker: str  # as written in the file (the parser maps aliases)
    value: float  # in `unit`
    unit: str


@dataclass(frozen=True)
class Session:
    """One planned training session of a weekly pattern."""

    slot: str  # "morning": an hour after wake-up | "evening": 17:30-19:00 local
    sport: str  # FIT sport name (GPX <type> for GPX athletes)
    sub_sport: str  # FIT sub_sport name
    minutes: int  # duration, whole minutes
    kind: str  # "easy" | "intervals" | "long" | "strength" | "ride": shapes the HR curve


EASY = Session("evening", "running", "road", 45, "easy")
SHORT = Session("evening", "running", "road", 40, "easy")
INTERVALS = Session("evening", "running", "track", 55, "intervals")
STRENGTH = Session("evening", "training", "strength_training", 45, "strength")
LONG = Session("morning", "running", "trail", 90, "long")
WEEKEND = Session("morning", "running", "road", 60, "easy")
RIDE = Session("evening", "cycling", "road", 60, "ride")
LONG_RIDE = Session("morning", "cycling", "road", 80, "ride")
EARLY = Session("morning", "running", "road", 40, "easy")
EARLY_STRENGTH = Session("evening", "training", "strength_training", 40, "strength")
EVENING_RIDE = Session("evening", "cycling", "road", 75, "ride")
EVENING_LONG = Session("evening", "running", "trail", 85, "long")
# bram's heavy weeks: the same days, longer and harder (about 1.7x his usual week's TRIMP)
HEAVY_EASY = Session("evening", "running", "road", 75, "easy")
HEAVY_RIDE = Session("evening", "cycling", "road", 100, "ride")
HEAVY_INTERVALS = Session("evening", "running", "track", 85, "intervals")
HEAVY_SHORT = Session("evening", "running", "road", 65, "easy")
HEAVY_LONG_RIDE = Session("morning", "cycling", "road", 140, "ride")


@dataclass(frozen=True)
class Archetype:
    """A weekly training pattern and the episodes planted into it."""

    #: weekday (0 = Monday) -> sessions; an empty tuple is a full rest day
    week: dict[int, tuple[Session, ...]]
    #: cycle offset -> planted night
    nights: dict[int, NightEpisode] = field(default_factory=dict)
    #: cycle offsets that have a session even when their weekday is a rest day
    block: frozenset[int] = frozenset()
    #: session used on a rest weekday inside `block`
    block_session: Session = SHORT
    #: cycle offsets with no session at all (a moved rest day)
    extra_rest: frozenset[int] = frozenset()
    #: cycle offsets of heavy training weeks: their days follow `heavy_week` instead of `week`
    heavy: frozenset[int] = frozenset()
    heavy_week: dict[int, tuple[Session, ...]] = field(default_factory=dict)
    #: cycle offset -> sessions replacing the weekly pattern's (e.g. an extra strength session)
    replace: dict[int, tuple[Session, ...]] = field(default_factory=dict)
    #: cycle offset -> planted self-report / daytime
    days: dict[int, DayEpisode] = field(default_factory=dict)
    #: blood values (lab-results CSV), by cycle offset
    labs: tuple[LabResult, ...] = ()


ARCHETYPES: dict[str, Archetype] = {
    # anna: rests on Mondays. Short-sleep streak of 4 nights; two short nights, a missing
    # night, another short night (the gap breaks the run); a 10-day block without rest
    # (the Monday rest moved to the Friday after); an afternoon nap.
    "anna": Archetype(
        week={
            0: (),
            1: (INTERVALS,),
            2: (STRENGTH,),
            3: (EASY,),
            4: (SHORT,),
            5: (WEEKEND,),
            6: (LONG,),
        },
        nights={
            11: NightEpisode("nap", nap=True),
            36: NightEpisode("short streak 1/4", sleep_hours=5.5),
            37: NightEpisode("short streak 2/4", sleep_hours=5.25),
            38: NightEpisode("short streak 3/4", sleep_hours=5.75),
            39: NightEpisode("short streak 4/4", sleep_hours=5.5),
            40: NightEpisode("long recovery night, exactly 9 h", sleep_hours=9.0),
            44: NightEpisode("short, before a gap", sleep_hours=5.5),
            45: NightEpisode("short, before a gap", sleep_hours=5.75),
            46: NightEpisode("missing night: watch not worn", missing=True),
            47: NightEpisode("short, after the gap", sleep_hours=5.5),
        },
        block=frozenset(range(14, 24)),
        extra_rest=frozenset({24, 54}),
        # the short-sleep week: an extra strength session on Friday 10-09 (instead of the run)
        replace={38: (STRENGTH,)},
        days={
            # tired before and through two rest days (Sun 10-25 taken off, Mon rest)
            53: DayEpisode("fatigue building", fatigue=7),
            54: DayEpisode("rest day 1/2, tired", fatigue=8),
            55: DayEpisode("rest day 2/2, tired", fatigue=8),
            56: DayEpisode("still tired after two rest days", fatigue=8),
        },
        labs=(
            LabResult(2, "ferritin", 42.0, "ng/mL"),
            LabResult(2, "cortisol", 410.0, "nmol/L"),
            LabResult(30, "Ferritine", 35.0, "µg/L"),
            LabResult(30, "cortisol", 14.2, "µg/dL"),
            LabResult(51, "ferritin", 24.0, "ug/L"),
            LabResult(51, "cortisol", 24.5, "µg/dL"),
        ),
    ),
    # bram: rests Wednesdays and Sundays. Three nights of HRV < 50 ms, then 50 and 58 ms;
    # a broken night (2 h, 80 min awake, 7.5 h); sleep exactly on the 7 h and 9 h edges.
    "bram": Archetype(
        week={
            0: (EASY,),
            1: (RIDE,),
            2: (),
            3: (INTERVALS,),
            4: (SHORT,),
            5: (LONG_RIDE,),
            6: (),
        },
        nights={
            9: NightEpisode("exactly 7 h", sleep_hours=7.0),
            10: NightEpisode("exactly 9 h", sleep_hours=9.0),
            17: NightEpisode(
                "broken night: 2 h + 80 min awake + 7.5 h", sleep_hours=7.5, broken=True
            ),
            23: NightEpisode("short-ish", sleep_hours=6.75),
            24: NightEpisode("long", sleep_hours=9.25),
            29: NightEpisode("HRV low 1/3", hrv_ms=44),
            30: NightEpisode("HRV low 2/3", hrv_ms=46),
            31: NightEpisode("HRV low 3/3", hrv_ms=48),
            32: NightEpisode("HRV recovering, exactly 50 ms", hrv_ms=50),
            33: NightEpisode("HRV recovering", hrv_ms=58),
            45: NightEpisode("end of the heavy block: short 1/3", sleep_hours=5.75),
            46: NightEpisode("end of the heavy block: short 2/3", sleep_hours=5.5),
            47: NightEpisode("end of the heavy block: short 3/3", sleep_hours=5.75),
        },
        # four heavy weeks in a row, Monday 09-21 .. Sunday 10-18 (ISO weeks with the
        # default start), then his usual training again
        heavy=frozenset(range(20, 48)),
        heavy_week={
            0: (HEAVY_EASY,),
            1: (HEAVY_RIDE,),
            2: (),
            3: (HEAVY_INTERVALS,),
            4: (HEAVY_SHORT,),
            5: (HEAVY_LONG_RIDE,),
            6: (),
        },
        labs=(
            LabResult(9, "ferritin", 95.0, "ng/mL"),
            LabResult(9, "cortisol", 380.0, "nmol/L"),
            LabResult(44, "Serum ferritin", 88.0, "ng/mL"),
            LabResult(44, "cortisol", 12.9, "µg/dL"),
        ),
    ),
    # chiyo: rests Wednesdays; Thursday is a double with a run an hour after wake-up, which
    # in UTC (Tokyo - 9 h) falls on Wednesday, so every UTC date has a session: counting rest
    # days by UTC date raises no_rest_day all along. Resting HR +16 % for three nights, one
    # ~+6 % night and one ~-12 % night; 6.0 h then two short nights (not a streak).
    "chiyo": Archetype(
        week={
            0: (EASY,),
            1: (INTERVALS,),
            2: (),
            3: (EARLY, EARLY_STRENGTH),
            4: (EASY,),
            5: (EVENING_RIDE,),
            6: (EVENING_LONG,),
        },
        nights={
            22: NightEpisode("resting HR ~+6 % (watch)", rhr_vs_baseline=1.065),
            26: NightEpisode("resting HR ~-12 % (watch)", rhr_vs_baseline=0.875),
            47: NightEpisode("resting HR ~+16 % 1/3", rhr_vs_baseline=1.16),
            48: NightEpisode("resting HR ~+18 % 2/3", rhr_vs_baseline=1.18),
            49: NightEpisode("resting HR ~+16 % 3/3", rhr_vs_baseline=1.16),
            60: NightEpisode("exactly 6 h (not short)", sleep_hours=6.0),
            61: NightEpisode("short 1/2", sleep_hours=5.5),
            62: NightEpisode("short 2/2", sleep_hours=5.75),
            # three weeks after her motivation started to fall: HRV drops to 72-76 ms,
            # still above the article's 70 ms, but far below her own normal range
            **{i: NightEpisode(f"HRV below her own range {i - 55}/4", hrv_ms=h)
               for i, h in zip(range(56, 60), (74, 72, 74, 76), strict=True)},
        },
        days={
            # two long sitting days (a conference): no walking between wake-up and bed
            15: DayEpisode("long sitting day 1/2", sitting=True),
            16: DayEpisode("long sitting day 2/2", sitting=True),
            # motivation (and a little mood) falling from 10-06, three weeks before the HRV drop
            **{i: DayEpisode("motivation falling", motivation_drop=2) for i in range(35, 39)},
            **{i: DayEpisode("motivation low", motivation_drop=3, mood_drop=1)
               for i in range(39, 56)},
        },
    ),
}


def sessions_for(archetype: Archetype, offset: int, weekday: int) -> tuple[Session, ...]:
    """The sessions planned on a day: weekly pattern (or the heavy one), replaced days,
    block days and moved rest days."""
    if offset in archetype.extra_rest:
        return ()
    if offset in archetype.replace:
        return archetype.replace[offset]
    week = archetype.heavy_week if offset in archetype.heavy else archetype.week
    sessions = week[weekday]
    if not sessions and offset in archetype.block:
        return (archetype.block_session,)
    return sessions
