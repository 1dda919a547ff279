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
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

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
    #: the path recorded in `files.path` (with --pseudonymise the athlete folder is replaced)
    recorded_path: str = ""
    #: why the entry is refused unread (a link out of bounds, a FIFO, a bad folder name)
    reason: str | None = None


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
            found.append(InputFile(given.read or root, who, str(root), given.reason))
            continue
        study = root.resolve()
        if athlete is not None:
            who = rename(athlete)
            found += [_entry(f, who, str(f.path)) for f in walk(root, study, study)]
            continue
        found += _study_entries(root, study, rename)
    return found


def _entry(found: Found, who: str | None, recorded: str) -> InputFile:
    return InputFile(found.read or found.path, who, recorded, found.reason)


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
                found.append(_entry(stray, None, str(top)))
            continue
        who = rename(top.name)
        problem = athlete_id_problem(who)
        fence, why = athlete_folder(top, study)
        if problem or fence is None:
            reason = f"folder name is not usable: {problem}" if problem else why
            found.append(InputFile(top, None if problem else who, str(root / who), reason))
            continue
        for f in walk(top, fence, study):
            found.append(_entry(f, who, str(root.joinpath(who, *f.path.relative_to(top).parts))))
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


def read_time_zones(path: Path) -> pl.DataFrame:
    """The travel file as `athlete_id, valid_from (UTC), time_zone`; any bad row is an error
    naming its line, because a wrong zone would silently move nights to other dates."""
    rows = _read_study_csv(path, ("athlete_id", "from", "time_zone")).iter_rows(named=True)
    out = []
    for line, row in enumerate(rows, start=2):
        who, when, zone = (row[k] or "" for k in ("athlete_id", "from", "time_zone"))
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ParseError(f"{path.name} line {line}: unknown time zone {zone!r}") from exc
        try:
            valid_from = _zone_start(when, tz)
        except ValueError as exc:
            raise ParseError(
                f"{path.name} line {line}: 'from' must be a date (2025-03-10) or a time with "
                f"its offset (2025-03-10T08:30:00+09:00), not {when!r}"
            ) from exc
        if not who:
            raise ParseError(f"{path.name} line {line}: athlete_id is empty")
        out.append((who, valid_from, zone))
    schema = {
        "athlete_id": pl.String,
        "valid_from": pl.Datetime("us", "UTC"),
        "time_zone": pl.String,
    }
    return pl.DataFrame(out, schema=schema, orient="row").unique(
        subset=["athlete_id", "valid_from"], keep="last", maintain_order=True
    )


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
    """The athletes file as a frame with the columns of `athletes` (missing ones null)."""
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as exc:  # polars raises several error types for bad CSV
        raise ParseError(f"{path.name}: not a readable CSV ({exc})") from exc
    frame = frame.rename({c: c.strip().lstrip("\ufeff").lower() for c in frame.columns})
    if "athlete_id" not in frame.columns:
        raise ParseError(f"{path.name}: needs a header with athlete_id (and time_zone, ...)")
    return frame.select(
        pl.col(c).str.strip_chars().cast(t, strict=False)
        if c in frame.columns
        else pl.lit(None, t).alias(c)
        for c, t in ATHLETES_COLUMNS.items()
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
