"""The built book, opened page by page in a real browser (headless Chromium through Playwright).

    BOOK_HTML=_build/html .venv/bin/pytest -m browser tests/test_site.py

For every page in _toc.yml: the math is typeset by the book's own MathJax (no raw ``$$`` or
``\\[`` left in the visible text), every image has loaded and has alt text, nothing is logged
as an error and nothing is fetched from outside the book; on every notebook page a solution
toggle opens on click and the Colab link points at that notebook in the repository named in
_config.yml. A full-page screenshot of each page is saved as ``_build/screenshots/<page>.png``
(or in ``SCREENSHOTS_DIR``) for review.

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
#: Console messages that do not matter, each with the reason. Keep this list short and exact.
HARMLESS_CONSOLE = {
    "uncaught exception: Identifier 'THEBE_JS_URL' has already been declared": (
        "Sphinx 7.4 writes sphinx-thebe's inline configuration script twice (a body-only script added "
        "after the builder starts is registered as _JavaScript(None) and re-added as _JavaScript(''), "
        "so the duplicate check misses it); the second copy re-declares a const and is skipped. "
        "Thebe is off in this book (launch_buttons.thebe: false)."
    ),
    "console.error: Got invalid theme mode: . Resetting to auto.": (
        "pydata-sphinx-theme on a first visit (empty localStorage) when no default mode is configured; "
        "it then sets 'auto' itself. Setting html_context: {default_mode: light} in _config.yml removes it."
    ),
}


def toc_entries() -> list[str]:
    text = (BOOK_SOURCE / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)


PAGES = toc_entries()
NOTEBOOK_PAGES = [e for e in PAGES if (BOOK_SOURCE / f"{e}.ipynb").exists()
                  or not (BOOK_SOURCE / f"{e}.md").exists()]
CONFIG = yaml.safe_load((BOOK_SOURCE / "_config.yml").read_text())


def page_id(entry: str) -> str:
    return pathlib.PurePosixPath(entry).name


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
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
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


def inspect_page(browser, site_url: str, entry: str) -> dict:
    html = BOOK_HTML / f"{entry}.html"
    report: dict = {"entry": entry, "built": html.is_file()}
    if not report["built"]:
        return report
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
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
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"{page_id(entry)}.png"
        page.screenshot(path=str(shot), full_page=True)
        report["screenshot"] = shot
        report["colab"] = page.eval_on_selector_all(
            "a[href*='colab.research.google.com']", "els => els.map(a => a.getAttribute('href'))")
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
    return {"count": cells.count(), "problems": problems}


# --------------------------------------------------------------------------- the tests


def test_the_built_site_exists():
    assert (BOOK_HTML / "index.html").is_file(), (
        f"no built book at {BOOK_HTML}: run `make book`, or set BOOK_HTML to a built site")


@pytest.mark.parametrize("entry", PAGES, ids=page_id)
class TestPage:
    def test_built_and_screenshot_saved(self, visit, entry):
        report = visit(entry)
        assert report["built"], f"{entry}.html is not in {BOOK_HTML}: the page in _toc.yml was not built"
        assert report["screenshot"].stat().st_size > 10_000, "the screenshot is (nearly) empty"

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


@pytest.mark.parametrize("entry", NOTEBOOK_PAGES, ids=page_id)
class TestNotebookPage:
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
    assert url.endswith("/blob/main/chapters/02_tensors.ipynb") and "//chapters" not in url
