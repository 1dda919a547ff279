#!/usr/bin/env python
"""Coverage-guided fuzzing (atheris) of CSV input: long CSV, wellness CSV and every vendor
CSV (WHOOP, Oura, Fitbit HRV, HRV4Training, Elite HRV).

    python tests/fuzz/atheris_csv.py -max_total_time=180

The first byte of an input picks the file name (the sniffing fallback); the rest is the
file. Crashes land in /tmp/herstel-atheris/csv/.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["parsers", "fuzzkit"]):
    import fuzzkit as fk

    from parsers.base import ParseError


def csv_seeds() -> list[fk.Seed]:
    return [s for group in fk.seeds().values() for s in group
            if s.group not in ("fit", "gpx", "zip", "apple_health_xml")
            and s.data.lstrip()[:1] not in (b"{", b"[", b"<")]


SEEDS = csv_seeds()
NAMES = [s.name for s in SEEDS]


def one_input(data: bytes) -> None:
    name, body = fk.choose(data, NAMES)
    try:
        result = fk.strict_parse(body, name)
    except ParseError:
        return
    fk.check_parsed(result)


if __name__ == "__main__":
    fk.run_atheris("csv", one_input, [bytes([i]) + s.data for i, s in enumerate(SEEDS)])
