"""Prefect's own records of herstel runs, for `herstel forget`.

Prefect stores each flow run's parameters in its database; an ingest with `--athlete anna` or
a path to `study/anna/` names her there (a pseudonymised ingest passes its paths and athlete
masked, see flows/cli/ingest.py). Forgetting an athlete therefore also deletes, through the Prefect
client and against the server in use, every herstel flow run whose parameters or name name
the athlete, and every artifact of a herstel run that names her. Logs are not touched: herstel
logs counts, never ids (docs/reliability.md).
"""

from __future__ import annotations

import json
import re

#: Flow runs read per request when scanning a server's history.
PAGE = 200
#: herstel's flows are all named `herstel-...` (flows/ingest.py, flows/nightly.py).
FLOW_PREFIX = "herstel-"


def names(athlete_id: str):
    """A test for text that names `athlete_id` as a whole word (so `anna` names
    `study/anna/x.fit` and `anna_2024.zip`, not `annabel/`)."""
    pattern = re.compile(rf"(?<![^\W_]){re.escape(athlete_id)}(?![^\W_])")
    return lambda text: bool(pattern.search(text or ""))


def _herstel_runs(client) -> list:
    """Every flow run of a flow named `herstel-...`, page by page."""
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    flows = FlowFilter(name=FlowFilterName(like_=FLOW_PREFIX))
    ours = {f.id for f in client.read_flows(flow_filter=flows) if f.name.startswith(FLOW_PREFIX)}
    found, offset = [], 0
    while page := client.read_flow_runs(flow_filter=flows, limit=PAGE, offset=offset):
        found += [r for r in page if r.flow_id in ours]
        offset += len(page)
    return found


def _artifacts(client) -> list:
    found, offset = [], 0
    while page := client.read_artifacts(limit=PAGE, offset=offset):
        found += page
        offset += len(page)
    return found


def _names_in_run(named, run) -> bool:
    return named(json.dumps(run.parameters, ensure_ascii=False, default=str)) or named(run.name)


def forget_runs(athlete_id: str) -> tuple[int, int]:
    """Delete the flow runs and artifacts of herstel runs that name the athlete; returns
    (flow runs, artifacts) deleted."""
    from prefect.client.orchestration import get_client

    named = names(athlete_id)
    with get_client(sync_client=True) as client:
        runs = _herstel_runs(client)
        ours = {r.id for r in runs}
        doomed = {r.id for r in runs if _names_in_run(named, r)}
        artifacts = [
            a
            for a in _artifacts(client)
            if a.flow_run_id in ours
            and (
                a.flow_run_id in doomed
                or named(json.dumps(a.data, ensure_ascii=False, default=str))
                or named(a.description)
            )
        ]
        for artifact in artifacts:
            client.delete_artifact(artifact.id)
        for run_id in sorted(doomed):
            client.delete_flow_run(run_id)
    return len(doomed), len(artifacts)
