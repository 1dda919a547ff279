"""Helpers for parser tests: tiny FIT files built with the Garmin SDK encoder or by hand.

A uniquely named module (not conftest) so tests can import it without clashing with
tests/conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from garmin_fit_sdk import Encoder, Profile

MESG = Profile["mesg_num"]
#: a fixed FIT start time used by hand-built files: 2024-03-01 22:00:00 UTC
T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
FIT_EPOCH_S = 631_065_600
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def fit_seconds(when: datetime) -> int:
    """FIT time (seconds since 1989-12-31 UTC) of an aware datetime."""
    return int(when.timestamp()) - FIT_EPOCH_S


def build_fit(messages: list[tuple[str, dict]], file_type: str = "monitoring_b",
              manufacturer: str = "garmin", product: int = 3110) -> bytes:
    """Encode `(MESG_NAME, fields)` pairs after a file_id message; returns FIT bytes."""
    enc = Encoder()
    enc.on_mesg(MESG["FILE_ID"], {
        "type": file_type, "manufacturer": manufacturer, "product": product,
        "serial_number": 1234, "time_created": fit_seconds(T0),
    })
    for name, fields in messages:
        enc.on_mesg(MESG[name], fields)
    return enc.close()


def fit_crc(data: bytes, crc: int = 0) -> int:
    """FIT CRC-16 (the SDK's nibble table algorithm)."""
    table = (0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
             0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400)
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = table[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ table[nibble]
    return crc


def raw_fit(records: bytes) -> bytes:
    """Wrap raw record bytes (definitions + data) in a 14-byte header and file CRC."""
    import struct

    head = struct.pack("<BBHI4s", 14, 0x20, 2100, len(records), b".FIT")
    head += struct.pack("<H", fit_crc(head))
    body = head + records
    return body + struct.pack("<H", fit_crc(body))


def definition(local: int, mesg_num: int, fields: list[tuple[int, int, int]]) -> bytes:
    """A little-endian definition message: fields are (number, size, base type byte)."""
    import struct

    out = struct.pack("<BBBHB", 0x40 | local, 0, 0, mesg_num, len(fields))
    return out + b"".join(struct.pack("<BBB", *f) for f in fields)
