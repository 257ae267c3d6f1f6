"""Otter-Grader assignments, generated from the chapters' exercises and declared checks.

    .venv/bin/python scripts/make_assignments.py                  # every chapter -> _build/assignments/
    .venv/bin/python scripts/make_assignments.py --out DIR 02_tensors   # only these chapters
    .venv/bin/python scripts/make_assignments.py --no-assign      # master notebooks only

(`make assignments` runs the first form; it needs ``otter-grader``, which learners do not.)
One source of truth: nothing is written twice. For each chapter notebook in ``_toc.yml`` whose
check cells call a declared :class:`helpers.checks.Exercise`, the master notebook has

* the Colab setup cell and every cell tagged ``assignment-setup`` (imports, data, the functions
  the exercises build on; not the chapter's training runs), in the chapter's order;
* per exercise: its Markdown, one Otter question worth ``stars`` points whose solution is the
  chapter's ``solution`` cell and whose student prompt is the ``exercise`` cell, then the
  chapter's ``check`` cell as it stands (the learner's feedback);
* two tests per question: a public one, the check cell's call (``exercise_N(answer)``), and a
  hidden one, ``exercise_N.grade(answer)`` (the hidden inputs too). Each is worth half.

A chapter without ``assignment-setup`` cells is skipped with a note. ``otter assign`` then writes
``_build/assignments/<chapter>/{autograder,student}/``: the autograder zip (for Gradescope or
``otter run``) and the student notebook, which holds neither the solutions nor the hidden tests.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import pathlib
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_student  # noqa: E402

ROOT = make_student.ROOT
DEFAULT_OUT = ROOT / "_build" / "assignments"
SETUP_TAG = "assignment-setup"
ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}


class Question:
    """One exercise of a chapter: its cells and its declared check."""

    def __init__(self, module: str, number: int, answer_src: str, markdown: dict,
                 exercise: dict, check: dict, solution: dict):
        self.module, self.number, self.answer_src = module, number, answer_src
        self.markdown, self.exercise, self.check, self.solution = markdown, exercise, check, solution

    @property
    def name(self) -> str:
        return f"exercise_{self.number}"

    def declared(self):
        import importlib

        return getattr(importlib.import_module(f"helpers.checks.{self.module}"), self.name)


def parse_check(src: str) -> tuple[str, int, str]:
    """``checks.tape.exercise_2(per_example_grads)`` -> ("tape", 2, "per_example_grads")."""
    tree = ast.parse(src.strip())
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        raise ValueError(f"a check cell must be one call, got {src!r}")
    call = tree.body[0].value
    func = call.func if isinstance(call, ast.Call) else None
    if not (isinstance(func, ast.Attribute) and func.attr.startswith("exercise_")
            and isinstance(func.value, ast.Attribute) and len(call.args) == 1):
        raise ValueError(f"a check cell must call checks.<module>.exercise_N(answer), got {src!r}")
    return func.value.attr, int(func.attr.split("_")[1]), ast.get_source_segment(src.strip(), call.args[0])


def questions(nb: dict) -> list[Question]:
    """The exercises of a chapter: markdown, exercise, check and solution cells, in order."""
    cells, found = nb["cells"], []
    for i, cell in enumerate(cells):
        if "check" not in make_student.tags(cell):
            continue
        module, number, answer = parse_check(make_student.source(cell))
        ex = next(j for j in range(i - 1, -1, -1) if "exercise" in make_student.tags(cells[j]))
        md = next(j for j in range(ex - 1, -1, -1) if cells[j]["cell_type"] == "markdown")
        sol = next(j for j in range(i + 1, len(cells)) if "solution" in make_student.tags(cells[j]))
        found.append(Question(module, number, answer, cells[md], cells[ex], cell, cells[sol]))
    return found


def _raw(text: str) -> dict:
    return {"cell_type": "raw", "metadata": {}, "source": text}


def _code(text: str, tags=()) -> dict:
    meta = {"tags": list(tags)} if tags else {}
    return {"cell_type": "code", "execution_count": None, "metadata": meta, "outputs": [],
            "source": text}


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _clean(cell: dict) -> dict:
    out = copy.deepcopy(cell)
    out.pop("id", None)
    out["metadata"] = {k: v for k, v in out.get("metadata", {}).items() if k == "tags"}
    if out["cell_type"] == "code":
        out["outputs"], out["execution_count"] = [], None
    return out


def solution_cell(q: Question) -> dict:
    """The solution, with the exercise cell as Otter's student prompt.

    The solutions notebook runs the exercise cell, then the solution, as a learner does in the
    chapter: an exercise cell may define data or functions that its solution uses.
    """
    prompt = make_student.source(q.exercise).rstrip("\n")
    quote = '"""' if '"""' not in prompt else "'''"
    if quote in prompt:
        raise ValueError(f"{q.module} {q.name}: the exercise cell uses both kinds of triple quotes")
    body = make_student.source(q.solution).rstrip("\n")
    return _code(f"# BEGIN SOLUTION NO PROMPT\n{prompt}\n\n\n{body}\n# END SOLUTION\n"
                 f"{quote} # BEGIN PROMPT\n{prompt}\n{quote}  # END PROMPT\n")


def test_cell(q: Question, *, hidden: bool) -> dict:
    """An exception-based Otter test: the declared check (or its stricter grade) on the answer."""
    method = ".grade" if hidden else ""
    kind = "hidden" if hidden else "public"
    return _code(
        f'""" # BEGIN TEST CONFIG\nhidden: {str(hidden).lower()}\npoints: {q.declared().points / 2}\n'
        f'""" # END TEST CONFIG\n'
        f"def test_{kind}(env):\n"
        f"    import helpers.checks.{q.module} as module\n"
        f"    answer = eval({q.answer_src!r}, env)\n"
        f"    feedback = module.{q.name}{method}(answer)\n"
        f"    assert feedback.passed, str(feedback)\n\n"
        f"test_{kind}(env)  # noqa: F821\n")


def master(nb: dict, chapter: str) -> dict | None:
    """The Otter master notebook of one chapter, or None when no cell is tagged for set-up."""
    setup = [c for c in nb["cells"] if SETUP_TAG in make_student.tags(c)]
    if not setup:
        return None
    config = {
        "name": chapter, "init_cell": False, "check_all_cell": False, "export_cell": False,
        "run_tests": False, "generate": {"pdf": False, "seed": None},
        "tests": {"files": False, "ok_format": False}, "requirements": "requirements.txt",
    }
    cells = [_raw("# ASSIGNMENT CONFIG\n" + json.dumps(config, indent=1))]
    first = nb["cells"][0]
    if "colab-setup" in make_student.tags(first):
        cells.append(_clean(first))
    cells.append(_md(f"# Assignment: {make_student.title_of(nb)}"))
    cells += [_clean(c) for c in setup if c is not first]
    for q in questions(nb):
        cells += [_raw(f"# BEGIN QUESTION\nname: {q.name}\npoints: {q.declared().points}"),
                  _clean(q.markdown), _raw("# BEGIN SOLUTION"), solution_cell(q),
                  _raw("# END SOLUTION"), _raw("# BEGIN TESTS"), test_cell(q, hidden=False),
                  test_cell(q, hidden=True), _raw("# END TESTS"), _raw("# END QUESTION"),
                  _clean(q.check)]
    out = {k: v for k, v in nb.items() if k != "cells"}
    out["cells"] = cells
    return out


def requirements() -> str:
    """What Gradescope installs: the course's helpers from its repository, with TensorFlow."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import nbtools

    return (f"{nbtools.DIST_NAME} @ git+{nbtools.repository_url()}\n"
            "tensorflow>=2.16\nnumpy>=1.26\nmatplotlib>=3.8\nscikit-learn>=1.3\n")


def build(path: pathlib.Path, out: pathlib.Path, *, assign: bool = True) -> pathlib.Path | None:
    """Write the chapter's master notebook (and run ``otter assign``); None if skipped."""
    nb = json.loads(path.read_text())
    chapter = path.stem
    made = master(nb, chapter)
    if made is None:
        print(f"skipped {chapter}: no cell is tagged {SETUP_TAG!r}")
        return None
    folder = out / chapter
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "master").mkdir(parents=True)
    target = folder / "master" / f"{chapter}.ipynb"
    target.write_text(json.dumps(made, indent=1, ensure_ascii=False) + "\n")
    (folder / "master" / "requirements.txt").write_text(requirements())
    if assign:
        import os

        otter = pathlib.Path(sys.executable).with_name("otter")
        subprocess.run([str(otter), "assign", "--no-pdfs", str(target), str(folder)],
                       check=True, cwd=folder / "master", env={**os.environ, **ENV},
                       stdout=subprocess.DEVNULL)
    return folder


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: every one in _toc.yml)")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--no-assign", action="store_true", help="write master notebooks only")
    args = parser.parse_args(argv)
    paths = [p for p in make_student.toc_notebooks() if p.exists()]
    if args.chapters:
        paths = [p for p in paths if p.stem in args.chapters or p.name in args.chapters]
    paths = [p for p in paths if any("check" in make_student.tags(c)
                                     for c in json.loads(p.read_text())["cells"])]
    built = [f for p in paths if (f := build(p, args.out, assign=not args.no_assign))]
    print(f"wrote {len(built)} assignments to {args.out}/ ({len(paths) - len(built)} skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
