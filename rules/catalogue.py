"""The rule catalogue: `ruleset.toml` loaded into validated, immutable pydantic models.

Thresholds live in the TOML file, not in code (docs/rules.md), so a club can tune them and every
flag can name the ruleset version that produced it. Validation here is structural (ids,
severities, unique names, message templates that parse and use only supported formats);
`rules.evaluate.check_ruleset` checks the catalogue against the rule functions.
"""

from __future__ import annotations

import hashlib
import os
import re
import string
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The ruleset shipped with herstel.
DEFAULT_RULESET = Path(__file__).with_name("ruleset.toml")
#: Environment variable naming a user's own rule file (the `--rules FILE` option wins).
RULES_ENV = "HERSTEL_RULES"

Severity = Literal["info", "watch", "warning"]
#: Units a flag's value, threshold and baseline can be in (stored in daily_flags.unit):
#: score_1_10 = a self-reported 1-10 score; rules = a count of different rules.
Unit = Literal["bpm", "ms", "h", "days", "trimp", "score_1_10", "ug/L", "nmol/L", "rules"]
#: Severities from least to most severe; used to keep the most severe flag.
SEVERITY_ORDER: dict[str, int] = {"info": 0, "watch": 1, "warning": 2}
#: Languages every level must have a message in: message_en -> `message`, message_nl.
LANGUAGES = ("en", "nl")

_IDENT = r"^[a-z][a-z0-9_]*$"
#: Supported format specs in templates: none, or fixed decimals ".Nf".
_SPEC = re.compile(r"^(\.\d+f)?$")


def template_fields(template: str) -> list[tuple[str, str]]:
    """(field, format spec) pairs of a message template; raises ValueError on bad syntax."""
    fields = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not re.match(_IDENT, name) or conversion:
            raise ValueError(f"unsupported placeholder {{{name}}} in template {template!r}")
        if not _SPEC.match(spec or ""):
            raise ValueError(f"unsupported format '{spec}' for {{{name}}}: use '' or '.Nf'")
        fields.append((name, spec or ""))
    return fields


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Frozen):
    """One case a rule detects, with its severity, thresholds, source and messages."""

    name: str = Field(pattern=_IDENT)
    severity: Severity
    thresholds: dict[str, float] = Field(default_factory=dict)
    source: str = Field(min_length=1)
    #: the condition in words, for `herstel rules` (thresholds are listed when absent)
    when: str = ""
    message_en: str = Field(min_length=1)
    message_nl: str = Field(min_length=1)

    @field_validator("message_en", "message_nl")
    @classmethod
    def _template_parses(cls, value: str) -> str:
        template_fields(value)
        return value

    @field_validator("thresholds")
    @classmethod
    def _threshold_names(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if not re.match(_IDENT, key):
                raise ValueError(f"threshold name {key!r} must be lower_snake_case")
        return value

    def message(self, lang: str) -> str:
        return {"en": self.message_en, "nl": self.message_nl}[lang]

    def describe(self) -> str:
        """The condition in words (TOML `when`), else its thresholds as name=value."""
        if self.when:
            return self.when
        return ", ".join(f"{k}={v:g}" for k, v in self.thresholds.items())


class Rule(_Frozen):
    """One rule: an id users rely on (docs/rules.md), what it reads, its unit, and its levels."""

    id: str = Field(pattern=_IDENT)
    title: str = Field(min_length=1)
    description: str = ""
    applies_to: Literal["night", "day"]
    #: unit of the flag's value, threshold and baseline; every packaged rule has one
    unit: Unit | None = None
    enabled: bool = True
    levels: tuple[Level, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_levels(self) -> Rule:
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"rule {self.id}: level names repeat: {names}")
        return self

    def level(self, name: str) -> Level:
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(f"rule {self.id} has no level {name!r}")

    def threshold(self, level: str, key: str) -> float:
        """A threshold by level and name, with an error that says which one is missing."""
        try:
            return self.level(level).thresholds[key]
        except KeyError:
            raise KeyError(f"rule {self.id}, level {level}: threshold {key!r} missing") from None

    @property
    def source(self) -> str:
        """The distinct sources of the rule's thresholds, in level order."""
        return "; ".join(dict.fromkeys(level.source for level in self.levels))

    def threshold_fields(self) -> dict[str, float]:
        """Every threshold as a template field `<level>_<name>`."""
        return {
            f"{level.name}_{key}": value
            for level in self.levels
            for key, value in level.thresholds.items()
        }


class Profile(_Frozen):
    """Threshold overrides for a group of athletes (an older athlete, a known low-HRV one).

    An athlete-day belongs to the profile when every condition given holds: `athletes` (ids),
    `min_age` / `max_age` (age in the day's calendar year, from `athletes.birth_year`),
    `sex` (`f` or `m`, first letter of `athletes.sex`, any case). The first matching profile
    in file order applies; flags it produces carry `ruleset_version` `<version>+<name>`.
    `thresholds` maps rule id -> level -> threshold name -> value; unlisted ones keep the
    rule's own.
    """

    name: str = Field(pattern=_IDENT)
    description: str = ""
    source: str = ""
    athletes: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    sex: Literal["f", "m"] | None = None
    thresholds: dict[str, dict[str, dict[str, float]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_condition(self) -> Profile:
        if not (self.athletes or self.min_age is not None or self.max_age is not None
                or self.sex):  # fmt: skip
            raise ValueError(f"profile {self.name}: give athletes, min_age, max_age or sex")
        return self

    @property
    def needs_facts(self) -> bool:
        """True when matching reads birth_year or sex (not just the athlete id)."""
        return self.min_age is not None or self.max_age is not None or self.sex is not None


class WorsenStep(_Frozen):
    """How far past its threshold a flag's value must move to count as a further step:
    `pct` percent of the threshold, or `abs` in the value's unit (exactly one)."""

    pct: float | None = Field(default=None, gt=0)
    abs: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> WorsenStep:
        if (self.pct is None) == (self.abs is None):
            raise ValueError("give exactly one of pct or abs")
        return self


class EpisodePolicy(_Frozen):
    """When daily flags of one rule form one episode, and when an episode worsens.

    See rules/episodes.py and docs/rules.md: flags of the same athlete and rule join one
    episode while at most `quiet_days` days without that flag lie between them (per rule in
    `quiet_days_by_rule`); an episode worsens when its severity rises above every earlier
    day's or, at that severity, its value passes a further `worsen_steps` step. Entries
    naming a rule the catalogue does not have are unused (a club may drop a rule).
    """

    quiet_days: int = Field(default=3, ge=0)
    quiet_days_by_rule: dict[str, int] = Field(default_factory=dict)
    worsen_steps: dict[str, WorsenStep] = Field(default_factory=dict)
    source: str = ""

    def quiet_for(self, rule_id: str) -> int:
        return self.quiet_days_by_rule.get(rule_id, self.quiet_days)


class RuleSet(_Frozen):
    """A versioned catalogue of rules, keyed by rule id in file order."""

    version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")
    source: str = ""
    rules: dict[str, Rule]
    profiles: tuple[Profile, ...] = ()
    episodes: EpisodePolicy = Field(default_factory=EpisodePolicy)

    @field_validator("rules", mode="before")
    @classmethod
    def _key_by_id(cls, value: object) -> object:
        """TOML has an array of `[[rules]]` tables; key them by their `id`, once each."""
        if not isinstance(value, list | tuple):
            return value
        keyed: dict[str, object] = {}
        for item in value:
            rule_id = item.get("id") if isinstance(item, dict) else getattr(item, "id", None)
            if rule_id in keyed:
                raise ValueError(f"rule id {rule_id!r} appears twice")
            keyed[str(rule_id)] = item
        return keyed

    @model_validator(mode="after")
    def _keys_are_ids(self) -> RuleSet:
        for key, rule in self.rules.items():
            if key != rule.id:
                raise ValueError(f"rule keyed {key!r} has id {rule.id!r}")
        return self

    @model_validator(mode="after")
    def _profiles_override_what_exists(self) -> RuleSet:
        names = [p.name for p in self.profiles]
        if len(set(names)) != len(names):
            raise ValueError(f"profile names repeat: {names}")
        for p in self.profiles:
            for rule_id, levels in p.thresholds.items():
                if rule_id not in self.rules:
                    raise ValueError(f"profile {p.name}: no rule {rule_id!r}")
                r = self.rules[rule_id]
                for level, values in levels.items():
                    known = {lv.name: lv for lv in r.levels}
                    if level not in known:
                        raise ValueError(f"profile {p.name}: rule {rule_id} has no level {level!r}")
                    for key in values:
                        if key not in known[level].thresholds:
                            raise ValueError(
                                f"profile {p.name}: {rule_id}.{level} has no threshold {key!r}"
                            )
        return self

    def profile(self, name: str) -> Profile:
        for p in self.profiles:
            if p.name == name:
                return p
        raise KeyError(f"no profile {name!r} in ruleset {self.version}")

    def rule_for(self, rule_id: str, profile: Profile | None) -> Rule:
        """The rule with the profile's threshold overrides applied (the rule itself if none)."""
        r = self.rule(rule_id)
        overrides = profile.thresholds.get(rule_id, {}) if profile else {}
        if not overrides:
            return r
        levels = tuple(
            lv.model_copy(update={"thresholds": {**lv.thresholds, **overrides.get(lv.name, {})}})
            for lv in r.levels
        )
        return r.model_copy(update={"levels": levels})

    def rule(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"no rule {rule_id!r} in ruleset {self.version}") from None

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules.values() if rule.enabled)


def load_ruleset(path: str | Path | None = None) -> RuleSet:
    """Read and validate a ruleset TOML file (default: the one shipped with herstel).

    Raises `pydantic.ValidationError` (a ValueError) naming the offending rule and field.
    """
    with open(path or DEFAULT_RULESET, "rb") as handle:
        return RuleSet.model_validate(tomllib.load(handle))


def rules_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The rule file in force: `path` (--rules), else $HERSTEL_RULES, else the packaged one."""
    return Path(path or os.environ.get(RULES_ENV) or DEFAULT_RULESET)


def load_configured(path: str | os.PathLike[str] | None = None) -> RuleSet:
    """The rule file in force, its version tagged when it is not the packaged file.

    A user's file that differs from the packaged one records `<version>-local.<8 hex>` (a
    sha256 prefix of its content) in every flag row and nightly run: two edits that forget to
    bump `version` still tell apart, and a changed file makes the next nightly run recompute.
    """
    source = rules_path(path)
    if not source.is_file():
        raise FileNotFoundError("no such file")
    content = source.read_bytes()
    ruleset = load_ruleset(source)
    if content == DEFAULT_RULESET.read_bytes():
        return ruleset
    digest = hashlib.sha256(content).hexdigest()[:8]
    return ruleset.model_copy(update={"version": f"{ruleset.version}-local.{digest}"})
