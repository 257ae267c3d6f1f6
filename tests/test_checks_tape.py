"""helpers.checks.tape: what the generic tests of declared exercises do not cover.

tests/test_declared_exercises.py already runs every declaration with its right answer,
each known mistake, a crash and the placeholder. Here: right answers written differently
from the solution, and the partial-progress messages of each exercise.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers import gradcheck
from helpers.checks import tape as checks

RIGHT_CAUSES = {"a": 7, "b": 0, "c": 5, "d": 6, "e": 3, "f": 1, "g": 4, "h": 0}


# ---------------------------------------------------------------- exercise 1
def test_exercise_1_accepts_numpy_ints_and_digit_strings():
    assert_passes(checks.exercise_1(RIGHT_CAUSES))
    assert_passes(checks.exercise_1({k: np.int64(v) for k, v in RIGHT_CAUSES.items()}))
    assert_passes(checks.exercise_1({k: str(v) for k, v in RIGHT_CAUSES.items()}))


def test_exercise_1_every_cause_is_one_of_the_listed_ones():
    assert set(RIGHT_CAUSES.values()) <= set(checks.EX1_CAUSES)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"b": 7}, ["1 of 8", "b:", "only path"]),
        ({"h": 5, "d": 2}, ["2 of 8", "d:", "h:", "stop_gradient"]),
        ({"a": None}, ["a:", "whole number from 0 to 7"]),
        ({"c": 9}, ["c:", "0 to 7"]),
        ({"e": True}, ["e:", "whole number"]),
        ({"f": ...}, ["f still holds the placeholder"]),
    ],
)
def test_exercise_1_names_the_wrong_snippets_with_a_hint(change, words):
    assert_fails(checks.exercise_1({**RIGHT_CAUSES, **change}), *words)


def test_exercise_1_untouched_placeholders_say_so():
    assert_fails(checks.exercise_1(dict.fromkeys(RIGHT_CAUSES, ...)),
                 "a, b, c, d, e, f, g, h still hold the placeholder")


def test_exercise_1_missing_keys_and_wrong_type():
    partial = {k: v for k, v in RIGHT_CAUSES.items() if k not in "gh"}
    assert_fails(checks.exercise_1(partial), "no answer for g, h")
    assert_fails(checks.exercise_1([7, 0, 5]), "must be a dict")


def test_exercise_1_snippets_really_behave_as_the_answer_says():
    """The answers are facts about TensorFlow: run the eight snippets of the exercise."""
    w = tf.Variable(1.3)
    grads = {}
    with tf.GradientTape() as tape:
        y = tf.round(4.0 * w) / 4.0
    grads["a"] = tape.gradient(y, w)
    with tf.GradientTape() as tape:
        y = tf.cast(w > 1.0, tf.float32) * w**2
    grads["b"] = tape.gradient(y, w)
    c = tf.Variable(1.3, trainable=False)
    with tf.GradientTape() as tape:
        y = c**2
    grads["c"] = tape.gradient(y, c)
    h = tf.exp(w)
    with tf.GradientTape() as tape:
        y = 2.0 * h
    grads["d"] = tape.gradient(y, w)
    e = tf.Variable(3)
    with tf.GradientTape() as tape:
        y = tf.cast(e, tf.float32) ** 2
    grads["e"] = tape.gradient(y, e)
    f = w / 2.0
    with tf.GradientTape() as tape:
        y = f**2
    grads["f"] = tape.gradient(y, f)
    v = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        v.assign(3.0 * w)
        y = v**2
    grads["g"] = tape.gradient(y, w)
    with tf.GradientTape() as tape:
        y = w * tf.stop_gradient(w)
    grads["h"] = tape.gradient(y, w)
    assert [k for k, g in grads.items() if g is not None] == ["b", "h"]
    assert np.isclose(grads["b"].numpy(), 2.6) and np.isclose(grads["h"].numpy(), 1.3)


# ---------------------------------------------------------------- exercise 2
def per_example_by_jacobian(x, t, w):
    with tf.GradientTape() as tape:
        losses = tf.math.softplus(-t * tf.linalg.matvec(x, w))
    return tape.jacobian(losses, w)


def per_example_by_a_loop(x, t, w):  # one tape per example: slower, also right
    rows = []
    for i in range(x.shape[0]):
        with tf.GradientTape() as tape:
            loss = tf.math.log(1.0 + tf.exp(-t[i] * tf.tensordot(x[i], w, 1)))
        rows.append(tape.gradient(loss, w))
    return tf.stack(rows)


def per_example_by_hand(x, t, w):
    margin = t * tf.linalg.matvec(x, w)
    return (-t * tf.sigmoid(-margin))[:, None] * x


@pytest.mark.parametrize("answer", [per_example_by_jacobian, per_example_by_a_loop,
                                    per_example_by_hand])
def test_exercise_2_right_answers_written_differently(answer):
    assert_passes(checks.exercise_2(answer))
    assert checks.exercise_2.grade(answer)


def test_exercise_2_transposed_and_signs():
    assert_fails(checks.exercise_2(lambda x, t, w: tf.transpose(per_example_by_jacobian(x, t, w))),
                 "shape", "reshape or transpose")
    assert_fails(checks.exercise_2(lambda x, t, w: -per_example_by_jacobian(x, t, w)),
                 "wrong sign")


def test_exercise_2_rows_add_up_to_the_gradient_of_the_total():
    x, t, w = checks._ex2_case(5, 7, 3)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(tf.math.softplus(-t * tf.linalg.matvec(x, w)))
    np.testing.assert_allclose(per_example_by_jacobian(x, t, w).numpy().sum(axis=0),
                               tape.gradient(total, w).numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- exercise 3
@tf.custom_gradient
def sinc_custom(x):
    safe = tf.where(x == 0, tf.ones_like(x), x)
    value = tf.where(x == 0, tf.ones_like(x), tf.sin(safe) / safe)

    def grad(upstream):
        slope = tf.where(x == 0, tf.zeros_like(x),
                         (safe * tf.cos(safe) - tf.sin(safe)) / safe**2)
        return upstream * slope

    return value, grad


def sinc_safe_denominator(x):  # only the division made safe: also right
    return tf.where(x == 0, 1.0, tf.sin(x) / tf.where(x == 0, 1.0, x))


@pytest.mark.parametrize("answer", [sinc_custom, sinc_safe_denominator])
def test_exercise_3_other_right_answers(answer):
    assert_passes(checks.exercise_3(answer))


@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda x: tf.where(x == 0, 0.0, tf.sin(tf.where(x == 0, 1.0, x)) / tf.where(x == 0, 1.0, x)),
         ["not right yet at x = 0"]),
        (lambda x: tf.sin(x) / tf.where(x == 0, 1.0, x) + tf.where(x == 0, 1.0, 0.0),
         ["gradient at x = 0 is 1"]),  # right values, but sin(x)/1 has slope 1 at 0
        (lambda x: tf.where(x == 0, 1.0 + x, tf.sin(tf.where(x == 0, 1.0, x)) / tf.where(x == 0, 1.0, x)),
         ["gradient at x = 0 is 1", "slope at 0 is 0"]),
        (lambda x: tf.cast(tf.where(x == 0, 1.0, tf.sin(x) / x), tf.float64), ["float32"]),
        (lambda x: tf.reduce_sum(_right(x)), ["shape"]),
        (lambda x: "sinc", ["tensor of numbers", "string"]),
    ],
)
def test_exercise_3_partial_progress(answer, words):
    assert_fails(checks.exercise_3(answer), *words)


def _right(x):
    return checks._sinc_right(x)


# ---------------------------------------------------------------- exercise 4
@tf.custom_gradient
def cubic_root_numpy_function(x):  # the solver through tf.numpy_function: also right
    y = tf.numpy_function(lambda v: checks.solve_cubic_np(v).astype(np.float32), [x], tf.float32)
    y = tf.reshape(y, tf.shape(x))

    def grad(upstream):
        return upstream / (3.0 * tf.square(y) + 1.0)

    return y, grad


def cubic_root_by_tf_newton(x):  # Newton in TensorFlow, differentiated through: also right
    y = x  # on the far side of the root, like the cube root, but smooth at 0
    for _ in range(40):
        y = y - (y**3 + y - x) / (3 * y**2 + 1)
    return y


@pytest.mark.parametrize("answer", [cubic_root_numpy_function, cubic_root_by_tf_newton])
def test_exercise_4_other_right_answers(answer):
    assert_passes(checks.exercise_4(answer))


def test_exercise_4_newton_from_the_cube_root_is_nan_at_zero_and_says_why():
    def from_cube_root(x):  # |x| ** (1/3) has an infinite slope at 0
        y = tf.math.sign(x) * tf.abs(x) ** (1.0 / 3.0)
        for _ in range(30):
            y = y - (y**3 + y - x) / (3 * y**2 + 1)
        return y

    assert_fails(checks.exercise_4(from_cube_root), "x = 0", "infinite slope at 0")


def test_exercise_4_wrong_value_and_wrong_gradient():
    assert_fails(checks.exercise_4(lambda x: tf.math.sign(x) * tf.abs(x) ** (1 / 3)),
                 "not the root yet", "y cubed + y = x")

    @tf.custom_gradient
    def off(x):
        y = tf.constant(checks.solve_cubic_np(x.numpy()), dtype=tf.float32)
        return y, lambda upstream: 1.01 * upstream / (3 * y**2 + 1)

    assert_fails(checks.exercise_4(off), "disagrees with finite differences")


def test_exercise_4_solver_solves_and_is_smooth():
    x = np.linspace(-50, 50, 101)
    y = checks.solve_cubic_np(x)
    np.testing.assert_allclose(y**3 + y, x, rtol=1e-12, atol=1e-12)
    assert gradcheck.check_gradient(lambda v: np.sum(checks.solve_cubic_np(v)), x[:9],
                                    1 / (3 * y[:9] ** 2 + 1))


# ---------------------------------------------------------------- exercise 5
def train_line_new_variable_each_step(x, y, steps=100, lr=0.1):  # wasteful, but learns
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((w * x + b - y) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w, b = tf.Variable(w - lr * gw), tf.Variable(b - lr * gb)
        losses.append(loss)
    return w, b, losses


def test_exercise_5_other_right_answers():
    assert_passes(checks.exercise_5(train_line_new_variable_each_step))


def _loop(update_sign=1.0, lr=0.1, rebind=False, record_after=False, steps=100):
    def train_line(x, y, steps=steps, lr=lr):
        w, b = tf.Variable(0.0), tf.Variable(0.0)
        losses = []
        for _ in range(steps):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((w * x + b - y) ** 2)
            gw, gb = tape.gradient(loss, [w, b])
            if rebind:
                w = w - lr * gw
                b.assign_sub(lr * gb)
                return w, b, [float(loss)] * steps
            w.assign_sub(update_sign * lr * gw)
            b.assign_sub(update_sign * lr * gb)
            if record_after:
                loss = tf.reduce_mean((w * x + b - y) ** 2)
            losses.append(float(loss))
        return w, b, losses

    return train_line


@pytest.mark.parametrize(
    "answer, words",
    [
        (_loop(update_sign=-1.0), ["loss grows", "assign_sub"]),
        (_loop(lr=2.0), ["nan or infinite", "diverge"]),
        (_loop(rebind=True), ["w came back as a tf.tensor", "w.assign_sub"]),
        (_loop(record_after=True), ["first loss", "before updating"]),
        (_loop(steps=10), ["100 of them"]),
        (_loop(lr=0.001), ["stays above the best line"]),
        (lambda x, y: (tf.Variable(0.0), tf.Variable(0.0), [1.0] * 100), ["first loss"]),
        (lambda x, y: (1.5, -0.8), ["three things"]),
        (lambda x, y: (0.0, 0.0, [float(np.mean(y.numpy() ** 2))] * 100), ["does not fall"]),
    ],
)
def test_exercise_5_partial_progress(answer, words):
    assert_fails(checks.exercise_5(answer), *words)


def test_exercise_5_success_reports_the_line():
    feedback = checks.exercise_5(checks._train_line_right)
    assert_passes(feedback)
    assert "w = 1." in str(feedback) and "b = -0." in str(feedback)
