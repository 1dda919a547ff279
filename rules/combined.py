"""The meta rule `multi_signal`: several different warnings close together.

Registered with `meta=True`, so it runs after every other rule and reads their flags from
`RuleInputs.flags` (all profiles' flags, as they will be stored).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from rules.catalogue import SEVERITY_ORDER, Rule
from rules.registry import RuleInputs, empty_candidates, rule

RULE_ID = "multi_signal"


@rule(RULE_ID, levels={"combined": ("rules", "days", "min_severity")}, fields=("rules_list",),
      meta=True)  # fmt: skip
def multi_signal(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Warning on day D when D has a qualifying flag and the qualifying flags of days
    D-(days-1)..D come from at least `rules` different rules.

    Qualifying: severity rank >= `min_severity` (0 info, 1 watch, 2 warning; default 2:
    warnings only), any rule but multi_signal itself. value = number of different rules,
    rules_list = their ids, comma-separated, sorted.
    """
    need = r.threshold("combined", "rules")
    days = int(r.threshold("combined", "days"))
    rank = r.threshold("combined", "min_severity")
    flags = inputs.flags
    ranks = pl.col("severity").replace_strict(SEVERITY_ORDER, default=-1, return_dtype=pl.Int64)
    q = flags.filter((pl.col("rule_id") != RULE_ID) & (ranks >= rank)).select(
        "athlete_id", "day", "rule_id"
    )
    if q.is_empty():
        return empty_candidates(rules_list=pl.String())
    anchors = q.select("athlete_id", "day").unique()
    window = (
        anchors.join(q.rename({"day": "_d"}), on="athlete_id", how="inner")
        .filter((pl.col("_d") <= pl.col("day")) & (pl.col("_d") > pl.col("day") - timedelta(days)))
        .group_by("athlete_id", "day")
        .agg(_rules=pl.col("rule_id").unique().sort())
        .with_columns(_n=pl.col("_rules").list.len())
        .filter(pl.col("_n") >= need)
    )
    return window.select(
        "athlete_id",
        "day",
        level=pl.lit("combined"),
        value=pl.col("_n").cast(pl.Float64),
        threshold=pl.lit(need),
        baseline=pl.lit(None, dtype=pl.Float64),
        rules_list=pl.col("_rules").list.join(", "),
    ).sort("athlete_id", "day")
