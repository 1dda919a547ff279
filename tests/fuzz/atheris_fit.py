#!/usr/bin/env python
"""Coverage-guided fuzzing (atheris) of FIT: the fast engine alone, then the whole FIT path
(engine, timestamp_16 resolution, message -> canonical mapping, clean).

    python tests/fuzz/atheris_fit.py -max_total_time=180            # seeds built in
    HERSTEL_FIT_ENGINE=fitparse python tests/fuzz/atheris_fit.py ... # the reference engine

Crashes land in /tmp/herstel-atheris/fit/ (see docs/reliability.md).
"""

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["parsers", "fuzzkit"]):
    import fuzzkit as fk

    from parsers.base import ParseError

    try:
        from parsers.fit import fast as fit_fast
    except ImportError:  # the fast engine is optional
        fit_fast = None

ENGINE = os.environ.get("HERSTEL_FIT_ENGINE", "fast")
MAX_SEED = 16_000


def one_input(data: bytes) -> None:
    if fit_fast is not None and ENGINE == "fast":
        with contextlib.suppress(ParseError):
            fit_fast.decode(data)
    try:
        result = fk.strict_parse(data, "fuzz.fit", engine=ENGINE)
    except ParseError:
        return
    fk.check_parsed(result)


if __name__ == "__main__":
    fk.run_atheris(f"fit-{ENGINE}", one_input,
                   [s.data for s in fk.seeds()["fit"] if len(s.data) <= MAX_SEED])
