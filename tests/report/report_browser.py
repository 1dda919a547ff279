"""A real headless Chromium for the report tests and the docs screenshots.

Playwright drives the system Chromium (Debian's `chromium` package) through
`executable_path`: no browser download. A fresh profile per launch, no network services,
no sandbox (CI runs as root).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Where Debian, Ubuntu and others put Chromium; $HERSTEL_CHROMIUM wins.
CANDIDATES = (
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """The Chromium binary to use, or None when the machine has none."""
    wanted = os.environ.get("HERSTEL_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def why_no_browser() -> str | None:
    """None when a browser test can run, else the reason it cannot (for pytest.skip)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    if find_chromium() is None:
        return (
            "no Chromium found (apt-get install chromium, or set HERSTEL_CHROMIUM to a "
            "Chromium binary)"
        )
    return None


@contextmanager
def browser_context(timezone: str = "UTC", width: int = 1200) -> Iterator[object]:
    """A Playwright browser context on a throw-away profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="herstel-chromium-") as ud:
        context = pw.chromium.launch_persistent_context(
            ud,
            executable_path=find_chromium(),
            headless=True,
            args=ARGS,
            timezone_id=timezone,
            viewport={"width": width, "height": 900},
            device_scale_factor=1,
        )
        try:
            yield context
        finally:
            context.close()


def open_page(context, path: Path, timeout_ms: int = 30_000):
    """Open a report page from file:// and wait until its charts report drawn.

    Returns (page, console errors, page errors).
    """
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(path.resolve().as_uri())
    page.wait_for_function("document.body.dataset.charts !== undefined", timeout=timeout_ms)
    return page, errors


def screenshot(html: Path, png: Path, width: int = 1200, full_page: bool = True) -> None:
    """A screenshot of a report page once its charts are drawn (for docs/img)."""
    with browser_context(width=width) as context:
        page, _ = open_page(context, html)
        page.wait_for_timeout(300)
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png), full_page=full_page)


def make_screenshots(db: str, img_dir: Path, athlete: str | None = None) -> list[Path]:
    """The docs screenshots: the team page, and the top of one athlete's page.

    The athlete is the given one, else the first of the team table (a warning, if any).
    """
    from report import write_report

    with tempfile.TemporaryDirectory(prefix="herstel-shots-") as tmp:
        index = write_report(db, Path(tmp) / "report")
        with browser_context(width=1200) as context:
            page, errors = open_page(context, index)
            if errors:
                raise RuntimeError(f"console errors on the team page: {errors}")
            first = page.locator("table.team tbody").first.get_attribute("id")
            slug = athlete or first.removeprefix("row-")
            team = img_dir / "report-team.png"
            page.wait_for_timeout(300)
            top = page.locator("main").bounding_box()
            table = page.locator("section.card").first.bounding_box()
            clip = {
                "x": top["x"],
                "y": top["y"],
                "width": top["width"],
                "height": table["y"] + table["height"] + 16 - top["y"],
            }
            page.screenshot(path=str(team), clip=clip, full_page=True)
            page.close()
            page, errors = open_page(context, index.parent / "athletes" / f"{slug}.html")
            page.set_viewport_size({"width": 1200, "height": 1700})
            page.wait_for_timeout(500)
            athlete_png = img_dir / "report-athlete.png"
            page.screenshot(path=str(athlete_png))
            page.close()
    return [team, athlete_png]


if __name__ == "__main__":
    import sys

    REPO = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(REPO))
    db_arg, out_arg = sys.argv[1], Path(sys.argv[2] if len(sys.argv) > 2 else REPO / "docs/img")
    for written in make_screenshots(db_arg, out_arg, sys.argv[3] if len(sys.argv) > 3 else None):
        print(written)
