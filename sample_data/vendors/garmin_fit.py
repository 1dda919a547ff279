"""The Garmin FIT athletes: written by `sample_data.generate` (their own plans, episodes and
`expected_nights.csv`) and moved into the study under their new ids.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
from datetime import date
from pathlib import Path

from sample_data.vendors.common import Out, StudyAthlete


def garmin_fit(
    athletes: list[StudyAthlete],
    study: Path,
    out: Out,
    days: int,
    seed: int,
    start: date,
    rr: bool,
    workers: int | None,
) -> list[dict]:
    """Write the Garmin FIT athletes with sample_data.generate and move them in; returns
    their expected rows and fixes their athletes.csv facts (time zone etc.)."""
    from sample_data.athletes import athlete_specs
    from sample_data.generate import generate

    rows: list[dict] = []
    if not athletes:
        return rows
    specs = athlete_specs(len(athletes))
    with tempfile.TemporaryDirectory(prefix="herstel-vendor-fit-") as tmp:
        gen_dir, exp_dir = Path(tmp) / "study", Path(tmp) / "expected"
        generate(
            gen_dir,
            athletes=len(athletes),
            days=days,
            seed=seed,
            start=start,
            rr=rr,
            expected_dir=exp_dir,
            workers=workers,
        )
        with (exp_dir / "expected_nights.csv").open(encoding="utf-8") as fh:
            planned = list(csv.DictReader(fh))
        for a, spec in zip(athletes, specs, strict=True):
            target = study / a.athlete_id
            shutil.move(str(gen_dir / spec.athlete_id), str(target))
            for path in sorted(p for p in target.rglob("*") if p.is_file()):
                rel = path.relative_to(study).as_posix()
                fmt = {".fit": "fit", ".gpx": "gpx"}.get(path.suffix.lower())
                out.files += 1
                out.bytes += path.stat().st_size
                out.digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
                out.expect(rel, a, fmt)
            hrv_method = "rr_rmssd_5min" if rr and spec.hrv_source == "rr" else "device_5min"
            for row in planned:
                if row["athlete_id"] != spec.athlete_id:
                    continue
                for metric, method in (
                    ("sleep_hours", "stages"),
                    ("resting_hr", "sleep_hr_30min"),
                    ("hrv_ms", hrv_method),
                ):
                    rows.append(
                        {
                            "athlete_id": a.athlete_id,
                            "night": row["night"],
                            "metric": metric,
                            "value": float(row[metric]),
                            "method": method,
                            "source": "fit",
                            "profile": a.profile,
                        }
                    )
    return rows


def fit_specs(athletes: list[StudyAthlete]) -> dict[str, tuple[str, int, str, int]]:
    """athletes.csv facts of the FIT athletes: they keep the generator's zones and profiles."""
    from sample_data.athletes import athlete_specs

    return {
        a.athlete_id: (s.time_zone, s.birth_year, s.sex, s.hr_max)
        for a, s in zip(athletes, athlete_specs(len(athletes)), strict=False)
    }
