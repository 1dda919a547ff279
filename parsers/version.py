"""The parsers' version, recorded with every file (`files.parser_version`).

A file quarantined under another version is read again by the next ingest, so a fixed or
newly added parser reaches the files it refused before (docs/study-import.md, "Re-running").
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

#: Bump with every change that makes some parser read a file differently (a new format, a
#: fixed bug): then files quarantined before are retried. A new herstel release retries
#: them too, as the distribution version is part of PARSER_VERSION.
PARSERS_REVISION = 2


def _distribution_version() -> str:
    try:
        return version("herstel")
    except PackageNotFoundError:  # a source checkout that is not installed
        return "0"


PARSER_VERSION = f"{_distribution_version()}+parsers.{PARSERS_REVISION}"
