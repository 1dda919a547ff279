"""GarminDB 3.7.0, the peer of bench/peer.py: its own virtual environment, scratch homes, counts.

GarminDB is never a project dependency: it lives in a venv outside the project (created on
first use). It is one user per HOME: `~/.GarminDb/GarminConnectConfig.json` (dummy
credentials; nothing is downloaded) and `~/HealthData/FitFiles/user-settings.json`, daily
monitoring FIT files under `FitFiles/Monitoring/<year>/`, activity FIT files under
`FitFiles/Activities/`; its sqlite databases land in `~/HealthData/DBs/`.

GarminDB takes a file's id from the leading digits of its name (`123456789_ACTIVITY.fit`),
else from the whole stem: files are therefore placed under unique numeric names, or two
files with alike names would collapse into one activity and the comparison would be void.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

VERSION = "3.7.0"
VENV = Path(os.environ.get("HERSTEL_PEER_VENV", "/tmp/herstel-peer-venv"))
#: Ids start high so they look like Garmin Connect ids and never start with a zero.
FIRST_ID = 100_000_001

#: GarminConnectConfig.json, the layout of GarminDB's GarminConnectConfig.json.example, with
#: dummy credentials: the benchmark only imports files, it never downloads.
CONFIG = {
    "db": {"type": "sqlite"},
    "garmin": {"domain": "garmin.com"},
    "credentials": {
        "user": "peer-benchmark@example.invalid",
        "secure_password": False,
        "password": "not-used",
        "password_file": None,
    },
    "data": {
        "weight_start_date": "12/31/2019",
        "sleep_start_date": "12/31/2019",
        "rhr_start_date": "12/31/2019",
        "hrv_start_date": "12/31/2019",
        "monitoring_start_date": "12/31/2019",
        "download_latest_activities": 25,
        "download_all_activities": 1000,
    },
    "directories": {"relative_to_home": True, "base_dir": "HealthData", "mount_dir": "/none"},
    "enabled_stats": {
        "monitoring": True,
        "steps": True,
        "itime": True,
        "sleep": True,
        "rhr": True,
        "hrv": True,
        "weight": True,
        "activities": True,
    },
    "course_views": {"steps": []},
    "modes": {},
    "activities": {"display": []},
    "settings": {"metric": True, "default_display_activities": ["walking", "running", "cycling"]},
    "checkup": {"look_back_days": 90},
}

#: user-settings.json: the keys GarminUserSettings reads (garmindb/import_monitoring.py).
USER_SETTINGS = {
    "userData": {
        "measurementSystem": "metric",
        "gender": "FEMALE",
        "weight": 60000.0,
        "height": 170.0,
        "vo2MaxRunning": 50.0,
        "vo2MaxCycling": 48.0,
        "handedness": "RIGHT",
    }
}


def cli(venv: Path = VENV) -> list[str]:
    """The command that runs garmindb_cli.py, installing GarminDB into `venv` if absent."""
    script = venv / "bin" / "garmindb_cli.py"
    if not script.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, f"garmindb=={VERSION}"], check=True)
    return [str(venv / "bin" / "python"), str(script)]


def _write_owner_only(path: Path, data: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)


def write_home(home: Path) -> dict[str, Path]:
    """A fresh GarminDB user in `home`: config, user settings and the import folders."""
    fit = home / "HealthData" / "FitFiles"
    dirs = {
        "config": home / ".GarminDb",
        "fit": fit,
        "monitoring": fit / "Monitoring",
        "activities": fit / "Activities",
        "dbs": home / "HealthData" / "DBs",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_owner_only(dirs["config"] / "GarminConnectConfig.json", CONFIG)
    _write_owner_only(fit / "user-settings.json", USER_SETTINGS)
    return dirs


def numbered_name(number: int, kind: str) -> str:
    """A file name whose leading digits GarminDB takes as the file's (and activity's) id."""
    return f"{number}_{kind}.fit"


def garmindb_id(name: str) -> str:
    """The id GarminDB derives from a file name (File.name_and_id_from_path in garmindb)."""
    found = re.match(r"(\d+).*\.\w+", name) or re.match(r"(.+)\.\w+", name)
    if not found:
        raise ValueError(f"GarminDB finds no id in {name!r}")
    return found.group(1)


def place(files: list[Path], folder: Path, kind: str, first_id: int = FIRST_ID) -> list[Path]:
    """Symlink `files` into `folder` under unique numeric names (the inputs stay where they are).

    A monitoring file goes into a `<year>` sub-folder taken from its `YYYY-MM-DD` name prefix,
    as GarminDB's own download lays them out."""
    placed = []
    for i, src in enumerate(files):
        target_dir = folder / src.name[:4] if kind == "WELLNESS" else folder
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / numbered_name(first_id + i, kind)
        target.symlink_to(src.resolve())
        placed.append(target)
    return placed


def _query(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return int(con.execute(sql).fetchone()[0] or 0)


def counts(home: Path) -> dict[str, int]:
    """What GarminDB holds in `home`: monitoring files and days, activities, summary days."""
    dbs = home / "HealthData" / "DBs"
    return {
        "monitoring_files": _query(
            dbs / "garmin.db", "SELECT count(*) FROM files WHERE type = 'fit_monitoring_b'"
        ),
        "monitoring_days": _query(
            dbs / "garmin_monitoring.db",
            "SELECT count(DISTINCT date(timestamp)) FROM monitoring_hr",
        ),
        "activities": _query(
            dbs / "garmin_activities.db", "SELECT count(DISTINCT activity_id) FROM activities"
        ),
        "summary_days": _query(dbs / "garmin_summary.db", "SELECT count(*) FROM days_summary"),
    }
