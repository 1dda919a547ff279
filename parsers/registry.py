"""Which parser reads a file: by content first (magic bytes, XML root, CSV header), then
by extension. The single entry point for the rest of herstel is `parse_file`.

Adding a format = one module with `parse(data, name) -> ParsedFile` and a content test, plus
one `Format` entry here; vendor exports (`parsers/vendors/`) register themselves through their
`PARSERS` list and are tried before the generic CSV formats.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from parsers import csv_long, fit, gpx, lab_csv, vendors, wellness_csv
from parsers.archive import MAX_MEMBER_BYTES
from parsers.base import ParsedFile, ParseError, bounded_problems, shorten
from parsers.clean import drop_impossible
from parsers.fit import is_fit
from parsers.paths import excerpt

log = logging.getLogger(__name__)

#: bytes looked at when sniffing text formats (XML prolog, CSV header)
SNIFF_BYTES = 4096
#: A file bigger than this is refused unread (the same cap as one archive member).
MAX_FILE_BYTES = MAX_MEMBER_BYTES
#: What an empty file of a format lacks, for the "empty" reason.
EMPTY_HINTS = {
    "fit": "no heart rate, RR, HRV, sleep, session or summary message",
    "gpx": "no track with timed points",
    "csv_long": "a header without data rows",
    "wellness_csv": "a header without data rows",
    "lab_csv": "a header without data rows",
}
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_XML_SKIP = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>)", re.S)


def xml_root(data: bytes) -> str | None:
    """Local name of the XML root element (skipping prolog, comments, DOCTYPE), else None."""
    head = data[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while match := _XML_SKIP.match(head, pos):
        pos = match.end()
    head = head[pos:].lstrip()
    if not head.startswith(b"<"):
        return None
    root = _XML_ROOT.match(head)
    return root.group(2).decode("ascii", "replace").lower() if root else None


def csv_header(data: bytes) -> list[str]:
    """Lower-cased names of the first non-blank line, split on `,` or `;`."""
    text = data[:SNIFF_BYTES].decode("utf-8-sig", errors="replace")
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = ";" if ";" in line and "," not in line else ","
    return [c.strip().strip('"').lower() for c in line.split(sep)]


@dataclass(frozen=True)
class Format:
    """One input format: its content test, its parser and its usual file extensions."""

    name: str  # recorded as files.format
    matches: Callable[[bytes, str], bool]  # content test on (data, file name); must be cheap
    parse: Callable[..., ParsedFile]  # parse(data, name) -> ParsedFile
    extensions: tuple[str, ...] = ()  # fallback when no content test matches
    takes_engine: bool = False  # parse(data, name, engine=...) (FIT only)
    takes_tz: bool = False  # parse(data, name, tz=...): local times without an offset
    #: parse(data, name, siblings=...): reads files it names beside it (Samsung's jsons/)
    takes_siblings: bool = False
    #: its rows live in the files it names: `loaded` even with no row of its own
    index_only: bool = False


#: Sniffing order matters: binary magic first, then XML, then CSV headers.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("fit", lambda d, n: is_fit(d), fit.parse, (".fit",), takes_engine=True),
        Format("gpx", lambda d, n: xml_root(d) == "gpx", gpx.parse, (".gpx",)),
        *(Format(v.format, v.sniff, v.parse, takes_tz=True, takes_siblings=v.takes_siblings,
                 index_only=v.index_only) for v in vendors.all_formats()),
        Format("lab_csv", lambda d, n: lab_csv.looks_like(csv_header(d)), lab_csv.parse),
        Format("csv_long", lambda d, n: csv_long.looks_like(csv_header(d)), csv_long.parse),
        Format(
            "wellness_csv", lambda d, n: wellness_csv.looks_like(csv_header(d)), wellness_csv.parse
        ),
    )
}


def register(fmt: Format, first: bool = False) -> None:
    """Add a format (e.g. a vendor export). `first` puts its sniffer before the built-ins,
    for content that a generic sniffer would also claim."""
    global FORMATS
    others = {k: v for k, v in FORMATS.items() if k != fmt.name}
    FORMATS = {fmt.name: fmt, **others} if first else {**others, fmt.name: fmt}


def sniff(data: bytes, name: str) -> str | None:
    """Format name by content; by extension only when the content says nothing."""
    for fmt in FORMATS.values():
        if fmt.matches(data, name):
            return fmt.name
    suffix = Path(name).suffix.lower()
    return next((f.name for f in FORMATS.values() if suffix in f.extensions), None)


def _unrecognised(data: bytes, name: str) -> ParseError:
    root = xml_root(data)
    text = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM does not make text binary
    if root:
        what = f"XML with root <{root}>"
    elif text[:1].isascii() and b"\x00" not in text[:SNIFF_BYTES] and text.strip():
        what = f"text whose first line has columns {excerpt(str(csv_header(data)[:8]))}"
    else:
        what = f"{len(data)} bytes of unknown binary content"
    return ParseError(
        f"unrecognised format: {what}; expected FIT, GPX, a long CSV "
        f"(timestamp,metric,value[,unit]), a wellness CSV (day + scores) or a vendor export "
        f"listed in docs/formats.md"
    )


def _read(path_or_bytes: bytes | str | Path, name: str) -> tuple[bytes, str]:
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return bytes(path_or_bytes), name
    path = Path(path_or_bytes)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ParseError(f"file is {size:,} bytes, more than the {MAX_FILE_BYTES:,}-byte cap "
                             f"for one file; not read")
        return path.read_bytes(), name or path.name
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}") from exc


def parse_file(
    path_or_bytes: bytes | str | Path,
    name: str = "",
    engine: str = "fast",
    now: datetime | None = None,
    tz: str | None = None,
    siblings: Callable[[str], bytes | None] | None = None,
    clean: bool = True,
) -> ParsedFile:
    """Sniff, parse and clean one file. Raises only `ParseError` for bad input.

    `tz` is the athlete's IANA zone, for vendor files that write local times without an offset.
    `clean=False` leaves impossible values in (and `problems` unbounded): the caller cleans a
    batch of files at once (`parsers.inputs.parse_inputs`).
    A file without a single row raises `ParseError("empty: ...")` (docs/formats.md); the
    returned `problems` and any `ParseError` text are bounded (`base.bounded_problems`).
    `siblings(relative_path)` reads a file beside this one (None when absent), for formats
    whose rows point to other files; without it those references are not checked.
    """
    try:
        parsed = _parse(path_or_bytes, name, engine, tz, siblings)
    except ParseError as exc:  # a reason stays short whatever the file (base.MAX_REASON_CHARS)
        raise ParseError(shorten(str(exc))) from exc.__cause__
    if not clean:
        return parsed
    cleaned = drop_impossible(parsed, now or datetime.now(UTC))
    return replace(cleaned, problems=bounded_problems(cleaned.problems))


def _parse(path_or_bytes: bytes | str | Path, name: str, engine: str, tz: str | None,
           siblings: Callable[[str], bytes | None] | None = None) -> ParsedFile:
    data, name = _read(path_or_bytes, name)
    if not data.strip():
        what = "0 bytes" if not data else f"{len(data)} bytes of white space only"
        raise ParseError(f"empty: the file is {what}")
    kind = sniff(data, name)
    if kind is None:
        raise _unrecognised(data, name)
    fmt = FORMATS[kind]
    options: dict[str, object] = {}
    if fmt.takes_engine:
        options["engine"] = engine
    if fmt.takes_tz:
        options["tz"] = tz
    if fmt.takes_siblings:
        options["siblings"] = siblings
    try:
        parsed = fmt.parse(data, name, **options)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: bad input ends in ParseError
        log.warning("%s parser failed on %s: %s", kind, name or "<bytes>", type(exc).__name__)
        raise ParseError(f"{kind} file could not be parsed: {type(exc).__name__}: {exc}") from exc
    if not fmt.index_only:
        _refuse_empty(parsed, kind)
    return parsed


def _refuse_empty(parsed: ParsedFile, kind: str) -> None:
    """A file that yields no row at all is not `loaded`: quarantined as "empty" (a header-only
    CSV, a GPX without timed track points, a FIT with only file facts, an export `[]`), or,
    when its rows were all skipped, with the problems that say why. One exception: an Apple
    Health workout route, whose workout is loaded from export.xml, stays `loaded`."""
    if any(frame.height for frame in parsed.frames.values()):
        return
    if kind == "gpx" and gpx.is_apple_route(parsed.device):
        return  # not empty: a route of a workout that export.xml holds (loaded, no rows)
    if parsed.problems or parsed.dropped:
        why = "; ".join(bounded_problems(parsed.problems)) or ", ".join(
            f"{n} {reason}" for reason, n in parsed.dropped.items())
        raise ParseError(f"no usable rows in this {kind} file: {why}")
    hint = EMPTY_HINTS.get(kind, "nothing herstel loads")
    raise ParseError(f"empty: no readings in this {kind} file ({hint})")
