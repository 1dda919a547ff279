"""The small nightly plan that the single-source export writers share
(`sample_data.vendors.health_connect`, `sample_data.vendors.samsung_health`): what each
night holds and what herstel must make of it, laid out in absolute time so clock-change
nights are exact.

Per night ending on local date D: bed at 22:30 local (+10 min steps by night), the stage
runs of `NIGHT_STAGES` end to end (7 h asleep, 20 min awake inside), heart rate once a
minute in bed at `IN_BED_HR_BPM` except a 40-minute spell at the night's resting HR, and an
RMSSD value for the night.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

#: (canonical stage, minutes) of a planned night, in order; awake minutes are not sleep.
NIGHT_STAGES = (("light", 90), ("deep", 60), ("light", 80), ("awake", 20), ("rem", 50),
                ("light", 100), ("rem", 40))
ASLEEP_MIN = sum(m for stage, m in NIGHT_STAGES if stage != "awake")  # 420 min = 7 h
IN_BED_HR_BPM = 58
#: minutes after bedtime where the 40-minute low-HR spell starts
LOW_HR_FROM_MIN = 200
LOW_HR_MIN = 40


@dataclass(frozen=True)
class PlannedNight:
    """What one night holds, and what herstel must make of it."""

    night: date  # local wake-up date
    bed: datetime  # aware, local
    resting_hr_bpm: int
    hrv_ms: float
    sleep_hours: float
    device_resting_hr_bpm: int  # a device's own daily value (lower rank than HR samples)

    def stages(self) -> list[tuple[str, datetime, datetime]]:
        """(stage, start, end) with aware local times, laid end to end in absolute time: on
        a clock-change night the wall clock repeats or skips an hour, the body does not."""
        out, t = [], self.bed
        for stage, minutes in NIGHT_STAGES:
            end = (t.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(t.tzinfo)
            out.append((stage, t, end))
            t = end
        return out

    @property
    def wake(self) -> datetime:
        return self.stages()[-1][2]

    def hr_in_bed(self) -> list[tuple[datetime, int]]:
        """(UTC instant, bpm) once a minute from bed to wake."""
        bed, wake = self.bed.astimezone(UTC), self.wake.astimezone(UTC)
        low_from = bed + timedelta(minutes=LOW_HR_FROM_MIN)
        out, t = [], bed
        while t < wake:
            low = low_from <= t < low_from + timedelta(minutes=LOW_HR_MIN)
            out.append((t, self.resting_hr_bpm if low else IN_BED_HR_BPM))
            t += timedelta(minutes=1)
        return out


def plan(start: date, nights: int, zone: str) -> list[PlannedNight]:
    """Deterministic nights from `start` (the first wake-up date)."""
    tz = ZoneInfo(zone)
    out = []
    for i in range(nights):
        night = start + timedelta(days=i)
        bed = datetime.combine(night - timedelta(days=1), time(22, 30), tz) + timedelta(
            minutes=10 * (i % 4))
        out.append(PlannedNight(night, bed, resting_hr_bpm=46 + i % 5, hrv_ms=40.0 + 2 * i,
                                sleep_hours=ASLEEP_MIN / 60, device_resting_hr_bpm=52))
    return out


def run_writer(
    write: Callable[[Path, list[PlannedNight]], Path], doc: str, argv: list[str] | None = None
) -> None:
    """The command line every export writer shares: `OUT_DIR [--start] [--nights] [--zone]`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 10, 20))
    parser.add_argument("--nights", type=int, default=10)
    parser.add_argument("--zone", default="Europe/Amsterdam")
    args = parser.parse_args(argv)
    print(write(args.out_dir, plan(args.start, args.nights, args.zone)))
