"""Rules on blood values (the `lab_results` table, passed as `extra["lab_results"]`):
ferritin under a cut-off, cortisol far from the athlete's own earlier values. The flag day
is the day the blood was drawn. Without lab results they raise nothing.

`parsers.lab_csv` stores ferritin in ug/L and cortisol in nmol/L; rows from elsewhere in an
equivalent unit are converted here too, rows in any other unit are ignored.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from rules.catalogue import Rule
from rules.registry import RuleInputs, empty_candidates, rule

#: unit (lower-case, micro signs as "u") -> factor to the stored unit, per marker
UNITS: dict[str, dict[str, float]] = {
    "ferritin": {"ug/l": 1.0, "ng/ml": 1.0, "mcg/l": 1.0},
    "cortisol": {"nmol/l": 1.0, "ug/dl": 27.59, "mcg/dl": 27.59, "ng/ml": 2.759, "ug/l": 2.759},
}


def marker_values(inputs: RuleInputs, marker: str) -> pl.DataFrame | None:
    """`athlete_id, day, value` of one marker in its stored unit, one row per athlete-day
    (the mean when a day has several results); None when there are none."""
    lab = inputs.extra.get("lab_results")
    if lab is None or lab.is_empty():
        return None
    unit = (
        pl.col("unit").cast(pl.String).str.to_lowercase().str.replace_all("[µμ]", "u")
        .str.replace_all(r"\s", "")
    )  # fmt: skip
    factor = unit.replace_strict(UNITS[marker], default=None, return_dtype=pl.Float64)
    rows = (
        lab.filter(pl.col("marker").cast(pl.String).str.to_lowercase() == marker)
        .with_columns(_f=factor)
        .filter(pl.col("_f").is_not_null() & pl.col("value").is_not_null())
        .group_by(pl.col("athlete_id").cast(pl.String), pl.col("day").cast(pl.Date))
        .agg(value=(pl.col("value").cast(pl.Float64) * pl.col("_f")).mean())
        .sort("athlete_id", "day")
    )
    return rows if rows.height else None


@rule("ferritin_low", levels={"low": ("ug_l_below",)}, fields=("previous",))
def ferritin_low(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Watch on the day of a ferritin result under the cut-off (exactly on it: no flag).

    baseline = the athlete's previous ferritin result (null for the first one)."""
    limit = r.threshold("low", "ug_l_below")
    rows = marker_values(inputs, "ferritin")
    if rows is None:
        return empty_candidates(previous=pl.Float64())
    return (
        rows.with_columns(baseline=pl.col("value").shift(1).over("athlete_id"))
        .filter(pl.col("value") < limit)
        .select(
            "athlete_id", "day", level=pl.lit("low"), value="value", threshold=pl.lit(limit),
            baseline="baseline", previous="baseline",
        )  # fmt: skip
    )


@rule(
    "cortisol_change",
    levels={
        "up": ("pct_above", "min_earlier", "earlier_results", "lookback_days"),
        "down": ("pct_below",),
    },
    fields=("pct", "earlier"),
)
def cortisol_change(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Watch when a cortisol result differs from the mean of the athlete's earlier results by
    more than the percentage, up or down.

    Earlier results: the last `earlier_results` (3) results before the day, within
    `lookback_days` (365); at least `min_earlier` (2) of them, else not evaluated.
    """
    up_pct, down_pct = r.threshold("up", "pct_above"), r.threshold("down", "pct_below")
    need = int(r.threshold("up", "min_earlier"))
    keep = int(r.threshold("up", "earlier_results"))
    lookback = timedelta(days=int(r.threshold("up", "lookback_days")))
    rows = marker_values(inputs, "cortisol")
    if rows is None:
        return empty_candidates(pct=pl.Float64(), earlier=pl.Float64())
    # pair every result with the earlier ones (few rows: lab results are rare)
    earlier = rows.select("athlete_id", _day="day", _v="value")
    pairs = (
        rows.join(earlier, on="athlete_id", how="inner")
        .filter((pl.col("_day") < pl.col("day")) & (pl.col("_day") >= pl.col("day") - lookback))
        .sort("athlete_id", "day", "_day")
        .group_by("athlete_id", "day", maintain_order=True)
        .agg(value=pl.col("value").first(), _vals=pl.col("_v").tail(keep))
        .with_columns(earlier=pl.col("_vals").list.len(), baseline=pl.col("_vals").list.mean())
        .filter(pl.col("earlier") >= need)
    )
    v, b = pl.col("value"), pl.col("baseline")
    level = (
        pl.when(100 * (v - b) > up_pct * b)
        .then(pl.lit("up"))
        .when(100 * (b - v) > down_pct * b)
        .then(pl.lit("down"))
    )
    return (
        pairs.with_columns(level=level)
        .filter(pl.col("level").is_not_null())
        .select(
            "athlete_id", "day", "level", "value",
            threshold=pl.when(pl.col("level") == "up").then(b * (1 + up_pct / 100))
            .otherwise(b * (1 - down_pct / 100)),
            baseline="baseline",
            pct=100 * (v - b).abs() / b,
            earlier=pl.col("earlier").cast(pl.Float64),
        )  # fmt: skip
    )
