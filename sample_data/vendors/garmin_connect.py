"""Garmin Connect's account export (docs/sources/garmin_connect.md): DI_CONNECT sleepData,
healthStatusData and UDS files as loose JSON, or the same inside the export zip with
sleepLevels and the nested upload zip of activity FIT files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from sample_data.vendors.common import (
    Expect,
    Member,
    Out,
    StudyAthlete,
    chunks,
    gmt,
    json_bytes,
    local_time,
    stage_seconds,
)


def garmin_connect(
    a: StudyAthlete,
    ex: Expect,
    out: Out,
    rng: random.Random,
    zipped: bool,
    fit_activities: list[tuple[str, bytes]] = (),
) -> None:
    """DI_CONNECT day summaries (and, zipped, the nested FIT upload zip)."""
    nights = a.by_date()
    members: list[Member] = []
    for first, last in chunks(a.start, a.days, 100):
        tag = f"{first}_{last + timedelta(days=1)}"
        sleep, health, uds = [], [], []
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            n = nights.get(day)
            if n is not None:
                st = stage_seconds(n, n.wake)
                rec = {
                    "sleepStartTimestampGMT": gmt(n.bedtime),
                    "sleepEndTimestampGMT": gmt(n.wake),
                    "calendarDate": day.isoformat(),
                    "sleepWindowConfirmationType": "ENHANCED_CONFIRMED_FINAL",
                    "deepSleepSeconds": st["deep"], "lightSleepSeconds": st["light"],
                    "remSleepSeconds": st["rem"], "awakeSleepSeconds": st["awake"],
                    "unmeasurableSeconds": 0, "averageRespiration": 14.0,
                    "lowestRespiration": 11.0, "highestRespiration": 18.0, "retro": False,
                    "sleepScores": {"overallScore": rng.randint(55, 95),
                                    "qualityScore": rng.randint(50, 95)},
                }  # fmt: skip
                if n.index % 23 == 7:  # a retro re-analysis listing the night again, shorter
                    sleep.append({**rec, "deepSleepSeconds": st["deep"] - 1800, "retro": True})
                ex.add(day, "dev_sleep_hours", n.sleep_hours, "garmin_sleep_json")
                if zipped:
                    rec["sleepLevels"] = [
                        {"startGMT": gmt(s), "endGMT": gmt(e),
                         "activityLevel": {"deep": 0.0, "light": 1.0, "rem": 2.0}.get(st_, 3.0)}
                        for st_, s, e in n.runs if s < n.wake
                    ]  # fmt: skip
                    rec["avgOvernightHrv"] = float(n.hrv_ms)
                    rec["restingHeartRate"] = n.resting_hr
                    ex.add(day, "stages", n.sleep_hours, "garmin_sleep_json")
                    ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "garmin_sleep_json")
                    ex.add(day, "dev_resting_hr", n.resting_hr, "garmin_sleep_json")
                sleep.append(rec)
                unknown = not zipped and n.index % 17 == 9  # watch says: HRV not measured
                hrv = {
                    "type": "HRV",
                    "value": 0.0 if unknown else float(n.hrv_ms),
                    "status": "UNKNOWN" if unknown else "IN_RANGE",
                    "baselineLowerLimit": a.hrv_level - 12,
                    "baselineUpperLimit": a.hrv_level + 12,
                }
                health.append({"calendarDate": day.isoformat(), "metrics": [
                    hrv, {"type": "HR", "value": float(n.resting_hr), "status": "IN_RANGE"},
                    {"type": "SPO2", "value": 96.0, "status": "IN_RANGE"},
                    {"type": "RESPIRATION", "value": 14.2},
                    {"type": "SKIN_TEMP_C", "value": round(rng.uniform(-0.5, 0.5), 1)},
                ]})  # fmt: skip
                if not unknown:
                    ex.add(day, "dev_hrv_rmssd_ms", n.hrv_ms, "garmin_health_status_json")
                ex.add(day, "dev_resting_hr", n.resting_hr, "garmin_health_status_json")
                ex.add(day, "dev_resting_hr", n.resting_hr, "garmin_uds_json")
            uds.append({
                "userProfilePK": a.uid,
                "calendarDate": {"date": day.isoformat()} if i < 20 else day.isoformat(),
                "uuid": f"{a.uid:x}-{day:%Y%m%d}",
                "totalKilocalories": 2000.0 + rng.randint(0, 900),
                "activeKilocalories": 300.0 + rng.randint(0, 700),
                "totalSteps": rng.randint(2000, 16000),
                "minHeartRate": (n.resting_hr - 3) if n else None,
                "maxHeartRate": rng.randint(130, 180),
                "restingHeartRate": n.resting_hr if n else None,
                "currentDayRestingHeartRate": n.resting_hr if n else None,
                "allDayStress": {"aggregatorList": []},
            })  # fmt: skip
        sleep.append({"retro": False})  # real files end with this stray element
        wellness = "DI_CONNECT/DI-Connect-Wellness"
        members += [
            Member(
                f"{wellness}/{tag}_{a.uid}_sleepData.json",
                json_bytes(sleep, 2),
                "garmin_sleep_json",
            ),
            Member(
                f"{wellness}/{tag}_{a.uid}_healthStatusData.json",
                json_bytes(health),
                "garmin_health_status_json",
            ),
            Member(
                f"DI_CONNECT/DI-Connect-Aggregator/UDSFile_{tag}.json",
                json_bytes(uds),
                "garmin_uds_json",
            ),
        ]
    if not zipped:
        for m in members:
            out.file(a, m.name, m.data, m.format)
        return
    summarized = [{"summarizedActivitiesExport": [
        {"activityId": 17_000_000_000 + a.index * 1000 + k, "name": "Running",
         "userProfileId": a.uid}
        for k in range(len(fit_activities))]}]  # fmt: skip
    members.append(
        Member(
            f"DI_CONNECT/DI-Connect-Fitness/{a.uid}_0_summarizedActivities.json",
            json_bytes(summarized),
            None,
            "quarantined",
            "unrecognised format",
        )
    )
    members.append(
        Member(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip",
            members=[Member(name, data, "fit") for name, data in fit_activities],
        )
    )
    out.zip(a, "garmin_connect_export.zip", members)


def fit_activity_files(a: StudyAthlete) -> list[tuple[str, bytes]]:
    """Activity FIT files of `a`'s workouts, written by sample_data's FIT writer."""
    from sample_data.athletes import NAMED
    from sample_data.fit_files import activity_fit
    from sample_data.plan import ActivityPlan

    @dataclass(frozen=True)
    class _FitPlan:  # the two AthletePlan attributes activity_fit reads
        spec: object
        tz: ZoneInfo

    spec = replace(
        NAMED[0],
        athlete_id=a.athlete_id,
        time_zone=a.time_zone,
        serial_number=3_412_200_000 + a.index,
    )
    plan = _FitPlan(spec, a.tz)
    sports = {
        "run": ("running", "road", "easy"),
        "ride": ("cycling", "road", "ride"),
        "strength": ("training", "strength_training", "strength"),
    }
    files = []
    for k, w in enumerate(a.workouts):
        sport, sub, kind = sports[w.kind]
        act = ActivityPlan(
            start=w.start,
            duration_s=w.duration_s,
            sport=sport,
            sub_sport=sub,
            kind=kind,
            local_start=local_time(w.start, a.tz).replace(tzinfo=None),
        )
        data = activity_fit(plan, act, k + 1, random.Random(a.seed * 31 + k))
        files.append((f"{a.uid}_{20_000_000_000 + a.index * 10_000 + k}.fit", data))
    return files
