"""FIT files written with Garmin's own encoder (`garmin_fit_sdk.Encoder`).

Two kinds, shaped like what Garmin watches write:

- a daily wellness file (`file_id.type = monitoring_b`) holding one night and the day after
  it: `monitoring_info` (local_timestamp gives the UTC offset at the file's start),
  `monitoring` heart rate (every minute asleep, every 2-5 min by day; one message an hour
  carries a full `timestamp`, the others only `timestamp_16`, the low 16 bits of FIT time,
  as real monitoring files do), `sleep_level` at each stage change (the last one `awake` at
  wake-up), `monitoring_hr_data`, and HRV: `hrv_value` five-minute RMSSD values with an
  `hrv_status_summary`, or beat-to-beat `beat_intervals` during sleep;
- an activity file (`file_id.type = activity`): `record` every 5 s, `lap`, `session`,
  `activity`.

All messages after the header ones are written in time order, so a `timestamp_16` always
resolves against an earlier full timestamp that is at most an hour old.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from garmin_fit_sdk import Encoder, Profile

from sample_data.athletes import AthleteSpec
from sample_data.plan import (
    ACTIVE_HR_ABOVE_REST,
    ASLEEP,
    MINUTE,
    SITTING_HR_ABOVE_REST,
    ActivityPlan,
    AthletePlan,
    NightPlan,
    Run,
    is_active,
    utc_offset_s,
)
from sample_data.signals import activity_samples, hrv_five_minute_values, rr_intervals

#: FIT time starts at 1989-12-31 00:00 UTC: Unix seconds minus this are FIT seconds.
FIT_EPOCH_UNIX = 631_065_600
MESG: dict[str, int] = Profile["mesg_num"]

#: A monitoring message with a full timestamp is written when the previous one is this old
#: (s); the messages in between carry only timestamp_16. Far below the 65536-s wrap.
FULL_TIMESTAMP_EVERY_S = 3600
#: Daytime HR sampling intervals to draw from, s.
DAY_SAMPLE_S = (120, 180, 240, 300)
#: Beat intervals per `beat_intervals` message (real devices write a few dozen).
BEATS_PER_MESSAGE = 30
#: Activity `record` interval, s.
RECORD_EVERY_S = 5
#: Firmware version written in device_info (scale 100 in the profile).
SOFTWARE_VERSION = 21.18


def fit_ts(unix: int) -> int:
    """FIT seconds (date_time) of a Unix timestamp."""
    return unix - FIT_EPOCH_UNIX


@dataclass
class Timeline:
    """Messages to write in time order: (ms, priority, seq) keeps ties stable."""

    items: list[tuple[int, int, int, int, dict]] = field(default_factory=list)

    def add(self, ms: int, priority: int, mesg: str, fields: dict) -> None:
        self.items.append((ms, priority, len(self.items), MESG[mesg], fields))

    def sorted(self) -> Iterator[tuple[int, dict]]:
        for _, _, _, num, fields in sorted(self.items, key=lambda x: x[:3]):
            yield num, fields


class CachedEncoder(Encoder):
    """Garmin's encoder, remembering message definitions by shape.

    The stock encoder builds a new definition for every message (a profile scan per field)
    and compares it with all 16 local definitions. A day's file repeats a handful of shapes
    thousands of times, so caching them cuts writing time by about a fifth; the bytes are
    identical (the cached object is what the stock code would have built; a test compares).
    Overrides two private methods of garmin-fit-sdk 21.x (pinned < 22 in pyproject).
    """

    def __init__(self) -> None:
        super().__init__()
        self._shapes: dict[tuple, Any] = {}

    def _create_mesg_definition(self, mesg_num: int, mesg: dict) -> Any:
        key = (mesg_num, *((k, _size_key(v)) for k, v in mesg.items() if v is not None))
        found = self._shapes.get(key)
        if found is None:
            found = self._shapes[key] = super()._create_mesg_definition(mesg_num, mesg)
        return found

    def _find_local_mesg_definition(self, mesg_definition: Any) -> Any:
        for local in self._local_mesg_definitions:
            if local is mesg_definition:
                return local
        return super()._find_local_mesg_definition(mesg_definition)


def _size_key(value: object) -> int:
    """What makes two values of one field need different definitions: their length."""
    if isinstance(value, list):
        return len(value)
    if isinstance(value, str):
        return -len(value.encode("utf-8"))
    return 0


def _encode(header: list[tuple[str, dict]], timeline: Timeline) -> bytes:
    enc = CachedEncoder()
    for name, fields in header:
        enc.on_mesg(MESG[name], fields)
    for num, fields in timeline.sorted():
        enc.on_mesg(num, fields)
    return enc.close()


def _header(spec: AthleteSpec, file_type: str, created: int, number: int) -> list[tuple[str, dict]]:
    return [
        ("FILE_ID", {
            "type": file_type, "manufacturer": "garmin", "product": spec.garmin_product,
            "serial_number": spec.serial_number, "time_created": fit_ts(created),
            "number": number,
        }),
        ("DEVICE_INFO", {
            "timestamp": fit_ts(created), "device_index": 0, "manufacturer": "garmin",
            "product": spec.garmin_product, "serial_number": spec.serial_number,
            "software_version": SOFTWARE_VERSION,
        }),
    ]  # fmt: skip


# --------------------------------------------------------------------------- wellness


@dataclass(frozen=True)
class DayContext:
    """What a wellness file needs beyond its night: the window and the rolling device values."""

    file_end: int  # Unix s, exclusive: the next night's bedtime
    activities: tuple[ActivityPlan, ...]  # sessions inside the window (monitoring HR rises)
    rhr_7day: int  # device's 7-night average resting HR, bpm
    hrv_weekly: int  # device's 7-night average HRV, ms
    hrv_source: str  # "hrv_value" | "rr" (after --no-rr)
    sitting: bool = False  # a planted long sitting day: no active hours


def sleep_hr(night: NightPlan, rng: random.Random) -> list[tuple[int, int]]:
    """Minute HR samples from bedtime to wake-up.

    Plateau minutes are at their planted value; every other minute is higher than the
    main plateau (asleep +1..+6 bpm, awake +8..+18), so the plateau holds the lowest
    30-minute mean. (The broken-off period's own plateau is lower, but outside the main.)
    """
    r = night.resting_hr
    first_asleep = next(run.start for run in night.runs if run.stage in ASLEEP)
    out = []
    runs = iter(night.runs)
    run = next(runs)
    for t in range(night.bedtime, night.wake, MINUTE):
        while t >= run.end:
            run = next(runs)
        plateau = next((p.bpm for p in night.plateaus if p.start <= t < p.end), None)
        if plateau is not None:
            bpm = plateau
        elif run.stage in ASLEEP:
            bpm = r + rng.randint(1, 6)
        elif t < first_asleep:
            bpm = r + rng.randint(12, 18)
        else:
            bpm = r + rng.randint(8, 14)
        out.append((t, bpm))
    return out


def day_hr(night: NightPlan, ctx: DayContext, rng: random.Random) -> list[tuple[int, int]]:
    """HR from wake-up to the file's end: every 2-5 min, every minute during a nap.

    In sessions 125-160 bpm; otherwise walking (`plan.is_active`) at resting
    HR + 50..70, sitting at resting HR + 10..30."""
    nap = (night.nap[0].start, night.nap[-1].end) if night.nap else None
    out = []
    t = night.wake
    while t < ctx.file_end:
        if nap and nap[0] <= t < nap[1]:
            r = night.resting_hr
            out += [(m, r + rng.randint(5, 9)) for m in range(nap[0], nap[1], MINUTE)]
            t = nap[1]
            continue
        act = next((a for a in ctx.activities if a.start <= t < a.start + a.duration_s), None)
        if act:
            bpm = rng.randint(125, 160)
        elif is_active(t, ctx.sitting):
            bpm = night.resting_hr + rng.randint(*ACTIVE_HR_ABOVE_REST)
        else:
            bpm = night.resting_hr + rng.randint(*SITTING_HR_ABOVE_REST)
        out.append((t, bpm))
        t += rng.choice(DAY_SAMPLE_S)
    return out


def _activity_type(t: int, night: NightPlan, ctx: DayContext) -> str:
    if night.bedtime <= t < night.wake:
        return "sedentary"
    act = next((a for a in ctx.activities if a.start <= t < a.start + a.duration_s), None)
    if act is None:
        return "walking" if is_active(t, ctx.sitting) else "sedentary"
    return act.sport if act.sport in ("running", "cycling") else "generic"


def add_monitoring(
    tl: Timeline, samples: list[tuple[int, int]], night: NightPlan, ctx: DayContext
) -> None:
    """HR samples as monitoring messages: hourly a full timestamp, else timestamp_16."""
    last_full = None
    for t, bpm in samples:
        if last_full is None or t - last_full >= FULL_TIMESTAMP_EVERY_S:
            tl.add(t * 1000, 1, "MONITORING", {
                "timestamp": fit_ts(t), "activity_type": _activity_type(t, night, ctx),
                "heart_rate": bpm,
            })  # fmt: skip
            last_full = t
        else:
            t16 = fit_ts(t) & 0xFFFF
            tl.add(t * 1000, 2, "MONITORING", {"timestamp_16": t16, "heart_rate": bpm})


def add_sleep_levels(tl: Timeline, runs: tuple[Run, ...]) -> None:
    """One sleep_level per stage change, and `awake` at the end (wake-up)."""
    for run in runs:
        tl.add(
            run.start * 1000,
            0,
            "SLEEP_LEVEL",
            {"timestamp": fit_ts(run.start), "sleep_level": run.stage},
        )
    tl.add(
        runs[-1].end * 1000,
        0,
        "SLEEP_LEVEL",
        {"timestamp": fit_ts(runs[-1].end), "sleep_level": "awake"},
    )


def add_hrv(tl: Timeline, night: NightPlan, ctx: DayContext) -> None:
    """HRV of the night: five-minute values + status summary, or beat intervals."""
    if ctx.hrv_source == "rr":
        for start_ms, chunk in rr_intervals(night, BEATS_PER_MESSAGE):
            tl.add(start_ms, 3, "BEAT_INTERVALS", {
                "timestamp": fit_ts(start_ms // 1000), "timestamp_ms": start_ms % 1000,
                "time": chunk,
            })  # fmt: skip
        return
    values = hrv_five_minute_values(night)
    for t, v in values:
        tl.add(t * 1000, 3, "HRV_VALUE", {"timestamp": fit_ts(t), "value": v})
    m = night.hrv_ms
    # the device's own (unpublished) baselines, around the athlete's weekly average
    low_upper, bal_lower, bal_upper = ctx.hrv_weekly - 16, ctx.hrv_weekly - 9, ctx.hrv_weekly + 11
    status = "balanced" if m >= bal_lower else ("unbalanced" if m >= low_upper else "low")
    tl.add(night.wake * 1000, 5, "HRV_STATUS_SUMMARY", {
        "timestamp": fit_ts(night.wake), "weekly_average": ctx.hrv_weekly,
        "last_night_average": m, "last_night_5_min_high": max(v for _, v in values),
        "baseline_low_upper": low_upper, "baseline_balanced_lower": bal_lower,
        "baseline_balanced_upper": bal_upper, "status": status,
    })  # fmt: skip


def wellness_fit(plan: AthletePlan, night: NightPlan, ctx: DayContext, rng: random.Random) -> bytes:
    """The wellness file of `night`: from its bedtime to the next night's bedtime."""
    spec = plan.spec
    start = night.bedtime
    offset = utc_offset_s(start, plan.tz)
    header = _header(spec, "monitoring_b", start, night.day_index + 1)
    header.append(("MONITORING_INFO", {
        "timestamp": fit_ts(start), "local_timestamp": fit_ts(start) + offset,
        "activity_type": ["walking", "running"], "cycles_to_distance": [0.75, 1.1],
        "cycles_to_calories": [0.04, 0.09], "resting_metabolic_rate": 1500,
    }))  # fmt: skip
    tl = Timeline()
    add_monitoring(tl, sleep_hr(night, rng) + day_hr(night, ctx, rng), night, ctx)
    add_sleep_levels(tl, night.runs)
    if night.nap:
        add_sleep_levels(tl, night.nap)
    add_hrv(tl, night, ctx)
    tl.add(night.wake * 1000, 4, "MONITORING_HR_DATA", {
        "timestamp": fit_ts(night.wake), "resting_heart_rate": ctx.rhr_7day,
        # deliberately 1 bpm off the sleep-HR value: tells which method a consumer used
        "current_day_resting_heart_rate": night.resting_hr + 1,
    })  # fmt: skip
    return _encode(header, tl)


# --------------------------------------------------------------------------- activity


def _summary(samples: list[tuple[int, int, float]]) -> dict:
    hrs = [hr for _, hr, _ in samples]
    return {
        "avg_heart_rate": int(sum(hrs) / len(hrs) + 0.5),
        "max_heart_rate": max(hrs),
    }


def _laps(duration_s: int) -> list[tuple[int, int]]:
    """Lap windows (s from start): warm-up 10 min, main, cool-down 5 min when long enough."""
    if duration_s < 30 * MINUTE:
        return [(0, duration_s)]
    return [(0, 600), (600, duration_s - 300), (duration_s - 300, duration_s)]


def activity_fit(plan: AthletePlan, act: ActivityPlan, number: int, rng: random.Random) -> bytes:
    """An activity file: records every 5 s, laps, session and activity summary."""
    spec = plan.spec
    samples = activity_samples(act, RECORD_EVERY_S, rng)
    has_distance = act.kind != "strength"
    end = act.start + act.duration_s
    header = _header(spec, "activity", act.start, number)
    tl = Timeline()
    tl.add(
        act.start * 1000,
        0,
        "EVENT",
        {"timestamp": fit_ts(act.start), "event": "timer", "event_type": "start"},
    )
    for t, hr, dist in samples:
        rec = {"timestamp": fit_ts(t), "heart_rate": hr}
        if has_distance:
            rec["distance"] = dist
        tl.add(t * 1000, 1, "RECORD", rec)
    for i, (a, b) in enumerate(_laps(act.duration_s)):
        inside = [s for s in samples if act.start + a <= s[0] <= act.start + b]
        lap = {
            "message_index": i, "timestamp": fit_ts(act.start + b), "event": "lap",
            "event_type": "stop", "start_time": fit_ts(act.start + a),
            "total_elapsed_time": float(b - a), "total_timer_time": float(b - a),
            "sport": act.sport, "sub_sport": act.sub_sport, **_summary(inside),
        }  # fmt: skip
        if has_distance:
            lap["total_distance"] = inside[-1][2] - inside[0][2]
        tl.add((act.start + b) * 1000, 2, "LAP", lap)
    n_laps = len(_laps(act.duration_s))
    tl.add(
        end * 1000,
        3,
        "EVENT",
        {"timestamp": fit_ts(end), "event": "timer", "event_type": "stop_all"},
    )
    session = {
        "message_index": 0, "timestamp": fit_ts(end), "event": "session", "event_type": "stop",
        "start_time": fit_ts(act.start), "sport": act.sport, "sub_sport": act.sub_sport,
        "total_elapsed_time": float(act.duration_s), "total_timer_time": float(act.duration_s),
        "total_calories": act.duration_s // 6, "first_lap_index": 0, "num_laps": n_laps,
        "trigger": "activity_end", **_summary(samples),
    }  # fmt: skip
    if has_distance:
        session["total_distance"] = samples[-1][2]
    tl.add(end * 1000, 4, "SESSION", session)
    local_end = end + utc_offset_s(end, plan.tz)
    tl.add(end * 1000, 5, "ACTIVITY", {
        "timestamp": fit_ts(end), "total_timer_time": float(act.duration_s), "num_sessions": 1,
        "type": "manual", "event": "activity", "event_type": "stop",
        "local_timestamp": fit_ts(local_end),  # local_date_time: wall clock, FIT epoch
    })  # fmt: skip
    return _encode(header, tl)
