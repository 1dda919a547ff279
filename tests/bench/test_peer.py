"""bench/peer.py: GarminDB's scratch home, unique file ids, the counts and the ratio table.

The cheap tests need no GarminDB; the one that installs and runs it is marked slow.
"""

import json
import sqlite3
import stat

import pytest

from bench import peer, peer_garmindb


def test_home_holds_config_settings_and_import_folders(tmp_path):
    dirs = peer_garmindb.write_home(tmp_path)
    config = tmp_path / ".GarminDb" / "GarminConnectConfig.json"
    settings = tmp_path / "HealthData" / "FitFiles" / "user-settings.json"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        ".GarminDb",
        ".GarminDb/GarminConnectConfig.json",
        "HealthData",
        "HealthData/DBs",
        "HealthData/FitFiles",
        "HealthData/FitFiles/Activities",
        "HealthData/FitFiles/Monitoring",
        "HealthData/FitFiles/user-settings.json",
    ]
    assert dirs["monitoring"] == tmp_path / "HealthData" / "FitFiles" / "Monitoring"
    assert dirs["activities"] == tmp_path / "HealthData" / "FitFiles" / "Activities"
    cfg = json.loads(config.read_text())
    assert cfg["credentials"]["user"] == "peer-benchmark@example.invalid"
    assert cfg["credentials"]["secure_password"] is False
    assert cfg["db"] == {"type": "sqlite"}
    assert cfg["directories"]["relative_to_home"] is True
    assert cfg["directories"]["base_dir"] == "HealthData"
    user = json.loads(settings.read_text())["userData"]
    # exactly the keys GarminUserSettings._process_attributes reads
    assert sorted(user) == [
        "gender",
        "handedness",
        "height",
        "measurementSystem",
        "vo2MaxCycling",
        "vo2MaxRunning",
        "weight",
    ]
    assert user["measurementSystem"] == "metric"
    for path in (config, settings):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_garmindb_id_is_the_leading_digits_else_the_stem():
    assert peer_garmindb.garmindb_id("123456789_ACTIVITY.fit") == "123456789"
    assert peer_garmindb.garmindb_id("SBK82515.FIT") == "SBK82515"
    # why names matter: every generated daily file of a year would be activity "2026"
    assert peer_garmindb.garmindb_id("2026-11-25_WELLNESS.fit") == "2026"
    assert peer_garmindb.garmindb_id("2026-11-24_WELLNESS.fit") == "2026"


def test_placed_files_get_unique_ids_and_year_folders(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    names = ["2025-12-31_WELLNESS.fit", "2026-01-01_WELLNESS.fit", "2026-01-02_WELLNESS.fit"]
    files = []
    for i, name in enumerate(names):
        (src / name).write_bytes(bytes([i]))
        files.append(src / name)
    placed = peer_garmindb.place(files, tmp_path / "Monitoring", "WELLNESS", first_id=7)
    assert [p.relative_to(tmp_path).as_posix() for p in placed] == [
        "Monitoring/2025/7_WELLNESS.fit",
        "Monitoring/2026/8_WELLNESS.fit",
        "Monitoring/2026/9_WELLNESS.fit",
    ]
    assert [peer_garmindb.garmindb_id(p.name) for p in placed] == ["7", "8", "9"]
    assert [p.read_bytes() for p in placed] == [b"\x00", b"\x01", b"\x02"]  # the inputs


def test_activity_names_of_the_corpus_workload_are_unique(tmp_path):
    files = []
    for i, rel in enumerate(peer.ACTIVITY_FILES):
        f = tmp_path / "corpus" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(bytes([i]))
        files.append(f)
    placed = peer_garmindb.place(files, tmp_path / "Activities", "ACTIVITY")
    ids = {peer_garmindb.garmindb_id(p.name) for p in placed}
    assert len(ids) == len(peer.ACTIVITY_FILES) == 11
    assert min(ids) == "100000001" and max(ids) == "100000011"
    assert all(p.parent == tmp_path / "Activities" for p in placed)


def test_counts_read_garmindbs_databases(tmp_path):
    dbs = tmp_path / "HealthData" / "DBs"
    dbs.mkdir(parents=True)
    with sqlite3.connect(dbs / "garmin.db") as con:
        con.execute("CREATE TABLE files (id TEXT, name TEXT, type TEXT)")
        con.executemany(
            "INSERT INTO files VALUES (?, ?, ?)",
            [("1", "1_W.fit", "fit_monitoring_b"), ("2", "2_W.fit", "fit_monitoring_b"),
             ("3", "3_A.fit", "fit_activity")],
        )  # fmt: skip
    with sqlite3.connect(dbs / "garmin_monitoring.db") as con:
        con.execute("CREATE TABLE monitoring_hr (timestamp TEXT, heart_rate INTEGER)")
        con.executemany(
            "INSERT INTO monitoring_hr VALUES (?, 60)",
            [("2026-11-22 23:00:00",), ("2026-11-23 01:00:00",), ("2026-11-23 02:00:00",)],
        )
    assert peer_garmindb.counts(tmp_path) == {
        "monitoring_files": 2,
        "monitoring_days": 2,
        "activities": 0,  # no activities database: nothing imported
        "summary_days": 0,
    }


def test_ratio_and_markdown_on_given_numbers():
    assert peer.ratio(266.8, 55.6) == "4.8×"
    assert peer.ratio(1.0, 0.0) == "n/a"
    row = peer.Row("study: 1 athlete(s) × 90 days, daily wellness FIT", 90, 0.4, 10.0, 20.0,
                   90.0, 120.0, ["per file: x"])  # fmt: skip
    text = peer.markdown([row], "python bench/peer.py --days 90", 9.94, (1.25, 2.0, 3.0))
    assert "`python bench/peer.py --days 90`, load average at the end 1.2 / 2.0 (1 / 5 min)" in text
    assert "once: 9.9 s, not counted" in text
    assert (
        "| study: 1 athlete(s) × 90 days, daily wellness FIT | 90 | 0.40 | 10.0 | 90.0 | 9.0× "
        "| 20.0 | 120.0 | 6.0× |"
    ) in text
    assert text.endswith("- study: per file: x\n")


def test_check_refuses_a_run_that_imported_less():
    peer._check("files", 3, 3)
    peer._check("nights", 5, 3, at_least=True)
    with pytest.raises(RuntimeError, match="invalid run: files is 2, expected 3"):
        peer._check("files", 2, 3)


def test_wellness_study_keeps_only_daily_wellness_fit(tmp_path):
    files = peer._wellness_study(tmp_path / "s", athletes=2, days=2, seed=7)
    assert len(files) == 4
    assert all(f.parent.name == "wellness" for f in files)
    left = sorted(p.relative_to(tmp_path / "s").as_posix() for p in (tmp_path / "s").rglob("*"))
    assert left == [
        "anna",
        "anna/wellness",
        *[f"anna/wellness/{f.name}" for f in files[:2]],
        "athletes.csv",
        "bram",
        "bram/wellness",
        *[f"bram/wellness/{f.name}" for f in files[2:]],
    ]
    assert set(peer._by_athlete(files)) == {"anna", "bram"}


@pytest.mark.slow
def test_quick_run_of_both_tools(tmp_path):
    """Installs GarminDB 3.7.0 in its own venv if absent, then runs the three workloads small."""
    bench = peer.Bench(tmp_path / "scratch")
    bench.start_server()
    try:
        rows = [peer.study(bench, 1, 2), peer.club(bench, 2, 2)]
    finally:
        bench.stop_server()
    assert [r.files for r in rows] == [2, 2]
    assert all(r.herstel_total_s > 0 and r.garmindb_total_s > 0 for r in rows)
    assert not (peer.REPO / "garmindb.log").exists()  # GarminDB logs into its HOME, not here
