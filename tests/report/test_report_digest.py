"""The nightly digest: what a coach reads at 06:00, in episodes, with every athlete counted."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from report import digest
from report.digest import format_digest

DAY = date(2026, 10, 20)


def summary(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"athlete_id": pl.String, "last_night": pl.Date}, orient="row"
    )


def episodes(*rows) -> pl.DataFrame:
    """rows: (athlete, rule, start, last, days, peak, alert day, reason, severity on last)."""
    out = []
    for a, r, start, last, days, peak, alert, reason, sev in rows:
        out.append((a, r, start, last, days, peak, alert, reason, sev, f"{a} {r} en",
                    f"{a} {r} nl", f"{a} {r} alert en", f"{a} {r} alert nl"))  # fmt: skip
    return pl.DataFrame(
        out,
        schema={"athlete_id": pl.String, "rule_id": pl.String, "start_day": pl.Date,
                "last_day": pl.Date, "days": pl.Int32, "peak_severity": pl.String,
                "last_alert_day": pl.Date, "last_alert_reason": pl.String,
                "severity": pl.String, "message": pl.String, "message_nl": pl.String,
                "alert_message": pl.String, "alert_message_nl": pl.String},
        orient="row",
    )  # fmt: skip


def ago(n: int) -> date:
    return DAY - timedelta(days=n)


TEAM = summary(("anna", DAY), ("bram", DAY), ("chiyo", DAY), ("dirk", ago(5)), ("eva", None))
TODAY = episodes(
    # anna: HRV watch since 4 nights ago, not worse tonight; sleep info tonight (left out)
    ("anna", "hrv_low", ago(4), DAY, 5, "watch", ago(4), "started", "watch"),
    ("anna", "sleep_out_of_range", DAY, DAY, 1, "info", DAY, "started", "info"),
    # chiyo: resting HR started two nights ago as a watch, a warning tonight (worse); a new
    # multi_signal tonight
    ("chiyo", "rhr_elevated", ago(2), DAY, 3, "warning", DAY, "worsened", "warning"),
    ("chiyo", "multi_signal", DAY, DAY, 1, "warning", DAY, "started", "warning"),
    # bram: an episode that ended two nights ago: not on tonight's list, bram is OK
    ("bram", "hrv_low", ago(6), ago(2), 5, "warning", ago(6), "started", "warning"),
    # dirk: a warning on his last night, but that was 5 nights ago: no data, not warning
    ("dirk", "rhr_elevated", ago(5), ago(5), 1, "warning", ago(5), "started", "warning"),
)


def test_morning_digest_in_episodes_and_every_athlete_counted():
    text = format_digest(TEAM, TODAY, None, "en")
    assert text == (
        "herstel — morning summary, Tue 20 Oct 2026\n"
        "5 athletes: 1 warning, 1 watch, 1 OK, 2 without recent data.\n"
        "\n"
        "WARNING  chiyo · night of Tue 20 Oct 2026\n"
        "  - [worse] chiyo rhr_elevated en\n"
        "  - [new] chiyo multi_signal en\n"
        "\n"
        "WATCH  anna · night of Tue 20 Oct 2026\n"
        "  - [ongoing since Fri 16 Oct 2026, 5 days] anna hrv_low en\n"
        "\n"
        "NO DATA  dirk · no data for 5 nights (last night with data: Thu 15 Oct 2026)\n"
        "\n"
        "NO DATA  eva · no data yet\n"
    )


def test_stale_threshold_is_configurable():
    # with 6 nights, dirk's last night (5 ago) still counts: his warning episode is shown
    text = format_digest(TEAM, TODAY, None, "en", stale_nights=6)
    assert "2 warning, 1 watch, 1 OK, 1 without recent data." in text
    assert "WARNING  dirk · night of Thu 15 Oct 2026\n  - [new] dirk rhr_elevated en" in text
    assert "NO DATA  dirk" not in text


def test_digest_in_dutch_with_a_link():
    text = format_digest(TEAM, TODAY, None, "nl", report_url="file:///r/index.html")
    assert text.splitlines()[0] == "herstel — ochtendoverzicht, di 20 okt 2026"
    assert "5 sporters: 1 waarschuwing, 1 let op, 1 OK, 2 zonder recente gegevens." in text
    assert "WAARSCHUWING  chiyo · nacht van di 20 okt 2026" in text
    assert "  - [erger] chiyo rhr_elevated nl" in text and " en\n" not in text
    assert "GEEN GEGEVENS  dirk · geen gegevens voor 5 nachten" in text
    assert text.endswith("file:///r/index.html\n")


def test_digest_since_a_day_lists_each_episode_once():
    text = format_digest(TEAM, TODAY, ago(3), "en")
    assert text.splitlines()[0] == "herstel — flags since Sat 17 Oct 2026"
    assert (
        "  - Sun 18 Oct 2026: chiyo rhr_elevated alert en (3 days, to Tue 20 Oct 2026; "
        "worse on Tue 20 Oct 2026)\n" in text
    )
    assert "  - Fri 16 Oct 2026: anna hrv_low alert en (5 days, to Tue 20 Oct 2026)\n" in text
    assert "bram hrv_low" in text  # its last flag (2 nights ago) is inside the period
    assert "dirk rhr_elevated" not in text  # ended before the period


def test_quiet_night():
    text = format_digest(summary(("bram", DAY)), episodes(), None, "en")
    assert "1 athletes: 0 warning, 0 watch, 1 OK, 0 without recent data." in text
    assert "No new warnings or watches." in text


def test_digest_reads_the_sample_warehouse(sample_db):
    morning = digest(sample_db)
    assert morning.startswith(
        "herstel — morning summary, Mon 9 Nov 2026\n3 athletes: "
    )
    text = digest(sample_db, since=date(2026, 10, 15), lang="en")
    assert "WARNING  chiyo" in text
    # chiyo's three warning nights 10-18..10-20 are one line, with the first night's message
    assert "  - Sun 18 Oct 2026: Resting HR during sleep 58 bpm" in text
    assert text.count("Resting HR during sleep 59 bpm") == 0
    assert "(3 days, to Tue 20 Oct 2026)" in text
    assert "Slept 5.5 h" not in text  # anna's short nights from 10-15 are info only


def test_unknown_language_is_refused(sample_db):
    with pytest.raises(ValueError, match="language"):
        digest(sample_db, lang="de")
