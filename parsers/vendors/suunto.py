"""Suunto beat-to-beat files: `.sml` (SuuntoLink / Moveslink2 XML) and the Suunto app's
`samples.json` (both -> rr_intervals).

`.sml`: `<sml><DeviceLog>` with `<Header>` (`DateTime` local wall clock without a zone,
`Duration` s), `<Device><Name>`, `<Samples>` (each `<Sample>` may carry `<Time>` s since the
start and `<UTC>`) and `<R-R><Data>`: the intervals in ms, space-separated, from the start of
the move. The start's instant comes from a sample's `UTC` - `Time` (exact across clock
changes); without one, `DateTime` is read in the athlete's zone `tz`.

Suunto app JSON: `{"Samples": [{"TimeISO8601": "...+02:00", "Attributes": {"suunto/sml":
{"R-R": {"IBI": [912, 930, ...]}}}}, ...]}`; each block's time stamp (with its offset) is the
end of its last beat, as public readers of the format take it. See docs/sources/suunto.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml.ElementTree as SafeET
import polars as pl
from defusedxml import DefusedXmlException

from parsers.base import ParsedFile, ParseError, conform
from parsers.vendors.beats import beats_frame, local_start, truncation_problem, unplaceable
from parsers.vendors.common import (
    VendorFormat,
    common_offset,
    decode_text,
    frames_of,
    has_keys,
    head_text,
    items,
    json_head_keys,
    load_json,
    obj,
)

VENDOR = "suunto"
FORMAT_SML = "suunto_sml"
FORMAT_JSON = "suunto_json"
#: Two R-R blocks of the app JSON whose beats meet within this are one continuous recording.
BLOCK_JOIN = timedelta(seconds=1)

_SML_ROOT = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<sml[\s>]", re.S)


def sniff_sml(data: bytes, name: str) -> bool:
    """An XML document whose root element is `<sml>`."""
    return bool(_SML_ROOT.match(head_text(data)))


def sniff_json(data: bytes, name: str) -> bool:
    """A JSON object with `Samples` whose attributes are `suunto/sml`."""
    head = json_head_keys(data)
    return bool(head) and has_keys(head, "Samples") and '"suunto/sml"' in head


# ---------------------------------------------------------------- .sml


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: Element, *path: str) -> Element | None:
    """First element at the local-name `path` anywhere below `root` (namespaces ignored)."""
    for el in root.iter():
        if _local(el.tag) == path[0]:
            node: Element | None = el
            for part in path[1:]:
                node = next((c for c in node if _local(c.tag) == part), None)
                if node is None:
                    break
            if node is not None:
                return node
    return None


def _text(root: Element, *path: str) -> str | None:
    el = _find(root, *path)
    return el.text.strip() if el is not None and el.text else None


def _sample_start(root: Element) -> datetime | None:
    """UTC start of the move from the first sample with both `UTC` and `Time`."""
    for el in root.iter():
        if _local(el.tag) != "Sample":
            continue
        fields = {_local(c.tag): (c.text or "").strip() for c in el}
        utc, since = _aware(fields.get("UTC")), _float(fields.get("Time"))
        if utc is not None and since is not None:
            return utc - timedelta(seconds=since)
    return None


def _aware(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _rr_values(text: str) -> tuple[list[float], int]:
    """Space-separated integers up to the first token that is not one -> (values, count of
    tokens from there on: their time is unknown, so they cannot be placed)."""
    tokens = text.split()
    bad = next((i for i, t in enumerate(tokens) if not t.isdigit()), len(tokens))
    return [float(t) for t in tokens[:bad]], len(tokens) - bad


class _Sml:
    """What herstel reads from an .sml, from a whole document or from a file cut short."""

    def __init__(self, header_time: str | None, duration: str | None, device: str | None,
                 start_utc: datetime | None, rr_text: str | None, cut: str | None) -> None:
        self.header_time, self.duration, self.device = header_time, duration, device
        self.start_utc, self.rr_text, self.cut = start_utc, rr_text, cut


def _read_sml(data: bytes, name: str) -> _Sml:
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise ParseError(
            f"{name or 'file'}: refused XML construct ({type(exc).__name__})") from None
    except XMLSyntaxError as exc:
        return _read_cut_sml(decode_text(data, name), str(exc), name)
    return _Sml(_text(root, "Header", "DateTime"), _text(root, "Header", "Duration"),
                _text(root, "Device", "Name"), _sample_start(root),
                _text(root, "R-R", "Data"), None)


def _read_cut_sml(text: str, error: str, name: str) -> _Sml:
    """A document cut short (an interrupted copy): the parts before the cut, by pattern."""
    rr = re.search(r"<R-R>\s*<Data>([\d\s]*)", text)
    if rr is None:
        raise ParseError(f"{name or 'file'}: the XML breaks off ({error}) before any "
                         f"<R-R><Data>; copy the move again from SuuntoLink")
    values = rr.group(1).split()
    keep = " ".join(values[:-1]) if not re.search(r"</Data>", text[rr.end():]) else rr.group(1)
    start = None
    for block in re.finditer(r"<Sample>.*?</Sample>", text[:rr.start()], re.S):
        try:
            start = _sample_start(SafeET.fromstring(f"<s>{block.group(0)}</s>"))
        except (XMLSyntaxError, DefusedXmlException):
            continue
        if start is not None:
            break
    field = lambda tag: (m[1].strip() if (m := re.search(rf"<{tag}>([^<]*)</{tag}>", text))  # noqa: E731
                         else None)
    return _Sml(field("DateTime"), field("Duration"), field("Name"), start, keep,
                f"the XML breaks off ({error}): the file was cut short, the beats before the "
                f"cut are loaded (the last, possibly cut, value left out); copy the move "
                f"again from SuuntoLink for the rest")


def parse_sml(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """`<R-R><Data>` -> rr_intervals, laid end to end from the move's start."""
    # <sml xmlns="http://www.suunto.com/schemas/sml"><DeviceLog>
    #   <Header><Duration>26400.0</Duration><DateTime>2025-10-25T22:50:00</DateTime>...</Header>
    #   <Device><Name>Suunto 9 Peak</Name>...</Device>
    #   <Samples><Sample><UTC>2025-10-25T20:50:00.000Z</UTC><Time>0</Time>...</Sample>...</Samples>
    #   <R-R><Data>1029 971 1029 ...</Data></R-R>
    # </DeviceLog></sml>
    sml = _read_sml(data, name)
    if sml.rr_text is None:
        raise ParseError(f"{name or 'file'}: no <R-R><Data> in this .sml (the move was "
                         f"recorded without R-R; switch on R-R recording on the watch)")
    values, bad = _rr_values(sml.rr_text)
    dropped, problems = ({"unreadable_value": bad}, [
        f"{bad} R-R values skipped from the first that is not a whole number of ms on: "
        f"their time in the recording is unknown"]) if bad else ({}, [])
    if sml.cut:
        problems.append(sml.cut)
    start, offset = sml.start_utc, None
    naive = _naive(sml.header_time)
    if start is not None and naive is not None:
        offset = round((naive - start.replace(tzinfo=None)).total_seconds() / 900) * 900
    elif start is None:
        if naive is None:
            raise ParseError(f"{name or 'file'}: no start time (<Header><DateTime> "
                             f"{sml.header_time!r} and no sample with <UTC> and <Time>)")
        start, unknown = local_start(naive, tz)
        if start is None:
            more, lines = unplaceable(len(values), unknown, naive, tz)
            return ParsedFile(FORMAT_SML, {}, vendor=VENDOR, device=sml.device,
                              dropped={**dropped, **more}, problems=problems + lines)
    if not sml.cut and not bad and (cut := truncation_problem(
            values, _float(sml.duration), "<Header><Duration>")):
        problems.append(cut)
    return ParsedFile(FORMAT_SML, frames_of(rr_intervals=beats_frame(start, values)),
                      vendor=VENDOR, device=sml.device, utc_offset_s=offset,
                      dropped=dropped, problems=problems)


def _naive(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=None) if moment.tzinfo is None else None


# ---------------------------------------------------------------- app JSON


def parse_json(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """`Samples[].Attributes["suunto/sml"]["R-R"].IBI` blocks -> rr_intervals."""
    # {"Samples": [{"TimeISO8601": "2025-10-25T22:50:01.029+02:00",
    #   "Attributes": {"suunto/sml": {"R-R": {"IBI": [1029]}}}},
    #  {"TimeISO8601": "...", "Attributes": {"suunto/sml": {"Sample": {"HR": 0.97, ...}}}}]}
    doc = obj(load_json(data, name))
    blocks: list[tuple[datetime, list[float], bool]] = []
    unreadable, broken, offsets = 0, False, []
    for sample in items(doc.get("Samples")):
        rr = obj(obj(obj(obj(sample).get("Attributes")).get("suunto/sml")).get("R-R"))
        if "IBI" not in rr:
            continue
        raw = items(rr.get("IBI"))
        ibi = [float(v) for v in raw if isinstance(v, int | float) and not isinstance(v, bool)]
        stamp = obj(sample).get("TimeISO8601")
        when = _aware(stamp if isinstance(stamp, str) else None)
        if when is None or not ibi or len(ibi) != len(raw):
            unreadable += len(raw) or 1  # the block's beats have no known time
            broken = True
            continue
        offsets.append(_offset_s(stamp))
        blocks.append((when, ibi, broken))
        broken = False
    if not blocks and not unreadable:
        raise ParseError(f"{name or 'file'}: no R-R blocks in this Suunto JSON (the move was "
                         f"recorded without R-R)")
    frames = [beats_frame(start, values) for start, values in _chain(blocks)]
    rr = pl.concat(frames) if frames else conform(pl.DataFrame(), "rr_intervals")
    dropped, problems = ({"unreadable_value": unreadable}, [
        f"{unreadable} R-R values without a readable TimeISO8601 or number were skipped"]
    ) if unreadable else ({}, [])
    return ParsedFile(FORMAT_JSON, frames_of(rr_intervals=rr), vendor=VENDOR,
                      utc_offset_s=common_offset(pl.Series(offsets, dtype=pl.Int64)),
                      dropped=dropped, problems=problems)


def _offset_s(stamp: str) -> int | None:
    offset = datetime.fromisoformat(stamp.replace("Z", "+00:00")).utcoffset()
    return int(offset.total_seconds()) if offset is not None else None


def _chain(blocks: list[tuple[datetime, list[float], bool]],
           ) -> list[tuple[datetime, list[float]]]:
    """Blocks (in file order) whose beats follow on (within `BLOCK_JOIN`) -> one run from one
    start, so neighbouring beats stay exact neighbours; a larger gap, a step back or an
    unreadable block before (`broken`) starts a new run."""
    runs: list[tuple[datetime, list[float]]] = []
    end = None
    for when, values, broken in blocks:
        start = when - timedelta(milliseconds=sum(values))
        if end is not None and not broken and abs(start - end) <= BLOCK_JOIN:
            runs[-1][1].extend(values)
        else:
            runs.append((start, list(values)))
        end = runs[-1][0] + timedelta(milliseconds=sum(runs[-1][1]))
    return runs


PARSERS = [
    VendorFormat(FORMAT_SML, sniff_sml, parse_sml),
    VendorFormat(FORMAT_JSON, sniff_json, parse_json),
]
