"""Convnet benchmark: Keras ``fit`` against chapter 11's hand-written convnet, compiled.

Like ``benchmarks/mnist_loop.py`` (same flags, same JSON style), for the convnet of
chapter "Convolutions by hand, checked against the tape": conv 3x3 (16, ReLU, SAME) →
2x2 max pool → conv 3x3 (32, ReLU, SAME) → 2x2 max pool → dense 10 (logits).

* ``model.fit`` on ``Conv2D`` / ``MaxPooling2D``;
* the hand-written layers (patches by slicing + one matrix product, pooling by a
  reshape) on ``tf.Variable`` objects, trained by ``helpers.scratch.make_train_step``
  (compiled with ``tf.function``).

Both start from the same weights, use Adam(1e-3), batch 32 and a new shuffle every epoch;
the epochs alternate (a callback runs one epoch of the loop after each of fit's). It
reports test accuracy, images per second (median epoch after the first) and the ratio
``compiled_over_fit`` = loop images/s ÷ fit images/s (= fit epoch time ÷ loop epoch
time), as mnist_loop.py does. It measures; it never asserts on time.

    .venv/bin/python benchmarks/convnet.py               # 3 epochs, a table
    .venv/bin/python benchmarks/convnet.py --quick       # 2,000 / 500 images, 2 epochs
    .venv/bin/python benchmarks/convnet.py --json        # one JSON object on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import data, scratch  # noqa: E402

QUICK_TRAIN, QUICK_TEST, QUICK_EPOCHS = 2000, 500, 2
#: Training images at most (the full set would take long on a CPU), as chapter 11.
MAX_TRAIN = 20_000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per loop (default 3; 2 with --quick)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: {QUICK_TRAIN:,} train / {QUICK_TEST:,} test "
                             f"images, {QUICK_EPOCHS} epochs")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = QUICK_EPOCHS if args.quick else 3
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return args


def load(quick: bool):
    """(source, x_train, y_train, x_test, y_test), images (N, 28, 28, 1) float32."""
    source = data.mnist_source()
    (train_images, train_labels), (test_images, test_labels) = data.load_mnist(verbose=False)
    n_train = QUICK_TRAIN if quick else MAX_TRAIN
    train_images, train_labels = train_images[:n_train], train_labels[:n_train]
    if quick:
        test_images, test_labels = test_images[:QUICK_TEST], test_labels[:QUICK_TEST]

    def prepare(images):
        return images[..., None].astype(np.float32) / 255

    return (source, prepare(train_images), train_labels.astype(np.int64),
            prepare(test_images), test_labels.astype(np.int64))


class PatchConv2D:
    """relu(patches(x) @ W + b): a SAME, stride-1 convolution on variables (chapter 11)."""

    def __init__(self, in_channels, out_channels, kernel=3):
        self.k = kernel
        fan_in, fan_out = kernel**2 * in_channels, kernel**2 * out_channels
        limit = np.sqrt(6 / (fan_in + fan_out))
        shape = (kernel, kernel, in_channels, out_channels)
        self.W = tf.Variable(tf.random.uniform(shape, -limit, limit))
        self.b = tf.Variable(tf.zeros(out_channels))

    def __call__(self, x):
        k, pad = self.k, self.k // 2
        h, w = x.shape[1], x.shape[2]
        xp = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
        patches = tf.concat([xp[:, p:p + h, q:q + w, :] for p in range(k) for q in range(k)],
                            axis=-1)
        kernel = tf.reshape(self.W, (-1, self.W.shape[-1]))
        return tf.nn.relu(tf.tensordot(patches, kernel, 1) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]


class ReshapeMaxPool2D:
    """2x2 max pooling by a reshape (chapter 11)."""

    weights = []

    def __call__(self, x):
        _, h, w, c = x.shape
        blocks = tf.reshape(x[:, :h // 2 * 2, :w // 2 * 2, :], (-1, h // 2, 2, w // 2, 2, c))
        return tf.reduce_max(blocks, axis=(2, 4))


class Flatten:
    weights = []

    def __call__(self, x):
        return tf.reshape(x, (-1, int(np.prod(x.shape[1:]))))


def hand_model(seed: int):
    tf.random.set_seed(seed)
    return scratch.NaiveSequential([
        PatchConv2D(1, 16), ReshapeMaxPool2D(), PatchConv2D(16, 32), ReshapeMaxPool2D(),
        Flatten(), scratch.NaiveDense(7 * 7 * 32, 10)])


def keras_model(weights):
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ])
    model.set_weights([w.numpy() for w in weights])  # the same start as the loop
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class Alternate(keras.callbacks.Callback):
    """Times fit's epochs; after each one, runs and times one epoch of the loop."""

    def __init__(self, step, batches, epochs: int, verbose: bool):
        super().__init__()
        self.step, self.batches, self.epochs, self.verbose = step, batches, epochs, verbose
        self.seconds = {"fit": [], "compiled": []}
        self.losses = {"fit": [], "compiled": []}

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds["fit"].append(time.perf_counter() - self.start)
        self.losses["fit"].append(float(logs["loss"]))
        start = time.perf_counter()
        loss = float(tf.reduce_mean([self.step(x, y) for x, y in self.batches]))
        self.seconds["compiled"].append(time.perf_counter() - start)
        self.losses["compiled"].append(loss)
        if self.verbose:
            print(f"  epoch {epoch + 1}/{self.epochs}: fit {self.seconds['fit'][-1]:.2f} s | "
                  f"loop {self.seconds['compiled'][-1]:.2f} s", flush=True)


def throughput(seconds: list[float], n: int) -> float:
    """Images per second: median epoch after the first (all, if only one)."""
    steady = seconds[1:] or seconds
    return n / float(np.median(steady))


def run(args: argparse.Namespace, verbose: bool) -> dict:
    source, x_train, y_train, x_test, y_test = load(args.quick)
    n_train = len(x_train)
    model = hand_model(args.seed)
    fit_model = keras_model(model.weights)
    keras.utils.set_random_seed(args.seed)
    step = scratch.make_train_step(model, scratch.crossentropy_from_logits,
                                   keras.optimizers.Adam(1e-3))
    batches = scratch.BatchGenerator(x_train, y_train, args.batch_size, shuffle=True,
                                     seed=args.seed)
    alternate = Alternate(step, batches, args.epochs, verbose)
    fit_model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                  shuffle=True, verbose=0, callbacks=[alternate])
    sps = {name: throughput(s, n_train) for name, s in alternate.seconds.items()}
    return {
        "source": source, "quick": args.quick, "epochs": args.epochs,
        "batch_size": args.batch_size, "n_train": n_train, "n_test": len(x_test),
        "parameters": int(fit_model.count_params()),
        "fit_accuracy": scratch.accuracy(fit_model, x_test, y_test),
        "scratch_accuracy": scratch.accuracy(model, x_test, y_test),
        "fit_samples_per_s": sps["fit"],
        "compiled_samples_per_s": sps["compiled"],
        "compiled_over_fit": sps["compiled"] / sps["fit"],
        "first_epoch_seconds": {name: s[0] for name, s in alternate.seconds.items()},
        "epoch_seconds": alternate.seconds, "epoch_losses": alternate.losses,
        "throughput_excludes_first_epoch": args.epochs > 1,
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "python": platform.python_version(), "cpu_count": os.cpu_count(),
    }


def print_table(r: dict) -> None:
    print()
    print(f"convnet ({r['parameters']:,} parameters), Adam(1e-3), batch {r['batch_size']}, "
          f"{r['epochs']} epochs, source {r['source']} ({r['n_train']:,} / {r['n_test']:,})")
    print(f"TensorFlow {r['tensorflow']}, Keras {r['keras']}, Python {r['python']}, "
          f"{r['cpu_count']} CPUs")
    header = f"{'loop':26s} {'test accuracy':>13s} {'images/s':>10s} {'÷ fit':>7s}"
    print(header)
    print("-" * len(header))
    for label, acc, name in (("model.fit (Conv2D)", "fit_accuracy", "fit"),
                             ("hand-written, compiled", "scratch_accuracy", "compiled")):
        sps = r[f"{name}_samples_per_s"]
        print(f"{label:26s} {r[acc]:13.4f} {sps:10,.0f} {sps / r['fit_samples_per_s']:7.2f}")
    print(f"\ncompiled loop / fit = {r['compiled_over_fit']:.2f} (this run, this machine)")


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run(args, verbose=not args.json)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
