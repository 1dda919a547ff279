"""One long-lived local Prefect server per user, started on first need and reused.

Without a server, every flow command pays for Prefect's temporary server (10-30 s of CPU on a
busy machine). herstel instead keeps one `prefect server start` running on loopback, with the
UI and the API on one known port (HERSTEL_SERVER_PORT, default 4200) and the UI told where its
API is (PREFECT_UI_API_URL), so the UI never says "Can't connect to Server API".

State lives next to Prefect's own database under PREFECT_HOME (default ~/.prefect):
`herstel-server.json` (pid and port), `herstel-server.log` (the server's output), both
owner-only. `herstel server start|stop|status` manage it by hand; see docs/nightly-run.md.
This module does not import Prefect: a command that finds the server running pays nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: The port the UI and the API share, unless HERSTEL_SERVER_PORT says otherwise (Prefect's own).
DEFAULT_PORT = 4200
HOST = "127.0.0.1"
#: How long to wait for a freshly started server, in seconds (11 s seen on an idle 2-core
#: machine, 40 s on a busy one).
START_TIMEOUT_S = 120.0
#: How long `stop` waits after SIGTERM before SIGKILL, in seconds.
STOP_TIMEOUT_S = 20.0
STATE_FILE = "herstel-server.json"
LOG_FILE = "herstel-server.log"
#: HERSTEL_SERVER: "auto" (default: reuse the running server or start one) or "temporary"
#: (Prefect's per-command temporary server, nothing left running).
MODES = ("auto", "temporary")


class ServerError(RuntimeError):
    """The local server could not be started or reached; the message says what to do."""


@dataclass(frozen=True)
class Server:
    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"


def home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def port() -> int:
    value = os.environ.get("HERSTEL_SERVER_PORT", str(DEFAULT_PORT))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ServerError(f"HERSTEL_SERVER_PORT={value!r} is not a port number")
    return int(value)


def mode() -> str:
    value = os.environ.get("HERSTEL_SERVER", "auto")
    if value not in MODES:
        raise ServerError(f"HERSTEL_SERVER={value!r}: use one of {', '.join(MODES)}")
    return value


def healthy(api_url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout_s) as resp:
            return resp.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):  # a zombie (exited, not yet reaped) is not alive
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _read_state() -> Server | None:
    try:
        data = json.loads((home() / STATE_FILE).read_text())
        return Server(int(data["pid"]), int(data["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_owner_only(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def status() -> Server | None:
    """The running herstel server of this PREFECT_HOME, or None (a dead one's state is removed)."""
    state = _read_state()
    if state is None:
        return None
    if _alive(state.pid) and healthy(state.api_url):
        return state
    if not _alive(state.pid):
        (home() / STATE_FILE).unlink(missing_ok=True)
    return None


def _port_free(number: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((HOST, number))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _lock():
    """Two commands starting at once must not start two servers."""
    home().mkdir(mode=0o700, parents=True, exist_ok=True)  # Prefect's database goes here too
    fd = os.open(home() / "herstel-server.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def server_env(number: int) -> dict[str, str]:
    """The server's environment: loopback, one port, the UI pointed at that port's API."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return env | {
        "PREFECT_SERVER_API_HOST": HOST,
        "PREFECT_SERVER_API_PORT": str(number),
        "PREFECT_UI_API_URL": f"http://{HOST}:{number}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": env.get("PREFECT_SERVER_LOGGING_LEVEL", "WARNING"),
    }


def start(timeout_s: float = START_TIMEOUT_S, say=None) -> Server:
    """The running server, or a new one started in the background and left running."""
    with _lock():
        running = status()
        if running is not None:
            return running
        number = port()
        if not _port_free(number):
            raise ServerError(
                f"port {number} on {HOST} is taken by another program: "
                "set HERSTEL_SERVER_PORT to a free port"
            )
        if say:
            say(f"Starting the local Prefect server on http://{HOST}:{number} (once) ...")
        log = home() / LOG_FILE
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST]
        proc = subprocess.Popen(
            [*cmd, "--port", str(number)],
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            env=server_env(number),
            start_new_session=True,  # a Ctrl-C in the terminal that started it does not stop it
        )
        os.close(log_fd)
        server = Server(proc.pid, number)
        _write_owner_only(home() / STATE_FILE, json.dumps({"pid": proc.pid, "port": number}))
        _started[proc.pid] = proc
        deadline = time.monotonic() + timeout_s
        while not healthy(server.api_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                stop()
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                raise ServerError(
                    f"the local Prefect server did not start (log: {log}): " + " | ".join(tail)
                )
            time.sleep(0.3)
        return server


#: Servers this process started, so `stop` can reap them (no zombies in a test run).
_started: dict[int, subprocess.Popen] = {}


def stop(timeout_s: float = STOP_TIMEOUT_S) -> Server | None:
    """Stop the running server (SIGTERM, SIGKILL after `timeout_s`); returns what was stopped."""
    state = _read_state()
    if state is None:
        return None
    if _alive(state.pid):
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _alive(state.pid) and time.monotonic() < deadline:
            if state.pid in _started and _started[state.pid].poll() is not None:
                break
            time.sleep(0.2)
        if _alive(state.pid) and (state.pid not in _started or _started[state.pid].poll() is None):
            os.kill(state.pid, signal.SIGKILL)
    if state.pid in _started:
        _started.pop(state.pid).wait(timeout=timeout_s)
    (home() / STATE_FILE).unlink(missing_ok=True)
    return state


def use(say=None) -> str | None:
    """Point this process's Prefect at the herstel server (starting it if needed); returns the
    API URL, or None when PREFECT_API_URL is already set or HERSTEL_SERVER=temporary."""
    if os.environ.get("PREFECT_API_URL") or mode() == "temporary":
        return None
    try:
        server = start(say=say)
    except ServerError as exc:  # the command still runs, on a temporary server
        if say:
            say(f"{exc}; this command uses a temporary Prefect server instead")
        return None
    os.environ["PREFECT_API_URL"] = server.api_url
    return server.api_url
