"""Shared fixtures and paths for the course's tests."""

from __future__ import annotations

import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def toc_entries() -> list[str]:
    """Every file listed in _toc.yml, relative to the repository, without suffix."""
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)


def toc_notebooks() -> list[str]:
    """Names (``02_tensors``) of the notebooks listed in _toc.yml."""
    return [pathlib.Path(e).name for e in toc_entries() if (ROOT / f"{e}.ipynb").exists()]


@pytest.fixture
def executed_dir() -> pathlib.Path:
    """Folder of notebooks that `make test` executed (set by scripts/run_checks.py)."""
    value = os.environ.get("EXECUTED_DIR")
    if not value:
        pytest.fail("EXECUTED_DIR is not set: run these tests through `make test` (scripts/run_checks.py)")
    path = pathlib.Path(value)
    if not path.is_dir():
        pytest.fail(f"EXECUTED_DIR={path} does not exist: the notebooks stage has not run")
    return path


@pytest.fixture
def book_html() -> pathlib.Path:
    """The built book's HTML folder (BOOK_HTML, default _build/html)."""
    path = pathlib.Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
    if not (path / "index.html").exists():
        pytest.fail(f"no built book at {path}: run `make book` or `make test` first")
    return path


def assert_fails(feedback, *words):
    """An exercise check said ❌, and its message names every one of ``words``."""
    assert not feedback, f"expected a failure, got: {feedback}"
    assert str(feedback).startswith("❌")
    text = str(feedback).lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in {feedback}"


def assert_passes(feedback):
    """An exercise check said ✅."""
    assert feedback, f"expected a pass, got: {feedback}"
    assert str(feedback).startswith("✅")
