"""Exercise checks for chapter "When training goes wrong: overfitting and debugging".

Introduced in chapter "When training goes wrong: overfitting and debugging". Four
declarations (:class:`helpers.checks.Exercise`), each handing the learner a broken piece
of a run with one planted fault: an evaluation that leaves dropout on, a model that
starts confidently wrong, a search for the first layer that produces NaN or infinity,
and a run whose learning rate is too large. All four are judged by what the learner's
code does on small data of the check's own (never touching the learner's global seeds),
and each wrong answer is told its symptom in words.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "toy_digits"]


@functools.cache
def _toy(n: int = 320, dim: int = 784, seed: int = 10):
    """Ten noisy binary prototypes in [0, 1]^dim: a tiny, learnable stand-in for MNIST."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, dim)) < 0.2).astype(np.float32)
    y = np.arange(n) % 10
    flips = rng.random((n, dim)) < 0.05
    x = np.abs(prototypes[y] - flips).astype(np.float32)
    order = rng.permutation(n)
    return x[order], y[order].astype(np.int64)


def toy_digits(n: int = 320, dim: int = 784, seed: int = 10):
    """``(x, y)``: ``n`` float32 vectors in [0, 1]^dim from ten noisy prototypes, labels 0-9.

    Introduced in chapter "When training goes wrong: overfitting and debugging", whose
    checks train the learner's fixed runs on it: a dense net learns it in a few dozen
    steps, so a run that does not is broken, not slow.
    """
    for value, name in ((n, "n"), (dim, "dim")):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 10:
            raise ValueError(f"{name} must be a whole number of at least 10, got {value!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    x, y = _toy(int(n), int(dim), int(seed))
    return x.copy(), y.copy()


def _dropout_model():
    """A small trained-looking model with heavy dropout, fixed weights (made fresh)."""
    import keras

    rng = np.random.default_rng(3)
    model = keras.Sequential([keras.Input(shape=(784,)),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dropout(0.5, seed=2), keras.layers.Dense(10)])
    x, y = _toy()
    w1 = rng.normal(0, 0.05, size=(784, 32)).astype(np.float32)
    model.set_weights([w1, np.zeros(32, np.float32),
                       rng.normal(0, 0.3, size=(32, 10)).astype(np.float32),
                       np.zeros(10, np.float32)])
    return model, x, y


# ================================================================ exercise 1: evaluation
def _accuracy(training: bool | None = False, argmax_axis: int = 1):
    def accuracy_of(model, x, y):
        logits = model(x, training=training) if training is not None else model(x)
        predicted = np.argmax(np.asarray(logits), axis=argmax_axis)
        return float(np.mean(predicted == np.asarray(y)))

    return accuracy_of


def _judge_accuracy(accuracy_of):
    model, x, y = _dropout_model()
    first = accuracy_of(model, x, y)
    second = accuracy_of(model, x, y)
    want = _accuracy(False)(model, x, y)
    try:
        first, second = float(first), float(second)
    except (TypeError, ValueError):
        return f"accuracy_of must return one number, got {type(first).__name__}"
    if first != second:
        return (f"two evaluations of the same model gave {first:.4f} and {second:.4f}: "
                "dropout is still on, so every call draws a new mask; call the model with "
                "training=False when you evaluate")
    if abs(first - want) > 1e-6:
        if abs(first - 100 * want) < 1e-4:
            return "you returned a percentage: return the share of right answers, in [0, 1]"
        return (f"accuracy_of gave {first:.4f}, expected {want:.4f}: the share of images "
                "whose largest logit is at their label")
    return None


exercise_1 = Exercise(
    "debugging", 1, stars=1, answer="function", name="accuracy_of",
    judge=_judge_accuracy, right=_accuracy(False),
    mistakes=[(_accuracy(True), "dropout is still on")],
    success="fixed: the evaluation is deterministic and dropout is off",
)


# ================================================================ exercise 2: the start
def _build(scale: float = 0.0, softmax: bool = False, hidden: int = 64):
    """The reference model (scale 0: Keras's default initialisation) or a broken one."""
    import keras

    init = (keras.initializers.RandomNormal(stddev=scale, seed=1) if scale
            else "glorot_uniform")

    def build_model():
        return keras.Sequential([
            keras.Input(shape=(784,)), keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(10, kernel_initializer=init,
                               activation="softmax" if softmax else None)])

    return build_model


def _judge_build(build_model):
    import keras

    model = build_model()
    if not isinstance(model, keras.Model):
        return f"build_model() must return a keras model, got {type(model).__name__}"
    x, y = _toy()
    out = np.asarray(model(x[:64], training=False))
    if out.shape != (64, 10):
        return f"the model maps 64 images to shape {out.shape}, expected (64, 10) logits"
    if np.all(out >= 0) and np.allclose(out.sum(axis=1), 1, atol=1e-4):
        return ("the outputs are probabilities (rows sum to 1): the model ends in a softmax, "
                "but the loss takes logits (from_logits=True); drop the softmax")
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    start = float(loss_fn(y, model(x, training=False)))
    if abs(start - math.log(10)) > 0.5:
        return (f"the initial loss is {start:.2f}, far from ln 10 = 2.30 of a model that "
                "starts undecided: the model starts confidently wrong; look at how the last "
                "layer's weights are initialised")
    return None


exercise_2 = Exercise(
    "debugging", 2, stars=2, answer="function", name="build_model",
    judge=_judge_build, right=_build(),
    mistakes=[(_build(scale=3.0), "the model starts confidently wrong"),
              (_build(softmax=True), "the model ends in a softmax")],
    success="fixed: the model starts undecided, with a loss close to ln 10",
)


# ================================================================ exercise 3: the first bad layer
@functools.cache
def _bad_layer_classes():
    import keras
    import tensorflow as tf

    class Log(keras.layers.Layer):
        """log(inputs): minus infinity at 0, NaN below."""

        def call(self, inputs):
            return tf.math.log(inputs)

    class Shift(keras.layers.Layer):
        """inputs - 0.5, as a layer."""

        def call(self, inputs):
            return inputs - 0.5

    return Log, Shift


def _nan_models():
    """(model, x) pairs with the first non-finite output at different layers."""
    import keras

    Log, Shift = _bad_layer_classes()
    x, _ = _toy(64, 16)
    cases = []
    for k, names in enumerate((["log_a"],
                               ["dense_a", "log_b", "dense_c", "dense_d"],
                               ["shift_a", "dense_b", "log_c", "dense_d"],
                               ["dense_a", "dense_b", "dense_c", "dense_d"])):
        layers = [keras.Input(shape=(16,))]
        for name in names:
            if name.startswith("log"):
                layers.append(Log(name=name))
            elif name.startswith("shift"):
                layers.append(Shift(name=name))
            else:
                layers.append(keras.layers.Dense(8, name=name, kernel_initializer=(
                    keras.initializers.RandomNormal(seed=k))))
        cases.append((keras.Sequential(layers), x))
    return cases


def _first_bad(which: str = "first", nan_only: bool = False):
    def first_bad_layer(model, x):
        import tensorflow as tf

        bad, h = [], tf.convert_to_tensor(x)
        for layer in model.layers:
            h = layer(h)
            values = np.asarray(h)
            broken = np.isnan(values).any() if nan_only else not np.isfinite(values).all()
            if broken:
                bad.append(layer.name)
        if not bad:
            return None
        return bad[0] if which == "first" else bad[-1]

    return first_bad_layer


def _judge_first_bad(first_bad_layer):
    for model, x in _nan_models():
        want = _first_bad()(model, x)
        got = first_bad_layer(model, x)
        if got == want:
            continue
        if want is None:
            return (f"on a model whose outputs are all finite you returned {got!r}: "
                    "return None when no layer's output holds NaN or infinity")
        if got is None:
            return (f"you found no bad layer, but {want!r} produces non-finite values "
                    "(NaN or infinity, so test with np.isfinite or tf.debugging.check_numerics)")
        if not isinstance(got, str):
            return f"return the layer's name (a string such as {want!r}), got {type(got).__name__}"
        names = [layer.name for layer in model.layers]
        if got in names and names.index(got) > names.index(want):
            return (f"you returned {got!r}, a later layer: once a NaN appears every later "
                    f"layer's output holds it too; return the first one, {want!r} here")
        if got in names and names.index(got) < names.index(want):
            return f"you returned {got!r}, but its output is finite: the first bad layer comes later"
        return f"you returned {got!r}, which is not the name of one of the model's layers"
    return None


exercise_3 = Exercise(
    "debugging", 3, stars=2, answer="function", name="first_bad_layer",
    judge=_judge_first_bad, right=_first_bad(),
    mistakes=[(_first_bad("last"), "a later layer"),
              (_first_bad(nan_only=True), "NaN or infinity")],
    success="right: you find the first layer whose output is not finite",
)


# ================================================================ exercise 4: a run that blows up
def _run(lr: float = 0.5, clipnorm: float | None = None):
    """The reference fixed run (SGD at lr), or the broken one at 10 x lr."""
    import keras

    def make_run():
        model = keras.Sequential([keras.Input(shape=(784,)),
                                  keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10)])
        return model, keras.optimizers.SGD(float(lr), global_clipnorm=clipnorm)

    return make_run


def train_run(make_run, steps: int = 60, batch_size: int = 32, seed: int = 5):
    """Train ``make_run()``'s (model, optimizer) on :func:`toy_digits`; the losses and accuracy.

    Introduced in chapter "When training goes wrong: overfitting and debugging" (its
    exercise 4 check). Weights start from Keras's initialisers with a fixed seed of the
    check's own; returns ``(losses, final_accuracy)``.
    """
    import keras
    import tensorflow as tf

    if not callable(make_run):
        raise TypeError(f"make_run must be a function, got {type(make_run).__name__}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    keras.utils.set_random_seed(seed)
    try:
        made = make_run()
        model, optimizer = made
    finally:
        _restore_seeds()
    x, y = _toy()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    @tf.function  # compiled: a few times faster than eager steps
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    losses = []
    for step in range(steps):
        start = (step * batch_size) % len(y)
        losses.append(float(train_step(x[start:start + batch_size],
                                       y[start:start + batch_size])))
        if not math.isfinite(losses[-1]):
            break
    logits = np.asarray(model(x, training=False))
    accuracy = float(np.mean(logits.argmax(axis=1) == y)) if np.isfinite(logits).all() else 0.0
    return losses, accuracy


def _restore_seeds():
    """Leave the learner's random state to the learner: reseed from the clock."""
    import keras

    keras.utils.set_random_seed(int(np.random.SeedSequence().entropy % (2**31)))


def _judge_run(make_run):
    losses, accuracy = train_run(make_run)
    bad = [k for k, v in enumerate(losses) if not math.isfinite(v)]
    if bad:
        return (f"the loss is NaN or infinite after {bad[0] + 1} steps: the steps are far "
                "too large; lower the learning rate (a range test tells by how much)")
    if max(losses[5:], default=0) > 3 * losses[0]:
        return ("the loss jumps far above its start before it settles: the learning rate "
                "is too large")
    if losses[-1] > 0.9 * losses[0]:
        return (f"the loss barely moves ({losses[0]:.2f} to {losses[-1]:.2f} in "
                f"{len(losses)} steps): the learning rate is now too small")
    if accuracy < 0.9:
        return (f"the loss falls but the accuracy is only {accuracy:.2f} after "
                f"{len(losses)} steps: train faster, with a larger learning rate")
    return None


exercise_4 = Exercise(
    "debugging", 4, stars=3, answer="function", name="make_run",
    judge=_judge_run, right=_run(0.5),
    mistakes=[(_run(5.0), "the learning rate is too large"),
              (_run(0.0005), "train faster, with a larger learning rate")],
    success="fixed: the run learns the toy digits in 60 steps",
)
