"""The folder write_report leaves: self-contained, one copy of the libraries, read-only."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from report import write_report
from warehouse.db import connect
from warehouse.sql import run


def _page_data(page: Path) -> dict:
    """The page's JSON block, with column-wise frames turned into rows as herstel.js does."""
    block = re.search(r'id="herstel-data">(.*?)</script>', page.read_text(), re.S)
    data = json.loads(block.group(1))
    for datasets in data["data"].values():
        for name, value in datasets.items():
            if isinstance(value, dict) and "$cols" in value:
                cols = value["$cols"]
                datasets[name] = [
                    dict(zip(cols, vals, strict=True)) for vals in zip(*cols.values(), strict=True)
                ]
    return data


@pytest.fixture(scope="module")
def report_dir(sample_db, tmp_path_factory) -> Path:
    return write_report(sample_db, tmp_path_factory.mktemp("write") / "report").parent


def test_layout_and_offline(report_dir):
    names = sorted(str(p.relative_to(report_dir)) for p in report_dir.rglob("*") if p.is_file())
    assert names == [
        "assets/charts.js",
        "assets/herstel.css",
        "assets/herstel.js",
        "assets/vega.js",
        "athletes/anna.html",
        "athletes/bram.html",
        "athletes/chiyo.html",
        "index.html",
    ]
    for page in report_dir.rglob("*.html"):
        html = page.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), f"{page} loads a URL"
        assert html.count("assets/vega.js") == 1  # the libraries once, from the shared file
    assert "window.vegaEmbed" in (report_dir / "assets" / "vega.js").read_text()


def test_athlete_page_data(report_dir):
    data = _page_data(report_dir / "athletes" / "chiyo.html")
    main = data["data"]["main"]
    assert set(main) == {"nightly", "flags", "daily", "weekly", "files"}
    night = next(n for n in main["nightly"] if n["night"] == "2026-10-18")
    assert night["rhr"] == 58.0 and night["rhr_m"] == "sleep_hr_30min"
    path = main["files"][night["rhr_f"]]["path"]
    assert path.endswith("chiyo/wellness/2026-10-18_WELLNESS.fit")
    assert night["rhr_warn"] == pytest.approx(
        min(night["rhr_base"] * 1.08, night["rhr_base"] + 8), abs=0.01
    )
    # the period runs over whole days: 1 Sep 00:00 UTC to the day after the last
    assert data["params"]["x_start"] == 1788220800000
    assert (data["params"]["x_end"] - data["params"]["x_start"]) % 86_400_000 == 0


def test_one_athlete_since_a_day(sample_db, tmp_path):
    index = write_report(sample_db, tmp_path / "r", athlete="anna", since=date(2026, 10, 1))
    assert [p.name for p in (tmp_path / "r" / "athletes").iterdir()] == ["anna.html"]
    assert 'href="athletes/anna.html"' in index.read_text()
    main = _page_data(tmp_path / "r" / "athletes" / "anna.html")["data"]["main"]
    assert min(n["night"] for n in main["nightly"]) == "2026-10-01"
    assert all(f["day"] >= "2026-10-01" for f in main["flags"])
    assert not any(f["rule_id"] == "no_rest_day" for f in main["flags"])  # those were in Sept


def test_pages_of_athletes_no_longer_reported_are_removed(sample_db, tmp_path):
    write_report(sample_db, tmp_path / "r")
    (tmp_path / "r" / "athletes" / "notes.html").write_text("<p>a coach's own page</p>")
    write_report(sample_db, tmp_path / "r", athlete="bram")
    assert sorted(p.name for p in (tmp_path / "r" / "athletes").iterdir()) == [
        "bram.html",
        "notes.html",
    ]


def test_unknown_athlete_and_language(sample_db, tmp_path):
    with pytest.raises(ValueError, match="no athlete 'nobody'"):
        write_report(sample_db, tmp_path / "r", athlete="nobody")
    with pytest.raises(ValueError, match="language"):
        write_report(sample_db, tmp_path / "r", lang="fr")
    with pytest.raises(FileNotFoundError):
        write_report(tmp_path / "missing.duckdb", tmp_path / "r")


def test_the_warehouse_is_only_read(sample_db, tmp_path):
    def state() -> tuple:
        con = connect(sample_db, read_only=True)
        try:
            return tuple(
                run(con, f"SELECT count(*) FROM {t}")[0][0]
                for t in ("files", "nightly_metrics", "daily_flags")
            )
        finally:
            con.close()

    before = state()
    write_report(sample_db, tmp_path / "r", lang="nl")
    assert state() == before


def test_empty_warehouse_and_an_athlete_without_nights(tmp_path):
    db = tmp_path / "new.duckdb"
    con = connect(db)  # a fresh warehouse with the current schema, nothing ingested
    con.close()
    index = write_report(db, tmp_path / "empty")
    assert "No athletes in the warehouse yet" in index.read_text()
    con = connect(db)
    run(
        con,
        "INSERT INTO athletes (athlete_id, time_zone, time_zone_source) "
        "VALUES ('dora', 'Europe/Amsterdam', 'option')",
    )
    con.close()
    write_report(db, tmp_path / "one", lang="nl")
    page = (tmp_path / "one" / "athletes" / "dora.html").read_text()
    assert "Nog geen nachten gemeten." in page and "Geen signalen in deze periode." in page
