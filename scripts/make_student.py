"""Student notebooks: every chapter with its worked solutions removed, checks kept.

    .venv/bin/python scripts/make_student.py                 # all chapters in _toc.yml -> _build/student/
    .venv/bin/python scripts/make_student.py --out DIR       # somewhere else
    .venv/bin/python scripts/make_student.py chapters/02_tensors.ipynb   # only these

(`make student` runs the first form.) For each chapter notebook listed in ``_toc.yml``
it writes a notebook of the same name with

* every cell tagged ``solution`` removed (whatever its type),
* outputs and execution counts cleared,
* a short Markdown note right after the Colab setup cell saying that this is the
  student version and how the exercises work.

Everything else (the setup cell, the text, the ``exercise`` cells with their ``...``
placeholders and the ``check`` cells) is kept as it is. Only the notebooks are written:
nothing else from the repository (the book's HTML, executed outputs) goes into the
output folder, since those would show the solutions. The checks in ``helpers.checks``
still compute the expected answers, so the student notebooks give feedback, not secrecy.
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "_build" / "student"
NOTE_ID = "student-version-note"


def toc_notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """The chapter notebooks listed in ``_toc.yml``, in book order, whether they exist yet or not.

    An entry is a notebook unless it is a Markdown page (``<entry>.md`` exists).
    """
    text = (root / "_toc.yml").read_text()
    entries = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)
    return [root / f"{e}.ipynb" for e in entries if not (root / f"{e}.md").exists()]


def tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def title_of(nb: dict) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and source(cell).startswith("# "):
            return source(cell).splitlines()[0][2:].strip()
    return "this chapter"


def note_cell(title: str) -> dict:
    text = (
        f"> **Student version of “{title}”.** The worked solutions are removed from this notebook. "
        "Each exercise has a cell where you work (replace the `...` placeholders) and, below it, a "
        "check cell: run it to see ✅ when your answer is right or ❌ with a sentence on what is "
        "wrong. Every other cell runs as it stands, so *Run all* works before you start."
    )
    return {"cell_type": "markdown", "id": NOTE_ID, "metadata": {"tags": ["student-note"]}, "source": text}


def strip(nb: dict) -> dict:
    """Return a student copy of notebook ``nb`` (a dict in nbformat 4): see the module docstring."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError("expected a notebook dict with a 'cells' list")
    out = copy.deepcopy(nb)
    cells = [c for c in out["cells"] if "solution" not in tags(c)]
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    at = 1 if cells and "colab-setup" in tags(cells[0]) else 0
    cells.insert(at, note_cell(title_of(nb)))
    out["cells"] = cells
    return out


def is_student_notebook(path: pathlib.Path) -> bool:
    """True if ``path`` is a notebook this script wrote (it carries the student note)."""
    try:
        cells = json.loads(path.read_text())["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return any(isinstance(c, dict) and c.get("id") == NOTE_ID for c in cells)


def write_student(paths, out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Write the student version of each notebook in ``paths`` into ``out_dir``; return the new paths."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in map(pathlib.Path, paths):
        nb = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        student = nbformat.from_dict(strip(nb))
        nbformat.validate(student)  # a malformed student notebook fails here, not in Colab
        nbformat.write(student, target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="chapter notebooks (default: every notebook listed in _toc.yml)")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output folder (default _build/student)")
    args = parser.parse_args(argv)
    paths = args.notebooks or toc_notebooks()
    if any(args.out.resolve() == p.parent.resolve() for p in paths):
        print(f"error: refusing to write into {args.out}, where the chapter notebooks are", file=sys.stderr)
        return 1
    missing = [p for p in paths if not p.exists()]
    if missing:
        for p in missing:
            print(f"error: {p} does not exist", file=sys.stderr)
        return 1
    if not args.notebooks and args.out.exists():
        # A student notebook of a chapter since renamed or dropped from _toc.yml must not linger.
        for old in args.out.glob("*.ipynb"):
            if is_student_notebook(old) and old.name not in {p.name for p in paths}:
                old.unlink()
    written = write_student(paths, args.out)
    removed = sum(sum("solution" in tags(c) for c in nbformat.read(p, as_version=4).cells)
                  for p in paths)
    shown = args.out.resolve()
    try:
        shown = shown.relative_to(pathlib.Path.cwd())
    except ValueError:
        pass
    print(f"wrote {len(written)} student notebooks to {shown}/ ({removed} solution cells removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
