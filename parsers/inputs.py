"""One input (a file, or a zip archive of files) -> parse results, one per file it holds.

This is what a parse task runs. It never raises: every file, and every archive member, comes
back with either a `ParsedFile` or the reason it could not be read, so the loader can record it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from parsers import vendors
from parsers.archive import MAX_MEMBER_BYTES, ZipSiblings, is_zip, iter_members, unsafe_name
from parsers.base import ParsedFile, ParseError, bounded_problems
from parsers.clean import drop_impossible, drop_impossible_many
from parsers.registry import parse_file
from parsers.study import content_id

#: A plain file bigger than this is refused unread (parsers work on bytes in memory); the
#: same cap as one archive member: Apple's export.xml, the largest real file, is a few GB.
MAX_FILE_BYTES = MAX_MEMBER_BYTES


@dataclass
class ParseResult:
    path: str  # inside an archive: archive path + "/" + member name
    athlete_id: str | None
    file_id: str  # sha256 of the content
    size_bytes: int
    parsed: ParsedFile | None = None
    error: str | None = None
    #: with a staging location: table -> Parquet URIs holding the frames (warehouse.staging)
    staged: dict[str, list[str]] = field(default_factory=dict)


#: Reason of a file whose parsing ran out of memory (its size is added).
OUT_OF_MEMORY = (
    "ran out of memory while reading this {size:,}-byte file; the other files went on. "
    "Re-run with fewer --workers, or split the export"
)
#: `dropped` reason of rows that name an athlete other than the file's (docs/study-import.md).
FOREIGN_ATHLETE = "foreign_athlete"
#: reads a file by a path relative to the folder of the one being parsed; None if absent
Siblings = Callable[[str], bytes | None]


def folder_siblings(path: str) -> Siblings:
    """Files beside `path` on disk, never outside its folder: no `..`, no absolute path, no
    link at any step leading out of it, no file over `MAX_FILE_BYTES`."""
    folder = Path(path).parent

    def read(rel: str) -> bytes | None:
        if unsafe_name(rel) is not None:
            return None
        target = folder / rel
        try:
            if not target.resolve().is_relative_to(folder.resolve()):
                return None
            with open(target, "rb", opener=_no_follow) as fh:
                if os.fstat(fh.fileno()).st_size > MAX_FILE_BYTES:
                    return None
                return fh.read()
        except (OSError, ValueError):
            return None

    return read


def _parse_bytes(
    data: bytes,
    path: str,
    athlete_id: str | None,
    known: frozenset[tuple[str | None, str]],
    engine: str,
    tz: str | None,
    alias: str | None = None,
    siblings: Siblings | None = None,
    clean: bool = True,
) -> ParseResult:
    result = ParseResult(path, athlete_id, content_id(data), len(data))
    if (athlete_id, result.file_id) in known or athlete_id is None:
        return result  # already recorded, or nobody's: the loader says which, nothing to parse
    try:
        parsed = parse_file(data, name=Path(path).name, engine=engine, tz=tz,
                            siblings=siblings, clean=clean)
        # unclean: `parse_inputs` cleans the batch, then keeps the athlete's own rows
        result.parsed = own_rows(parsed, {athlete_id, alias or athlete_id}) if clean else parsed
    except ParseError as exc:
        memory = isinstance(exc.__cause__, MemoryError)
        result.error = OUT_OF_MEMORY.format(size=len(data)) if memory else str(exc)
    except Exception as exc:  # a parser bug must not lose the file: record it, keep going
        _failed(result, exc)
    return result


def _failed(result: ParseResult, exc: Exception) -> None:
    """Record why parsing (or cleaning) a file failed on the result itself."""
    result.parsed = None
    if isinstance(exc, MemoryError):
        result.error = OUT_OF_MEMORY.format(size=result.size_bytes)
    else:  # a parser bug must not lose the file: record it, keep going
        result.error = f"internal error while parsing ({type(exc).__name__}); please report"


def own_rows(parsed: ParsedFile, names: set[str]) -> ParsedFile:
    """Keep only rows of the file's own athlete, and drop the per-row `athlete_id` column.

    A file belongs to the athlete whose folder holds it (or `--athlete`): a long CSV's
    `athlete_id` column may repeat that athlete (by any of `names`: the stored id and the
    name in the study) or be empty; rows naming anyone else are refused and counted under
    `foreign_athlete`, so one athlete's folder can never write another's rows.
    """
    refused = 0
    for table, frame in list(parsed.frames.items()):
        if "athlete_id" not in frame.columns:
            continue
        own = pl.col("athlete_id").is_null() | pl.col("athlete_id").is_in(sorted(names))
        kept = frame.filter(own)
        refused += frame.height - kept.height
        parsed.frames[table] = kept.drop("athlete_id")
    if refused:
        parsed.dropped[FOREIGN_ATHLETE] = parsed.dropped.get(FOREIGN_ATHLETE, 0) + refused
        parsed.problems.append(
            f"{refused} rows name another athlete in their athlete_id column: not loaded "
            f"(a file in an athlete's folder holds that athlete's rows only)"
        )
    return parsed


def _archive(
    path: str, record_as: str, athlete_id, known, engine, tz, alias, clean: bool = True
) -> list[ParseResult]:
    results = []
    with ZipSiblings(path) as siblings:
        # the recorded name, in reasons; a vendor layout's unread members are not inflated
        for member in iter_members(path, Path(record_as).name, unread=vendors.unread):
            member_path = f"{record_as}/{member.name}"
            if member.data is None:
                ident = content_id(f"refused:{member_path}".encode())
                results.append(ParseResult(member_path, athlete_id, ident, 0, error=member.reason))
            else:
                results.append(_parse_bytes(member.data, member_path, athlete_id, known, engine,
                                            tz, alias, siblings=siblings.beside(member.name),
                                            clean=clean))
    return results


def _identity(fh, record_as: str, size: int) -> str:
    """`content_id` of an open file, streamed; a file over the cap is named, not hashed."""
    if size > MAX_FILE_BYTES:
        return content_id(f"refused:{record_as}:{size}".encode())
    fh.seek(0)
    return hashlib.file_digest(fh, "sha256").hexdigest()


def _no_follow(path: str, flags: int) -> int:
    """Open without following a link at the last step: discovery (`parsers.paths`) decided
    which file to read; a link put there since is refused, not followed."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def parse_input(
    path: str,
    athlete_id: str | None,
    known: frozenset[tuple[str | None, str]] = frozenset(),
    engine: str = "fast",
    tz: str | None = None,
    record_as: str | None = None,
    alias: str | None = None,
    clean: bool = True,
) -> list[ParseResult]:
    """Read, hash and (unless its content is already recorded) parse one input; never raises.

    `record_as` is the path to record (default `path`), e.g. with the athlete's pseudonym;
    `alias` the athlete's name in the study when the stored id differs (a pseudonym).
    `clean=False`: frames as parsed, for `parse_inputs` to clean with the rest of a batch.
    """
    record_as = record_as or path
    try:
        return _parse_input(path, athlete_id, known, engine, tz, record_as, alias, clean)
    except MemoryError:
        error = OUT_OF_MEMORY.format(size=_size(path))
    except Exception as exc:  # noqa: BLE001 - one file's trouble never ends the batch
        error = f"internal error while reading ({type(exc).__name__}); please report"
    return [
        ParseResult(record_as, athlete_id, _streamed_id(path, record_as), _size(path), error=error)
    ]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _streamed_id(path: str, record_as: str) -> str:
    """The content id, hashed in small blocks (after running out of memory on the whole)."""
    try:
        with open(path, "rb", opener=_no_follow) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except (OSError, MemoryError):
        return content_id(f"unreadable:{record_as}".encode())


def _parse_input(
    path: str,
    athlete_id: str | None,
    known: frozenset[tuple[str | None, str]],
    engine: str,
    tz: str | None,
    record_as: str,
    alias: str | None,
    clean: bool = True,
) -> list[ParseResult]:
    try:
        with open(path, "rb", opener=_no_follow) as fh:
            size = os.fstat(fh.fileno()).st_size
            if is_zip(fh.read(4)):  # read in place, member by member: never whole in memory
                try:
                    return _archive(
                        path, record_as, athlete_id, known, engine, tz, alias, clean=clean
                    )
                except ParseError as exc:
                    return [
                        ParseResult(
                            record_as,
                            athlete_id,
                            _identity(fh, record_as, size),
                            size,
                            error=str(exc),
                        )
                    ]
            if size > MAX_FILE_BYTES:
                ident = _identity(fh, record_as, size)
                error = (
                    f"file is {size:,} bytes, more than the {MAX_FILE_BYTES:,}-byte cap for "
                    f"one file; not read (split the export, or zip it)"
                )
                return [ParseResult(record_as, athlete_id, ident, size, error=error)]
            fh.seek(0)
            data = fh.read()
    except OSError as exc:
        ident = content_id(f"unreadable:{record_as}".encode())
        error = f"cannot read: {exc.strerror}"
        return [ParseResult(record_as, athlete_id, ident, 0, error=error)]
    return [_parse_bytes(data, record_as, athlete_id, known, engine, tz, alias,
                         siblings=folder_siblings(path), clean=clean)]


#: (path to read, athlete id, path to record, the athlete's name in the study if not the id)
Job = tuple[str, str | None, str, str | None]


def parse_inputs(
    jobs: list[Job],
    known: frozenset[tuple[str | None, str]] = frozenset(),
    engine: str = "fast",
    zones: dict[str, str] | None = None,
) -> list[ParseResult]:
    """`parse_input` of every job, with the cleaning done once for the whole batch.

    Each file is read and parsed alone (a bad file ends only itself), then the frames of all
    parsed files are cleaned together (`parsers.clean.drop_impossible_many`): one polars pass
    per table per batch, not per file. Results are exactly those of `parse_input` file by
    file; should the batch's cleaning fail, each file is cleaned alone, so only a file that
    fails alone ends `quarantined`. `zones`: athlete -> IANA time zone.
    """
    zones = zones or {}
    results: list[ParseResult] = []
    owners: list[set[str]] = []
    for path, athlete, record_as, alias in jobs:
        for result in parse_input(
            path, athlete, known, engine, zones.get(athlete), record_as, alias, clean=False
        ):
            results.append(result)
            owners.append({athlete, alias or athlete} if athlete is not None else set())
    _clean_batch([(r, names) for r, names in zip(results, owners, strict=True) if r.parsed])
    return results


def _clean_batch(parsed: list[tuple[ParseResult, set[str]]]) -> None:
    """Clean the parsed results together (else one by one), then keep each file's own rows."""
    now = datetime.now(UTC)
    try:
        cleaned: list[ParsedFile | None] = drop_impossible_many(
            [r.parsed for r, _ in parsed], now
        )
    except Exception:  # noqa: BLE001 - clean them one by one: only a failing file ends
        cleaned = [None] * len(parsed)
    for (result, names), done in zip(parsed, cleaned, strict=True):
        try:
            done = done or drop_impossible(result.parsed, now)
            done = replace(done, problems=bounded_problems(done.problems))
            result.parsed = own_rows(done, names)
        except Exception as exc:  # noqa: BLE001 - one file's trouble never ends the batch
            _failed(result, exc)
