"""Every internal link, image and anchor in the built HTML resolves."""

from __future__ import annotations

import urllib.parse

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow


def _targets(soup):
    for tag, attr in (("a", "href"), ("img", "src"), ("link", "href"), ("script", "src")):
        for el in soup.find_all(tag):
            value = el.get(attr)
            if value:
                yield tag, value


def test_internal_links_resolve(book_html):
    pages = sorted(book_html.rglob("*.html"))
    assert len(pages) >= 5, f"only {len(pages)} pages in {book_html}"
    ids_cache: dict = {}

    def ids_of(path):
        if path not in ids_cache:
            soup = BeautifulSoup(path.read_text(errors="replace"), "html.parser")
            ids_cache[path] = {el.get("id") for el in soup.find_all(id=True)} | {
                el.get("name") for el in soup.find_all("a", attrs={"name": True})
            }
        return ids_cache[path]

    broken = []
    checked = 0
    for page in pages:
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        soup = BeautifulSoup(page.read_text(errors="replace"), "html.parser")
        for tag, value in _targets(soup):
            parsed = urllib.parse.urlparse(value)
            if parsed.scheme or value.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = page if not parsed.path else (page.parent / urllib.parse.unquote(parsed.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(book_html)}: {tag} {value} (no such file)")
            elif parsed.fragment and target.suffix == ".html" and parsed.fragment not in ids_of(target):
                broken.append(f"{page.relative_to(book_html)}: {tag} {value} (no such anchor)")
    assert checked > 50, f"only {checked} internal links checked: is the book complete?"
    assert not broken, "broken internal links:\n" + "\n".join(broken[:50])
