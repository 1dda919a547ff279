#!/usr/bin/env python
"""Coverage-guided fuzzing (atheris) of zip archives: `parsers.archive.iter_members` on the
bytes, then every member it hands out through the registry.

    python tests/fuzz/atheris_zip.py -max_total_time=180

Crashes land in /tmp/herstel-atheris/zip/.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["parsers", "fuzzkit", "zipfile"]):
    import fuzzkit as fk

    from parsers.archive import iter_members
    from parsers.base import ParseError


def one_input(data: bytes) -> None:
    try:
        members = list(iter_members(data, "fuzz.zip"))
    except ParseError:
        return
    for member in members:
        assert (member.data is None) != (member.reason is None), member
        if member.data is None:
            continue
        try:
            result = fk.strict_parse(member.data, member.name.rsplit("/", 1)[-1])
        except ParseError:
            continue
        fk.check_parsed(result)


if __name__ == "__main__":
    fk.run_atheris("zip", one_input, [s.data for s in fk.seeds()["zip"]])
