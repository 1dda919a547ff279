"""The CLI's own behaviour: exit codes, usage errors, CSV that is safe in a spreadsheet."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from flows.cli import app
from flows.cli.catalogue import _spreadsheet_safe

runner = CliRunner()


def test_csv_cells_never_run_as_formulas():
    frame = pl.DataFrame({"athlete_id": ['=HYPERLINK("http://x")', "anna", "@sum"], "v": [1, 2, 3]})
    safe = _spreadsheet_safe(frame)
    assert safe["athlete_id"].to_list() == ['\'=HYPERLINK("http://x")', "anna", "'@sum"]
    assert safe["v"].to_list() == [1, 2, 3]


def test_usage_errors_exit_2(tmp_path):
    assert runner.invoke(app, ["ingest", str(tmp_path), "--fit-engine", "nope"]).exit_code == 2
    assert runner.invoke(app, ["ingest", str(tmp_path), "--tz", "Mars/Olympus"]).exit_code == 2
    assert runner.invoke(app, ["ingest", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(app, ["flags", "--since", "yesterday"]).exit_code == 2


def test_rules_lists_every_rule_with_a_source():
    result = runner.invoke(app, ["rules"], terminal_width=200)
    assert result.exit_code == 0
    for rule_id in ("rhr_elevated", "sleep_short_streak", "hrv_low", "no_rest_day", "multi_signal"):
        assert rule_id in result.output
    # the profiles, with whom they apply to and what they change
    assert "older" in result.output and "age >= 50" in result.output
    assert "hrv_low.low: ms_below 35" in result.output
