"""The `herstel` command line: a thin layer over the flows and the warehouse read helpers.

`app.py` holds the Typer app, its shared options and helpers, and `main`; each other module
one group of commands, registered on `app` when imported here (the one place that imports
them all): `ingest`, `nightly` (with `report`), `catalogue` (`flags`, `rules`, `export`),
`demo`, `admin` (`serve`, `forget`, `compact`) and `server` (`server ...`, `alerts ...`).
"""

# the order of these imports is the order of the commands in `herstel --help`
from flows.cli import ingest, nightly, catalogue, demo, admin  # noqa: F401, I001 - they register
from flows.cli.app import app, main

__all__ = ["app", "main"]
