"""WHOOP export CSVs: nights from the local date of Wake onset, offsets from `Cycle timezone`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from parsers.base import CANONICAL, ParseError
from parsers.vendors import claimants, whoop

CYCLES_HEADER = (
    "Cycle start time,Cycle end time,Cycle timezone,Recovery score %,Resting heart rate (bpm),"
    "Heart rate variability (ms),Skin temp (celsius),Blood oxygen %,Day Strain,"
    "Energy burned (cal),Max HR (bpm),Average HR (bpm),Sleep onset,Wake onset,"
    "Sleep performance %,Respiratory rate (rpm),Asleep duration (min),In bed duration (min),"
    "Light sleep duration (min),Deep (SWS) duration (min),REM duration (min),"
    "Awake duration (min),Sleep need (min),Sleep debt (min),Sleep efficiency %,"
    "Sleep consistency %"
)
# BOM, a Tokyo night (local wake 2024-03-02 07:05 = 2024-03-01 22:05 UTC), a New York night,
# and the in-progress cycle WHOOP leaves without end time, sleep or recovery.
CYCLES = (
    "\ufeff" + CYCLES_HEADER + "\n"
    "2024-03-01 22:40:00,2024-03-02 22:10:00,UTC+09:00,66,52,94.5,33.4,96,13.2,2400,172,78,"
    "2024-03-01 23:15:00,2024-03-02 07:05:00,88,14.2,432,470,230,92,110,38,491,45,91.9,80\n"
    "2024-02-29 23:10:00,2024-03-01 22:40:00,UTC-04:00,41,57,61,33.9,95,16.8,2900,181,84,"
    "2024-02-29 23:50:00,2024-03-01 06:10:00,62,15.1,310,340,180,55,75,30,500,190,91.2,70\n"
    "2024-03-02 22:10:00,,UTC+09:00,,,,,,4.2,384,143,68,,,,,,,,,,,,,,\n"
).encode()

SLEEPS_HEADER = (
    "Cycle start time,Cycle end time,Cycle timezone,Sleep onset,Wake onset,Sleep performance %,"
    "Respiratory rate (rpm),Asleep duration (min),In bed duration (min),"
    "Light sleep duration (min),Deep (SWS) duration (min),REM duration (min),"
    "Awake duration (min),Sleep need (min),Sleep debt (min),Sleep efficiency %,"
    "Sleep consistency %,Nap"
)
# a night and, on the same local date, an afternoon nap that must not become the night
SLEEPS = (
    SLEEPS_HEADER + "\n"
    "2026-09-26 21:37:59,,UTC-06:00,2026-09-26 21:37:59,2026-09-27 06:30:37,76,17.0,425,532,"
    "237,72,116,107,544,59,77,86,false\n"
    "2026-09-26 21:37:59,,UTC-06:00,2026-09-27 14:00:00,2026-09-27 14:40:00,40,16.0,35,40,"
    "20,5,10,5,0,0,88,0,true\n"
).encode()

SLEEPS_ES = (
    "Hora de inicio del ciclo,Hora de finalización del ciclo,Zona horaria del ciclo,"
    "Inicio del sueño,Inicio de la vigilia,Calificación del sueño (%),"
    "Frecuencia respiratoria (rpm),Duración del sueño (min),Tiempo en la cama (min),"
    "Duración de sueño ligero (min),Duración de sueño profundo (SWS) (min),"
    "Duración de sueño REM (min),Tempo despierto/a (min),Sueño necesario (min),"
    "Deuda de sueño (min),Eficiencia del sueño %,Regularidad del sueño %,Siesta\n"
    "2026-09-26 21:37:59,,UTC-06:00,2026-09-26 21:37:59,2026-09-27 06:30:37,76,17.0,425,532,"
    "237,72,116,107,544,59,77,86,false\n"
).encode()

WORKOUTS = (
    b"Cycle start time,Cycle end time,Cycle timezone,Workout start time,Workout end time,"
    b"Duration (min),Activity name,Activity Strain,Energy burned (cal),Max HR (bpm),"
    b"Average HR (bpm),HR Zone 1 %,HR Zone 2 %,HR Zone 3 %,HR Zone 4 %,HR Zone 5 %,GPS enabled,"
    b"Distance (meters),Altitude gain (meters),Altitude change (meters)\n"
    b"2026-07-26 00:10:39,2026-07-26 23:52:10,UTC+01:00,2026-07-26 17:47:03,"
    b"2026-07-26 19:24:40,97,Cycling,17.1,1137.0,183,147,17,16,42,23,1,true,40250,310,5\n"
    b"2026-07-26 00:10:39,2026-07-26 23:52:10,UTCZ,2026-07-26 20:00:00,2026-07-26 20:30:00,30,"
    b'"Weightlifting",6.0,210.0,150,110,20,40,30,10,0,false,,,\n'
    b"2026-03-01 23:12:00,2026-03-02 22:40:00,GMT-5,2026-03-02 18:10:00,2026-03-02 19:35:00,85,"
    b"Tennis,11.2,720,178,141,10,18,32,28,12,false,,,\n"
)

# an older layout without the cycle end / time-zone columns: local times need the athlete zone
WORKOUTS_NO_TZ = (
    b"Cycle start time,Workout start time,Workout end time,Duration (min),Activity name,"
    b"Activity Strain,Energy burned (cal),Max HR (bpm),Average HR (bpm),HR Zone 1 %,HR Zone 2 %,"
    b"HR Zone 3 %,HR Zone 4 %,HR Zone 5 %,GPS Enabled,Distance (meters),Altitude Gain (meters)\n"
    b"2026-03-02 07:05:00,2026-03-02 18:10:00,2026-03-02 19:35:00,85,Running,11.2,720,178,141,"
    b"10,18,32,28,12,true,12000,80\n"
)

FIXTURES = {
    "physiological_cycles.csv": (whoop.FORMAT_CYCLES, CYCLES),
    "sleeps.csv": (whoop.FORMAT_SLEEPS, SLEEPS),
    "sueño.csv": (whoop.FORMAT_SLEEPS, SLEEPS_ES),
    "workouts.csv": (whoop.FORMAT_WORKOUTS, WORKOUTS),
    "workouts_old.csv": (whoop.FORMAT_WORKOUTS, WORKOUTS_NO_TZ),
}


def by_night(parsed) -> dict[tuple[date, str], float]:
    frame = parsed.frames["device_summaries"]
    assert frame.schema == pl.Schema(CANONICAL["device_summaries"])
    return {(r["night"], r["metric"]): r["value"] for r in frame.iter_rows(named=True)}


@pytest.mark.parametrize("name", FIXTURES)
def test_only_its_own_sniffer_claims_it(name):
    fmt, data = FIXTURES[name]
    assert claimants(data, name) == [fmt]


def test_cycles_night_is_local_wake_date_and_offset_gives_utc():
    parsed = whoop.parse_cycles(CYCLES, "physiological_cycles.csv")
    values = by_night(parsed)
    tokyo, new_york = date(2024, 3, 2), date(2024, 3, 1)
    assert values[(tokyo, "resting_hr")] == 52
    assert values[(tokyo, "hrv_rmssd_ms")] == 94.5
    assert values[(tokyo, "recovery_score")] == 66
    assert values[(tokyo, "sleep_hours")] == pytest.approx(432 / 60)
    assert values[(new_york, "resting_hr")] == 57
    assert values[(new_york, "hrv_rmssd_ms")] == 61
    assert len(values) == 8  # the in-progress cycle has no wake, hence no night
    ts = parsed.frames["device_summaries"].filter(pl.col("night") == tokyo)["ts"].unique()
    assert ts.to_list() == [datetime(2024, 3, 1, 22, 5, tzinfo=UTC)]
    assert parsed.vendor == "whoop" and parsed.format == "whoop_cycles"
    assert parsed.utc_offset_s in (9 * 3600, -4 * 3600)


def test_sleeps_skip_naps_and_give_stage_hours():
    values = by_night(whoop.parse_sleeps(SLEEPS, "sleeps.csv"))
    night = date(2026, 9, 27)
    assert values[(night, "sleep_hours")] == pytest.approx(425 / 60)
    assert values[(night, "light_sleep_hours")] == pytest.approx(237 / 60)
    assert values[(night, "deep_sleep_hours")] == pytest.approx(72 / 60)
    assert values[(night, "rem_sleep_hours")] == pytest.approx(116 / 60)
    assert values[(night, "awake_hours")] == pytest.approx(107 / 60)
    assert {m for (_, m) in values} == {"sleep_hours", "light_sleep_hours", "deep_sleep_hours",
                                        "rem_sleep_hours", "awake_hours"}


def test_spanish_headers_read_like_english():
    english = whoop.parse_sleeps(SLEEPS, "sleeps.csv").frames["device_summaries"]
    spanish = whoop.parse_sleeps(SLEEPS_ES, "sueño.csv").frames["device_summaries"]
    assert spanish.equals(english)


def test_workouts_to_activities_in_utc_with_fit_sport_names():
    acts = whoop.parse_workouts(WORKOUTS, "workouts.csv").frames["activities"]
    assert acts.schema == pl.Schema(CANONICAL["activities"])
    rows = acts.sort("start_ts").to_dicts()
    assert rows[0] == {
        "start_ts": datetime(2026, 3, 2, 23, 10, tzinfo=UTC), "duration_s": 85 * 60.0,
        "sport": "tennis", "sub_sport": None, "avg_hr": 141.0, "max_hr": 178.0,
        "distance_m": None,
    }
    assert rows[1]["start_ts"] == datetime(2026, 7, 26, 16, 47, 3, tzinfo=UTC)
    assert rows[1]["duration_s"] == 97 * 60 + 37  # from start and end, to the second
    assert (rows[1]["sport"], rows[1]["distance_m"]) == ("cycling", 40250.0)
    assert rows[2]["start_ts"] == datetime(2026, 7, 26, 20, 0, tzinfo=UTC)  # UTCZ
    assert (rows[2]["sport"], rows[2]["sub_sport"]) == ("training", "strength_training")


def test_workouts_without_offset_column_use_the_athlete_zone():
    acts = whoop.parse_workouts(WORKOUTS_NO_TZ, "workouts.csv", tz="Europe/Amsterdam")
    assert acts.frames["activities"]["start_ts"].to_list() == [
        datetime(2026, 3, 2, 17, 10, tzinfo=UTC)]
    as_utc = whoop.parse_workouts(WORKOUTS_NO_TZ, "workouts.csv")
    assert as_utc.frames["activities"]["start_ts"].to_list() == [
        datetime(2026, 3, 2, 18, 10, tzinfo=UTC)]


def test_missing_wake_column_is_a_precise_error():
    data = b"Cycle start time,Cycle timezone,Resting heart rate (bpm)\n2024-03-01 22:40:00,UTC,52\n"
    with pytest.raises(ParseError, match="no Wake onset column"):
        whoop.parse_cycles(data, "physiological_cycles.csv")


def test_unreadable_dates_are_an_error_not_an_empty_file():
    data = CYCLES_HEADER.encode() + (
        b"\n03/01/2024 22:40,,UTC+09:00,66,52,94.5,,,,,,,x,03/02/2024 7:05 AM,,,432"
        + b",,,,,,,,,\n")
    with pytest.raises(ParseError, match="03/02/2024 7:05 AM"):
        whoop.parse_cycles(data, "physiological_cycles.csv")


def test_header_only_file_is_empty_not_an_error():
    parsed = whoop.parse_cycles((CYCLES_HEADER + "\n").encode(), "physiological_cycles.csv")
    assert parsed.frames == {}


@pytest.mark.parametrize("spelling, seconds", [
    ("UTC-04:00", -4 * 3600), ("UTC+09:00", 9 * 3600), ("GMT-5", -5 * 3600),
    ("-05:00", -5 * 3600), ("UTC+05:30", 5 * 3600 + 1800), ("+0530", 5 * 3600 + 1800),
    ("UTC", 0), ("UTCZ", 0), ("Z", 0),
])
def test_cycle_timezone_spellings(spelling, seconds):
    data = (CYCLES_HEADER + "\n2024-03-01 22:40:00,," + spelling + ",66,52,94.5,,,,,,,"
            "2024-03-01 23:15:00,2024-03-02 07:05:00,,,432,,,,,,,,,\n").encode()
    parsed = whoop.parse_cycles(data, "physiological_cycles.csv")
    ts = parsed.frames["device_summaries"]["ts"].unique().to_list()
    assert ts == [datetime(2024, 3, 2, 7, 5, tzinfo=UTC) - timedelta(seconds=seconds)]
    assert parsed.utc_offset_s == seconds


def test_utf16_export_with_bom_reads_like_utf8():
    utf16 = CYCLES.decode("utf-8").lstrip("\ufeff").encode("utf-16")
    assert claimants(utf16, "physiological_cycles.csv") == [whoop.FORMAT_CYCLES]
    assert whoop.parse_cycles(utf16, "c.csv").frames["device_summaries"].equals(
        whoop.parse_cycles(CYCLES, "c.csv").frames["device_summaries"])
