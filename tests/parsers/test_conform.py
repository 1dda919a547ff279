"""`parsers.base.conform` of a frame without columns (a vendor table that is absent)."""

from __future__ import annotations

import sqlite3

import polars as pl
import pytest

from parsers.base import CANONICAL, conform
from parsers.vendors import health_connect


@pytest.mark.parametrize("table", sorted(CANONICAL))
def test_a_frame_without_columns_conforms_to_no_rows(table):
    got = conform(pl.DataFrame(), table)
    assert got.height == 0 and got.schema == pl.Schema(CANONICAL[table])


def test_absent_health_connect_tables_add_no_null_rows():
    # before: each absent table gave one all-null row, dropped later as `ts_missing`
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE application_info_table (row_id INTEGER, package_name TEXT)")
    con.execute("CREATE TABLE resting_heart_rate_record_table (time INTEGER, "
                "zone_offset INTEGER, beats_per_minute INTEGER)")
    con.execute("INSERT INTO resting_heart_rate_record_table VALUES (1717221600000, 7200, 48)")
    parsed = health_connect.parse(con.serialize(), "health_connect_export.db")
    assert parsed.rows() == {"device_summaries": 1}
