"""Elite HRV readings export (app -> Account -> Export data: one CSV row per reading).

Columns as public importers read them: `Date Time Start` (or `Date Time` / `Date`),
`Reading Type` (`Morning Readiness`, `Open Reading`, ...), `HR`, `RMSSD`, `ln(RMSSD)`,
`HRV` (Elite HRV's own 0-100 score, NOT milliseconds: never stored as RMSSD), `SDNN`, ...
Only morning readiness readings describe the night; when the file says the reading type,
other readings are skipped. See docs/sources/elite_hrv.md.
"""

from __future__ import annotations

import polars as pl

from parsers.base import ParsedFile
from parsers.vendors.common import (
    VendorFormat,
    check_dates,
    find_column,
    frames_of,
    header_of,
    morning_readings,
    number,
    read_table,
    require_column,
)
from parsers.vendors.placing import file_dates, unplaced

VENDOR = "elite_hrv"
FORMAT = "elite_hrv_csv"
DATE_COLUMNS = ("Date Time Start", "Date Time", "DateTime", "Date")
#: The 2017 export names the reading type `Type` and writes `lnRmssd` (see the sniffer).
TYPE_COLUMNS = ("Reading Type", "Type")


def sniff(data: bytes, name: str) -> bool:
    """`Reading Type`, or `Date Time Start` beside `RMSSD`; or the 2017 layout
    (`Member,Date,Datetime,Type,HRV,lnRmssd,Rmssd,...`: `lnRmssd` with `Type`)."""
    h = set(header_of(data))
    return "rmssd" in h and ("reading type" in h or "date time start" in h
                             or "morning readiness" in h or {"lnrmssd", "type"} <= h)


def parse(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Morning readiness readings -> hrv_rmssd_ms and resting_hr for the reading's date."""
    # Date Time Start,Date Time End,Reading Type,Position,Tags,HRV,Morning Readiness,HR,
    # ln(RMSSD),RMSSD,NN50,PNN50,SDNN,...
    # 2024-03-02 06:58:10,2024-03-02 07:00:40,Morning Readiness,Lying Down,,68,7,51,4.41,82.3,...
    table = read_table(data, name).frame
    cols = table.columns
    when = require_column(cols, "date/time", *DATE_COLUMNS, name=name)
    rmssd = require_column(cols, "RMSSD", "RMSSD", name=name)
    # 2017 layout: Member,Date,Datetime,Type,HRV,lnRmssd,Rmssd,... (UTF-8 BOM, CRLF)
    # jan,2017-05-04,2017-05-04 06:58:10,Morning Readiness,68,4.41,82.3,...
    kind = find_column(cols, *TYPE_COLUMNS)
    if kind:
        table = table.filter(pl.col(kind).str.to_lowercase().str.contains("morning"))
    # one date-time layout for the whole file (a date-only column is read as a date)
    night, choices = file_dates(table, None, when)
    if not table.select(night.is_not_null().any()).item():
        night, choices = file_dates(table, when, None)
    check_dates(table, night, when, name)
    dropped, problems = unplaced(table, night, number(rmssd), choices)
    order = next((c.expr(pl.col(when), datetime=True) for c in choices if c.column == when
                  and c.layout and "%H" in c.layout), pl.lit(None, pl.Datetime("us")))
    out = morning_readings(table, night, order, rmssd,
                           find_column(cols, "HR", "Heart Rate", "Avg HR"), VENDOR)
    return ParsedFile(FORMAT, frames_of(device_summaries=out), vendor=VENDOR,
                      problems=problems, dropped=dropped)


PARSERS = [VendorFormat(FORMAT, sniff, parse)]
