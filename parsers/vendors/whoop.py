"""WHOOP app export (More -> App settings -> Data export): three CSVs, one format each.

WHOOP writes local wall-clock times and puts the offset in a separate `Cycle timezone`
column (`UTC-04:00`, `UTC+09:00`, `GMT-5`, `UTCZ`); a night is the local date of
`Wake onset` (FIELD-NOTES). Headers are translated with the account language, so each
column is looked up by its English and Spanish labels. See docs/sources/whoop.md.
"""

from __future__ import annotations

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import (
    VendorFormat,
    check_dates,
    common_offset,
    find_column,
    frames_of,
    header_of,
    naive_datetime,
    norm,
    number,
    offset_seconds,
    read_table,
    require_column,
    sport_columns,
    summaries,
    truthy,
    utc_from_local,
    utc_from_zone,
)
from parsers.vendors.placing import unreadable_dates

VENDOR = "whoop"
FORMAT_CYCLES = "whoop_cycles"
FORMAT_SLEEPS = "whoop_sleeps"
FORMAT_WORKOUTS = "whoop_workouts"

#: Column labels as the export spells them, English first, then Spanish (verbatim headers).
COLUMNS: dict[str, tuple[str, ...]] = {
    "cycle_start": ("Cycle start time", "Hora de inicio del ciclo"),
    "timezone": ("Cycle timezone", "Zona horaria del ciclo"),
    "recovery": ("Recovery score %", "Puntuación de recuperación (%)"),
    "resting_hr": (
        "Resting heart rate (bpm)",
        "Resting heart rate",
        "Frecuencia cardíaca en reposo (lpm)",
    ),
    "hrv": (
        "Heart rate variability (ms)",
        "Heart rate variability",
        "Variabilidad de la frecuencia cardíaca (ms)",
    ),
    "onset": ("Sleep onset", "Inicio del sueño"),
    "wake": ("Wake onset", "Inicio de la vigilia"),
    "asleep": ("Asleep duration (min)", "Duración del sueño (min)"),
    "light": ("Light sleep duration (min)", "Duración de sueño ligero (min)"),
    "deep": ("Deep (SWS) duration (min)", "Duración de sueño profundo (SWS) (min)"),
    "rem": ("REM duration (min)", "Duración de sueño REM (min)"),
    "awake": ("Awake duration (min)", "Tempo despierto/a (min)", "Tiempo despierto/a (min)"),
    "nap": ("Nap", "Siesta"),
    "workout_start": ("Workout start time", "Hora de inicio del entrenamiento"),
    "workout_end": ("Workout end time", "Hora de finalización del entrenamiento"),
    "duration": ("Duration (min)", "Duración (min)"),
    "activity": ("Activity name", "Nombre de la actividad"),
    "max_hr": ("Max HR (bpm)", "FC máx. (lpm)"),
    "avg_hr": ("Average HR (bpm)", "FC promedio (lpm)"),
    "distance": ("Distance (meters)", "Distancia (metros)"),
}


def _has(header: list[str], key: str) -> bool:
    return any(norm(label) in header for label in COLUMNS[key])


def _col(columns: list[str], key: str) -> str | None:
    return find_column(columns, *COLUMNS[key])


# ---------------------------------------------------------------- sniffers


def sniff_cycles(data: bytes, name: str) -> bool:
    """`Cycle start time` plus recovery columns (resting HR / HRV / recovery score)."""
    h = header_of(data)
    return (
        _has(h, "cycle_start")
        and any(_has(h, k) for k in ("recovery", "resting_hr", "hrv"))
        and not _has(h, "workout_start")
    )


def sniff_sleeps(data: bytes, name: str) -> bool:
    """`Cycle start time` + `Sleep onset`/`Wake onset`, no recovery or workout columns."""
    h = header_of(data)
    return (
        _has(h, "cycle_start")
        and _has(h, "onset")
        and _has(h, "wake")
        and not any(_has(h, k) for k in ("recovery", "resting_hr", "hrv", "workout_start"))
    )


def sniff_workouts(data: bytes, name: str) -> bool:
    """`Workout start time` with `Activity name` (some versions drop the cycle columns)."""
    h = header_of(data)
    return _has(h, "workout_start") and (_has(h, "activity") or _has(h, "cycle_start"))


# ---------------------------------------------------------------- time


def _utc(frame_cols: list[str], naive: pl.Expr, tz: str | None) -> pl.Expr:
    """Local wall time -> UTC with the row's `Cycle timezone`, else the athlete's zone `tz`."""
    fallback = utc_from_zone(naive, tz)
    tz_col = _col(frame_cols, "timezone")
    if tz_col is None:
        return fallback
    return pl.coalesce(utc_from_local(naive, offset_seconds(tz_col)), fallback)


def _offset(frame: pl.DataFrame) -> int | None:
    tz_col = _col(frame.columns, "timezone")
    if tz_col is None:
        return None
    return common_offset(frame.select(offset_seconds(tz_col)).to_series())


def _minutes_to_hours(frame: pl.DataFrame, key: str) -> pl.Expr | None:
    col = _col(frame.columns, key)
    return None if col is None else number(col) / 60.0


def _longest_per_night(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per night: the longest sleep (two cycles can end on one local date)."""
    return (
        frame.sort("_asleep_min", descending=True, nulls_last=True)
        .unique(subset=["_night"], keep="first", maintain_order=True)
        .sort("_night")
    )


def _nights(frame: pl.DataFrame, name: str, tz: str | None) -> pl.DataFrame:
    """Adds `_night` (local date of Wake onset), `_wake_utc`, `_asleep_min`; drops unscored rows."""
    wake = require_column(frame.columns, "Wake onset", *COLUMNS["wake"], name=name)
    asleep = _col(frame.columns, "asleep")
    wake_naive = naive_datetime(wake)
    check_dates(frame, wake_naive, wake, name)
    return frame.with_columns(
        wake_naive.dt.date().alias("_night"),
        _utc(frame.columns, wake_naive, tz).alias("_wake_utc"),
        (number(asleep) if asleep else pl.lit(None, pl.Float64)).alias("_asleep_min"),
    ).filter(pl.col("_night").is_not_null())


def _lost_nights(frame: pl.DataFrame, name: str) -> tuple[dict[str, int], list[str]]:
    """Cycles whose Wake onset is filled but unreadable (an empty one is an unscored cycle,
    e.g. the current day's, and carries no night)."""
    wake = require_column(frame.columns, "Wake onset", *COLUMNS["wake"], name=name)
    return unreadable_dates(frame, naive_datetime(wake), wake, "cycle")


# ---------------------------------------------------------------- parsers


def parse_cycles(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """physiological_cycles.csv -> device_summaries (resting HR, HRV, recovery, sleep hours)."""
    # Cycle start time,Cycle end time,Cycle timezone,Recovery score %,Resting heart rate (bpm),
    # Heart rate variability (ms),...,Sleep onset,Wake onset,...,Asleep duration (min),...
    # 2025-11-04 03:10:36,2025-11-05 04:59:53,UTC+07:00,66,52,94,...,2025-11-04 09:17:37,...,327
    table = read_table(data, name).frame
    require_column(table.columns, "Cycle start time", *COLUMNS["cycle_start"], name=name)
    rows = _longest_per_night(_nights(table, name, tz))
    dropped, problems = _lost_nights(table, name)
    metrics = {
        metric: number(col)
        for metric, key in (("resting_hr", "resting_hr"), ("hrv_rmssd_ms", "hrv"),
                            ("recovery_score", "recovery"))
        if (col := _col(rows.columns, key))
    }
    if (hours := _minutes_to_hours(rows, "asleep")) is not None:
        metrics["sleep_hours"] = hours
    out = summaries(rows, metrics, VENDOR, night=pl.col("_night"), ts=pl.col("_wake_utc"))
    return ParsedFile(FORMAT_CYCLES, frames_of(device_summaries=out), vendor=VENDOR,
                      utc_offset_s=_offset(table), dropped=dropped, problems=problems)


def parse_sleeps(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """sleeps.csv -> device_summaries for the main sleep of each night; naps are skipped."""
    # Cycle start time,Cycle end time,Cycle timezone,Sleep onset,Wake onset,...,
    # Asleep duration (min),In bed duration (min),Light sleep duration (min),
    # Deep (SWS) duration (min),REM duration (min),Awake duration (min),...,Nap
    # 2026-09-25 22:02:56,2026-09-26 21:37:59,UTC-06:00,2026-09-26 14:00:00,...,35,...,true
    table = read_table(data, name).frame
    nap = _col(table.columns, "nap")
    main = table.filter(~truthy(nap)) if nap else table
    rows = _longest_per_night(_nights(main, name, tz))
    dropped, problems = _lost_nights(main, name)
    metrics: dict[str, pl.Expr] = {}
    for metric, key in (("sleep_hours", "asleep"), ("light_sleep_hours", "light"),
                        ("deep_sleep_hours", "deep"), ("rem_sleep_hours", "rem"),
                        ("awake_hours", "awake")):
        if (hours := _minutes_to_hours(rows, key)) is not None:
            metrics[metric] = hours
    out = summaries(rows, metrics, VENDOR, night=pl.col("_night"), ts=pl.col("_wake_utc"))
    return ParsedFile(FORMAT_SLEEPS, frames_of(device_summaries=out), vendor=VENDOR,
                      utc_offset_s=_offset(table), dropped=dropped, problems=problems)


def parse_workouts(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """workouts.csv -> activities (start in UTC via the row's offset, sport from its name)."""
    # Cycle start time,Cycle end time,Cycle timezone,Workout start time,Workout end time,
    # Duration (min),Activity name,Activity Strain,Energy burned (cal),Max HR (bpm),
    # Average HR (bpm),HR Zone 1 %,...,GPS enabled,Distance (meters),Altitude gain (meters)
    # 2026-07-26 00:10:39,2026-07-26 23:52:10,UTC+01:00,2026-07-26 17:47:03,...,97,Cycling,...
    table = read_table(data, name).frame
    cols = table.columns
    start = require_column(cols, "Workout start time", *COLUMNS["workout_start"], name=name)
    end, dur = _col(cols, "workout_end"), _col(cols, "duration")
    start_naive = naive_datetime(start)
    from_end = (naive_datetime(end) - start_naive).dt.total_seconds() if end else None
    from_min = number(dur) * 60.0 if dur else None
    duration = pl.coalesce([e for e in (from_end, from_min) if e is not None] or [pl.lit(None)])
    sport = _col(cols, "activity")
    sports = sport_columns(sport) if sport else [pl.lit(None, pl.String).alias("sport")]
    optional = {"avg_hr": "avg_hr", "max_hr": "max_hr", "distance_m": "distance"}
    acts = table.select(
        _utc(cols, start_naive, tz).alias("start_ts"),
        duration.cast(pl.Float64).alias("duration_s"),
        *sports,
        *[(number(c) if (c := _col(cols, key)) else pl.lit(None, pl.Float64)).alias(out)
          for out, key in optional.items()],
    ).filter(pl.col("start_ts").is_not_null())
    dropped, problems = unreadable_dates(table, _utc(cols, start_naive, tz), start, "workout")
    return ParsedFile(FORMAT_WORKOUTS, frames_of(activities=conform(acts, "activities")),
                      vendor=VENDOR, utc_offset_s=_offset(table), dropped=dropped,
                      problems=problems)


PARSERS = [
    VendorFormat(FORMAT_CYCLES, sniff_cycles, parse_cycles),
    VendorFormat(FORMAT_SLEEPS, sniff_sleeps, parse_sleeps),
    VendorFormat(FORMAT_WORKOUTS, sniff_workouts, parse_workouts),
]
