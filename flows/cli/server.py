"""`herstel server` and `herstel alerts`: the local Prefect server and the alert receivers
(docs/nightly-run.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

console = Console()


@contextmanager
def server_errors() -> Iterator[None]:
    from flows.server import ServerError

    try:
        yield
    except ServerError as exc:
        console.print(f"[red]herstel:[/] {exc}")
        raise typer.Exit(1) from None


server_app = typer.Typer(
    help="The local Prefect server flow commands share (started on first need).",
    no_args_is_help=True,
)


@server_app.command("start")
def server_start() -> None:
    """Start the local server in the background (if it is not running) and say where."""
    from flows import server

    with server_errors():
        running = server.start(say=console.print)
    console.print(f"Prefect server running: {running.url} (pid {running.pid})")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local server."""
    from flows import server

    stopped = server.stop()
    console.print(f"Stopped the Prefect server (pid {stopped.pid})." if stopped else "Not running.")


@server_app.command("status")
def server_status() -> None:
    """Say whether the local server runs, and where (exit 3 when it does not)."""
    from flows import server

    running = server.status()
    if running is None:
        console.print("Not running (flow commands start it; or: herstel server start).")
        raise typer.Exit(3)
    console.print(f"Prefect server running: {running.url} (pid {running.pid})")


alerts_app = typer.Typer(
    help="Alert receivers (apprise URLs in the config file; see docs/nightly-run.md).",
    no_args_is_help=True,
)


@alerts_app.command("list")
def alerts_list() -> None:
    """The config file and its receivers, passwords masked."""
    from alerts.config import ConfigError, config_path, load_config
    from alerts.deliver import receiver_id

    try:
        config = load_config()
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(
        f"Config: {config_path()}  (language {config.lang}, "
        f"no data after {config.stale_after_nights} nights)",
        soft_wrap=True,
    )
    if not config.urls:
        console.print("No receivers: add [alerts] urls = [...] to the config file.")
    for url in config.urls:
        console.print(f"- {receiver_id(url)[0]}", markup=False)


@alerts_app.command("test")
def alerts_test() -> None:
    """Send a test message to every receiver; exit 1 if any fails."""
    from alerts.config import ConfigError, load_config
    from alerts.deliver import send_test

    try:
        config = load_config()
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    if not config.urls:
        raise typer.BadParameter("no receivers configured (herstel alerts list)")
    result = send_test(config)
    for d in result.deliveries:
        console.print(
            f"{'ok    ' if d.ok else 'FAILED'} {d.receiver}" + (f": {d.error}" if d.error else ""),
            markup=False,
        )
    if result.failed:
        raise typer.Exit(1)
