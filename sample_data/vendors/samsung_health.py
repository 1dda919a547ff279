"""A Samsung Health personal-data export folder written from the shared nightly plan
(`sample_data.export_plan`), in the layout Samsung writes: a metadata line before the header,
`start_time` as UTC wall time without a marker beside `time_offset` (`UTC+0200`), a comma
more at the end of every data row, heart-rate columns prefixed with their type.

    python -m sample_data.vendors.samsung_health OUT_DIR [--start 2025-10-20] [--nights 10]
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer

#: canonical stage -> Samsung sleep stage code
STAGE_CODES = {"awake": 40001, "light": 40002, "deep": 40003, "rem": 40004}
EXPORT_STAMP = "20251101120000"
HR_PREFIX = "com.samsung.health.heart_rate."


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


def heart_rate_csv(nights: list[PlannedNight]) -> str:
    columns = ("start_time", "custom", "min", "max", "heart_rate", "time_offset", "deviceuuid",
               "end_time", "binning_data", "datauuid")
    header = ",".join(HR_PREFIX + c for c in columns)
    rows = []
    for p in nights:
        offset = _offset(p.bed)
        for t, bpm in p.hr_in_bed():
            rows.append(f"{_wall_utc(t)},,{bpm},{bpm},{bpm},{offset},watch-1,{_wall_utc(t)},,"
                        f"hr-{t:%Y%m%d%H%M},")
    return "\n".join(
        [f"com.samsung.shealth.tracker.heart_rate,6315003,{len(rows)}", header, *rows]) + "\n"


def write_export(out_dir: Path, nights: list[PlannedNight], user: str = "anna") -> Path:
    """`out_dir/samsunghealth_<user>_<stamp>/` with the sleep-stage and heart-rate CSVs."""
    folder = out_dir / f"samsunghealth_{user}_{EXPORT_STAMP}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"com.samsung.health.sleep_stage.{EXPORT_STAMP}.csv").write_text(
        sleep_stage_csv(nights), encoding="utf-8")
    (folder / f"com.samsung.shealth.tracker.heart_rate.{EXPORT_STAMP}.csv").write_text(
        heart_rate_csv(nights), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
