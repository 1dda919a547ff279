"""Stale data never reads as fine: the team page says how old the latest night is, names
athletes whose data stopped or never came, and gives them no OK pill."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from report import write_report
from report.data import STALE_NIGHTS, nights_without_data
from warehouse.db import connect
from warehouse.sql import run

#: The morning the coach opens the report: 07:00 UTC on Wednesday 2 December 2026.
NOW = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
#: Each athlete's nights (as the nightly run stores them): first and last night.
NIGHTS = {
    "anna": (date(2026, 11, 10), date(2026, 12, 2)),  # synced this morning
    "bram": (date(2026, 10, 20), date(2026, 11, 9)),  # watch stopped 23 nights ago
    "chiyo": (date(2026, 11, 10), date(2026, 11, 30)),  # 2 nights missing: not yet stale
}
#: emil logs training only (no nights); dora has never sent anything.
EMIL_LAST_DAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """A warehouse as the nightly run leaves it, written row by row (the report only reads)."""
    db = tmp_path_factory.mktemp("fresh") / "club.duckdb"
    con = connect(db)
    computed = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    for athlete in (*NIGHTS, "dora", "emil"):
        run(
            con,
            "INSERT INTO athletes (athlete_id, time_zone, time_zone_source) VALUES (?, ?, ?)",
            [athlete, "Europe/Amsterdam", "option"],
        )
    for athlete, (first, last) in NIGHTS.items():
        for i in range((last - first).days + 1):
            run(
                con,
                "INSERT INTO nightly_metrics (athlete_id, night, sleep_hours, resting_hr, "
                "hrv_ms, computed_at) VALUES (?, ?, 7.5, 50, 80, ?)",
                [athlete, first + timedelta(days=i), computed],
            )
    for i in range(10):
        run(
            con,
            "INSERT INTO daily_metrics (athlete_id, day, is_rest_day, load_trimp, computed_at) "
            "VALUES ('emil', ?, false, 90, ?)",
            [EMIL_LAST_DAY - timedelta(days=i), computed],
        )
    con.close()
    return db


def _rows(index: Path) -> dict[str, tuple[str, str]]:
    """Team table: athlete -> (data-status, the pill's text)."""
    html = index.read_text()
    rows = re.findall(
        r'data-athlete="([^"]+)" data-status="([^"]+)">.*?<span class="badge [^"]+">([^<]+)</span>',
        html,
        re.S,
    )
    return {a: (s, text) for a, s, text in rows}


def test_nights_without_data_count_to_this_morning_in_the_athletes_zone():
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 Dec in Amsterdam
    assert nights_without_data(date(2026, 12, 1), late, "Europe/Amsterdam") == 1
    assert nights_without_data(date(2026, 12, 1), late, "UTC") == 0
    assert nights_without_data(date(2026, 11, 9), NOW, "Europe/Amsterdam") == 23
    assert nights_without_data(None, NOW, "UTC") is None
    assert STALE_NIGHTS == 3


def test_team_page_says_how_old_the_data_is_and_who_is_missing(warehouse, tmp_path):
    index = write_report(warehouse, tmp_path / "en", now=NOW)
    html = index.read_text()
    assert "Latest night in the data: Wed 2 Dec 2026 — this morning" in html
    assert _rows(index) == {
        "anna": ("ok", "OK"),
        "chiyo": ("ok", "OK"),
        "bram": ("stale", "No data for 23 nights"),
        "emil": ("none", "No data"),
        "dora": ("none", "No data"),
    }
    missing = re.search(r'id="missing">([^<]+)<', html).group(1)
    assert missing == "No recent data (nights without data): bram (23). No data at all: dora."
    assert '<span class="badge ok">2 OK</span>' in html
    assert '<span class="badge stale">3 No data</span>' in html
    # the stale athlete's own page: no "This morning" over a night 23 days old
    page = (tmp_path / "en" / "athletes" / "bram.html").read_text()
    assert 'Latest night <span class="muted">· Mon 9 Nov 2026 — 23 days ago</span>' in page
    assert 'id="status">No data for 23 nights<' in page
    fresh = (tmp_path / "en" / "athletes" / "anna.html").read_text()
    assert 'This morning <span class="muted">· Wed 2 Dec 2026</span>' in fresh


def test_a_club_whose_files_stopped_arriving(warehouse, tmp_path):
    """Three weeks after the last file nobody is OK (the report once said 'This morning ·
    Mon 9 Nov' with green pills on 2 December)."""
    later = datetime(2026, 12, 24, 7, 0, tzinfo=UTC)
    index = write_report(warehouse, tmp_path / "nl", lang="nl", now=later)
    html = index.read_text()
    assert "Laatste nacht in de gegevens: wo 2 dec 2026 — 22 dagen geleden" in html
    rows = _rows(index)
    assert {a: s for a, (s, _) in rows.items()} == {
        "anna": "stale",
        "bram": "stale",
        "chiyo": "stale",
        "emil": "stale",  # his training log stopped too
        "dora": "none",
    }
    assert rows["emil"][1] == "23 nachten geen gegevens"
    assert rows["bram"][1] == "45 nachten geen gegevens"
    assert "badge ok" not in html.split("<table")[1]  # no OK pill in the table


def test_stale_after_is_configurable(warehouse, tmp_path):
    index = write_report(warehouse, tmp_path / "two", now=NOW, stale_nights=2)
    assert _rows(index)["chiyo"] == ("stale", "No data for 2 nights")
