"""Inputs stay inside what the user gave; what herstel says about them stays short and inert.

The rule for symbolic links (docs/study-import.md, "Links and special files"):

- a path given on the command line is the user's choice: a link there is resolved and read;
- below it, a link is resolved and followed only when its target lies inside the folder it
  may reach: the athlete's own folder (study layout) or the given folder (`--athlete`). An
  athlete folder that is itself a link may point anywhere inside the study folder given;
- any other link (out of the study, to another athlete's folder, to the study's top level,
  broken, or looping) and any file that is not a regular file (FIFO, socket, device) is
  refused unread: recorded `quarantined` with a reason that names the rule, never the
  target or its content. Nothing is skipped silently.

Also here: what an athlete id may be (it becomes a folder name in the staging area), text
made safe to store and print (no terminal escape codes, bounded length), and the pseudonymised
form of a recorded path.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Longest athlete id accepted (a folder name; real ids are short codes or names).
MAX_ATHLETE_ID_CHARS = 128
#: Characters an athlete id may not hold: path separators, and shell/glob wildcards (an id
#: is matched exactly, never as a pattern, by `forget` and the staging area).
FORBIDDEN_ID_CHARS = frozenset("/\\*?[]")
#: A stored or printed reason is cut to this many characters (the reason table of a study
#: with thousands of files must stay readable, and a reason must not carry a file's content).
MAX_REASON_CHARS = 400
#: A quote of a file's own content inside a reason (a header line, a value) is cut to this.
MAX_EXCERPT_CHARS = 80
#: Names shorter than this are replaced in paths only as whole words (`al` must not garble
#: `Global`); longer ones wherever they occur, in any case.
MIN_SUBSTRING_NAME_CHARS = 3
#: What replaces an e-mail address in a pseudonymised path (Garmin names uploaded FIT files
#: `<e-mail>_<activity id>.fit`).
EMAIL_PLACEHOLDER = "(e-mail)"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
#: ANSI/VT escape sequences (CSI, OSC, and two-byte ESC x), removed whole.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def clean_text(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` safe to store and print: escape sequences removed, other control and format
    characters shown as `?`, whitespace runs as one space, at most `limit` characters."""
    text = _ESCAPES.sub("", text)
    out = []
    for ch in text:
        if ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch)[0] == "C":  # Cc control, Cf bidi/format, Cs, Co, Cn
            out.append("?")
        else:
            out.append(ch)
    cleaned = re.sub(r" {2,}", " ", "".join(out)).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def excerpt(text: str, limit: int = MAX_EXCERPT_CHARS) -> str:
    """A short quote of a file's content for a reason (`clean_text`, cut at `limit`)."""
    return clean_text(text, limit)


def athlete_id_problem(athlete_id: str) -> str | None:
    """Why `athlete_id` cannot be an athlete id, or None. It names a staging folder and is
    matched exactly by `forget`: no separators, no wildcards, no `.`/`..`, nothing invisible."""
    if not athlete_id or not athlete_id.strip():
        return "an athlete id cannot be empty"
    if athlete_id in (".", "..") or athlete_id.startswith("."):
        return "an athlete id cannot start with '.'"
    if athlete_id != athlete_id.strip():
        return "an athlete id cannot start or end with a space"
    if len(athlete_id) > MAX_ATHLETE_ID_CHARS:
        return f"an athlete id has at most {MAX_ATHLETE_ID_CHARS} characters"
    if any(unicodedata.category(ch)[0] == "C" for ch in athlete_id):
        return "an athlete id cannot contain control characters"
    if FORBIDDEN_ID_CHARS & set(athlete_id):
        return "an athlete id cannot contain / \\ * ? [ ]"
    return None


def inside(path: Path, fence: Path) -> bool:
    """`path` (resolved) is `fence` (resolved) or below it."""
    return path == fence or fence in path.parents


@dataclass(frozen=True)
class Found:
    """A file found below a given folder."""

    path: Path  # where it was found (below the folder as given): what is recorded
    read: Path | None  # the regular file to read (a followed link's target); None: refused
    reason: str | None = None  # why it was refused


REASON_OUTSIDE = (
    "symbolic link to a place outside the study folder given; not followed "
    "(give that file or folder as its own path, or copy it in)"
)
REASON_OTHER_ATHLETE = (
    "symbolic link to a file outside this athlete's folder (another athlete's folder, or the "
    "study's top level); not followed: a file belongs to the folder it is in"
)
REASON_BROKEN = "symbolic link whose target does not exist (or loops); not read"
REASON_LOOP = "symbolic link to a folder that contains it (a loop); not followed"
REASON_SPECIAL = "not a regular file (a FIFO, socket or device); not read"


def _resolve(path: Path) -> Path | None:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # broken link, loop, permission
        return None


def _refusal(target: Path, study: Path) -> str:
    return REASON_OTHER_ATHLETE if inside(target, study) else REASON_OUTSIDE


def walk(folder: Path, fence: Path, study: Path) -> Iterator[Found]:
    """Every visible (non-dot) file below `folder`, sorted, links followed only into `fence`.

    `folder` is walked as given (recorded paths stay under it); `fence` is the resolved folder
    that links may reach; `study` the resolved study folder (for a more precise reason).
    """
    yield from _walk(folder, fence, study, ancestors=(_resolve(folder) or fence,))


def _walk(folder: Path, fence: Path, study: Path, ancestors: tuple[Path, ...]) -> Iterator[Found]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Found(folder, None, f"folder cannot be read: {exc.strerror}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if not entry.is_symlink():
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(path, fence, study, (*ancestors, _resolve(path) or path))
            elif entry.is_file(follow_symlinks=False):  # read at its real place (below a
                yield Found(path, _resolve(path) or path)  # followed folder link, too)
            else:
                yield Found(path, None, REASON_SPECIAL)
            continue
        target = _resolve(path)
        if target is None:
            yield Found(path, None, REASON_BROKEN)
        elif not inside(target, fence):
            yield Found(path, None, _refusal(target, study))
        elif target.is_dir():
            if target in ancestors:
                yield Found(path, None, REASON_LOOP)
            else:
                yield from _walk(path, fence, study, (*ancestors, target))
        elif target.is_file():
            yield Found(path, target)
        else:
            yield Found(path, None, REASON_SPECIAL)


def given_file(path: Path) -> Found:
    """A file named on the command line: links resolved (the user chose it), but only a
    regular file is read."""
    target = _resolve(path)
    if target is None:
        return Found(path, None, REASON_BROKEN if path.is_symlink() else "file does not exist")
    mode = target.stat().st_mode
    return Found(path, target) if stat.S_ISREG(mode) else Found(path, None, REASON_SPECIAL)


def athlete_folder(path: Path, study: Path) -> tuple[Path | None, str | None]:
    """(the resolved folder to fence this athlete's files in, or None and why): a link is
    followed only to a folder inside the study folder."""
    if not path.is_symlink():
        return _resolve(path) or path, None
    target = _resolve(path)
    if target is None:
        return None, REASON_BROKEN
    if not inside(target, study):
        return None, (
            "athlete folder is a symbolic link to a place outside the study folder given; not "
            "followed (give that folder as its own path with --athlete, or move it in)"
        )
    return target, None


def scrub_path(path: str, name: str | None, pseudonym: str | None) -> str:
    """A recorded path of a pseudonymised study: every occurrence of the athlete's real
    `name` (any case) becomes the `pseudonym`, every e-mail address `(e-mail)`.

    What else a path may carry (vendor account ids, dates, device serials) is listed in
    docs/study-import.md; it is not recognisable as a name and stays.
    """
    path = _EMAIL.sub(EMAIL_PLACEHOLDER, path)
    if not name or not pseudonym or name == pseudonym:
        return path
    escaped = re.escape(name)
    if len(name) < MIN_SUBSTRING_NAME_CHARS:
        escaped = rf"(?<![^\W_]){escaped}(?![^\W_])"
    return re.sub(escaped, pseudonym, path, flags=re.IGNORECASE)
