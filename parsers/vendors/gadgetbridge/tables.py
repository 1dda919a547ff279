"""What herstel knows of the Gadgetbridge database schema: tables, their time units, codes.

Gadgetbridge (the open-source companion app) defines its SQLite tables with greenDAO
(`GBDaoGenerator.java`); greenDAO names columns in upper snake case (`TIMESTAMP`,
`DEVICE_ID`, `HEART_RATE`, `RAW_KIND`). Two families of sample tables keep time differently,
and the family is fixed by the schema, never guessed from a row:

- *activity samples* (`addCommonActivitySampleProperties`: an `int timestamp`) keep epoch
  SECONDS, one row per minute: MI_BAND_ACTIVITY_SAMPLE, HUAMI_EXTENDED_ACTIVITY_SAMPLE,
  XIAOMI_ACTIVITY_SAMPLE, GARMIN_ACTIVITY_SAMPLE;
- *time samples* (`addCommonTimeSampleProperties`: a `long timestamp`) keep epoch
  MILLISECONDS: every GARMIN_* sample table but the activity one, XIAOMI_SLEEP_*,
  HUAMI_HEART_RATE_RESTING_SAMPLE and the GENERIC_* tables of newer versions.

See docs/sources/gadgetbridge.md.
"""

from __future__ import annotations

from typing import NamedTuple

#: Units of the TIMESTAMP column.
SECONDS = "s"
MILLIS = "ms"


class Table(NamedTuple):
    """One sample table: its name, its TIMESTAMP unit and the value column herstel reads."""

    name: str
    unit: str
    value: str


#: Per-minute activity samples with a HEART_RATE column -> heart_rate.
#: MI_BAND_ACTIVITY_SAMPLE: TIMESTAMP=1761425400, DEVICE_ID=1, USER_ID=1, RAW_INTENSITY=12,
#:   STEPS=0, RAW_KIND=9, HEART_RATE=51
HEART_RATE_TABLES = (
    Table("MI_BAND_ACTIVITY_SAMPLE", SECONDS, "HEART_RATE"),
    Table("HUAMI_EXTENDED_ACTIVITY_SAMPLE", SECONDS, "HEART_RATE"),
    Table("XIAOMI_ACTIVITY_SAMPLE", SECONDS, "HEART_RATE"),
    Table("GARMIN_ACTIVITY_SAMPLE", SECONDS, "HEART_RATE"),
    # GENERIC_HEART_RATE_SAMPLE: TIMESTAMP=1761425400000, DEVICE_ID=3, USER_ID=1, HEART_RATE=52
    Table("GENERIC_HEART_RATE_SAMPLE", MILLIS, "HEART_RATE"),
)
#: A device's own daily resting HR -> device_summaries `resting_hr`.
#: GARMIN_HEART_RATE_RESTING_SAMPLE: TIMESTAMP=1761462000000, DEVICE_ID=2, USER_ID=1, HEART_RATE=48
RESTING_HR_TABLES = (
    Table("GARMIN_HEART_RATE_RESTING_SAMPLE", MILLIS, "HEART_RATE"),
    # HUAMI_HEART_RATE_RESTING_SAMPLE: TIMESTAMP=..., DEVICE_ID, USER_ID, UTC_OFFSET, HEART_RATE
    Table("HUAMI_HEART_RATE_RESTING_SAMPLE", MILLIS, "HEART_RATE"),
)
#: 5-minute HRV (RMSSD, ms) -> hrv_samples.
#: GARMIN_HRV_VALUE_SAMPLE: TIMESTAMP=1761431100000, DEVICE_ID=2, USER_ID=1, VALUE=43
HRV_VALUE_TABLES = (
    Table("GARMIN_HRV_VALUE_SAMPLE", MILLIS, "VALUE"),
    # GENERIC_HRV_VALUE_SAMPLE: TIMESTAMP=..., DEVICE_ID, USER_ID, VALUE (ms)
    Table("GENERIC_HRV_VALUE_SAMPLE", MILLIS, "VALUE"),
)
#: The device's nightly HRV -> device_summaries `hrv_rmssd_ms`.
#: GARMIN_HRV_SUMMARY_SAMPLE: TIMESTAMP=1761462000000, DEVICE_ID=2, USER_ID=1, WEEKLY_AVERAGE=45,
#:   LAST_NIGHT_AVERAGE=44, LAST_NIGHT5_MIN_HIGH=61, BASELINE_LOW_UPPER=38, ..., STATUS_NUM=1
HRV_SUMMARY_TABLE = Table("GARMIN_HRV_SUMMARY_SAMPLE", MILLIS, "LAST_NIGHT_AVERAGE")

#: GARMIN_SLEEP_STAGE_SAMPLE: TIMESTAMP=1761431160000, DEVICE_ID=2, USER_ID=1, STAGE=2.
#: FIT sleep levels; Gadgetbridge reads each row as the END of its stage (upper bound).
GARMIN_STAGE_TABLE = Table("GARMIN_SLEEP_STAGE_SAMPLE", MILLIS, "STAGE")
GARMIN_STAGES = {1: "awake", 2: "light", 3: "deep", 4: "rem"}
#: GARMIN_EVENT_SAMPLE: TIMESTAMP=1761431100000, DEVICE_ID=2, USER_ID=1, EVENT=74,
#:   EVENT_TYPE=0, DATA=NULL. FIT event 74 is "sleep"; type 0 starts, 1 stops a night.
GARMIN_EVENT_TABLE = Table("GARMIN_EVENT_SAMPLE", MILLIS, "EVENT")
GARMIN_SLEEP_EVENT = 74
EVENT_START, EVENT_STOP = 0, 1
#: Without sleep events, levels further apart than this belong to different nights.
GARMIN_NIGHT_GAP_S = 3 * 3600

#: XIAOMI_SLEEP_STAGE_SAMPLE: TIMESTAMP=1761431400000, DEVICE_ID=3, USER_ID=1, STAGE=3.
#: Each row STARTS its stage, which lasts until the next row (lower bound).
XIAOMI_STAGE_TABLE = Table("XIAOMI_SLEEP_STAGE_SAMPLE", MILLIS, "STAGE")
#: Codes as Gadgetbridge's SleepDetailsParser stores them: 0 not sleep, 1 n/a, 2 deep,
#: 3 light, 4 REM, 5 awake.
XIAOMI_STAGES = {0: "awake", 1: "unmeasurable", 2: "deep", 3: "light", 4: "rem", 5: "awake"}
#: XIAOMI_SLEEP_TIME_SAMPLE: TIMESTAMP=1761431400000 (fell asleep), DEVICE_ID=3, USER_ID=1,
#:   WAKEUP_TIME=1761458400000, IS_AWAKE=0, TOTAL_DURATION=440, DEEP_SLEEP_DURATION=60, ...
XIAOMI_SESSION_TABLE = Table("XIAOMI_SLEEP_TIME_SAMPLE", MILLIS, "WAKEUP_TIME")

#: RAW_KIND is device specific. Mapped only for the Huami-protocol bands below, whose minute
#: samples carry the sleep (they have no stage table); the code is the low 4 bits of RAW_KIND
#: (Gadgetbridge's MiBand2SampleProvider), 0 and 10 mean "as the previous minute".
RAW_KIND_DEVICES = frozenset({"MIBAND2", "MIBAND3"})
RAW_KIND_TABLE = Table("MI_BAND_ACTIVITY_SAMPLE", SECONDS, "RAW_KIND")
RAW_KIND_STAGES = {9: "light", 11: "deep", 12: "awake"}
RAW_KIND_CONTINUE = frozenset({0, 10})
RAW_KIND_MASK = 0xF
#: Activity-sample tables whose RAW_KIND herstel does not read for any device; their rows of
#: devices outside RAW_KIND_DEVICES are counted as `raw_kind_unmapped` (HR is still read).
RAW_KIND_TABLES = ("MI_BAND_ACTIVITY_SAMPLE", "HUAMI_EXTENDED_ACTIVITY_SAMPLE")
#: Length of one activity sample (one minute).
MINUTE_S = 60

#: A HEART_RATE outside this range is "no reading" (255, 0 and negative are the apps' codes).
HR_MIN_BPM, HR_MAX_BPM = 1, 250
#: Plausible epoch seconds: 2000-01-01 .. 2100-01-01 (in ms: x 1000).
PLAUSIBLE_S = (946_684_800, 4_102_444_800)

#: Tables only a Gadgetbridge database holds (greenDAO writes them in every version).
MARKERS = (b"DEVICE_ATTRIBUTES", b"USER_ATTRIBUTES", b"ACTIVITY_DESCRIPTION",
           b"MI_BAND_ACTIVITY_SAMPLE")
