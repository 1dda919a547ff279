"""Zip exports read in place: path escapes, links, bombs and caps refused with a reason."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from parsers import archive
from parsers.archive import Limits, Member, iter_members, split
from parsers.base import ParseError

FIT = b"\x0e\x10\x43\x08\x00\x00\x00\x00.FIT\x00\x00"


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def garmin_export() -> bytes:
    uploads = make_zip({"12345.fit": FIT, "12346.fit": FIT + b"x"})
    return make_zip({
        "DI_CONNECT/DI-Connect-Wellness/2023-01-01_1234_sleepData.json": b"[]",
        "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": uploads,
        "DI_CONNECT/DI-Connect-Aggregator/": b"",  # a directory entry
    })


def test_members_in_order_with_one_level_of_nesting():
    members = list(iter_members(garmin_export(), "export.zip"))
    part = "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
    assert members == [
        Member("DI_CONNECT/DI-Connect-Wellness/2023-01-01_1234_sleepData.json", b"[]", None),
        Member(f"{part}/12345.fit", FIT, None),
        Member(f"{part}/12346.fit", FIT + b"x", None),
    ]
    name, data, reason = members[1]  # also a plain 3-tuple
    assert reason is None and data == FIT


def test_read_in_place_from_a_path(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(garmin_export())
    ok, refused = split(iter_members(path))
    assert len(ok) == 3 and refused == []


def test_path_escapes_and_absolute_names_are_refused():
    data = make_zip({"ok.json": b"{}", "../evil": b"x", "a/../../evil2": b"x",
                     "/etc/passwd": b"x", "C:\\Windows\\evil.dll": b"x"})
    got = {m.name: m.reason for m in iter_members(data, "bad.zip")}
    assert got["ok.json"] is None
    assert got["../evil"] == "path escapes the archive ('..')"
    assert got["a/../../evil2"] == "path escapes the archive ('..')"
    assert got["/etc/passwd"] == "absolute path"
    assert got["C:\\Windows\\evil.dll"] == "absolute path"
    assert all(m.data is None for m in iter_members(data) if m.reason)


def test_symlink_members_are_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("sleepData.json")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    [member] = iter_members(buf.getvalue(), "links.zip")
    assert member == Member("sleepData.json", None, "symbolic link member")


def test_zip_bomb_is_refused_without_inflating(monkeypatch):
    bomb = make_zip({"export.xml": b"\0" * (20 << 20), "ok.json": b"[]"})
    assert len(bomb) < 100_000  # ~1000:1
    inflated = []
    real_read = archive._read
    monkeypatch.setattr(archive, "_read", lambda a, info, cap: (inflated.append(info.filename),
                                                               real_read(a, info, cap))[1])
    members = list(iter_members(bomb, "bomb.zip"))
    assert members[0].data is None
    assert "compression ratio" in members[0].reason and "zip bomb" in members[0].reason
    assert members[1] == Member("ok.json", b"[]", None)
    assert inflated == ["ok.json"]


def test_declared_total_beyond_the_cap_refuses_the_whole_archive():
    data = make_zip({"a.json": b"x" * 600, "b.json": b"y" * 600})
    with pytest.raises(ParseError, match=r"declares 1,200 bytes unpacked.*refused without"):
        list(iter_members(data, "big.zip", Limits(max_total_bytes=1000)))


def test_too_many_members_refuses_the_whole_archive():
    data = make_zip({f"{i}.json": b"[]" for i in range(5)})
    with pytest.raises(ParseError, match="lists 5 files, more than the cap of 4"):
        list(iter_members(data, "many.zip", Limits(max_members=4)))


def test_member_over_the_per_file_cap_is_refused():
    data = make_zip({"big.json": b"[" + b" " * 2000 + b"]", "small.json": b"[]"})
    ok, refused = split(iter_members(data, "x.zip", Limits(max_member_bytes=1000)))
    assert [m.name for m in ok] == ["small.json"]
    assert refused[0].reason == "declares 2,002 bytes, more than the per-file cap of 1,000"


def lie_about_size(data: bytes, declared: int) -> bytes:
    """Rewrite the uncompressed size in the local and central headers of a 1-member zip."""
    raw = bytearray(data)
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, declared)
    struct.pack_into("<I", raw, central + 24, declared)
    return bytes(raw)


def test_a_member_inflating_past_its_declared_size_is_refused():
    liar = lie_about_size(make_zip({"sleepData.json": b"a" * 100_000}), 100)
    [member] = iter_members(liar, "liar.zip")
    assert member.data is None
    assert member.reason.startswith(("damaged", "inflates past"))


def test_crc_damage_is_refused_with_a_reason():
    data = bytearray(make_zip({"a.json": b"[1, 2, 3]"}, zipfile.ZIP_STORED))
    at = data.index(b"[1, 2, 3]")
    data[at + 1] = ord("9")
    [member] = iter_members(bytes(data), "crc.zip")
    assert member.data is None and member.reason.startswith("damaged") and "CRC" in member.reason


def test_encrypted_members_are_refused():
    raw = bytearray(make_zip({"secret.json": b"[]"}, zipfile.ZIP_STORED))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        raw[raw.index(signature) + flags_at] |= 0x1  # general purpose bit 0: encrypted
    [member] = iter_members(bytes(raw), "enc.zip")
    assert member == Member("secret.json", None, "encrypted member")


def test_nesting_deeper_than_one_level_is_refused():
    deepest = make_zip({"x.fit": FIT})
    inner = make_zip({"deeper.zip": deepest, "y.fit": FIT})
    got = list(iter_members(make_zip({"inner.zip": inner}), "outer.zip"))
    assert got == [
        Member("inner.zip/deeper.zip", None, "archive nested deeper than 1 level(s); not opened"),
        Member("inner.zip/y.fit", FIT, None),
    ]


def test_nested_archives_share_the_byte_budget():
    inner = make_zip({"a.fit": b"a" * 700, "b.fit": b"b" * 700})
    got = list(iter_members(make_zip({"inner.zip": inner}), "outer.zip",
                            Limits(max_total_bytes=1500)))
    assert len(got) == 1 and got[0].data is None
    assert got[0].reason.startswith("nested archive declares 1,400 bytes unpacked")


def test_not_a_zip_is_a_parse_error():
    with pytest.raises(ParseError, match="not a readable zip archive"):
        list(iter_members(b"PK\x03\x04 truncated", "broken.zip"))
    assert archive.is_zip(garmin_export()) and not archive.is_zip(b"<?xml")
