"""Timing utilities shared by the benchmarks (``mnist_loop.py``; ``convnet.py`` later).

A figure a reader can trust needs enough work per measurement, the warm-up left out, and
the noise shown rather than hidden. The tools here:

* :func:`median_time` times one function: ``warmup`` untimed calls (tracing, XLA
  compilation, caches), then ``trials`` trials, each repeating the function enough times
  that the trial lasts at least ``min_seconds``; it reports the median time per call and
  the spread over trials (min, max, quartiles).
* :func:`interleaved_times` does the same for several functions at once, trial by trial
  in rotating order, so that a burst of load from another process on the machine hits
  every function alike and the ratios between them stay steady.
* :func:`matmul_gflops` measures the machine's own float32 dense-matmul rate
  (``tf.matmul`` under ``tf.function``) in the same run: the limit each training loop is
  read against.
* :func:`dense_forward_flops` and :func:`dense_train_flops` count the floating-point
  operations of a dense network (an MLP), forward and for one training step.

Nothing here asserts on time: benchmarks measure, tests check the arithmetic.
"""

from __future__ import annotations

import argparse
import math
import numbers
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "Timing",
    "Batched",
    "median_time",
    "interleaved_times",
    "matmul_gflops",
    "dense_forward_flops",
    "dense_train_flops",
    "DEFAULT_MATMUL_SHAPES",
    "benchmark_parser",
    "parse_benchmark_args",
]

#: (m, k, n) of the default matmul probes: the 784-512-10 network's products at batch 128
#: (forward of each layer, and the first layer's weight gradient) and two large squares.
DEFAULT_MATMUL_SHAPES = ((128, 784, 512), (128, 512, 10), (784, 128, 512), (1024, 1024, 1024), (2048, 2048, 2048))


def _int_at_least(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _positive_seconds(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {value}")
    return float(value)


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one timed function, over ``len(trials)`` trials.

    ``trials`` holds each trial's wall time per call (trial time / ``number``); ``number``
    is how many calls each trial made. ``spread`` is ``(max - min) / median``, the relative
    width of everything measured; ``iqr`` the interquartile range in seconds.
    ``cpu_trials`` and ``cpu_median`` are the same for this process's CPU time
    (``time.process_time``, all threads): on a machine shared with other programs a trial
    waits for a core without using CPU, so CPU time moves less with their load than wall
    time does; it is not a rate a user sees, and a program that runs on two threads at
    once uses up to twice its wall time.
    """

    median: float
    min: float
    max: float
    q1: float
    q3: float
    number: int
    warmup: int
    trials: tuple[float, ...]
    cpu_trials: tuple[float, ...] = ()
    cpu_median: float | None = None

    @property
    def spread(self) -> float:
        return (self.max - self.min) / self.median

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def as_dict(self) -> dict:
        """A JSON-ready dict: every field, plus ``spread`` and ``iqr``."""
        result = asdict(self)
        result["trials"], result["cpu_trials"] = list(self.trials), list(self.cpu_trials)
        result["spread"], result["iqr"] = self.spread, self.iqr
        return result

    @classmethod
    def from_trials(cls, per_call: Iterable[float], *, number: int, warmup: int,
                    cpu_per_call: Iterable[float] = ()) -> Timing:
        """Summarise per-call seconds of each trial (positive, finite) into a ``Timing``.

        ``cpu_per_call``, if given, holds the CPU seconds per call of the same trials
        (non-negative, finite, one per trial).
        """
        values = tuple(float(v) for v in per_call)
        if not values:
            raise ValueError("per_call is empty: at least one trial is needed")
        if not all(math.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"every trial time must be positive and finite, got {values}")
        cpu = tuple(float(v) for v in cpu_per_call)
        if cpu and (len(cpu) != len(values) or not all(math.isfinite(v) and v >= 0 for v in cpu)):
            raise ValueError(f"cpu_per_call must hold one non-negative time per trial, got {cpu}")
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        cpu_median = float(np.median(cpu)) if cpu else None
        return cls(float(median), min(values), max(values), float(q1), float(q3), number, warmup, values,
                   cpu, cpu_median)


class Batched:
    """A unit of work that runs ``number`` units in one call: ``Batched(lambda number: ...)``.

    For work with a fixed cost per call that real use pays once, not once per unit:
    Keras's ``model.fit(epochs=number)`` sets up its data pipeline and callbacks once per
    call, so timing ``fit(epochs=1)`` again and again would charge that setup to every
    epoch. Given to :func:`interleaved_times` or :func:`median_time` in place of a
    function of no arguments, a trial calls ``run(number)`` once instead of a plain
    function ``number`` times; the setup is then shared by the trial's ``number`` units.
    """

    def __init__(self, run: Callable[[int], object]):
        if not callable(run):
            raise TypeError(f"Batched needs a function run(number), got {run!r}")
        self.run = run

    def __call__(self):
        return self.run(1)

    def __repr__(self):
        return f"Batched({self.run!r})"


def _check_fns(fns) -> dict:
    if not isinstance(fns, Mapping) or not fns:
        raise TypeError(f"fns must be a non-empty dict {{name: function}}, got {fns!r}")
    for name, fn in fns.items():
        if not callable(fn):
            raise TypeError(f"fns[{name!r}] must be a function of no arguments, got {fn!r}")
    return dict(fns)


def _calls_per_trial(fn: Callable[[], object], min_seconds: float) -> int:
    """Calls of ``fn`` needed for a trial of at least ``min_seconds`` (from one timed call)."""
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    return max(1, math.ceil(min_seconds / once))


def _trial(fn: Callable[[], object], number: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) per call over ``number`` calls of ``fn``."""
    cpu_start, start = time.process_time(), time.perf_counter()
    if isinstance(fn, Batched):
        fn.run(number)
    else:
        for _ in range(number):
            fn()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return wall / number, cpu / number


def interleaved_times(fns: Mapping[str, Callable[[], object]], *, warmup: int = 1, trials: int = 5,
                      min_seconds: float = 1.0) -> dict[str, Timing]:
    """Time several functions of no arguments, trial by trial in rotating order.

    Each function is first called ``warmup`` times untimed, then once more to choose
    ``number``, the calls per trial that make a trial last at least ``min_seconds``.
    Then come ``trials`` rounds; round ``r`` runs one trial of every function, starting
    from the ``r``-th (rotating, so none is always first after another's trial). Returns
    ``{name: Timing}``, seconds per call. The functions must finish their work before
    they return (call ``.numpy()`` on a TensorFlow result, for instance). A value may be
    a :class:`Batched` (``run(number)`` does a trial's ``number`` units in one call).
    """
    fns = _check_fns(fns)
    warmup = _int_at_least(warmup, "warmup", 0)
    trials = _int_at_least(trials, "trials", 1)
    min_seconds = _positive_seconds(min_seconds, "min_seconds")
    number = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        number[name] = _calls_per_trial(fn, min_seconds)
    names = list(fns)
    per_call = {name: [] for name in names}
    for r in range(trials):
        for name in names[r % len(names):] + names[:r % len(names)]:
            per_call[name].append(_trial(fns[name], number[name]))
    return {name: Timing.from_trials([wall for wall, _ in per_call[name]], number=number[name], warmup=warmup,
                                     cpu_per_call=[cpu for _, cpu in per_call[name]])
            for name in names}


def median_time(fn: Callable[[], object], *, warmup: int = 1, trials: int = 5, min_seconds: float = 1.0) -> Timing:
    """Median seconds per call of ``fn()``, with the spread over trials.

    ``warmup`` untimed calls first (tracing, compilation), then ``trials`` trials, each
    repeating ``fn`` enough times to last at least ``min_seconds``. Returns a
    :class:`Timing` (``.median``, ``.min``, ``.max``, ``.q1``, ``.q3``, ``.spread``).
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function of no arguments, got {fn!r}")
    return interleaved_times({"fn": fn}, warmup=warmup, trials=trials, min_seconds=min_seconds)["fn"]


def _check_shapes(shapes) -> tuple[tuple[int, int, int], ...]:
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, Iterable):
        raise TypeError(f"shapes must be a list of (m, k, n) triples, got {shapes!r}")
    checked = []
    for shape in shapes:
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
            raise TypeError(f"each shape must be an (m, k, n) triple of ints, got {shape!r}")
        shape = tuple(shape)
        if len(shape) != 3:
            raise ValueError(f"each shape must be an (m, k, n) triple, got {shape!r}")
        checked.append(tuple(_int_at_least(d, "a matmul dimension", 1) for d in shape))
    if not checked:
        raise ValueError("shapes is empty: give at least one (m, k, n)")
    return tuple(checked)


def matmul_gflops(shapes: Iterable[tuple[int, int, int]] = DEFAULT_MATMUL_SHAPES, *, warmup: int = 1,
                  trials: int = 5, min_seconds: float = 0.2, seed: int = 0) -> dict:
    """The machine's float32 dense-matmul rate, in GFLOP/s, measured now.

    For each ``(m, k, n)`` it times ``tf.reduce_sum(tf.matmul(a, b))`` with ``a`` of shape
    ``(m, k)`` and ``b`` of shape ``(k, n)``, float32, under ``tf.function`` (the sum, m·n
    additions, makes the call wait for the product and is not counted), with
    :func:`median_time`; the rate is ``2·m·k·n / median`` (one multiply and one add per
    term). Returns ``{"limit_gflops": the best rate, "limit_shape": its (m, k, n),
    "limit_cpu_gflops": the best rate per CPU second, "shapes": [{"m", "k", "n", "gflops",
    "cpu_gflops", "timing"}, ...]}``. The best rate is what this machine's TensorFlow can
    do on dense float32 work right now: the limit against which a training loop's GFLOP/s
    is read. The rate per CPU second (FLOP / the process's CPU time, all threads) is the
    limit to read a loop's FLOP per CPU second against; it moves less when other programs
    load the machine.
    """
    import tensorflow as tf  # here, so that the timing tools alone do not need TensorFlow

    shapes = _check_shapes(shapes)
    rng = np.random.default_rng(seed)
    product = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
    rows = []
    for m, k, n in shapes:
        a = tf.constant(rng.standard_normal((m, k), dtype=np.float32))
        b = tf.constant(rng.standard_normal((k, n), dtype=np.float32))
        timing = median_time(lambda a=a, b=b: product(a, b).numpy(), warmup=warmup, trials=trials,
                             min_seconds=min_seconds)
        cpu_gflops = 2 * m * k * n / timing.cpu_median / 1e9 if timing.cpu_median else None
        rows.append({"m": m, "k": k, "n": n, "gflops": 2 * m * k * n / timing.median / 1e9,
                     "cpu_gflops": cpu_gflops, "timing": timing.as_dict()})
    best = max(rows, key=lambda row: row["gflops"])
    cpu_rates = [row["cpu_gflops"] for row in rows if row["cpu_gflops"]]
    return {"limit_gflops": best["gflops"], "limit_shape": [best["m"], best["k"], best["n"]],
            "limit_cpu_gflops": max(cpu_rates) if cpu_rates else None, "shapes": rows}


def _check_layers(layer_sizes) -> tuple[int, ...]:
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Iterable):
        raise TypeError(f"layer_sizes must be a list of ints such as [784, 512, 10], got {layer_sizes!r}")
    sizes = tuple(_int_at_least(size, "each layer size", 1) for size in layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs an input and at least one layer, e.g. [784, 10], got {list(sizes)}")
    return sizes


def dense_forward_flops(layer_sizes: Iterable[int], batch_size: int) -> int:
    """Floating-point operations of one forward pass of a dense network on ``batch_size`` inputs.

    ``layer_sizes`` lists the input width and each layer's width: ``[784, 512, 10]`` is
    784 → 512 → 10. A layer from ``a`` to ``b`` units on ``N`` inputs is the product of an
    ``(N, a)`` by an ``(a, b)`` matrix: ``N·a·b`` multiplies and as many adds, so
    ``2·N·a·b``. Biases, activations and the loss (``O(N·b)`` each) are left out; for
    784-512-10 at batch 128 they are under 0.3 % of the total.
    """
    sizes = _check_layers(layer_sizes)
    batch_size = _int_at_least(batch_size, "batch_size", 1)
    return sum(2 * batch_size * a * b for a, b in zip(sizes[:-1], sizes[1:]))


def dense_train_flops(layer_sizes: Iterable[int], batch_size: int) -> int:
    """Floating-point operations of one training step of a dense network: 3 × forward.

    The backward pass of each layer is two products as large as its forward one: the
    gradient with respect to the weights (``(a, N) @ (N, b)``) and with respect to the
    layer's input (``(N, b) @ (b, a)``), ``2 · 2·N·a·b``. Forward plus backward:

        FLOP per step = 3 · Σ_layers 2·N·a·b = 6 · N · (number of weights)

    the usual count (e.g. Kaplan et al. 2020, "6N per token"). It is a convention and a
    slight overcount: nothing needs the gradient with respect to the images, so the first
    layer's input gradient (a third of that layer's 3×) is not computed by TensorFlow; for
    784-512-10 the work actually done is about 0.67 of this count. The optimizer update
    (``O(weights)``, not ``O(N·weights)``) is left out. A loop's GFLOP/s read against
    :func:`matmul_gflops` is therefore an upper estimate of its share of the limit.
    """
    return 3 * dense_forward_flops(layer_sizes, batch_size)


# ---------------------------------------------------------------- command line
#: --quick timing: few, short trials (a smoke test of the machinery, not a measurement).
QUICK_TRIALS, QUICK_MIN_SECONDS = 2, 0.05


def benchmark_parser(description: str, *, epochs: int, quick_epochs: int, batch_size: int,
                     min_seconds: float, quick_help: str, trials: int = 5) -> argparse.ArgumentParser:
    """The options both benchmarks take: --epochs, --batch-size, --seed, --trials,
    --min-seconds, --quick and --json (defaults resolved by :func:`parse_benchmark_args`)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"epochs of the accuracy training (default {epochs}; "
                             f"{quick_epochs} with --quick)")
    parser.add_argument("--batch-size", type=int, default=batch_size,
                        help=f"batch size (default {batch_size})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--trials", type=int, default=None,
                        help=f"timed trials per loop, after a warm-up (default {trials}; "
                             f"{QUICK_TRIALS} with --quick)")
    parser.add_argument("--min-seconds", type=float, default=None,
                        help=f"shortest trial in seconds (default {min_seconds:g}; "
                             f"{QUICK_MIN_SECONDS} with --quick)")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of the table")
    parser.set_defaults(_defaults=(epochs, quick_epochs, min_seconds, trials))
    return parser


def parse_benchmark_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse, fill in the defaults that depend on --quick, and reject bad values."""
    args = parser.parse_args(argv)
    epochs, quick_epochs, min_seconds, trials = args._defaults
    del args._defaults
    if args.epochs is None:
        args.epochs = quick_epochs if args.quick else epochs
    if args.trials is None:
        args.trials = QUICK_TRIALS if args.quick else trials
    if args.min_seconds is None:
        args.min_seconds = QUICK_MIN_SECONDS if args.quick else min_seconds
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    if not (math.isfinite(args.min_seconds) and args.min_seconds > 0):
        parser.error("--min-seconds must be a positive number")
    return args
