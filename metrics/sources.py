"""Several sources for one night: the athlete's `source_priority` ranks vendors.

`athletes.source_priority` (`whoop>oura`, first wins; docs/metrics.md, "Several sources for
one night") decides between vendors' nightly values (`metrics.nightly.device_nightly`) and
between overlapping sleep records of several vendors (`prefer_stage_sources`). Without a
priority nothing changes: device values by vendor name, stage records of all files united.
"""

from __future__ import annotations

import polars as pl

from metrics.sleep import asleep_runs

#: Separates vendors in `source_priority` (warehouse.athlete_config stores it this way).
SEPARATOR = ">"


def priority_ranks(athletes: pl.DataFrame | None) -> pl.DataFrame:
    """`athlete_id, _vendor (lower case), priority_rank (1 = first)` from
    `athletes.source_priority`; no rows for athletes without one."""
    schema = {"athlete_id": pl.String(), "_vendor": pl.String(), "priority_rank": pl.Int64()}
    if athletes is None or "source_priority" not in athletes.columns:
        return pl.DataFrame(schema=schema)
    return (
        athletes.select("athlete_id", _vendor=pl.col("source_priority").str.split(SEPARATOR))
        .drop_nulls("_vendor")
        .explode("_vendor")
        .with_columns(
            pl.col("_vendor").str.strip_chars().str.to_lowercase(),
            priority_rank=pl.int_range(1, pl.len() + 1).over("athlete_id"),
        )
        .unique(subset=["athlete_id", "_vendor"], keep="first")
        .select(pl.col(c).cast(t) for c, t in schema.items())
    )


def with_priority_rank(values: pl.DataFrame, athletes: pl.DataFrame | None) -> pl.DataFrame:
    """`values` (with `athlete_id`, `vendor`) plus `priority_rank`: the vendor's place in its
    athlete's `source_priority`, null (sorted last) when not named or no priority is set."""
    return (
        values.with_columns(_vendor=pl.col("vendor").str.to_lowercase())
        .join(priority_ranks(athletes), on=["athlete_id", "_vendor"], how="left",
              maintain_order="left")
        .drop("_vendor")
    )  # fmt: skip


def prefer_stage_sources(
    stages: pl.DataFrame, athletes: pl.DataFrame | None, files: pl.DataFrame | None
) -> pl.DataFrame:
    """`stages` without the records a better source replaces.

    For an athlete with a `source_priority`, a sleep period (asleep runs less than
    `JOIN_GAP` apart, all files pooled) recorded by several vendors keeps only the records of
    the first vendor in the priority among them: every stage record (awake ones too) of the
    other vendors' files inside that period is set aside. A period whose vendors the priority
    does not name, and every period of an athlete without one, keeps all files, united as
    before. `files`: `file_id, vendor` (the files table).
    """
    ranks = priority_ranks(athletes)
    if stages.is_empty() or ranks.is_empty() or files is None or files.is_empty():
        return stages
    vendor_of = files.select("file_id", "vendor").unique(subset="file_id", keep="first")
    asleep = with_priority_rank(
        asleep_runs(stages.join(vendor_of, on="file_id", how="left"), "vendor"), athletes
    )
    per_file = asleep.group_by("athlete_id", "period", "file_id").agg(
        pl.col("priority_rank").first(),
        _lo=pl.col("start_ts").min(),
        _hi=pl.col("end_ts").max(),
    )
    best = pl.col("priority_rank").min().over("athlete_id", "period")
    span_lo = pl.col("_lo").min().over("athlete_id", "period")
    span_hi = pl.col("_hi").max().over("athlete_id", "period")
    set_aside = per_file.with_columns(_best=best, _plo=span_lo, _phi=span_hi).filter(
        pl.col("_best").is_not_null()
        & (pl.col("priority_rank").is_null() | (pl.col("priority_rank") > pl.col("_best")))
    )
    if set_aside.is_empty():
        return stages
    inside = (
        stages.with_row_index("_row")
        .join(set_aside.select("athlete_id", "file_id", "_plo", "_phi"),
              on=["athlete_id", "file_id"])
        .filter((pl.col("start_ts") < pl.col("_phi")) & (pl.col("end_ts") > pl.col("_plo")))
    )  # fmt: skip
    return (
        stages.with_row_index("_row")
        .join(inside.select("_row"), on="_row", how="anti", maintain_order="left")
        .drop("_row")
    )
