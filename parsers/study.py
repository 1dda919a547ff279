"""Finding the input files of an ingest, and whose they are.

A study folder holds one sub-folder per athlete (the folder name is the athlete id) and,
optionally, `athletes.csv` (athlete_id, time_zone, birth_year, sex, hr_max) and
`time_zones.csv` (athlete_id, from, time_zone: where an athlete travelled to, and when). With
`--athlete`, every file given belongs to that athlete.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from parsers.base import ParseError

#: The optional per-study athletes file, at the root of a study folder.
ATHLETES_FILE = "athletes.csv"
ATHLETES_COLUMNS = {
    "athlete_id": pl.String,
    "time_zone": pl.String,
    "birth_year": pl.Int32,
    "sex": pl.String,
    "hr_max": pl.Float64,
}
#: The optional per-study travel file, at the root of a study folder:
#:   athlete_id,from,time_zone
#:   anna,2025-03-10,Asia/Tokyo                  (a date: from 12:00 local time in the new zone)
#:   anna,2025-03-24T08:30:00+09:00,Europe/Amsterdam   (an instant: exactly then)
TIME_ZONES_FILE = "time_zones.csv"
#: A bare date in time_zones.csv takes effect at this local hour in the new zone: after the
#: morning that ends the night before travel, before the first night at the destination.
ZONE_CHANGE_LOCAL_HOUR = 12
#: Files at a study root that describe the study rather than hold data.
STUDY_FILES = (ATHLETES_FILE, TIME_ZONES_FILE)


@dataclass(frozen=True)
class InputFile:
    path: Path
    athlete_id: str | None  # None: a stray file outside any athlete folder
    #: the path recorded in `files.path`: canonical (`recorded_path`), with --pseudonymise the
    #: athlete folder replaced
    recorded_path: str = ""
    #: the athlete's name in the study (folder name or --athlete) when it differs from the id
    alias: str | None = None


def _visible_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def recorded_path(root: Path, *parts: str) -> str:
    """The one form a path is recorded in: the study root's own name, then the path inside it.

    `herstel ingest study`, `herstel ingest /data/study` and `cd study; herstel ingest .` all
    record `study/p01/x.fit`, so a re-run from anywhere finds the files it recorded. A file
    given on its own counts from its folder: `/data/anna/x.fit` is `anna/x.fit`.
    """
    return "/".join((root.resolve().name or "/", *parts))


def discover(
    paths: list[Path], athlete: str | None = None, rename: Callable[[str], str] | None = None
) -> list[InputFile]:
    """Every file under `paths` with its athlete: `athlete` if given, else its top folder.

    `rename` maps a folder name to the athlete id to store (e.g. a pseudonym); the recorded
    path then carries the new id instead of the folder name.
    """
    rename = rename or (lambda name: name)
    found: list[InputFile] = []
    for root in paths:
        if root.is_file():
            found.append(InputFile(root, athlete, recorded_path(root.parent, root.name)))
            continue
        for path in _visible_files(root):
            rel = path.relative_to(root)
            if athlete is not None:
                found.append(InputFile(path, athlete, recorded_path(root, *rel.parts)))
            elif len(rel.parts) == 1:
                if rel.name not in STUDY_FILES:
                    found.append(InputFile(path, None, recorded_path(root, rel.name)))
            else:
                who = rename(rel.parts[0])
                alias = rel.parts[0] if who != rel.parts[0] else None
                record = recorded_path(root, who, *rel.parts[1:])
                found.append(InputFile(path, who, record, alias))
    return found


def athletes_files(paths: list[Path]) -> list[Path]:
    return [p / ATHLETES_FILE for p in paths if (p / ATHLETES_FILE).is_file()]


def time_zones_files(paths: list[Path]) -> list[Path]:
    return [p / TIME_ZONES_FILE for p in paths if (p / TIME_ZONES_FILE).is_file()]


def read_time_zones(
    path: Path, zone_problem: Callable[[str], str | None] | None = None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The travel file as `athlete_id, valid_from (UTC), time_zone`, and the athletes whose
    rows were refused, with why (naming the line).

    An athlete with any bad row keeps none of its rows (a partial itinerary would put nights
    on wrong dates); the others are read. `zone_problem` says what is wrong with a zone name
    (None: usable); by default any zone Python knows is accepted. A row without an athlete
    cannot be attributed: ParseError.
    """
    rows = _read_study_csv(path, ("athlete_id", "from", "time_zone")).iter_rows(named=True)
    out, refused = [], {}
    for line, row in enumerate(rows, start=2):
        who, when, zone = (row[k] or "" for k in ("athlete_id", "from", "time_zone"))
        if not who:
            raise ParseError(f"{path.name} line {line}: athlete_id is empty")
        problem = zone_problem(zone) if zone_problem else None
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problem = problem or f"unknown time zone {zone!r}"
        if problem:
            refused.setdefault(who, f"{path.name} line {line}: {problem}")
            continue
        try:
            valid_from = _zone_start(when, tz)
        except ValueError:
            refused.setdefault(
                who,
                f"{path.name} line {line}: 'from' must be a date (2025-03-10) or a time with "
                f"its offset (2025-03-10T08:30:00+09:00), not {when!r}",
            )
            continue
        out.append((who, valid_from, zone))
    schema = {
        "athlete_id": pl.String,
        "valid_from": pl.Datetime("us", "UTC"),
        "time_zone": pl.String,
    }
    frame = pl.DataFrame(out, schema=schema, orient="row").unique(
        subset=["athlete_id", "valid_from"], keep="last", maintain_order=True
    )
    return frame.filter(~pl.col("athlete_id").is_in(sorted(refused))), refused


def _zone_start(text: str, tz: ZoneInfo) -> datetime:
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day, time(ZONE_CHANGE_LOCAL_HOUR), tz).astimezone(UTC)
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError("no offset")
    return instant.astimezone(UTC)


def _read_study_csv(path: Path, required: tuple[str, ...]) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as exc:  # polars raises several error types for bad CSV
        raise ParseError(f"{path.name}: not a readable CSV ({exc})") from exc
    frame = frame.rename({c: c.strip().lstrip("\ufeff").lower() for c in frame.columns})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ParseError(f"{path.name}: needs a header with {', '.join(required)}")
    return frame.select(pl.col(c).str.strip_chars() for c in required)


def read_athletes(path: Path) -> pl.DataFrame:
    """The athletes file as text columns of `athletes` (missing ones null), values as
    written: checking them is the caller's (a typo must be refused, not read as null)."""
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as exc:  # polars raises several error types for bad CSV
        raise ParseError(f"{path.name}: not a readable CSV ({exc})") from exc
    frame = frame.rename({c: c.strip().lstrip("\ufeff").lower() for c in frame.columns})
    if "athlete_id" not in frame.columns:
        raise ParseError(f"{path.name}: needs a header with athlete_id (and time_zone, ...)")
    return frame.select(
        pl.col(c).str.strip_chars().replace("", None)
        if c in frame.columns
        else pl.lit(None, pl.String).alias(c)
        for c in ATHLETES_COLUMNS
    ).filter(pl.col("athlete_id").is_not_null())


def content_id(data: bytes) -> str:
    """A file's identity: the sha256 of its content, so a renamed copy is still the same file."""
    return hashlib.sha256(data).hexdigest()


def pseudonym(name: str, key: bytes) -> str:
    """A stable id for `name` that cannot be reversed without `key` (HMAC-SHA256, 64 bits)."""
    return "p" + hmac.new(key, name.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def load_key(path: Path) -> bytes:
    """The pseudonymisation key, created (owner-readable only) on first use.

    Keep it outside the database and apart from it: whoever has both can re-identify athletes
    by trying names; whoever has only the database cannot.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
