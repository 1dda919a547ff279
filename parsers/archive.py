"""Zip archives (whole vendor exports) read in place, member by member, safely.

    for member in iter_members("export.zip", "export.zip"):
        if member.data is None:
            record_refusal(member.name, member.reason)    # e.g. quarantine with the reason
        else:
            parse(member.data, member.name)

`iter_members` yields `Member(name, data, reason)` NamedTuples (so also 3-tuples) in archive
order: `data` is the member's bytes and `reason` None, or `data` is None and `reason` says
why the member was refused. Directories are skipped silently. A problem with the archive as
a whole (not a zip, too many members, declared unpacked size over the cap) raises
`ParseError` before anything is inflated.

Refused, with a reason, and never written anywhere (nothing is extracted to disk):
- names that escape the archive: `..` parts, absolute paths (`/x`, `C:\\x`), NUL bytes;
- symbolic-link members (they could point anywhere), encrypted members;
- a member whose declared size is over `Limits.max_member_bytes`, or whose declared
  compression ratio is over `Limits.max_ratio` (zip bomb) - refused WITHOUT inflating it;
- a member that inflates to more than it declared or than the caps allow: bytes are
  counted while reading, and reading stops at the cap;
- damaged members (CRC mismatch, truncated data, unsupported compression).

Nested zips (Garmin's `DI-Connect-Uploaded-Files/*.zip` hold FIT files) are opened one level
deep under the same budget; their members are named `outer.zip/inner-member`. A zip inside a
nested zip is refused.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from parsers.base import ParseError

#: Real exports: Fitbit Takeout ~30,000 files, Garmin a few thousand.
MAX_MEMBERS = 100_000
#: Apple Health's export.xml alone can be several GB.
MAX_MEMBER_BYTES = 4 << 30
#: Everything one archive may unpack to, nested archives included.
MAX_TOTAL_BYTES = 16 << 30
#: Text exports compress 10-40:1; deflate bombs reach ~1000:1.
MAX_RATIO = 200.0
#: The ratio test applies from this declared size up (a small member is capped anyway).
RATIO_MIN_BYTES = 10 << 20
#: Nested archives opened below the top level.
MAX_DEPTH = 1
CHUNK = 1 << 20

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class Limits:
    """Caps for one archive; the module constants are the defaults."""

    max_members: int = MAX_MEMBERS
    max_member_bytes: int = MAX_MEMBER_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_ratio: float = MAX_RATIO
    ratio_min_bytes: int = RATIO_MIN_BYTES
    max_depth: int = MAX_DEPTH


LIMITS = Limits()


class Member(NamedTuple):
    name: str  # path inside the archive; nested: "outer.zip/inner/path"
    data: bytes | None  # None when refused
    reason: str | None  # why it was refused; None when data is given


def is_zip(data: bytes) -> bool:
    """Starts like a zip archive (local file header, or the end record of an empty zip)."""
    return data[:4] in ZIP_MAGIC


class _Budget:
    """What is left of the byte and member caps, shared by nested archives."""

    def __init__(self, limits: Limits) -> None:
        self.bytes = limits.max_total_bytes
        self.members = limits.max_members


def iter_members(
    data_or_path: bytes | bytearray | memoryview | str | os.PathLike,
    name: str = "",
    limits: Limits = LIMITS,
    unread: Callable[[list[str]], dict[str, str]] | None = None,
) -> Iterator[Member]:
    """Every file in the zip, in order: `Member(name, bytes, None)` or `Member(name, None, why)`.

    `unread(member names) -> {name: reason}` names members to skip without inflating them
    (a vendor layout's READMEs and twins, `parsers.vendors.unread`); they come with the reason.
    """
    label = name or (str(data_or_path) if isinstance(data_or_path, str | os.PathLike) else "zip")
    source = data_or_path
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(bytes(source))
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise ParseError(f"{label}: not a readable zip archive ({exc})") from None
    with archive:
        files = _files(archive)
        budget = _Budget(limits)
        problem = _archive_problem(files, budget, limits)
        if problem:
            raise ParseError(f"{label}: {problem}; refused without unpacking")
        skip = unread([info.filename for info in files]) if unread else {}
        yield from _members(archive, files, "", 0, budget, limits, skip)


def _files(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    # not `info.is_dir()`: it fails on an empty name, which `unsafe_name` refuses instead
    return [info for info in archive.infolist() if not info.filename.endswith("/")]


def _archive_problem(files: list[zipfile.ZipInfo], budget: _Budget, limits: Limits) -> str | None:
    """A reason to refuse a whole archive from its central directory, before inflating."""
    if len(files) > budget.members:
        return f"lists {len(files)} files, more than the cap of {limits.max_members}"
    declared = sum(info.file_size for info in files)
    if declared > budget.bytes:
        return (f"declares {declared:,} bytes unpacked, more than the cap of "
                f"{limits.max_total_bytes:,} (possible zip bomb)")
    return None


def unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe to use as a path, or None."""
    if not name:
        return "empty name"
    if "\x00" in name:
        return "name contains a NUL byte"
    path = name.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "absolute path"
    if ".." in path.split("/"):
        return "path escapes the archive ('..')"
    return None


def _member_problem(info: zipfile.ZipInfo, limits: Limits, budget: _Budget) -> str | None:
    """A reason to refuse one member from its header alone (nothing inflated yet)."""
    if (reason := unsafe_name(info.filename)) is not None:
        return reason
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return "symbolic link member"
    if info.flag_bits & 0x1:
        return "encrypted member"
    if info.file_size > limits.max_member_bytes:
        return (f"declares {info.file_size:,} bytes, more than the per-file cap of "
                f"{limits.max_member_bytes:,}")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= limits.ratio_min_bytes and ratio > limits.max_ratio:
        return (f"compression ratio {ratio:,.0f}:1 is above {limits.max_ratio:,.0f}:1 "
                f"(zip bomb?); not inflated")
    if info.file_size > budget.bytes:
        return "the archive's unpacked-size budget is used up"
    return None


def _read(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int
) -> tuple[bytes | None, str | None]:
    """Inflate one member, counting bytes; stop and refuse past `cap` or on damage."""
    out = bytearray()
    try:
        with archive.open(info) as fh:
            while chunk := fh.read(CHUNK):
                out += chunk
                if len(out) > cap:
                    return None, (f"inflates past {cap:,} bytes (declared {info.file_size:,}); "
                                  f"reading stopped")
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        return None, f"damaged: {exc}"  # ValueError: a header offset before the file start
    except NotImplementedError as exc:
        return None, f"unsupported compression: {exc}"
    except RuntimeError as exc:  # encrypted without the flag, etc.
        return None, f"cannot be read: {exc}"
    return bytes(out), None


def _members(
    archive: zipfile.ZipFile,
    files: list[zipfile.ZipInfo],
    prefix: str,
    depth: int,
    budget: _Budget,
    limits: Limits,
    skip: dict[str, str] | None = None,
) -> Iterator[Member]:
    for info in files:
        name = prefix + info.filename
        budget.members -= 1
        if budget.members < 0:
            yield Member(name, None, f"more than {limits.max_members} files in the archive")
            continue
        problem = (skip or {}).get(info.filename) or _member_problem(info, limits, budget)
        if problem:
            yield Member(name, None, problem)
            continue
        data, problem = _read(archive, info, min(limits.max_member_bytes, budget.bytes))
        if data is None:
            yield Member(name, None, problem)
            continue
        budget.bytes -= len(data)
        if info.filename.lower().endswith(".zip"):
            yield from _nested(name, data, depth, budget, limits)
        else:
            yield Member(name, data, None)


def _nested(
    name: str, data: bytes, depth: int, budget: _Budget, limits: Limits
) -> Iterator[Member]:
    """Open an inner zip under the same budget, if nesting allows."""
    if depth + 1 > limits.max_depth:
        yield Member(name, None, f"archive nested deeper than {limits.max_depth} level(s); "
                                 f"not opened")
        return
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        yield Member(name, None, f"nested archive is not a readable zip ({exc})")
        return
    with inner:
        files = _files(inner)
        problem = _archive_problem(files, budget, limits)
        if problem:
            yield Member(name, None, f"nested archive {problem}; not opened")
            return
        yield from _members(inner, files, name + "/", depth + 1, budget, limits)


def split(members: Iterator[Member]) -> tuple[list[Member], list[Member]]:
    """(readable members, refused members) of one `iter_members` run."""
    ok: list[Member] = []
    refused: list[Member] = []
    for member in members:
        (ok if member.data is not None else refused).append(member)
    return ok, refused


def _info(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    try:
        return archive.getinfo(name)
    except KeyError:
        return None


class ZipSiblings:
    """Reads members beside another member of the same zip (Samsung's `jsons/` beside its
    CSVs), with the per-member checks of `iter_members`. Opened once, on first use.

        with ZipSiblings("export.zip") as siblings:
            read = siblings.beside("samsunghealth_x/com.samsung.health.hrv.1.csv")
            read("jsons/com.samsung.health.hrv/9/9c.binning_data.json")  # bytes or None
    """

    def __init__(self, path: str | os.PathLike, limits: Limits = LIMITS) -> None:
        self.path, self.limits = path, limits
        self._archive: zipfile.ZipFile | None = None

    def __enter__(self) -> ZipSiblings:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._archive is not None:
            self._archive.close()

    def _open(self) -> zipfile.ZipFile | None:
        if self._archive is None:
            try:
                self._archive = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
                return None
        return self._archive

    def beside(self, member: str):  # -> Callable[[str], bytes | None] | None
        """A reader of paths relative to `member`'s folder; None for a member of a nested
        zip (its siblings are not reachable here)."""
        archive = self._open()
        if archive is None or _info(archive, member) is None:
            return None
        folder = member.rsplit("/", 1)[0] + "/" if "/" in member else ""

        def read(rel: str) -> bytes | None:
            if unsafe_name(rel) is not None:
                return None
            info = _info(archive, folder + rel)
            if info is None:
                return None
            budget = _Budget(self.limits)
            if _member_problem(info, self.limits, budget) is not None:
                return None
            return _read(archive, info, self.limits.max_member_bytes)[0]

        return read
