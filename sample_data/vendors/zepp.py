"""A Zepp / Amazfit GDPR data export written from the shared nightly plan
(`sample_data.export_plan`), in the layout Zepp writes: `<user id>_<epoch ms>/` holding one
folder per data type, each with one `<TYPE>_<epoch ms>.csv` (UTF-8 with a BOM).

Per night: the heart rate in bed once a minute in `HEARTRATE_AUTO` (`date,time,heartRate`,
the LOCAL wall time without offset, so the autumn clock-change night repeats 02:00-02:59 in
file order), and one `SLEEP` row (`date` the local wake-up date; deep, shallow and REM and
awake minutes; `start`/`stop` UTC with `+0000`; every third night a nap in the `naps` cell,
which herstel does not read). Zepp writes a SLEEP row for every day: the day after the last
night gets its no-sleep row (zeros, `start` = `stop` at local midnight). `ACTIVITY` and `USER`
are written too; herstel skips them unread.

    python -m sample_data.vendors.zepp OUT_DIR [--start 2025-10-20] [--nights 10]
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer

USER_ID = 3075021305
STAMP_MS = 1761998400000
EXPORT_FOLDER = f"{USER_ID}_{STAMP_MS}"
SLEEP_HEADER = ("date", "deepSleepTime", "shallowSleepTime", "wakeTime", "start", "stop",
                "REMTime", "naps")
#: canonical stage -> SLEEP column
STAGE_COLUMNS = {"deep": "deepSleepTime", "light": "shallowSleepTime", "awake": "wakeTime",
                 "rem": "REMTime"}
NAP_EVERY, NAP_HOUR, NAP_MIN = 3, 14, 30


def _csv(header: tuple[str, ...], rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode()


def _utc(moment: datetime) -> str:
    """`2025-10-25 20:50:00+0000`: Zepp's UTC stamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+0000")


def heart_rate_auto(nights: list[PlannedNight]) -> bytes:
    rows = []
    for p in nights:
        for t, bpm in p.hr_in_bed():
            local = t.astimezone(p.bed.tzinfo)
            rows.append([f"{local:%Y-%m-%d}", f"{local:%H:%M}", bpm])
    return _csv(("date", "time", "heartRate"), rows)


def _minutes(p: PlannedNight) -> dict[str, int]:
    out = dict.fromkeys(STAGE_COLUMNS.values(), 0)
    for stage, a, b in p.stages():
        out[STAGE_COLUMNS[stage]] += int((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()
                                         // 60)
    return out


def _nap(p: PlannedNight) -> str:
    start = datetime.combine(p.night, time(NAP_HOUR), p.bed.tzinfo)
    end = start + timedelta(minutes=NAP_MIN)
    return f'[{{"start":"{_utc(start)}","stop":"{_utc(end)}","shallowSleepTime":{NAP_MIN}}}]'


def sleep_csv(nights: list[PlannedNight]) -> bytes:
    rows = []
    for i, p in enumerate(nights):
        m = _minutes(p)
        rows.append([p.night, m["deepSleepTime"], m["shallowSleepTime"], m["wakeTime"],
                     _utc(p.bed), _utc(p.wake), m["REMTime"], _nap(p) if i % NAP_EVERY == 0
                     else ""])
    if nights:  # the day after: no sleep, a row all the same
        last = nights[-1]
        day = last.night + timedelta(days=1)
        midnight = _utc(datetime.combine(day, time(0), last.bed.tzinfo))
        rows.append([day, 0, 0, 0, midnight, midnight, 0, ""])
    return _csv(SLEEP_HEADER, rows)


def export_files(nights: list[PlannedNight]) -> dict[str, bytes]:
    """Path inside the export folder -> bytes."""
    days = sorted({p.night for p in nights})
    activity = _csv(("date", "steps", "distance", "runDistance", "calories"),
                    [[d, 8000 + 10 * i, 6000, 0, 300] for i, d in enumerate(days)])
    user = _csv(("userId", "gender", "height", "weight", "nickName", "avatar", "birthday"),
                [[USER_ID, 1, 180.0, 72, "athlete", "", "1990-01"]])
    return {
        f"HEARTRATE_AUTO/HEARTRATE_AUTO_{STAMP_MS}.csv": heart_rate_auto(nights),
        f"SLEEP/SLEEP_{STAMP_MS}.csv": sleep_csv(nights),
        f"ACTIVITY/ACTIVITY_{STAMP_MS}.csv": activity,
        f"USER/USER_{STAMP_MS}.csv": user,
    }


#: export path -> `files.format` (None: skipped unread, `ignored: ...`)
FORMATS = {"HEARTRATE_AUTO": "zepp_heart_rate_csv", "SLEEP": "zepp_sleep_csv",
           "ACTIVITY": None, "USER": None}


def write_export(out_dir: Path, nights: list[PlannedNight]) -> Path:
    """`out_dir/<user id>_<stamp>/` with the folders of the export."""
    folder = out_dir / EXPORT_FOLDER
    for rel, data in export_files(nights).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
