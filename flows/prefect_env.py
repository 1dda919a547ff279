"""Prefect settings herstel applies before Prefect is imported.

Without PREFECT_API_URL, each CLI run starts Prefect's temporary local server (~6 s here). We keep
what it costs down: no telemetry (it also logs an error offline) and quiet Prefect logs unless the
user asks for them. Users who set these variables themselves keep their values.
"""

from __future__ import annotations

import logging
import os

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # the temporary server's default 20 s start-up limit is too short on a loaded 2-core machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure(verbose: bool = False) -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    # The temporary server may log "Error flushing ... events" at interpreter exit; it is noise
    # for a CLI user whose flow runs already completed.
    logging.getLogger("prefect.events.clients").setLevel(logging.CRITICAL)
