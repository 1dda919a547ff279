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
    local_date,
    morning_readings,
    naive_datetime,
    read_table,
    require_column,
)

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
    """Morning readings -> device_summaries hrv_rmssd_ms and resting_hr per local date."""
    # date,timestamp_measurement,HR,AVNN,SDNN,rMSSD,pNN50,LF,HF,HRV4T_Recovery_Points,...
    # 2024-03-02,2024-03-02 07:01:22,52,1153.8,61.2,74.3,41.0,1450.2,1810.7,8.1,...
    table = read_table(data, name).frame
    cols = table.columns
    rmssd = require_column(cols, "rMSSD", "rMSSD", "rmssd", name=name)
    when = find_column(cols, "timestamp_measurement", "timestamp")
    day = find_column(cols, "date", "day")
    if day is None and when is None:
        require_column(cols, "date", "date", "timestamp_measurement", name=name)
    nights = [local_date(c) for c in (day, when) if c]
    check_dates(table, pl.coalesce(nights), day or when, name)
    order = naive_datetime(when) if when else pl.lit(None, pl.Datetime("us"))
    out = morning_readings(table, pl.coalesce(nights), order, rmssd,
                           find_column(cols, "HR", "heart rate"), VENDOR)
    return ParsedFile(FORMAT, frames_of(device_summaries=out), vendor=VENDOR)


PARSERS = [VendorFormat(FORMAT, sniff, parse)]
