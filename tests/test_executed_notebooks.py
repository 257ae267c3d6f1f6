"""Checks on the notebooks as `make test` executed them (outputs kept in a throwaway copy)."""

from __future__ import annotations

import json

import pytest
from conftest import toc_notebooks

pytestmark = pytest.mark.slow

IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")


def load(executed_dir, name):
    path = executed_dir / f"{name}.ipynb"
    assert path.exists(), f"{path} was not executed"
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("name", toc_notebooks())
def test_every_cell_ran_without_error(executed_dir, name):
    for i, cell in enumerate(load(executed_dir, name)):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("execution_count") is not None, f"cell {i} did not run"
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"cell {i} raised {out.get('ename')}: {out.get('evalue')}"


@pytest.mark.parametrize("name", toc_notebooks())
def test_no_stderr_no_log_noise(executed_dir, name):
    """Nothing on stderr: no TensorFlow log lines, no warnings in the rendered page."""
    for i, cell in enumerate(load(executed_dir, name)):
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                pytest.fail(f"cell {i} wrote to stderr:\n{text[:800]}")


@pytest.mark.parametrize("name", toc_notebooks())
def test_setup_cell_installed_nothing_locally(executed_dir, name):
    first = load(executed_dir, name)[0]
    assert "colab-setup" in first["metadata"].get("tags", [])
    assert not first.get("outputs"), "the Colab setup cell should be silent when helpers is installed"


@pytest.mark.parametrize("name", toc_notebooks())
def test_every_figure_has_alt_text(executed_dir, name):
    for i, cell in enumerate(load(executed_dir, name)):
        has_image = any(
            any(t in out.get("data", {}) for t in IMAGE_TYPES) for out in cell.get("outputs", [])
        )
        if has_image:
            alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 15, f"cell {i} shows a figure without alt text (metadata mystnb.image.alt)"


@pytest.mark.parametrize("name", toc_notebooks())
def test_every_figure_has_a_numbered_caption(executed_dir, name):
    """Each lesson figure carries mystnb.figure (a caption and a fig- name), so the book numbers
    it and the text can cite it with {numref}. myst-nb wraps every displayed output of the cell
    in that figure, so a captioned cell must display exactly one thing: the figure."""
    for i, cell in enumerate(load(executed_dir, name)):
        tags = set(cell["metadata"].get("tags", []))
        if cell["cell_type"] != "code" or tags & {"solution", "exercise", "check"}:
            continue
        outputs = cell.get("outputs", [])
        has_image = any(any(t in out.get("data", {}) for t in IMAGE_TYPES) for out in outputs)
        figure = cell["metadata"].get("mystnb", {}).get("figure")
        if has_image:
            assert figure, f"cell {i} shows a figure without a caption (metadata mystnb.figure)"
            assert str(figure.get("caption", "")).strip(), f"cell {i}: mystnb.figure.caption is empty"
            name_ = str(figure.get("name", ""))
            assert name_.startswith("fig-"), f"cell {i}: mystnb.figure.name {name_!r} must start with fig-"
        if figure:
            shown = [out for out in outputs if out["output_type"] in ("display_data", "execute_result")]
            assert len(shown) == 1, (
                f"cell {i} has a figure caption but {len(shown)} displayed outputs: each would become "
                "a figure of the same name (end a trailing expression with `;`, or split the cell)"
            )


@pytest.mark.parametrize("name", toc_notebooks())
def test_checks_show_a_cross_on_the_placeholder(executed_dir, name):
    """Each check cell ran on the learner's untouched placeholder (the solution comes after it)
    and showed a ❌ line, never a ✅: what a learner sees before they write anything."""
    cells = load(executed_dir, name)
    for i, cell in enumerate(cells):
        if "check" not in cell["metadata"].get("tags", []):
            continue
        text = json.dumps(cell.get("outputs", []), ensure_ascii=False)
        assert "❌" in text, f"check cell {i} showed no ❌ on the untouched placeholder"
        assert "✅" not in text, f"check cell {i} passed on the untouched placeholder"


@pytest.mark.parametrize("name", toc_notebooks())
def test_figures_fit_the_column(executed_dir, name):
    """Every PNG figure is at most the column's width (6.4 in at 100 dpi, plus a margin)."""
    import base64
    import struct

    for i, cell in enumerate(load(executed_dir, name)):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if not png:
                continue
            raw = base64.b64decode(png if isinstance(png, str) else "".join(png))
            width, height = struct.unpack(">II", raw[16:24])
            assert width <= 700, f"cell {i}: a figure {width} px wide (at most 700): use plotting.subplots"
