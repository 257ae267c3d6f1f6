"""Student notebooks (scripts/make_student.py, `make student`): no solution survives, the rest does.

Fast tests check the structure of the student version of every chapter notebook present in
chapters/ and listed in _toc.yml, and that no kept cell needs a name only a removed solution
defined. The student notebooks are not executed a second time: make test already executed
each chapter in full, with every check cell run on its untouched placeholder. The instructor guide's time table is checked against the notebooks here too.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_student  # noqa: E402

CHAPTERS = [p for p in make_student.toc_notebooks() if p.exists()]
SETUP = {"cell_type": "code", "execution_count": None, "id": "colab-setup", "outputs": [],
         "metadata": {"tags": ["remove-cell", "colab-setup"]}, "source": "import os"}


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def load(path):
    return json.loads(pathlib.Path(path).read_text())


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    make_student.write_student(CHAPTERS, out)
    return out


# ------------------------------------------------------------------ the script itself


def synthetic_notebook():
    ids = iter(range(100))

    def code(src, *tag_list, **meta):
        return {"cell_type": "code", "execution_count": 3, "id": f"cell-{next(ids)}",
                "metadata": {"tags": list(tag_list), **meta}, "outputs": [{"output_type": "stream",
                "name": "stdout", "text": "old output"}], "source": src}

    def md(src, *tag_list):
        return {"cell_type": "markdown", "id": f"cell-{next(ids)}",
                "metadata": {"tags": list(tag_list)}, "source": src}

    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [
            copy.deepcopy(SETUP),
            md("# A chapter\n\nText."),
            md("### Exercise 1 — Square (★☆☆)\n\nWrite `square`."),
            code("def square(x):\n    ...  # your code here", "exercise"),
            code("checks.demo.exercise_1(square)", "check"),
            code("def square(x):\n    return x * x\n\nassert checks.demo.exercise_1(square)",
                 "solution", "hide-cell", jupyter={"source_hidden": True, "outputs_hidden": True}),
            md("Why it works: the SECRET explanation.", "solution"),
            code("print('after')"),
        ],
    }


def test_strip_removes_every_solution_cell_and_keeps_the_rest():
    nb = synthetic_notebook()
    before = copy.deepcopy(nb)
    student = make_student.strip(nb)
    assert nb == before, "strip() must not modify the notebook it is given"
    assert not any("solution" in tags(c) for c in student["cells"])
    text = "\n".join(source(c) for c in student["cells"])
    assert "return x * x" not in text and "SECRET" not in text
    kept = [(c["cell_type"], source(c)) for c in nb["cells"] if "solution" not in tags(c)]
    got = [(c["cell_type"], source(c)) for c in student["cells"] if c.get("id") != make_student.NOTE_ID]
    assert got == kept, "every non-solution cell is kept, unchanged and in order"
    assert all(c["outputs"] == [] and c["execution_count"] is None
               for c in student["cells"] if c["cell_type"] == "code")
    nbformat.validate(nbformat.from_dict(student))


def test_note_comes_right_after_the_setup_cell():
    student = make_student.strip(synthetic_notebook())
    assert "colab-setup" in tags(student["cells"][0])
    note = student["cells"][1]
    assert note["cell_type"] == "markdown" and note["id"] == make_student.NOTE_ID
    assert "Student version" in source(note) and "“A chapter”" in source(note)
    no_setup = synthetic_notebook()
    no_setup["cells"] = no_setup["cells"][1:]
    assert make_student.strip(no_setup)["cells"][0]["id"] == make_student.NOTE_ID


@pytest.mark.parametrize("bad", [None, [], {"cells": "x"}, "notebook"])
def test_strip_rejects_what_is_not_a_notebook(bad):
    with pytest.raises(TypeError, match="notebook"):
        make_student.strip(bad)


def test_main_writes_only_notebooks_and_drops_stale_ones(tmp_path, monkeypatch):
    src = tmp_path / "chapters" / "01_demo.ipynb"
    src.parent.mkdir()
    src.write_text(json.dumps(synthetic_notebook()))
    out = tmp_path / "student"
    assert make_student.main([str(src), "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["01_demo.ipynb"]
    assert not any("solution" in tags(c) for c in load(out / "01_demo.ipynb")["cells"])
    # Without explicit notebooks (`make student`), a student notebook no longer in _toc.yml is
    # removed; a notebook the script did not write is left alone.
    (out / "99_dropped_chapter.ipynb").write_text(json.dumps(make_student.strip(synthetic_notebook())))
    (out / "mine.ipynb").write_text(json.dumps(synthetic_notebook()))
    monkeypatch.setattr(make_student, "toc_notebooks", lambda: [src])
    assert make_student.main(["--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_demo.ipynb", "mine.ipynb"]


def test_main_fails_on_a_missing_notebook(tmp_path, capsys):
    assert make_student.main([str(tmp_path / "nope.ipynb"), "--out", str(tmp_path / "out")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_main_refuses_to_write_over_the_chapters(tmp_path, capsys):
    src = tmp_path / "01_demo.ipynb"
    src.write_text(json.dumps(synthetic_notebook()))
    assert make_student.main([str(src), "--out", str(tmp_path)]) == 1
    assert "refusing" in capsys.readouterr().err
    assert make_student.main(["--out", str(ROOT / "chapters")]) == 1


def test_toc_notebooks_are_the_chapters():
    names = [p.name for p in make_student.toc_notebooks()]
    assert names and all(re.fullmatch(r"\d\d_\w+\.ipynb", n) for n in names), names
    assert "index.ipynb" not in names


# ------------------------------------------------------------------ every chapter's student version


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
class TestStudentNotebook:
    def test_no_solution_survives(self, path, student_dir):
        original, student = load(path), load(student_dir / path.name)
        assert not [c for c in student["cells"] if "solution" in tags(c)], "a cell tagged solution survived"
        text = "\n".join(source(c) for c in student["cells"])
        solutions = [source(c).strip() for c in original["cells"] if "solution" in tags(c)]
        assert solutions, "the chapter has no solution cells"
        for i, sol in enumerate(solutions):
            assert sol and sol not in text, f"the source of solution cell {i} appears in the student notebook"

    def test_everything_else_is_kept(self, path, student_dir):
        original, student = load(path), load(student_dir / path.name)
        kept = [(c["cell_type"], source(c), tags(c)) for c in original["cells"] if "solution" not in tags(c)]
        got = [(c["cell_type"], source(c), tags(c)) for c in student["cells"] if c.get("id") != make_student.NOTE_ID]
        assert got == kept, "the student notebook differs from the chapter by more than its solution cells"
        for tag in ("exercise", "check"):
            n = sum(tag in t for _, _, t in got)
            assert n == sum(tag in tags(c) for c in original["cells"]) and n >= 4, f"{tag} cells: {n}"

    def test_opens_as_a_valid_notebook_with_the_note(self, path, student_dir):
        nb = nbformat.read(student_dir / path.name, as_version=4)
        nbformat.validate(nb)
        assert "colab-setup" in nb.cells[0].metadata.get("tags", [])
        assert nb.cells[1].get("id") == make_student.NOTE_ID
        assert nb.metadata.kernelspec.name == "python3"


def check_output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.extend(str(out["data"].get(k, "")) for k in ("text/plain", "text/html", "text/markdown"))
    return "\n".join(parts)


def defined_and_used(code: str) -> tuple[set[str], set[str]]:
    """Names a cell defines (assigns, defines, imports) and names it reads from outside itself."""
    import ast

    lines = [ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!")) else ln
             for ln in code.splitlines()]
    tree = ast.parse("\n".join(lines))
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, (ast.Store, ast.Del)) else used).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
            for arg in ast.walk(node.args) if hasattr(node, "args") else ():
                if isinstance(arg, ast.arg):
                    defined.add(arg.arg)  # parameters are local: not needed from outside
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                defined.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.arg):
            defined.add(node.arg)  # lambda and function parameters are local
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
        elif isinstance(node, ast.comprehension):
            for target in ast.walk(node.target):
                if isinstance(target, ast.Name):
                    defined.add(target.id)
    return defined, used


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_student_notebook_needs_nothing_from_a_solution(path, student_dir):
    """'Run all' on the student notebook cannot fail for want of a removed solution.

    The full chapter was executed once (make test's notebooks stage), so every cell runs;
    the student version differs only by its solution cells. Here every name a kept cell
    reads must be defined by a kept cell before it (or be a builtin): no kept cell may rely
    on something only a worked solution defined. And the executed chapter's check cells
    (run on the untouched placeholders) showed a cross, never a tick: see
    tests/test_executed_notebooks.py::test_checks_show_a_cross_on_the_placeholder.
    """
    import builtins

    nb = load(student_dir / path.name)
    known = set(dir(builtins)) | {"get_ipython", "display", "__file__"}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        defined, used = defined_and_used(source(cell))
        missing = sorted(used - known - defined)
        assert not missing, (f"student notebook {path.name}, cell {i}: uses {missing}, which no earlier "
                             "cell defines once the solutions are removed")
        known |= defined


def test_name_flow_itself():
    assert defined_and_used("y = f(x)") == ({"y"}, {"f", "x"})
    defined, used = defined_and_used("def g(a):\n    return a + b\nimport numpy as np")
    assert {"g", "a", "np"} <= defined and "b" in used


# ------------------------------------------------------------------ the instructor guide's time table

GUIDE = ROOT / "chapters" / "instructor_guide.md"


def notebook_time(path: pathlib.Path) -> str:
    """The text after '**Time:**' in the notebook, e.g. 'about 40 minutes, plus 20 for the exercises'."""
    text = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    match = re.search(r"\*\*Time:\*\*\s*(about \d+[^\n]*)", text)
    assert match, f"{path.name} has no '**Time:** about N minutes' line"
    return match.group(1).strip().rstrip(".")


def minutes_in_all(phrase: str) -> int:
    """Add up the minutes a time phrase mentions; a range 'N–M' counts as M."""
    return sum(int(hi or lo) for lo, hi in re.findall(r"(\d+)(?:\s*[–-]\s*(\d+))?", phrase))


def guide_rows() -> dict[str, tuple[str, int]]:
    """{notebook file: (time phrase, minutes in all)} from rows `| [Title](NN_x.ipynb) | needs | phrase | N |`."""
    rows = re.findall(r"^\|\s*\[[^\]]+\]\((\d\d_\w+\.ipynb)\)\s*\|[^|]*\|\s*([^|]+?)\s*\|\s*(\d+)\s*\|\s*$",
                      GUIDE.read_text(), flags=re.M)
    return {name: (phrase, int(minutes)) for name, phrase, minutes in rows}


def test_minutes_in_all():
    assert minutes_in_all("about 40 minutes, plus 20 for the exercises") == 60
    assert minutes_in_all("about 45 minutes") == 45
    assert minutes_in_all("about 30–40 minutes") == 40


def test_guide_times_every_chapter_once_and_totals_them():
    rows = guide_rows()
    assert sorted(rows) == sorted(p.name for p in make_student.toc_notebooks()), "one row per chapter"
    for name, (phrase, minutes) in rows.items():
        assert minutes == minutes_in_all(phrase), f"{name}: 'in all' should be {minutes_in_all(phrase)}"
    total = re.search(r"^\|\s*\*\*Total\*\*\s*\|[^|]*\|[^|]*\|\s*\*\*(\d+)\*\*", GUIDE.read_text(), flags=re.M)
    assert total and int(total.group(1)) == sum(m for _, m in rows.values()), "the Total row is not the sum"


def test_guide_dependencies_match_the_chapter_map():
    """The 'Read first' column says what helpers.plotting.CHAPTERS (the drawn map) says."""
    from helpers import plotting

    text = GUIDE.read_text()
    for name, needs in plotting.CHAPTERS.items():
        number = name.split()[0]
        row = re.search(rf"^\|\s*\[[^\]]+\]\({int(number):02d}_\w+\.ipynb\)\s*\|\s*([^|]*?)\s*\|", text, flags=re.M)
        assert row, f"no row for chapter {number}"
        listed = sorted(re.findall(r"\d+", row.group(1)))
        assert listed == sorted(n.split()[0] for n in needs), f"chapter {number}: 'Read first' says {listed}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_guide_time_matches_the_notebook(path):
    phrase = guide_rows().get(path.name, ("(no row)", 0))[0]
    want = notebook_time(path)
    assert phrase == want, (
        f"chapters/instructor_guide.md gives {path.name} the time {phrase!r} but the notebook says "
        f"'**Time:** {want}': in the guide's table, write '| {want} | {minutes_in_all(want)} |' in that "
        "row and update the Total row"
    )
