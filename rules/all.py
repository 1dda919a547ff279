"""Every rule module, imported once so that its `@rule` functions register.

The one place that lists them: a new rule module is added here. `rules.evaluate` imports
this module, so evaluating (or checking a ruleset) always sees the full registry.
"""

from rules import basics, combined, hrv, labs, self_report, training  # noqa: F401

MODULES = (basics, hrv, training, self_report, labs, combined)
