"""HRV4Training morning-measurement export (Settings -> Export data -> CSV).

One row per measurement: `date`, often `timestamp_measurement`, then `HR`, `AVNN`, `SDNN`,
`rMSSD`, `pNN50`, `LF`, `HF`, `HRV4T_Recovery_Points` and the questionnaire columns. Missing
values are `-`; files from European phones use `;` and decimal commas; some start with a
BOM or carry blank lines and ragged rows. A reading belongs to its local date (the morning
after the night). See docs/sources/hrv4training.md.
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

VENDOR = "hrv4training"
FORMAT = "hrv4training_csv"


def sniff(data: bytes, name: str) -> bool:
    """`HRV4T_Recovery_Points`, or `rMSSD` beside `AVNN`/`timestamp_measurement`."""
    h = set(header_of(data))
    if "reading type" in h:  # Elite HRV
        return False
    return "hrv4t_recovery_points" in h or (
        "rmssd" in h and bool({"avnn", "timestamp_measurement"} & h))


def parse(data: bytes, name: str = "", *, tz: str | None = None) -> ParsedFile:
    """Morning readings -> device_summaries hrv_rmssd_ms and resting_hr per local date.

    The date layout is decided per file from all rows (`vendors.placing.file_dates`): the
    Android app writes year-day-month (`2017-29-08`), iOS year-month-day. A reading whose
    date cannot be read is dropped and counted (`date_unreadable`), never guessed.
    """
    # date,timestamp_measurement,HR,AVNN,SDNN,rMSSD,pNN50,LF,HF,HRV4T_Recovery_Points,...
    # 2024-03-02,2024-03-02 07:01:22,52,1153.8,61.2,74.3,41.0,1450.2,1810.7,8.1,...
    # Android:  2017-29-08,...  (year-day-month: 29 August 2017)
    table = read_table(data, name).frame
    cols = table.columns
    rmssd = require_column(cols, "rMSSD", "rMSSD", "rmssd", name=name)
    when = find_column(cols, "timestamp_measurement", "timestamp")
    day = find_column(cols, "date", "day")
    if day is None and when is None:
        require_column(cols, "date", "date", "timestamp_measurement", name=name)
    night, choices = file_dates(table, day, when)
    check_dates(table, night, day or when, name)
    dropped, problems = unplaced(table, night, number(rmssd), choices)
    order = next((c.expr(pl.col(when), datetime=True) for c in choices if c.column == when),
                 pl.lit(None, pl.Datetime("us")))
    out = morning_readings(table, night, order, rmssd,
                           find_column(cols, "HR", "heart rate"), VENDOR)
    return ParsedFile(FORMAT, frames_of(device_summaries=out), vendor=VENDOR,
                      problems=problems, dropped=dropped)


PARSERS = [VendorFormat(FORMAT, sniff, parse)]
