"""A Withings Health Mate data export written from the shared nightly plan
(`sample_data.export_plan`), in the layout Withings writes: `raw_*.csv` files of
`start,duration,value` rows (an ISO start with the phone's offset, then lists of seconds
and values laid end to end), and `sleep.csv` with one row per sleep session.

Per night: the stage runs in `raw_tracker_sleep-state.csv` (one row per night), the
night's heart-rate samples in `raw_hr_hr.csv` (rows of 60 samples; each lasts until the
next), the night's session in `sleep.csv` (light, deep and REM seconds), and every third
day a 30-minute afternoon nap in `sleep.csv` that must never become the night. A row of a
raw file starts at its first segment's local time with the offset of that moment, so a row
crossing the autumn clock change keeps its offset: the durations, not the wall clock, carry
the night.

    python -m sample_data.vendors.withings OUT_DIR [--start 2025-10-20] [--nights 10]
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer

#: canonical stage -> Withings sleep-state code
STAGE_CODES = {"awake": 0, "light": 1, "deep": 2, "rem": 3}
#: minutes of heart rate per raw_hr_hr row
HR_ROW_MIN = 60
NAP_EVERY, NAP_HOUR, NAP_MIN = 3, 14, 30
EXPORT_FOLDER = "data_ANN_1761998400"


def _iso(moment: datetime) -> str:
    """`2025-10-25T22:40:00+02:00`: local time with its offset."""
    return moment.isoformat(timespec="seconds")


def _csv(header: tuple[str, ...], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _seconds(a: datetime, b: datetime) -> int:
    """Absolute seconds from a to b (same-zone aware datetimes subtract wall clocks)."""
    return int((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds())


def _list(values: list[int]) -> str:
    return "[" + ",".join(str(v) for v in values) + "]"


def sleep_state_csv(nights: list[PlannedNight]) -> str:
    rows = []
    for p in nights:
        stages = p.stages()
        seconds = [_seconds(a, b) for _, a, b in stages]
        rows.append([_iso(p.bed), _list(seconds), _list([STAGE_CODES[s] for s, _, _ in stages])])
    return _csv(("start", "duration", "value"), rows)


def heart_rate_csv(nights: list[PlannedNight]) -> str:
    rows = []
    for p in nights:
        minutes = p.hr_in_bed()
        for k in range(0, len(minutes), HR_ROW_MIN):
            chunk = minutes[k:k + HR_ROW_MIN]
            first = chunk[0][0].astimezone(p.bed.tzinfo)
            # each element lasts until the next sample (a minute after the last one)
            times = [t for t, _ in chunk]
            gaps = [_seconds(a, b) for a, b in zip(times, times[1:], strict=False)] + [60]
            rows.append([_iso(first), _list(gaps), _list([b for _, b in chunk])])
    return _csv(("start", "duration", "value"), rows)


def sleep_csv(nights: list[PlannedNight]) -> str:
    header = ("from", "to", "light (s)", "deep (s)", "rem (s)", "awake (s)", "wake up",
              "Duration to sleep (s)", "Duration to wake up (s)", "Snoring (s)",
              "Snoring episodes", "Average heart rate", "Heart rate (min)", "Heart rate (max)")
    rows = []
    for i, p in enumerate(nights):
        secs = dict.fromkeys(STAGE_CODES, 0)
        for stage, a, b in p.stages():
            secs[stage] += _seconds(a, b)
        rows.append([_iso(p.bed), _iso(p.wake), secs["light"], secs["deep"], secs["rem"],
                     secs["awake"], 1, 0, 0, 0, 0, 56, p.resting_hr_bpm, 62])
        if i % NAP_EVERY == 0:
            nap = datetime.combine(p.night, time(NAP_HOUR), p.bed.tzinfo)
            rows.append([_iso(nap), _iso(nap + timedelta(minutes=NAP_MIN)), NAP_MIN * 60, 0, 0,
                         0, 0, 0, 0, 0, 0, 60, 55, 66])
    return _csv(header, rows)


def export_files(nights: list[PlannedNight]) -> dict[str, bytes]:
    """File name -> bytes of the export folder."""
    return {
        "raw_tracker_sleep-state.csv": sleep_state_csv(nights).encode(),
        "raw_hr_hr.csv": heart_rate_csv(nights).encode(),
        "sleep.csv": sleep_csv(nights).encode(),
    }


def write_export(out_dir: Path, nights: list[PlannedNight]) -> Path:
    """`out_dir/data_<user>_<stamp>/` with the three CSVs herstel reads."""
    folder = out_dir / EXPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in export_files(nights).items():
        (folder / name).write_bytes(data)
    return folder


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
