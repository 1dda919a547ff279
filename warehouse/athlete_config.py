"""An athlete's configuration, checked before it is stored and again before it is used.

A time zone must be one that both polars (the metrics) and DuckDB (the warehouse) accept: a
name only one of them knows (`localtime`, `posixrules`, `Factory`, `posix/...`, `right/...`,
a typo) would be stored and then fail every nightly run. A bad value is refused for that
athlete alone, with a reason and a suggestion; the athlete is listed in `athlete_problems`
and skipped by the nightly run until the problem is gone (docs/study-import.md).
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from functools import lru_cache

import duckdb
import polars as pl

from warehouse.sql import run

#: Plausible profile values (docs/study-import.md, "athletes.csv"). Birth years before 1900
#: or in the future, and a maximum heart rate outside what a human heart reaches, are typos.
BIRTH_YEAR_MIN = 1900
HR_MAX_BPM = (100.0, 250.0)
#: `sex` is read by its first letter, any case (metrics.load, rules profiles).
SEXES = ("f", "m", "female", "male")
#: Where a problem was found (athlete_problems.source). All but `nightly` make the nightly
#: run skip the athlete; `nightly` (the last run failed on it) makes the next run try its
#: whole history again.
SOURCES = ("athletes_file", "time_zones_file", "warehouse", "nightly")


@lru_cache(maxsize=1)
def usable_zones() -> frozenset[str]:
    """IANA names that DuckDB lists and polars can localise to (~600, built once: ~0.3 s)."""
    con = duckdb.connect()
    try:
        names = [r[0] for r in run(con, "SELECT name FROM pg_timezone_names()")]
    finally:
        con.close()
    probe = pl.Series([datetime(2024, 1, 1)])
    usable = set()
    for name in names:
        try:
            probe.dt.replace_time_zone(name)
        except Exception:  # noqa: BLE001, S112 - polars raises ComputeError/other for a bad name
            continue
        usable.add(name)
    return frozenset(usable)


def zone_problem(name: str | None) -> str | None:
    """None when `name` is a usable time zone, else what is wrong, with a suggestion."""
    if name is None or not name.strip():
        return "time zone is empty"
    if name in usable_zones():
        return None
    guess = suggest_zone(name)
    hint = f"; did you mean {guess!r}?" if guess else " (an IANA name such as 'Europe/Amsterdam')"
    return f"unknown time zone {name!r}{hint}"


def suggest_zone(name: str) -> str | None:
    """The usable zone closest to `name`: the same name in other case, or a near spelling."""
    zones = usable_zones()
    by_lower = {z.lower(): z for z in zones}
    bare = name.strip().removeprefix("posix/").removeprefix("right/")
    if bare.lower() in by_lower:
        return by_lower[bare.lower()]
    close = difflib.get_close_matches(bare, sorted(zones), n=1, cutoff=0.6)
    return close[0] if close else None


def profile_problems(
    birth_year: object = None, sex: object = None, hr_max: object = None, year: int | None = None
) -> list[str]:
    """What is wrong with profile values (text from a CSV, or stored values); [] when fine."""
    year = year or datetime.now(UTC).year
    problems = []
    born = _number(birth_year)
    if birth_year not in (None, "") and (born is None or not born.is_integer()):
        problems.append(f"birth_year {birth_year!r} is not a year")
    elif born is not None and not BIRTH_YEAR_MIN <= born <= year:
        problems.append(f"birth_year {int(born)} is not between {BIRTH_YEAR_MIN} and {year}")
    if sex not in (None, "") and str(sex).strip().lower() not in SEXES:
        problems.append(f"sex {sex!r} is not f or m")
    bpm = _number(hr_max)
    lo, hi = HR_MAX_BPM
    if hr_max not in (None, "") and (bpm is None or not lo <= bpm <= hi):
        problems.append(f"hr_max {hr_max!r} is not a heart rate between {lo:g} and {hi:g} bpm")
    return problems


#: `source_priority` separates vendors with this sign: `oura>garmin>fitbit` (first wins).
PRIORITY_SEPARATOR = ">"
#: The athletes.csv row whose `source_priority` is the study default (docs/study-import.md).
STUDY_DEFAULT_ROW = "*"


def parse_priority(
    text: object, vendors: frozenset[str] | set[str]
) -> tuple[str | None, str | None]:
    """`source_priority` as written -> (stored form, problem). Stored form: lower-case vendor
    names joined by `>`, None for an empty value; the problem names each unknown, empty or
    repeated entry, with a suggestion, and then nothing is stored."""
    if text is None or not str(text).strip():
        return None, None
    known = {v.lower() for v in vendors}
    wrong = next((sep for sep in ",;|/" if sep in str(text)), None)
    if wrong:
        fixed = PRIORITY_SEPARATOR.join(e.strip() for e in str(text).split(wrong))
        return None, f"source_priority {text!r} separates vendors with {wrong!r}; write {fixed!r}"
    entries = [e.strip().lower() for e in str(text).split(PRIORITY_SEPARATOR)]
    problems = []
    if any(not e for e in entries):
        problems.append(f"source_priority {text!r} has an empty entry (write e.g. 'oura>garmin')")
    for entry in dict.fromkeys(e for e in entries if e):
        if entries.count(entry) > 1:
            problems.append(f"source_priority names {entry!r} twice")
        if entry not in known:
            close = difflib.get_close_matches(entry, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else " (see docs/study-import.md)"
            problems.append(f"source_priority: unknown vendor {entry!r}{hint}")
    if problems:
        return None, "; ".join(problems)
    return PRIORITY_SEPARATOR.join(entries), None


def study_default(
    rows: pl.DataFrame, vendors: frozenset[str] | set[str]
) -> tuple[str | None, str | None]:
    """The `*` row's `source_priority` of athletes.csv rows: (stored form, problem)."""
    if "source_priority" not in rows.columns:
        return None, None
    star = rows.filter(pl.col("athlete_id") == STUDY_DEFAULT_ROW)
    if star.is_empty():
        return None, None
    priority, problem = parse_priority(star["source_priority"][0], vendors)
    return priority, problem and f"study default ({STUDY_DEFAULT_ROW} row) {problem}"


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def check_athletes(
    rows: pl.DataFrame, tz: str | None = None, vendors: frozenset[str] | set[str] = frozenset()
) -> tuple[list[dict], dict[str, str]]:
    """athletes.csv rows (text) -> (rows to store, typed; {athlete_id: why refused}).

    A row with any bad value is refused whole (nothing of it stored). With `tz` (the --tz
    option, checked before) the file's zones are not used, so not checked. `source_priority`
    entries must be in `vendors`; a row without its own takes the `*` row's (the study
    default), and a bad default is a problem of every athlete that would take it. The `*`
    row itself is not an athlete: only its `source_priority` is read.
    """
    accepted, refused = [], {}
    default, default_problem = study_default(rows, vendors)
    for row in rows.filter(pl.col("athlete_id") != STUDY_DEFAULT_ROW).iter_rows(named=True):
        zone = tz or row.get("time_zone")
        problems = [] if tz or zone is None else [p for p in [zone_problem(zone)] if p]
        problems += profile_problems(row.get("birth_year"), row.get("sex"), row.get("hr_max"))
        priority, why = parse_priority(row.get("source_priority"), vendors)
        if row.get("source_priority") is None:
            priority, why = default, default_problem
        problems += [why] if why else []
        if problems:
            refused[row["athlete_id"]] = "; ".join(problems)
            continue
        born, bpm = _number(row.get("birth_year")), _number(row.get("hr_max"))
        accepted.append(
            {
                "athlete_id": row["athlete_id"],
                "time_zone": zone,
                "birth_year": int(born) if born is not None else None,
                "sex": row.get("sex") or None,
                "hr_max": bpm,
                "source_priority": priority,
            }
        )
    return accepted, refused


def note_problem(con: duckdb.DuckDBPyConnection, athlete_id: str, source: str, problem: str):
    """Record (or refresh) what is wrong with an athlete's configuration from `source`."""
    run(
        con,
        "INSERT OR REPLACE INTO athlete_problems VALUES (?, ?, ?, now())",
        [athlete_id, source, problem],
    )


def clear_problem(
    con: duckdb.DuckDBPyConnection, athlete_id: str, source: str, recompute: bool = True
) -> bool:
    """Forget a problem that is gone. With `recompute`, the next nightly run computes the
    athlete's whole history (the runs that skipped it did not compute its new data); the
    nightly run itself clears without it and computes the athlete in full at once."""
    gone = run(
        con,
        "DELETE FROM athlete_problems WHERE athlete_id = ? AND source = ? RETURNING athlete_id",
        [athlete_id, source],
    )
    if gone and recompute:
        run(con, "UPDATE athletes SET updated_at = now() WHERE athlete_id = ?", [athlete_id])
    return bool(gone)


def stored_problems(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], list[str]]:
    """Check every stored athlete (zone, travel zones, profile) and refresh the `warehouse`
    problems; returns every athlete the nightly run must skip, and why, and the athletes
    whose `warehouse` problem is gone (to compute in full now)."""
    found: dict[str, list[str]] = {}
    for athlete_id, zone, birth_year, sex, hr_max in run(
        con, "SELECT athlete_id, time_zone, birth_year, sex, hr_max FROM athletes"
    ):
        problems = [p for p in [zone_problem(zone)] if p]
        problems += profile_problems(birth_year, sex, hr_max)
        if problems:
            found.setdefault(athlete_id, []).extend(f"athletes: {p}" for p in problems)
    for athlete_id, zone in run(con, "SELECT athlete_id, time_zone FROM athlete_time_zones"):
        problem = zone_problem(zone)
        if problem:
            found.setdefault(athlete_id, []).append(f"athlete_time_zones: {problem}")
    listed = {r[0] for r in run(con, "SELECT athlete_id FROM athlete_problems WHERE source = ?",
                                ["warehouse"])}  # fmt: skip
    cleared = sorted(listed - found.keys())
    for athlete_id in cleared:
        clear_problem(con, athlete_id, "warehouse", recompute=False)
    for athlete_id, problems in found.items():
        why = "; ".join(sorted(set(problems)))
        note_problem(con, athlete_id, "warehouse", f"stored {why} (correct it and ingest again)")
    skipped = dict(run(
        con,
        "SELECT athlete_id, string_agg(problem, '; ' ORDER BY source) FROM athlete_problems "
        "WHERE source <> 'nightly' GROUP BY 1 ORDER BY 1",
    ))  # fmt: skip
    return skipped, cleared


def failed_before(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Athletes the last nightly run failed on: the next run computes their whole history."""
    return [
        r[0]
        for r in run(
            con, "SELECT athlete_id FROM athlete_problems WHERE source = 'nightly' ORDER BY 1"
        )
    ]
