"""Apple Health (docs/sources/apple_health.md): export.xml (HR, resting HR, SDNN only — so no
`hrv_ms` —, sleep, workouts) and the workout-routes GPX files of export.zip.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sample_data.plan import local_to_unix
from sample_data.vendors.common import (
    ASLEEP,
    MINUTE,
    Expect,
    Member,
    StudyAthlete,
    fmt_offset,
    local_time,
    naive,
    offset_s,
    sleep_hr_series,
)

APPLE_PROLOG = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 11 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
]>
"""

HKQ = "HKQuantityTypeIdentifier"

HK_SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"

HK_SLEEP_VALUE = "HKCategoryValueSleepAnalysis"

#: iOS 16+ stage values; before it only InBed and Asleep were written.
APPLE_STAGES = {"light": "AsleepCore", "deep": "AsleepDeep", "rem": "AsleepREM", "awake": "Awake"}


def _apple_date(ts: int, tz: ZoneInfo) -> str:
    return naive(ts, tz) + " " + fmt_offset(offset_s(ts, tz), colon=False)


def _record(
    kind: str,
    start: int,
    end: int,
    value: str,
    unit: str,
    tz: ZoneInfo,
    source: str = "Apple Watch",
) -> str:
    s, e = _apple_date(start, tz), _apple_date(end, tz)
    unit_attr = f' unit="{unit}"' if unit else ""
    return (
        f' <Record type="{kind}" sourceName="{source}" sourceVersion="10.1"{unit_attr} '
        f'creationDate="{e}" startDate="{s}" endDate="{e}" value="{value}"/>'
    )


def apple_health(a: StudyAthlete, ex: Expect, rng: random.Random) -> bytes:
    """export.xml: HR, resting HR, SDNN spot checks, sleep (old kinds, then iOS 16 stages),
    workouts. Records are grouped by type, as Apple writes them."""
    tz = a.tz
    hr, resting, sdnn, sleep = [], [], [], []
    new_kinds_from = a.days // 2
    for n in a.nights:
        series = sleep_hr_series(n, rng)
        for t, bpm in series:
            hr.append(_record(f"{HKQ}HeartRate", t, t, str(bpm), "count/min", tz))
        day_end = local_to_unix(n.night, 21 * 60, tz)
        for t in range(n.out_of_bed + 20 * MINUTE, day_end, 20 * MINUTE):
            hr.append(_record(f"{HKQ}HeartRate", t, t, str(rng.randint(62, 96)), "count/min", tz))
        resting.append(
            _record(
                f"{HKQ}RestingHeartRate",
                local_to_unix(n.night, 4, tz),
                local_to_unix(n.night, 23 * 60 + 58, tz),
                str(n.resting_hr + 1),
                "count/min",
                tz,
            )
        )
        for minutes in (2 * 60 + 30, 10 * 60, 15 * 60 + 30):  # SDNN: spot readings, not RMSSD
            t = local_to_unix(n.night, minutes, tz)
            sdnn.append(
                _record(
                    f"{HKQ}HeartRateVariabilitySDNN",
                    t,
                    t + 60,
                    f"{n.hrv_ms * 0.7 + rng.uniform(-6, 6):.3f}",
                    "ms",
                    tz,
                )
            )
        sleep.append(
            _record(HK_SLEEP, n.bedtime, n.out_of_bed, f"{HK_SLEEP_VALUE}InBed", "", tz, "iPhone")
        )
        if n.index < new_kinds_from:  # before iOS 16: asleep stretches only, gaps unrecorded
            stretch: list[int] = []
            for st, s, e in (*n.runs, ("awake", n.out_of_bed, n.out_of_bed)):
                if st in ASLEEP:
                    stretch = [stretch[0] if stretch else s, e]
                elif stretch:
                    sleep.append(
                        _record(HK_SLEEP, stretch[0], stretch[1], f"{HK_SLEEP_VALUE}Asleep", "", tz)
                    )
                    stretch = []
            nap_value = f"{HK_SLEEP_VALUE}Asleep"
        else:
            for st, s, e in n.runs:
                sleep.append(_record(HK_SLEEP, s, e, HK_SLEEP_VALUE + APPLE_STAGES[st], "", tz))
            nap_value = f"{HK_SLEEP_VALUE}AsleepUnspecified"
        if n.nap:
            sleep.append(_record(HK_SLEEP, n.nap[0][1], n.nap[-1][2], nap_value, "", tz))
        ex.add(n.night, "stages", n.sleep_hours, "apple_health_xml")
        ex.add(n.night, "sleep_hr_30min", n.resting_hr, "apple_health_xml")
        ex.add(n.night, "dev_resting_hr", n.resting_hr + 1, "apple_health_xml")
    ex.none_note.setdefault("hrv_ms", "apple_health_xml SDNN is not RMSSD")
    workouts = []
    types = {"run": "Running", "ride": "Cycling", "strength": "TraditionalStrengthTraining"}
    for k, w in enumerate(a.workouts):
        s, e = _apple_date(w.start, tz), _apple_date(w.start + w.duration_s, tz)
        old = k % 2 == 0
        dist_attr = (
            f' totalDistance="{w.distance_m / 1000:.3f}" totalDistanceUnit="km"'
            if old and w.distance_m
            else ""
        )
        stats = [
            f'  <WorkoutStatistics type="{HKQ}HeartRate" startDate="{s}" endDate="{e}" '
            f'average="{w.avg_hr}" minimum="{w.avg_hr - 30}" maximum="{w.max_hr}" '
            f'unit="count/min"/>'
        ]
        if not old and w.distance_m:
            kind = "DistanceCycling" if w.kind == "ride" else "DistanceWalkingRunning"
            stats.append(
                f'  <WorkoutStatistics type="{HKQ}{kind}" startDate="{s}" endDate="{e}" '
                f'sum="{w.distance_m / 1000:.3f}" unit="km"/>'
            )
        workouts.append(
            f' <Workout workoutActivityType="HKWorkoutActivityType{types[w.kind]}" '
            f'duration="{w.duration_s / 60:g}" durationUnit="min"{dist_attr} '
            f'sourceName="Apple Watch" sourceVersion="10.1" creationDate="{e}" startDate="{s}" '
            f'endDate="{e}">\n  <MetadataEntry key="HKTimeZone" value="{a.time_zone}"/>\n'
            + "\n".join(stats)
            + "\n </Workout>"
        )
    export_date = _apple_date(local_to_unix(a.start + timedelta(days=a.days), 9 * 60, tz), tz)
    body = [
        '<HealthData locale="en_GB">',
        f' <ExportDate value="{export_date}"/>',
        f' <Me HKCharacteristicTypeIdentifierDateOfBirth="{a.birth_year}-05-01" '
        f'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSex'
        f'{"Female" if a.sex == "F" else "Male"}"/>',
        *hr,
        *resting,
        *sdnn,
        *sleep,
        *workouts,
        "</HealthData>",
        "",
    ]
    return (APPLE_PROLOG + "\n".join(body)).encode()


def apple_routes(a: StudyAthlete, rng: random.Random) -> list[Member]:
    """`workout-routes/route_*.gpx`: the GPS track of each outdoor workout, as export.zip
    holds them (no heart rate; herstel currently loads each as a second activity)."""
    members = []
    for w in a.workouts:
        if w.distance_m is None:
            continue
        points = []
        for k in range(0, w.duration_s + 1, 60):
            when = datetime.fromtimestamp(w.start + k, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            lat, lon = 52.358 + 0.0004 * math.sin(k / 600), 4.8686 + 0.0006 * math.cos(k / 600)
            points.append(
                f'   <trkpt lon="{lon:.6f}" lat="{lat:.6f}"><ele>{rng.uniform(0, 5):.1f}'
                f"</ele><time>{when}</time><extensions><speed>"
                f"{w.distance_m / w.duration_s:.2f}</speed><hAcc>3.0</hAcc>"
                "</extensions></trkpt>"
            )
        local = local_time(w.start, a.tz)
        stamp = local.strftime("%Y-%m-%d_%I.%M%p").lower().replace("_0", "_")
        gpx = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Apple Health '
            'Export" xmlns="http://www.topografix.com/GPX/1/1">\n <trk><name>Route '
            f"{local:%Y-%m-%d %H:%M}</name><trkseg>\n"
            + "\n".join(points)
            + "\n </trkseg></trk>\n</gpx>\n"
        )
        members.append(
            Member(f"apple_health_export/workout-routes/route_{stamp}.gpx", gpx.encode(), "gpx")
        )
    return members
