"""The staged raw layer: parsed frames as Parquet, written by parse workers, read by the loader.

With a cluster, parse workers may run on other machines: they write each file's canonical
frames to a shared staging location (a local folder or any fsspec URL, e.g. `s3://bucket/x`)
and send the single DuckDB writer only their paths. The layout is a documented, queryable raw
layer (hive-partitioned, so DuckDB and polars can prune by athlete and month):

    {root}/{table}/athlete_id={athlete}/month={YYYY-MM}/{file_id}.parquet

Each Parquet file holds one input file's rows of one table for one month, with the canonical
columns plus `athlete_id` and `file_id`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import fsspec
import polars as pl

from parsers.inputs import ParseResult
from parsers.paths import athlete_id_problem, clean_text

#: The column that dates a row of each staged table (UTC month of the row).
MONTH_OF = {
    "heart_rate": "ts",
    "rr_intervals": "ts",
    "hrv_samples": "ts",
    "sleep_stages": "start_ts",
    "activities": "start_ts",
    "device_summaries": "night",
    "wellness": "day",
    "lab_results": "day",
}


def _is_url(root: str) -> bool:
    return "://" in root and not root.startswith("file://")


def partition_uri(root: str, table: str, athlete_id: str, month: str, file_id: str) -> str:
    """Where one staged part goes; refuses any athlete id that could leave `root` (a local
    path is also checked after resolving: it must stay below the root)."""
    problem = athlete_id_problem(athlete_id)
    if problem:
        raise ValueError(f"cannot stage athlete id {clean_text(athlete_id, 60)!r}: {problem}")
    base = root.rstrip("/")
    uri = f"{base}/{table}/athlete_id={athlete_id}/month={month}/{file_id}.parquet"
    if not _is_url(root):
        local = Path(base.removeprefix("file://")).resolve()
        if local not in Path(uri.removeprefix("file://")).resolve().parents:
            raise ValueError(f"staged path of {table} would leave the staging root {local}")
    return uri


def _write(frame: pl.DataFrame, uri: str) -> None:
    if _is_url(uri):
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        with fsspec.open(uri, "wb") as fh:
            fh.write(buffer.getvalue())
    else:
        path = Path(uri.removeprefix("file://"))
        os.umask(0o077)  # a parse worker (maybe on another machine) writes health data
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        frame.write_parquet(path)


def _read(uri: str) -> pl.DataFrame:
    if _is_url(uri):
        with fsspec.open(uri, "rb") as fh:
            return pl.read_parquet(io.BytesIO(fh.read()))
    return pl.read_parquet(uri.removeprefix("file://"))


def _month(frame: pl.DataFrame, table: str) -> pl.Expr:
    col = MONTH_OF.get(table)
    if col is None or col not in frame.columns:
        return pl.lit("unknown")
    return pl.col(col).dt.strftime("%Y-%m").fill_null("unknown")


def stage(result: ParseResult, root: str) -> ParseResult:
    """Write the result's frames under `root` and keep only their URIs in the result."""
    if result.parsed is None or result.athlete_id is None:
        return result
    uris: dict[str, list[str]] = {}
    for table, frame in result.parsed.frames.items():
        if frame.height == 0:
            continue
        tagged = frame.with_columns(file_id=pl.lit(result.file_id))
        if "athlete_id" not in tagged.columns:
            tagged = tagged.with_columns(athlete_id=pl.lit(result.athlete_id))
        for (month,), part in tagged.with_columns(_month=_month(frame, table)).group_by(
            "_month", maintain_order=True
        ):
            uri = partition_uri(root, table, result.athlete_id, month, result.file_id)
            _write(part.drop("_month"), uri)
            uris.setdefault(table, []).append(uri)
    result.parsed.frames = {}
    result.staged = uris
    return result


def unstage(result: ParseResult) -> ParseResult:
    """Read a staged result's frames back (the loader's side)."""
    if result.parsed is None or not result.staged:
        return result
    frames = {}
    for table, uris in result.staged.items():
        frame = pl.concat([_read(u) for u in uris], how="vertical")
        frames[table] = frame.drop("file_id")
    result.parsed.frames = frames
    return result
