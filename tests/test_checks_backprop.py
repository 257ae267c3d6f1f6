"""helpers.checks.backprop: right answers pass, typical wrong answers get the right diagnosis."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers.checks import backprop as checks
from helpers.engine import Value


def placeholder(*args):
    ...


def raises(*args):
    raise ValueError("boom")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


COMMON = [
    (None, ["missing"]),
    (Ellipsis, ["missing"]),
    (3.0, ["must be a function"]),
    (raises, ["raised valueerror", "boom"]),
]


# ---------------------------------------------------------------- exercise 1: softplus backward
def test_exercise_1_right():
    assert_passes(checks.exercise_1(lambda x, g: g * sigmoid(x)))
    assert_passes(checks.exercise_1(lambda x, g: tf.constant(g) * tf.sigmoid(tf.constant(x))))


@pytest.mark.parametrize("answer, words", COMMON + [
    (placeholder, ["none", "return"]),
    (lambda x, g: sigmoid(x), ["forgot to multiply", "upstream"]),
    (lambda x, g: g * np.log1p(np.exp(x)), ["softplus(x) itself"]),
    (lambda x, g: g * sigmoid(-x), ["σ(−x)", "sign"]),
    (lambda x, g: -g * sigmoid(x), ["wrong sign"]),
    (lambda x, g: g * np.exp(x), ["eˣ only"]),
    (lambda x, g: 2 * g * sigmoid(x), ["constant factor"]),
    (lambda x, g: (g * sigmoid(x)).sum(), ["shape"]),
    (lambda x, g: g / (1 + math.exp(-x)), ["np.exp"]),
])
def test_exercise_1_wrong(answer, words):
    assert_fails(checks.exercise_1(answer), *words)


# ---------------------------------------------------------------- exercise 2: softplus in the engine
def make_softplus(*, accumulate=True, upstream=True, local="sigmoid", children=True, wrap=True):
    def softplus(v):
        out = Value(math.log1p(math.exp(v.data)), (v,) if children else (), "softplus")

        def _backward():
            d = {"sigmoid": 1 / (1 + math.exp(-v.data)), "value": out.data,
                 "minus": 1 / (1 + math.exp(v.data))}[local]
            g = d * out.grad if upstream else d
            if accumulate:
                v.grad += g
            else:
                v.grad = g

        out._backward = _backward
        return out if wrap else out.data

    return softplus


def test_exercise_2_right():
    assert_passes(checks.exercise_2(make_softplus()))
    assert_passes(checks.exercise_2(lambda v: (v.exp() + 1).log()))  # built from engine operations


class OtherValue:
    def __init__(self, data):
        self.data, self.grad, self._prev = data, 0.0, ()


@pytest.mark.parametrize("answer, words", COMMON + [
    (placeholder, ["none", "return out"]),
    (make_softplus(wrap=False), ["returned a float", "value"]),
    (lambda v: OtherValue(math.log1p(math.exp(v.data))), ["different class", "helpers.engine"]),
    (lambda v: Value(math.exp(v.data), (v,), "softplus"), ["forward value"]),
    (lambda v: Value(math.log1p(math.exp(v.data)), (v,), "softplus"), ["x.grad is 0"]),
    (make_softplus(children=False), ["child", "(v,)"]),
    (make_softplus(upstream=False), ["out.grad", "upstream"]),
    (make_softplus(local="value"), ["not softplus(x)"]),
    (make_softplus(local="minus"), ["sign"]),
    (make_softplus(accumulate=False), ["accumulate", "+="]),
])
def test_exercise_2_wrong(answer, words):
    assert_fails(checks.exercise_2(answer), *words)


# ---------------------------------------------------------------- exercise 3: dense backward
def right_dense(X, W, b, dY):
    return dY @ W.T, X.T @ dY, dY.sum(axis=0)


def test_exercise_3_right():
    assert_passes(checks.exercise_3(right_dense))
    assert_passes(checks.exercise_3(lambda X, W, b, dY: [tf.constant(a) for a in right_dense(X, W, b, dY)]))


@pytest.mark.parametrize("answer, words", COMMON + [
    (placeholder, ["none", "return dx, dw, db"]),
    (lambda X, W, b, dY: (None, None, None), ["dx is none"]),
    (lambda X, W, b, dY: dY @ W.T, ["three arrays"]),
    (lambda X, W, b, dY: (X.T @ dY, dY @ W.T, dY.sum(axis=0)), ["order", "(dx, dw, db)"]),
    (lambda X, W, b, dY: (dY @ W.T, (X.T @ dY).T, dY.sum(axis=0)), ["dw has shape (2, 3)", "transpose"]),
    (lambda X, W, b, dY: (dY @ W.T, X.T @ dY, dY.mean(axis=0)), ["db", "sum"]),
    (lambda X, W, b, dY: (dY @ W.T, X.T @ dY, dY.sum(axis=0, keepdims=True)), ["db has shape (1, 2)", "keepdims"]),
    (lambda X, W, b, dY: (dY @ W.T, X.T @ dY / len(X), dY.sum(axis=0)), ["divided by n"]),
    (lambda X, W, b, dY: (-(dY @ W.T), X.T @ dY, dY.sum(axis=0)), ["dx", "wrong sign"]),
    (lambda X, W, b, dY: (dY @ W.T, X.T @ dY, dY.sum(axis=1)), ["db has shape (4,)"]),
])
def test_exercise_3_wrong(answer, words):
    assert_fails(checks.exercise_3(answer), *words)


# ---------------------------------------------------------------- exercise 4: softmax CE backward
def softmax(z, axis=1, stable=True):
    if stable:
        z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def right_ce(logits, y):
    return (softmax(logits) - np.eye(logits.shape[1])[y]) / len(y)


def test_exercise_4_right():
    assert_passes(checks.exercise_4(right_ce))

    def with_tape(logits, y):
        z = tf.constant(logits)
        with tf.GradientTape() as tape:
            tape.watch(z)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, z))
        return tape.gradient(loss, z)

    assert_passes(checks.exercise_4(with_tape))


@pytest.mark.parametrize("answer, words", COMMON + [
    (placeholder, ["none", "return"]),
    (lambda z, y: softmax(z) - np.eye(3)[y], ["divide by n"]),
    (lambda z, y: softmax(z) / len(y), ["subtract 1"]),
    (lambda z, y: (softmax(z, axis=0) - np.eye(3)[y]) / len(y), ["axis 0"]),
    (lambda z, y: (np.eye(3)[y] - softmax(z)) / len(y), ["sign"]),
    (lambda z, y: (softmax(z, stable=False) - np.eye(3)[y]) / len(y), ["large logits", "maximum"]),
    (lambda z, y: right_ce(z, y).sum(axis=1), ["shape"]),
    (lambda z, y: 2 * right_ce(z, y), ["constant factor"]),
])
def test_exercise_4_wrong(answer, words):
    assert_fails(checks.exercise_4(answer), *words)


# ---------------------------------------------------------------- exercise 5: forward mode
def forward_mode(f, x):
    n = x.shape[0]
    out = []
    for i in range(n):
        with tf.autodiff.ForwardAccumulator(x, tf.one_hot(i, n, dtype=x.dtype)) as acc:
            y = f(x)
        out.append(acc.jvp(y))
    return tf.stack(out)


def reverse_mode(f, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def ones_tangent(f, x):
    with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)) as acc:
        y = f(x)
    return acc.jvp(y)


def jvp_outside(f, x):
    out = []
    for i in range(x.shape[0]):
        with tf.autodiff.ForwardAccumulator(x, tf.one_hot(i, x.shape[0], dtype=x.dtype)) as acc:
            pass
        out.append(acc.jvp(f(x)))
    return out[0]


def test_exercise_5_right():
    assert_passes(checks.exercise_5(forward_mode))
    assert_passes(checks.exercise_5(lambda f, x: list(forward_mode(f, x))))  # a list of scalars is fine


@pytest.mark.parametrize("answer, words", COMMON + [
    (placeholder, ["none"]),
    (reverse_mode, ["reverse mode", "evaluated once"]),
    (ones_tangent, ["tangent of ones", "one-hot"]),
    (jvp_outside, ["none", "with"]),
    (lambda f, x: -forward_mode(f, x), ["sign"]),
    (lambda f, x: forward_mode(f, x)[:3], ["shape"]),
])
def test_exercise_5_wrong(answer, words):
    assert_fails(checks.exercise_5(answer), *words)
