"""Render message templates for many flags at once, as polars expressions.

Templates are Python-format-like strings with named fields (`{value:.0f}`), parsed once per
level and turned into a `concat_str` over columns, so a thousand flags need no Python loop.
Numbers round half away from zero (what people expect from "56.5 -> 57"); Dutch messages use
a decimal comma. A missing value renders as "–" instead of blanking the whole message.
"""

from __future__ import annotations

import string

import polars as pl

#: Decimal separator per message language.
DECIMAL = {"en": ".", "nl": ","}
MISSING = "–"


def _fixed(expr: pl.Expr, decimals: int, decimal: str) -> pl.Expr:
    x = expr.cast(pl.Float64)
    scale = 10**decimals
    scaled = (x.abs() * scale).round(0, mode="half_away_from_zero").cast(pl.Int64)
    sign = pl.when((x < 0) & (scaled > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (scaled // scale).cast(pl.String)
    if decimals == 0:
        return pl.concat_str(sign, whole)
    frac = (scaled % scale).cast(pl.String).str.zfill(decimals)
    return pl.concat_str(sign, whole, pl.lit(decimal), frac)


def _field(name: str, spec: str, decimal: str) -> pl.Expr:
    col = pl.col(name)
    out = _fixed(col, int(spec[1:-1]), decimal) if spec else col.cast(pl.String)
    return out.fill_null(MISSING)


def render(template: str, lang: str = "en") -> pl.Expr:
    """Expression producing `template` filled from the columns its fields name."""
    decimal = DECIMAL[lang]
    parts: list[pl.Expr] = []
    for literal, name, spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            parts.append(_field(name, spec or "", decimal))
    return pl.concat_str(parts) if parts else pl.lit("")
