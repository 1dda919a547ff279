"""The line that says what herstel is waiting for: on a terminal only."""

from __future__ import annotations

import io

from rich.console import Console

from flows import progress


def test_step_names_what_herstel_waits_for_on_a_terminal():
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=80)
    with progress.step("starting Prefect, then computing", console=terminal):
        pass
    assert "starting Prefect, then computing ..." in out.getvalue()


def test_step_is_quiet_in_a_log():
    out = io.StringIO()
    log = Console(file=out, force_terminal=False, width=80)
    with progress.step("computing", console=log):
        pass
    assert out.getvalue() == ""
