"""Notebook conventions (CONTRIBUTING.md), checked on the committed files. Fast: no execution."""

from __future__ import annotations

import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
PAGES = sorted((ROOT / "chapters").glob("*.md"))


def toc_files() -> list[str]:
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)


def load(path: pathlib.Path) -> dict:
    return json.loads(path.read_text())


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def test_there_are_notebooks():
    assert NOTEBOOKS, "no chapter notebooks found"


def test_every_toc_entry_exists():
    for entry in toc_files():
        candidates = [ROOT / f"{entry}{ext}" for ext in (".ipynb", ".md")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists {entry}, which does not exist"


def test_every_chapter_file_is_in_the_toc():
    listed = set(toc_files())
    for path in NOTEBOOKS + PAGES:
        rel = path.relative_to(ROOT).with_suffix("").as_posix()
        assert rel in listed, f"{rel} is not listed in _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebook:
    def test_outputs_cleared(self, path):
        for i, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"cell {i} has stored outputs: run `make clean-notebooks`"
                assert cell.get("execution_count") is None, f"cell {i} has an execution count"

    def test_kernelspec(self, path):
        spec = load(path)["metadata"].get("kernelspec", {})
        assert spec.get("name") == "python3", f"kernelspec should be python3, got {spec}"
        assert spec.get("language") == "python"

    def test_first_cell_is_the_colab_setup_cell(self, path):
        first = load(path)["cells"][0]
        assert first["cell_type"] == "code"
        assert first["metadata"].get("tags") == nbtools.SETUP_TAGS, "setup cell must be tagged remove-cell, colab-setup"
        assert source(first) == nbtools.setup_source(), (
            "the setup cell is not the current one (it must install from the repository URL in "
            "_config.yml): run `python scripts/nbtools.py set-repo URL`"
        )

    def test_title_then_what_you_will_learn(self, path):
        cells = load(path)["cells"]
        title = cells[1]
        assert title["cell_type"] == "markdown" and source(title).startswith("# "), "second cell must be the `# Title`"
        assert len(re.findall(r"^# ", "\n".join(source(c) for c in cells if c["cell_type"] == "markdown"), flags=re.M)) == 1, "exactly one `# ` title per notebook"
        headings = [line for c in cells if c["cell_type"] == "markdown" for line in source(c).splitlines() if line.startswith("## ")]
        assert headings, "no sections"
        assert headings[0].strip() == "## What you will learn", f"first section should be 'What you will learn', got {headings[0]!r}"
        assert "## Summary" in [h.strip() for h in headings], "no '## Summary' section"
        assert headings[-1].strip() == "## Exercises", "last section should be '## Exercises'"

    def test_objectives_prerequisites_time(self, path):
        cells = load(path)["cells"]
        text = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
        intro = text.split("## What you will learn", 1)[1].split("\n## ", 1)[0]
        assert "**Prerequisites:**" in intro, "'What you will learn' must state **Prerequisites:**"
        assert re.search(r"\*\*Time:\*\*\s*about \d+", intro), "'What you will learn' must state **Time:** about N minutes"

    def test_seeded(self, path):
        code = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "code")
        if "tensorflow" in code:
            assert re.search(r"(tf\.random\.set_seed|keras\.utils\.set_random_seed)\(", code), "TensorFlow is used but never seeded"
        if re.search(r"np\.random\.(rand|randn|normal|uniform|randint|choice|shuffle|permutation)\(", code):
            pytest.fail("use a seeded Generator (rng = np.random.default_rng(SEED)), not the np.random global functions")

    def test_no_float64_by_default(self, path):
        code = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "code")
        assert "set_floatx(\"float64\")" not in code and "set_floatx('float64')" not in code

    def test_figure_cells_have_alt_text(self, path):
        """A code cell that draws (plt., plotting.) must carry alt text in its metadata."""
        for i, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code" or "solution" in cell["metadata"].get("tags", []):
                continue
            src = source(cell)
            draws = re.search(r"^(fig\b|plt\.show|plotting\.\w+\()|plt\.(plot|imshow|subplots|figure)\(", src, flags=re.M)
            if draws and "animation_html" not in src:
                alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt")
                assert alt and len(alt) > 15, f"cell {i} draws a figure but has no mystnb.image.alt text"

    def test_exercises_have_work_check_and_solution(self, path):
        cells = load(path)["cells"]
        tags = [c["metadata"].get("tags", []) for c in cells]
        n_work = sum("exercise" in t for t in tags)
        n_check = sum("check" in t for t in tags)
        n_solution = sum("solution" in t for t in tags)
        assert 4 <= n_work <= 6, f"expected 4–6 exercises (cells tagged 'exercise'), found {n_work}"
        assert n_work == n_check == n_solution, f"exercise/check/solution cells: {n_work}/{n_check}/{n_solution}"
        for i, t in enumerate(tags):
            if any(tag.startswith("hide-") for tag in t):
                assert "solution" in t, f"cell {i}: only solutions are hidden (the toggle says 'Show the worked solution')"
            if "solution" in t:
                assert "hide-cell" in t and "hide-input" not in t, (
                    f"solution cell {i} must be tagged hide-cell (code and output behind the toggle)")
                jupyter = cells[i]["metadata"].get("jupyter", {})
                assert jupyter.get("source_hidden") is True and jupyter.get("outputs_hidden") is True, (
                    f"solution cell {i} should be collapsed in Jupyter, code and output "
                    "(metadata.jupyter.source_hidden and outputs_hidden)"
                )
                assert "assert " in source(cells[i]), f"solution cell {i} must assert its own check"
            if "check" in t:
                assert "checks." in source(cells[i]), f"check cell {i} must call a helpers.checks function"
        difficulty = [c for c in cells if c["cell_type"] == "markdown" and source(c).startswith("### Exercise")]
        assert len(difficulty) == n_work, "each exercise starts with a '### Exercise N' heading"
        for c in difficulty:
            assert re.search(r"[★☆]{3}", source(c)), "each exercise heading shows its difficulty (★☆☆, ★★☆, ★★★)"
        assert any("★★★" in source(c) for c in difficulty), (
            "at least one exercise per chapter is ★★★ (train, tune or debug something)")

    def test_lesson_cells_are_short(self, path):
        """Lesson code cells have at most 25 lines (exercise, check and solution cells aside)."""
        for i, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code" or i == 0:
                continue
            if set(cell["metadata"].get("tags", [])) & {"exercise", "check", "solution"}:
                continue
            n = len(source(cell).rstrip().splitlines())
            assert n <= MAX_CELL_LINES, f"cell {i} has {n} lines (at most {MAX_CELL_LINES}): split it into steps"

    def test_code_fits_the_column(self, path):
        """Every code line is at most 79 characters: the book's column shows no more."""
        for i, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code" or i == 0:
                continue
            for line in source(cell).splitlines():
                assert len(line) <= MAX_LINE, f"cell {i}: a line of {len(line)} characters: {line[:60]}..."

    def test_no_threshold_asserts_in_lesson_cells(self, path):
        """Facts are asserts; claims about a run go through helpers.claims.claim.

        An assert in a lesson cell may compare with <, >, <= or >= only against a
        tolerance (a literal of at most 1e-3): anything else is an empirical threshold.
        """
        for i, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code" or i == 0 or "solution" in cell["metadata"].get("tags", []):
                continue
            for bad in threshold_asserts(source(cell)):
                pytest.fail(f"cell {i}: the assert compares with {bad}: state it with claim(...)")


MAX_CELL_LINES = 25
MAX_LINE = 79


def threshold_asserts(code: str) -> list[str]:
    """The ordering comparisons in ``assert`` statements that are not tolerance checks."""
    import ast

    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for cmp in ast.walk(node.test):
            if not isinstance(cmp, ast.Compare):
                continue
            if not any(isinstance(op, (ast.Lt, ast.Gt, ast.LtE, ast.GtE)) for op in cmp.ops):
                continue
            operands = [cmp.left, *cmp.comparators]
            tolerances = [o for o in operands if _is_tolerance(o)]
            if not tolerances:
                found.append(ast.unparse(cmp))
    return found


def _is_tolerance(node) -> bool:
    import ast

    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return False
    return isinstance(value, (int, float)) and 0 < abs(value) <= 1e-3


def test_threshold_rule_itself():
    assert threshold_asserts("assert acc > 0.9") == ["acc > 0.9"]
    assert threshold_asserts("assert err < 1e-6 and report") == []
    assert threshold_asserts("assert np.allclose(a, b)") == []
    assert threshold_asserts("assert 0.02 < lr < 0.025") == ["0.02 < lr < 0.025"]
    assert threshold_asserts("x = 1 if a > 0.5 else 2") == []
