"""Edge rows of the FIT mappings (`parsers.fit.canonical`), on message frames built by hand.

The mappings skip polars queries where a cheaper path gives the same frame (no nulls: no
filter; file order: no sort; a few rows: Python lists); these cases take the other path,
with nulls, overflow, unknown names and rows out of file order, and pin the exact result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from parsers.base import CANONICAL, UTC_US
from parsers.fit import canonical as c

T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)


def _ts(*minutes: int | None) -> pl.Series:
    return pl.Series("timestamp", [None if m is None else T0 + timedelta(minutes=m)
                                   for m in minutes], UTC_US)


def _frame(index: list[int], **columns: pl.Series | list) -> pl.DataFrame:
    return pl.DataFrame({"_index": pl.Series(index, dtype=pl.UInt32), **columns})


def test_heart_rate_drops_rows_without_time_or_hr_and_keeps_overflow_as_null():
    monitoring = _frame([0, 1, 2, 3], timestamp=_ts(0, None, 2, 3),
                        heart_rate=pl.Series([50, 51, None, 40000], dtype=pl.Int64))
    out = c.heart_rate({"monitoring": monitoring})
    assert out.schema == pl.Schema(CANONICAL["heart_rate"])
    assert out.to_dict(as_series=False) == {
        "ts": [T0, T0 + timedelta(minutes=3)], "bpm": [50, None],
        "context": ["monitoring", "monitoring"],
    }


def test_sleep_stages_sorts_drops_null_times_and_names_unknown_levels():
    levels = _frame([7, 5, 6, 8], timestamp=_ts(2, 0, None, 3),
                    sleep_level=["deep", "light", "rem", None])
    out = c.sleep_stages({"sleep_level": levels})
    assert out.schema == pl.Schema(CANONICAL["sleep_stages"])
    minute = timedelta(minutes=1)
    assert out.to_dict(as_series=False) == {
        "start_ts": [T0, T0 + 2 * minute, T0 + 3 * minute],
        "end_ts": [T0 + 2 * minute, T0 + 3 * minute, T0 + 4 * minute],
        "stage": ["light", "deep", "unmeasurable"],
    }


def test_sleep_stages_awake_and_nulls_only_is_unmeasurable():
    levels = _frame([0, 1], timestamp=_ts(0, 1), sleep_level=["awake", None])
    out = c.sleep_stages({"sleep_level": levels})
    assert out["stage"].to_list() == ["unmeasurable", "unmeasurable"]


def test_device_summaries_fall_back_field_by_field_and_drop_empty_rows():
    hr_data = _frame([0, 1, 2, 3], timestamp=_ts(0, 1, 2, None),
                     resting_heart_rate=pl.Series([46, 47, None, 49], dtype=pl.Int64),
                     current_day_resting_heart_rate=pl.Series([45, None, None, 48],
                                                              dtype=pl.Int64))
    out = c.device_summaries({"monitoring_hr_data": hr_data}, None)
    assert out.schema == pl.Schema(CANONICAL["device_summaries"])
    assert out.to_dict(as_series=False) == {
        "night": [None] * 4,
        "ts": [T0, T0 + timedelta(minutes=1), T0, T0 + timedelta(minutes=1)],
        "metric": ["resting_hr", "resting_hr", "resting_hr_7d_avg", "resting_hr_7d_avg"],
        "value": [45.0, 47.0, 46.0, 47.0],
        "vendor": [None] * 4,
    }


def test_utc_offset_from_the_first_row_holding_both_times():
    local = pl.Series([None, datetime(2024, 3, 2, 0, 0, 4)], dtype=pl.Datetime("us"))
    info = _frame([0, 1], timestamp=_ts(0, 0), local_timestamp=local)
    assert c.utc_offset_s({"monitoring_info": info}) == 7200
