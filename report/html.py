"""Writing the report: static pages, one shared copy of the chart libraries, no network.

Layout of the output folder (opens from file:// or any web server):

    index.html              team overview
    athletes/<slug>.html    one page per athlete
    assets/vega.js          vega + vega-lite + vega-embed, once for all pages (~0.9 MB)
    assets/charts.js        the chart templates and number/date locale of this report
    assets/herstel.js/.css  the small page script that draws the charts, and the style

The vega bundle comes from vl-convert-python (`javascript_bundle`), which makes it offline in
about 2-7 s; it is cached per library version under $XDG_CACHE_HOME/herstel (or
~/.cache/herstel), so later reports reuse it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from datetime import date, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
import vl_convert

from report.chart_rows import page_json
from report.charts import chart_specs
from report.data import STALE_NIGHTS, load
from report.pages import athlete_context, split, team_context
from report.text import check_lang, ui
from warehouse.db import db_path

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("assets")
TEMPLATES = Path(__file__).with_name("templates")
#: d3 locales for numbers and dates on the axes and in tooltips.
LOCALES = {"en": "en-US", "nl": "nl-NL"}


def write_report(
    db: str | Path | None,
    out: Path,
    athlete: str | None = None,
    since: date | None = None,
    lang: str = "en",
    stale_nights: int = STALE_NIGHTS,
    now: datetime | None = None,
) -> Path:
    """Write the report of the warehouse `db` into the folder `out`; returns index.html.

    `athlete` limits it to one athlete (index and page), `since` starts the charts and flag
    lists at that day (the morning status and sparklines always show the latest nights),
    `lang` is en or nl. After `stale_nights` nights without data an athlete shows "no data
    for N nights" (counted to `now`, default the current time). Reads the warehouse only;
    raises ValueError for an unknown athlete or language and FileNotFoundError when there is
    no warehouse.
    """
    check_lang(lang)
    out = Path(out)
    data = load(db, athlete, since, now=now, stale_nights=stale_nights)
    out.joinpath("athletes").mkdir(parents=True, exist_ok=True)
    write_assets(out, chart_specs(data.guides, lang), lang)
    env = _environment()
    common = {
        "lang": lang,
        "w": ui(lang),
        "generated": data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        "db_name": db_path(db).name,
        "ruleset": data.ruleset.version,
    }
    athletes = split(data)
    for a in athletes:
        ctx = athlete_context(a, data, lang)
        _render(
            env,
            "athlete.html.j2",
            out / "athletes" / f"{a.slug}.html",
            {**common, **ctx, "root": "../"},
        )
    _remove_stale_pages(out, {f"{a.slug}.html" for a in athletes})
    index = out / "index.html"
    _render(
        env, "index.html.j2", index, {**common, **team_context(athletes, data, lang), "root": ""}
    )
    log.info("report written: %d athlete pages in %s", len(athletes), out)
    return index


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(env: jinja2.Environment, template: str, path: Path, ctx: dict[str, Any]) -> None:
    ctx = dict(ctx)
    ctx["page_json"] = page_json(ctx.pop("params"), ctx.pop("groups"))
    _write_text(path, env.get_template(template).render(ctx))


def _remove_stale_pages(out: Path, keep: set[str]) -> None:
    """Drop pages of athletes no longer in the report, so the folder matches the index."""
    for page in out.joinpath("athletes").glob("*.html"):
        if page.name not in keep and _is_ours(page):
            page.unlink()


def _is_ours(page: Path) -> bool:
    with page.open("rb") as handle:
        return b'content="herstel report"' in handle.read(600)


def write_assets(out: Path, specs: dict[str, dict[str, Any]], lang: str) -> None:
    """The shared files every page loads: written once per report, not once per page."""
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    bundle = vega_bundle()
    target = assets / "vega.js"
    if not target.exists() or target.stat().st_size != len(bundle.encode()):
        _write_text(target, bundle)
    locale = {
        "format": vl_convert.get_format_locale(LOCALES[lang]),
        "time": vl_convert.get_time_format_locale(LOCALES[lang]),
    }
    library = json.dumps({"specs": specs, "locale": locale}, separators=(",", ":"))
    _write_text(assets / "charts.js", "window.HERSTEL = " + library.replace("<", "\\u003c") + ";\n")
    for name in ("herstel.js", "herstel.css"):
        shutil.copyfile(ASSETS / name, assets / name)


def vega_bundle() -> str:
    """vega, vega-lite and vega-embed as one classic script, made offline by vl-convert.

    Built for the Vega-Lite version altair writes specs for; cached on disk because
    building it takes seconds.
    """
    vl_version = ".".join(alt.VEGALITE_VERSION.lstrip("v").split(".")[:2])
    key = f"vega-bundle-{package_version('vl-convert-python')}-vl{vl_version}.js"
    cache = _cache_dir() / key
    try:
        return cache.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        _write_text(cache, bundle)
    except OSError as exc:  # a read-only home is no reason to fail the report
        log.warning("could not cache the vega bundle in %s: %s", cache.parent, exc)
    return bundle


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "herstel"


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename: a web server never serves half a page."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would: the user's umask decides
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
