"""Finding the input files of an ingest, and whose they are.

A study folder holds one sub-folder per athlete (the folder name is the athlete id) and,
optionally, `athletes.csv` (athlete_id, time_zone, birth_year, sex, hr_max, source_priority) and
`time_zones.csv` (athlete_id, from, time_zone: where an athlete travelled to, and when). With
`--athlete`, every file given belongs to that athlete.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from parsers import vendors
from parsers.base import ParseError
from parsers.paths import (
    REASON_OUTSIDE,
    Found,
    athlete_folder,
    athlete_id_problem,
    given_file,
    inside,
    walk,
)

#: The optional per-study athletes file, at the root of a study folder.
ATHLETES_FILE = "athletes.csv"
ATHLETES_COLUMNS = {
    "athlete_id": pl.String,
    "time_zone": pl.String,
    "birth_year": pl.Int32,
    "sex": pl.String,
    "hr_max": pl.Float64,
    # which vendor's nightly value wins when several give one: `oura>garmin` (first wins);
    # a row `*` gives the study default (warehouse.athlete_config, docs/study-import.md)
    "source_priority": pl.String,
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
    path: Path  # the file to read (a followed link's target); for a refused entry, where found
    athlete_id: str | None  # None: a stray file outside any athlete folder
    #: the path recorded in `files.path`: canonical (`recorded_path`), with --pseudonymise the
    #: athlete folder replaced
    recorded_path: str = ""
    #: the athlete's name in the study (folder name or --athlete) when it differs from the id
    alias: str | None = None
    #: why the entry is refused unread (a link out of bounds, a FIFO, a bad folder name)
    reason: str | None = None


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

    `rename` maps a folder name (or `athlete`) to the athlete id to store (e.g. a pseudonym);
    the recorded path then carries the new id instead of the folder name. Symbolic links and
    special files follow `parsers.paths` (refused entries carry their reason).
    """
    rename = rename or (lambda name: name)
    found: list[InputFile] = []
    for root in paths:
        if not root.is_dir():
            given = given_file(root)
            who = rename(athlete) if athlete is not None else None
            found.append(InputFile(given.read or root, who, recorded_path(root.parent, root.name),
                                   _alias(athlete, who), given.reason))
            continue
        study = root.resolve()
        if athlete is not None:
            who = rename(athlete)
            found += [
                _entry(f, who, recorded_path(root, *f.path.relative_to(root).parts),
                       _alias(athlete, who))
                for f in walk(root, study, study)
            ]
            continue
        found += _study_entries(root, study, rename)
    return _mark_unread(found)


def _mark_unread(found: list[InputFile]) -> list[InputFile]:
    """Files a vendor layout skips unread (`parsers.vendors.unread`: a Google Health export's
    READMEs and legacy twins) carry its reason, so they are recorded, never read."""
    skip = vendors.unread([f.recorded_path for f in found if f.reason is None])
    return [replace(f, reason=skip[f.recorded_path]) if f.recorded_path in skip else f
            for f in found]


def _alias(name: str | None, who: str | None) -> str | None:
    """The athlete's name in the study when the stored id differs (a pseudonym)."""
    return name if name is not None and name != who else None


def _entry(found: Found, who: str | None, recorded: str, alias: str | None = None) -> InputFile:
    return InputFile(found.read or found.path, who, recorded, alias, found.reason)


def _study_entries(root: Path, study: Path, rename: Callable[[str], str]) -> list[InputFile]:
    """One folder per athlete; top-level files other than the study files are strays."""
    found: list[InputFile] = []
    for top in sorted(root.iterdir()):
        if top.name.startswith("."):
            continue
        if not top.is_dir():
            if top.name not in STUDY_FILES:
                stray = given_file(top)
                if stray.read is not None and not inside(stray.read, study):
                    stray = Found(top, None, REASON_OUTSIDE)
                found.append(_entry(stray, None, recorded_path(root, top.name)))
            continue
        who = rename(top.name)
        problem = athlete_id_problem(who)
        fence, why = athlete_folder(top, study)
        if problem or fence is None:
            reason = f"folder name is not usable: {problem}" if problem else why
            found.append(InputFile(top, None if problem else who, recorded_path(root, who),
                                   reason=reason))
            continue
        alias = _alias(top.name, who)
        for f in walk(top, fence, study):
            rel = f.path.relative_to(top).parts
            found.append(_entry(f, who, recorded_path(root, who, *rel), alias))
    return found


def _study_file(root: Path, name: str) -> Path | None:
    """`root/name` when it is a regular file inside the study folder; a link out of it (or a
    FIFO) stops the import rather than being read or silently ignored."""
    path = root / name
    if not root.is_dir() or not (path.exists() or path.is_symlink()):
        return None
    found = given_file(path)
    if found.read is not None and not inside(found.read, root.resolve()):
        found = Found(path, None, REASON_OUTSIDE)
    if found.reason:
        raise ParseError(f"{name}: {found.reason}")
    return path


def athletes_files(paths: list[Path]) -> list[Path]:
    return [f for p in paths if (f := _study_file(p, ATHLETES_FILE)) is not None]


def time_zones_files(paths: list[Path]) -> list[Path]:
    return [f for p in paths if (f := _study_file(p, TIME_ZONES_FILE)) is not None]


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


#: A pseudonym key holds at least this many random bytes (written as hex): a shorter one (a
#: full disk on first use leaves an empty file) lets anyone recompute the pseudonyms.
MIN_KEY_BYTES = 32


class KeyFileError(ValueError):
    """The pseudonym key file is unusable; the message says why and what to do."""


def load_key(path: Path) -> bytes:
    """The pseudonymisation key, created (owner-readable only, atomically) on first use.

    Keep it outside the database and apart from it: whoever has both can re-identify athletes
    by trying names; whoever has only the database cannot. A key of fewer than
    `MIN_KEY_BYTES` bytes is refused, never topped up: a new key means new pseudonyms.
    """
    if not path.exists():
        _create_key(path)
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        key = b""
    if len(key) < MIN_KEY_BYTES:
        raise KeyFileError(
            f"pseudonym key {path} does not hold {MIN_KEY_BYTES} random bytes "
            f"({2 * MIN_KEY_BYTES} hex digits); restore the study's key from its backup, or "
            f"delete the file to start a new key (new pseudonyms, i.e. new participants)"
        )
    return key


def _create_key(path: Path) -> None:
    """Write the key to a temporary file beside `path`, flush it to disk, then link it into
    place: a crash or a full disk leaves no key or a whole one, and two imports starting at
    once agree on the first (a link never replaces an existing file)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".herstel-key-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(MIN_KEY_BYTES) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another import created it first: use theirs
        except OSError:  # a file system without hard links: replace (still atomic)
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
