"""One session recorded twice is one session: link overlapping recordings of one athlete.

A watch and a bike computer (or a watch and a Strava-style GPX export) of the same ride are
two rows in `activities`. Both stay there (each is traceable to its file), but only the
best-measured one counts for load: `counts_for_load` is false on the others and
`duplicate_of` names the file of the recording that counts instead. docs/metrics.md
"Sessions recorded twice" states the rule.
"""

from __future__ import annotations

import polars as pl

#: Two recordings of one athlete are the same session when they overlap by at least this
#: share of the shorter one. A watch and a bike computer started a minute apart overlap
#: ~100 %; back-to-back sessions (a run after a ride) overlap 0 %; 50 % is herstel's choice.
OVERLAP_MIN_SHARE = 0.5
#: How many later-starting recordings each one is compared with (recordings sorted by start):
#: up to this many + 1 recordings of one session are linked.
NEIGHBOURS = 3
#: Quality of a recording for load, best first: HR samples, average HR only, no HR.
METHOD_RANK = {"banister_hr": 2, "banister_avg_hr": 1}


def _rank(row: dict) -> tuple:
    """Sort key, best recording first: HR samples > average HR > none; then the longer,
    then the earlier start, then the file id (so the choice never depends on row order)."""
    return (
        -METHOD_RANK.get(row["trimp_method"] or "", 0),
        -(row["duration_s"] or 0.0),
        row["start_ts"],
        row["file_id"],
    )


def _pairs(acts: pl.DataFrame) -> pl.DataFrame:
    """`_i, _j, _share`: recordings of one athlete overlapping by >= OVERLAP_MIN_SHARE."""
    base = acts.select("_i", "athlete_id", "_start", "_end", "_dur").sort("athlete_id", "_start")
    parts = []
    for k in range(1, NEIGHBOURS + 1):
        other = {
            c: pl.col(c).shift(-k).over("athlete_id") for c in ("_i", "_start", "_end", "_dur")
        }
        overlap = pl.min_horizontal("_end", other["_end"]) - pl.max_horizontal(
            "_start", other["_start"]
        )
        shorter = pl.min_horizontal("_dur", other["_dur"])
        parts.append(
            base.select(
                "_i",
                _j=other["_i"],
                _share=(overlap.dt.total_microseconds() / 1e6) / shorter,
                _ok=(shorter > 0),
            ).filter(pl.col("_j").is_not_null() & pl.col("_ok"))
        )
    return pl.concat(parts).filter(pl.col("_share") >= OVERLAP_MIN_SHARE).drop("_ok")


def link_duplicates(activities: pl.DataFrame) -> pl.DataFrame:
    """`activities` (with `trimp_method`) plus `counts_for_load` and `duplicate_of`.

    Recordings are taken best first (see `_rank`); each is kept unless it overlaps a kept one
    by >= OVERLAP_MIN_SHARE of the shorter of the two, in which case `duplicate_of` is the
    file id of the kept recording it overlaps most. Greedy, so a watch recording of a whole
    brick (ride + run) and a bike computer's ride keep the ride's best recording and the run.
    Rows and order are unchanged.
    """
    acts = activities.drop("counts_for_load", "duplicate_of", strict=False)
    if acts.is_empty():
        return acts.with_columns(
            counts_for_load=pl.lit(None, dtype=pl.Boolean), duplicate_of=pl.lit(None, pl.String)
        )
    dur = pl.col("duration_s").fill_null(0.0).clip(lower_bound=0.0)
    framed = acts.with_row_index("_i").with_columns(
        _start=pl.col("start_ts"),
        _end=pl.col("start_ts") + pl.duration(microseconds=(dur * 1e6).cast(pl.Int64)),
        _dur=dur,
    )
    pairs = _pairs(framed)
    dup_of: dict[int, str] = {}
    if pairs.height:
        involved = set(pairs["_i"].to_list()) | set(pairs["_j"].to_list())
        rows = {
            r["_i"]: r
            for r in framed.filter(pl.col("_i").is_in(list(involved)))
            .select("_i", "file_id", "start_ts", "duration_s", "trimp_method")
            .iter_rows(named=True)
        }
        share: dict[int, dict[int, float]] = {}
        for i, j, s in pairs.iter_rows():
            share.setdefault(i, {})[j] = s
            share.setdefault(j, {})[i] = s
        kept: set[int] = set()
        for row in sorted(rows.values(), key=_rank):
            i = row["_i"]
            hits = {k: s for k, s in share[i].items() if k in kept}
            if hits:
                best = max(hits, key=lambda k: (hits[k], -k))
                dup_of[i] = rows[best]["file_id"]
            else:
                kept.add(i)
    links = pl.DataFrame(
        {"_i": list(dup_of), "duplicate_of": list(dup_of.values())},
        schema={"_i": pl.UInt32, "duplicate_of": pl.String},
    )
    return (
        framed.join(links, on="_i", how="left", maintain_order="left")
        .with_columns(counts_for_load=pl.col("duplicate_of").is_null())
        .select(*acts.columns, "counts_for_load", "duplicate_of")
    )

