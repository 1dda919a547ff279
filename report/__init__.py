"""The report: warehouse -> static HTML pages a coach would rather look at than read.

The last stage of the one-way flow (files -> parsers -> warehouse -> metrics -> rules ->
report): it reads the warehouse views and never writes. Public API:

- `write_report(db, out, athlete=None, since=None, lang="en") -> Path` (the index page)
- `digest(db, since=None, lang="en") -> str`, the plain-text nightly message

See docs/report.md.
"""

from __future__ import annotations

from report.digest import digest
from report.html import write_report

__all__ = ["digest", "write_report"]
