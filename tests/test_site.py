"""The built book, opened page by page in a real browser (headless Chromium through Playwright).

    BOOK_HTML=_build/html .venv/bin/pytest -m browser tests/test_site.py

For every page in _toc.yml: the math is typeset by the book's own MathJax (no raw ``$$`` or
``\\[`` left in the visible text), every image has loaded and has alt text, nothing is logged
as an error and nothing is fetched from outside the book; on every notebook page a solution
toggle opens on click and the Colab link points at that notebook in the repository named in
_config.yml. Every page is also opened at 1280 px and 390 px wide: nothing may be cut off
without a visible scroll bar, and the page may not scroll sideways; a full-page screenshot at
each width is saved as ``_build/screenshots/<page>-<width>px.jpg`` (``.png`` for a page too tall
for JPEG), or in ``SCREENSHOTS_DIR``.
axe-core (through axe-playwright-python) must find no serious or critical WCAG 2.1 A/AA
violation (highlighted code is checked for colour contrast once, on the pages that between
them hold every Pygments token class of the book), no worked solution's code or output may be
visible before its toggle is opened, and every figure of a chapter's lessons has a numbered
caption ("Fig. <chapter>.<n>").

Environment: ``BOOK_HTML`` (default ``_build/html``, relative to the repository) is the built
site; ``BOOK_SOURCE`` (default: the repository) is where its _toc.yml and _config.yml are read;
``CHROMIUM`` (default ``/usr/bin/chromium``) is the browser (Debian's package; ``make
browser-deps`` installs it). The site is served over HTTP on 127.0.0.1, a random port.
"""

from __future__ import annotations

import functools
import http.server
import os
import pathlib
import re
import shutil
import threading
from urllib.parse import urlsplit

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _path_from_env(name: str, default: pathlib.Path) -> pathlib.Path:
    value = os.environ.get(name)
    if not value:
        return default
    path = pathlib.Path(value)
    return path if path.is_absolute() else ROOT / path


BOOK_HTML = _path_from_env("BOOK_HTML", ROOT / "_build" / "html")
BOOK_SOURCE = _path_from_env("BOOK_SOURCE", ROOT)
SCREENSHOTS = _path_from_env("SCREENSHOTS_DIR", ROOT / "_build" / "screenshots")
# Debian's chromium here and in CI; Google Chrome on GitHub's Ubuntu runners.
CHROMIUM = os.environ.get("CHROMIUM") or next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))),
    "/usr/bin/chromium",
)
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000
#: The two widths every page is checked at: a laptop and a phone (CSS pixels).
VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}
#: The tallest image JPEG can hold, in pixels.
JPEG_MAX_PX = 65_535
#: The heaviest a page's HTML may be.
MAX_PAGE_BYTES = 1_000_000
#: Console messages that do not matter, each with the reason. Keep this list short and exact.
HARMLESS_CONSOLE = {
    "console.error: Got invalid theme mode: . Resetting to auto.": (
        "pydata-sphinx-theme on a first visit (empty localStorage) when no default mode is configured; "
        "it then sets 'auto' itself. Setting html_context: {default_mode: light} in _config.yml removes it."
    ),
}


def toc_entries() -> list[str]:
    toc = yaml.safe_load((BOOK_SOURCE / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]


PAGES = toc_entries()
NOTEBOOK_PAGES = [e for e in PAGES if (BOOK_SOURCE / f"{e}.ipynb").exists()
                  or not (BOOK_SOURCE / f"{e}.md").exists()]
CONFIG = yaml.safe_load((BOOK_SOURCE / "_config.yml").read_text())


def page_id(entry: str) -> str:
    return pathlib.PurePosixPath(entry).name


def by_page(entries: list[str]) -> list:
    """Parameters grouped by page: under ``pytest -n 2 --dist loadgroup`` every test of one
    page runs on the same worker, so each page is loaded (and cached) once."""
    return [pytest.param(e, id=page_id(e), marks=pytest.mark.xdist_group(page_id(e))) for e in entries]


def expected_colab_url(entry: str) -> str:
    """Where the Colab button of a notebook page must lead, from _config.yml."""
    repo = CONFIG["repository"]
    owner_repo = urlsplit(repo["url"]).path.strip("/")
    book_path = (repo.get("path_to_book") or "").strip("/")
    path = f"{book_path}/{entry}.ipynb" if book_path else f"{entry}.ipynb"
    colab = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    return f"{colab}/github/{owner_repo}/blob/{repo.get('branch', 'main')}/{path}"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def site_url():
    """Serve BOOK_HTML on 127.0.0.1 (a random free port) for the module's tests."""
    if not (BOOK_HTML / "index.html").is_file():
        pytest.fail(f"no built book at {BOOK_HTML} (index.html missing): run `make book` first, "
                    "or point BOOK_HTML at a built site", pytrace=False)

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(BOOK_HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not pathlib.Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser-deps` (Debian's chromium package) "
                    "or set CHROMIUM", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright hides scroll bars in headless mode; the layout test needs to see them.
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS,
                                    ignore_default_args=["--hide-scrollbars"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def visit(site_url, browser):
    """visit(entry) -> report dict for that page (each page is loaded once, then cached)."""
    cache: dict[str, dict] = {}

    def _visit(entry: str) -> dict:
        if entry not in cache:
            cache[entry] = inspect_page(browser, site_url, entry)
        return cache[entry]

    return _visit


@pytest.fixture(scope="module")
def layout(site_url, browser, visit):
    """layout(entry, viewport name) -> what is cut off at that width (cached). The laptop
    width is measured during the page's main visit; the phone width needs a visit of its own."""
    cache: dict[tuple[str, str], dict] = {}

    def _layout(entry: str, name: str) -> dict:
        if name == "laptop":
            return visit(entry)["layout"]
        if (entry, name) not in cache:
            cache[entry, name] = inspect_layout(browser, site_url, entry, *VIEWPORTS[name])
        return cache[entry, name]

    return _layout


# --------------------------------------------------------------------------- one page

WAIT_FOR_MATHJAX = """
async () => {
  if (!window.MathJax) return "no MathJax on this page";
  const start = Date.now();
  while (!(window.MathJax.startup && window.MathJax.startup.promise)) {
    if (Date.now() - start > 30000) return "MathJax did not start within 30 s";
    await new Promise(r => setTimeout(r, 50));
  }
  await window.MathJax.startup.promise;
  return "typeset";
}
"""

MATH_REPORT = """
() => {
  const items = [...document.querySelectorAll("span.math, div.math")];
  const untypeset = items.filter(el => !el.querySelector("mjx-container"))
                         .map(el => el.textContent.trim().slice(0, 80));
  return {items: items.length, containers: document.querySelectorAll("mjx-container").length, untypeset};
}
"""

VISIBLE_TEXT = """
() => {
  const skip = "pre, code, script, style, textarea, mjx-container, mjx-assistive-mml, .highlight";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    parts.push(node.textContent);
  }
  return parts.join(" ");
}
"""

LOAD_IMAGES = """
async () => {
  const images = [...document.images];
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map(img => img.complete ? null : new Promise(resolve => {
    img.addEventListener("load", resolve, {once: true});
    img.addEventListener("error", resolve, {once: true});
    setTimeout(resolve, 15000);
  })));
  return images.map(img => ({src: img.currentSrc || img.src || "(no src)", alt: img.getAttribute("alt"),
                             width: img.naturalWidth, id: img.id}));
}
"""

RAW_MATH = [
    (re.compile(r"\$\$"), "$$"),
    (re.compile(r"\\\[|\\\]"), "\\[ or \\]"),
    (re.compile(r"\\\(|\\\)"), "\\( or \\)"),
    (re.compile(r"\\begin\{"), "\\begin{"),
    (re.compile(r"\$[^$\s][^$]{0,200}?\\[A-Za-z]+[^$]{0,200}?\$"), "$…\\command…$"),
]


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


LAYOUT = """
() => {
  // An element wider than its box is cut off unless it, or a box around it, scrolls
  // sideways with a visible bar.
  const root = document.querySelector("main") || document.body;
  const sel = "pre, div.math, mjx-container[display='true'], table, img, svg, div.cell_output, div.output, code, p, li, dl";
  const scrollsVisibly = el => {
    const cs = getComputedStyle(el);
    return (cs.overflowX === "auto" || cs.overflowX === "scroll")
           && el.scrollWidth > el.clientWidth + 1 && (el.offsetHeight - el.clientHeight) > 2;
  };
  const clipped = [];
  for (const el of root.querySelectorAll(sel)) {
    if (el.closest("nav, .bd-sidebar, .bd-header, details:not([open])")) continue;
    if (!el.checkVisibility()) continue;
    if (!(el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)) continue;
    let ok = false;
    for (let box = el; box && box !== root.parentElement; box = box.parentElement) {
      if (scrollsVisibly(box)) { ok = true; break; }
    }
    if (!ok) clipped.push(`${el.tagName.toLowerCase()}.${el.className} "${
      el.textContent.trim().slice(0, 50)}" (${el.scrollWidth} px in ${el.clientWidth} px)`);
  }
  const sideways = document.documentElement.scrollWidth - window.innerWidth;
  return {clipped, sideways};
}
"""

HIDDEN_SOLUTIONS = """
() => [...document.querySelectorAll("div.cell.tag_solution")].map((cell, i) => {
  const parts = [...cell.querySelectorAll(".cell_input, .cell_output")];
  const shown = parts.filter(p => p.checkVisibility()).map(p => p.className);
  return shown.length ? `solution ${i + 1}: ${shown.join(", ")} visible before the toggle` : null;
}).filter(Boolean)
"""

NUMBERING = """
() => ({
  title: (document.querySelector("main article h1") || {textContent: ""}).textContent.trim(),
  sidebar: [...document.querySelectorAll(".bd-sidebar-primary nav a.reference")]
             .map(a => a.textContent.trim()),
  searchBoxes: document.querySelectorAll(
    ".bd-sidebar-primary .search-button-field, .bd-sidebar-primary form.bd-search").length,
})
"""


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Syntax-highlighted code: thousands of <span>s per page, all coloured by the same Pygments
#: stylesheet. Checking their contrast on every page takes axe-core most of its time (about
#: 8 of 9 s on chapter 6), so each page's run leaves them out and
#: test_code_colours_have_contrast checks them on pages that hold every token class the book uses.
CODE = "div.highlight"

FIGURES = """
() => [...document.querySelectorAll("main div.cell .cell_output img")]
  .filter(img => !img.closest(".tag_solution, .tag_exercise, .tag_check"))
  .map(img => {
    const figure = img.closest("figure");
    const caption = figure && figure.querySelector("figcaption");
    return {alt: (img.getAttribute("alt") || "").slice(0, 60),
            caption: caption ? caption.textContent.trim().slice(0, 80) : null,
            id: figure ? figure.id : null};
  })
"""

#: The Pygments token classes on the page (each colours code one way).
CODE_TOKENS = """
() => [...new Set([...document.querySelectorAll("div.highlight pre span[class]")]
  .flatMap(span => [...span.classList]))].sort()
"""


def run_axe(page, context=None, rules=None) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations that axe-core finds on the page.

    ``context`` is axe-core's include/exclude selector object (default: the page without its
    highlighted code); ``rules`` restricts the run to those rule ids."""
    from axe_playwright_python.sync_playwright import Axe

    run_only = ({"type": "rule", "values": rules} if rules
                else {"type": "tag", "values": AXE_TAGS})
    # preload off: axe-core would fetch the theme's @import-ed basic.css itself, resolve it
    # against the wrong folder and log a 404 (only css-orientation-lock uses that preload).
    result = Axe().run(page, context={"exclude": [[CODE]]} if context is None else context,
                       options={"preload": False, "runOnly": run_only})
    return [f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}; e.g. "
            f"{v['nodes'][0]['target']}" for v in result.response["violations"]
            if v["impact"] in ("serious", "critical")]


def measure_layout(page, entry: str, width: int) -> dict:
    """What is cut off on the open page, how far it scrolls sideways; a full-page screenshot."""
    report = page.evaluate(LAYOUT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # JPEG is quicker to encode, but stops at 65,535 px: a long page at phone width is taller.
    tall = page.evaluate("document.documentElement.scrollHeight") > JPEG_MAX_PX
    shot = SCREENSHOTS / f"{page_id(entry)}-{width}px.{'png' if tall else 'jpg'}"
    for old in SCREENSHOTS.glob(f"{page_id(entry)}-{width}px.*"):
        old.unlink()
    if tall:
        page.screenshot(path=str(shot), full_page=True)
    else:
        page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=80)
    report["screenshot"] = shot
    return report


def inspect_layout(browser, site_url: str, entry: str, width: int, height: int) -> dict:
    """Open the page at one width and measure its layout (see measure_layout)."""
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.route("**/*", lambda r: r.continue_() if is_local(r.request.url) else r.abort())
    try:
        page.goto(f"{site_url}/{entry}.html", wait_until="load")
        page.evaluate(WAIT_FOR_MATHJAX)
        page.evaluate(LOAD_IMAGES)
        page.wait_for_timeout(200)
        return measure_layout(page, entry, width)
    finally:
        context.close()


def inspect_page(browser, site_url: str, entry: str) -> dict:
    html = BOOK_HTML / f"{entry}.html"
    report: dict = {"entry": entry, "built": html.is_file()}
    if not report["built"]:
        return report
    report["bytes"] = html.stat().st_size
    # The laptop viewport: this visit also measures the layout at that width.
    context = browser.new_context(viewport=dict(zip(("width", "height"), VIEWPORTS["laptop"])),
                                  service_workers="block")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console, external, failed = [], [], []
    def note(message: str) -> None:
        if message not in HARMLESS_CONSOLE:
            console.append(message)

    page.on("console", lambda msg: note(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: note(f"uncaught exception: {exc}"))

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            failed.append(f"HTTP {response.status}: {response.url}")

    page.on("response", on_response)
    page.on("requestfailed", lambda req: failed.append(f"{req.failure}: {req.url}")
            if is_local(req.url) else None)

    def route(route_):
        if is_local(route_.request.url):
            route_.continue_()
        else:  # the book must work offline: note it and refuse
            external.append(route_.request.url)
            route_.abort()

    page.route("**/*", route)
    try:
        page.goto(f"{site_url}/{entry}.html", wait_until="load")
        report["mathjax"] = page.evaluate(WAIT_FOR_MATHJAX)
        report["math"] = page.evaluate(MATH_REPORT)
        report["text"] = page.evaluate(VISIBLE_TEXT)
        report["images"] = page.evaluate(LOAD_IMAGES)
        page.wait_for_timeout(200)
        report["colab"] = page.eval_on_selector_all(
            "a[href*='colab.research.google.com']", "els => els.map(a => a.getAttribute('href'))")
        report["numbering"] = page.evaluate(NUMBERING)
        report["figures"] = page.evaluate(FIGURES)
        report["code_tokens"] = page.evaluate(CODE_TOKENS)
        report["layout"] = measure_layout(page, entry, VIEWPORTS["laptop"][0])
        report["axe"] = run_axe(page)
        report["hidden"] = page.evaluate(HIDDEN_SOLUTIONS)
        report["toggles"] = check_solution_toggles(page)
        page.wait_for_timeout(200)  # let late errors from the clicks arrive
    finally:
        report["console"] = list(console)
        report["external"] = list(external)
        report["failed"] = list(failed)
        context.close()
    return report


def check_solution_toggles(page) -> dict:
    """Click the toggle of every solution cell; report the ones that do not reveal their code."""
    cells = page.locator("div.cell.tag_solution")
    problems = []
    for i in range(cells.count()):
        cell = cells.nth(i)
        code = cell.locator(".cell_input").first
        toggle = cell.locator("summary, button.toggle-button").first
        if toggle.count() == 0 or code.count() == 0:
            problems.append(f"solution {i + 1}: no toggle or no code found")
            continue
        if code.is_visible():
            problems.append(f"solution {i + 1}: the code is visible before the toggle is clicked")
            continue
        toggle.scroll_into_view_if_needed()
        toggle.click()
        try:
            code.wait_for(state="visible", timeout=5000)
        except Exception:  # noqa: BLE001 - reported below in words
            problems.append(f"solution {i + 1}: clicking the toggle did not show the code")
            continue
        if "assert" not in code.inner_text():
            problems.append(f"solution {i + 1}: the revealed code is not the worked solution")
        output = cell.locator(".cell_output").first
        if output.count() and not output.is_visible():
            problems.append(f"solution {i + 1}: clicking the toggle did not show the output")
    return {"count": cells.count(), "problems": problems}


# --------------------------------------------------------------------------- the tests


def test_the_built_site_exists():
    assert (BOOK_HTML / "index.html").is_file(), (
        f"no built book at {BOOK_HTML}: run `make book`, or set BOOK_HTML to a built site")


@pytest.mark.parametrize("entry", by_page(PAGES))
class TestPage:
    def test_built_and_screenshot_saved(self, visit, layout, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html is not in {BOOK_HTML}: the page in _toc.yml was not built"
        for name in VIEWPORTS:
            shot = layout(entry, name)["screenshot"]
            assert shot.stat().st_size > 5_000, f"the screenshot {shot.name} is (nearly) empty"

    def test_math_is_typeset(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        math = report["math"]
        if math["items"]:
            assert report["mathjax"] == "typeset", f"MathJax: {report['mathjax']}"
            assert not math["untypeset"], f"math left untypeset: {math['untypeset'][:5]}"
            assert math["containers"] >= math["items"]
        for pattern, name in RAW_MATH:
            found = pattern.search(report["text"])
            if found:
                start = max(found.start() - 60, 0)
                context = report["text"][start:found.end() + 60].replace("\n", " ")
                pytest.fail(f"raw math delimiter {name} in the visible text: …{context}…")

    def test_images_load_and_have_alt_text(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        broken = [img["src"][:120] for img in report["images"] if not img["width"]]
        no_alt = [img["id"] or img["src"][:120] for img in report["images"] if not (img["alt"] or "").strip()]
        assert not broken, f"images that did not load: {broken}"
        assert not no_alt, f"images without alt text: {no_alt}"

    def test_no_console_errors_and_nothing_fetched_from_outside(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        assert not report["external"], (
            "the page fetches from outside the book (it must work offline):\n" + "\n".join(report["external"][:10]))
        assert not report["failed"], "requests that failed:\n" + "\n".join(report["failed"][:10])
        assert not report["console"], "errors in the browser console:\n" + "\n".join(report["console"][:10])


    def test_no_serious_accessibility_violation(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        assert not report["axe"], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(report["axe"])

    def test_page_weight(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        assert report["bytes"] <= MAX_PAGE_BYTES, (
            f"{entry}.html is {report['bytes']:,} bytes (at most {MAX_PAGE_BYTES:,}): lighter figures "
            "or fewer animation frames")

    def test_one_search_box(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        assert report["numbering"]["searchBoxes"] == 0, "a second search box in the sidebar"


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("entry", by_page(PAGES))
def test_nothing_cut_off_or_sideways(layout, entry, viewport):
    if not (BOOK_HTML / f"{entry}.html").is_file():
        pytest.fail(f"{entry}.html was not built")
    report = layout(entry, viewport)
    width = VIEWPORTS[viewport][0]
    assert report["sideways"] <= 1, f"at {width} px the page scrolls sideways by {report['sideways']} px"
    assert not report["clipped"], (f"at {width} px, cut off without a visible scroll bar:\n"
                                   + "\n".join(report["clipped"][:15]))


def code_token_cover() -> tuple[list[str], set[str]]:
    """Pages that between them hold every Pygments token class used in the book's code
    (greedy set cover, largest first), and the set of classes. Read from the built HTML."""
    from bs4 import BeautifulSoup

    tokens = {}
    for entry in PAGES:
        html = BOOK_HTML / f"{entry}.html"
        if html.is_file():
            soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
            tokens[entry] = {cls for span in soup.select(f"{CODE} pre span[class]")
                             for cls in span.get("class", [])}
    wanted, cover = set().union(*tokens.values()) if tokens else set(), []
    left = set(wanted)
    while left:
        best = max(tokens, key=lambda e: len(tokens[e] & left))
        cover.append(best)
        left -= tokens[best]
    return cover, wanted


@pytest.mark.xdist_group("code-colours")
def test_code_colours_have_contrast(site_url, browser):
    """Colour contrast of syntax-highlighted code (inputs and outputs), on pages that hold
    every token class of the book: the same stylesheet colours the same class on every page."""
    cover, wanted = code_token_cover()
    assert len(wanted) >= 10, f"only {sorted(wanted)} token classes found: is the code highlighted?"
    problems = []
    for entry in cover:
        context = browser.new_context(viewport=dict(zip(("width", "height"), VIEWPORTS["laptop"])))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.route("**/*", lambda r: r.continue_() if is_local(r.request.url) else r.abort())
        try:
            page.goto(f"{site_url}/{entry}.html", wait_until="load")
            found = run_axe(page, context={"include": [[CODE]]}, rules=["color-contrast"])
        finally:
            context.close()
        problems += [f"{entry}: {v}" for v in found]
    print(f"\ncode colours: {len(wanted)} token classes, checked on {', '.join(cover)}")
    assert not problems, "highlighted code without enough contrast:\n" + "\n".join(problems)


def test_site_size_report(book_html_bytes=None):
    """The site's total size and its heaviest page (printed for the timing report)."""
    pages = sorted(BOOK_HTML.rglob("*.html"), key=lambda p: -p.stat().st_size)
    total = sum(p.stat().st_size for p in BOOK_HTML.rglob("*") if p.is_file())
    assert pages, "no HTML pages"
    print(f"\nsite: {total / 1e6:.1f} MB in all; heaviest page {pages[0].relative_to(BOOK_HTML)} "
          f"{pages[0].stat().st_size / 1e6:.2f} MB")


@pytest.mark.parametrize("entry", by_page(NOTEBOOK_PAGES))
class TestNotebookPage:
    def test_no_solution_visible_before_its_toggle(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        assert not report["hidden"], "\n".join(report["hidden"])

    def test_figures_have_numbered_captions(self, visit, entry):
        """Every figure of the lessons (not of exercises or worked solutions) is a numbered
        figure of its chapter, so that the text can refer to it as "Fig. 4.2"."""
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        number = int(re.match(r"(\d+)_", page_id(entry)).group(1))
        bad = [f"{f['alt']!r}: caption {f['caption']!r}" for f in report["figures"]
               if not (f["caption"] and re.match(rf"Fig\. {number}\.\d+\b", f["caption"]))]
        assert not bad, f"figures without a 'Fig. {number}.n' caption:\n" + "\n".join(bad[:10])

    def test_chapter_number_in_title_and_sidebar(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        number = int(re.match(r"(\d+)_", page_id(entry)).group(1))
        title = report["numbering"]["title"]
        assert re.match(rf"{number}\.\s", title), f"the page title {title!r} does not start with '{number}. '"
        assert any(re.match(rf"{number}\.\s", t) for t in report["numbering"]["sidebar"]), (
            f"the sidebar does not number chapter {number}")

    def test_a_solution_toggle_opens_on_click(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        assert report["toggles"]["count"] >= 1, "no solution cell (div.cell.tag_solution) on a chapter page"
        assert not report["toggles"]["problems"], "\n".join(report["toggles"]["problems"])

    def test_colab_link_points_at_this_notebook(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html was not built"
        expected = expected_colab_url(entry)
        links = report["colab"]
        assert links, "no Colab launch link on the page"
        owner_repo = urlsplit(CONFIG["repository"]["url"]).path.strip("/")
        for href in links:
            assert owner_repo in href and href.endswith(f"{entry}.ipynb"), f"Colab link {href!r}"
        assert expected in links, f"Colab link {links} should be {expected!r}"


def test_expected_colab_url():
    url = expected_colab_url("chapters/02_tensors")
    assert url.startswith("https://colab.research.google.com/github/")
    branch = CONFIG["repository"]["branch"]
    assert branch == "student", "the Colab button must open the student notebooks (no worked solutions)"
    assert url.endswith(f"/blob/{branch}/chapters/02_tensors.ipynb") and "//chapters" not in url
