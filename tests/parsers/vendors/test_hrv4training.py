"""HRV4Training CSV: morning readings per local date; BOM, `;`, decimal commas, `-`, ragged."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.base import ParseError
from parsers.vendors import claimants, hrv4training

HEADER = ("date,timestamp_measurement,HR,AVNN,SDNN,rMSSD,pNN50,LF,HF,HRV4T_Recovery_Points,"
          "sleep_time,sleep_quality,mental_energy,muscle_soreness,fatigue,training,trainingRPE")
EXPORT = (
    HEADER + "\n"
    "2024-03-02,2024-03-02 07:01:22,52,1153.8,61.2,74.3,41.0,1450.2,1810.7,8.1,7.5,7,6,3,4,"
    "Run,6\n"
    "\n"  # blank line
    "2024-03-02,2024-03-02 18:30:00,61,990,40,38.0,12,800,600,6.0,-,-,-,-,-,-,-\n"  # retake
    "2024-03-03,2024-03-03 06:50:10,-,1100,55,-,30,1,1,-,-,-,-,-,-,-,-\n"  # failed reading
    "2024-03-04,2024-03-04 06:45:00,54,1110,58,68.5\n"  # ragged: trailing cells missing
).encode()

# A European phone: BOM, `;` separators, decimal commas, no timestamp column.
EXPORT_EU = (
    "\ufeffdate;HR;AVNN;SDNN;rMSSD;pNN50;LF;HF;HRV4T_Recovery_Points\r\n"
    "2024-03-02;52;1153,8;61,2;74,3;41;1450,2;1810,7;8,1\r\n"
).encode()

FIXTURES = {"HRV4Training_export.csv": EXPORT, "hrv4t_eu.csv": EXPORT_EU}
# herstel's own generic CSVs (parsers.csv_long, parsers.wellness_csv) are no vendor export
FOREIGN = {
    "long.csv": b"athlete_id,timestamp,metric,value,unit,end_timestamp\n"
                b"a01,2024-03-02,resting_hr,48,bpm,\n",
    "wellness.csv": b"date,fatigue,mood,motivation,stress,soreness,sleep_quality\n"
                    b"2024-03-02,3,7,8,2,3,7\n",
}


def by_night(parsed) -> dict[tuple[date, str], float]:
    rows = parsed.frames["device_summaries"].iter_rows(named=True)
    return {(r["night"], r["metric"]): r["value"] for r in rows}


@pytest.mark.parametrize("name", FIXTURES)
def test_only_its_own_sniffer_claims_it(name):
    assert claimants(FIXTURES[name], name) == [hrv4training.FORMAT]


@pytest.mark.parametrize("name", FOREIGN)
def test_generic_csvs_are_not_claimed(name):
    assert claimants(FOREIGN[name], name) == []


def test_first_reading_of_each_date_gives_rmssd_and_resting_hr():
    parsed = hrv4training.parse(EXPORT, "export.csv")
    assert by_night(parsed) == {
        (date(2024, 3, 2), "hrv_rmssd_ms"): 74.3,  # the morning, not the evening retake
        (date(2024, 3, 2), "resting_hr"): 52.0,
        (date(2024, 3, 4), "hrv_rmssd_ms"): 68.5,
        (date(2024, 3, 4), "resting_hr"): 54.0,
    }
    assert parsed.vendor == "hrv4training"
    assert "hrv_sdnn_ms" not in parsed.frames["device_summaries"]["metric"].to_list()


def test_bom_semicolons_and_decimal_commas():
    assert by_night(hrv4training.parse(EXPORT_EU, "hrv4t.csv")) == {
        (date(2024, 3, 2), "hrv_rmssd_ms"): 74.3, (date(2024, 3, 2), "resting_hr"): 52.0}


def test_no_rmssd_column_is_a_precise_error():
    with pytest.raises(ParseError, match="no rMSSD column"):
        hrv4training.parse(b"date,HR\n2024-03-02,52\n", "export.csv")
