"""Property tests: every parser entry survives mutated and generated input (docs/reliability.md).

For every format (FIT, GPX, long CSV, wellness CSV, each vendor format, zip):
- the parser returns a `ParsedFile` or raises `ParseError` with a reason, nothing else
  (called WITHOUT the registry's catch-all, see `fuzzkit.strict_parse`);
- each call ends within `fuzzkit.TIME_LIMIT_S` (thread-based timeout: a hang detector) and
  its Python-heap peak stays under `fuzzkit.memory_bound(len(input))`;
- a result has canonical frames and no impossible value left (`fuzzkit.check_parsed`);
- `parse_input` (file or zip on disk) never raises at all.

The default run is bounded (`FAST` examples per format, derandomized so CI is repeatable);
`-m slow` runs the `LONG` variant with fresh random examples.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import fuzzkit as fk
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.archive import iter_members
from parsers.base import ParseError
from parsers.inputs import ParseResult, parse_input
from parsers.vendors import VENDOR_PARSERS

FAST = int(os.environ.get("HERSTEL_FUZZ_EXAMPLES", "200"))
LONG = int(os.environ.get("HERSTEL_FUZZ_LONG_EXAMPLES", "3000"))
GROUPS = fk.groups()  # every registered format with seeds (see test_every_format_is_fuzzed)


def _budget(group: str) -> int:
    """Examples per group in the default run: `FAST` for each built-in format and for each
    vendor (shared between that vendor's file kinds); FIT splits its share between engines."""
    if group == "fit":
        return max(FAST // 2, 10)
    for module in VENDOR_PARSERS:
        kinds = [entry.format for entry in module.PARSERS]
        if group in kinds:
            return max(FAST // len(kinds), 10)
    return FAST

fast = settings(max_examples=FAST, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), print_blob=True)
long = settings(max_examples=LONG, deadline=None, derandomize=False,
                suppress_health_check=list(HealthCheck), print_blob=True)


def _seeds(group: str, big: bool) -> list[fk.Seed]:
    """FIT seeds over 16 KB only in the long run (fitparse reads ~0.4 MB/s)."""
    seeds = fk.seeds()[group]
    return [s for s in seeds if len(s.data) <= 16_000] if group == "fit" and not big else seeds


def _mutated(group: str, draw, big: bool = False) -> tuple[bytes, str]:
    seed = draw(st.sampled_from(_seeds(group, big)))
    return fk.mutate(seed.data, draw(fk.mutation_ops())), seed.name


# ---------------------------------------------------------------- byte mutations


def _check_mutated(group: str, data, big: bool = False) -> None:
    blob, name = _mutated(group, data.draw, big)
    fk.only_parse_errors(blob, name, engine="fitparse" if group == "fit" else "fast")


@pytest.mark.parametrize("group", GROUPS)
def test_mutated_seed_gives_a_result_or_a_parse_error(group):
    @settings(fast, max_examples=_budget(group))
    @given(data=st.data())
    def check(data):
        _check_mutated(group, data)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("group", GROUPS)
@long
@given(data=st.data())
def test_mutated_seed_long(group, data):
    _check_mutated(group, data, big=True)


def _fast_fit():
    try:
        from parsers.fit import fast as fit_fast
    except ImportError:
        pytest.skip("fast FIT engine not present")
    return fit_fast


def _check_fast_engine(data) -> None:
    """The fast engine alone (its fallback to fitparse in decode_fit would hide its bugs)."""
    fit_fast = _fast_fit()
    blob, _ = _mutated("fit", data.draw)
    try:
        fk.guarded(lambda: fit_fast.decode(blob), len(blob))
    except ParseError as exc:
        assert str(exc).strip()


@fast
@given(data=st.data())
def test_fast_fit_engine_raises_only_parse_error(data):
    _check_fast_engine(data)


@pytest.mark.slow
@long
@given(data=st.data())
def test_fast_fit_engine_long(data):
    _check_fast_engine(data)


@settings(fast, max_examples=max(FAST // 2, 10))
@given(data=st.data())
def test_fit_with_default_engine_and_fallback(data):
    """What users run: engine "fast" with its fitparse fallback."""
    blob, name = _mutated("fit", data.draw)
    fk.only_parse_errors(blob, name, engine="fast")


# ---------------------------------------------------------------- generated content

#: Cells that exercise the value paths: boundaries, wrong types, odd times, injections.
CELL = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "255", "251", "1e308", "-1e308", "nan", "NaN", "inf",
                     "-inf", "9" * 30, "1,5", "3.2", "2024-03-01", "2024-02-30", "1899-12-31",
                     "2999-01-01T00:00:00Z", "2024-03-01T22:00:00Z", "2024-03-01 22:00:00",
                     "2024-03-01T22:00:00+14:00", "2024-03-01T22:00:00-23:59",
                     "01.03.2024 07:00", "03/01/24 00:00:00", "UTC+09:00", "GMT-5", "PT7H30M",
                     "true", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)",
                     '"', '""', "\x00", "\ufeff", "é", "light", "deep", "rem", "awake", "end",
                     "heart_rate", "rr", "sleep_stage", "resting_hr", "bpm", "ms", "s", "min",
                     '{"interval": 300.0, "items": [null, 1e400]}', "[1, 2", "{}", "[]"]),
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _header(seed: fk.Seed) -> list[str]:
    text = seed.data.decode("utf-8-sig", errors="replace")
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = ";" if ";" in line and "," not in line else ("\t" if "\t" in line else ",")
    return [c.strip().strip('"') for c in line.split(sep)]


CSV_GROUPS = [g for g in GROUPS if fk.seeds()[g][0].data.lstrip()[:1] not in (b"<", b"{", b"[")
              and g != "fit"]


@pytest.mark.parametrize("group", CSV_GROUPS)
@settings(fast, max_examples=max(FAST // 8, 5))
@given(data=st.data())
def test_generated_rows_under_a_real_header(group, data):
    """A real header (the format is sniffed as intended) with rows of hostile cells."""
    seed = data.draw(st.sampled_from(fk.seeds()[group]))
    header = _header(seed)
    rows = data.draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)),
                              min_size=1, max_size=8))
    sep = data.draw(st.sampled_from([",", ";"]))
    quote = lambda c: '"' + c.replace('"', '""') + '"'  # noqa: E731
    lines = [sep.join(quote(h) for h in header)]
    lines += [sep.join(quote(c) for c in row) for row in rows]
    blob = ("\n".join(lines) + "\n").encode("utf-8", errors="replace")
    fk.only_parse_errors(blob, seed.name)


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                      st.floats(allow_nan=False, allow_infinity=False), CELL,
                      st.just([]), st.just({}), st.just([None]))


def _leaves(doc, path=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, (*path, i))
    yield path


def _replace(doc, path, value):
    if not path:
        return value
    doc[path[0]] = _replace(doc[path[0]], path[1:], value)
    return doc


def _is_json(data: bytes) -> bool:
    """A JSON document (a Polar .hrm also starts with `[`: `[Params]`)."""
    try:
        json.loads(data)
    except ValueError:
        return False
    return data.lstrip()[:1] in (b"{", b"[")


JSON_GROUPS = [g for g in GROUPS if _is_json(fk.seeds()[g][0].data)]


@pytest.mark.parametrize("group", JSON_GROUPS)
@settings(fast, max_examples=max(FAST // 4, 5))
@given(data=st.data())
def test_json_with_values_of_the_wrong_type(group, data):
    """Structure-aware: a real vendor document with some values replaced by any JSON value."""
    seed = data.draw(st.sampled_from([s for s in fk.seeds()[group] if _is_json(s.data)]))
    doc = json.loads(seed.data)
    paths = list(_leaves(doc))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        path = data.draw(st.sampled_from(paths))
        try:
            doc = _replace(doc, path, data.draw(JSON_LEAF))
        except (KeyError, IndexError, TypeError):
            continue  # the path went away with an earlier replacement
    fk.only_parse_errors(json.dumps(doc).encode(), seed.name)


# ---------------------------------------------------------------- zip and parse_input


def _check_results(results: list[ParseResult]) -> None:
    assert results, "parse_input returned nothing"
    for r in results:
        assert (r.parsed is None) != (r.error is None)
        assert "internal error" not in (r.error or ""), r.error
        if r.parsed is not None:
            fk.check_parsed(r.parsed, now=fk.NOW.replace(year=2100))


def _check_zip(tmp_path_factory, data) -> None:
    blob, name = _mutated("zip", data.draw)
    try:
        members = fk.guarded(lambda: list(iter_members(blob, name)), len(blob)).value
    except ParseError as exc:
        assert str(exc).strip()
    else:
        for m in members:
            assert (m.data is None) != (m.reason is None)
            if m.data is not None:
                fk.only_parse_errors(m.data, m.name.rsplit("/", 1)[-1], trace_memory=False)
    path = tmp_path_factory.mktemp("zip") / name
    path.write_bytes(blob)
    results = fk.guarded(lambda: parse_input(str(path), "a01"), len(blob), timeout=30).value
    _check_results(results)


@settings(fast, max_examples=max(FAST // 2, 10))
@given(data=st.data())
def test_mutated_zip_members_and_parse_input(tmp_path_factory, data):
    _check_zip(tmp_path_factory, data)


@pytest.mark.slow
@long
@given(data=st.data())
def test_mutated_zip_long(tmp_path_factory, data):
    _check_zip(tmp_path_factory, data)


@settings(fast, max_examples=max(FAST // 4, 10))
@given(data=st.data())
def test_parse_input_never_raises_on_any_mutated_file(tmp_path_factory, data):
    group = data.draw(st.sampled_from(GROUPS))
    blob, name = _mutated(group, data.draw)
    path = tmp_path_factory.mktemp("in") / name
    path.write_bytes(blob)
    _check_results(fk.guarded(lambda: parse_input(str(path), "a01"), len(blob)).value)


def test_parse_input_never_raises_on_unreadable_paths(tmp_path):
    """A missing file, a directory, a file without read permission: a recorded error."""
    locked = tmp_path / "locked.fit"
    locked.write_bytes(fk.seeds()["fit"][0].data)
    locked.chmod(0)
    for path in (tmp_path / "missing.fit", tmp_path, locked):
        results = parse_input(str(path), "a01")
        assert len(results) == 1
        if os.geteuid() != 0 or path != locked:  # root reads a mode-0 file anyway
            assert results[0].error and results[0].parsed is None


def test_zip_seed_is_a_real_export():
    """The zip seeds are read as intended before mutation (else the fuzzing proves little)."""
    members = list(iter_members(fk.seeds()["zip"][0].data, "export.zip"))
    assert len([m for m in members if m.data is not None]) >= 5
    nested = list(iter_members(fk.seeds()["zip"][2].data, "nested.zip"))
    assert any(m.reason and "escapes" in m.reason for m in nested)
    assert any("/" in m.name and m.data is not None for m in nested)
    with zipfile.ZipFile(io.BytesIO(fk.seeds()["zip"][1].data)) as zf:
        assert zf.testzip() is None


def test_every_format_is_fuzzed():
    """A new format in the registry needs seeds: a fixture in tests/parsers/vendors/ (vendor
    formats), a file in sample_data/study, or a hand-written seed in fuzzkit.seeds()."""
    from parsers.registry import FORMATS

    assert set(FORMATS) <= set(GROUPS), f"no fuzz seeds for {set(FORMATS) - set(GROUPS)}"


def test_every_group_has_seeds_that_parse():
    """Each group's seeds reach their own parser (a seed refused up front fuzzes nothing)."""
    for group in GROUPS:
        parsed = []
        for seed in fk.seeds()[group]:
            try:
                parsed.append(fk.strict_parse(seed.data, seed.name))
            except ParseError:
                continue
        assert parsed, f"no seed of {group} parses"
        assert any(p.format == group for p in parsed), group
