"""What herstel is waiting for, on stderr: a status line for each step (starting Prefect,
computing) and a progress bar for long ingests, fed by a hook the CLI sets (flow parameters
must stay serialisable, so the hook is not one).

Both show only on a terminal: a cron job's log stays quiet when things work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

_hook: Callable[[list], None] | None = None
_stderr = Console(stderr=True)


@contextmanager
def step(text: str, console: Console | None = None) -> Iterator[None]:
    """A spinner line saying what herstel waits for ("starting Prefect, then computing"),
    replaced by the command's own output when the step ends."""
    console = console or _stderr
    if not console.is_terminal:
        yield
        return
    with console.status(f"{text} ...", spinner="dots"):
        yield


def report(outcomes: list) -> None:
    """Called by the ingest flow after each loaded batch of files."""
    if _hook is not None:
        _hook(outcomes)


@contextmanager
def bar(n_files: int, total_bytes: int, enabled: bool = True) -> Iterator[None]:
    """Files, megabytes, rate and time remaining, on stderr, while the flow runs."""
    global _hook
    if not enabled or n_files == 0:
        yield
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[mb]} · {task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    total_mb = total_bytes / 1e6
    with Progress(*columns, console=Console(stderr=True)) as progress:
        # the first batch arrives once Prefect has started and the parsers have run
        task = progress.add_task(
            "starting Prefect, parsing", total=n_files, mb=f"0/{total_mb:.1f} MB", rate=""
        )
        done_bytes = 0

        def advance(outcomes: list) -> None:
            nonlocal done_bytes
            done_bytes += sum(o.size_bytes for o in outcomes)
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(
                task,
                description="parsing and loading",
                advance=len({o.path.split(".zip/")[0] for o in outcomes}),
                mb=f"{min(done_bytes, total_bytes) / 1e6:.1f}/{total_mb:.1f} MB",
                rate=f"{done_bytes / 1e6 / elapsed:.1f} MB/s",
            )

        _hook = advance
        try:
            yield
        finally:
            _hook = None
