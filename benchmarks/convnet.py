"""Convnet benchmark: Keras ``fit`` against chapter 11's hand-written convnet, compiled.

Like ``benchmarks/mnist_loop.py`` (same flags, same JSON style), for the convnet of
chapter "Convolutions by hand, checked against the tape": conv 3x3 (16, ReLU, SAME) →
2x2 max pool → conv 3x3 (32, ReLU, SAME) → 2x2 max pool → dense 10 (logits).

* ``model.fit`` on ``Conv2D`` / ``MaxPooling2D``;
* the hand-written layers (patches by slicing + one matrix product, pooling by a
  reshape) on ``tf.Variable`` objects, trained by ``helpers.scratch.make_train_step``
  (compiled with ``tf.function``).

Both start from the same weights, use Adam(1e-3), batch 32 and a new shuffle every epoch.
Two phases, as in mnist_loop.py:

1. **Accuracy.** ``--epochs`` epochs, alternating (a callback runs one epoch of the loop
   after each of fit's); then the test accuracy of each.
2. **Speed.** ``_timing.interleaved_times`` with one epoch as the unit of work: a warm-up
   epoch each, then ``--trials`` rounds, each loop running as many epochs as make a trial
   last ``--min-seconds``, in rotating order; fit's trial is one ``fit(epochs=k)`` call.

Then the machine's float32 matmul rate (``_timing.matmul_gflops``, on the shapes of the
convolutions as patches times a matrix, and two squares) is the limit, and each loop is
reported as images/s, GFLOP/s (the convolutions and the dense layer counted as matrix
products, a training step as 3 x forward) and the fraction of the limit; the ratio
``compiled_over_fit`` = loop images/s ÷ fit images/s is the one mnist_loop.py reports.
It measures; it never asserts on time.

    .venv/bin/python benchmarks/convnet.py               # 3 epochs, 7 trials, a table
    .venv/bin/python benchmarks/convnet.py --quick       # 2,000 / 500 images, 2 epochs
    .venv/bin/python benchmarks/convnet.py --json        # one JSON object on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _timing  # noqa: E402

from helpers import data, scratch  # noqa: E402

QUICK_TRAIN, QUICK_TEST, QUICK_EPOCHS = 2000, 500, 2
#: The convolutions as (height, width, kernel, in channels, out channels), SAME, stride 1.
CONVS = ((28, 28, 3, 1, 16), (14, 14, 3, 16, 32))
DENSE = (7 * 7 * 32, 10)
#: Training images at most (the full set would take long on a CPU), as chapter 11.
MAX_TRAIN = 20_000


def parse_args(argv=None) -> argparse.Namespace:
    parser = _timing.benchmark_parser(
        __doc__.splitlines()[0], epochs=3, quick_epochs=QUICK_EPOCHS, batch_size=32,
        min_seconds=5.0, trials=7, quick_help=f"smoke test: {QUICK_TRAIN:,} train / {QUICK_TEST:,} "
                                    f"test images, {QUICK_EPOCHS} epochs")
    return _timing.parse_benchmark_args(parser, argv)


def forward_flops_per_image() -> int:
    """Multiply-adds x 2 of one image's forward pass: each convolution as patches
    (H*W rows of K*K*C) times the unrolled kernel (K*K*C x O), then the dense layer."""
    convs = sum(2 * h * w * k * k * c * o for h, w, k, c, o in CONVS)
    return convs + 2 * DENSE[0] * DENSE[1]


def matmul_shapes(batch_size: int, quick: bool) -> list[tuple[int, int, int]]:
    """The convolutions' own products (patches @ kernel) at this batch size, and squares."""
    own = [(batch_size * h * w, k * k * c, o) for h, w, k, c, o in CONVS]
    return own[:1] + [(512, 512, 512)] if quick else own + [(1024, 1024, 1024), (2048, 2048, 2048)]


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
    accuracy = {"fit": scratch.accuracy(fit_model, x_test, y_test),
                "compiled": scratch.accuracy(model, x_test, y_test)}
    if verbose:
        print(f"speed: 1 warm-up epoch each, then {args.trials} trials of "
              f">= {args.min_seconds:g} s, interleaved", flush=True)

    def fit_epochs(number):  # one fit call per trial: its set-up is paid once
        fit_model.fit(x_train, y_train, epochs=number, batch_size=args.batch_size,
                      shuffle=True, verbose=0)

    def loop_epoch():
        return float(tf.reduce_mean([step(x, y) for x, y in batches]))

    timings = _timing.interleaved_times(
        {"fit": _timing.Batched(fit_epochs), "compiled": loop_epoch},
        warmup=1, trials=args.trials, min_seconds=args.min_seconds)
    matmul = _timing.matmul_gflops(matmul_shapes(args.batch_size, args.quick), warmup=1,
                                   trials=args.trials, min_seconds=min(args.min_seconds, 0.25))
    flops = 3 * forward_flops_per_image()
    rows = {}
    for name, timing in timings.items():
        gflops = flops * n_train / timing.median / 1e9
        rows[name] = {"images_per_s": n_train / timing.median, "gflops": gflops,
                      "fraction_of_limit": gflops / matmul["limit_gflops"],
                      "epoch_seconds": timing.as_dict()}
    sps = {name: row["images_per_s"] for name, row in rows.items()}
    return {
        "source": source, "quick": args.quick, "epochs": args.epochs,
        "batch_size": args.batch_size, "n_train": n_train, "n_test": len(x_test),
        "parameters": int(fit_model.count_params()),
        "fit_accuracy": accuracy["fit"], "scratch_accuracy": accuracy["compiled"],
        "fit_samples_per_s": sps["fit"],
        "compiled_samples_per_s": sps["compiled"],
        "compiled_over_fit": sps["compiled"] / sps["fit"],
        "compiled_over_fit_cpu": timings["fit"].cpu_median / timings["compiled"].cpu_median,
        **{f"{name}_gflops": row["gflops"] for name, row in rows.items()},
        **{f"{name}_fraction_of_limit": row["fraction_of_limit"] for name, row in rows.items()},
        **{f"{name}_epoch_seconds_spread": row["epoch_seconds"]["spread"]
           for name, row in rows.items()},
        "matmul_limit_gflops": matmul["limit_gflops"], "matmul": matmul,
        "train_flops_per_image": flops,
        "flop_count": "convolutions as patches @ kernel, training step = 3 x forward",
        "loops": rows,
        "timing": {"unit": "one epoch", "warmup": 1, "trials": args.trials,
                   "min_seconds": args.min_seconds, "interleaved": True,
                   "statistic": "median seconds per epoch over trials"},
        "first_epoch_seconds": {name: s[0] for name, s in alternate.seconds.items()},
        "epoch_seconds": alternate.seconds, "epoch_losses": alternate.losses,
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "python": platform.python_version(), "cpu_count": os.cpu_count(),
    }


def print_table(r: dict) -> None:
    print()
    print(f"convnet ({r['parameters']:,} parameters), Adam(1e-3), batch {r['batch_size']}, "
          f"{r['source']} {r['n_train']:,} / {r['n_test']:,} images")
    print(f"TensorFlow {r['tensorflow']}, Keras {r['keras']}, Python {r['python']}, "
          f"{r['cpu_count']} CPUs")
    header = (f"{'loop':24s} {'acc':>6s} {'images/s':>9s} {'GFLOP/s':>8s} {'limit':>6s} "
              f"{'spread':>7s} {'÷ fit':>6s}")
    print(header)
    print("-" * len(header))
    for label, acc, name in (("model.fit (Conv2D)", "fit_accuracy", "fit"),
                             ("hand-written, compiled", "scratch_accuracy", "compiled")):
        row = r["loops"][name]
        print(f"{label:24s} {r[acc]:6.4f} {row['images_per_s']:9,.0f} {row['gflops']:8.2f} "
              f"{row['fraction_of_limit']:6.1%} {row['epoch_seconds']['spread']:7.1%} "
              f"{row['images_per_s'] / r['fit_samples_per_s']:6.2f}")
    t = r["timing"]
    print(f"\nacc: test accuracy after {r['epochs']} epochs.")
    print(f"images/s: median epoch of {t['trials']} interleaved trials (each >= "
          f"{t['min_seconds']:g} s,")
    print("  after a warm-up epoch); spread = (max - min) / median over the trials.")
    print(f"limit: GFLOP/s / {r['matmul_limit_gflops']:.1f} GFLOP/s, the best tf.matmul "
          "rate here.")
    print(f"compiled loop / fit = {r['compiled_over_fit']:.2f} (by CPU time "
          f"{r['compiled_over_fit_cpu']:.2f}; this run, this machine)")


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
