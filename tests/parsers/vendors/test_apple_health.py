"""Apple Health export.xml: streamed, Apple's DTD skipped, entity declarations refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from parsers.base import CANONICAL, ParseError
from parsers.vendors import apple_health, claimants

# The prolog real exports start with (abridged): an internal DTD of ELEMENT/ATTLIST only.
PROLOG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 11 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
]>
"""


def record(kind: str, start: str, end: str | None = None, value: str = "", unit: str = "") -> str:
    return (f'<Record type="{kind}" sourceName="Apple Watch" sourceVersion="10.1" unit="{unit}" '
            f'creationDate="{end or start}" startDate="{start}" endDate="{end or start}" '
            f'value="{value}"/>')


HKQ, HKC = "HKQuantityTypeIdentifier", "HKCategoryTypeIdentifierSleepAnalysis"
SLEEP_VALUE = "HKCategoryValueSleepAnalysis"
BODY = "\n".join([
    '<HealthData locale="nl_NL">',
    ' <ExportDate value="2024-03-03 09:00:00 +0100"/>',
    ' <Me HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>',
    record(f"{HKQ}HeartRate", "2024-03-02 03:10:00 +0100", value="48", unit="count/min"),
    '<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" '
    'unit="count/min" startDate="2024-03-02 03:15:00 +0100" endDate="2024-03-02 03:15:00 +0100"'
    ' value="49.6"><MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="1"/></Record>',
    record(f"{HKQ}RestingHeartRate", "2024-03-02 00:04:00 +0100", "2024-03-02 23:58:00 +0100",
           "51", "count/min"),
    # two SDNN spot readings on 2 March (local), one on 3 March: SDNN, never RMSSD
    '<Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Apple Watch" '
    'unit="ms" startDate="2024-03-02 02:00:00 +0100" endDate="2024-03-02 02:01:00 +0100" '
    'value="40.5"><HeartRateVariabilityMetadataList><InstantaneousBeatsPerMinute bpm="50" '
    'time="2:00:01,20 AM"/></HeartRateVariabilityMetadataList></Record>',
    record(f"{HKQ}HeartRateVariabilitySDNN", "2024-03-02 06:00:00 +0100",
           "2024-03-02 06:01:00 +0100", "59.5", "ms"),
    record(f"{HKQ}HeartRateVariabilitySDNN", "2024-03-03 00:30:00 +0100",
           "2024-03-03 00:31:00 +0100", "44", "ms"),
    # every SleepAnalysis value kind: old (InBed, Asleep) and iOS 16 stages
    record(HKC, "2024-03-01 23:00:00 +0100", "2024-03-02 07:00:00 +0100", f"{SLEEP_VALUE}InBed"),
    record(HKC, "2024-03-01 23:10:00 +0100", "2024-03-01 23:40:00 +0100",
           f"{SLEEP_VALUE}AsleepCore"),
    record(HKC, "2024-03-01 23:40:00 +0100", "2024-03-02 00:40:00 +0100",
           f"{SLEEP_VALUE}AsleepDeep"),
    record(HKC, "2024-03-02 00:40:00 +0100", "2024-03-02 01:10:00 +0100",
           f"{SLEEP_VALUE}AsleepREM"),
    record(HKC, "2024-03-02 01:10:00 +0100", "2024-03-02 01:15:00 +0100", f"{SLEEP_VALUE}Awake"),
    record(HKC, "2024-03-02 01:15:00 +0100", "2024-03-02 03:00:00 +0100",
           f"{SLEEP_VALUE}AsleepUnspecified"),
    record(HKC, "2019-06-10 23:00:00 -0700", "2019-06-11 06:00:00 -0700", f"{SLEEP_VALUE}Asleep"),
    '<Workout workoutActivityType="HKWorkoutActivityTypeTraditionalStrengthTraining" '
    'duration="45" durationUnit="min" sourceName="Apple Watch" '
    'startDate="2024-03-02 18:00:00 +0100" endDate="2024-03-02 18:45:00 +0100">'
    '<MetadataEntry key="HKTimeZone" value="Europe/Amsterdam"/>'
    '<WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="2024-03-02 18:00:00 '
    '+0100" endDate="2024-03-02 18:45:00 +0100" average="121.5" minimum="80" maximum="162" '
    'unit="count/min"/></Workout>',
    '<Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30.5" '
    'durationUnit="min" sourceName="Apple Watch" startDate="2024-03-03 08:00:00 +0100" '
    'endDate="2024-03-03 08:30:30 +0100"><WorkoutStatistics '
    'type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="2024-03-03 08:00:00 +0100" '
    'endDate="2024-03-03 08:30:30 +0100" sum="6.2" unit="km"/></Workout>',
    ' <ActivitySummary dateComponents="2024-03-02" activeEnergyBurned="590"/>',
    "</HealthData>",
]).encode()
EXPORT = PROLOG + BODY

# iOS 16 wrote an unclosed ATTLIST into the DTD and a vertical tab into values.
IOS16 = (PROLOG.replace(b"  locale CDATA #REQUIRED\n>", b"  locale CDATA #REQUIRED\n")
         + BODY.replace(b'sourceName="Apple Watch"', b'sourceName="Apple\x0bWatch"', 1))

BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<HealthData locale="en_US"><Record type="HKQuantityTypeIdentifierHeartRate" value="&lol9;"
 startDate="2024-03-02 03:10:00 +0100" endDate="2024-03-02 03:10:00 +0100"/></HealthData>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<HealthData><Record type="HKQuantityTypeIdentifierHeartRate" value="&xxe;"/></HealthData>"""

FIXTURES = {"export.xml": (apple_health.FORMAT, EXPORT), "ios16.xml": (apple_health.FORMAT, IOS16)}
FOREIGN = {
    "route_2019-06-11_3.00pm.gpx": b'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" '
                                   b'creator="Apple Health Export"><trk/></gpx>',
    "export_cda.xml": b'<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"/>',
}


@pytest.mark.parametrize("name", FIXTURES)
def test_only_its_own_sniffer_claims_it(name):
    fmt, data = FIXTURES[name]
    assert claimants(data, name) == [fmt]


@pytest.mark.parametrize("name", FOREIGN)
def test_other_xml_is_not_claimed(name):
    assert claimants(FOREIGN[name], name) == []


@pytest.mark.corpus
def test_corpus_export_parses(corpus):
    data = (corpus / "csv_vendor" / "apple-health_export.xml").read_bytes()
    assert claimants(data, "export.xml") == [apple_health.FORMAT]
    parsed = apple_health.parse(data, "export.xml")
    assert parsed.frames["heart_rate"].to_dicts() == [
        {"ts": datetime(2018, 9, 10, 9, 28, 55, tzinfo=UTC), "bpm": 72, "context": "monitoring"}]
    [run] = parsed.frames["activities"].to_dicts()
    assert run["start_ts"] == datetime(2016, 11, 14, 14, 25, 41, tzinfo=UTC)
    assert run["sport"] == "running"
    assert run["duration_s"] == pytest.approx(5.19412346680959 * 60)
    assert run["distance_m"] == pytest.approx(0.4971749504535062 * 1609.344)
    assert set(parsed.frames) == {"heart_rate", "activities"}  # no sleep or HRV in this file
    assert parsed.problems == [] and parsed.utc_offset_s == -7 * 3600


def test_heart_rate_records():
    hr = apple_health.parse(EXPORT, "export.xml").frames["heart_rate"]
    assert hr.schema == pl.Schema(CANONICAL["heart_rate"])
    assert hr.to_dicts() == [
        {"ts": datetime(2024, 3, 2, 2, 10, tzinfo=UTC), "bpm": 48, "context": "monitoring"},
        {"ts": datetime(2024, 3, 2, 2, 15, tzinfo=UTC), "bpm": 50, "context": "monitoring"},
    ]


def test_sdnn_is_stored_as_sdnn_never_as_rmssd():
    summaries = apple_health.parse(EXPORT, "export.xml").frames["device_summaries"]
    values = {(r["night"], r["metric"]): r["value"] for r in summaries.iter_rows(named=True)}
    assert values == {
        (date(2024, 3, 2), "resting_hr"): 51.0,
        (date(2024, 3, 2), "hrv_sdnn_ms"): 50.0,  # mean of the day's two readings
        (date(2024, 3, 3), "hrv_sdnn_ms"): 44.0,  # local date, although 23:30 UTC on 2 March
    }
    assert "hrv_rmssd_ms" not in summaries["metric"].to_list()
    assert summaries["vendor"].unique().to_list() == ["apple"]


def test_every_sleep_value_kind_maps_and_in_bed_is_not_a_stage():
    stages = apple_health.parse(EXPORT, "export.xml").frames["sleep_stages"]
    assert stages["stage"].to_list() == ["asleep", "light", "deep", "rem", "awake", "asleep"]
    assert stages["start_ts"][0] == datetime(2019, 6, 11, 6, 0, tzinfo=UTC)  # -0700
    assert stages["start_ts"][1] == datetime(2024, 3, 1, 22, 10, tzinfo=UTC)


def test_workouts_with_statistics():
    acts = apple_health.parse(EXPORT, "export.xml").frames["activities"].sort("start_ts")
    assert acts.to_dicts() == [
        {"start_ts": datetime(2024, 3, 2, 17, 0, tzinfo=UTC), "duration_s": 2700.0,
         "sport": "training", "sub_sport": "strength_training", "avg_hr": 121.5,
         "max_hr": 162.0, "distance_m": None},
        {"start_ts": datetime(2024, 3, 3, 7, 0, tzinfo=UTC), "duration_s": 1830.0,
         "sport": "running", "sub_sport": None, "avg_hr": None, "max_hr": None,
         "distance_m": 6200.0},
    ]


def test_ios16_broken_dtd_and_control_characters_are_tolerated():
    parsed = apple_health.parse(IOS16, "export.xml")
    assert parsed.problems == []
    assert parsed.rows() == apple_health.parse(EXPORT, "export.xml").rows()


def test_billion_laughs_is_refused_before_parsing():
    assert claimants(BILLION_LAUGHS, "export.xml") == [apple_health.FORMAT]
    with pytest.raises(ParseError, match=r"declares XML entities .*billion laughs"):
        apple_health.parse(BILLION_LAUGHS, "export.xml")


def test_external_entity_is_refused():
    with pytest.raises(ParseError, match="declares XML entities"):
        apple_health.parse(EXTERNAL_ENTITY, "export.xml")


def test_a_doctype_hidden_past_the_prolog_window_is_still_refused():
    padding = b"<!--" + b" " * (apple_health.PROLOG_LIMIT + 10) + b"-->\n"
    data = b'<?xml version="1.0"?>\n' + padding + BILLION_LAUGHS.split(b"?>", 1)[1]
    with pytest.raises(ParseError, match="refused"):
        apple_health.parse(data, "export.xml")


def test_truncated_export_keeps_what_came_before_the_damage():
    cut = EXPORT[: EXPORT.index(b"<Workout")]
    parsed = apple_health.parse(cut, "export.xml")
    assert parsed.problems and "XML breaks" in parsed.problems[0]
    assert parsed.rows()["heart_rate"] == 2 and "activities" not in parsed.frames


def test_unreadable_from_the_start_is_a_parse_error():
    with pytest.raises(ParseError, match="not readable as Apple Health XML"):
        apple_health.parse(PROLOG + b"<HealthData><Record type=", "export.xml")


def test_wrong_root_is_refused():
    with pytest.raises(ParseError, match="expected Apple Health's <HealthData>"):
        apple_health.parse(b"<?xml version='1.0'?><gpx><trk/></gpx>", "export.xml")


def test_rows_are_typed_in_batches(monkeypatch):
    monkeypatch.setattr(apple_health, "BATCH_ROWS", 1)
    parsed = apple_health.parse(EXPORT, "export.xml")
    monkeypatch.undo()
    assert parsed.rows() == apple_health.parse(EXPORT, "export.xml").rows()
