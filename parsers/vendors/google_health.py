"""Google Health Takeout (the post-Fitbit layout): the `*_GoogleData` CSV folders.

Google Takeout -> "Google Health" writes `Takeout/Google Health/` with `Global Export Data/`
(the legacy Fitbit JSON, read by `parsers.vendors.fitbit`) and folders of CSVs, each with a
README per dataset. Read here:

- `Health Fitness Data_GoogleData/UserSleeps_*.csv` -> nightly sleep summaries
- `Health Fitness Data_GoogleData/UserSleepStages_*.csv` -> sleep_stages
- `.../Heart Rate Variability/heart_rate_variability_*.csv` -> hrv_samples (5-minute RMSSD)
- `.../Daily Heart Rate Variability/daily_heart_rate_variability_*.csv` -> nightly RMSSD
- `.../Daily Resting Heart Rate/daily_resting_heart_rate*.csv` -> resting_hr per day
- `.../Heart Rate/heart_rate_*.csv` -> heart_rate (monitoring)

Times (docs/sources/google_health.md): every `timestamp` is a UTC instant (`...Z`); a DAILY
row stamped `T00:00:00Z` names the LOCAL calendar date (its night), it is not midnight UTC.
`sleep_start`/`sleep_end` are UTC by Google's README, next to per-row `*_utc_offset`s
(`+02:00`) that only give local dates. Some exports were seen with local wall times there,
still labelled UTC; a file whose rows agree with the offsets only when read as local time
(a clock-change night, or a record created before its labelled end) is read as local wall
time minus its offset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import polars as pl

from parsers.base import ParsedFile, conform
from parsers.vendors.common import (
    SNIFF_BYTES,
    VendorFormat,
    common_offset,
    decode_text,
    frames_of,
    head_text,
    header_of,
    iso_utc,
    local_date,
    merge_runs,
    naive_datetime,
    number,
    offset_seconds,
    read_table,
    require_column,
    summaries,
)

VENDOR = "google_health"
FORMAT_SLEEPS = "google_health_sleeps_csv"
FORMAT_STAGES = "google_health_sleep_stages_csv"
FORMAT_HRV = "google_health_hrv_csv"
FORMAT_DAILY_HRV = "google_health_daily_hrv_csv"
FORMAT_RESTING_HR = "google_health_resting_hr_csv"
FORMAT_HEART_RATE = "google_health_heart_rate_csv"

RMSSD = "root mean square of successive differences milliseconds"
DAILY_RMSSD = "average heart rate variability milliseconds"
NREM_HR = "non rem heart rate beats per minute"
BPM = "beats per minute"
#: `sleep_stage_type` -> canonical stage (README: AWAKE, LIGHT, DEEP, REM, ASLEEP; classic
#: logs also write RESTLESS, which Fitbit never counts as asleep).
STAGES = {"AWAKE": "awake", "WAKE": "awake", "RESTLESS": "awake", "LIGHT": "light",
          "DEEP": "deep", "REM": "rem", "ASLEEP": "asleep", "UNKNOWN": "unmeasurable"}
#: Two durations (s) closer than this are the same (the files are to the minute).
SAME_S = 60
#: `dropped` reasons of this module.
CUT_ROW = "row_cut_short"
UNREADABLE_ROW = "row_unreadable"
UNKNOWN_STAGE = "sleep_stage_unknown"


# ---------------------------------------------------------------- sniffing


def sniff_sleeps(data: bytes, name: str) -> bool:
    """UserSleeps: `sleep_id,sleep_type,...,start_utc_offset,sleep_start,...,sleep_end`."""
    return {"sleep_id", "sleep_start", "sleep_end", "minutes_asleep"} <= set(header_of(data))


def sniff_stages(data: bytes, name: str) -> bool:
    """UserSleepStages: `sleep_id,sleep_stage_id,sleep_stage_type,...,sleep_stage_end`."""
    need = {"sleep_id", "sleep_stage_type", "sleep_stage_start", "sleep_stage_end"}
    return need <= set(header_of(data))


def sniff_hrv(data: bytes, name: str) -> bool:
    """`timestamp,root mean square of successive differences milliseconds,standard ...`."""
    h = set(header_of(data))
    return {"timestamp", RMSSD} <= h and DAILY_RMSSD not in h


def sniff_daily_hrv(data: bytes, name: str) -> bool:
    """`timestamp,average heart rate variability milliseconds,non rem heart rate ...`."""
    return {"timestamp", DAILY_RMSSD} <= set(header_of(data))


def _bpm_file(data: bytes) -> bool:
    h = header_of(data)
    return h[:2] == ["timestamp", BPM] and len(h) <= 3


def _daily_stamps(data: bytes, name: str) -> bool:
    """Daily resting HR rather than intraday HR: the name says so (the only tie-breaker for a
    one-row file), else every stamp in the first 4 KB is at midnight and on its own date."""
    if "resting" in name.replace("\\", "/").rsplit("/", 1)[-1].lower():
        return True
    lines = head_text(data).splitlines()[1:]
    if len(data) > SNIFF_BYTES:
        lines = lines[:-1]  # cut where the sniffed bytes end
    stamps = [s for s in (line.split(",", 1)[0].strip() for line in lines) if len(s) >= 19]
    days = [s[:10] for s in stamps]
    return len(stamps) >= 2 and all(s[11:19] == "00:00:00" for s in stamps) and len(
        set(days)) == len(days)


def sniff_resting_hr(data: bytes, name: str) -> bool:
    return _bpm_file(data) and _daily_stamps(data, name)


def sniff_heart_rate(data: bytes, name: str) -> bool:
    return _bpm_file(data) and not _daily_stamps(data, name)


# ---------------------------------------------------------------- shared reading


def _table(data: bytes, name: str) -> tuple[pl.DataFrame, dict[str, int], list[str]]:
    """The CSV as strings; a last line cut short (a truncated download) is dropped, counted."""
    text = decode_text(data, name)
    dropped, problems = {}, []
    lines = text.rstrip("\r\n").split("\n")
    if len(lines) > 1 and not text.endswith("\n"):
        header_cells = lines[0].count(",")
        if lines[-1].count(",") < header_cells:
            text = "\n".join(lines[:-1]) + "\n"
            dropped[CUT_ROW] = 1
            problems.append("the file ends in the middle of a row (the export or its download "
                            "was cut short): that row is skipped; download the export again "
                            "to get it")
    return read_table(text.encode(), name).frame, dropped, problems


def _utc(col: str) -> pl.Expr:
    """`2025-10-25T20:50:00Z`, `2025-10-25 20:50:00+0000`, `...T20:50:00.000Z` -> UTC; a time
    without a marker is read as UTC too, as the README documents every timestamp."""
    s = pl.col(col).str.strip_chars().str.replace(" ", "T")
    s = s.str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
    naive = naive_datetime(pl.col(col)).dt.replace_time_zone("UTC")
    return pl.coalesce(iso_utc(s), naive)


def _lost(frame: pl.DataFrame, keep: pl.Expr, raw: str, what: str,
          dropped: dict[str, int], problems: list[str], label: str | None = None,
          ) -> pl.DataFrame:
    """Rows failing `keep` are dropped, counted under `row_unreadable` and named once, with
    the `raw` column's value of the first (shown as column `label`)."""
    kept = frame.filter(keep.fill_null(False))
    lost = frame.height - kept.height
    if lost:
        example = frame.filter(~keep.fill_null(False))[raw][0]
        dropped[UNREADABLE_ROW] = dropped.get(UNREADABLE_ROW, 0) + lost
        problems.append(f"{lost} {what} row{'s' if lost > 1 else ''} skipped: a time or value "
                        f"herstel cannot read (e.g. {label or raw} {example!r})")
    return kept


def _offsets(col: str | None) -> pl.Expr:
    return offset_seconds(pl.col(col)) if col else pl.lit(None, pl.Int32)


# ---------------------------------------------------------------- time semantics


def _as_local(frame: pl.DataFrame, expected_s: pl.Expr | None = None) -> bool:
    """Are `_start`/`_end` local wall times labelled UTC? Decided for the whole file.

    Two kinds of rows can tell, each votes for one reading. A clock-change night (start and
    end offsets differ): read as UTC its duration is `_end - _start`, read as local wall time
    that minus the offset change; a reading giving a duration <= 0, or (sleeps) missing
    `minutes_in_sleep_period` while the other matches it, is wrong. A record last updated
    (synced) less than its offset after waking: the reading that puts the end after
    `_created` (the last update, a UTC time by the README) is wrong. With no votes, or a
    tie, the README's UTC holds.
    """
    change = (pl.col("_end_off") - pl.col("_start_off")).cast(pl.Int64)
    as_utc = (pl.col("_end") - pl.col("_start")).dt.total_seconds()
    as_local = as_utc - change
    no = pl.lit(False)
    fits = (no, no) if expected_s is None else (
        ((as_local - expected_s).abs() < SAME_S) & ((as_utc - expected_s).abs() >= SAME_S),
        ((as_utc - expected_s).abs() < SAME_S) & ((as_local - expected_s).abs() >= SAME_S))
    local_end = pl.col("_end") - pl.duration(seconds=pl.col("_end_off"))
    created = pl.col("_created")
    votes = frame.select(
        local=(((as_utc <= 0) & (as_local > 0)) | fits[0]) & (change != 0),
        utc=(((as_local <= 0) & (as_utc > 0)) | fits[1]) & (change != 0),
        local_c=(pl.col("_end") > created) & (local_end <= created),
        utc_c=(local_end > created) & (pl.col("_end") <= created),
    ).fill_null(False).sum()
    local = votes["local"][0] + votes["local_c"][0]
    utc = votes["utc"][0] + votes["utc_c"][0]
    return bool(local > utc)


def _instants(frame: pl.DataFrame, local: bool) -> pl.DataFrame:
    """`_start`/`_end` as true UTC instants (local wall time minus its own offset)."""
    if not local:
        return frame
    return frame.with_columns(
        (pl.col("_start") - pl.duration(seconds=pl.col("_start_off"))).alias("_start"),
        (pl.col("_end") - pl.duration(seconds=pl.col("_end_off"))).alias("_end"),
    )


def _interval_frame(data: bytes, name: str, start: str, end: str,
                    extra: Callable[[list[str]], dict[str, pl.Expr]],
                    ) -> tuple[pl.DataFrame, dict, list]:
    """`_start, _end` (as labelled), their offsets (s), `_raw` and the `extra(columns)`."""
    frame, dropped, problems = _table(data, name)
    cols = frame.columns
    s = require_column(cols, start, start, name=name)
    e = require_column(cols, end, end, name=name)
    s_off = next((c for c in cols if c.strip().lower() == "start_utc_offset"), None)
    e_off = next((c for c in cols if c.strip().lower() == "end_utc_offset"), None)
    # the record's last update (else its creation) comes after the sleep ended: a record
    # created when the sleep began, then filled in, would mislead (a nap of 30 minutes)
    made = next((c for name in ("sleep_last_updated", "sleep_stage_last_updated",
                                "sleep_created", "sleep_stage_created")
                 for c in cols if c.strip().lower() == name), None)
    out = frame.select(
        (_utc(made) if made else pl.lit(None, pl.Datetime("us", "UTC"))).alias("_created"),
        _utc(s).alias("_start"), _utc(e).alias("_end"),
        _offsets(s_off).alias("_start_off"), _offsets(e_off).alias("_end_off"),
        pl.col(s).alias("_raw"), *(expr.alias(k) for k, expr in extra(cols).items()),
    )
    return out, dropped, problems


# ---------------------------------------------------------------- sleep


def parse_sleeps(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """UserSleeps -> per night (local date of the wake-up) the main sleep's summaries."""
    # sleep_id,sleep_type,minutes_in_sleep_period,minutes_after_wake_up,minutes_to_fall_asleep,
    #   minutes_asleep,minutes_awake,minutes_longest_awakening,minutes_to_persistent_sleep,
    #   start_utc_offset,sleep_start,end_utc_offset,sleep_end,data_source,sleep_created,...
    # 4471,STAGES,440,0,0,420,20,20,0,+02:00,2025-10-25T20:50:00Z,+01:00,2025-10-26T04:10:00Z,
    #   PASSIVELY_MEASURED,2025-10-26T05:00:00Z,...
    def extra(cols: list[str]) -> dict[str, pl.Expr]:
        out = {"asleep": number(require_column(cols, "minutes_asleep", "minutes_asleep",
                                               name=name))}
        return out | {c: number(c) for c in ("minutes_awake", "minutes_in_sleep_period")
                      if c in cols}

    frame, dropped, problems = _interval_frame(data, name, "sleep_start", "sleep_end", extra)
    frame = _lost(frame, pl.all_horizontal(pl.col("_start", "_end", "asleep").is_not_null()),
                  "_raw", "sleep", dropped, problems, "sleep_start")
    period = (pl.col("minutes_in_sleep_period") * 60
              if "minutes_in_sleep_period" in frame.columns else None)
    frame = _instants(frame, _as_local(frame, period))
    wake = pl.col("_end") + pl.duration(seconds=pl.col("_end_off").fill_null(0))
    night = pl.when(pl.col("_end_off").is_not_null()).then(wake.dt.date()).otherwise(
        pl.col("_end").dt.convert_time_zone(tz or "UTC").dt.date())
    # docs/metrics.md: night D's main sleep is the longest ending on D; naps are not nights
    nights = frame.with_columns(night.alias("night")).sort(
        "asleep", descending=True).unique(subset=["night"], keep="first", maintain_order=True)
    metrics = {"sleep_hours": pl.col("asleep") / 60}
    if "minutes_awake" in frame.columns:
        metrics["awake_hours"] = pl.col("minutes_awake") / 60
    out = summaries(nights.sort("night"), metrics, VENDOR, night=pl.col("night"),
                    ts=pl.col("_end"))
    return ParsedFile(FORMAT_SLEEPS, frames_of(device_summaries=out), vendor=VENDOR,
                      utc_offset_s=common_offset(frame["_end_off"]), dropped=dropped,
                      problems=problems)


def parse_stages(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """UserSleepStages -> sleep_stages (every sleep's: the nightly job picks the night)."""
    # sleep_id,sleep_stage_id,sleep_stage_type,start_utc_offset,sleep_stage_start,
    #   end_utc_offset,sleep_stage_end,data_source,sleep_stage_created,...
    # 4471,1,LIGHT,+02:00,2025-10-25T20:50:00Z,+02:00,2025-10-25T22:20:00Z,PASSIVELY_MEASURED,...
    def extra(cols: list[str]) -> dict[str, pl.Expr]:
        kind = require_column(cols, "sleep_stage_type", "sleep_stage_type", name=name)
        label = pl.col(kind).str.strip_chars().str.to_uppercase()
        return {"_type": label, "stage": label.replace_strict(STAGES, default=None,
                                                              return_dtype=pl.String)}

    frame, dropped, problems = _interval_frame(
        data, name, "sleep_stage_start", "sleep_stage_end", extra)
    unknown = frame.filter(pl.col("stage").is_null() & (pl.col("_type") != ""))
    if unknown.height:  # a stage type newer than this parser: counted, named, not guessed
        dropped[UNKNOWN_STAGE] = unknown.height
        problems.append(f"{unknown.height} sleep stage row(s) skipped: stage type "
                        f"{unknown['_type'][0]!r} is not one herstel knows")
        frame = frame.filter(pl.col("stage").is_not_null() | (pl.col("_type") == ""))
    frame = _lost(frame, pl.all_horizontal(pl.col("_start", "_end", "stage").is_not_null()),
                  "_raw", "sleep stage", dropped, problems, "sleep_stage_start")
    frame = _instants(frame, _as_local(frame))
    stages = frame.select(pl.col("_start").alias("start_ts"), pl.col("_end").alias("end_ts"),
                          "stage").sort("start_ts")
    return ParsedFile(FORMAT_STAGES, frames_of(sleep_stages=merge_runs(stages)), vendor=VENDOR,
                      utc_offset_s=common_offset(frame["_end_off"]), dropped=dropped,
                      problems=problems)


# ---------------------------------------------------------------- HRV, resting HR, HR


def _timestamped(data: bytes, name: str, value: str, what: str
                 ) -> tuple[pl.DataFrame, dict[str, int], list[str], str]:
    frame, dropped, problems = _table(data, name)
    ts = require_column(frame.columns, "timestamp", "timestamp", name=name)
    val = require_column(frame.columns, value, value, name=name)
    frame = frame.with_columns(_utc(ts).alias("_ts"), number(val).alias("_value"))
    frame = _lost(frame, pl.col("_ts").is_not_null() & pl.col("_value").is_not_null(),
                  ts, what, dropped, problems)
    return frame, dropped, problems, ts


def parse_hrv(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """5-minute windows -> hrv_samples (RMSSD; the SDNN column is never used as RMSSD)."""
    # timestamp,root mean square of successive differences milliseconds,
    #   standard deviation milliseconds,data source
    # 2025-10-25T20:55:00Z,37.0,52.1,Google Pixel Watch 3
    frame, dropped, problems, _ = _timestamped(data, name, RMSSD, "HRV")
    samples = frame.select(pl.col("_ts").alias("ts"), pl.col("_value").alias("rmssd_ms"))
    samples = samples.unique(subset=["ts"], keep="first", maintain_order=True).sort("ts")
    return ParsedFile(FORMAT_HRV, frames_of(hrv_samples=conform(samples, "hrv_samples")),
                      vendor=VENDOR, dropped=dropped, problems=problems)


def _daily(frame: pl.DataFrame, ts: str, metrics: dict[str, pl.Expr]) -> pl.DataFrame:
    """Daily rows: `T00:00:00Z` names the local date, which is the night (the wake-up date)."""
    rows = frame.with_columns(local_date(ts).alias("_night")).unique(
        subset=["_night"], keep="first", maintain_order=True)
    return summaries(rows, metrics, VENDOR, night=pl.col("_night"))


def parse_daily_hrv(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Daily HRV -> hrv_rmssd_ms (the main sleep's RMSSD) and nrem_hr for that night."""
    # timestamp,average heart rate variability milliseconds,non rem heart rate beats per
    #   minute,entropy,deep sleep root mean square of successive differences milliseconds,
    #   data source
    # 2025-10-26T00:00:00Z,44.0,51.2,2.61,47.3,Google Pixel Watch 3
    frame, dropped, problems, ts = _timestamped(data, name, DAILY_RMSSD, "daily HRV")
    metrics = {"hrv_rmssd_ms": pl.col("_value")}
    if NREM_HR in {c.strip().lower() for c in frame.columns}:
        nrem = next(c for c in frame.columns if c.strip().lower() == NREM_HR)
        metrics["nrem_hr"] = number(nrem)
    out = _daily(frame, ts, metrics)
    return ParsedFile(FORMAT_DAILY_HRV, frames_of(device_summaries=out), vendor=VENDOR,
                      dropped=dropped, problems=problems)


def parse_resting_hr(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Daily resting HR -> resting_hr for the local date (0 = no estimate: no row)."""
    # timestamp,beats per minute,data source
    # 2025-10-26T00:00:00Z,52.0,Google Pixel Watch 3
    frame, dropped, problems, ts = _timestamped(data, name, BPM, "resting heart rate")
    out = _daily(frame.filter(pl.col("_value") > 0), ts, {"resting_hr": pl.col("_value")})
    return ParsedFile(FORMAT_RESTING_HR, frames_of(device_summaries=out), vendor=VENDOR,
                      dropped=dropped, problems=problems)


def parse_heart_rate(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Intraday heart rate -> heart_rate (monitoring), one sample per instant."""
    # timestamp,beats per minute,data source
    # 2025-10-25T20:50:00Z,58.0,Google Pixel Watch 3
    frame, dropped, problems, _ = _timestamped(data, name, BPM, "heart rate")
    hr = frame.select(pl.col("_ts").alias("ts"), pl.col("_value").round().alias("bpm"),
                      pl.lit("monitoring").alias("context"))
    hr = hr.unique(subset=["ts"], keep="first", maintain_order=True).sort("ts")
    return ParsedFile(FORMAT_HEART_RATE, frames_of(heart_rate=conform(hr, "heart_rate")),
                      vendor=VENDOR, dropped=dropped, problems=problems)


# ---------------------------------------------------------------- files not read


#: Machine-learning and app-state files of `*_GoogleData` folders: no nightly value, and some
#: run to tens of MB (UserActivityProbabilities ~17 MB a month), so they are never inflated.
UNREAD_PREFIXES = ("useractivityprobabilities_", "usersensorcompressiontoken")
#: Legacy twins -> the Google Health CSV that holds the same data and wins (instants with
#: their offsets, where the twin has local wall times without one): (twin folder, twin name
#: pattern, CSV name pattern).
TWINS = (
    ("global export data", r"sleep-.*\.json", r"usersleeps_.*\.csv"),
    ("global export data", r"resting_heart_rate-.*\.json", r"daily_resting_heart_rate.*\.csv"),
    ("heart rate variability", r"daily heart rate variability summary.*\.csv",
     r"daily_heart_rate_variability_.*\.csv"),
    ("heart rate variability", r"heart rate variability details.*\.csv",
     r"heart_rate_variability_.*\.csv"),
)


def _parts(path: str) -> list[str]:
    return path.replace("\\", "/").lower().split("/")


def _export_root(parts: list[str]) -> int | None:
    """Index of the Google Health export's own folder in `parts` (the folder that holds the
    `*_GoogleData` folders and `Global Export Data`), or None outside such an export."""
    for i, part in enumerate(parts[:-1]):
        if part.endswith("_googledata") or part in ("global export data",
                                                     "heart rate variability"):
            return i
    return None


def unread(paths: Iterable[str]) -> dict[str, str]:
    """Files of a Google Health export herstel skips unread: path -> reason ("ignored: ...").

    Decided from the names of the whole export (a zip's member list, a folder's files), so
    nothing is inflated or parsed: READMEs, machine-learning files, and the legacy twins of
    data the CSVs hold (docs/sources/google_health.md, "Twins").
    """
    paths = list(paths)
    csv_names: dict[str, set[str]] = {}
    for path in paths:
        parts = _parts(path)
        root = _export_root(parts)
        if root is not None and parts[root].endswith("_googledata"):
            csv_names.setdefault("/".join(parts[:root]), set()).add(
                path.replace("\\", "/").rsplit("/", 1)[-1])
    out = {}
    for path in paths:
        parts = _parts(path)
        root = _export_root(parts)
        if root is None:
            continue
        base, home = parts[-1], "/".join(parts[:root])
        in_csv_folder = parts[root].endswith("_googledata")
        if in_csv_folder and re.fullmatch(r"(.* )?readme(\.txt)?", base):
            out[path] = "ignored: a dataset README of the Google Health export (documentation)"
        elif in_csv_folder and base.startswith(UNREAD_PREFIXES):
            out[path] = ("ignored: machine-learning output of the Google Health export, no "
                         "nightly value; not read")
        elif twin := _twin(parts[root], base, csv_names.get(home, set())):
            out[path] = (f"ignored: legacy twin of the Google Health CSV {twin}, which holds "
                         f"the same data with UTC offsets and is read instead")
    return out


def _twin(folder: str, base: str, csvs: set[str]) -> str | None:
    for twin_folder, twin, csv_pattern in TWINS:
        if folder == twin_folder and re.fullmatch(twin, base):
            match = next((c for c in sorted(csvs) if re.fullmatch(csv_pattern, c, re.I)), None)
            if match:
                return match
    return None


PARSERS = [
    VendorFormat(FORMAT_SLEEPS, sniff_sleeps, parse_sleeps),
    VendorFormat(FORMAT_STAGES, sniff_stages, parse_stages),
    VendorFormat(FORMAT_HRV, sniff_hrv, parse_hrv),
    VendorFormat(FORMAT_DAILY_HRV, sniff_daily_hrv, parse_daily_hrv),
    VendorFormat(FORMAT_RESTING_HR, sniff_resting_hr, parse_resting_hr),
    VendorFormat(FORMAT_HEART_RATE, sniff_heart_rate, parse_heart_rate),
]
