"""Who is in a generated study: the three named sample athletes, then numbered ones.

The first three athletes are the ones the committed sample set documents (README.md):
`anna`, `bram` and `chiyo`. A benchmark study with more athletes repeats their three
archetypes (same planted episodes) with other ids, time zones and personal levels, so every
athlete of any study has hand-computable markers and a known set of flags.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Archetype names: each is a set of planted episodes and a weekly training pattern
#: (see `sample_data.episodes`).
ARCHETYPES = ("anna", "bram", "chiyo")

#: Time zones given to numbered athletes (index 3 onwards), in turn. Several observe DST,
#: with transitions that fall inside a night.
EXTRA_TIME_ZONES = (
    "Europe/Amsterdam",
    "America/New_York",
    "Asia/Tokyo",
    "Europe/London",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
)


@dataclass(frozen=True)
class AthleteSpec:
    """One athlete's fixed facts: the athletes.csv row plus what the generator needs."""

    athlete_id: str
    time_zone: str
    birth_year: int
    sex: str  # "F" | "M"
    hr_max: int  # bpm
    rhr_level: int  # bpm: usual resting HR during sleep (normal nights are within +-1 bpm)
    hrv_level: int  # ms: usual nightly RMSSD (even, so RR series can hit it exactly)
    hrv_source: str  # "hrv_value": FIT 371/370 five-minute values; "rr": FIT 290 beat intervals
    activity_format: str  # "fit" | "gpx"
    archetype: str  # one of ARCHETYPES
    garmin_product: int  # FIT garmin_product id of the watch
    serial_number: int


#: The three committed athletes (ids and facts are part of README.md: keep them in step).
NAMED: tuple[AthleteSpec, ...] = (
    AthleteSpec(
        "anna", "Europe/Amsterdam", 1994, "F", 192, 48, 88, "hrv_value", "fit", "anna",
        4315, 3_412_000_101,  # fr965
    ),
    AthleteSpec(
        "bram", "Europe/Amsterdam", 1989, "M", 188, 52, 86, "rr", "gpx", "bram",
        4024, 3_412_000_202,  # fr955
    ),
    AthleteSpec(
        "chiyo", "Asia/Tokyo", 1997, "F", 195, 50, 86, "hrv_value", "fit", "chiyo",
        3906, 3_412_000_303,  # fenix7
    ),
)  # fmt: skip


def athlete_specs(n: int) -> list[AthleteSpec]:
    """The first `n` athletes of a study: the named three, then `athlete_004`, ...

    Numbered athletes cycle through the archetypes and EXTRA_TIME_ZONES, with personal levels
    spread over a plausible range (resting HR 44-57 bpm, HRV 84-94 ms) so that studies are not
    three athletes copied over and over.
    """
    if n < 1:
        raise ValueError("a study needs at least one athlete")
    specs = list(NAMED[:n])
    for i in range(len(specs), n):
        base = NAMED[i % 3]
        specs.append(
            AthleteSpec(
                athlete_id=f"athlete_{i + 1:03d}",
                time_zone=EXTRA_TIME_ZONES[(i - 3) % len(EXTRA_TIME_ZONES)],
                birth_year=1975 + (i * 7) % 30,
                sex="F" if i % 2 else "M",
                hr_max=178 + (i * 5) % 20,
                rhr_level=44 + (i * 5) % 14,
                hrv_level=2 * (42 + (i * 3) % 6),
                hrv_source=base.hrv_source,
                activity_format=base.activity_format,
                archetype=base.archetype,
                garmin_product=base.garmin_product,
                serial_number=3_412_100_000 + i,
            )
        )
    return specs
