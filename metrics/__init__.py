"""Metrics: raw warehouse frames in, nightly and daily metric frames out (pure polars).

`metrics.nightly.nightly_metrics` (sleep, resting HR, HRV, baselines), `metrics.load`
(TRIMP per activity, daily load). No DuckDB and no parsers here; see docs/metrics.md.
"""
