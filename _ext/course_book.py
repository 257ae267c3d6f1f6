"""The course's small Sphinx extension (loaded through ``sphinx.local_extensions``).

What the themes get wrong for this book, fixed in one place and tested by the site tests:

* an author–year bibliography style (``authoryear``) to match the author–year citations
  (``bibtex_reference_style: author_year``); the stock ``plain`` style numbers the list;
* each inline script once: Sphinx 7.4 registers sphinx-thebe's configuration script twice,
  and the second copy re-declares a ``const`` (a console error on every page);
* accessible names that contain the visible text (axe's label-content-name-mismatch): the
  solution toggles and the search button carry aria-labels that differ from their text;
* a bibliography ``role="list"`` whose children are not list items (axe's
  aria-required-children).
"""

from __future__ import annotations

import pathlib
import re

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle


def _surname(person) -> str:
    text = " ".join(person.prelast_names + person.last_names)
    return re.sub(r"[{}\\]", "", text)


class AuthorYearLabels(BaseLabelStyle):
    """Labels such as "Kingma and Ba, 2015" or "Abadi et al., 2016"."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            if not people:
                name = re.sub(r"[{}]", "", entry.fields.get("title", entry.key)).split(":")[0]
            elif len(people) == 1:
                name = _surname(people[0])
            elif len(people) == 2:
                name = f"{_surname(people[0])} and {_surname(people[1])}"
            else:
                name = f"{_surname(people[0])} et al."
            yield f"{name}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """The ``unsrt`` entry format, labelled and sorted by author and year."""

    default_label_style = AuthorYearLabels
    default_sorting_style = SortingStyle


register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = (str(script), str(getattr(script, "attributes", {}).get("body", "")))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


_FIXES = (
    # The solution toggle's name must contain its visible text ("Show the worked solution").
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    # The search button shows "Search Ctrl+K": let its text be its name.
    (re.compile(r'(<button class="btn search-button-field[^"]*" title="Search") aria-label="Search"'), r"\1"),
    # Citations are not list items: no list role around them.
    (re.compile(r'<div role="list" class="citation-list">'), '<div class="citation-list">'),
)


def _fix_html(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for path in pathlib.Path(app.outdir).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        fixed = text
        for pattern, replacement in _FIXES:
            fixed = pattern.sub(replacement, fixed)
        # Belt and braces for the duplicated thebe configuration (see the module docstring).
        thebe = re.findall(r"<script>const THEBE_JS_URL[^<]*</script>\n?", fixed)
        for duplicate in thebe[1:]:
            head, sep, tail = fixed.rpartition(duplicate)
            fixed = head + tail
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("html-page-context", _dedupe_scripts)
    app.connect("build-finished", _fix_html)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
