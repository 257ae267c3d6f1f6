"""MNIST benchmark: ``model.fit`` against the hand-written loop, eager, compiled and XLA.

Run by ``make bench``. Trains the same network four ways on whichever MNIST source
``helpers.data.load_mnist()`` uses (the full set, or the offline sample):

* ``model.fit`` on ``keras.Sequential([Dense(512, relu), Dense(10)])`` (on a CPU-only
  machine Keras's ``jit_compile="auto"`` means no XLA, so this is a ``tf.function``);
* the hand-written loop of chapter "MNIST from scratch" (``helpers.scratch``), eager;
* the same loop with the training step compiled by ``tf.function``;
* the same loop with the step compiled by XLA, ``tf.function(jit_compile=True)``.

Same everything: 784-512-10, Glorot-uniform weights and zero biases, the loss on logits,
RMSprop(1e-3), batch 128, a new shuffle every epoch, float32 NumPy arrays in memory.

Two phases, so that one number does not have to serve two purposes:

1. **Accuracy.** A normal training of ``--epochs`` epochs, the four alternating epoch by
   epoch (a Keras callback runs one epoch of each hand-written loop after each of fit's
   epochs); then the test accuracy of each. These epochs' times (the first includes
   tracing and XLA compilation) are kept in the JSON as ``epoch_seconds``.
2. **Speed.** The unit of work is one epoch. ``_timing.interleaved_times``: a warm-up
   epoch each (left out), then ``--trials`` rounds; in each round every loop runs one
   trial of as many epochs as make the trial last at least ``--min-seconds``, in
   rotating order, so that load from other programs on the machine falls on all four
   alike. For Keras a trial is one ``fit(epochs=k)`` call (``_timing.Batched``): fit's
   set-up (data pipeline, callbacks; 0.05 to 0.6 s measured) is paid once per call, as
   in real use, not once per epoch. A loop's epoch time is the median over its trials;
   the spread ``(max - min) / median`` over the trials is printed next to it.

Then the machine's own float32 dense-matmul rate is measured in the same run
(``_timing.matmul_gflops``: the network's own matrix products and large squares, the best
rate is the **limit**), and each loop is reported as images/s, GFLOP/s (training FLOP
counted as 3 × forward, ``_timing.dense_train_flops``) and that GFLOP/s as a fraction of
the limit. Ratios loop / fit are of images/s. It measures; it never asserts on time.

The process's CPU time (all threads) is recorded for the same trials, and reported under
the table as images per CPU second, the share of the matmul limit per CPU second, and the
ratios (``compiled_over_fit_cpu``, ``xla_over_fit_cpu``). When other programs load the
machine, a loop waits for a core without using CPU, so these move much less with that
load than wall time does: on a 2-core machine shared with other jobs (load average 4 to
9), six runs gave compiled loop / fit from 1.25 to 1.53 by wall time and from 1.21 to 1.31
by CPU time. They are not what a user waits for; the table's images/s and ratios are
wall time, and its spread column says how far to trust them.

The course's targets (issue 6) are printed as met or not: from-scratch test accuracy
≥ 0.93 within 5 epochs on the offline sample (≥ 0.975 on full MNIST), and compiled loop
≥ 0.9 × fit. ``--threads N`` fixes TensorFlow's intra-op threads to N and inter-op
threads to 1 (``tf.config.threading``), which can steady the figures on a shared
machine; the default leaves TensorFlow's own choice. The load average at start and end
is recorded: on a busy machine, read the spread before the ratios.

    .venv/bin/python benchmarks/mnist_loop.py               # a table
    .venv/bin/python benchmarks/mnist_loop.py --trials 9 --min-seconds 2
    .venv/bin/python benchmarks/mnist_loop.py --quick       # 2,000 / 500 images, smoke test
    .venv/bin/python benchmarks/mnist_loop.py --json        # one JSON object on stdout
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

#: Targets from the course's issue 6, by MNIST source: (minimum test accuracy, epochs).
ACCURACY_TARGETS = {"sample": (0.93, 5), "keras": (0.975, 5)}
#: Target for the compiled hand-written loop's throughput relative to model.fit.
SPEED_TARGET = 0.9
QUICK_TRAIN, QUICK_TEST, QUICK_EPOCHS = 2000, 500, 2
#: The network, as layer widths: input, hidden, output.
LAYERS = (784, 512, 10)
#: The loops in table order: (key in the JSON, label in the table).
LOOPS = (("fit", "model.fit"), ("eager", "loop, eager"), ("compiled", "loop, tf.function"),
         ("xla", "loop, XLA"))
#: Short names for the loops in the table's notes.
SHORT = {"fit": "fit", "eager": "eager", "compiled": "tf.function", "xla": "XLA"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = _timing.benchmark_parser(
        __doc__.splitlines()[0], epochs=5, quick_epochs=QUICK_EPOCHS, batch_size=128,
        min_seconds=2.0, quick_help=f"smoke test: {QUICK_TRAIN:,} train / {QUICK_TEST:,} "
                                    f"test images, {QUICK_EPOCHS} epochs")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra-op threads (inter-op 1); 0 = TensorFlow's choice (default)")
    args = _timing.parse_benchmark_args(parser, argv)
    if args.threads < 0:
        parser.error("--threads must be 0 (TensorFlow's choice) or more")
    return args


def load(quick: bool):
    """(source, x_train, y_train, x_test, y_test), images as (N, 784) float32 in [0, 1]."""
    source = data.mnist_source()
    (train_images, train_labels), (test_images, test_labels) = data.load_mnist(verbose=False)
    if quick:
        train_images, train_labels = train_images[:QUICK_TRAIN], train_labels[:QUICK_TRAIN]
        test_images, test_labels = test_images[:QUICK_TEST], test_labels[:QUICK_TEST]

    def prepare(images):
        return images.reshape(len(images), 784).astype(np.float32) / 255

    return (source, prepare(train_images), train_labels.astype(np.int64),
            prepare(test_images), test_labels.astype(np.int64))


def scratch_model(seed: int):
    """The hand-written 784-512-10 network, Glorot-initialised from ``seed``."""
    tf.random.set_seed(seed)
    return scratch.NaiveSequential([scratch.NaiveDense(784, 512, tf.nn.relu), scratch.NaiveDense(512, 10)])


def keras_model(seed: int):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input(shape=(784,)), keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10)]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def scratch_step(model, mode: str):
    """The hand-written training step, ``mode`` ``"eager"``, ``"compiled"`` or ``"xla"``."""
    optimizer = keras.optimizers.RMSprop(learning_rate=1e-3)
    step = scratch.make_train_step(model, scratch.crossentropy_from_logits, optimizer,
                                   compiled=mode == "compiled")
    if mode == "xla":  # the same Python step, compiled by XLA instead of plain tf.function
        step = tf.function(step, jit_compile=True, reduce_retracing=True)
    return step


def run_epoch(step, batches) -> float:
    """One epoch of a hand-written loop; the mean batch loss (waits for the last step)."""
    return float(tf.reduce_mean([step(x, y) for x, y in batches]))


class Alternate(keras.callbacks.Callback):
    """Times fit's epochs; after each one, runs and times one epoch of each hand-written loop."""

    def __init__(self, loops: dict, epochs: int, verbose: bool):
        super().__init__()
        self.loops, self.epochs, self.verbose = loops, epochs, verbose
        self.seconds = {"fit": [], **{name: [] for name in loops}}
        self.losses = {"fit": [], **{name: [] for name in loops}}

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds["fit"].append(time.perf_counter() - self.start)
        self.losses["fit"].append(float(logs["loss"]))
        for name, (step, batches) in self.loops.items():
            start = time.perf_counter()
            loss = run_epoch(step, batches)
            self.seconds[name].append(time.perf_counter() - start)
            self.losses[name].append(loss)
        if self.verbose:
            parts = [f"{name} {self.seconds[name][-1]:.2f} s" for name in self.seconds]
            print(f"  epoch {epoch + 1}/{self.epochs}: " + ", ".join(parts), flush=True)


def matmul_shapes(batch_size: int, quick: bool) -> list[tuple[int, int, int]]:
    """The network's own matrix products at this batch size, and large squares."""
    if quick:  # a smoke test: the first layer's product and one square
        return [(batch_size, 784, 512), (512, 512, 512)]
    own = [(batch_size, 784, 512), (batch_size, 512, 10), (784, batch_size, 512)]
    return own + [(1024, 1024, 1024), (2048, 2048, 2048)]


def set_threads(threads: int) -> dict:
    """Fix TensorFlow's thread pools if ``threads`` > 0 (before any op runs); report them."""
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    return {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "pinned": bool(threads)}


def run(args: argparse.Namespace, verbose: bool) -> dict:
    threads = set_threads(args.threads)
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    source, x_train, y_train, x_test, y_test = load(args.quick)
    n_train = len(x_train)
    say = (lambda text: print(text, flush=True)) if verbose else (lambda text: None)
    say(f"MNIST source {source}: {n_train:,} train / {len(x_test):,} test images, "
        f"batch {args.batch_size}")
    say(f"1. accuracy: {args.epochs} epochs, alternating fit, compiled, eager, XLA")

    loops, models = {}, {}
    for name in ("compiled", "eager", "xla"):
        model = scratch_model(args.seed)
        batches = scratch.BatchGenerator(x_train, y_train, args.batch_size, shuffle=True, seed=args.seed)
        loops[name], models[name] = (scratch_step(model, name), batches), model
    fit_model = keras_model(args.seed)
    alternate = Alternate(loops, args.epochs, verbose)
    fit_model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, shuffle=True,
                  verbose=0, callbacks=[alternate])
    accuracy = {"fit": scratch.accuracy(fit_model, x_test, y_test),
                **{name: scratch.accuracy(model, x_test, y_test) for name, model in models.items()}}

    say(f"2. speed: per loop 1 warm-up epoch, then {args.trials} trials of "
        f">= {args.min_seconds:g} s, interleaved")

    def fit_epochs(number):  # one fit call per trial: its set-up is paid once, as in real use
        fit_model.fit(x_train, y_train, epochs=number, batch_size=args.batch_size, shuffle=True, verbose=0)

    epoch_fns = {"fit": _timing.Batched(fit_epochs)}
    for name in ("eager", "compiled", "xla"):
        step, batches = loops[name]
        epoch_fns[name] = lambda step=step, batches=batches: run_epoch(step, batches)
    timings = _timing.interleaved_times(epoch_fns, warmup=1, trials=args.trials, min_seconds=args.min_seconds)

    say("3. limit: float32 tf.matmul rate on this machine")
    matmul = _timing.matmul_gflops(matmul_shapes(args.batch_size, args.quick), warmup=1,
                                   trials=args.trials, min_seconds=min(args.min_seconds, 0.25))
    limit, cpu_limit = matmul["limit_gflops"], matmul["limit_cpu_gflops"]
    flops_per_image = _timing.dense_train_flops(LAYERS, 1)
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    per_loop = {}
    for name, label in LOOPS:
        timing = timings[name]
        gflops = flops_per_image * n_train / timing.median / 1e9
        per_loop[name] = {
            "label": label,
            "test_accuracy": accuracy[name],
            "images_per_s": n_train / timing.median,
            "gflops": gflops,
            "fraction_of_limit": gflops / limit,
            "images_per_cpu_s": n_train / timing.cpu_median if timing.cpu_median else None,
            "cpu_fraction_of_limit": (flops_per_image * n_train / timing.cpu_median / 1e9 / cpu_limit
                                      if timing.cpu_median and cpu_limit else None),
            "epoch_seconds": timing.as_dict(),
            "first_epoch_seconds": alternate.seconds[name][0],
        }
    sps = {name: row["images_per_s"] for name, row in per_loop.items()}
    result = {
        "source": source,
        "quick": args.quick,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "n_train": n_train,
        "n_test": len(x_test),
        "fit_accuracy": accuracy["fit"],
        "scratch_accuracy": accuracy["compiled"],
        "eager_accuracy": accuracy["eager"],
        "xla_accuracy": accuracy["xla"],
        "fit_samples_per_s": sps["fit"],
        "eager_samples_per_s": sps["eager"],
        "compiled_samples_per_s": sps["compiled"],
        "xla_samples_per_s": sps["xla"],
        "compiled_over_fit": sps["compiled"] / sps["fit"],
        "compiled_over_fit_cpu": timings["fit"].cpu_median / timings["compiled"].cpu_median,
        "xla_over_fit_cpu": timings["fit"].cpu_median / timings["xla"].cpu_median,
        "compiled_over_eager": sps["compiled"] / sps["eager"],
        "eager_over_fit": sps["eager"] / sps["fit"],
        "xla_over_fit": sps["xla"] / sps["fit"],
        **{f"{name}_gflops": row["gflops"] for name, row in per_loop.items()},
        **{f"{name}_fraction_of_limit": row["fraction_of_limit"] for name, row in per_loop.items()},
        **{f"{name}_epoch_seconds_median": row["epoch_seconds"]["median"] for name, row in per_loop.items()},
        **{f"{name}_epoch_seconds_spread": row["epoch_seconds"]["spread"] for name, row in per_loop.items()},
        "matmul_limit_gflops": limit,
        "matmul_limit_cpu_gflops": cpu_limit,
        "matmul": matmul,
        "train_flops_per_image": flops_per_image,
        "flop_count": "training step = 3 x forward; forward = sum over layers of 2*N*in*out",
        "loops": per_loop,
        "timing": {"unit": "one epoch", "warmup": 1, "trials": args.trials, "min_seconds": args.min_seconds,
                   "interleaved": True, "statistic": "median seconds per epoch over trials"},
        "first_epoch_seconds": {name: s[0] for name, s in alternate.seconds.items()},
        "epoch_seconds": alternate.seconds,
        "epoch_losses": alternate.losses,
        "throughput_excludes_first_epoch": True,
        "threads": threads,
        "load_average_1min": {"start": load_start, "end": load_end},
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    target_acc, target_epochs = ACCURACY_TARGETS.get(source, (None, None))
    checked = not args.quick and target_acc is not None and args.epochs <= target_epochs
    result["targets"] = {
        "checked": checked,
        "scratch_accuracy_min": target_acc,
        "within_epochs": target_epochs,
        "accuracy_met": (result["scratch_accuracy"] >= target_acc) if checked else None,
        "compiled_over_fit_min": SPEED_TARGET,
        "speed_met": (result["compiled_over_fit"] >= SPEED_TARGET) if not args.quick else None,
    }
    return result


def table_lines(r: dict) -> list[str]:
    """The printed report, every line at most 79 characters."""
    t = r["timing"]
    lines = [
        "",
        f"MNIST 784-512-10, RMSprop(1e-3), batch {r['batch_size']}, "
        f"{r['source']} {r['n_train']:,} / {r['n_test']:,} images",
        f"TensorFlow {r['tensorflow']}, Keras {r['keras']}, Python {r['python']}, "
        f"{r['cpu_count']} CPUs, {r['threads']['intra_op'] or 'default'} threads",
        "",
        f"{'loop':17s} {'acc':>6s} {'images/s':>9s} {'GFLOP/s':>8s} {'limit':>6s} "
        f"{'epoch s':>8s} {'spread':>7s} {'÷ fit':>6s}",
    ]
    lines.append("-" * len(lines[-1]))
    fit_sps = r["fit_samples_per_s"]
    for row in r["loops"].values():
        epoch = row["epoch_seconds"]
        lines.append(f"{row['label']:17s} {row['test_accuracy']:6.4f} {row['images_per_s']:9,.0f} "
                     f"{row['gflops']:8.2f} {row['fraction_of_limit']:6.1%} {epoch['median']:8.3f} "
                     f"{epoch['spread']:7.1%} {row['images_per_s'] / fit_sps:6.2f}")
    m = r["matmul"]
    load = r["load_average_1min"]
    load_text = (f"; load average {load['start']:.1f} -> {load['end']:.1f}"
                 if load["start"] is not None else "")
    lines += [
        "",
        f"acc: test accuracy after {r['epochs']} epochs of ordinary training.",
        f"epoch s: median of {t['trials']} trials (each >= {t['min_seconds']:g} s, "
        "after a warm-up epoch),",
        "  loops interleaved, fit's trial one fit(epochs=k) call;",
        "  spread = (max - min) / median over the trials.",
        f"GFLOP/s: {r['train_flops_per_image'] / 1e6:.2f} MFLOP per image "
        "(training step = 3 x forward).",
        f"limit: GFLOP/s / {m['limit_gflops']:.1f} GFLOP/s, the best float32 "
        "tf.matmul rate measured",
        f"  here (shape {' x '.join(map(str, m['limit_shape']))}){load_text}.",
        "",
        f"compiled loop / fit = {r['compiled_over_fit']:.2f}; XLA / fit = "
        f"{r['xla_over_fit']:.2f}; compiled / eager = {r['compiled_over_eager']:.1f}",
        "",
        "by CPU time (all threads; it moves less with other programs' load):",
        "  images per CPU s: " + ", ".join(
            f"{SHORT[name]} {row['images_per_cpu_s']:,.0f}" for name, row in r["loops"].items()),
        "  share of the limit: " + ", ".join(
            f"{SHORT[name]} {row['cpu_fraction_of_limit']:.0%}" for name, row in r["loops"].items()),
        f"  compiled loop / fit = {r['compiled_over_fit_cpu']:.2f}; "
        f"XLA / fit = {r['xla_over_fit_cpu']:.2f}; limit "
        f"{r['matmul_limit_cpu_gflops']:.1f} GFLOP per CPU s",
    ]
    if r["quick"]:
        lines.append("--quick: a smoke test on a subset; the figures and targets mean nothing")
        return lines
    tg = r["targets"]
    lines.append(f"target compiled loop >= {tg['compiled_over_fit_min']} x fit: "
                 f"{'met' if tg['speed_met'] else 'NOT met'}")
    if tg["checked"]:
        lines.append(f"target from-scratch accuracy >= {tg['scratch_accuracy_min']} within "
                     f"{tg['within_epochs']} epochs: {'met' if tg['accuracy_met'] else 'NOT met'}")
    else:
        lines.append(f"accuracy target not checked (it is set for <= {tg['within_epochs']} epochs)")
    return lines


def print_table(r: dict) -> None:
    print("\n".join(table_lines(r)))


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
