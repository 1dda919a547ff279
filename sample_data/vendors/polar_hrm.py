"""Polar `.hrm` R-R recordings (Polar ProTrainer layout) written from the shared nightly plan
(`sample_data.export_plan`, recordings in `sample_data.vendors.beats.plan`).

    python -m sample_data.vendors.polar_hrm OUT_DIR [--start 2025-10-20] [--nights 10]
                                                    [--zone Europe/Amsterdam]

writes `OUT_DIR/polar_hrm/<yymmdd><nn>.hrm`: per night a chest-strap recording from bedtime
to wake-up and a 5-minute morning test. `Date`/`StartTime` are the local wall clock without
a zone (what the watch showed); `Interval=238` marks R-R rows, one interval in ms per row.
"""

from __future__ import annotations

from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer
from sample_data.vendors.beats.plan import Recording, morning_test, night_recording

#: Polar RS800CX's monitor code in ProTrainer 5 files.
MONITOR = 22


def _clock(seconds: float) -> str:
    s = round(seconds * 10)
    return f"{s // 36000:02d}:{s % 36000 // 600:02d}:{s % 600 // 10:02d}.{s % 10}"


def hrm_text(rec: Recording) -> str:
    """One recording in the ProTrainer layout (CRLF line ends, as the Windows tool writes)."""
    start = rec.start
    params = [
        "[Params]", "Version=106", f"Monitor={MONITOR}", "SMode=000000000",
        f"Date={start:%Y%m%d}", f"StartTime={start:%H:%M:%S}.0",
        f"Length={_clock(rec.length_s)}", "Interval=238", "Upper1=0", "Lower1=0",
        "Upper2=0", "Lower2=0", "Upper3=0", "Lower3=0", "Timer1=00:00:00.0",
        "Timer2=00:00:00.0", "Timer3=00:00:00.0", "ActiveLimit=0", "MaxHR=190",
        "RestHR=50", "StartDelay=0", "VO2max=55", "Weight=70", "",
        "[Note]", "", "[IntTimes]", f"{_clock(rec.length_s)}\t0\t0\t0\t0", "0\t0\t0\t0\t0\t0",
        "0\t0\t0\t0\t0\t0", "0\t0\t0\t0\t0\t0", "0\t0\t0\t0\t0\t0", "",
        "[HRZones]", "190", "170", "150", "130", "110", "0", "0", "0", "0", "0", "0", "",
        "[HRData]",
    ]
    return "\r\n".join(params + [str(rr) for rr in rec.rr_ms]) + "\r\n"


def write_export(out_dir: Path, nights: list[PlannedNight]) -> Path:
    """`out_dir/polar_hrm/` with two .hrm files per night (night recording, morning test)."""
    folder = out_dir / "polar_hrm"
    folder.mkdir(parents=True, exist_ok=True)
    for p in nights:
        for n, rec in enumerate((night_recording(p), morning_test(p)), start=1):
            name = f"{rec.start:%y%m%d}{n:02d}.hrm"
            (folder / name).write_bytes(hrm_text(rec).encode("ascii"))
    return folder


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
