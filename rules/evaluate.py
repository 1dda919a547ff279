"""Evaluate the rule catalogue on nightly and daily metrics: frames in, `daily_flags` out.

Each rule is one function `(RuleInputs, Rule) -> candidates` registered with `@rule(...)`
under the id of its TOML table. A rule function only finds the athlete-days that trip the
rule and says which level (TOML `levels.name`) applies, with `value`, `threshold`,
`baseline` and any extra message fields; `evaluate` adds severity, messages in English and
Dutch, the ruleset version and `computed_at`. Adding a rule = one function + one TOML table.

Rules marked `meta=True` (e.g. `multi_signal`) run after all others and see their flags in
`RuleInputs.flags`. The registry (`@rule`, `RuleInputs`, shared helpers) is
`rules.registry`; the rule functions live in `rules.basics` (resting HR, sleep, rest days),
`rules.hrv`, `rules.training`, `rules.self_report`, `rules.labs` and `rules.combined`, all
imported by `rules.all` (imported here) so that they register. `REGISTRY`, `RuleInputs`,
`rule` and `consecutive` stay importable from here.

Profiles (`[[profiles]]` in the rule file) override thresholds for some athletes: each rule
runs once per profile that can apply, with that profile's thresholds, and each flag is kept
from the run of the profile its athlete-day belongs to; its `ruleset_version` then reads
`<version>+<profile>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl

import rules.all  # noqa: F401  (every rule module registers; none of them imports this one)
from rules.catalogue import LANGUAGES, Profile, Rule, RuleSet, load_configured, template_fields
from rules.messages import render
from rules.registry import (  # noqa: F401  (re-exported: the public rule API)
    CANDIDATE_COLUMNS,
    REGISTRY,
    RuleFn,
    RuleInputs,
    RuleSpec,
    consecutive,
    rule,
)

#: Columns and dtypes of `daily_flags` (docs/schema.md); `message` is English.
FLAG_COLUMNS: dict[str, pl.DataType] = {
    "athlete_id": pl.String(),
    "day": pl.Date(),  # local date; for nightly rules the night (wake-up date)
    "rule_id": pl.String(),
    "severity": pl.String(),  # info | watch | warning
    "value": pl.Float64(),  # the measured value that tripped the rule
    "threshold": pl.Float64(),  # the boundary it crossed, in the value's unit
    "baseline": pl.Float64(),  # personal baseline compared against; null for guideline rules
    "unit": pl.String(),  # of value, threshold and baseline: the rule's `unit` in the rule file
    "message": pl.String(),
    "message_nl": pl.String(),
    "ruleset_version": pl.String(),
    "computed_at": pl.Datetime("us", "UTC"),
}


def check_ruleset(ruleset: RuleSet) -> None:
    """Raise ValueError listing every mismatch between the catalogue and the rule functions.

    Catches a typo in a TOML file before any flag is computed: unknown rule id, missing or
    extra level, missing threshold, a message field the rule does not provide.
    """
    problems = []
    for r in ruleset.enabled:
        spec = REGISTRY.get(r.id)
        if spec is None:
            problems.append(f"{r.id}: no rule function registered under this id")
            continue
        names = {level.name for level in r.levels}
        if names != set(spec.levels):
            problems.append(f"{r.id}: levels {sorted(names)}, expected {sorted(spec.levels)}")
            continue
        allowed = {"value", "threshold", "baseline", *spec.fields, *r.threshold_fields()}
        for level in r.levels:
            for key in spec.levels[level.name]:
                if key not in level.thresholds:
                    problems.append(f"{r.id}.{level.name}: threshold {key!r} missing")
            for lang in LANGUAGES:
                for name, _spec in template_fields(level.message(lang)):
                    if name not in allowed:
                        problems.append(
                            f"{r.id}.{level.name}.message_{lang}: unknown field {{{name}}}"
                            f" (available: {', '.join(sorted(allowed))})"
                        )
    if problems:
        raise ValueError("ruleset does not match the rule functions:\n  " + "\n  ".join(problems))


def configured_ruleset(path: str | None = None) -> RuleSet:
    """The rule file in force (--rules, $HERSTEL_RULES or the packaged one), checked against
    the rule functions: a typo fails here, before any computation."""
    ruleset = load_configured(path)
    check_ruleset(ruleset)
    no_unit = [r.id for r in ruleset.enabled if r.unit is None]
    if no_unit:  # daily_flags.unit must say what value and threshold are measured in
        raise ValueError(f"rules without a unit: {', '.join(no_unit)} (see docs/rules.md)")
    return ruleset


def empty_flags() -> pl.DataFrame:
    return pl.DataFrame(schema=FLAG_COLUMNS)


def _finish(cands: pl.DataFrame, r: Rule, version: str, computed_at: datetime) -> pl.DataFrame:
    """Candidates -> flag rows: severity and messages per level, version, timestamp."""
    cands = cands.with_columns(pl.lit(v).alias(k) for k, v in r.threshold_fields().items())
    parts = [
        cands.filter(pl.col("level") == level.name).with_columns(
            severity=pl.lit(level.severity),
            message=render(level.message_en, "en"),
            message_nl=render(level.message_nl, "nl"),
        )
        for level in r.levels
    ]
    done = pl.concat(
        [p.select(*CANDIDATE_COLUMNS, "severity", "message", "message_nl") for p in parts]
    )
    return done.with_columns(
        rule_id=pl.lit(r.id),
        unit=pl.lit(r.unit, dtype=pl.String),
        ruleset_version=pl.lit(version),
        computed_at=pl.lit(computed_at),
    ).select(pl.col(name).cast(dtype) for name, dtype in FLAG_COLUMNS.items())


def evaluate(
    nightly: pl.DataFrame,
    daily: pl.DataFrame,
    ruleset: RuleSet,
    computed_at: datetime,
    *,
    extra: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """All flags the enabled rules raise on `nightly` (nightly_metrics) and `daily`.

    One row per athlete, day and rule at most (each rule keeps its most severe level).
    `computed_at` is stored as UTC (a naive datetime is taken to be UTC already).
    `extra` passes further frames to rules that need them: `wellness`, `lab_results`
    (warehouse tables) and `athletes` (for profiles matched by age or sex). A rule whose
    input is absent raises nothing.
    """
    check_ruleset(ruleset)
    if computed_at.tzinfo is None:
        computed_at = computed_at.replace(tzinfo=UTC)
    computed_at = computed_at.astimezone(UTC)
    extra = dict(extra or {})
    facts = athlete_facts(extra.get("athletes"))
    ordered = sorted(ruleset.enabled, key=lambda r: REGISTRY[r.id].meta)
    flags = empty_flags()
    for r in ordered:
        parts = []
        variants: list[Profile | None] = [None, *ruleset.profiles]
        for profile in variants:
            subset = _athletes_for(profile, facts) if profile else None
            if subset is not None and not subset:
                continue
            inputs = _restrict(RuleInputs(nightly, daily, flags, extra), subset)
            cands = REGISTRY[r.id].fn(inputs, ruleset.rule_for(r.id, profile))
            if ruleset.profiles:
                cands = _keep_profile(cands, profile, ruleset.profiles, facts)
            version = f"{ruleset.version}+{profile.name}" if profile else ruleset.version
            parts.append(_finish(cands, ruleset.rule_for(r.id, profile), version, computed_at))
        flags = pl.concat([flags, *parts])
    return flags.sort("athlete_id", "day", "rule_id")


# --------------------------------------------------------------------------- profiles


def athlete_facts(athletes: pl.DataFrame | None) -> pl.DataFrame:
    """`athlete_id, birth_year, sex` (lower-case first letter), one row per athlete."""
    schema = {"athlete_id": pl.String(), "birth_year": pl.Int64(), "sex": pl.String()}
    if athletes is None or athletes.is_empty():
        return pl.DataFrame(schema=schema)
    cols = []
    for name, dtype in schema.items():
        col = pl.col(name).cast(dtype) if name in athletes.columns else pl.lit(None, dtype)
        if name == "sex":
            col = col.str.to_lowercase().str.slice(0, 1)
        cols.append(col.alias(name))
    return athletes.select(cols).unique(subset="athlete_id", keep="first")


def profile_matches(profile: Profile) -> pl.Expr:
    """True where the row (`athlete_id`, `day`, `birth_year`, `sex`) belongs to `profile`."""
    cond = pl.lit(True)
    if profile.athletes:
        cond &= pl.col("athlete_id").is_in(list(profile.athletes))
    age = pl.col("day").dt.year().cast(pl.Int64) - pl.col("birth_year")
    if profile.min_age is not None:
        cond &= age >= profile.min_age
    if profile.max_age is not None:
        cond &= age <= profile.max_age
    if profile.sex is not None:
        cond &= pl.col("sex") == profile.sex
    return cond.fill_null(False)


def profile_names(frame: pl.DataFrame, profiles: tuple[Profile, ...], facts: pl.DataFrame):
    """`frame` (with `athlete_id`, `day`) plus `_profile`: the first matching profile's name."""
    joined = frame.join(facts, on="athlete_id", how="left", maintain_order="left")
    name = pl.lit(None, dtype=pl.String)
    for p in reversed(profiles):
        name = pl.when(profile_matches(p)).then(pl.lit(p.name)).otherwise(name)
    return joined.with_columns(_profile=name).drop("birth_year", "sex")


def _athletes_for(profile: Profile, facts: pl.DataFrame) -> list[str]:
    """Athletes that may belong to `profile` on some day (its other conditions are per day)."""
    if profile.athletes and not profile.needs_facts:
        return list(profile.athletes)
    cand = facts
    if profile.athletes:
        cand = cand.filter(pl.col("athlete_id").is_in(list(profile.athletes)))
    if profile.min_age is not None or profile.max_age is not None:
        cand = cand.filter(pl.col("birth_year").is_not_null())
    if profile.sex is not None:
        cand = cand.filter(pl.col("sex") == profile.sex)
    return cand["athlete_id"].to_list()


def _restrict(inputs: RuleInputs, athletes: list[str] | None) -> RuleInputs:
    if athletes is None:
        return inputs

    def keep(frame: pl.DataFrame) -> pl.DataFrame:
        if "athlete_id" not in frame.columns:
            return frame
        return frame.filter(pl.col("athlete_id").is_in(athletes))

    return RuleInputs(
        keep(inputs.nightly),
        keep(inputs.daily),
        keep(inputs.flags),
        {k: keep(v) for k, v in inputs.extra.items()},
    )


def _keep_profile(
    cands: pl.DataFrame, profile: Profile | None, profiles: tuple[Profile, ...], facts
) -> pl.DataFrame:
    """The candidate rows whose athlete-day belongs to `profile` (None: to no profile)."""
    named = profile_names(cands, profiles, facts)
    want = pl.col("_profile").is_null() if profile is None else pl.col("_profile") == profile.name
    return named.filter(want).drop("_profile")
