"""`herstel export`: the warehouse as tidy files for colleagues and other tools.

One file per table (Parquet or CSV): nights, days, flags, athletes, and episodes when the
warehouse has `flag_episodes`; a `data_dictionary.csv` made from the database's own column
comments; a `manifest.json` with what a replication needs (herstel and ruleset versions, every
threshold, the filters). Raw samples and `files.path` are never exported, so a pseudonymised
study exports pseudonyms only. Every file is the owner's alone (0600, folder 0700).
See docs/analyst.md, "Exporting".
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from rules.catalogue import DEFAULT_RULESET, RuleSet, rules_path
from warehouse.db import STORAGE_VERSION
from warehouse.schema import SCHEMA_VERSION
from warehouse.sql import frame, run

FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class Export:
    """One exported file: its name, the table it comes from, and the table's date column."""

    name: str
    table: str
    day: str | None


EXPORTS = (
    Export("nights", "nightly_metrics", "night"),
    Export("days", "daily_metrics", "day"),
    Export("flags", "daily_flags", "day"),
    Export("athletes", "athletes", None),
)
#: Added by a later migration on some branches; exported when present.
EPISODES = "flag_episodes"
#: Date columns an episode may be filtered on with --since, in order of preference.
EPISODE_DAYS = ("last_day", "end_day", "latest_day", "start_day", "day")


@contextmanager
def _owner_only() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in run(con, "SELECT table_name FROM duckdb_tables()")}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str | None]]:
    return run(
        con,
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE table_name = ? AND schema_name = 'main' ORDER BY column_index",
        [table],
    )


def _exports(con: duckdb.DuckDBPyConnection) -> list[Export]:
    out = list(EXPORTS)
    if EPISODES in _tables(con):
        names = [c for c, _, _ in _columns(con, EPISODES)]
        day = next((d for d in EPISODE_DAYS if d in names), None)
        out.insert(3, Export("episodes", EPISODES, day))
    return out


def _select(
    con: duckdb.DuckDBPyConnection, e: Export, athlete: str | None, since: date | None
) -> pl.DataFrame:
    clauses, args = [], []
    if athlete is not None:
        clauses.append("athlete_id = ?")
        args.append(athlete)
    if since is not None and e.day is not None:
        clauses.append(f"{e.day} >= ?")
        args.append(since)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    order = f"athlete_id, {e.day}" if e.day else "athlete_id"
    return frame(con, f"SELECT * FROM {e.table}{where} ORDER BY {order}", args)


def _write(data: pl.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        data.write_parquet(path)
    else:
        data.write_csv(path)  # ISO 8601 dates and UTC timestamps, empty for null


def ruleset_manifest(ruleset: RuleSet, source: Path) -> dict:
    """The rule file in force: version, where it came from, and every threshold by rule."""
    return {
        "version": ruleset.version,
        # the file name only: a path can name a person (/home/<name>/...)
        "file": "packaged" if source == DEFAULT_RULESET else source.name,
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "rules": {
            r.id: {
                "enabled": r.enabled,
                "unit": r.unit,
                "levels": {
                    lv.name: {"severity": lv.severity, "thresholds": dict(lv.thresholds)}
                    for lv in r.levels
                },
            }
            for r in ruleset.rules.values()
        },
        "profiles": [p.model_dump(mode="json") for p in ruleset.profiles],
    }


def export(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    ruleset: RuleSet,
    *,
    fmt: str = "parquet",
    athlete: str | None = None,
    since: date | None = None,
    rules_file: str | None = None,
) -> dict:
    """Write the export into `out`; returns the manifest (also written as manifest.json)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if athlete is not None and not run(
        con, "SELECT 1 FROM athletes WHERE athlete_id = ?", [athlete]
    ):
        raise ValueError(f"no athlete {athlete!r} in the warehouse")
    with _owner_only():
        out.mkdir(parents=True, exist_ok=True)
        os.chmod(out, 0o700)
        tables, dictionary, versions = {}, [], []
        for e in _exports(con):
            data = _select(con, e, athlete, since)
            if e.name == "flags":
                versions = sorted(set(data["ruleset_version"].to_list()))
            name = f"{e.name}.{fmt}"
            _write(data, out / name, fmt)
            tables[e.name] = {"file": name, "table": e.table, "rows": data.height}
            dictionary += [
                {"file": name, "column": c, "type": t, "description": m or ""}
                for c, t, m in _columns(con, e.table)
            ]
        pl.DataFrame(dictionary).write_csv(out / "data_dictionary.csv")
        manifest = {
            "herstel_version": importlib.metadata.version("herstel"),
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "schema_version": SCHEMA_VERSION,
            "duckdb_version": duckdb.__version__,
            "storage_version": STORAGE_VERSION,
            "format": fmt,
            "filters": {"athlete": athlete, "since": since.isoformat() if since else None},
            "tables": tables,
            "ruleset": ruleset_manifest(ruleset, rules_path(rules_file)),
            # the versions that raised the exported flags (`+profile` names a profile's
            # thresholds); they differ from ruleset.version until the next nightly run
            "flags_ruleset_versions": versions,
            "ruleset_matches_flags": all(
                v.split("+")[0] == ruleset.version for v in versions
            ),
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    for path in out.iterdir():
        os.chmod(path, 0o600)
    return manifest
