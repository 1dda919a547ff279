"""A Samsung Health personal-data export folder written from the shared nightly plan
(`sample_data.export_plan`), in the layout Samsung writes: a metadata line before the header,
`start_time` as UTC wall time without a marker beside `time_offset` (`UTC+0200`), a comma
more at the end of every data row, heart-rate columns prefixed with their type, and the
`binning_data` JSON files under `jsons/<type>/<first char>/` that hold the values: the
night's heart rate once a minute (one series row per hour in bed, its `heart_rate` the mean
of its bins), the 5-minute RMSSD windows of the night (mean = the planned HRV), plus one
daytime spot measurement per day without a binning file.

    python -m sample_data.vendors.samsung_health OUT_DIR [--start 2025-10-20] [--nights 10]
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer

#: canonical stage -> Samsung sleep stage code
STAGE_CODES = {"awake": 40001, "light": 40002, "deep": 40003, "rem": 40004}
EXPORT_STAMP = "20251101120000"
HR_PREFIX = "com.samsung.health.heart_rate."
HR_TYPE = "com.samsung.shealth.tracker.heart_rate"
HRV_TYPE = "com.samsung.health.hrv"
#: minutes of heart rate per series row (one binning file each)
SERIES_MIN = 60
#: the daytime spot measurement (never inside a night)
SPOT_HOUR, SPOT_BPM = 12, 72
#: RMSSD of the 5-minute windows: the plan's value -/+ this, alternating (mean exact)
HRV_SPREAD_MS = 3.0
WINDOW = timedelta(minutes=5)


def _wall_utc(moment: datetime) -> str:
    """`2025-10-25 21:10:00.000`: the UTC wall time, no marker."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000")


def _offset(moment: datetime) -> str:
    """`UTC+0200`: the phone's offset at that moment."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def sleep_stage_csv(nights: list[PlannedNight]) -> str:
    header = ("create_sh_ver,start_time,sleep_id,create_sh_main_ver,custom,update_time,"
              "create_time,stage,time_offset,deviceuuid,comment,pkg_name,end_time,datauuid")
    rows = []
    for n, p in enumerate(nights):
        for k, (stage, start, end) in enumerate(p.stages()):
            rows.append(f"6315003,{_wall_utc(start)},sleep-{n},,,,,{STAGE_CODES[stage]},"
                        f"{_offset(start)},watch-1,,com.sec.android.app.shealth,"
                        f"{_wall_utc(end)},stage-{n}-{k},")
    return "\n".join([f"com.samsung.health.sleep_stage,6315003,{len(rows)}", header, *rows]) + "\n"


def _uuid(label: str) -> str:
    h = hashlib.sha256(label.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _hr_series(p: PlannedNight) -> list[list[tuple[datetime, int]]]:
    """The night's minute samples cut into `SERIES_MIN`-minute rows."""
    minutes = p.hr_in_bed()
    return [minutes[k:k + SERIES_MIN] for k in range(0, len(minutes), SERIES_MIN)]


def hr_binning(series: list[tuple[datetime, int]]) -> list[dict]:
    """`[{"end_time", "heart_rate", "heart_rate_max", "heart_rate_min", "start_time"}]`."""
    return [{"end_time": _ms(t) + 59_000, "heart_rate": bpm, "heart_rate_max": bpm + 2,
             "heart_rate_min": bpm - 2, "start_time": _ms(t)} for t, bpm in series]


def hrv_binning(p: PlannedNight) -> list[dict]:
    """5-minute windows from bed to wake: `[{"rmssd", "sdnn", "end_time", "start_time"}]`."""
    out, t, wake = [], p.bed.astimezone(UTC), p.wake.astimezone(UTC)
    while t + WINDOW <= wake:
        rmssd = p.hrv_ms + (HRV_SPREAD_MS if len(out) % 2 else -HRV_SPREAD_MS)
        out.append({"rmssd": rmssd, "sdnn": rmssd + 11.5, "end_time": _ms(t + WINDOW) - 1000,
                    "start_time": _ms(t)})
        t += WINDOW
    if len(out) % 2:
        out.pop()  # an even count: the mean is exactly the planned value
    return out


def heart_rate_rows(nights: list[PlannedNight]) -> tuple[str, dict[str, list[dict]]]:
    """The heart-rate CSV and its binning files (file name -> bins)."""
    columns = ("start_time", "custom", "min", "max", "heart_rate", "time_offset", "deviceuuid",
               "end_time", "binning_data", "datauuid")
    header = ",".join(HR_PREFIX + c for c in columns)
    rows, files = [], {}
    for p in nights:
        offset = _offset(p.bed)
        for series in _hr_series(p):
            uuid = _uuid(f"hr-{series[0][0].isoformat()}")
            name = f"{uuid}.{HR_PREFIX}binning_data.json"
            files[name] = hr_binning(series)
            bpms = [b for _, b in series]
            start, end = series[0][0], series[-1][0] + timedelta(minutes=1)
            rows.append(f"{_wall_utc(start)},,{min(bpms)},{max(bpms)},"
                        f"{sum(bpms) / len(bpms):.1f},{offset},watch-1,{_wall_utc(end)},{name},"
                        f"{uuid},")
        spot = datetime.combine(p.night, time(SPOT_HOUR), p.bed.tzinfo)
        rows.append(f"{_wall_utc(spot)},,{SPOT_BPM},{SPOT_BPM},{SPOT_BPM}.0,{_offset(spot)},"
                    f"watch-1,{_wall_utc(spot)},,{_uuid(f'spot-{spot.isoformat()}')},")
    csv = "\n".join([f"{HR_TYPE},6315003,{len(rows)}", header, *rows]) + "\n"
    return csv, files


def heart_rate_csv(nights: list[PlannedNight]) -> str:
    return heart_rate_rows(nights)[0]


def hrv_rows(nights: list[PlannedNight]) -> tuple[str, dict[str, list[dict]]]:
    """The HRV CSV (one row per night) and its binning files."""
    header = ("create_sh_ver,start_time,custom,binning_data,time_offset,deviceuuid,pkg_name,"
              "end_time,datauuid")
    rows, files = [], {}
    for p in nights:
        uuid = _uuid(f"hrv-{p.night.isoformat()}")
        name = f"{uuid}.binning_data.json"
        files[name] = hrv_binning(p)
        rows.append(f"6315003,{_wall_utc(p.bed)},,{name},{_offset(p.bed)},watch-1,"
                    f"com.sec.android.app.shealth,{_wall_utc(p.wake)},{uuid},")
    return "\n".join([f"{HRV_TYPE},6315003,{len(rows)}", header, *rows]) + "\n", files


def export_files(nights: list[PlannedNight]) -> dict[str, bytes]:
    """Relative path in the export folder -> bytes: the three CSVs and their binning files."""
    files = {f"com.samsung.health.sleep_stage.{EXPORT_STAMP}.csv":
             sleep_stage_csv(nights).encode()}
    for data_type, (csv, binning) in ((HR_TYPE, heart_rate_rows(nights)),
                                      (HRV_TYPE, hrv_rows(nights))):
        files[f"{data_type}.{EXPORT_STAMP}.csv"] = csv.encode()
        for name, bins in binning.items():
            files[f"jsons/{data_type}/{name[0]}/{name}"] = json.dumps(
                bins, separators=(",", ":")).encode()
    return files


def write_export(out_dir: Path, nights: list[PlannedNight], user: str = "anna") -> Path:
    """`out_dir/samsunghealth_<user>_<stamp>/`: sleep-stage, heart-rate and HRV CSVs and
    their `jsons/` binning files."""
    folder = out_dir / f"samsunghealth_{user}_{EXPORT_STAMP}"
    for rel, data in export_files(nights).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
