"""`herstel serve`: the nightly flow as a scheduled Prefect deployment, and the report over http.

Schedules need a real Prefect server (the temporary one refuses them): serve uses herstel's
long-lived local server (flows/server.py), starting it if needed and leaving it running for
the UI. The cron schedule runs in the club's time zone. SIGINT and SIGTERM stop serve within
seconds, always: Prefect's runner runs in a thread, the main thread waits for the signal, asks
the runner to stop and gives it STOP_GRACE_S before leaving anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from flows import server

#: Seconds the runner gets to stop after SIGINT/SIGTERM before serve exits regardless.
STOP_GRACE_S = 5.0
DEPLOYMENT = "herstel-nightly"
#: Where the report is served on loopback unless HERSTEL_REPORT_PORT says otherwise.
DEFAULT_REPORT_PORT = 4280


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # request paths name athletes: keep them out of logs
        pass


def serve_folder(folder: Path, port: int | None = None) -> tuple[ThreadingHTTPServer, str]:
    """Serve a report folder read-only on 127.0.0.1 in a daemon thread; returns its index URL."""
    if port is None:
        port = int(os.environ.get("HERSTEL_REPORT_PORT", DEFAULT_REPORT_PORT))
    handler = partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer((server.HOST, port), handler)
    threading.Thread(target=httpd.serve_forever, name="report-http", daemon=True).start()
    return httpd, f"http://{server.HOST}:{httpd.server_address[1]}/index.html"


class StopSignal:
    """SIGINT/SIGTERM handling from the start: before serving, a signal ends the process at
    once (nothing to clean up: the local server is long-lived); once serving, it wakes
    `wait`, so serve can stop the runner first."""

    def __init__(self) -> None:
        self.serving = False
        self._got = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum, _frame) -> None:
        if not self.serving:
            sys.stdout.flush()
            os._exit(0)
        self._got.set()

    def wait(self) -> None:
        self.serving = True
        while not self._got.wait(1.0):
            pass


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    StopSignal().wait()


def serve_nightly(
    cron: str,
    db: str | None,
    report_dir: str | None = None,
    tz: str = "UTC",
    lang: str = "en",
    say: Callable[[str], None] = print,
) -> None:
    """Serve the nightly deployment until SIGINT/SIGTERM."""
    stop = StopSignal()
    if not os.environ.get("PREFECT_API_URL"):
        running = server.start(say=say)
        os.environ["PREFECT_API_URL"] = running.api_url
    ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
    report_url = None
    httpd = None
    if report_dir:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        httpd, report_url = serve_folder(Path(report_dir))
        say(f"The report (after the first run): {report_url}")

    from prefect.runner import Runner
    from prefect.schedules import Cron

    from flows.nightly import nightly

    runner = Runner(name=DEPLOYMENT)
    runner.add_flow(
        nightly,
        name=DEPLOYMENT,
        schedule=Cron(cron, timezone=tz),
        parameters={"db": db, "report_dir": report_dir, "lang": lang, "report_url": report_url},
    )
    thread = threading.Thread(
        target=lambda: asyncio.run(runner.start()), name="runner", daemon=True
    )
    thread.start()
    say(f"Serving {DEPLOYMENT}: cron '{cron}' in {tz}. Prefect UI: {ui}/deployments")
    say(f"Run it now: prefect deployment run {DEPLOYMENT}/{DEPLOYMENT}  (Ctrl-C stops serving)")
    stop.wait()
    say("Stopping ...")
    # whatever hangs later (a flow run that does not cancel, Prefect's exit handlers), the
    # process ends: os._exit after twice the grace
    threading.Timer(2 * STOP_GRACE_S, os._exit, args=(0,)).start()
    if httpd is not None:
        httpd.shutdown()
    if runner.started and getattr(runner, "_loop", None) is not None:
        with contextlib.suppress(Exception):
            runner.execute_in_background(runner.astop).result(STOP_GRACE_S)
    thread.join(STOP_GRACE_S)
    sys.stdout.flush()
    os._exit(0)  # the runner's threads and Prefect's loop threads are not ours to wait for
