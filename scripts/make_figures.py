"""Regenerate the course's static figures (committed under chapters/images/).

    .venv/bin/python scripts/make_figures.py          # write the figures
    .venv/bin/python scripts/make_figures.py --check  # exit 1 if a committed figure is out of date

Today there is one: ``chapters/images/chapter_map.svg``, drawn by
:func:`helpers.plotting.chapter_map` and shown on the front page and in the instructor
guide. The SVG is byte-for-byte reproducible (no date, a fixed hash salt for element ids),
so it only changes in git when the drawing changes.
"""

from __future__ import annotations

import io
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
IMAGES = ROOT / "chapters" / "images"


def svg_bytes(fig) -> bytes:
    """The figure as a reproducible SVG: no creation date, fixed element ids."""
    with matplotlib.rc_context({"svg.hashsalt": "tensors-to-mnist", "svg.fonttype": "path"}):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def chapter_map_svg() -> bytes:
    """``helpers.plotting.chapter_map()`` as SVG bytes."""
    from helpers import plotting

    fig = plotting.chapter_map()
    try:
        return svg_bytes(fig)
    finally:
        plt.close(fig)


FIGURES = {"chapter_map.svg": chapter_map_svg}


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print(__doc__)
        return 2
    stale = []
    for name, make in FIGURES.items():
        path = IMAGES / name
        data = make()
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
            continue
        IMAGES.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)} ({len(data):,} bytes)")
    for name in stale:
        print(f"chapters/images/{name} is out of date: run `.venv/bin/python scripts/make_figures.py`")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
