"""helpers.checks.tape: right answers pass, typical wrong answers get the right diagnosis."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers.checks import tape as checks


def placeholder(*args):
    ...


def raises(*args):
    raise ValueError("boom")


# ---------------------------------------------------------------- exercise 1
def tape_derivative(x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        g = x**2 * tf.sin(x)
    return tape.gradient(g, x)


def test_exercise_1_right():
    assert_passes(checks.exercise_1(tape_derivative))
    assert_passes(checks.exercise_1(lambda x: tf.Variable([2 * x * np.sin(x) + x**2 * np.cos(x)])))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (Ellipsis, ["missing"]),
        (3.0, ["must be a function"]),
        (placeholder, ["none", "return"]),
        (raises, ["raised valueerror", "boom"]),
        (lambda x: "1.0", ["string"]),
        (lambda x: np.ones(3), ["shape (3,)"]),
        (lambda x: float("nan"), ["nan"]),
        (lambda x: x**2 * np.sin(x), ["g(x) itself"]),
        (lambda x: 2 * x * np.sin(x), ["x²·cos(x)"]),
        (lambda x: x**2 * np.cos(x), ["2x·sin(x)"]),
        (lambda x: 2 * x * np.cos(x), ["product rule"]),
        (lambda x: -(2 * x * np.sin(x) + x**2 * np.cos(x)), ["wrong sign"]),
        (lambda x: 2 * (2 * x * np.sin(x) + x**2 * np.cos(x)), ["factor", "2"]),
        (lambda x: x, ["not right yet"]),
    ],
)
def test_exercise_1_wrong(answer, words):
    assert_fails(checks.exercise_1(answer), *words)


def test_exercise_1_unwatched_constant_gives_none_diagnosis():
    def forgot_watch(x):
        x = tf.constant(x)
        with tf.GradientTape() as tape:
            g = x**2 * tf.sin(x)
        return tape.gradient(g, x)

    assert_fails(checks.exercise_1(forgot_watch), "none", "tape.watch")


# ---------------------------------------------------------------- exercise 2
def linear_grads(x, y, W, b):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((tf.matmul(x, W) + b - y) ** 2)
    return tape.gradient(loss, [W, b])


def test_exercise_2_right():
    assert_passes(checks.exercise_2(linear_grads))
    assert_passes(checks.exercise_2(lambda *a: tuple(linear_grads(*a))))


def summed(x, y, W, b):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((tf.matmul(x, W) + b - y) ** 2)
    return tape.gradient(loss, [W, b])


def swapped(x, y, W, b):
    return linear_grads(x, y, W, b)[::-1]


def outside_tape(x, y, W, b):
    loss = tf.reduce_mean((tf.matmul(x, W) + b - y) ** 2)
    with tf.GradientTape() as tape:
        loss = loss + 0.0
    return tape.gradient(loss, [W, b])


def updates_variables(x, y, W, b):
    grads = linear_grads(x, y, W, b)
    W.assign_sub(0.1 * grads[0])
    return grads


def sign_flipped(x, y, W, b):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((y - tf.matmul(x, W) - b) ** 2)
    return [-g for g in tape.gradient(loss, [W, b])]


def no_square(x, y, W, b):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.matmul(x, W) + b - y)
    return tape.gradient(loss, [W, b])


def only_w(x, y, W, b):
    return linear_grads(x, y, W, b)[0]


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["returned nothing"]),
        (raises, ["raised"]),
        (only_w, ["list of two"]),
        (summed, ["mean", "sum"]),
        (swapped, ["wrong order"]),
        (outside_tape, ["dl/dw is none", "with tf.gradienttape"]),
        (updates_variables, ["changed w or b"]),
        (sign_flipped, ["wrong sign"]),
        (no_square, ["dl/dw"]),
    ],
)
def test_exercise_2_wrong(answer, words):
    assert_fails(checks.exercise_2(answer), *words)


# ---------------------------------------------------------------- exercise 3
def fixed_grad(w):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.math.log1p(w**2))
    return tape.gradient(loss, w)


def half_fixed(w):  # NumPy fixed, but the variable is still replaced by a tensor
    w = w * 1.0
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.math.log1p(w**2))
    return tape.gradient(loss, w)


def test_exercise_3_right():
    assert_passes(checks.exercise_3(fixed_grad))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["still none", "two bugs"]),
        (half_fixed, ["still none"]),
        (raises, ["raised"]),
        (lambda w: 1 / (1 + w**2), ["inner derivative"]),
        (lambda w: -2 * w / (1 + w**2), ["wrong sign"]),
        (lambda w: w / (1 + w**2), ["factor"]),
        (lambda w: tf.constant([0.8, -0.8, 0.8]), ["not right yet"]),  # hard-coded, first call only
    ],
)
def test_exercise_3_wrong(answer, words):
    assert_fails(checks.exercise_3(answer), *words)


def test_exercise_3_hard_coded_answer_fails_on_the_second_input():
    first = 2 * np.array([1.0, -2.0, 0.5]) / (1 + np.array([1.0, -2.0, 0.5]) ** 2)
    assert_fails(checks.exercise_3(lambda w: tf.constant(first, dtype=tf.float32)), "shape")


# ---------------------------------------------------------------- exercise 4
def second_derivative(fn, x):
    x = tf.Variable(float(x))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = fn(x)
        dy_dx = inner.gradient(y, x)
    return outer.gradient(dy_dx, x)


def first_derivative(fn, x):
    x = tf.Variable(float(x))
    with tf.GradientTape() as tape:
        y = fn(x)
    return tape.gradient(y, x)


def inner_outside(fn, x):
    x = tf.Variable(float(x))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = fn(x)
    dy_dx = inner.gradient(y, x)
    return outer.gradient(dy_dx, x)


def test_exercise_4_right():
    assert_passes(checks.exercise_4(second_derivative))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["none", "inside"]),
        (inner_outside, ["none", "inside"]),
        (first_derivative, ["first derivatives"]),
        (raises, ["raised"]),
        (lambda fn, x: -second_derivative(fn, x), ["wrong sign"]),
        (lambda fn, x: 0.5 * second_derivative(fn, x), ["factor"]),
        (lambda fn, x: [1.0, 2.0], ["shape (2,)"]),
        (lambda fn, x: second_derivative(fn, x) + 1.0, ["not right yet"]),
    ],
)
def test_exercise_4_wrong(answer, words):
    assert_fails(checks.exercise_4(answer), *words)


# ---------------------------------------------------------------- exercise 5
@tf.custom_gradient
def safe_norm(x):
    norm = tf.sqrt(tf.reduce_sum(x**2))

    def grad(upstream):
        safe = tf.where(norm > 0, norm, 1.0)
        return upstream * tf.where(norm > 0, x / safe, tf.zeros_like(x))

    return norm, grad


@tf.custom_gradient
def simple_where_norm(x):  # tf.where with a NaN in the unused branch is fine for first order
    norm = tf.norm(x)

    def grad(upstream):
        return upstream * tf.where(norm > 0, x / norm, 0.0)

    return norm, grad


@tf.custom_gradient
def ignores_upstream(x):
    norm = tf.norm(x)

    def grad(upstream):
        safe = tf.where(norm > 0, norm, 1.0)
        return x / safe

    return norm, grad


@tf.custom_gradient
def wrong_direction(x):
    norm = tf.norm(x)

    def grad(upstream):
        return -upstream * x / tf.where(norm > 0, norm, 1.0)

    return norm, grad


def test_exercise_5_right():
    assert_passes(checks.exercise_5(safe_norm))
    assert_passes(checks.exercise_5(simple_where_norm))


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, ["missing"]),
        (placeholder, ["returned none"]),
        (raises, ["raised"]),
        (lambda x: tf.norm(x), ["nan", "x = 0"]),
        (lambda x: tf.sqrt(tf.reduce_sum(x**2)), ["nan", "x = 0"]),
        (lambda x: tf.reduce_sum(x**2), ["squared norm"]),
        (lambda x: float(np.linalg.norm(x.numpy())), ["gradient of safe_norm is none"]),
        (ignores_upstream, ["upstream"]),
        (wrong_direction, ["wrong sign"]),
        (lambda x: tf.reduce_sum(tf.abs(x)), ["safe_norm([3, 4]) = 7", "expected 5"]),
        (lambda x: x, ["shape (2,)"]),
    ],
)
def test_exercise_5_wrong(answer, words):
    assert_fails(checks.exercise_5(answer), *words)
