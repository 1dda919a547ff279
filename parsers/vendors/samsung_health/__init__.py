"""Samsung Health personal-data export (docs/sources/samsung_health.md).

- `csvs`: the per-type CSVs (sleep stages, heart rate, HRV), which check the `jsons/` files
  their rows name;
- `binning`: the `jsons/` binning files themselves (per-minute heart rate, 5-minute RMSSD).
"""

from parsers.vendors.samsung_health.csvs import (
    HEART_RATE_TYPE,
    HRV_TYPE,
    PARSERS,
    SLEEP_STAGE_TYPE,
    VENDOR,
    parse_heart_rate,
    parse_hrv,
    parse_sleep_stage,
)

__all__ = [
    "HEART_RATE_TYPE",
    "HRV_TYPE",
    "PARSERS",
    "SLEEP_STAGE_TYPE",
    "VENDOR",
    "parse_heart_rate",
    "parse_hrv",
    "parse_sleep_stage",
]
