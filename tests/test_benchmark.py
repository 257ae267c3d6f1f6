"""benchmarks/mnist_loop.py: runs, prints one JSON object with the promised keys and types.

No timing assertions: the benchmark measures wall time, and wall time is not a test.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "mnist_loop.py"
REQUIRED = {
    "source": str,
    "epochs": int,
    "fit_accuracy": float,
    "scratch_accuracy": float,
    "fit_samples_per_s": float,
    "eager_samples_per_s": float,
    "compiled_samples_per_s": float,
    "compiled_over_fit": float,
}


@pytest.fixture(scope="module")
def quick_run():
    env = {**os.environ, "MNIST_SOURCE": "sample", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, f"the benchmark failed:\n{proc.stderr[-3000:]}"
    return proc


def test_json_mode_prints_exactly_one_json_object(quick_run):
    lines = [line for line in quick_run.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"--json must print one line of JSON, got {len(lines)} lines"
    assert isinstance(json.loads(lines[0]), dict)
    assert "Traceback" not in quick_run.stderr


def test_json_has_the_promised_keys_and_types(quick_run):
    result = json.loads(quick_run.stdout)
    for key, kind in REQUIRED.items():
        assert key in result, f"missing key {key!r}"
        assert isinstance(result[key], kind) and not isinstance(result[key], bool), (
            f"{key} should be {kind.__name__}, got {type(result[key]).__name__}"
        )
    assert result["source"] == "sample" and result["quick"] is True
    assert result["epochs"] == 2 and result["n_train"] == 2000 and result["n_test"] == 500
    for key in ("fit_accuracy", "scratch_accuracy", "eager_accuracy"):
        assert 0.0 <= result[key] <= 1.0
    for key in ("fit_samples_per_s", "eager_samples_per_s", "compiled_samples_per_s"):
        assert math.isfinite(result[key]) and result[key] > 0
    assert math.isclose(result["compiled_over_fit"],
                        result["compiled_samples_per_s"] / result["fit_samples_per_s"], rel_tol=1e-9)
    for name in ("fit", "eager", "compiled"):
        assert len(result["epoch_seconds"][name]) == 2 and len(result["epoch_losses"][name]) == 2
    assert result["targets"]["checked"] is False, "a --quick run does not judge the targets"


def test_the_three_loops_learn(quick_run):
    """Accuracy, not time: after 2 epochs on 2,000 images every loop is far above chance."""
    result = json.loads(quick_run.stdout)
    for key in ("fit_accuracy", "scratch_accuracy", "eager_accuracy"):
        assert result[key] > 0.6, f"{key} = {result[key]}"
    # the eager and compiled loops start from the same weights and see the same batches
    assert abs(result["scratch_accuracy"] - result["eager_accuracy"]) <= 0.01


def load_module():
    spec = importlib.util.spec_from_file_location("mnist_loop", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_arguments():
    bench = load_module()
    args = bench.parse_args([])
    assert (args.epochs, args.batch_size, args.quick, args.json) == (5, 128, False, False)
    assert bench.parse_args(["--quick"]).epochs == 2
    assert bench.parse_args(["--quick", "--epochs", "3"]).epochs == 3
    for bad in (["--epochs", "0"], ["--batch-size", "0"], ["--epochs", "two"]):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)


def test_throughput_leaves_out_the_first_epoch():
    bench = load_module()
    assert bench.throughput([10.0, 1.0, 2.0, 3.0], 100) == 50.0
    assert bench.throughput([4.0], 100) == 25.0
