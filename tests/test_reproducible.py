"""Running a notebook twice prints the same numbers (it is seeded).

`make test` has already executed every notebook once (EXECUTED_DIR); this test executes one of
them again in a fresh kernel and compares every number the two runs printed.
"""

from __future__ import annotations

import json
import os
import pathlib
import re

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

#: A notebook with many printed numbers and no wall-clock timings (timings differ run to run).
NOTEBOOK = "04_gradient_descent"
NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+(?:[eE][-+]?\d+)?")


def printed_numbers(nb) -> list[str]:
    numbers = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                text = "".join(out["text"])
            elif out["output_type"] in ("execute_result", "display_data"):
                text = "".join(out.get("data", {}).get("text/plain", ""))
                if "<Figure" in text or "<IPython" in text:
                    continue
            else:
                continue
            numbers.extend(NUMBER.findall(text))
    return numbers


def test_second_run_prints_the_same_numbers(executed_dir, tmp_path):
    first = json.loads((executed_dir / f"{NOTEBOOK}.ipynb").read_text())
    nb = nbformat.read(ROOT / "chapters" / f"{NOTEBOOK}.ipynb", as_version=4)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
    a, b = printed_numbers(first), printed_numbers(nb)
    assert len(a) > 20, f"{NOTEBOOK} printed too few numbers ({len(a)}) for this test to mean anything"
    assert a == b, next(
        (f"number {i} differs: first run {x}, second run {y}" for i, (x, y) in enumerate(zip(a, b)) if x != y),
        f"the runs printed {len(a)} and {len(b)} numbers",
    )


def test_number_extraction_sees_differences():
    """The comparison above can fail: different printed numbers are detected."""
    nb1 = {"cells": [{"outputs": [{"output_type": "stream", "text": "loss 0.1234, step 3"}]}]}
    nb2 = {"cells": [{"outputs": [{"output_type": "stream", "text": "loss 0.1235, step 3"}]}]}
    assert printed_numbers(nb1) == ["0.1234", "3"]
    assert printed_numbers(nb1) != printed_numbers(nb2)
    assert pathlib.Path(ROOT / "chapters").is_dir()
