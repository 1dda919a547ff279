"""Episodes: daily flags of one rule that persist, folded into one row with one alert.

A coach should get one alert when a condition starts and one each time it worsens, not a
new warning every morning. `daily_flags` keeps the per-day record; `episodes` derives the
`flag_episodes` table from it (pure: frames in, frame out; the nightly recomputes every
episode of each athlete it touched, so an incremental run gives what a rebuild gives).

Definitions (thresholds in `[episodes]` of rules/ruleset.toml, documented in docs/rules.md):

- **persists**: flags of the same athlete and rule belong to one episode while at most
  `quiet_days` calendar days without that flag lie between two flagged days;
- **open**: the athlete's last day with data is at most `quiet_days` after the episode's
  last flagged day (the next day with data could still continue it); an athlete whose data
  stops keeps the episode open: it is not known to be over;
- **worsens**: on a later day, the severity rises above every earlier day's, or, at the
  highest severity so far, the value lies a further whole step past that day's threshold
  (step number = floor(|value - threshold| / step)); rules without a step worsen only by
  severity;
- **peak**: the day of highest severity, and among those the highest step and then the
  largest distance past the threshold (earliest on a tie).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from rules.catalogue import SEVERITY_ORDER, EpisodePolicy

#: Columns and dtypes of `flag_episodes` (docs/schema.md).
EPISODE_COLUMNS: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "rule_id": pl.String(),
    "start_day": pl.Date(),
    "last_day": pl.Date(),
    "days": pl.Int32(),  # flagged days in the episode (quiet days between not counted)
    "peak_severity": pl.String(),
    "peak_value": pl.Float64(),
    "is_open": pl.Boolean(),
    "last_alert_day": pl.Date(),
    "last_alert_reason": pl.String(),  # started | worsened
    "ruleset_version": pl.String(),
    "computed_at": pl.Datetime("us", "UTC"),
}

#: Step numbers above this are capped, so (severity rank, step) fits one sortable number.
_MAX_STEP = 9_999


def empty_episodes() -> pl.DataFrame:
    return pl.DataFrame(schema=EPISODE_COLUMNS)


def _policy_frame(policy: EpisodePolicy, rule_ids: list[str]) -> pl.DataFrame:
    """Per rule: quiet days, step in percent of the threshold, step in the value's unit."""
    steps = policy.worsen_steps
    return pl.DataFrame(
        {
            "rule_id": rule_ids,
            "_quiet": [policy.quiet_for(r) for r in rule_ids],
            "_pct": [steps[r].pct if r in steps else None for r in rule_ids],
            "_abs": [steps[r].abs if r in steps else None for r in rule_ids],
        },
        schema={"rule_id": pl.String, "_quiet": pl.Int64, "_pct": pl.Float64,
                "_abs": pl.Float64},
    )  # fmt: skip


def _flag_rows(flags: pl.DataFrame, policy: EpisodePolicy) -> pl.DataFrame:
    """Flags sorted by athlete, rule and day with `_episode` (number within athlete and rule)
    and `_alert` (started | worsened | null) per row, plus the helper columns."""
    rules = sorted(flags["rule_id"].unique().to_list())
    key = ["athlete_id", "rule_id"]
    rank = pl.col("severity").replace_strict(SEVERITY_ORDER, default=0, return_dtype=pl.Int64)
    past = (pl.col("value") - pl.col("threshold")).abs()
    size = pl.coalesce(pl.col("_pct") / 100 * pl.col("threshold").abs(), pl.col("_abs"))
    step = pl.when(size > 0).then((past / size).floor().clip(0, _MAX_STEP)).otherwise(0)
    return (
        flags.select("athlete_id", "rule_id", "day", "severity", "value", "threshold",
                     "ruleset_version")  # fmt: skip
        .join(_policy_frame(policy, rules), on="rule_id", how="left")
        .sort("athlete_id", "rule_id", "day")
        .with_columns(
            _rank=rank,
            _past=past.fill_null(0.0),
            _step=step.fill_null(0).cast(pl.Int64),
            _gap=(pl.col("day") - pl.col("day").shift(1)).dt.total_days().over(key),
        )
        .with_columns(
            _new=pl.col("_gap").is_null() | (pl.col("_gap") > pl.col("_quiet") + 1),
            _score=pl.col("_rank") * (_MAX_STEP + 1) + pl.col("_step"),
        )
        .with_columns(_episode=pl.col("_new").cum_sum().over(key))
        .with_columns(
            _before=pl.col("_score").cum_max().shift(1).over([*key, "_episode"]),
        )
        .with_columns(
            _alert=pl.when(pl.col("_new"))
            .then(pl.lit("started"))
            .when(pl.col("_score") > pl.col("_before"))
            .then(pl.lit("worsened"))
        )
    )


def alerts(flags: pl.DataFrame, policy: EpisodePolicy) -> pl.DataFrame:
    """Every day an alert is due: `athlete_id, rule_id, day, severity, reason` (started |
    worsened), i.e. each episode's first day and each day it worsened."""
    schema = {"athlete_id": pl.String, "rule_id": pl.String, "day": pl.Date,
              "severity": pl.String, "reason": pl.String}  # fmt: skip
    if flags.is_empty():
        return pl.DataFrame(schema=schema)
    rows = _flag_rows(flags, policy).filter(pl.col("_alert").is_not_null())
    return rows.select("athlete_id", "rule_id", "day", "severity", reason="_alert")


def episodes(
    flags: pl.DataFrame,
    last_data: pl.DataFrame,
    policy: EpisodePolicy,
    computed_at: datetime,
) -> pl.DataFrame:
    """`flag_episodes` rows from `daily_flags` rows (one athlete or many).

    `last_data`: `athlete_id`, `last_day` (the athlete's last day with any data) decides
    whether an episode is still open; an athlete missing there counts its last flag's day.
    """
    if flags.is_empty():
        return empty_episodes()
    key = ["athlete_id", "rule_id"]
    rows = _flag_rows(flags, policy)
    peak_order = [pl.col("_score"), pl.col("_past"), -pl.col("day").cast(pl.Int64)]
    grouped = rows.group_by([*key, "_episode"]).agg(
        start_day=pl.col("day").min(),
        last_day=pl.col("day").max(),
        days=pl.len().cast(pl.Int32),
        peak_severity=pl.col("severity").sort_by(peak_order, descending=True).first(),
        peak_value=pl.col("value").sort_by(peak_order, descending=True).first(),
        last_alert_day=pl.col("day").filter(pl.col("_alert").is_not_null()).max(),
        last_alert_reason=pl.col("_alert").drop_nulls().last(),
        ruleset_version=pl.col("ruleset_version").last(),
        _quiet=pl.col("_quiet").first(),
    )
    ends = last_data.select("athlete_id", _end=pl.col("last_day").cast(pl.Date))
    out = grouped.join(ends, on="athlete_id", how="left").with_columns(
        is_open=(
            pl.max_horizontal("_end", "last_day") - pl.col("last_day")
        ).dt.total_days() <= pl.col("_quiet"),
        computed_at=pl.lit(computed_at).cast(pl.Datetime("us", "UTC")),
    )
    return out.select(pl.col(c).cast(t) for c, t in EPISODE_COLUMNS.items()).sort(
        "athlete_id", "rule_id", "start_day"
    )
