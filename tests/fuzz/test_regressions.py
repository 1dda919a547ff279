"""Replay every input the fuzzers ever crashed on (`tests/fuzz/regressions/<format>/`).

Each file is parsed under its own name (`<hash>--<name>` -> `<name>`) the way the fuzz
property demands: a `ParsedFile` or a `ParseError`, within the time and memory bounds, and
`parse_input` never raises. A file in `fit/` is also fed to the fast FIT engine alone, whose
fallback to fitparse would otherwise hide its crashes. See regressions/README.md.
"""

from __future__ import annotations

import contextlib

import fuzzkit as fk
import pytest

from parsers.archive import iter_members
from parsers.base import ParseError
from parsers.inputs import parse_input

#: part of the real-input / hostile set: `pytest -m hostile` (docs/reliability.md)
pytestmark = pytest.mark.hostile

#: file name -> reason, for reproducers whose bug lives in code this suite may not fix yet
#: (strict: the test fails once the bug is fixed, so the mark gets removed).
XFAIL: dict[str, str] = {}

FILES = fk.regression_files()


def _id(path) -> str:
    return f"{path.parent.name}/{path.name}"


def _mark(path):
    reason = XFAIL.get(path.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(path, id=_id(path), marks=marks)


def test_there_are_regressions():
    assert FILES, "regression corpus is empty"


@pytest.mark.parametrize("path", [_mark(p) for p in FILES])
def test_regression_input(path, tmp_path):
    data = path.read_bytes()
    name = fk.regression_name(path)
    group = path.parent.name
    if group == "zip":
        try:
            members = list(iter_members(data, name))
        except ParseError:
            members = []
        for m in members:
            if m.data is not None:
                fk.only_parse_errors(m.data, m.name.rsplit("/", 1)[-1])
    elif group == "fit_fast":
        from parsers.fit import fast as fit_fast

        with contextlib.suppress(ParseError):
            fk.guarded(lambda: fit_fast.decode(data), len(data))
    else:
        for engine in ("fast", "fitparse") if group == "fit" else ("fast",):
            fk.only_parse_errors(data, name, engine=engine)
    target = tmp_path / name
    target.write_bytes(data)
    for result in parse_input(str(target), "a01"):
        assert "internal error" not in (result.error or ""), result.error
        assert (result.parsed is None) != (result.error is None)
