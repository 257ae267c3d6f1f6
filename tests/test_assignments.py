"""make_assignments: Otter master notebooks generated from the declared exercises, graded offline.

The grading tests need otter-grader (``make assignments``); they are skipped without it.
The fast suite builds and grades one chapter (the quickest); ``-m slow`` does every chapter.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_assignments  # noqa: E402

FAST_CHAPTER = "02_tensors"  # the quickest to build and grade (about 40 s for the three gradings)
CHAPTERS = [p for p in make_assignments.make_student.toc_notebooks()
            if p.exists() and make_assignments.master(json.loads(p.read_text()), p.stem)]
SLOW_CHAPTERS = [p.stem for p in CHAPTERS if p.stem != FAST_CHAPTER]


def _source(cell) -> str:
    return make_assignments.make_student.source(cell).strip()


def _chapter(chapter: str) -> dict:
    return json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())


def test_parse_check():
    assert make_assignments.parse_check("checks.tape.exercise_2(per_example_grads)") == (
        "tape", 2, "per_example_grads")
    assert make_assignments.parse_check("checks.intro.exercise_4((a, b))")[2] == "(a, b)"
    with pytest.raises(ValueError):
        make_assignments.parse_check("print(1)")


def test_helpers_do_not_import_otter():
    for path in (ROOT / "helpers").rglob("*.py"):
        assert "otter" not in path.read_text(), path


def test_fast_chapter_is_built():
    assert FAST_CHAPTER in [p.stem for p in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_master_has_one_question_per_exercise(path):
    nb = json.loads(path.read_text())
    made = make_assignments.master(nb, path.stem)
    qs = make_assignments.questions(nb)
    begins = [c for c in made["cells"] if c["cell_type"] == "raw"
              and c["source"].startswith("# BEGIN QUESTION")]
    assert len(begins) == len(qs)
    for q, cell in zip(qs, begins):
        assert f"points: {q.declared().points}" in cell["source"]


def test_master_skips_a_chapter_without_setup_cells():
    nb = _chapter(FAST_CHAPTER)
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if make_assignments.SETUP_TAG in tags:
            tags.remove(make_assignments.SETUP_TAG)
    assert make_assignments.master(nb, FAST_CHAPTER) is None


def _otter() -> pathlib.Path:
    otter = pathlib.Path(sys.executable).with_name("otter")
    if not otter.exists():
        pytest.skip("otter-grader is not installed (make assignments installs it)")
    return otter


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``built(chapter)``: the chapter's assignment folder, built on first use only."""
    _otter()
    out, folders = tmp_path_factory.mktemp("assignments"), {}

    def get(chapter: str) -> pathlib.Path:
        if chapter not in folders:
            folders[chapter] = make_assignments.build(ROOT / "chapters" / f"{chapter}.ipynb", out)
        return folders[chapter]

    return get


def _grade(folder: pathlib.Path, runs: dict[str, pathlib.Path], tmp: pathlib.Path) -> dict:
    """Grade several notebooks at once (``otter run``, in parallel): name -> {question: score}."""
    zip_path = next((folder / "autograder").glob("*.zip"))
    env = {**os.environ, **make_assignments.ENV}
    procs = {}
    for name, notebook in runs.items():
        (tmp / name).mkdir(parents=True, exist_ok=True)
        procs[name] = subprocess.Popen(
            [str(_otter()), "run", "--no-logo", "-a", str(zip_path), "-o", str(tmp / name),
             str(notebook)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    scores = {}
    for name, proc in procs.items():
        output, _ = proc.communicate()
        assert proc.returncode == 0, (name, output[-2000:])
        tests = json.loads((tmp / name / "results.json").read_text())["tests"]
        scores[name] = {t["name"]: t["score"] for t in tests if "score" in t}
    return scores


def _substitution(q, ex) -> str | None:
    """Code that replaces the learner's answer by the exercise's first known mistake.

    The answer is one name, or a tuple of names (then the mistake is a tuple as long).
    """
    target = ast.parse(q.answer_src, mode="eval").body
    names = [target] if isinstance(target, ast.Name) else getattr(target, "elts", None)
    if not ex.mistakes or not names or not all(isinstance(n, ast.Name) for n in names):
        return None
    wrong = ex.mistakes[0][0]
    if isinstance(target, ast.Tuple) and not (isinstance(wrong, tuple)
                                              and len(wrong) == len(names)):
        return None
    value = f"_m.{q.name}.mistakes[0][0]"
    if ex.answer == "value" and callable(wrong):
        value += "()"
    return (f"import helpers.checks.{q.module} as _m\n"
            f"{', '.join(n.id for n in names)} = {value}")


def _with_mistakes(folder: pathlib.Path, chapter: str, tmp: pathlib.Path) -> tuple[pathlib.Path, set]:
    """The solutions notebook with each exercise's first known mistake substituted."""
    nb = json.loads((folder / "autograder" / f"{chapter}.ipynb").read_text())
    substituted = set()
    for q in make_assignments.questions(_chapter(chapter)):
        code = _substitution(q, q.declared())
        if code is None:
            continue
        substituted.add(q.name)
        at = next(i for i, c in enumerate(nb["cells"]) if _source(c) == _source(q.check))
        nb["cells"].insert(at, {"cell_type": "code", "execution_count": None, "metadata": {},
                                "outputs": [], "source": code})
    path = tmp / f"{chapter}.ipynb"
    tmp.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path, substituted


def _check_grading(folder: pathlib.Path, chapter: str, tmp_path: pathlib.Path):
    """Solutions: full marks; untouched student notebook: zero; one mistake: its points lost."""
    points = {q.name: q.declared().points for q in make_assignments.questions(_chapter(chapter))}
    wrong_nb, substituted = _with_mistakes(folder, chapter, tmp_path / "mistakes-nb")
    assert substituted
    got = _grade(folder, {"solutions": folder / "autograder" / f"{chapter}.ipynb",
                          "student": folder / "student" / f"{chapter}.ipynb",
                          "mistakes": wrong_nb}, tmp_path)
    assert got["solutions"] == pytest.approx(points)
    assert got["student"] == pytest.approx({k: 0 for k in points})
    assert got["mistakes"] == pytest.approx(
        {k: (0 if k in substituted else v) for k, v in points.items()}), sorted(substituted)


def _check_student_hides_solutions(folder: pathlib.Path, chapter: str):
    cells = json.loads((folder / "student" / f"{chapter}.ipynb").read_text())["cells"]
    student = "\n".join(_source(c) for c in cells)
    assert ".grade(" not in student and "hidden: true" not in student, chapter
    nb = _chapter(chapter)
    shown = "\n".join(_source(c) for c in nb["cells"]
                      if "solution" not in make_assignments.make_student.tags(c))
    for q in make_assignments.questions(nb):
        lines = [ln for ln in _source(q.solution).splitlines()
                 if len(ln.strip()) > 20 and ln.strip() not in shown]
        assert not any(ln in student for ln in lines), (chapter, q.name)


def test_fast_chapter_grading_and_student_notebook(built, tmp_path):
    folder = built(FAST_CHAPTER)
    _check_student_hides_solutions(folder, FAST_CHAPTER)
    _check_grading(folder, FAST_CHAPTER, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", SLOW_CHAPTERS)
def test_every_chapter_grading_and_student_notebook(built, chapter, tmp_path):
    folder = built(chapter)
    _check_student_hides_solutions(folder, chapter)
    _check_grading(folder, chapter, tmp_path)
