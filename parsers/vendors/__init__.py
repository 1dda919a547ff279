"""Importers for vendors' own export files: one module per source (docs/sources/<source>.md).

The shape every module follows (one shape, even for a single file kind)::

    PARSERS: list[VendorFormat]          # VendorFormat is a NamedTuple (format, sniff, parse)

    format: str                           # what `files.format` records, e.g. "whoop_cycles"
    sniff(data: bytes, name: str) -> bool # recognises the file by CONTENT (header labels,
                                          # JSON keys, XML root) within the first 4 KB; the
                                          # name is only a tie-breaker (e.g. an empty `[]`)
    parse(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile
                                          # canonical frames via `conform`; `ParseError` with
                                          # an actionable reason when nothing can be read

`tz` is the athlete's IANA zone. Only files that write local wall-clock times WITHOUT an
offset use it (Fitbit sleep and HRV details, Polar PPI, WHOOP workouts without a
`Cycle timezone` column); when it is None such times are read as UTC, the warehouse's default
zone. Files with their own offsets or calendar dates ignore it.

Sniffers of different formats never claim the same file (tests run every sniffer on every
fixture), so a registry may take the first that says yes. Try them BEFORE the generic CSV
sniffers: an HRV4Training export (`date` + `fatigue` columns) also looks like a wellness CSV.
Whole export zips are opened with `parsers.archive.iter_members` (docs/sources/archives.md).
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

from parsers.fit import profile as fit_profile
from parsers.vendors import (
    apple_health,
    elite_hrv,
    fitbit,
    gadgetbridge,
    garmin_connect,
    google_health,
    health_connect,
    hrv4training,
    oura,
    polar,
    polar_hrm,
    samsung_health,
    suunto,
    whoop,
    withings,
    zepp,
)
from parsers.vendors.common import VendorFormat

#: The vendor modules, each with `PARSERS: list[VendorFormat]`.
VENDOR_PARSERS: list[ModuleType] = [
    garmin_connect,
    whoop,
    oura,
    fitbit,
    google_health,
    apple_health,
    polar,
    hrv4training,
    elite_hrv,
    health_connect,
    gadgetbridge,
    samsung_health,
    polar_hrm,
    suunto,
    withings,
    zepp,
]


@cache
def known_vendors() -> frozenset[str]:
    """Every name herstel records in `vendor` (files, device_summaries): each vendor module's
    `VENDOR` and every FIT manufacturer name (a FIT file's vendor is its manufacturer). A
    `source_priority` entry outside these (and outside vendors already in the warehouse) is
    a typo (warehouse.athlete_config.priority_problem)."""
    names = {module.VENDOR for module in VENDOR_PARSERS}
    return frozenset(names | set(fit_profile.enum_table("manufacturer").values()))


def all_formats() -> list[VendorFormat]:
    """Every (format, sniff, parse) of every vendor module, in `VENDOR_PARSERS` order."""
    return [entry for module in VENDOR_PARSERS for entry in module.PARSERS]


def claimants(data: bytes, name: str = "") -> list[str]:
    """The formats whose sniffer recognises `data` (at most one for a well-formed export)."""
    return [entry.format for entry in all_formats() if entry.sniff(data, name)]


def unread(paths: list[str]) -> dict[str, str]:
    """Files of a whole export that vendor layouts skip unread, path -> reason (`ignored:
    ...`), decided from the names alone (a zip's member list, a folder's files): READMEs,
    machine-learning output, legacy twins of data read from another file, folders of data
    types herstel does not use. Today: the Google Health Takeout
    (docs/sources/google_health.md) and the Zepp export (docs/sources/zepp.md)."""
    return {**google_health.unread(paths), **zepp.unread(paths)}


def find_format(data: bytes, name: str = "") -> VendorFormat | None:
    """The vendor format that recognises `data`, or None."""
    return next((entry for entry in all_formats() if entry.sniff(data, name)), None)


__all__ = [
    "VENDOR_PARSERS",
    "VendorFormat",
    "all_formats",
    "claimants",
    "find_format",
    "known_vendors",
    "unread",
]
