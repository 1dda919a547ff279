"""The HRV rules: the guideline's fixed lines, and departures from the athlete's own normal.

The guideline's numbers (RMSSD under 50 ms a warning, 50-70 ms a watch) describe a typical
adult on a chest strap. Many healthy athletes (older ones, and on some wrist devices) sit
below 50 ms every night; flagging them every night teaches a coach to ignore red. So:

- `hrv_usual_below_guideline` (info) says once per period that the athlete's usual HRV (the
  geometric mean of the 60 nights before, at least 7 with HRV, as for the other personal
  baselines) is under the warning line (50 ms) or under the normal line (70 ms); before 7
  nights the fixed lines apply;
- during such a period `hrv_low` does not compare nights with the fixed lines but with the
  athlete's own normal (level `personal`): a night far below the usual value (more than
  `sd_factor` SDs of ln RMSSD and at least `min_drop_pct` %) is a warning;
- a period starts on the first night the usual value is under a line and ends once it is
  back at or above that line + `rejoin_pct` % (or the baseline lapses for lack of nights), so
  a usual value hovering at a line gives one info, not one a week.

Only RMSSD values are compared (all `nightly_metrics.hrv_method`s are RMSSD; Apple's SDNN is
never stored in hrv_ms); each message names the method and, when the files table is given,
the device that measured it.
"""

from __future__ import annotations

import math

import polars as pl

from metrics.baseline import recent_mean, trailing_mean, trailing_std
from rules.catalogue import Rule
from rules.registry import RuleInputs, rule

#: hrv_method values that are RMSSD (metrics/nightly.py), in words for the messages.
RMSSD_METHODS = {
    "rr_rmssd_5min": ("RMSSD from beat-to-beat intervals", "RMSSD uit hartslagintervallen"),
    "device_5min": ("the device's 5-minute RMSSD", "RMSSD per 5 minuten van het apparaat"),
    "device_nightly": ("the device's nightly RMSSD", "RMSSD per nacht van het apparaat"),
}
SOURCE_FIELDS = ("hrv_source", "hrv_source_nl")


def _ln() -> pl.Expr:
    return pl.when(pl.col("hrv_ms") > 0).then(pl.col("hrv_ms").cast(pl.Float64).log())


def _with_source(nightly: pl.DataFrame, files: pl.DataFrame | None) -> pl.DataFrame:
    """`hrv_source` / `hrv_source_nl`: the method in words, plus the vendor and device of
    the file the value came from when `files` (file_id, vendor, device) is given."""
    en = pl.col("hrv_method").replace_strict(
        {k: v[0] for k, v in RMSSD_METHODS.items()}, default=pl.col("hrv_method")
    )
    nl = pl.col("hrv_method").replace_strict(
        {k: v[1] for k, v in RMSSD_METHODS.items()}, default=pl.col("hrv_method")
    )
    device = pl.lit(None, pl.String)
    if files is not None and {"file_id", "vendor", "device"} <= set(files.columns):
        devices = files.select(
            hrv_file_id="file_id",
            _device=pl.concat_str(
                pl.col("vendor"), pl.col("device"), separator=" ", ignore_nulls=True
            ),
        ).unique(subset="hrv_file_id")
        nightly = nightly.join(devices, on="hrv_file_id", how="left", maintain_order="left")
        device = pl.when(pl.col("_device").str.len_chars() > 0).then(pl.col("_device"))
    suffix = pl.concat_str(pl.lit(", "), device).fill_null("")
    return nightly.with_columns(
        hrv_source=pl.concat_str(en, suffix).fill_null("RMSSD"),
        hrv_source_nl=pl.concat_str(nl, suffix).fill_null("RMSSD"),
    )


def usual_hrv(nightly: pl.DataFrame, window: int, min_nights: int) -> pl.DataFrame:
    """Nightly rows (RMSSD only) with `_ln`, `_ln_base` and `_ln_sd`: mean and SD of ln
    RMSSD over nights D-window..D-1 (at least `min_nights`), sorted by athlete and night."""
    cols = ["athlete_id", "night", "hrv_ms", "hrv_method"]
    cols += [c for c in ("hrv_file_id",) if c in nightly.columns]
    # hrv_ms is RMSSD by definition (docs/metrics.md); a method outside RMSSD_METHODS would
    # be some other measure and is not compared (null: frames built without a method)
    rows = nightly.select(cols).filter(
        pl.col("hrv_method").is_in(list(RMSSD_METHODS)).fill_null(True)
    )
    return (
        rows.sort("athlete_id", "night")
        .with_columns(_ln=_ln())
        .with_columns(
            _ln_base=trailing_mean("_ln", window_days=window, min_count=min_nights).over(
                "athlete_id"
            ),
            _ln_sd=trailing_std("_ln", window_days=window, min_count=min_nights).over(
                "athlete_id"
            ),
        )
    )


def usual_below(line_ms: float, rejoin_pct: float) -> pl.Expr:
    """True on nights inside a period whose usual HRV is under `line_ms` (frame from
    `usual_hrv`): enters under the line, leaves at line x (1 + rejoin_pct/100) or when the
    baseline lapses; in between the state carries over."""
    base = pl.col("_ln_base")
    state = (
        pl.when(base.is_null())
        .then(pl.lit(False))
        .when(base < math.log(line_ms))
        .then(pl.lit(True))
        .when(base >= math.log(line_ms * (1 + rejoin_pct / 100)))
        .then(pl.lit(False))
    )
    return state.forward_fill().over("athlete_id").fill_null(False)


def usual_periods(low_ms: float, normal_ms: float, rejoin_pct: float) -> dict[str, pl.Expr]:
    """`_below_low` / `_below_normal`: nights inside a period whose usual HRV is under the
    warning line / under the normal line (`usual_below` for each)."""
    return {
        "_below_low": usual_below(low_ms, rejoin_pct),
        "_below_normal": usual_below(normal_ms, rejoin_pct),
    }


def _starts(col: str) -> pl.Expr:
    return pl.col(col) & ~pl.col(col).shift(1).over("athlete_id").fill_null(False)


@rule(
    "hrv_low",
    levels={
        "low": ("ms_below",),
        "reduced": ("ms_upto",),
        "personal": ("sd_factor", "min_drop_pct", "baseline_nights", "baseline_min_nights",
                     "rejoin_pct"),
    },
    fields=(*SOURCE_FIELDS, "pct"),
)  # fmt: skip
def hrv_low(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Fixed lines: warning under `low`, watch from `low` up to and including `reduced`.

    On nights inside a period whose usual HRV is under the `reduced` (normal) line (see module
    doc) the fixed lines do not apply; instead `personal` warns when the night's RMSSD is
    under usual x exp(-max(k SD, floor)), floor = -ln(1 - min_drop_pct/100).
    baseline = the usual value (geometric mean, ms); pct = how far under it the night is.
    """
    low, upto = r.threshold("low", "ms_below"), r.threshold("reduced", "ms_upto")
    t = r.level("personal").thresholds
    frame = usual_hrv(inputs.nightly, int(t["baseline_nights"]), int(t["baseline_min_nights"]))
    frame = _with_source(frame, inputs.extra.get("files")).with_columns(
        **usual_periods(low, upto, t["rejoin_pct"])
    )
    floor = -math.log(1 - t["min_drop_pct"] / 100)
    ln_bound = pl.col("_ln_base") - pl.max_horizontal(t["sd_factor"] * pl.col("_ln_sd"), floor)
    v = pl.col("hrv_ms")
    level = (
        pl.when(pl.col("_below_normal"))
        .then(pl.when(pl.col("_ln") < ln_bound).then(pl.lit("personal")))
        .when(v < low)
        .then(pl.lit("low"))
        .when(v <= upto)
        .then(pl.lit("reduced"))
    )
    threshold = (
        pl.when(pl.col("level") == "personal")
        .then(ln_bound.exp())
        .when(pl.col("level") == "low")
        .then(low)
        .otherwise(upto)
    )
    base = pl.col("_ln_base").exp()
    return (
        frame.filter(v.is_not_null())
        .with_columns(level=level)
        .filter(pl.col("level").is_not_null())
        .select(
            "athlete_id",
            day=pl.col("night"),
            level="level",
            value=v,
            threshold=threshold,
            baseline=pl.when(pl.col("level") == "personal").then(base),
            pct=100 * (1 - v / base),
            hrv_source="hrv_source",
            hrv_source_nl="hrv_source_nl",
        )
    )


@rule(
    "hrv_usual_below_guideline",
    levels={
        "usual_below": ("ms_below", "rejoin_pct", "baseline_nights", "baseline_min_nights"),
        "usual_reduced": ("ms_below",),
    },
    fields=SOURCE_FIELDS,
)
def hrv_usual_below_guideline(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Info on the first night of each period (module doc): `usual_below` when the usual
    value went under the warning line, `usual_reduced` when it went under the normal line
    (but not the warning line). value = the usual value (geometric mean, ms), threshold =
    the line, baseline = value."""
    t = r.level("usual_below").thresholds
    low, normal = t["ms_below"], r.threshold("usual_reduced", "ms_below")
    frame = usual_hrv(inputs.nightly, int(t["baseline_nights"]), int(t["baseline_min_nights"]))
    frame = _with_source(frame, inputs.extra.get("files"))
    periods = frame.with_columns(**usual_periods(low, normal, t["rejoin_pct"])).with_columns(
        level=pl.when(_starts("_below_low"))
        .then(pl.lit("usual_below"))
        .when(_starts("_below_normal") & ~pl.col("_below_low"))
        .then(pl.lit("usual_reduced"))
    )
    starts = periods.filter(pl.col("level").is_not_null())
    # the source of the usual value: the latest night with HRV before the first night
    source = frame.filter(pl.col("hrv_ms").is_not_null()).select(
        "athlete_id", "night", _src="hrv_source", _src_nl="hrv_source_nl"
    )
    starts = starts.sort("athlete_id", "night").join_asof(
        source.sort("athlete_id", "night"), on="night", by="athlete_id", strategy="backward",
        allow_exact_matches=False, check_sortedness=False,
    )  # fmt: skip
    usual = pl.col("_ln_base").exp()
    return starts.select(
        "athlete_id",
        day=pl.col("night"),
        level="level",
        value=usual,
        threshold=pl.when(pl.col("level") == "usual_below").then(low).otherwise(normal),
        baseline=usual,
        hrv_source=pl.col("_src").fill_null("RMSSD"),
        hrv_source_nl=pl.col("_src_nl").fill_null("RMSSD"),
    ).sort("athlete_id", "day")


@rule(
    "hrv_below_baseline",
    levels={
        "below": ("sd_factor", "min_drop_pct", "recent_nights", "recent_min_nights",
                  "baseline_nights", "baseline_min_nights"),
    },
    fields=("nights", "ln_value", "ln_threshold", "ln_baseline", "ln_sd", "floor_pct",
            *SOURCE_FIELDS),
)  # fmt: skip
def hrv_below_baseline(inputs: RuleInputs, r: Rule) -> pl.DataFrame:
    """Watch when the 7-night mean of ln(RMSSD) is below the 60-night mean minus the
    smallest worthwhile change, max(0.5 SD, floor), floor = -ln(1 - min_drop_pct/100).

    Smallest-worthwhile-change method (Plews et al. 2012/2013; Buchheit 2014); the floor
    keeps a very steady athlete (tiny SD) from being flagged on a dip of 1-2 %, which is
    within the night-to-night measurement noise. Windows are calendar nights: recent =
    nights D-6..D (at least `recent_min_nights` with HRV), baseline = mean and SD (ddof 1)
    of nights D-60..D-1 (at least `baseline_min_nights`). Only nights with an HRV value are
    evaluated. value / threshold / baseline are in ms (exp of the ln values: geometric
    means); the ln values are message fields.
    """
    t = r.level("below").thresholds
    k, recent = t["sd_factor"], int(t["recent_nights"])
    floor = -math.log(1 - t["min_drop_pct"] / 100)
    frame = usual_hrv(inputs.nightly, int(t["baseline_nights"]), int(t["baseline_min_nights"]))
    frame = _with_source(frame, inputs.extra.get("files")).with_columns(
        ln_value=recent_mean("_ln", window_days=recent, min_count=int(t["recent_min_nights"]))
        .over("athlete_id"),
        _n=pl.col("_ln")
        .is_not_null()
        .cast(pl.Int64)
        .rolling_sum_by("night", f"{recent}d", closed="right")
        .over("athlete_id"),
        ln_threshold=pl.col("_ln_base") - pl.max_horizontal(k * pl.col("_ln_sd"), floor),
    )
    return frame.filter(
        pl.col("_ln").is_not_null()
        & pl.col("ln_threshold").is_not_null()
        & pl.col("ln_value").is_not_null()
        & (pl.col("ln_value") < pl.col("ln_threshold"))
    ).select(
        "athlete_id",
        day=pl.col("night"),
        level=pl.lit("below"),
        value=pl.col("ln_value").exp(),
        threshold=pl.col("ln_threshold").exp(),
        baseline=pl.col("_ln_base").exp(),
        nights=pl.col("_n").cast(pl.Float64),
        ln_value="ln_value",
        ln_threshold="ln_threshold",
        ln_baseline="_ln_base",
        ln_sd="_ln_sd",
        floor_pct=pl.lit(t["min_drop_pct"]),
        hrv_source="hrv_source",
        hrv_source_nl="hrv_source_nl",
    )

