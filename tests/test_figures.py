"""The committed static figures are exactly what scripts/make_figures.py draws (fast)."""

from __future__ import annotations

import pathlib
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_figures  # noqa: E402


@pytest.mark.parametrize("name", sorted(make_figures.FIGURES))
def test_committed_figure_is_up_to_date(name):
    path = make_figures.IMAGES / name
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `.venv/bin/python scripts/make_figures.py`"
    assert path.read_bytes() == make_figures.FIGURES[name](), (
        f"{path.relative_to(ROOT)} differs from what scripts/make_figures.py draws: run it and commit the result"
    )


def test_svg_is_reproducible_and_undated():
    first, second = make_figures.chapter_map_svg(), make_figures.chapter_map_svg()
    assert first == second, "two drawings of the chapter map differ: the SVG is not reproducible"
    root = ET.fromstring(first)
    assert root.tag.endswith("svg")
    assert b"<dc:date>" not in first, "the SVG carries a creation date: it would change on every run"


def test_chapter_map_names_every_chapter():
    """The map shows every numbered chapter of _toc.yml (their numbers) and every dependency arrow."""
    import re

    import yaml

    from helpers import plotting

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    numbers = [m.group(1) for f in files if (m := re.match(r"chapters/(\d\d)_", f))]
    assert [name.split()[0] for name in plotting.CHAPTERS] == [n.lstrip("0") for n in numbers]
    fig = plotting.chapter_map()
    try:
        texts = {t.get_text() for t in fig.axes[0].texts}
        assert set(plotting.CHAPTERS) <= texts
        arrows = [p for p in fig.axes[0].patches if type(p).__name__ == "FancyArrowPatch"]
        assert len(arrows) == sum(len(needs) for needs in plotting.CHAPTERS.values())
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
