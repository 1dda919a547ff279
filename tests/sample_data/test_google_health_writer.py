"""The Google Health Takeout writer: its command line, same arguments -> same bytes, and the
clock-change night written as the export writes it (UTC instants, two offsets)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sample_data.export_plan import plan
from sample_data.vendors import google_health


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_command_line_writes_the_same_bytes_twice(tmp_path, capsys):
    for run in ("a", "b"):
        google_health.main([str(tmp_path / run), "--nights", "8"])
    assert capsys.readouterr().out.strip().endswith("Takeout")
    a = _digest(tmp_path / "a")
    assert a == _digest(tmp_path / "b")
    assert len(a) == 15  # 6 CSVs, 6 READMEs, 1 machine-learning file, 2 JSON twins


def test_the_clock_change_night_has_two_offsets_and_utc_instants(tmp_path):
    root = google_health.write_export(
        tmp_path, plan(date(2025, 10, 20), 10, "Europe/Amsterdam"))
    sleeps = next(root.rglob("UserSleeps_*.csv")).read_text(encoding="utf-8").splitlines()
    dst = next(row for row in sleeps if ",2025-10-26T04:10:00Z," in row)
    # bed 22:50 CEST = 20:50Z, +02:00 at the start and +01:00 at the end, 440 minutes
    assert ",440,0,0,420,20,20,0,+02:00,2025-10-25T20:50:00Z,+01:00,2025-10-26T04:10:00Z," in dst
