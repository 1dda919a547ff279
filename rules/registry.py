"""The rule registry: `@rule`, `RuleInputs` and the helpers every rule module shares.

Imports no rule module, so rule modules import only this (and `rules.catalogue`, `metrics`
helpers) and never each other; `rules.all` imports every rule module once so that they
register, and `rules.evaluate` imports `rules.all` before it evaluates (docs/rules.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from rules.catalogue import Rule

#: Columns every rule function returns (plus its declared message fields).
CANDIDATE_COLUMNS = ("athlete_id", "day", "level", "value", "threshold", "baseline")


@dataclass(frozen=True)
class RuleInputs:
    """Everything a rule may read. `flags`: flags of rules evaluated earlier in this run."""

    nightly: pl.DataFrame
    daily: pl.DataFrame
    flags: pl.DataFrame
    extra: Mapping[str, pl.DataFrame] = field(default_factory=dict)


RuleFn = Callable[[RuleInputs, Rule], pl.DataFrame]


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule function and what it expects from its TOML table."""

    fn: RuleFn
    levels: Mapping[str, tuple[str, ...]]  # level name -> threshold names it reads
    fields: tuple[str, ...] = ()  # extra message fields it provides
    meta: bool = False


REGISTRY: dict[str, RuleSpec] = {}


def rule(
    rule_id: str,
    *,
    levels: Mapping[str, tuple[str, ...]],
    fields: tuple[str, ...] = (),
    meta: bool = False,
) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under `rule_id` (the TOML table's `id`)."""

    def register(fn: RuleFn) -> RuleFn:
        REGISTRY[rule_id] = RuleSpec(fn, dict(levels), tuple(fields), meta)
        return fn

    return register


# --------------------------------------------------------------------------- helpers


def empty_candidates(**fields: pl.DataType) -> pl.DataFrame:
    """No candidates, with the candidate columns plus a rule's message `fields`."""
    schema = {
        "athlete_id": pl.String(),
        "day": pl.Date(),
        "level": pl.String(),
        "value": pl.Float64(),
        "threshold": pl.Float64(),
        "baseline": pl.Float64(),
        **fields,
    }
    return pl.DataFrame(schema=schema)


def consecutive(cond: pl.Expr, on: str, by: str = "athlete_id") -> pl.Expr:
    """Length of the run of consecutive calendar dates up to this row where `cond` holds.

    0 where `cond` is false or null. A missing date (no row) breaks the run. The frame must
    be sorted by (`by`, `on`) with one row per date.
    """
    ok = cond.fill_null(False)
    follows = (pl.col(on) - pl.col(on).shift(1).over(by)) == timedelta(days=1)
    starts = ~ok | ~follows.fill_null(False)  # a false row starts a run of count 0
    run = starts.cum_sum().over(by)
    return ok.cast(pl.Int64).cum_sum().over([pl.col(by), run])


def nightly_candidates(
    nightly: pl.DataFrame, value: str, baseline: str | None = None
) -> pl.DataFrame:
    """`athlete_id, day, value, baseline` from nightly rows where `value` is known."""
    cols = [pl.col("athlete_id"), pl.col("night").alias("day"), pl.col(value).alias("value")]
    cols.append(
        pl.col(baseline).alias("baseline")
        if baseline
        else pl.lit(None, dtype=pl.Float64).alias("baseline")
    )
    return nightly.select(cols).filter(pl.col("value").is_not_null())
