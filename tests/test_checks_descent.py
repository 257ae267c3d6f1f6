"""helpers.checks.descent: right answers pass, typical wrong answers get the right diagnosis."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers.checks import descent as checks


def placeholder(*args):
    ...


def raises(*args):
    raise RuntimeError("boom")


# ---------------------------------------------------------------- exercise 1
def gd_step(x, learning_rate):
    with tf.GradientTape() as tape:
        loss = (x - 3.0) ** 2
    x.assign_sub(learning_rate * tape.gradient(loss, x))


def by_hand(x, learning_rate):
    x.assign(x - learning_rate * 2 * (x - 3.0))
    return x


def rebinds(x, learning_rate):
    with tf.GradientTape() as tape:
        loss = (x - 3.0) ** 2
    x = x - learning_rate * tape.gradient(loss, x)
    return x


def rebinds_no_return(x, learning_rate):
    rebinds(x, learning_rate)


def uphill(x, learning_rate):
    x.assign_add(learning_rate * 2 * (x - 3.0))


def half(x, learning_rate):
    x.assign_sub(learning_rate * (x - 3.0))


def double(x, learning_rate):
    x.assign_sub(learning_rate * 4 * (x - 3.0))


def no_lr(x, learning_rate):
    x.assign_sub(2 * (x - 3.0))


def assigns_gradient(x, learning_rate):
    x.assign(2 * (x - 3.0))


def two_steps(x, learning_rate):
    gd_step(x, learning_rate)
    gd_step(x, learning_rate)


def test_exercise_1_right():
    assert_passes(checks.exercise_1(gd_step))
    assert_passes(checks.exercise_1(by_hand))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        ("gd_step", ["must be a function"]),
        (placeholder, ["did not change", "assign_sub"]),
        (raises, ["raised runtimeerror", "boom"]),
        (rebinds, ["right new value", "assign_sub"]),
        (rebinds_no_return, ["did not change", "rebinds"]),
        (uphill, ["uphill"]),
        (half, ["half", "2(x − 3)"]),
        (double, ["twice"]),
        (no_lr, ["learning rate is missing"]),
        (assigns_gradient, ["holds the gradient"]),
        (two_steps, ["two steps"]),
        (lambda x, lr: x.assign(7.0), ["not right yet"]),
    ],
)
def test_exercise_1_wrong(answer, words):
    assert_fails(checks.exercise_1(answer), *words)


# ---------------------------------------------------------------- exercise 2
def test_exercise_2_right():
    assert_passes(checks.exercise_2(lambda a: 1.0 / a))
    assert_passes(checks.exercise_2(lambda a: tf.constant(1.0 / a, dtype=tf.float64)))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["returned none"]),
        (raises, ["raised"]),
        (lambda a: 2.0 / a, ["2/a", "2a·x"]),
        (lambda a: 0.5 / a, ["one step", "best rate"]),
        (lambda a: a, ["smaller as a grows"]),
        (lambda a: 2 * a, ["smaller as a grows"]),
        (lambda a: 1.0, ["every a"]),
        (lambda a: -1.0 / a, ["wrong sign"]),
        (lambda a: [1 / a, 2 / a], ["shape (2,)"]),
        (lambda a: "1/a", ["string"]),
        (lambda a: 1.0 / a + 0.1, ["not right yet"]),
    ],
)
def test_exercise_2_wrong(answer, words):
    assert_fails(checks.exercise_2(answer), *words)


# ---------------------------------------------------------------- exercise 3
def fit_line(x, y, learning_rate, steps):
    W, b = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((W * x + b - y) ** 2)
        dW, db = tape.gradient(loss, [W, b])
        W.assign_sub(learning_rate * dW)
        b.assign_sub(learning_rate * db)
    return float(W.numpy()), float(b.numpy())


def swapped(x, y, lr, steps):
    W, b = fit_line(x, y, lr, steps)
    return b, W


def diverges(x, y, lr, steps):
    W, b = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((W * x + b - y) ** 2)
        dW, db = tape.gradient(loss, [W, b])
        W.assign_add(lr * dW)
        b.assign_add(lr * db)
    return W, b


def rebinds_variable(x, y, lr, steps):
    W, b = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((W * x + b - y) ** 2)
        dW, db = tape.gradient(loss, [W, b])
        W = W - lr * dW  # rebinding: W is a tensor from now on, its next gradient is None
        b = b - lr * db
    return W, b


def never_updates(x, y, lr, steps):
    W, b = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((W * x + b - y) ** 2)
        tape.gradient(loss, [W, b])  # computed, never applied
    return W, b


def only_w(x, y, lr, steps):
    W, b = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((W * x + b - y) ** 2)
        W.assign_sub(lr * tape.gradient(loss, W))
    return W, b


def starts_elsewhere(x, y, lr, steps):
    W, b = fit_line(x, y, lr, steps)
    return W + 1.0, b


def test_exercise_3_right():
    assert_passes(checks.exercise_3(fit_line))
    assert_passes(checks.exercise_3(lambda *a: list(fit_line(*a))))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["returned nothing"]),
        (raises, ["raised"]),
        (lambda x, y, lr, steps: 1.0, ["pair"]),
        (lambda x, y, lr, steps: (None, 0.0), ["w is none"]),
        (swapped, ["swapped"]),
        (diverges, ["diverged"]),
        (never_updates, ["still 0"]),
        (rebinds_variable, ["nonetype", "assign_sub"]),
        (only_w, ["least-squares line"]),
        (starts_elsewhere, ["steps=0", "starting point"]),
    ],
)
def test_exercise_3_wrong(answer, words):
    assert_fails(checks.exercise_3(answer), *words)


# ---------------------------------------------------------------- exercise 4
def bce_from_logits(labels, logits):
    return tf.maximum(logits, 0.0) - logits * labels + tf.math.log1p(tf.exp(-tf.abs(logits)))


def naive(labels, logits):
    p = tf.sigmoid(logits)
    return -labels * tf.math.log(p) - (1 - labels) * tf.math.log(1 - p)


def sigmoid_first(labels, logits):
    return bce_from_logits(labels, tf.sigmoid(logits))


def swapped_labels(labels, logits):
    return bce_from_logits(1 - labels, logits)


def averaged(labels, logits):
    return tf.reduce_mean(bce_from_logits(labels, logits))


def unstable_only_at_large(labels, logits):
    # Correct for moderate logits, but clips large ones (a wrong "fix" for overflow).
    z = tf.clip_by_value(logits, -10.0, 10.0)
    return bce_from_logits(labels, z)


def test_exercise_4_right():
    assert_passes(checks.exercise_4(bce_from_logits))
    assert_passes(checks.exercise_4(lambda y, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z)))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["returned nothing"]),
        (raises, ["raised"]),
        (naive, ["overflows", "stable"]),
        (sigmoid_first, ["sigmoid", "first"]),
        (swapped_labels, ["labels are swapped"]),
        (averaged, ["one number"]),
        (lambda y, z: tf.reshape(bce_from_logits(y, z), (2, 3)), ["shape (2, 3)"]),
        (unstable_only_at_large, ["large |z|"]),
        (lambda y, z: -bce_from_logits(y, z), ["wrong sign"]),
        (lambda y, z: "loss", ["not numbers"]),
    ],
)
def test_exercise_4_wrong(answer, words):
    assert_fails(checks.exercise_4(answer), *words)


# ---------------------------------------------------------------- exercise 5
def minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def with_replacement(n, batch_size, rng):
    order = rng.integers(0, n, size=n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]


def unshuffled(n, batch_size, rng):
    order = np.arange(n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]


def drops_last(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[s:s + batch_size] for s in range(0, n - batch_size + 1, batch_size)]


def empty_at_end(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[s:s + batch_size] for s in range(0, n + 1, batch_size)]


def global_state(n, batch_size, rng):
    order = np.random.default_rng().permutation(n)  # ignores the rng argument
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]


def float_indices(n, batch_size, rng):
    return [b.astype(float) for b in minibatches(n, batch_size, rng)]


def wrong_sizes(n, batch_size, rng):
    order = rng.permutation(n)
    return np.array_split(order, int(np.ceil(n / batch_size)))


def test_exercise_5_right():
    assert_passes(checks.exercise_5(minibatches))
    assert_passes(checks.exercise_5(lambda n, b, rng: tuple(list(x) for x in minibatches(n, b, rng))))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["returned nothing"]),
        (raises, ["raised"]),
        (lambda n, b, rng: rng.permutation(n), ["one flat array"]),
        (lambda n, b, rng: 3, ["list of index arrays"]),
        (with_replacement, ["twice"]),
        (unshuffled, ["in order", "shuffle"]),
        (drops_last, ["last, smaller batch is missing"]),
        (empty_at_end, ["empty batch"]),
        (global_state, ["rng"]),
        (float_indices, ["integers"]),
        (wrong_sizes, ["batch sizes"]),
    ],
)
def test_exercise_5_wrong(answer, words):
    assert_fails(checks.exercise_5(answer), *words)
