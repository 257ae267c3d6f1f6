"""scripts/nbtools.py: the one repository setting, and the Colab setup cell."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402

import helpers  # noqa: E402


def test_repository_url_agrees_everywhere():
    url = nbtools.repository_url()
    assert url.startswith("https://github.com/")
    assert helpers.REPOSITORY_URL == url, "helpers/__init__.py disagrees with _config.yml"
    assert f"git+{url}" in nbtools.setup_source()


def test_setup_cell_skips_install_when_helpers_is_importable():
    src = nbtools.setup_source().replace("%pip install", "raise AssertionError  #")
    exec(compile(src, "setup", "exec"), {})  # helpers is importable here: no install attempted


def test_set_repo_rewrites_every_copy(tmp_path):
    for name in ("_config.yml",):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "helpers").mkdir()
    shutil.copy2(ROOT / "helpers" / "__init__.py", tmp_path / "helpers" / "__init__.py")
    (tmp_path / "chapters").mkdir()
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": nbtools.SETUP_TAGS}, "source": "x",
                     "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "chapters" / "a.ipynb").write_text(json.dumps(nb))
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    new = "https://github.com/someone/my-fork"
    out = subprocess.run([sys.executable, "scripts/nbtools.py", "set-repo", new], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"url: {new}" in (tmp_path / "_config.yml").read_text()
    assert f'"{new}"' in (tmp_path / "helpers" / "__init__.py").read_text()
    cell = json.loads((tmp_path / "chapters" / "a.ipynb").read_text())["cells"][0]
    assert f"git+{new}" in "".join(cell["source"])  # nbformat writes the source as lines
    check = subprocess.run([sys.executable, "scripts/nbtools.py", "check-setup"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("bad", ["github.com/x/y", "https://gitlab.com/x/y", "https://github.com/x"])
def test_set_repo_rejects_other_urls(bad):
    with pytest.raises(SystemExit, match="expected https://github.com/OWNER/REPO"):
        nbtools.set_repo(bad)


def test_clear_removes_outputs(tmp_path):
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": "1", "execution_count": 3,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    nbtools.clear([path])
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
