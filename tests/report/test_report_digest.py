"""The nightly digest: what a coach reads at 06:00."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from report import digest
from report.digest import format_digest

DAY = date(2026, 10, 20)


def summary(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"athlete_id": pl.String, "status": pl.String, "last_night": pl.Date},
        orient="row",
    )


def flags(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [(a, d, r, s, f"{a} {r} en", f"{a} {r} nl") for a, d, r, s in rows],
        schema={
            "athlete_id": pl.String,
            "day": pl.Date,
            "rule_id": pl.String,
            "severity": pl.String,
            "message": pl.String,
            "message_nl": pl.String,
        },
        orient="row",
    )


TEAM = summary(("anna", "watch", DAY), ("bram", "ok", DAY), ("chiyo", "warning", DAY))
TODAY = flags(
    ("anna", DAY, "hrv_low", "watch"),
    ("anna", DAY, "sleep_out_of_range", "info"),
    ("chiyo", DAY, "rhr_elevated", "warning"),
)


def test_morning_digest_lists_warnings_first_and_leaves_out_info():
    text = format_digest(TEAM, TODAY, None, "en")
    assert text == (
        "herstel — morning summary, Tue 20 Oct 2026\n"
        "3 athletes: 1 warning, 1 watch, 1 OK.\n"
        "\n"
        "WARNING  chiyo · night of Tue 20 Oct 2026\n"
        "  - chiyo rhr_elevated en\n"
        "\n"
        "WATCH  anna · night of Tue 20 Oct 2026\n"
        "  - anna hrv_low en\n"
    )


def test_digest_in_dutch_with_a_link():
    text = format_digest(TEAM, TODAY, None, "nl", report_url="file:///r/index.html")
    assert text.splitlines()[0] == "herstel — ochtendoverzicht, di 20 okt 2026"
    assert "WAARSCHUWING  chiyo · nacht van di 20 okt 2026" in text
    assert "  - chiyo rhr_elevated nl" in text and " en\n" not in text
    assert text.endswith("file:///r/index.html\n")


def test_digest_since_a_day_lists_every_day():
    older = flags(
        ("chiyo", date(2026, 10, 18), "rhr_elevated", "warning"),
        ("chiyo", date(2026, 10, 19), "rhr_elevated", "warning"),
    )
    text = format_digest(TEAM, older, date(2026, 10, 15), "en")
    assert text.splitlines()[0] == "herstel — flags since Thu 15 Oct 2026"
    assert "  - Sun 18 Oct 2026: chiyo rhr_elevated en\n" in text
    assert "  - Mon 19 Oct 2026: chiyo rhr_elevated en\n" in text


def test_quiet_night():
    text = format_digest(summary(("bram", "ok", DAY)), flags(), None, "en")
    assert "No new warnings or watches." in text


def test_digest_reads_the_sample_warehouse(sample_db):
    morning = digest(sample_db)
    assert morning.startswith("herstel — morning summary, Mon 9 Nov 2026\n3 athletes: ")
    text = digest(sample_db, since=date(2026, 10, 15), lang="en")
    assert "WARNING  chiyo" in text
    assert "  - Sun 18 Oct 2026: Resting HR during sleep 58 bpm" in text
    assert "Slept 5.5 h" not in text  # anna's short nights from 10-15 are info only


def test_unknown_language_is_refused(sample_db):
    with pytest.raises(ValueError, match="language"):
        digest(sample_db, lang="de")
