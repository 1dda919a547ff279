#!/usr/bin/env python
"""Coverage-guided fuzzing (atheris) of vendor JSON: Garmin Connect, Fitbit, Polar.

    python tests/fuzz/atheris_json.py -max_total_time=180

The first byte of an input picks the file name (it breaks ties such as an empty `[]`); the
rest is the document. Crashes land in /tmp/herstel-atheris/json/.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["parsers", "fuzzkit"]):
    import fuzzkit as fk

    from parsers.base import ParseError

SEEDS = [s for group in fk.seeds().values() for s in group
         if s.group not in ("zip",) and s.data.lstrip()[:1] in (b"{", b"[")]
NAMES = [s.name for s in SEEDS]


def one_input(data: bytes) -> None:
    name, body = fk.choose(data, NAMES)
    try:
        result = fk.strict_parse(body, name)
    except ParseError:
        return
    fk.check_parsed(result)


if __name__ == "__main__":
    fk.run_atheris("json", one_input, [bytes([i]) + s.data for i, s in enumerate(SEEDS)])
