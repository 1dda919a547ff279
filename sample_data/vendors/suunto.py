"""Suunto beat-to-beat files written from the shared nightly plan (`sample_data.export_plan`,
recordings in `sample_data.vendors.beats.plan`): `.sml` as SuuntoLink saves a move, and the
Suunto app's `samples.json`.

    python -m sample_data.vendors.suunto OUT_DIR [--start 2025-10-20] [--nights 10]
                                                 [--zone Europe/Amsterdam]

writes `OUT_DIR/suunto/log-<serial>-<start>-0.sml` per recording (night and morning test),
and `OUT_DIR/suunto_app/entry_<n>/samples.json` with the same recordings. The `.sml` header
`DateTime` is the local wall clock without a zone; its samples carry `UTC` and `Time` (s
since the start). The app JSON stamps each R-R block with the end of its last beat, with the
local offset (`+02:00`, `+01:00` after the autumn change).
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from pathlib import Path

from sample_data.export_plan import PlannedNight, run_writer
from sample_data.vendors.beats.plan import Recording, morning_test, night_recording

DEVICE = "Suunto 9 Peak"
SERIAL = "042131700123"
#: a periodic sample (with its UTC stamp) every this many seconds of the move
SAMPLE_EVERY_S = 600
#: R-R intervals per block of the app JSON
BLOCK_BEATS = 8


def _samples(rec: Recording) -> str:
    start_utc = rec.start.astimezone(UTC)
    rows = []
    for t in range(0, int(rec.length_s), SAMPLE_EVERY_S):
        utc = start_utc + timedelta(seconds=t)
        rows.append(f"      <Sample>\n        <HR>0.97</HR>\n        <Time>{t}</Time>\n"
                    f"        <SampleType>periodic</SampleType>\n"
                    f"        <UTC>{utc:%Y-%m-%dT%H:%M:%S}.000Z</UTC>\n      </Sample>")
    return "\n".join(rows)


def sml_text(rec: Recording) -> str:
    """One recording as a SuuntoLink `.sml` move."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<sml xmlns="http://www.suunto.com/schemas/sml">\n  <DeviceLog>\n    <Header>\n'
        f"      <Duration>{rec.length_s:.3f}</Duration>\n"
        "      <ActivityType>3</ActivityType>\n"
        f"      <DateTime>{rec.start:%Y-%m-%dT%H:%M:%S}</DateTime>\n"
        "    </Header>\n    <Device>\n"
        f"      <Name>{DEVICE}</Name>\n      <SerialNumber>{SERIAL}</SerialNumber>\n"
        "      <Info><SW>2.28.14</SW><HW>132.1</HW></Info>\n    </Device>\n"
        f"    <Samples>\n{_samples(rec)}\n    </Samples>\n"
        f"    <R-R>\n      <Data>{' '.join(str(v) for v in rec.rr_ms)}</Data>\n    </R-R>\n"
        "  </DeviceLog>\n</sml>\n")


def app_json(rec: Recording) -> str:
    """One recording as the Suunto app's samples.json: R-R blocks stamped at their end."""
    zone = rec.start.tzinfo
    t, samples = rec.start.astimezone(UTC), []
    for k in range(0, len(rec.rr_ms), BLOCK_BEATS):
        block = rec.rr_ms[k: k + BLOCK_BEATS]
        t = t + timedelta(milliseconds=sum(block))
        stamp = t.astimezone(zone).isoformat(timespec="milliseconds")
        samples.append({"TimeISO8601": stamp,
                        "Attributes": {"suunto/sml": {"R-R": {"IBI": block}}}})
        if k % (BLOCK_BEATS * 600) == 0:  # a periodic sample now and then, not read
            samples.append({"TimeISO8601": stamp,
                            "Attributes": {"suunto/sml": {"Sample": {"HR": 0.97}}}})
    return json.dumps({"Samples": samples})


def write_export(out_dir: Path, nights: list[PlannedNight]) -> Path:
    """`out_dir/suunto/*.sml` and `out_dir/suunto_app/entry_*/samples.json`."""
    sml_dir, app_dir = out_dir / "suunto", out_dir / "suunto_app"
    sml_dir.mkdir(parents=True, exist_ok=True)
    for p in nights:
        for rec in (night_recording(p), morning_test(p)):
            stamp = f"{rec.start:%Y-%m-%dT%H_%M_%S}"
            (sml_dir / f"log-{SERIAL}-{stamp}-0.sml").write_text(sml_text(rec), encoding="utf-8")
            entry = app_dir / f"entry_{int(rec.start.timestamp())}"
            entry.mkdir(parents=True, exist_ok=True)
            (entry / "samples.json").write_text(app_json(rec), encoding="utf-8")
    return out_dir


def main(argv: list[str] | None = None) -> None:
    run_writer(write_export, __doc__, argv)


if __name__ == "__main__":
    main()
