"""Rules: the versioned catalogue (`ruleset.toml`, `rules.catalogue`) and its evaluator.

`rules.evaluate.evaluate(nightly, daily, ruleset, computed_at)` returns `daily_flags` rows;
see docs/rules.md.
"""
