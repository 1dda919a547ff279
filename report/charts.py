"""Vega-Lite chart templates, built with altair once per report.

A chart here holds no data: every layer reads a named dataset (`nightly`, `flags`, `daily`,
`weekly`, `files`, `spark`) that the page supplies, and the time axis reads the page's
`x_start`/`x_end` parameters. So one template serves every athlete, the specs are built and
validated once (not 50 times), and all charts of a page share the same days on the x axis.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from report.data import Guides
from report.text import ui

INK = "#2f3b48"
MUTED = "#8a96a3"
BAND = "#d0e9d8"
OK = "#4e9a6a"
WARN = "#c4553a"
WATCH = "#d99a1e"
INFO = "#5b84b1"
SLEEP = {"ok": "#86aed3", "off": "#e8bd72", "short": "#d9826d"}
LOAD = {"endurance": "#9fb4c9", "strength": "#52677e"}
#: A layer drawn from constants only (a guideline) still needs one row of data to draw.
ONE_ROW = alt.Data(values=[{}])
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

#: Severity colours, in one scale for every chart.
SEVERITY = alt.Scale(domain=["warning", "watch", "info"], range=[WARN, WATCH, INFO])
#: Template parameters the page overrides: the shown period in ms since the epoch (UTC).
X_PARAMS = ("x_start", "x_end")
#: Axis dates as '18 Oct' / '18 okt' (the month names come from the page's locale).
DAY_FORMAT = "%-d %b"
#: Periods longer than this (in days) label the axis by month and year ('Oct 2026').
LONG_PERIOD_DAYS = 180
#: Axis labels that show years when the period needs them: month and year for a long period,
#: day, month and year for a short one that crosses New Year, else day and month. Reads the
#: page's x_start/x_end, so one template serves a 10-week club page and a 12-year study.
AXIS_LABEL = (
    f"(x_end - x_start) > {LONG_PERIOD_DAYS * 86_400_000} ? utcFormat(datum.value, '%b %Y') : "
    "utcyear(x_start) != utcyear(x_end - 1) ? utcFormat(datum.value, '%-d %b %Y') : "
    f"utcFormat(datum.value, '{DAY_FORMAT}')"
)

CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "labelColor": "#5b6670",
        "titleColor": "#5b6670",
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "gridColor": "#edf0f3",
        "domainColor": "#c9d0d6",
        "tickColor": "#c9d0d6",
    },
    "axisX": {"grid": False, "labelFlush": True},
    "line": {"invalid": "break-paths-show-domains"},
    "area": {"invalid": "break-paths-show-domains"},
}


#: Validate specs against the Vega-Lite schema while building them. Off when writing a
#: report (validation costs ~1.5 s per report); the tests build every spec with it on.
VALIDATE = False


def _to_dict(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict(validate=VALIDATE)


def _x(field: str = "night", centred: bool = True) -> alt.X:
    """Days on a UTC scale: a date 'YYYY-MM-DD' is a whole day; points sit in its middle.

    Every layer repeats the same axis: one layer without it would drop the merged axis.
    """
    return alt.X(
        f"{field}:T",
        timeUnit="utcyearmonthdate",
        bandPosition=0.5 if centred else alt.Undefined,
        scale=alt.Scale(type="utc", domain=[alt.ExprRef("x_start"), alt.ExprRef("x_end")]),
        axis=_date_axis(),
    )


def _date_axis() -> alt.Axis:
    return alt.Axis(title=None, labelOverlap=True, format=DAY_FORMAT, labelExpr=AXIS_LABEL)


def _y(field: str, title: str, zero: bool = False) -> alt.Y:
    """A value axis; every layer of a chart repeats the title so Vega-Lite does not join
    the layers' field names into one."""
    scale = (
        alt.Scale(zero=True, nice=True) if zero else alt.Scale(zero=False, nice=True, padding=14)
    )
    return alt.Y(f"{field}:Q", title=title, scale=scale)


def _date_tip(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(
        f"{field}:T", timeUnit="utcyearmonthdate", format="%a %-d %b %Y", title=title
    )


def _source(key: str) -> dict[str, Any]:
    """Lookup of a file index in the page's `files` table: the path in the tooltip."""
    return {
        "lookup": f"{key}_f",
        "from": {"data": {"name": "files"}, "key": "i", "fields": ["path"]},
        "as": [f"{key}_path"],
    }


def _hover(tips: list[alt.Tooltip], lookups: list[dict[str, Any]]) -> alt.Chart:
    """A full-height band per night: hovering anywhere in a night shows all its values.

    Not a `nearest` selection: Vega-Lite's voronoi loses nominal tooltip fields (method,
    source file show as undefined), and a band per day is easier to hit anyway.
    """
    pick = alt.selection_point(
        name="hover", fields=["night"], on="pointerover", clear="pointerout", empty=False
    )
    chart = alt.Chart(alt.NamedData(name="nightly"))
    for lookup in lookups:
        chart = chart.transform_lookup(
            **{("from_" if k == "from" else k): v for k, v in lookup.items()}
        )
    return (
        chart.mark_rect(color="#8a96a3")
        .encode(
            x=_x(centred=False),
            opacity=alt.condition(pick, alt.value(0.16), alt.value(0.001)),
            tooltip=tips,
        )
        .add_params(pick)
    )


#: Where a flag's number goes (the page's `pos`): above, or below a value under its
#: threshold (low HRV, resting HR below the baseline).
LABEL_OFFSETS = {"a": -15, "b": 19}


def _flag_layers(
    chart: str, words: dict[str, str], title: str, zero: bool = False
) -> list[alt.Chart]:
    """Rings on the flagged day's value, coloured by severity, the value written by it."""
    flags = alt.Chart(alt.NamedData(name="flags")).transform_filter(alt.datum.chart == chart)
    tips = [
        _date_tip("day", words["day_label"]),
        alt.Tooltip("rule:N", title=words["flag"]),
        alt.Tooltip("sev_l:N", title=words["severity"].lower()),
        alt.Tooltip("msg:N", title=words["message"].lower()),
    ]
    rings = flags.mark_point(filled=False, size=190, strokeWidth=2.4, opacity=1).encode(
        x=_x("day"),
        y=_y("y", title, zero),
        color=alt.Color("severity:N", scale=SEVERITY, legend=None),
        tooltip=tips,
    )
    labels = [
        flags.transform_filter(alt.datum.pos == pos)
        .mark_text(dy=dy, fontSize=11, fontWeight="bold")
        .encode(
            x=_x("day"),
            y=_y("y", title, zero),
            text="label:N",
            color=alt.Color("label_sev:N", scale=SEVERITY, legend=None),
        )
        .properties(name=f"labels_{chart}_{pos}")
        for pos, dy in LABEL_OFFSETS.items()
    ]
    return [rings.properties(name=f"flags_{chart}"), *labels]


def _finish(
    layers: list[alt.Chart], height: int, extra_params: tuple[str, ...] = ()
) -> dict[str, Any]:
    # each layer keeps its own colours: severity rings must not share the bars' scale
    chart = (
        alt.layer(*layers)
        .properties(width="container", height=height)
        .resolve_scale(color="independent")
    )
    names = (*X_PARAMS, *extra_params)
    chart = chart.add_params(*(alt.param(name=name, value=0) for name in names))
    spec = _to_dict(chart)
    spec["config"] = CONFIG
    spec.pop("$schema", None)
    return spec


def rhr_chart(guides: Guides, words: dict[str, str]) -> dict[str, Any]:
    """Resting HR against the personal band (−10 % … +5 %) and the warning line (+8 %)."""
    base = alt.Chart(alt.NamedData(name="nightly"))
    y = _y("rhr", words["y_rhr"])
    title = words["y_rhr"]
    band = base.mark_area(color=BAND, opacity=0.9).encode(
        x=_x(), y=_y("rhr_lo", title), y2="rhr_hi:Q"
    )
    baseline = base.mark_line(color=MUTED, strokeWidth=1.3).encode(x=_x(), y=_y("rhr_base", title))
    warn = base.mark_line(color=WARN, strokeWidth=1.2, strokeDash=[5, 4]).encode(
        x=_x(), y=_y("rhr_warn", title)
    )
    line = base.mark_line(
        color=INK, strokeWidth=1.8, point=alt.OverlayMarkDef(size=16, color=INK)
    ).encode(x=_x(), y=y)
    tips = [
        _date_tip("night", words["date"]),
        alt.Tooltip("rhr:Q", format=".0f", title=f"{words['rhr']} ({words['unit_bpm']})"),
        alt.Tooltip("rhr_base:Q", format=".1f", title=words["baseline"]),
        alt.Tooltip("rhr_dev:Q", format="+.1f", title=f"{words['deviation']} (%)"),
        alt.Tooltip("rhr_m:N", title=words["method"]),
        alt.Tooltip("rhr_path:N", title=words["file"]),
    ]
    hover = _hover(tips, [_source("rhr")])
    return _finish([band, baseline, warn, line, hover, *_flag_layers("rhr", words, title)], 230)


def hrv_chart(guides: Guides, words: dict[str, str]) -> dict[str, Any]:
    """Nightly RMSSD with the guideline lines (50 and 70 ms) and the personal average."""
    base = alt.Chart(alt.NamedData(name="nightly"))
    y = _y("hrv", words["y_hrv"])
    lines = []
    for value, colour, key in (
        (guides.hrv_normal_ms, WATCH, "normal_above"),
        (guides.hrv_warn_ms, WARN, "warn_below"),
    ):
        rule = (
            alt.Chart(ONE_ROW)
            .mark_rule(color=colour, strokeWidth=1.2, strokeDash=[5, 4])
            .encode(y=alt.Y(datum=value, title=words["y_hrv"]))
        )
        text = (
            alt.Chart(ONE_ROW)
            .mark_text(align="left", baseline="bottom", dx=4, dy=-3, fontSize=10, color=colour)
            .encode(
                x=alt.value(0),
                y=alt.datum(value),
                text=alt.value(words[key].format(v=f"{value:g}")),
            )
        )
        lines += [rule, text]
    baseline = base.mark_line(color=MUTED, strokeWidth=1.3).encode(
        x=_x(), y=_y("hrv_base", words["y_hrv"])
    )
    line = base.mark_line(
        color=INK, strokeWidth=1.8, point=alt.OverlayMarkDef(size=16, color=INK)
    ).encode(x=_x(), y=y)
    tips = [
        _date_tip("night", words["date"]),
        alt.Tooltip("hrv:Q", format=".0f", title=f"HRV ({words['unit_ms']})"),
        alt.Tooltip("hrv_base:Q", format=".1f", title=words["baseline"]),
        alt.Tooltip("hrv_m:N", title=words["method"]),
        alt.Tooltip("hrv_path:N", title=words["file"]),
    ]
    hover = _hover(tips, [_source("hrv")])
    return _finish(
        [*lines, baseline, line, hover, *_flag_layers("hrv", words, words["y_hrv"])], 230
    )


def sleep_chart(guides: Guides, words: dict[str, str]) -> dict[str, Any]:
    """Hours asleep as bars, over the 7–9 h band, with the 6 h line."""
    base = alt.Chart(alt.NamedData(name="nightly"))
    band = (
        alt.Chart(ONE_ROW)
        .mark_rect(color=BAND, opacity=0.9)
        .encode(y=alt.datum(guides.sleep_low_h), y2=alt.datum(guides.sleep_high_h))
    )
    short = (
        alt.Chart(ONE_ROW)
        .mark_rule(color=WARN, strokeWidth=1.2, strokeDash=[5, 4])
        .encode(y=alt.datum(guides.sleep_short_h))
    )
    short_text = (
        alt.Chart(ONE_ROW)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-3, fontSize=10, color=WARN)
        .encode(
            x=alt.value(0),
            y=alt.datum(guides.sleep_short_h),
            text=alt.value(words["short_line"].format(v=f"{guides.sleep_short_h:g}")),
        )
    )
    bars = base.mark_bar(opacity=0.95, width={"band": 0.8}).encode(
        x=_x(),
        y=_y("sleep", words["y_sleep"], zero=True),
        color=alt.Color(
            "sleep_cat:N",
            legend=None,
            scale=alt.Scale(domain=list(SLEEP), range=list(SLEEP.values())),
        ),
    )
    tips = [
        _date_tip("night", words["date"]),
        alt.Tooltip("sleep_t:N", title=words["sleep"].lower()),
        alt.Tooltip("sleep_base:Q", format=".1f", title=f"{words['baseline']} ({words['unit_h']})"),
        alt.Tooltip("sleep_m:N", title=words["method"]),
        alt.Tooltip("sleep_path:N", title=words["file"]),
    ]
    hover = _hover(tips, [_source("sleep")])
    # an invisible point above the normal range keeps room for a number over a 9-hour bar
    room = (
        alt.Chart(ONE_ROW)
        .mark_point(opacity=0)
        .encode(y=alt.Y(datum=guides.sleep_high_h + 1.5, title=words["y_sleep"]))
    )
    return _finish(
        [
            band,
            room,
            bars,
            short,
            short_text,
            hover,
            *_flag_layers("sleep", words, words["y_sleep"], zero=True),
        ],
        210,
    )


def load_chart(words: dict[str, str]) -> dict[str, Any]:
    """Daily TRIMP stacked by endurance and strength, 7- and 28-day averages, rest days."""
    base = alt.Chart(alt.NamedData(name="daily"))
    bars = (
        base.transform_fold(["endurance", "strength"], as_=["kind", "trimp"])
        .transform_calculate(
            kind_l=f"datum.kind == 'strength' ? '{words['strength']}' : '{words['endurance']}'"
        )
        .mark_bar(width={"band": 0.8})
        .encode(
            x=_x("day"),
            y=alt.Y("trimp:Q", stack="zero", title=words["y_load"]),
            color=alt.Color(
                "kind:N", legend=None, scale=alt.Scale(domain=list(LOAD), range=list(LOAD.values()))
            ),
            order=alt.Order("kind:N", sort="ascending"),
            tooltip=[
                _date_tip("day", words["day_label"]),
                alt.Tooltip("kind_l:N", title=words["trimp"]),
                alt.Tooltip("trimp:Q", format=".0f", title=words["trimp"]),
                alt.Tooltip(
                    "load:Q", format=".0f", title=f"{words['trimp']} ({words['day_label']})"
                ),
            ],
        )
    )
    acute = base.mark_line(color=INK, strokeWidth=1.6).encode(
        x=_x("day"),
        y=_y("acute", words["y_load"], zero=True),
        tooltip=[
            _date_tip("day", words["day_label"]),
            alt.Tooltip("acute:Q", format=".0f", title=words["acute"]),
        ],
    )
    chronic = base.mark_line(color=MUTED, strokeWidth=1.6, strokeDash=[2, 2]).encode(
        x=_x("day"),
        y=_y("chronic", words["y_load"], zero=True),
        tooltip=[
            _date_tip("day", words["day_label"]),
            alt.Tooltip("chronic:Q", format=".0f", title=words["chronic"]),
        ],
    )
    rest = (
        base.transform_filter(alt.datum.rest)
        .mark_tick(color=OK, thickness=3, size=8, orient="horizontal")
        .encode(
            x=_x("day"),
            y=alt.Y(datum=0, title=words["y_load"]),
            tooltip=[
                _date_tip("day", words["day_label"]),
                alt.Tooltip("rest_l:N", title=words["rest_day"]),
            ],
        )
    )
    layers = [bars, chronic, acute, *pmc_lines(words), rest]
    return _finish([*layers, *_flag_layers("load", words, words["y_load"], zero=True)], 200)


def pmc_lines(words: dict[str, str]) -> list[alt.Chart]:
    """Fitness (CTL) and fatigue (ATL) lines over the load bars, form (TSB) in the tooltip
    (docs/metrics.md "Fitness, fatigue and form"; same TRIMP/day scale as the bars)."""
    base = alt.Chart(alt.NamedData(name="daily"))
    tips = [
        _date_tip("day", words["day_label"]),
        alt.Tooltip("ctl:Q", format=".0f", title=words["ctl"]),
        alt.Tooltip("atl:Q", format=".0f", title=words["atl"]),
        alt.Tooltip("tsb:Q", format=".0f", title=words["tsb"]),
    ]
    ctl = base.mark_line(color=OK, strokeWidth=1.4).encode(
        x=_x("day"), y=_y("ctl", words["y_load"], zero=True), tooltip=tips
    )
    atl = base.mark_line(color=WATCH, strokeWidth=1.2, strokeDash=[4, 2]).encode(
        x=_x("day"), y=_y("atl", words["y_load"], zero=True), tooltip=tips
    )
    return [ctl, atl]


def week_chart(words: dict[str, str]) -> dict[str, Any]:
    """Weekly TRIMP, one bar per Monday-to-Sunday week, the total written on small periods."""
    base = alt.Chart(alt.NamedData(name="weekly"))
    x = alt.X(
        "week:T",
        scale=alt.Scale(type="utc", domain=[alt.ExprRef("x_start"), alt.ExprRef("x_end")]),
        axis=_date_axis(),
    )
    bars = base.mark_bar(color=LOAD["endurance"], stroke="white", strokeWidth=2, clip=True).encode(
        x=x,
        x2="week_end:T",
        y=alt.Y(
            "trimp:Q", title=words["y_week"], scale=alt.Scale(domain=[0, alt.ExprRef("week_max")])
        ),
        y2=alt.Y2(datum=0),
        tooltip=[
            _date_tip("week", words["week"]),
            alt.Tooltip("trimp:Q", format=".0f", title=words["trimp"]),
            alt.Tooltip(
                "strength:Q", format=".0f", title=f"{words['trimp']} ({words['strength']})"
            ),
            alt.Tooltip("training_days:Q", title=words["training_days"]),
            alt.Tooltip("rest_days:Q", title=words["rest_days"]),
        ],
    )
    labels = (
        base.transform_filter("datum.lbl != null")
        .transform_calculate(mid="(toDate(datum.week) + toDate(datum.week_end)) / 2")
        .transform_filter("datum.mid >= x_start && datum.mid <= x_end")
        .mark_text(dy=-6, fontSize=10, color=INK)
        .encode(
            x=alt.X("mid:T", scale=alt.Scale(type="utc")),
            y=alt.Y("trimp:Q", title=words["y_week"]),
            text="lbl:N",
        )
    )
    return _finish([bars, labels], 150, extra_params=("week_max",))


def flags_chart(words: dict[str, str]) -> dict[str, Any]:
    """Every flag of the period on one timeline, one row per rule."""
    base = alt.Chart(alt.NamedData(name="flags"))
    points = (
        base.mark_point(filled=True, size=110, opacity=0.95, shape="diamond")
        .encode(
            x=_x("day"),
            y=alt.Y("rule:N", title=None, axis=alt.Axis(labelLimit=220, labelFontSize=12)),
            color=alt.Color("severity:N", scale=SEVERITY, legend=None),
            tooltip=[
                _date_tip("day", words["day_label"]),
                alt.Tooltip("rule:N", title=words["flag"]),
                alt.Tooltip("sev_l:N", title=words["severity"].lower()),
                alt.Tooltip("msg:N", title=words["message"].lower()),
            ],
        )
        .properties(name="flags_all")
    )
    chart = alt.layer(points).properties(width="container", height=alt.Step(26))
    chart = chart.add_params(*(alt.param(name=name, value=0) for name in X_PARAMS))
    spec = _to_dict(chart)
    spec["config"] = {**CONFIG, "axisY": {"grid": True, "domain": False, "ticks": False}}
    spec.pop("$schema", None)
    return spec


def spark_chart(words: dict[str, str]) -> dict[str, Any]:
    """Seven nights in a cell of the team table: normal band, line, flagged nights coloured."""
    base = alt.Chart(alt.NamedData(name="spark"))
    x = alt.X("night:T", timeUnit="utcyearmonthdate", scale=alt.Scale(type="utc"), axis=None)
    y = alt.Y("v:Q", scale=alt.Scale(zero=False, padding=4), axis=None)
    band = base.mark_area(color=BAND).encode(x=x, y=alt.Y("lo:Q", axis=None), y2="hi:Q")
    line = base.mark_line(color=INK, strokeWidth=1.4).encode(x=x, y=y)
    dots = base.mark_circle(opacity=1).encode(
        x=x,
        y=y,
        size=alt.condition(alt.datum.sev != None, alt.value(48), alt.value(14)),  # noqa: E711
        color=alt.condition(
            alt.datum.sev != None,  # noqa: E711
            alt.Color("sev:N", scale=SEVERITY, legend=None),
            alt.value(INK),
        ),
        tooltip=[_date_tip("night", words["date"]), alt.Tooltip("t:N", title=words["value"])],
    )
    chart = alt.layer(band, line, dots).properties(width=120, height=34)
    spec = _to_dict(chart)
    spec["config"] = {**CONFIG, "view": {"stroke": None}}
    spec["padding"] = 3
    spec.pop("$schema", None)
    return spec


def chart_specs(guides: Guides, lang: str) -> dict[str, dict[str, Any]]:
    """Every template of a report, by the name pages refer to in `data-spec`."""
    words = ui(lang)
    return {
        "rhr": rhr_chart(guides, words),
        "hrv": hrv_chart(guides, words),
        "sleep": sleep_chart(guides, words),
        "load": load_chart(words),
        "week": week_chart(words),
        "flags": flags_chart(words),
        "spark": spark_chart(words),
    }
