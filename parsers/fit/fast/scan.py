"""Byte-level pass of the fast FIT decoder: file headers, record headers, definitions, CRC.

One tight Python loop walks the record headers of each (possibly chained) FIT file and
remembers only where each data message starts; everything per message after that is numpy
(`parsers.fit.fast.plan`, `parsers.fit.fast.columns`). The loop never looks inside a data
message: a 256-entry table maps each record-header byte to the record's total length
(0 = not a known data record).

FIT layout (FIT SDK, "FIT File Structure"):

    file    = header, records (header.data_size bytes), CRC-16 (2 bytes, little-endian)
    header  = size(1) protocol(1) profile(2 LE) data_size(4 LE) ".FIT"(4) [CRC-16(2)]
    record  = record header (1 byte) + definition or data content

Several files may follow each other in one byte string ("chained" FIT files).
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from parsers.base import ParseError
from parsers.fit.fast.crc import crc16

#: Shortest legal file header (no header CRC); protocol 1.0 files use it.
HEADER_MIN_SIZE = 12
#: Usual file header size: the 12 bytes above plus a CRC-16 of those 12 bytes.
HEADER_SIZE_WITH_CRC = 14
#: Bytes 8..12 of a file header.
HEADER_SIGNATURE = b".FIT"
#: Every file ends with a CRC-16 of header + records.
FILE_CRC_SIZE = 2

#: Record header bit 7: a data message with a compressed timestamp header.
COMPRESSED_HEADER = 0x80
#: Record header bit 6 (normal header): a definition message.
DEFINITION_HEADER = 0x40
#: Record header bit 5 (definition): developer field definitions follow the fields.
DEVELOPER_DATA_FLAG = 0x20
#: Bits 0-3 of a normal header: local message type (0-15).
LOCAL_MASK = 0x0F
#: Compressed header: bits 5-6 local message type (0-3), bits 0-4 time offset in seconds.
COMPRESSED_LOCAL_SHIFT = 5
COMPRESSED_LOCAL_MASK = 0x03
COMPRESSED_TIME_MASK = 0x1F
#: Definition content: reserved(1) architecture(1) global number(2) field count(1).
DEFINITION_FIXED_SIZE = 5
#: Each field definition: number(1) size(1) base type(1); developer ones: number, size, index.
FIELD_DEFINITION_SIZE = 3

#: Distinct definitions kept compiled per process: devices reuse a few dozen, so this only
#: bounds memory when damaged files produce garbage definitions.
MAX_CACHED_DEFINITIONS = 4096


@dataclass(frozen=True, eq=False)
class Definition:
    """One distinct definition message, keyed by its bytes (local number excluded).

    One object per distinct key (`build_definition` is cached), so identity is equality and
    hashing is cheap where compiled plans are looked up.

    `fields` holds (field number, size, base-type byte, byte offset within the record);
    developer fields are only counted in `size` (their bytes are skipped, not returned).
    """

    mesg_num: int
    big_endian: bool
    fields: tuple[tuple[int, int, int, int], ...]
    size: int  # bytes of data content per message (header byte excluded)


@dataclass
class Scan:
    """Where every data message is: enough for numpy to do the rest."""

    definitions: list[Definition] = field(default_factory=list)
    # offset of each data record's header; an int64 array.array appends as fast as a list
    # and becomes a numpy array without a copy
    starts: array = field(default_factory=lambda: array("q"))
    offsets: np.ndarray | None = None  # `starts` as an int64 array
    def_ids: np.ndarray | None = None  # definition id of each data message (file order)
    file_starts: list[int] = field(default_factory=list)  # data messages before each file
    problems: list[str] = field(default_factory=list)
    #: bytes copied to walk record headers; stays under twice the input (linear cost)
    copied_bytes: int = 0


def parse_definition(data: bytes, pos: int, end: int, has_dev: bool) -> tuple[bytes, int]:
    """Return the definition's key bytes and the offset after it; raise EOFError if cut."""
    fixed_end = pos + DEFINITION_FIXED_SIZE
    if fixed_end > end:
        raise EOFError
    stop = fixed_end + data[pos + 4] * FIELD_DEFINITION_SIZE
    if has_dev:
        if stop + 1 > end:
            raise EOFError
        stop = stop + 1 + data[stop] * FIELD_DEFINITION_SIZE
    if stop > end:
        raise EOFError
    # The key keeps the developer flag so a definition with zero dev fields stays distinct.
    return bytes(data[pos:stop]) + (b"\x01" if has_dev else b"\x00"), stop


@lru_cache(maxsize=MAX_CACHED_DEFINITIONS)
def build_definition(key: bytes) -> Definition:
    """Decode definition key bytes (see `parse_definition`) into a `Definition`.

    Cached: the same few definitions recur in every file a device writes."""
    big = key[1] != 0  # architecture byte: 0 little-endian, else big (as fitparse reads it)
    mesg_num = struct.unpack_from(">H" if big else "<H", key, 2)[0]
    nfields = key[4]
    fields = []
    offset = 0
    p = DEFINITION_FIXED_SIZE
    for _ in range(nfields):
        num, size, base = key[p], key[p + 1], key[p + 2]
        fields.append((num, size, base, offset))
        offset += size
        p += FIELD_DEFINITION_SIZE
    if key[-1]:
        ndev = key[p]
        p += 1
        for _ in range(ndev):
            offset += key[p + 1]
            p += FIELD_DEFINITION_SIZE
    return Definition(mesg_num, big, tuple(fields), offset)


def _header_bytes_for_local(local: int) -> list[int]:
    """All record-header bytes that denote a data message of `local`.

    Bits 4-5 of a normal data header are reserved; like fitparse we ignore them.
    Compressed headers exist only for local types 0-3, with any 5-bit time offset.
    """
    out = [local | r for r in (0x00, 0x10, 0x20, 0x30)]
    if local <= COMPRESSED_LOCAL_MASK:
        base = COMPRESSED_HEADER | (local << COMPRESSED_LOCAL_SHIFT)
        out.extend(base | t for t in range(COMPRESSED_TIME_MASK + 1))
    return out


_LOCAL_HEADERS = [_header_bytes_for_local(local) for local in range(16)]


class _Walker:
    """State of the record walk across chained files."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.view = memoryview(data)
        self.scan = Scan()
        self.def_index: dict[bytes, int] = {}
        self.step = [0] * 256  # record-header byte -> record length incl. header (0: none)
        self.local_ids = [-1] * 16  # local type -> definition id
        # per event (file start or definition): data messages before it, and the local table
        # after it (16 ids), in flat int arrays: no Python object per event, so a chain of
        # 100,000 tiny files does not make the garbage collector rescan 200,000 lists
        self.event_counts = array("q")
        self.event_tables = array("q")

    def reset_locals(self) -> None:
        """A new chained file starts with no local definitions (as in the FIT SDK)."""
        self.step = [0] * 256
        self.local_ids = [-1] * 16
        self.scan.file_starts.append(len(self.scan.starts))
        self._event()

    def define(self, local: int, key: bytes) -> None:
        did = self.def_index.get(key)
        if did is None:
            did = len(self.scan.definitions)
            self.def_index[key] = did
            self.scan.definitions.append(build_definition(key))
        length = 1 + self.scan.definitions[did].size
        step = self.step
        for h in _LOCAL_HEADERS[local]:
            step[h] = length
        self.local_ids[local] = did
        self._event()

    def _event(self) -> None:
        self.event_counts.append(len(self.scan.starts))
        self.event_tables.extend(self.local_ids)

    def walk(self, pos: int, end: int) -> tuple[int, str | None]:
        """Walk records starting in data[pos:end]; return where it stopped and why.

        Like fitparse, a record that starts before `end` (the declared end of the records)
        may run past it as long as the bytes exist; the file CRC then follows that record.
        """
        data = self.data
        limit = len(data)
        # Header reads go through a sequence cut at `end`: reading past it raises IndexError,
        # which ends the loop without a bounds check per record (the hot path is 3 lines).
        # A bytes copy indexes fastest, but copying data[:end] for every one of N chained
        # files is quadratic (80,000 tiny chained files, 2.7 MB: 5.5 s); so copy only when
        # this file is at least as long as what precedes it (all copies together then stay
        # under twice the input), else take a zero-copy view.
        if end >= limit:
            heads = data
        elif end - pos >= pos:
            heads = data[:end]
            self.scan.copied_bytes += end
        else:
            heads = self.view[:end]
        starts = self.scan.starts
        app = starts.append
        while True:
            step = self.step
            try:
                while s := step[heads[pos]]:
                    app(pos)
                    pos += s
            except IndexError:
                break
            h = heads[pos]
            if h & COMPRESSED_HEADER or not h & DEFINITION_HEADER:
                local = (h >> COMPRESSED_LOCAL_SHIFT) & 3 if h & COMPRESSED_HEADER else h & 15
                return pos, (
                    f"undefined local message type {local}: data message at byte {pos} has no"
                    " definition message before it"
                )
            try:
                key, after = parse_definition(data, pos + 1, limit, bool(h & DEVELOPER_DATA_FLAG))
            except EOFError:
                return pos, f"truncated: definition message at byte {pos} is incomplete"
            self.define(h & LOCAL_MASK, key)
            pos = after
        if pos > limit:  # the last data message runs past the end of the bytes
            last = starts.pop()
            return last, (
                f"truncated: data message at byte {last} needs {step[data[last]]} bytes,"
                f" only {limit - last} remain"
            )
        return pos, None

    def finish(self) -> Scan:
        """Resolve each data message's definition id from its header byte, vectorised."""
        scan = self.scan
        n = len(scan.starts)
        starts = np.frombuffer(scan.starts, dtype=np.int64) if n else np.zeros(0, np.int64)
        scan.offsets = starts
        if n == 0:
            scan.def_ids = np.zeros(0, dtype=np.int64)
            return scan
        hb = np.frombuffer(self.data, np.uint8)[starts]
        local = np.where(hb & COMPRESSED_HEADER, (hb >> COMPRESSED_LOCAL_SHIFT) & 3, hb & 15)
        counts = np.frombuffer(self.event_counts, dtype=np.int64)
        table = np.frombuffer(self.event_tables, dtype=np.int64).reshape(len(counts), 16)
        epoch = np.searchsorted(counts, np.arange(n), side="right") - 1
        scan.def_ids = table[epoch, local]
        return scan


def _read_header(data: bytes, start: int) -> tuple[int, int] | str:
    """(header size, data size) of the file header at `start`, or why it is not one."""
    n = len(data)
    if n - start < HEADER_MIN_SIZE:
        return f"only {n - start} bytes, a FIT header needs {HEADER_MIN_SIZE}"
    sig = bytes(data[start + 8 : start + 12])
    if sig != HEADER_SIGNATURE:
        return f"header signature is {sig!r}, expected {HEADER_SIGNATURE!r}"
    hsize = data[start]
    if hsize < HEADER_MIN_SIZE:
        return f"header size byte is {hsize}, at least {HEADER_MIN_SIZE} expected"
    if start + hsize > n:
        return f"header declares {hsize} bytes but only {n - start} remain"
    return hsize, struct.unpack_from("<I", data, start + 4)[0]


def scan(data: bytes) -> Scan:
    """Walk all chained files in `data`; raise ParseError if the first header is not FIT.

    Damage stops the walk (what was found before it is kept) and is described in
    `problems` with its byte offset; a CRC mismatch is recorded but the walk goes on.
    """
    header = _read_header(data, 0)
    if isinstance(header, str):
        raise ParseError(f"not a FIT file: {header}")
    walker = _Walker(data)
    problems = walker.scan.problems
    n = len(data)
    start = 0
    while True:
        hsize, data_size = header
        _check_header_crc(data, start, hsize, problems)
        walker.reset_locals()
        pos, end = start + hsize, start + hsize + data_size
        if end > n:
            problems.append(
                f"header at byte {start} declares {data_size} bytes of records but only"
                f" {n - pos} follow"
            )
        stop, why = walker.walk(pos, min(end, n))
        if why is not None:
            problems.append(f"{why}; decoding stopped there, {_kept(walker)}")
            break
        end = max(end, stop)
        if end + FILE_CRC_SIZE > n:
            if end <= n:
                problems.append(f"truncated: file CRC missing at byte {end}; {_kept(walker)}")
            break
        stored = struct.unpack_from("<H", data, end)[0]
        computed = crc16(data, start, end)
        if stored != computed:
            problems.append(
                f"file CRC mismatch: stored 0x{stored:04X}, computed 0x{computed:04X} for the"
                f" file at bytes {start}..{end + FILE_CRC_SIZE} (data kept)"
            )
        start = end + FILE_CRC_SIZE
        if start >= n:
            break
        header = _read_header(data, start)
        if isinstance(header, str):
            problems.append(
                f"bytes after the file CRC at byte {start} are not a chained FIT file ({header});"
                f" ignored them, {_kept(walker)}"
            )
            break
    return walker.finish()


def _kept(walker: _Walker) -> str:
    return f"kept the {len(walker.scan.starts)} data messages before it"


def _check_header_crc(data: bytes, start: int, hsize: int, problems: list[str]) -> None:
    """A 14-byte header carries a CRC of its first 12 bytes; 0 means "not computed"."""
    if hsize < HEADER_SIZE_WITH_CRC:
        return
    stored = struct.unpack_from("<H", data, start + HEADER_MIN_SIZE)[0]
    if stored and stored != crc16(data, start, start + HEADER_MIN_SIZE):
        problems.append(f"file header CRC mismatch at byte {start} (data kept)")
