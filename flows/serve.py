"""`herstel serve`: the nightly flow as a scheduled Prefect deployment.

Schedules need a real Prefect server (the temporary one refuses them). When PREFECT_API_URL is
unset we start `prefect server start` on loopback, wait until it answers, and point at it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

#: How long to wait for a freshly started local Prefect server, in seconds (~11 s seen here).
SERVER_START_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(api_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the local Prefect server at {api_url} did not start in {timeout_s:.0f} s")


def start_local_server(
    port: int | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """Start `prefect server start` on loopback; returns the process and its API URL."""
    port = port or _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        _wait_healthy(api_url, SERVER_START_TIMEOUT_S)
    except Exception:
        proc.terminate()
        raise
    return proc, api_url


def serve_nightly(cron: str, db: str | None, report_dir: str | None = None) -> None:
    """Serve the nightly deployment until interrupted."""
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        server, api_url = start_local_server()
        os.environ["PREFECT_API_URL"] = api_url
        print(f"Started a local Prefect server: {api_url.removesuffix('/api')}")
    from flows.nightly import nightly

    try:
        nightly.serve(
            name="herstel-nightly", cron=cron, parameters={"db": db, "report_dir": report_dir}
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
