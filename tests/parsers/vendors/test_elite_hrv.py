"""Elite HRV readings CSV: morning readiness readings only; `HRV` is a score, not ms."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.base import ParseError
from parsers.vendors import claimants, elite_hrv

HEADER = ("Date Time Start,Date Time End,Reading Type,Position,Tags,Notes,HRV,"
          "Morning Readiness,HR,HRV CV,ln(RMSSD),RMSSD,NN50,PNN50,SDNN,Low Frequency Power,"
          "High Frequency Power,LF/HF Ratio,Total Power")
EXPORT = (
    "\ufeff" + HEADER + "\n"
    "2024-03-02 06:58:10,2024-03-02 07:00:40,Morning Readiness,Lying Down,,,68,7,51,4.1,4.41,"
    "82.3,40,35.1,70.2,900,1500,0.6,2600\n"
    "2024-03-02 12:00:00,2024-03-02 12:05:00,Open Reading,Sitting,,,55,,70,,3.6,36.6,5,4,"
    "30,,,,\n"
    ",,,,,,,,,,,,,,,,,,\n"
    "2024-03-03 07:10:00,2024-03-03 07:12:30,Morning Readiness,Lying Down,\"sick, tired\",,60,"
    "5,58,5.0,4.0,54.6,20,18.0,50.0,700,900,0.8,1800\n"
).encode()

# European locale: `;` and decimal commas, a different date column label
EXPORT_EU = (
    b"Date Time;Reading Type;HR;RMSSD;ln(RMSSD);HRV\n"
    b"02.03.2024 06:58;Morning Readiness;51;82,3;4,41;68\n"
)


def by_night(parsed) -> dict[tuple[date, str], float]:
    rows = parsed.frames["device_summaries"].iter_rows(named=True)
    return {(r["night"], r["metric"]): r["value"] for r in rows}


@pytest.mark.parametrize("name, data", [("Elite HRV readings.csv", EXPORT),
                                        ("elite_eu.csv", EXPORT_EU)])
def test_only_its_own_sniffer_claims_it(name, data):
    assert claimants(data, name) == [elite_hrv.FORMAT]


def test_morning_readiness_readings_give_rmssd_not_the_score():
    assert by_night(elite_hrv.parse(EXPORT, "readings.csv")) == {
        (date(2024, 3, 2), "hrv_rmssd_ms"): 82.3,  # not HRV=68 (score), not the open reading
        (date(2024, 3, 2), "resting_hr"): 51.0,
        (date(2024, 3, 3), "hrv_rmssd_ms"): 54.6,
        (date(2024, 3, 3), "resting_hr"): 58.0,
    }


def test_european_dates_and_decimal_commas():
    assert by_night(elite_hrv.parse(EXPORT_EU, "readings.csv")) == {
        (date(2024, 3, 2), "hrv_rmssd_ms"): 82.3, (date(2024, 3, 2), "resting_hr"): 51.0}


def test_us_style_dates_are_reported_not_guessed():
    data = (HEADER + "\n3/2/2024 6:58 AM,,Morning Readiness,,,,68,7,51,,4.41,82.3\n").encode()
    with pytest.raises(ParseError, match=r"'3/2/2024 6:58 AM'"):
        elite_hrv.parse(data, "readings.csv")


# The 2017 export layout: `Member` first, `Type` for the reading type, `lnRmssd`; UTF-8 with
# a BOM and CRLF line ends (quarantined as "unknown binary content" before it was read).
EXPORT_2017 = (
    "\ufeffMember,Date,Datetime,Type,HRV,lnRmssd,Rmssd,NN50,PNN50,SDNN,HR\r\n"
    "p07,2017-05-04,2017-05-04 06:58:10,Morning Readiness,68,4.41,82.3,40,35.1,70.2,51\r\n"
    "p07,2017-05-04,2017-05-04 18:30:00,Open Reading,55,3.6,36.6,5,4,30,70\r\n"
    "p07,2017-05-05,2017-05-05 07:05:00,Morning Readiness,60,4.0,54.6,20,18.0,50.0,58\r\n"
).encode()


def test_2017_layout_with_bom_and_crlf_is_read():
    assert claimants(EXPORT_2017, "EliteHRV_export.csv") == ["elite_hrv_csv"]
    got = by_night(elite_hrv.parse(EXPORT_2017, "EliteHRV_export.csv"))
    assert got == {(date(2017, 5, 4), "hrv_rmssd_ms"): 82.3, (date(2017, 5, 4), "resting_hr"): 51,
                   (date(2017, 5, 5), "hrv_rmssd_ms"): 54.6, (date(2017, 5, 5), "resting_hr"): 58}


def test_unrecognised_text_with_a_bom_is_described_as_text():
    from parsers.registry import parse_file

    with pytest.raises(ParseError, match="text whose first line has columns"):
        parse_file("\ufeffalpha,beta\r\n1,2\r\n".encode(), "mystery.csv")
