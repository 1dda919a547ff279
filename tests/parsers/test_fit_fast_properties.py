"""Property tests: random FIT files built byte by byte, fast engine against the reference.

Strategies write definitions (little- and big-endian, profile fields with their base
types, unknown fields with any base type, array fields, strings without terminators,
developer fields), data messages (random bytes, invalid sentinels, compressed timestamp
headers, timestamp_16), redefinitions and chained files. Then:

- on the file as built, `decode_fit(.., "fast")` equals `decode_fit(.., "fitparse")` frame
  for frame, and neither reports a problem;
- cut anywhere, both keep the same messages (or both refuse the file with ParseError);
- with bytes corrupted anywhere, the fast engine raises nothing but ParseError.

Generated files avoid what fitparse 1.2.0 itself cannot read (misaligned field sizes,
zero-size fields, base-type bytes without the endian bit, developer fields without a
field description): those are unit-tested against exact values in test_fit_fast.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from parsers.base import ParseError
from parsers.fit import fast as fit_fast
from parsers.fit import profile as fp
from parsers.fit.decode import FitDecoded, decode_fit
from parsers.fit.fast.raw_writer import BASE, FitFile, pack

#: Messages drawn from: record, hrv, session, monitoring, sleep_level, hrv_value, event,
#: file_id, monitoring_hr_data, and one the profile does not know.
MESSAGES = [20, 78, 18, 55, 275, 371, 21, 0, 211, 0xFF01]
#: Base types unknown fields may have (fixed per field number, so columns keep one kind).
UNKNOWN_BASES = [
    BASE[n]
    for n in (
        "uint8",
        "sint8",
        "uint16",
        "sint16",
        "uint32",
        "sint32",
        "float32",
        "float64",
        "uint8z",
        "uint16z",
        "uint32z",
        "byte",
        "string",
        "enum",
        "uint64",
        "sint64",
    )
]
DEV_INDEX, DEV_FIELD, DEV_BASE = 0, 0, BASE["uint8"]
T_START = 1_000_000_000
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class FieldSpec:
    num: int
    base: int
    size: int


@dataclass(frozen=True)
class DefSpec:
    mesg: int
    fields: tuple[FieldSpec, ...]
    big: bool
    dev_size: int  # bytes of one developer field (0: no developer fields)


def _element_size(base: int) -> int:
    bt = fp.base_type(base)
    return bt.size if bt else 1


def _unknown_base(num: int) -> int:
    return UNKNOWN_BASES[num % len(UNKNOWN_BASES)]


@st.composite
def field_specs(draw, mesg: int) -> FieldSpec:
    profile = fp.message_fields(mesg)
    known = [n for n, f in profile.items() if f.base_type in BASE]
    num = draw(
        st.sampled_from(known)
        if known and draw(st.booleans())
        else st.integers(100, 130)
        if mesg != 0xFF01
        else st.sampled_from([253, 1, 2, 3])
    )
    info = profile.get(num)
    if info is not None:
        base = BASE[info.base_type]
    elif num == fp.TIMESTAMP_FIELD:
        base = BASE["uint32"]
    else:
        base = _unknown_base(num)
    if base in (BASE["string"], BASE["byte"]):
        return FieldSpec(num, base, draw(st.integers(1, 8)))
    # Several elements: profile arrays, and unknown fields (fitparse's component expansion
    # of known fields fails on multi-element values, so they get one element).
    several = (info.is_array if info else num != fp.TIMESTAMP_FIELD) and draw(st.booleans())
    count = draw(st.integers(2, 4)) if several else 1
    return FieldSpec(num, base, count * _element_size(base))


@st.composite
def def_specs(draw, with_dev: bool) -> DefSpec:
    mesg = draw(st.sampled_from(MESSAGES))
    fields = draw(st.lists(field_specs(mesg), min_size=0, max_size=6, unique_by=lambda f: f.num))
    dev_size = draw(st.integers(1, 4)) if with_dev and draw(st.booleans()) else 0
    return DefSpec(mesg, tuple(fields), draw(st.booleans()), dev_size)


@st.composite
def field_bytes(draw, spec: FieldSpec, big: bool, clock: list[int]) -> bytes:
    """One field's bytes: plausible times for 253, else random bytes or a sentinel."""
    if spec.num == fp.TIMESTAMP_FIELD and spec.base == BASE["uint32"]:
        if draw(st.integers(0, 9)) == 0:
            return b"\xff" * 4
        clock[0] += draw(st.integers(0, 40))
        return pack(spec.base, clock[0], big)
    if spec.base == BASE["string"]:
        text = draw(st.binary(max_size=spec.size))
        pad = draw(st.sampled_from([b"\x00", b"\xff"]))
        return (text + pad * spec.size)[: spec.size]
    return draw(
        st.one_of(
            st.binary(min_size=spec.size, max_size=spec.size),
            st.just(b"\xff" * spec.size),
            st.just(b"\x00" * spec.size),
        )
    )


def _developer_preamble(f: FitFile) -> None:
    """developer_data_id + field_description: fitparse needs both before developer fields."""
    f.define(15, 207, [(3, 1, BASE["uint8"]), (1, 4, BASE["byte"])])
    f.data(15, bytes([DEV_INDEX]), b"\x01\x02\x03\x04")
    f.define(
        15,
        206,
        [
            (0, 1, BASE["uint8"]),
            (1, 1, BASE["uint8"]),
            (2, 1, BASE["uint8"]),
            (3, 4, BASE["string"]),
        ],
    )
    f.data(15, bytes([DEV_INDEX]), bytes([DEV_FIELD]), bytes([DEV_BASE]), b"dev\x00")


@st.composite
def fit_file(draw, clock: list[int]) -> bytes:
    """One FIT file: definitions interleaved with data messages, some compressed."""
    f = FitFile(header_size=draw(st.sampled_from([12, 14])))
    with_dev = draw(st.booleans())
    if with_dev:
        _developer_preamble(f)
    defs: dict[int, DefSpec] = {}
    for _ in range(draw(st.integers(1, 25))):
        local = draw(st.integers(0, 5))
        if local not in defs or draw(st.integers(0, 7)) == 0:
            spec = draw(def_specs(with_dev))
            defs[local] = spec
            dev = [(DEV_FIELD, spec.dev_size, DEV_INDEX)] if spec.dev_size else None
            f.define(
                local,
                spec.mesg,
                [(s.num, s.size, s.base) for s in spec.fields],
                big=spec.big,
                dev_fields=dev,
            )
        spec = defs[local]
        values = [draw(field_bytes(s, spec.big, clock)) for s in spec.fields]
        if spec.dev_size:
            values.append(draw(st.binary(min_size=spec.dev_size, max_size=spec.dev_size)))
        offset = None
        if local <= 3 and draw(st.integers(0, 3)) == 0:
            clock[0] += draw(st.integers(0, 20))
            offset = clock[0] & 0x1F
        f.data(local, *values, time_offset=offset)
    return bytes(f)


@st.composite
def fit_bytes(draw) -> bytes:
    """One to three chained FIT files."""
    clock = [T_START]
    return b"".join(draw(fit_file(clock)) for _ in range(draw(st.integers(1, 3))))


def _decode(data: bytes, engine: str) -> FitDecoded | ParseError:
    try:
        return decode_fit(data, engine)
    except ParseError as exc:
        return exc


def _assert_same(fast: FitDecoded, ref: FitDecoded) -> None:
    assert set(fast.messages) == set(ref.messages)
    for name, expected in ref.messages.items():
        assert_frame_equal(
            fast.messages[name], expected, check_exact=True, check_column_order=False
        )


def _fast_only(data: bytes) -> None:
    """Call the fast engine directly (decode_fit would fall back to fitparse on a bug)."""
    try:
        frames, problems = fit_fast.decode(data)
    except ParseError:
        return
    assert isinstance(problems, list)
    for frame in frames.values():
        assert frame.schema["_index"] == pl.UInt32
        assert frame["_index"].is_sorted()


@SETTINGS
@given(fit_bytes())
def test_whole_files_decode_like_fitparse(data: bytes) -> None:
    fast, _ = fit_fast.decode(data)  # no fallback: the fast engine itself must succeed
    assert fast
    fast_all, ref = decode_fit(data, "fast"), decode_fit(data, "fitparse")
    assert fast_all.problems == ref.problems == []
    _assert_same(fast_all, ref)


@SETTINGS
@given(fit_bytes(), st.floats(0, 1))
def test_truncated_files_keep_the_same_prefix(data: bytes, where: float) -> None:
    cut = data[: int(len(data) * where)]
    _fast_only(cut)
    fast, ref = _decode(cut, "fast"), _decode(cut, "fitparse")
    if isinstance(ref, ParseError):
        assert isinstance(fast, ParseError)
        return
    assert not isinstance(fast, ParseError), fast
    assert bool(fast.problems) == bool(ref.problems)
    _assert_same(fast, ref)


@SETTINGS
@given(
    fit_bytes(), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=4)
)
def test_corrupted_files_raise_only_parse_error(data: bytes, edits) -> None:
    damaged = bytearray(data)
    for where, value in edits:
        damaged[min(int(len(damaged) * where), len(damaged) - 1)] = value
    _fast_only(bytes(damaged))


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(fit_bytes(), st.floats(0, 1))
def test_many_truncations_slow(data: bytes, where: float) -> None:
    test_truncated_files_keep_the_same_prefix.hypothesis.inner_test(data, where)
