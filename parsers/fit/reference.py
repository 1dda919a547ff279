"""Reference FIT engine: fitparse 1.2.0 for the byte layout, our profile for the meaning.

fitparse's bundled profile is from 2019 and names the messages we need most (211, 275, 290,
370, 371) `unknown_*`. So this engine only takes what fitparse gets right from the bytes
-- each field's definition number, base type and `raw_value` (invalid sentinels already
None), the message number, compressed-timestamp headers, chained files -- and names,
scales and types everything through `parsers.fit.profile`. The output follows
docs/internals.md §2 so it can be compared frame by frame with the fast engine.

Slow (about 0.4 MB/s) but independent of the fast engine: tests use it as the oracle.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import polars as pl
from fitparse import FitFile
from fitparse.processors import FitFileDataProcessor
from fitparse.records import DevFieldDefinition
from fitparse.utils import FitCRCError, FitEOFError, FitHeaderError, FitParseError

from parsers.base import ParseError
from parsers.fit import profile as fp

_TIMESTAMP_BASE_TYPE = 0x86  # uint32: compressed-header timestamps are full date_time values


class _NoProcessing(FitFileDataProcessor):
    """Skip fitparse's value rendering: we only read raw values, and it costs time."""

    def run_type_processor(self, field_data):
        pass

    def run_field_processor(self, field_data):
        pass

    def run_unit_processor(self, field_data):
        pass

    def run_message_processor(self, data_message):
        pass


@dataclass
class _Column:
    """Raw values of one field across the messages of one type (None where absent)."""

    name: str
    info: fp.FieldInfo | None
    kind: str
    values: list = field(default_factory=list)

    def put(self, row: int, raw: object) -> None:
        value = self._prepare(raw)
        if len(self.values) > row:  # same field twice in one message: last wins
            self.values[row] = value
            return
        if len(self.values) < row:
            self.values.extend([None] * (row - len(self.values)))
        self.values.append(value)

    def _prepare(self, raw: object) -> object:
        """Shape a fitparse raw value: bytes for byte fields, lists for arrays, else scalars."""
        if self.kind == fp.KIND_BYTES:
            return bytes(raw) if isinstance(raw, tuple | list) else raw
        if self.kind == fp.KIND_STRING and isinstance(raw, bytes | tuple):
            return _as_text(raw)
        if self.info is not None and self.info.is_array:
            return list(raw) if isinstance(raw, tuple | list) else [raw]
        if isinstance(raw, tuple | list):
            return raw[0] if raw else None
        return raw

    def series(self, height: int) -> pl.Series:
        values = self.values + [None] * (height - len(self.values))
        is_list = self.info is not None and self.info.is_array
        raw = pl.Series(self.name, values, dtype=_raw_dtype(self.kind, is_list), strict=False)
        return fp.typed_series(raw, self.info, self.kind)


def _as_text(raw: bytes | tuple) -> str | None:
    data = bytes(raw).split(b"\x00", 1)[0]
    return data.decode("utf-8", errors="replace") or None


def _raw_dtype(kind: str, is_list: bool) -> pl.DataType:
    inner: pl.DataType
    if kind in (fp.KIND_STRING,):
        inner = pl.String()
    elif kind == fp.KIND_BYTES:
        inner = pl.Binary()
    elif kind == fp.KIND_FLOAT:
        inner = pl.Float64()
    else:
        inner = pl.Int64()
    return pl.List(inner) if is_list and kind != fp.KIND_BYTES else inner


@dataclass
class _Table:
    """Column-wise accumulator for all messages of one global message number."""

    mesg_num: int
    index: list[int] = field(default_factory=list)
    columns: dict[int, _Column] = field(default_factory=dict)

    def add(self, position: int, message) -> None:
        row = len(self.index)
        self.index.append(position)
        for num, base, raw in _raw_fields(message):
            column = self.columns.get(num)
            if column is None:
                info = fp.field_info(self.mesg_num, num)
                column = _Column(fp.field_name(self.mesg_num, num), info,
                                 fp.column_kind(info, base))
                self.columns[num] = column
            column.put(row, raw)

    def frame(self) -> pl.DataFrame:
        height = len(self.index)
        cols = [pl.Series("_index", self.index, dtype=pl.UInt32)]
        cols += [c.series(height) for c in self.columns.values()]
        return pl.DataFrame(cols)


def _raw_fields(message):
    """(field number, base-type byte, raw value) of each profile field of a data message.

    Developer fields are skipped; fitparse's component expansions (no field definition)
    are skipped too, except the timestamp it resolved from a compressed header.
    """
    compressed = message.header.time_offset is not None
    for fd in message.fields:
        fdef = fd.field_def
        if fdef is None:
            if compressed and fd.field is not None and fd.field.def_num == fp.TIMESTAMP_FIELD:
                yield fp.TIMESTAMP_FIELD, _TIMESTAMP_BASE_TYPE, fd.raw_value
            continue
        if isinstance(fdef, DevFieldDefinition):
            continue
        yield fdef.def_num, fdef.base_type.identifier, fd.raw_value


def _check_header(data: bytes) -> None:
    """Refuse non-FIT input before fitparse sees it, with a reason a person can act on."""
    if len(data) < 12:
        raise ParseError(f"not a FIT file: only {len(data)} bytes, a FIT header needs 12")
    if data[8:12] != fp.HEADER_SIGNATURE:
        raise ParseError(
            f"not a FIT file: header signature is {bytes(data[8:12])!r}, expected b'.FIT'"
        )
    if data[0] not in (12, 14):
        raise ParseError(f"not a FIT file: header size byte is {data[0]}, expected 12 or 14")


def _describe(exc: Exception, count: int, offset: int) -> str:
    """A problem string for damage met after `count` good messages at byte `offset`."""
    detail = str(exc) or type(exc).__name__
    where = f"after {count} messages at byte {offset}"
    if isinstance(exc, FitEOFError):
        return f"truncated {where}: {detail}"
    if isinstance(exc, FitCRCError):
        return f"CRC mismatch {where} (data may be corrupt): {detail}"
    if isinstance(exc, FitHeaderError):
        return f"corrupt FIT header (chained file?) {where}: {detail}"
    if isinstance(exc, FitParseError):
        return f"undecodable data {where}: {detail}"
    return f"decoder failure {where}: {type(exc).__name__}: {detail}"


def decode(data: bytes) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """Decode FIT bytes into message frames (docs/internals.md §2) and damage problems.

    Messages before any damage are kept; the damage becomes one problem string. Raises
    `ParseError` when the input is not FIT at all or holds no data message.
    """
    _check_header(data)
    stream = io.BytesIO(data)
    tables: dict[int, _Table] = {}
    problems: list[str] = []
    count = 0
    try:
        fit = FitFile(stream, data_processor=_NoProcessing())
        for message in fit.get_messages():
            num = message.def_mesg.mesg_num
            tables.setdefault(num, _Table(num)).add(count, message)
            count += 1
    except Exception as exc:  # noqa: BLE001 - any decoder failure is damage, not a crash
        offset = stream.tell() if not stream.closed else len(data)
        problems.append(_describe(exc, count, offset))
    if count == 0:
        reason = problems[0] if problems else "no data messages"
        raise ParseError(f"FIT file holds no readable messages: {reason}")
    frames = {fp.message_name(num): table.frame() for num, table in tables.items()}
    return frames, problems
