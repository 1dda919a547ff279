#!/usr/bin/env python
"""Coverage-guided fuzzing (atheris) of XML input: GPX and Apple Health export.xml.

    python tests/fuzz/atheris_xml.py -max_total_time=180

The first byte of an input picks the file name (`route.gpx` or `export.xml`, the sniffing
fallback); the rest is the document. Crashes land in /tmp/herstel-atheris/xml/.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["parsers", "fuzzkit", "gpxpy", "defusedxml"]):
    import fuzzkit as fk

    from parsers.base import ParseError

NAMES = ["route.gpx", "export.xml"]


def one_input(data: bytes) -> None:
    name, body = fk.choose(data, NAMES)
    try:
        result = fk.strict_parse(body, name)
    except ParseError:
        return
    fk.check_parsed(result)


def corpus() -> list[bytes]:
    gpx = [bytes([0]) + s.data for s in fk.seeds()["gpx"] if len(s.data) <= 30_000]
    return gpx + [bytes([1]) + s.data for s in fk.seeds()["apple_health_xml"]]


if __name__ == "__main__":
    fk.run_atheris("xml", one_input, corpus())
