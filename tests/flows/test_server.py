"""The local server's bookkeeping, without starting one: a taken port, a dead server's state,
a wrong setting (the full start/reuse/stop cycle runs in test_serve.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flows import server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "ph"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return tmp_path / "ph"


@pytest.mark.hostile
def test_a_taken_port_is_one_clear_line_and_flow_commands_fall_back(home, monkeypatch):
    with socket.socket() as other:  # another program on the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        monkeypatch.setenv("HERSTEL_SERVER_PORT", str(port))
        monkeypatch.setenv("COLUMNS", "200")  # one line, not wrapped at 80
        out = subprocess.run(
            [sys.executable, "-m", "flows.cli", "server", "start"],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert out.returncode == 1
        assert out.stdout.strip() == (
            f"herstel: port {port} on 127.0.0.1 is taken by another program: "
            "set HERSTEL_SERVER_PORT to a free port"
        )
        said: list[str] = []
        monkeypatch.setenv("HERSTEL_SERVER", "auto")
        assert server.use(say=said.append) is None  # the command runs on a temporary server
        assert said[-1].endswith("this command uses a temporary Prefect server instead")
    assert not (home / server.STATE_FILE).exists()


def test_a_dead_servers_state_is_forgotten(home):
    home.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (home / server.STATE_FILE).write_text(json.dumps({"pid": dead.pid, "port": 1}))
    assert server.status() is None
    assert not (home / server.STATE_FILE).exists()
    assert server.stop() is None


def test_wrong_settings_are_named(home, monkeypatch):
    monkeypatch.setenv("HERSTEL_SERVER", "always")
    with pytest.raises(server.ServerError, match="HERSTEL_SERVER='always': use one of auto"):
        server.use()
    monkeypatch.setenv("HERSTEL_SERVER_PORT", "http")
    with pytest.raises(server.ServerError, match="HERSTEL_SERVER_PORT='http' is not a port"):
        server.port()
