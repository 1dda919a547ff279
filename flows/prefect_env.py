"""Prefect settings herstel applies before Prefect is imported.

Flow commands use herstel's long-lived local server (flows/server.py: started on first need,
reused after), unless PREFECT_API_URL points elsewhere or HERSTEL_SERVER=temporary asks for
Prefect's per-command temporary server. No telemetry (it also logs an error offline) and quiet
Prefect logs unless the user asks for them. Users who set these variables keep their values.
"""

from __future__ import annotations

import logging
import os
import sys

from flows import server

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # the temporary server's default 20 s start-up limit is too short on a loaded 2-core machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure(verbose: bool = False, use_server: bool = True) -> None:
    """Settings for a flow command; with `use_server`, point it at the local server."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    # The temporary server may log "Error flushing ... events" at interpreter exit; it is noise
    # for a CLI user whose flow runs already completed.
    logging.getLogger("prefect.events.clients").setLevel(logging.CRITICAL)
    if use_server:
        server.use(say=lambda line: print(line, file=sys.stderr, flush=True))
