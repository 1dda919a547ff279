"""Alert receivers, configured once per installation in a TOML file.

    # ~/.config/herstel/config.toml (or the file $HERSTEL_CONFIG names); owner-only
    [alerts]
    urls = ["mailtos://herstel:pass@club.nl?smtp=smtp.club.nl&to=coach@club.nl", "ntfy://ntfy.sh/x"]
    lang = "nl"                 # en or nl
    stale_after_nights = 3      # "no data for N nights" from this many on

The file holds passwords, so herstel refuses to read it when others can (chmod 600).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

#: Nights without new data after which an athlete is named in the alert (issue 14: 3).
STALE_AFTER_NIGHTS = 3
LANGS = ("en", "nl")


class ConfigError(ValueError):
    """The config file is unreadable or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class AlertConfig:
    urls: tuple[str, ...] = ()
    lang: str = "en"
    stale_after_nights: int = STALE_AFTER_NIGHTS
    path: Path | None = None


def config_path() -> Path:
    """$HERSTEL_CONFIG, else the user's config folder (platformdirs) / herstel / config.toml."""
    if os.environ.get("HERSTEL_CONFIG"):
        return Path(os.environ["HERSTEL_CONFIG"]).expanduser()
    from platformdirs import user_config_path

    return user_config_path("herstel") / "config.toml"


def load_config(path: Path | None = None) -> AlertConfig:
    """The [alerts] table of the config file; no file means no receivers."""
    path = path or config_path()
    if not path.is_file():
        return AlertConfig(path=path)
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} can be read by others and may hold passwords: chmod 600 {path}")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("alerts", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    urls = table.get("urls", [])
    if isinstance(urls, str):
        urls = [urls]
    if not all(isinstance(u, str) and "://" in u for u in urls):
        raise ConfigError(f"{path}: alerts.urls must be a list of notification URLs")
    lang = table.get("lang", "en")
    if lang not in LANGS:
        raise ConfigError(f"{path}: alerts.lang must be one of {', '.join(LANGS)}")
    stale = table.get("stale_after_nights", STALE_AFTER_NIGHTS)
    if not isinstance(stale, int) or stale < 1:
        raise ConfigError(f"{path}: alerts.stale_after_nights must be a whole number >= 1")
    return AlertConfig(tuple(urls), lang, stale, path)
