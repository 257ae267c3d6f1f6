"""helpers.checks.optimizers: right answers pass, each typical mistake gets its own message."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.checks import optimizers as C  # noqa: E402
from helpers.optimizers import Optimizer  # noqa: E402


def failed(feedback, *words):
    """The check said ❌, never raised, and its message contains every one of ``words``."""
    assert not feedback, f"expected a failure, got: {feedback}"
    assert str(feedback).startswith("❌")
    for word in words:
        assert word in feedback.message, f"{word!r} not in {feedback.message!r}"
    return True


# ---------------------------------------------------------------- exercise 1: one momentum step
def momentum_right(theta, m, g, lr, beta):
    new_m = beta * m - lr * g
    return theta + new_m, new_m


def test_exercise_1_right_numpy_and_tensorflow():
    assert C.exercise_1(momentum_right)
    assert str(C.exercise_1(momentum_right)).startswith("✅")

    def tf_version(theta, m, g, lr, beta):
        new_m = beta * tf.constant(m) - lr * tf.constant(g)
        return tf.constant(theta) + new_m, new_m

    assert C.exercise_1(tf_version)


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda th, m, g, lr, b: (th + (b * m + lr * g), b * m + lr * g), ["sign error"]),
        (lambda th, m, g, lr, b: (th + m, b * m - lr * g), ["old velocity"]),
        (lambda th, m, g, lr, b: (th - lr * (b * m + g), b * m + g), ["PyTorch"]),
        (lambda th, m, g, lr, b: (th + (m - lr * g), m - lr * g), ["not decayed"]),
        (lambda th, m, g, lr, b: (th + b * (b * m - lr * g) - lr * g, b * m - lr * g), ["Nesterov"]),
        (lambda th, m, g, lr, b: (b * m - lr * g, th + b * m - lr * g), ["swapped"]),
        (lambda th, m, g, lr, b: (th - lr * g, b * m - lr * g), ["new_theta", "not right yet"]),
        (lambda th, m, g, lr, b: (th[:2] + (b * m - lr * g)[:2], b * m - lr * g), ["shape"]),
        (lambda th, m, g, lr, b: None, ["returned None"]),
        (lambda th, m, g, lr, b: ..., ["returned Ellipsis"]),
        (lambda th, m, g, lr, b: th, ["pair"]),
        (lambda th, m, g, lr, b: (th, None), ["new_m is None"]),
        (lambda th, m, g, lr, b: 1 / 0, ["ZeroDivisionError"]),
    ],
)
def test_exercise_1_mistakes(fn, words):
    assert failed(C.exercise_1(fn), *words)


def test_exercise_1_not_a_function():
    assert failed(C.exercise_1(None), "missing")
    assert failed(C.exercise_1(3), "must be a function")


# ---------------------------------------------------------------- exercise 2: bias correction
def bias_right(m, v, t, b1, b2):
    return m / (1 - b1**t), v / (1 - b2**t)


def test_exercise_2_right():
    assert C.exercise_2(bias_right)
    assert C.exercise_2(lambda m, v, t, b1, b2: (tf.constant(m) / (1 - b1**t), tf.constant(v) / (1 - b2**t)))


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda m, v, t, b1, b2: (m, v), ["unchanged"]),
        (lambda m, v, t, b1, b2: (m / (1 - b1**t), v), ["v is not"]),
        (lambda m, v, t, b1, b2: (m, v / (1 - b2**t)), ["m is not"]),
        (lambda m, v, t, b1, b2: (m / (1 - b1 ** (t - 1)), v / (1 - b2 ** (t - 1))), ["off by one"]),
        (lambda m, v, t, b1, b2: (m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))), ["off by one", "t + 1"]),
        (lambda m, v, t, b1, b2: (m / b1**t, v / b2**t), ["not by βᵗ"]),
        (lambda m, v, t, b1, b2: (m * (1 - b1**t), v * (1 - b2**t)), ["instead of multiplying"]),
        (lambda m, v, t, b1, b2: (m / (1 - b2**t), v / (1 - b1**t)), ["swapped"]),
        (lambda m, v, t, b1, b2: (-m / (1 - b1**t), v / (1 - b2**t)), ["m_hat", "wrong sign"]),
        (lambda m, v, t, b1, b2: None, ["returned None"]),
        (lambda m, v, t, b1, b2: (m, v, t), ["pair"]),
        (lambda m, v, t, b1, b2: ("m", "v"), ["m_hat cannot be read as numbers"]),
        (lambda m, v, t: (m, v), ["TypeError"]),
    ],
)
def test_exercise_2_mistakes(fn, words):
    assert failed(C.exercise_2(fn), *words)


# ---------------------------------------------------------------- exercise 3: Nesterov class
class Right(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.9):
        super().__init__(learning_rate)
        self.momentum = momentum

    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        m.assign(self.momentum * m - lr * grad)
        variable.assign_add(self.momentum * m - lr * grad)


class Classical(Right):
    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        m.assign(self.momentum * m - lr * grad)
        variable.assign_add(m)


class Plain(Right):
    def update_step(self, grad, variable, lr):
        variable.assign_sub(lr * grad)


class Placeholder(Right):
    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")  # noqa: F841
        ...


class Uphill(Right):
    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        m.assign(self.momentum * m + lr * grad)
        variable.assign_add(self.momentum * m + lr * grad)


class OldVelocity(Right):
    """Adds βm_old − ηg, then stores it as m: the same as classical momentum."""

    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        variable.assign_add(self.momentum * m - lr * grad)
        m.assign(self.momentum * m - lr * grad)


class NoBetaInStep(Right):
    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        m.assign(self.momentum * m - lr * grad)
        variable.assign_add(m - lr * grad)


class Broken(Right):
    def update_step(self, grad, variable, lr):
        raise RuntimeError("boom")


class NoKeywords(Optimizer):
    def __init__(self):
        super().__init__(0.1)


def test_exercise_3_right():
    feedback = C.exercise_3(Right)
    assert feedback, str(feedback)


@pytest.mark.parametrize(
    "cls, words",
    [
        (Classical, ["classical momentum"]),
        (Plain, ["plain SGD"]),
        (Placeholder, ["never moved"]),
        (Uphill, ["runs away", "sign error"]),
        (OldVelocity, ["classical momentum"]),
        (NoBetaInStep, ["first differ after step"]),
        (Broken, ["RuntimeError", "boom"]),
        (NoKeywords, ["TypeError"]),
        (None, ["missing"]),
        (Right(), ["must be a class"]),
        (int, ["subclasses helpers.optimizers.Optimizer"]),
    ],
)
def test_exercise_3_mistakes(cls, words):
    assert failed(C.exercise_3(cls), *words)


# ---------------------------------------------------------------- exercise 4: Adagrad step size
def adagrad_right(t, g, lr):
    return lr * abs(g) / np.sqrt(0.1 + t * g**2 + 1e-7)


def test_exercise_4_right_and_matches_the_optimizer():
    assert C.exercise_4(adagrad_right)
    # The formula really is what helpers.optimizers.Adagrad does.
    from helpers.optimizers import Adagrad

    theta, opt = tf.Variable([0.0]), Adagrad(learning_rate=0.1)
    for t in range(1, 6):
        before = float(theta.numpy()[0])
        opt.apply([tf.constant([2.0])], [theta])
        assert abs(float(theta.numpy()[0]) - before) == pytest.approx(adagrad_right(t, 2.0, 0.1), rel=1e-5)


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda t, g, lr: lr * abs(g) / (1e-7 + np.sqrt(t * g**2)), ["paper's form"]),
        (lambda t, g, lr: lr * abs(g) / np.sqrt(0.1 + (t - 1) * g**2 + 1e-7), ["off by one"]),
        (lambda t, g, lr: lr * abs(g) / (0.1 + t * g**2 + 1e-7), ["square root"]),
        (lambda t, g, lr: lr * abs(g) / np.sqrt(0.1 + g**2 + 1e-7), ["t of them"]),
        (lambda t, g, lr: abs(g) / np.sqrt(0.1 + t * g**2 + 1e-7), ["learning rate"]),
        (lambda t, g, lr: -lr * abs(g) / np.sqrt(0.1 + t * g**2 + 1e-7), ["positive"]),
        (lambda t, g, lr: lr * g / np.sqrt(0.1 + t * g**2 + 1e-7), ["positive"]),
        (lambda t, g, lr: 2 * adagrad_right(t, g, lr), ["constant factor"]),
        (lambda t, g, lr: [adagrad_right(t, g, lr)] * 2, ["shape"]),
        (lambda t, g, lr: None, ["None"]),
        (lambda t, g, lr: "0.1", ["numeric"]),
        (lambda t, g: 0.1, ["TypeError"]),
    ],
)
def test_exercise_4_mistakes(fn, words):
    assert failed(C.exercise_4(fn), *words)


def test_checks_are_documented():
    for name in C.__all__:
        doc = getattr(C, name).__doc__
        assert doc and 'chapter "Optimizers from scratch, verified against Keras"' in doc
