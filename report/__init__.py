"""The report: warehouse -> static HTML pages a coach would rather look at than read.

The last stage of the one-way flow (files -> parsers -> warehouse -> metrics -> rules ->
report): it reads the warehouse views and never writes. Public API:

- `write_report(db, out, athlete=None, since=None, lang="en") -> Path` (the index page)
- `digest(db, since=None, lang="en") -> str`, the plain-text nightly message

See docs/report.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# eager: the name `digest` must be the function, not the submodule of the same name
from report.digest import digest

if TYPE_CHECKING:
    from report.html import write_report

__all__ = ["digest", "write_report"]


def __getattr__(name: str):
    """Import on first use: the HTML side pulls in altair (~1 s), which the digest, the
    alerts and a nightly run without a report folder never need."""
    if name == "write_report":
        from report.html import write_report

        return write_report
    raise AttributeError(f"module 'report' has no attribute {name!r}")
