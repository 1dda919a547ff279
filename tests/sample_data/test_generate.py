"""The sample-data generator: determinism, real formats, planted values, consistent flags.

The checks here decode the written files with the reference decoder (garmin_fit_sdk,
gpxpy) and recompute the markers and flags with small independent helpers: they never use
herstel's parsers, metrics or rules, which the sample set exists to test.
"""

from __future__ import annotations

import csv
import math
import statistics
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import gpxpy
import pytest
from garmin_fit_sdk import Decoder, Encoder, Stream

from sample_data import STUDY_DIR
from sample_data import fit_files as ff
from sample_data.generate import generate, plans_for, wellness_files
from sample_data.signals import hrv_five_minute_values, rr_intervals

SAMPLE_DIR = STUDY_DIR.parent
FIT_EPOCH = 631_065_600
ASLEEP = {"light", "deep", "rem"}
START = date(2026, 9, 1)

def _days(prefix: str, days: range | tuple) -> list[str]:
    return [f"{prefix}-{d:02d}" for d in days]


#: The complete flag set of the committed study, as README.md states it.
COMMITTED_FLAGS = sorted(
    [("anna", f"2026-09-{d}", "no_rest_day", "warning") for d in (21, 22, 23, 24)]
    + [
        ("anna", f"2026-10-{d:02d}", "sleep_out_of_range", "info")
        for d in (7, 8, 9, 10, 15, 16, 18)
    ]
    + [("anna", f"2026-10-{d:02d}", "sleep_short_streak", "warning") for d in (9, 10)]
    + [("bram", f"2026-09-{d}", "sleep_out_of_range", "info") for d in (24, 25)]
    + [("bram", d, "hrv_low", "warning") for d in ("2026-09-30", "2026-10-01", "2026-10-02")]
    + [("bram", d, "hrv_low", "watch") for d in ("2026-10-03", "2026-10-04")]
    + [("chiyo", d, "rhr_elevated", "watch") for d in ("2026-09-23", "2026-09-27")]
    + [("chiyo", f"2026-10-{d}", "rhr_elevated", "warning") for d in (18, 19, 20)]
    + [
        ("chiyo", d, "sleep_out_of_range", "info")
        for d in ("2026-10-31", "2026-11-01", "2026-11-02")
    ]
    # the end of bram's heavy block: three short nights (new in the 14-rule sample set)
    + [("bram", d, "sleep_out_of_range", "info") for d in _days("2026-10", (16, 17, 18))]
    + [("bram", "2026-10-18", "sleep_short_streak", "warning")]
    # the rules added with the rest of the guidance
    + [("bram", d, "hrv_below_baseline", "watch")
       for d in ["2026-09-30", *_days("2026-10", range(1, 9))]]
    + [("chiyo", d, "hrv_below_baseline", "watch")
       for d in [*_days("2026-10", range(27, 32)), *_days("2026-11", range(1, 5))]]
    + [("bram", "2026-10-18", "heavy_weeks_streak", "warning"),
       ("bram", "2026-10-18", "multi_signal", "warning")]
    # the increase is flagged once (issue 13): not again on her usual session of 10-14
    + [("anna", "2026-10-09", "strength_up_unstable_sleep", "watch")]
    + [("anna", "2026-10-27", "fatigue_persists", "warning")]
    + [("anna", d, "wellness_decline", "watch") for d in _days("2026-10", (10, 11, 12, 13, 15))]
    + [("bram", d, "wellness_decline", "watch") for d in _days("2026-10", range(2, 8))]
    + [("chiyo", d, "wellness_decline", "watch") for d in _days("2026-10", range(9, 27))]
    + [("anna", "2026-10-22", "ferritin_low", "watch"),
       ("anna", "2026-10-22", "cortisol_change", "watch")]
    + [("chiyo", d, "sedentary_long", "info") for d in ("2026-09-16", "2026-09-17")]
)  # fmt: skip
#: Rules `recompute_flags` re-derives from the committed files alone.
RECOMPUTED = {"rhr_elevated", "sleep_short_streak", "sleep_out_of_range", "hrv_low",
              "no_rest_day", "hrv_below_baseline", "fatigue_persists", "wellness_decline",
              "ferritin_low", "cortisol_change"}  # fmt: skip


# --------------------------------------------------------------------------- helpers


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def assert_same_tree(a: Path, b: Path) -> None:
    ta, tb = tree(a), tree(b)
    assert sorted(ta) == sorted(tb)
    differ = [name for name in ta if ta[name] != tb[name]]
    assert not differ, f"{len(differ)} files differ, e.g. {differ[:5]}"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def decode(path: Path) -> tuple[dict, list[tuple[int, dict]]]:
    """Messages by type and in file order; date_time fields as raw FIT seconds."""
    data = path.read_bytes()
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    assert decoder.is_fit() and decoder.check_integrity(), f"{path.name}: bad header or CRC"
    order: list[tuple[int, dict]] = []
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    msgs, errors = decoder.read(
        convert_datetimes_to_dates=False, mesg_listener=lambda n, m: order.append((n, m))
    )
    assert errors == [], f"{path.name}: {errors}"
    return msgs, order


def heart_rate(order: list[tuple[int, dict]]) -> list[tuple[int, int]]:
    """(Unix s, bpm) of monitoring messages, timestamp_16 resolved the FIT SDK way."""
    last = None
    out = []
    for num, m in order:
        if isinstance(m.get("timestamp"), int):
            last = m["timestamp"]
        if num == 55 and m.get("heart_rate") is not None:
            ts = m.get("timestamp")
            if ts is None:
                ts = last + ((m["timestamp_16"] - last) & 0xFFFF)
            out.append((ts + FIT_EPOCH, m["heart_rate"]))
    return out


def main_period(msgs: dict, tz: ZoneInfo, night: date) -> tuple[int, int, int]:
    """(start, end, asleep s) of the longest sleep period ending on local date `night`.

    Stage intervals run from one sleep_level message to the next; asleep intervals separated
    by less than 60 minutes awake join (docs/metrics.md).
    """
    levels = [(m["timestamp"] + FIT_EPOCH, m["sleep_level"]) for m in msgs["sleep_level_mesgs"]]
    periods: list[list[int]] = []
    for (start, stage), (end, _) in zip(levels, levels[1:], strict=False):
        if stage not in ASLEEP:
            continue
        if periods and start - periods[-1][1] < 3600:
            periods[-1][1] = end
            periods[-1][2] += end - start
        else:
            periods.append([start, end, end - start])
    ending = [p for p in periods if datetime.fromtimestamp(p[1], tz).date() == night]
    start, end, asleep = max(ending, key=lambda p: p[2])
    return start, end, asleep


def lowest_30min_mean(samples: list[tuple[int, int]]) -> float:
    means = [
        sum(b for _, b in samples[i - 29 : i + 1]) / 30
        for i in range(29, len(samples))
        if samples[i][0] - samples[i - 29][0] == 29 * 60
    ]
    return min(means)


def hrv_from_rr(msgs: dict, start: int, end: int) -> float:
    """Mean of 5-minute-window RMSSDs of the beats inside [start, end]."""
    windows: dict[int, list[int]] = {}
    for m in msgs["beat_intervals_mesgs"]:
        t = (m["timestamp"] + FIT_EPOCH) * 1000 + m["timestamp_ms"]
        for rr in m["time"] if isinstance(m["time"], list) else [m["time"]]:
            t += rr
            if start * 1000 <= t <= end * 1000:
                windows.setdefault((t - start * 1000) // 300_000, []).append(rr)
    rmssd = []
    for rrs in windows.values():
        diffs = [(b - a) ** 2 for a, b in zip(rrs, rrs[1:], strict=False)]
        if diffs:
            rmssd.append((sum(diffs) / len(diffs)) ** 0.5)
    return sum(rmssd) / len(rmssd)


def night_markers(path: Path, tz: ZoneInfo, night: date) -> tuple[float, float, float]:
    """sleep_hours, resting_hr and hrv_ms of one wellness file, from the decoded messages."""
    msgs, order = decode(path)
    start, end, asleep = main_period(msgs, tz, night)
    hr = [(t, b) for t, b in heart_rate(order) if start <= t < end]
    if "hrv_value_mesgs" in msgs:
        values = [
            m["value"] for m in msgs["hrv_value_mesgs"] if start <= m["timestamp"] + FIT_EPOCH < end
        ]
        hrv = sum(values) / len(values)
    else:
        hrv = hrv_from_rr(msgs, start, end)
    return asleep / 3600, lowest_30min_mean(hr), hrv


def time_zones() -> dict[str, ZoneInfo]:
    return {r["athlete_id"]: ZoneInfo(r["time_zone"]) for r in read_csv(STUDY_DIR / "athletes.csv")}


def wellness_path(athlete: str, night: date | str) -> Path:
    return STUDY_DIR / athlete / "wellness" / f"{night}_WELLNESS.fit"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh generation with the defaults (what the committed set must be)."""
    root = tmp_path_factory.mktemp("fresh")
    generate(root / "study", workers=2)  # bytes do not depend on workers (tested below)
    return root


@pytest.fixture(scope="module")
def expected_nights() -> dict[tuple[str, date], dict[str, str]]:
    return {
        (r["athlete_id"], date.fromisoformat(r["night"])): r
        for r in read_csv(SAMPLE_DIR / "expected_nights.csv")
    }


# --------------------------------------------------------------------------- determinism


def test_committed_set_equals_fresh_generation(fresh: Path) -> None:
    assert_same_tree(fresh / "study", STUDY_DIR)
    for name in ("expected_nights.csv", "expected_flags.csv"):
        assert (fresh / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name


def test_two_runs_write_identical_bytes(tmp_path: Path) -> None:
    """Same arguments, same bytes, also when athletes are written by parallel workers."""
    generate(tmp_path / "a" / "study", athletes=4, days=12, seed=5, workers=1)
    generate(tmp_path / "b" / "study", athletes=4, days=12, seed=5, workers=2)
    assert_same_tree(tmp_path / "a", tmp_path / "b")


def test_cached_encoder_writes_the_stock_encoders_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plans_for(2, 3, 1, START)[1]  # bram: beat intervals, chunks of varying length
    cached = wellness_files(plan, rr=True)
    monkeypatch.setattr(ff, "CachedEncoder", Encoder)
    assert wellness_files(plan, rr=True) == cached


def test_committed_set_is_small() -> None:
    size = sum(len(b) for b in tree(STUDY_DIR).values())
    assert size < 8.5e6


# --------------------------------------------------------------------------- real formats


def test_fit_files_decode_and_look_like_garmin_files() -> None:
    tz = time_zones()
    picks = [wellness_path(a, d) for a in tz for d in ("2026-09-01", "2026-10-25", "2026-11-09")]
    picks += [
        sorted((STUDY_DIR / a / "activities").glob("*.fit"))[i]
        for a in ("anna", "chiyo")
        for i in (0, 2)
    ]
    for path in picks:
        msgs, order = decode(path)
        file_id = msgs["file_id_mesgs"][0]
        assert order[0][0] == 0 and file_id["manufacturer"] == "garmin"
        if path.parent.name == "wellness":
            assert file_id["type"] == "monitoring_b"
            assert {
                "monitoring_info_mesgs",
                "monitoring_mesgs",
                "sleep_level_mesgs",
                "monitoring_hr_data_mesgs",
            } <= msgs.keys()
            assert msgs["sleep_level_mesgs"][-1]["sleep_level"] in ("awake",)
        else:
            assert file_id["type"] == "activity"
            session = msgs["session_mesgs"][0]
            assert {
                "sport",
                "sub_sport",
                "start_time",
                "total_elapsed_time",
                "total_timer_time",
                "avg_heart_rate",
                "max_heart_rate",
            } <= session.keys()
            assert len(msgs["record_mesgs"]) > 100 and msgs["lap_mesgs"]


def test_monitoring_uses_timestamp_16_in_time_order() -> None:
    msgs, order = decode(wellness_path("anna", "2026-09-15"))
    mon = msgs["monitoring_mesgs"]
    assert sum("timestamp_16" in m for m in mon) > 0.9 * len(mon)
    times = [t for t, _ in heart_rate(order)]
    assert times == sorted(set(times))
    every = [m["timestamp"] for _, m in order if isinstance(m.get("timestamp"), int)]
    assert every[3:] == sorted(every[3:])  # after file_id, device_info, monitoring_info


def test_dst_night_offsets_and_real_duration(expected_nights: dict) -> None:
    """2026-10-25 (Amsterdam, clocks back): +2 h at bedtime, +1 h the next evening."""
    ams = ZoneInfo("Europe/Amsterdam")
    before, _ = decode(wellness_path("anna", "2026-10-25"))
    after, _ = decode(wellness_path("anna", "2026-10-26"))
    for msgs, hours in ((before, 2), (after, 1)):
        info = msgs["monitoring_info_mesgs"][0]
        assert info["local_timestamp"] - info["timestamp"] == hours * 3600
    start, end, asleep = main_period(before, ams, date(2026, 10, 25))
    wall = datetime.fromtimestamp(end, ams).replace(tzinfo=None) - datetime.fromtimestamp(
        start, ams
    ).replace(tzinfo=None)
    assert wall == timedelta(seconds=end - start) - timedelta(hours=1)
    assert asleep / 3600 == float(expected_nights["anna", date(2026, 10, 25)]["sleep_hours"])


def test_tokyo_nights_end_on_the_previous_utc_date() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    for day in ("2026-09-01", "2026-10-19"):
        msgs, _ = decode(wellness_path("chiyo", day))
        wake = msgs["sleep_level_mesgs"][-1]["timestamp"] + FIT_EPOCH
        assert datetime.fromtimestamp(wake, tokyo).date().isoformat() == day
        assert datetime.fromtimestamp(wake, UTC).date() == date.fromisoformat(day) - timedelta(1)


def test_gpx_files_carry_heart_rate_and_type() -> None:
    files = sorted((STUDY_DIR / "bram" / "activities").glob("*.gpx"))
    assert files and not list((STUDY_DIR / "bram" / "activities").glob("*.fit"))
    gpx = gpxpy.parse(files[0].read_text(encoding="utf-8"))
    assert gpx.version == "1.1"
    track = gpx.tracks[0]
    assert track.type in ("running", "cycling")
    point = track.segments[0].points[0]
    hr = point.extensions[0].find("{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}hr")
    assert hr is not None and 80 < int(hr.text) < 200


def test_csv_files() -> None:
    athletes = read_csv(STUDY_DIR / "athletes.csv")
    assert [r["athlete_id"] for r in athletes] == ["anna", "bram", "chiyo"]
    assert list(athletes[0]) == ["athlete_id", "time_zone", "birth_year", "sex", "hr_max"]
    for a in ("anna", "bram", "chiyo"):
        rows = read_csv(STUDY_DIR / a / "questionnaire.csv")
        assert len(rows) == 70 and rows[0]["day"] == "2026-09-01"
        scores = [int(v) for r in rows for k, v in r.items() if k != "day"]
        assert min(scores) >= 1 and max(scores) <= 10


# --------------------------------------------------------------------------- planted values


def test_every_planted_night_decodes_to_its_expected_values(expected_nights: dict) -> None:
    """Episode nights, the DST night and one normal night per athlete, from the files."""
    tz = time_zones()
    picks = [
        (p.spec.athlete_id, n.night)
        for p in plans_for(3, 70, 1, START)
        for n in p.nights
        if n.episode or n.night in (date(2026, 10, 25), date(2026, 9, 5))
    ]
    assert len(picks) > 25
    for athlete, night in picks:
        exp = expected_nights[athlete, night]
        got = night_markers(wellness_path(athlete, night), tz[athlete], night)
        want = (float(exp["sleep_hours"]), float(exp["resting_hr"]), float(exp["hrv_ms"]))
        assert got == want, (athlete, night)


def test_specific_episodes_in_the_files(expected_nights: dict) -> None:
    tz = time_zones()
    # anna's shortest night: the sleep_level runs add up to 5.25 h
    msgs, _ = decode(wellness_path("anna", "2026-10-08"))
    lv = [(m["timestamp"], m["sleep_level"]) for m in msgs["sleep_level_mesgs"]]
    asleep = sum(b[0] - a[0] for a, b in zip(lv, lv[1:], strict=False) if a[1] in ASLEEP)
    assert asleep == 5.25 * 3600
    # chiyo's 2nd elevated night: a plateau of >= 40 one-minute samples at 59 bpm, nothing lower
    msgs, order = decode(wellness_path("chiyo", "2026-10-19"))
    start, end, _ = main_period(msgs, tz["chiyo"], date(2026, 10, 19))
    night_hr = [b for t, b in heart_rate(order) if start <= t < end]
    assert min(night_hr) == 59 and night_hr.count(59) >= 40
    # bram's broken night: two periods end on 09-18, the longer one counts
    msgs, _ = decode(wellness_path("bram", "2026-09-18"))
    start, end, asleep = main_period(msgs, tz["bram"], date(2026, 9, 18))
    assert asleep == 7.5 * 3600
    assert datetime.fromtimestamp(start, tz["bram"]).hour == 2
    # anna's nap day: the nap is a second period ending on 09-12, the night is the main one
    msgs, _ = decode(wellness_path("anna", "2026-09-12"))
    assert [m["sleep_level"] for m in msgs["sleep_level_mesgs"]][-4:] == [
        "light",
        "deep",
        "light",
        "awake",
    ]
    assert main_period(msgs, tz["anna"], date(2026, 9, 12))[2] == 8.5 * 3600
    # anna's missing night: no file and no expected row
    assert not wellness_path("anna", "2026-10-17").exists()
    assert ("anna", date(2026, 10, 17)) not in expected_nights
    # the device's own resting HR is deliberately 1 bpm off the sleep-HR value
    msgs, _ = decode(wellness_path("chiyo", "2026-10-19"))
    assert msgs["monitoring_hr_data_mesgs"][0]["current_day_resting_heart_rate"] == 60


def test_hrv_series_have_exactly_the_planned_rmssd() -> None:
    """Arithmetic of every night of a study, without files: 371 means and RR RMSSDs."""
    for plan in plans_for(3, 70, 1, START):
        for night in plan.nights:
            values = [v for _, v in hrv_five_minute_values(night)]
            assert sum(values) / len(values) == night.hrv_ms
            if plan.spec.hrv_source != "rr":
                continue
            rr = [x for _, chunk in rr_intervals(night, 30) for x in chunk]
            diffs = [b - a for a, b in zip(rr, rr[1:], strict=False)]
            assert {abs(d) for d in diffs} == {night.hrv_ms}
            assert max(abs(d) / a for a, d in zip(rr, diffs, strict=False)) < 0.2


# --------------------------------------------------------------------------- expected flags


def recompute_flags(
    nights: list[dict[str, str]], active_days: dict[str, set[date]], first_day: date, last_day: date
) -> list[tuple[str, str, str, str]]:
    """The five rules from expected_nights.csv and the activity days, independently."""
    out = []
    by_athlete: dict[str, dict[date, dict[str, str]]] = {}
    for r in nights:
        by_athlete.setdefault(r["athlete_id"], {})[date.fromisoformat(r["night"])] = r
    for athlete, rows in by_athlete.items():
        for night, r in rows.items():
            h, rhr, hrv = float(r["sleep_hours"]), float(r["resting_hr"]), float(r["hrv_ms"])
            prev = [
                float(rows[d]["resting_hr"])
                for k in range(1, 29)
                if (d := night - timedelta(days=k)) in rows
            ]
            if len(prev) >= 7:
                base = sum(prev) / len(prev)
                if rhr > base * 1.08 or rhr > base + 8:
                    out.append((athlete, night, "rhr_elevated", "warning"))
                elif rhr > base * 1.05 or rhr < base * 0.90:
                    out.append((athlete, night, "rhr_elevated", "watch"))
            if not 7 <= h <= 9:
                out.append((athlete, night, "sleep_out_of_range", "info"))
            if all(
                (d := night - timedelta(days=k)) in rows and float(rows[d]["sleep_hours"]) < 6
                for k in range(3)
            ):
                out.append((athlete, night, "sleep_short_streak", "warning"))
            if hrv < 50:
                out.append((athlete, night, "hrv_low", "warning"))
            elif hrv <= 70:
                out.append((athlete, night, "hrv_low", "watch"))
    for athlete, days in active_days.items():
        day = first_day + timedelta(days=6)
        while day <= last_day:
            if all(day - timedelta(days=k) in days for k in range(7)):
                out.append((athlete, day, "no_rest_day", "warning"))
            day += timedelta(days=1)
    return sorted((a, d.isoformat(), rule, sev) for a, d, rule, sev in out)


def hrv_own_range_flags(nights: list[dict[str, str]]) -> list[tuple]:
    """hrv_below_baseline: 7-night ln mean (>= 5) under 60-night ln mean - 0.5 SD (>= 28)."""
    out = []
    by: dict[str, dict[date, float]] = {}
    for r in nights:
        by.setdefault(r["athlete_id"], {})[date.fromisoformat(r["night"])] = math.log(
            float(r["hrv_ms"])
        )
    for athlete, ln in by.items():
        for night in ln:
            recent = [ln[d] for k in range(7) if (d := night - timedelta(days=k)) in ln]
            base = [ln[d] for k in range(1, 61) if (d := night - timedelta(days=k)) in ln]
            if len(recent) >= 5 and len(base) >= 28:
                m, sd = statistics.mean(base), statistics.stdev(base)
                if statistics.mean(recent) < m - 0.5 * sd:
                    out.append((athlete, night, "hrv_below_baseline", "watch"))
    return out


def questionnaire_flags(athlete: str, active: set[date]) -> list[tuple]:
    """fatigue_persists and wellness_decline from the athlete's questionnaire.csv."""
    rows = {date.fromisoformat(r["day"]): r
            for r in read_csv(STUDY_DIR / athlete / "questionnaire.csv")}  # fmt: skip
    out = []
    for day, r in rows.items():
        before = [day - timedelta(days=1), day - timedelta(days=2)]
        if int(r["fatigue"]) >= 7 and all(d in rows and d not in active for d in before):
            out.append((athlete, day, "fatigue_persists", "warning"))
        for score in ("motivation", "mood"):
            recent = [int(rows[d][score]) for k in range(7)
                      if (d := day - timedelta(days=k)) in rows]  # fmt: skip
            base = [int(rows[d][score]) for k in range(7, 35)
                    if (d := day - timedelta(days=k)) in rows]  # fmt: skip
            if len(recent) >= 4 and len(base) >= 14:
                limit = statistics.mean(base) - max(statistics.stdev(base), 0.5)
                if statistics.mean(recent) < limit:
                    out.append((athlete, day, "wellness_decline", "watch"))
                    break
    return out


def lab_flags(athlete: str) -> list[tuple]:
    """ferritin_low (< 30 ug/L) and cortisol_change (> 50 % from the last <= 3 earlier)."""
    path = STUDY_DIR / athlete / "lab" / "results.csv"
    if not path.exists():
        return []
    to_std = {"ng/ml": 1.0, "ug/l": 1.0, "µg/l": 1.0, "nmol/l": 1.0, "µg/dl": 27.59}
    out, cortisol = [], []
    for r in read_csv(path):
        day, value = date.fromisoformat(r["day"]), float(r["value"]) * to_std[r["unit"].lower()]
        if "ferritin" in r["marker"].lower():
            if value < 30:
                out.append((athlete, day, "ferritin_low", "watch"))
        elif r["marker"] == "cortisol":
            earlier = cortisol[-3:]
            if len(earlier) >= 2 and abs(value / statistics.mean(earlier) - 1) > 0.5:
                out.append((athlete, day, "cortisol_change", "watch"))
            cortisol.append(value)
    return out


def activity_days(athlete: str, tz: ZoneInfo) -> set[date]:
    """Local dates with a session, from the file names (local start, checked below)."""
    folder = STUDY_DIR / athlete / "activities"
    return {date.fromisoformat(p.name[:10]) for p in folder.iterdir()}


def test_activity_file_names_are_their_local_start() -> None:
    tz = time_zones()
    for athlete in ("anna", "chiyo"):
        for path in sorted((STUDY_DIR / athlete / "activities").glob("*.fit"))[:4]:
            msgs, _ = decode(path)
            start = msgs["session_mesgs"][0]["start_time"] + FIT_EPOCH
            assert (
                datetime.fromtimestamp(start, tz[athlete]).strftime("%Y-%m-%d-%H-%M-%S")
                == path.stem
            )
    for path in sorted((STUDY_DIR / "bram" / "activities").glob("*.gpx"))[:4]:
        first = gpxpy.parse(path.read_text(encoding="utf-8")).tracks[0].segments[0].points[0]
        assert first.time.astimezone(tz["bram"]).strftime("%Y-%m-%d-%H-%M-%S") == path.stem


def test_expected_flags_follow_from_expected_nights_and_activities() -> None:
    tz = time_zones()
    nights = read_csv(SAMPLE_DIR / "expected_nights.csv")
    days = {a: activity_days(a, tz[a]) for a in tz}
    more = hrv_own_range_flags(nights)
    for a in tz:
        more += questionnaire_flags(a, days[a]) + lab_flags(a)
    want = sorted(
        recompute_flags(nights, days, START, date(2026, 11, 9))
        + [(a, d.isoformat(), rule, sev) for a, d, rule, sev in more]
    )
    got = sorted(
        tuple(r.values())
        for r in read_csv(SAMPLE_DIR / "expected_flags.csv")
        if r["rule_id"] in RECOMPUTED
    )
    assert got == want


def test_multi_signal_follows_from_the_other_warnings() -> None:
    rows = read_csv(SAMPLE_DIR / "expected_flags.csv")
    warnings = [r for r in rows if r["severity"] == "warning" and r["rule_id"] != "multi_signal"]
    want = set()
    for r in warnings:
        day = date.fromisoformat(r["day"])
        rules = {w["rule_id"] for w in warnings if w["athlete_id"] == r["athlete_id"]
                 and 0 <= (day - date.fromisoformat(w["day"])).days <= 2}  # fmt: skip
        if len(rules) >= 2:
            want.add((r["athlete_id"], r["day"]))
    got = {(r["athlete_id"], r["day"]) for r in rows if r["rule_id"] == "multi_signal"}
    assert got == want == {("bram", "2026-10-18")}


def test_committed_flags_are_the_documented_episodes() -> None:
    got = sorted(tuple(r.values()) for r in read_csv(SAMPLE_DIR / "expected_flags.csv"))
    assert got == COMMITTED_FLAGS


def test_expected_nights_cover_every_wellness_file() -> None:
    rows = read_csv(SAMPLE_DIR / "expected_nights.csv")
    files = {
        (p.parent.parent.name, p.name[:10]) for p in STUDY_DIR.glob("*/wellness/*_WELLNESS.fit")
    }
    assert {(r["athlete_id"], r["night"]) for r in rows} == files
    assert len(rows) == 3 * 70 - 1  # anna's missing night
    normal = [r for r in rows if 7 <= float(r["sleep_hours"]) <= 9]
    assert all(float(r["hrv_ms"]) > 70 for r in normal if r["athlete_id"] != "bram")
