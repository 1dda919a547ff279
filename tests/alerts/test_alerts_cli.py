"""`herstel alerts list|test`: what a coach checks after editing the config file."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from receivers import free_port, webhook_receiver  # noqa: E402

from flows.cli import app  # noqa: E402


def _config(tmp_path, monkeypatch, *urls: str) -> Path:
    path = tmp_path / "config.toml"
    quoted = ", ".join(f'"{u}"' for u in urls)
    path.write_text(f'[alerts]\nurls = [{quoted}]\nlang = "nl"\n')
    path.chmod(0o600)
    monkeypatch.setenv("HERSTEL_CONFIG", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    return path


def test_list_masks_passwords(tmp_path, monkeypatch):
    path = _config(tmp_path, monkeypatch, "json://coach:s3cret@127.0.0.1:9/hook")
    out = CliRunner().invoke(app, ["alerts", "list"])
    assert out.exit_code == 0, out.output
    assert f"Config: {path}  (language nl, no data after 3 nights)" in out.output
    assert "- json://coach:****@127.0.0.1:9/hook" in out.output
    assert "s3cret" not in out.output


def test_test_sends_a_dutch_test_message_and_reports_a_dead_receiver(tmp_path, monkeypatch):
    dead = f"json://127.0.0.1:{free_port()}/hook"
    with webhook_receiver() as (hook, posts):
        _config(tmp_path, monkeypatch, hook, dead)
        out = CliRunner().invoke(app, ["alerts", "test"])
    assert out.exit_code == 1, out.output
    assert [p["title"] for p in posts] == ["herstel: testbericht"]
    lines = out.output.splitlines()
    assert lines[0] == f"ok     {hook.split('?')[0]}"
    assert lines[1].startswith(f"FAILED {dead}: ")


def test_no_receivers_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HERSTEL_CONFIG", str(tmp_path / "absent.toml"))
    out = CliRunner().invoke(app, ["alerts", "test"])
    assert out.exit_code == 2
