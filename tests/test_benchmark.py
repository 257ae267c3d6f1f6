"""benchmarks/mnist_loop.py and benchmarks/_timing.py: the JSON, the arithmetic, the bad inputs.

No timing assertions: the benchmark measures wall time, and wall time is not a test. The
tests check the promised keys, that the measured values are positive and finite, the FLOP
count by hand on a tiny network, and that bad inputs fail with a clear error.
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
TIMING = ROOT / "benchmarks" / "_timing.py"
LOOP_NAMES = ("fit", "eager", "compiled", "xla")
REQUIRED = {
    "source": str,
    "epochs": int,
    "fit_accuracy": float,
    "scratch_accuracy": float,
    "eager_accuracy": float,
    "xla_accuracy": float,
    "fit_samples_per_s": float,
    "eager_samples_per_s": float,
    "compiled_samples_per_s": float,
    "xla_samples_per_s": float,
    "compiled_over_fit": float,
    "compiled_over_eager": float,
    "xla_over_fit": float,
    "eager_over_fit": float,
    "compiled_over_fit_cpu": float,
    "xla_over_fit_cpu": float,
    "matmul_limit_gflops": float,
    "matmul_limit_cpu_gflops": float,
    "train_flops_per_image": int,
    **{f"{name}_{what}": float for name in LOOP_NAMES
       for what in ("gflops", "fraction_of_limit", "epoch_seconds_median", "epoch_seconds_spread")},
}


@pytest.fixture(scope="module")
def quick_run():
    env = {**os.environ, "MNIST_SOURCE": "sample", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=600)
    assert proc.returncode == 0, f"the benchmark failed:\n{proc.stderr[-3000:]}"
    return proc


def positive_finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


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
    for name in LOOP_NAMES:
        assert len(result["epoch_seconds"][name]) == 2 and len(result["epoch_losses"][name]) == 2
        assert set(result["loops"][name]) >= {"label", "test_accuracy", "images_per_s", "gflops",
                                              "fraction_of_limit", "epoch_seconds", "first_epoch_seconds"}
    assert result["targets"]["checked"] is False, "a --quick run does not judge the targets"
    assert result["throughput_excludes_first_epoch"] is True
    assert result["timing"]["warmup"] >= 1 and result["timing"]["trials"] >= 1


def test_measured_values_are_positive_finite_and_consistent(quick_run):
    r = json.loads(quick_run.stdout)
    for key in ("fit_accuracy", "scratch_accuracy", "eager_accuracy", "xla_accuracy"):
        assert 0.0 <= r[key] <= 1.0
    for key, kind in REQUIRED.items():
        if kind is float and not key.endswith("accuracy") and not key.endswith("spread"):
            assert positive_finite(r[key]), f"{key} = {r[key]}"
    for name in LOOP_NAMES:
        row, epoch = r["loops"][name], r["loops"][name]["epoch_seconds"]
        assert 0 < epoch["min"] <= epoch["q1"] <= epoch["median"] <= epoch["q3"] <= epoch["max"]
        assert len(epoch["trials"]) == r["timing"]["trials"] and epoch["number"] >= 1
        assert len(epoch["cpu_trials"]) == len(epoch["trials"]) and positive_finite(epoch["cpu_median"])
        assert math.isclose(row["images_per_s"], r["n_train"] / epoch["median"], rel_tol=1e-9)
        assert math.isclose(row["gflops"], row["images_per_s"] * r["train_flops_per_image"] / 1e9, rel_tol=1e-9)
        assert math.isclose(row["fraction_of_limit"], row["gflops"] / r["matmul_limit_gflops"], rel_tol=1e-9)
        assert r[f"{name}_samples_per_s"] == row["images_per_s"]
        assert math.isclose(row["images_per_cpu_s"], r["n_train"] / epoch["cpu_median"], rel_tol=1e-9)
        assert positive_finite(row["cpu_fraction_of_limit"])
    for loop in ("compiled", "xla", "eager"):
        assert math.isclose(r[f"{loop}_over_fit"], r[f"{loop}_samples_per_s"] / r["fit_samples_per_s"],
                            rel_tol=1e-9)
    assert r["train_flops_per_image"] == 6 * (784 * 512 + 512 * 10)
    m = r["matmul"]
    assert m["limit_gflops"] == max(row["gflops"] for row in m["shapes"]) == r["matmul_limit_gflops"]
    assert all(positive_finite(row["gflops"]) for row in m["shapes"])


def test_the_four_loops_learn(quick_run):
    """Accuracy, not time: after 2 epochs on 2,000 images every loop is far above chance."""
    result = json.loads(quick_run.stdout)
    for key in ("fit_accuracy", "scratch_accuracy", "eager_accuracy", "xla_accuracy"):
        assert result[key] > 0.6, f"{key} = {result[key]}"
    # the hand-written loops start from the same weights and see the same batches
    assert abs(result["scratch_accuracy"] - result["eager_accuracy"]) <= 0.01
    assert abs(result["scratch_accuracy"] - result["xla_accuracy"]) <= 0.01


def load_module(name="mnist_loop", path=SCRIPT):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_fits_79_columns(quick_run):
    bench = load_module()
    result = json.loads(quick_run.stdout)
    full = {**result, "quick": False, "targets": {**result["targets"], "checked": True, "accuracy_met": True,
                                                  "speed_met": False}}
    for r in (result, full):
        lines = bench.table_lines(r)
        too_wide = [line for line in lines if len(line) > 79]
        assert not too_wide, f"lines wider than 79 columns: {too_wide}"
        assert sum(line.startswith(label) for line in lines for label in ("model.fit", "loop, XLA")) == 2


def test_arguments():
    bench = load_module()
    args = bench.parse_args([])
    assert (args.epochs, args.batch_size, args.quick, args.json) == (5, 128, False, False)
    assert (args.trials, args.min_seconds, args.threads) == (5, 2.0, 0)
    quick = bench.parse_args(["--quick"])
    assert quick.epochs == 2 and quick.trials < args.trials and quick.min_seconds < args.min_seconds
    assert bench.parse_args(["--quick", "--epochs", "3"]).epochs == 3
    for bad in (["--epochs", "0"], ["--batch-size", "0"], ["--epochs", "two"], ["--trials", "0"],
                ["--min-seconds", "0"], ["--min-seconds", "nan"], ["--threads", "-1"]):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)


# ---------------------------------------------------------------- benchmarks/_timing.py
@pytest.fixture(scope="module")
def timing():
    return load_module("_timing", TIMING)


def test_flop_count_by_hand(timing):
    # 3 -> 4 -> 2 on 5 inputs: forward 2*5*3*4 + 2*5*4*2 = 120 + 80 = 200; training 3 x 200
    assert timing.dense_forward_flops([3, 4, 2], 5) == 200
    assert timing.dense_train_flops([3, 4, 2], 5) == 600
    assert timing.dense_train_flops((784, 512, 10), 1) == 6 * (784 * 512 + 512 * 10)
    assert timing.dense_train_flops([784, 512, 10], 128) == 128 * timing.dense_train_flops([784, 512, 10], 1)


@pytest.mark.parametrize("layers, batch, error", [
    ([784], 1, ValueError), ([], 1, ValueError), ([784, 0], 1, ValueError), ([784, 2.5], 1, TypeError),
    ([784, True], 1, TypeError), ("784", 1, TypeError), (784, 1, TypeError), ([784, 10], 0, ValueError),
    ([784, 10], 1.0, TypeError), ([784, 10], True, TypeError),
])
def test_flop_count_rejects_bad_inputs(timing, layers, batch, error):
    with pytest.raises(error):
        timing.dense_train_flops(layers, batch)


def counting(log, name):
    return lambda: log.append(name) or sum(range(100))


def test_median_time_counts_calls_and_summarises(timing):
    calls = []
    result = timing.median_time(counting(calls, "f"), warmup=2, trials=3, min_seconds=0.01)
    assert len(calls) == 2 + 1 + 3 * result.number, "warm-up, one calibration call, then the trials"
    assert len(result.trials) == 3 and result.warmup == 2 and result.number >= 1
    assert 0 < result.min <= result.q1 <= result.median <= result.q3 <= result.max
    assert result.spread >= 0 and result.iqr >= 0
    d = result.as_dict()
    assert json.loads(json.dumps(d))["median"] == result.median and d["spread"] == result.spread


def test_timing_summary_by_hand(timing):
    t = timing.Timing.from_trials([1.0, 3.0, 2.0, 4.0, 5.0], number=2, warmup=1)
    assert (t.median, t.min, t.max, t.q1, t.q3) == (3.0, 1.0, 5.0, 2.0, 4.0)
    assert math.isclose(t.spread, 4.0 / 3.0) and t.iqr == 2.0
    assert t.cpu_median is None and t.cpu_trials == ()
    assert timing.Timing.from_trials([1.0, 2.0], number=1, warmup=0, cpu_per_call=[0.5, 1.5]).cpu_median == 1.0
    for bad in ([], [0.0], [1.0, float("nan")], [-1.0]):
        with pytest.raises(ValueError):
            timing.Timing.from_trials(bad, number=1, warmup=0)
    for bad_cpu in ([1.0], [1.0, -1.0], [1.0, float("inf")]):
        with pytest.raises(ValueError):
            timing.Timing.from_trials([1.0, 2.0], number=1, warmup=0, cpu_per_call=bad_cpu)


def test_interleaved_trials_rotate_and_batched_runs_once_per_trial(timing):
    order = []
    fns = {name: timing.Batched(lambda number, name=name: order.append((name, number))) for name in "abc"}
    results = timing.interleaved_times(fns, warmup=1, trials=3, min_seconds=1e-9)
    trials = order[-9:]
    assert [name for name, _ in trials] == list("abcbcacab")
    assert all(number == results[name].number for name, number in trials)
    assert set(results) == set("abc")


@pytest.mark.parametrize("kwargs, error", [
    ({"fn": 3}, TypeError), ({"trials": 0}, ValueError), ({"trials": 2.0}, TypeError),
    ({"warmup": -1}, ValueError), ({"warmup": True}, TypeError), ({"min_seconds": 0}, ValueError),
    ({"min_seconds": float("inf")}, ValueError), ({"min_seconds": "1"}, TypeError),
])
def test_median_time_rejects_bad_inputs(timing, kwargs, error):
    kwargs = {"fn": lambda: None, "min_seconds": 1e-6, **kwargs}
    fn = kwargs.pop("fn")
    with pytest.raises(error):
        timing.median_time(fn, **kwargs)


def test_interleaved_and_batched_reject_bad_inputs(timing):
    for bad in ({}, [lambda: None], {"a": 3}):
        with pytest.raises(TypeError):
            timing.interleaved_times(bad)
    with pytest.raises(TypeError):
        timing.Batched(3)


def test_matmul_gflops_on_a_tiny_case(timing):
    result = timing.matmul_gflops([(8, 8, 8), (16, 4, 2)], trials=1, min_seconds=0.001)
    assert len(result["shapes"]) == 2 and positive_finite(result["limit_gflops"])
    assert result["limit_gflops"] == max(row["gflops"] for row in result["shapes"])
    assert result["limit_shape"] in ([8, 8, 8], [16, 4, 2])
    json.dumps(result)


@pytest.mark.parametrize("shapes, error", [
    ([], ValueError), ([(8, 8)], ValueError), ([(8, 0, 8)], ValueError), ([(8, 8.0, 8)], TypeError),
    ("abc", TypeError), (None, TypeError), ([8, 8, 8], TypeError),
])
def test_matmul_gflops_rejects_bad_shapes(timing, shapes, error):
    with pytest.raises(error):
        timing.matmul_gflops(shapes, trials=1, min_seconds=0.001)


# ---------------------------------------------------------------- benchmarks/convnet.py
CONVNET = ROOT / "benchmarks" / "convnet.py"
CONVNET_REQUIRED = {
    "source": str, "epochs": int, "parameters": int, "fit_accuracy": float,
    "scratch_accuracy": float, "fit_samples_per_s": float,
    "compiled_samples_per_s": float, "compiled_over_fit": float,
    "compiled_over_fit_cpu": float, "fit_gflops": float, "compiled_gflops": float,
    "fit_fraction_of_limit": float, "compiled_fraction_of_limit": float,
    "matmul_limit_gflops": float, "train_flops_per_image": int,
}


def test_convnet_quick_json_has_the_promised_fields():
    """Fields and types only; wall times are measured, never asserted."""
    env = {**os.environ, "MNIST_SOURCE": "sample", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, str(CONVNET), "--quick", "--json"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, f"the benchmark failed:\n{proc.stderr[-3000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"--json must print one line of JSON, got {len(lines)} lines"
    result = json.loads(lines[0])
    for key, kind in CONVNET_REQUIRED.items():
        assert isinstance(result.get(key), kind) and not isinstance(result[key], bool), key
    assert result["quick"] is True and result["epochs"] == 2 and result["n_train"] == 2000
    assert math.isclose(result["compiled_over_fit"],
                        result["compiled_samples_per_s"] / result["fit_samples_per_s"],
                        rel_tol=1e-9)
    for name in ("fit", "compiled"):
        assert len(result["epoch_seconds"][name]) == 2
        assert len(result["loops"][name]["epoch_seconds"]["trials"]) == result["timing"]["trials"]
        assert math.isclose(result[f"{name}_fraction_of_limit"],
                            result[f"{name}_gflops"] / result["matmul_limit_gflops"], rel_tol=1e-9)


def test_convnet_flop_count():
    """2 x multiply-adds: conv 28x28x(9x1)x16, conv 14x14x(9x16)x32, dense 1568x10."""
    spec = importlib.util.spec_from_file_location("convnet", CONVNET)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.forward_flops_per_image() == 2 * (28 * 28 * 9 * 16 + 14 * 14 * 144 * 32
                                                   + 1568 * 10)


def test_convnet_arguments():
    spec = importlib.util.spec_from_file_location("convnet", CONVNET)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = bench.parse_args([])
    assert (args.epochs, args.batch_size, args.quick, args.json) == (3, 32, False, False)
    assert (args.trials, args.min_seconds) == (7, 5.0)
    assert bench.parse_args(["--quick"]).epochs == 2
    for bad in (["--epochs", "0"], ["--batch-size", "0"], ["--trials", "0"],
                ["--min-seconds", "0"], ["--min-seconds", "nan"]):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)
