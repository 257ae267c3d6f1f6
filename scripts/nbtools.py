"""Small notebook utilities for course authors (not needed by learners).

    python scripts/nbtools.py setup-cell              # print the Colab setup cell's source
    python scripts/nbtools.py set-repo URL            # the one repository setting, everywhere
    python scripts/nbtools.py clear chapters/*.ipynb  # clear outputs and execution counts
    python scripts/nbtools.py check-setup             # exit 1 if a setup cell is out of date
    python scripts/nbtools.py finalize chapters/X.ipynb  # setup cell first, kernelspec, clear

``finalize`` is for authors who write a chapter in another format (say jupytext's
percent format) and convert it: it puts the current Colab setup cell first (replacing
one tagged ``colab-setup`` if present), sets the python3 kernelspec, and clears outputs.

The repository URL lives in ``_config.yml`` (``repository.url``). ``set-repo`` writes it
there and into the places that must agree with it: ``helpers/__init__.py`` and the Colab
setup cell of every chapter notebook.
"""

from __future__ import annotations

import pathlib
import re
import sys

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETUP_TAGS = ["remove-cell", "colab-setup"]
#: The distribution name in pyproject.toml (the import name stays `helpers`).
DIST_NAME = "tensors-to-mnist-helpers"


def repository_url() -> str:
    """The repository URL from ``_config.yml``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text()) or {}
    url = (config.get("repository") or {}).get("url")
    if not url:
        raise SystemExit("_config.yml has no repository.url")
    return url


def setup_source(url: str | None = None) -> str:
    """The exact source of the Colab setup cell for ``url``."""
    url = url or repository_url()
    return (
        "# Colab setup (hidden in the book, skipped locally): installs the course's helpers\n"
        "# package from the repository when it is not importable.\n"
        "import os\n"
        "\n"
        'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow\'s C++ log lines out of the page\n'
        "try:\n"
        "    import helpers\n"
        "except ImportError:\n"
        f'    %pip install --quiet "{DIST_NAME} @ git+{url}"'
    )


def notebooks() -> list[pathlib.Path]:
    return sorted(p for p in (ROOT / "chapters").glob("*.ipynb"))


def _read(path: pathlib.Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _write(path: pathlib.Path, nb) -> None:
    nbformat.write(nb, path)


def clear(paths) -> None:
    for path in map(pathlib.Path, paths):
        nb = _read(path)
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
            cell.get("metadata", {}).pop("execution", None)
        _write(path, nb)


KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def finalize(paths) -> None:
    for path in map(pathlib.Path, paths):
        nb = _read(path)
        cells = [c for c in nb["cells"] if "colab-setup" not in c.get("metadata", {}).get("tags", [])]
        setup = nbformat.v4.new_code_cell(setup_source(), id="colab-setup",
                                          metadata={"tags": list(SETUP_TAGS)})
        nb["cells"] = [setup] + cells
        nb["metadata"]["kernelspec"] = dict(KERNELSPEC)
        nb["metadata"].setdefault("language_info", {"name": "python"})
        nb["metadata"].pop("jupytext", None)
        nb["nbformat"], nb["nbformat_minor"] = 4, max(nb.get("nbformat_minor", 5), 5)
        _write(path, nb)
    clear(paths)


def set_repo(url: str) -> None:
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise SystemExit(f"expected https://github.com/OWNER/REPO, got {url!r}")
    old = repository_url()
    config = ROOT / "_config.yml"
    config.write_text(config.read_text().replace(f"url: {old}", f"url: {url}", 1))
    init = ROOT / "helpers" / "__init__.py"
    init.write_text(init.read_text().replace(f'"{old}"', f'"{url}"'))
    for path in notebooks():
        nb = _read(path)
        for cell in nb["cells"]:
            if "colab-setup" in cell.get("metadata", {}).get("tags", []):
                cell["source"] = setup_source(url)
        _write(path, nb)
    print(f"repository URL: {old} -> {url}")


def check_setup() -> int:
    expected = setup_source()
    bad = []
    for path in notebooks():
        cells = _read(path).cells
        first = cells[0] if cells else {}
        source = "".join(first.get("source", ""))
        if source != expected or first.get("metadata", {}).get("tags") != SETUP_TAGS:
            bad.append(path.name)
    for name in bad:
        print(f"{name}: first cell is not the current Colab setup cell")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    if command == "setup-cell":
        print(setup_source())
    elif command == "set-repo" and len(args) == 1:
        set_repo(args[0])
    elif command == "clear":
        clear(args or notebooks())
    elif command == "finalize" and args:
        finalize(args)
    elif command == "check-setup":
        return check_setup()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
