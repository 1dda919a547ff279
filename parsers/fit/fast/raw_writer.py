"""A minimal FIT writer, byte by byte: synthetic files for the fast decoder's tests.

Not a general encoder (use `garmin_fit_sdk.Encoder` for that): it writes exactly what it is
told, including what encoders refuse -- big-endian definitions, compressed timestamp
headers, unterminated strings, misaligned field sizes, developer fields, redefinitions --
so tests can build every edge case the decoder must handle and know the expected values.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from parsers.fit.fast.crc import crc16
from parsers.fit.fast.scan import (
    COMPRESSED_HEADER,
    COMPRESSED_LOCAL_SHIFT,
    DEFINITION_HEADER,
    DEVELOPER_DATA_FLAG,
    HEADER_SIGNATURE,
)

#: struct format letter of each numeric base type (by base-type byte).
STRUCT_FORMATS: dict[int, str] = {
    0x00: "B", 0x01: "b", 0x02: "B", 0x83: "h", 0x84: "H", 0x85: "i", 0x86: "I",
    0x88: "f", 0x89: "d", 0x0A: "B", 0x8B: "H", 0x8C: "I", 0x0D: "B", 0x8E: "q",
    0x8F: "Q", 0x90: "Q",
}  # fmt: skip
#: Base-type bytes by name, as the FIT profile names them.
BASE = {
    "enum": 0x00, "sint8": 0x01, "uint8": 0x02, "sint16": 0x83, "uint16": 0x84,
    "sint32": 0x85, "uint32": 0x86, "string": 0x07, "float32": 0x88, "float64": 0x89,
    "uint8z": 0x0A, "uint16z": 0x8B, "uint32z": 0x8C, "byte": 0x0D, "sint64": 0x8E,
    "uint64": 0x8F, "uint64z": 0x90,
}  # fmt: skip


def pack(base: int, values: list | tuple | int | float, big: bool = False) -> bytes:
    """Encode one field's value(s) with a numeric base type."""
    items = list(values) if isinstance(values, list | tuple) else [values]
    return struct.pack(("> " if big else "<") + STRUCT_FORMATS[base] * len(items), *items)


@dataclass
class FitFile:
    """One FIT file: header, records appended in order, CRC. `bytes()` renders it."""

    header_size: int = 14
    protocol: int = 0x20
    profile: int = 2132
    records: bytearray = field(default_factory=bytearray)
    _defs: dict[int, tuple[bool, list[int]]] = field(default_factory=dict)

    def define(
        self,
        local: int,
        mesg_num: int,
        fields: list[tuple[int, int, int]],
        big: bool = False,
        dev_fields: list[tuple[int, int, int]] | None = None,
    ) -> FitFile:
        """Definition message: fields are (number, size, base-type byte); dev fields are
        (number, size, developer data index)."""
        header = DEFINITION_HEADER | local | (DEVELOPER_DATA_FLAG if dev_fields is not None else 0)
        body = struct.pack(">BBHB" if big else "<BBHB", 0, 1 if big else 0, mesg_num, len(fields))
        body += b"".join(bytes(f) for f in fields)
        if dev_fields is not None:
            body += bytes([len(dev_fields)]) + b"".join(bytes(f) for f in dev_fields)
        self.records += bytes([header]) + body
        sizes = [s for _, s, _ in fields] + [s for _, s, _ in dev_fields or []]
        self._defs[local] = (big, sizes)
        return self

    def data(self, local: int, *values: bytes, time_offset: int | None = None) -> FitFile:
        """Data message from already-encoded field bytes (checked against the definition
        sizes when the local type was defined here); `time_offset` makes the header a
        compressed timestamp header (local types 0-3)."""
        if local in self._defs:
            sizes = self._defs[local][1]
            got = [len(v) for v in values]
            if got != sizes:
                raise ValueError(f"field sizes {got} do not match definition {sizes}")
        if time_offset is None:
            header = local
        else:
            header = COMPRESSED_HEADER | (local << COMPRESSED_LOCAL_SHIFT) | (time_offset & 0x1F)
        self.records += bytes([header]) + b"".join(values)
        return self

    def raw(self, chunk: bytes) -> FitFile:
        """Append arbitrary bytes as records (to build damage)."""
        self.records += chunk
        return self

    def header(self, data_size: int | None = None) -> bytes:
        size = len(self.records) if data_size is None else data_size
        head = struct.pack(
            "<BBHI4s", self.header_size, self.protocol, self.profile, size, HEADER_SIGNATURE
        )
        if self.header_size >= 14:
            head += struct.pack("<H", crc16(head))
            head += bytes(self.header_size - 14)
        return head

    def __bytes__(self) -> bytes:
        body = self.header() + bytes(self.records)
        return body + struct.pack("<H", crc16(body))
