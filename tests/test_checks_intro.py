"""Unit tests for helpers.checks.intro (chapter "What deep learning is, in one loop")."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import Feedback, intro


def fails_with(feedback, *words):
    """The check said ❌ and its message contains every one of ``words``."""
    assert isinstance(feedback, Feedback)
    assert not feedback, f"expected a failure, got: {feedback}"
    for word in words:
        assert word in feedback.message, f"{word!r} not in {feedback.message!r}"
    return True


# ----------------------------------------------------------------------------- exercise 1
@pytest.mark.parametrize("phi", [np.abs, np.square, lambda x: -np.abs(x), lambda x: tf.abs(x),
                                 lambda x: (np.abs(x) > 1).astype(np.float32)])
def test_ex1_right(phi):
    assert intro.exercise_1(phi)


def test_ex1_identity_is_not_separable():
    fails_with(intro.exercise_1(lambda x: x), "unchanged", "%")


def test_ex1_constant_representation():
    fails_with(intro.exercise_1(lambda x: np.zeros_like(x)), "same value")


def test_ex1_partly_separable_reports_accuracy():
    fb = intro.exercise_1(lambda x: x + 0.5 * x**2)
    fails_with(fb, "best single threshold")


@pytest.mark.parametrize("phi, words", [
    (None, ("missing",)),
    (..., ("missing",)),
    (3.0, ("must be a function",)),
    (lambda x: None, ("None",)),
    (lambda x: ..., ("placeholder",)),
    (lambda x: x[:10], ("shape",)),
    (lambda x: np.stack([x, x], axis=1), ("shape",)),
    (lambda x: np.full_like(x, np.nan), ("NaN",)),
    (lambda x: 1 / 0, ("ZeroDivisionError",)),
    (lambda x: ["a"] * len(x), ("numeric",)),
])
def test_ex1_bad_inputs(phi, words):
    fails_with(intro.exercise_1(phi), *words)


def test_best_threshold_accuracy():
    labels = np.array([0, 0, 1, 1], dtype=bool)
    assert intro._best_threshold_accuracy(np.array([0.0, 1.0, 2.0, 3.0]), labels) == 1.0
    assert intro._best_threshold_accuracy(np.array([3.0, 2.0, 1.0, 0.0]), labels) == 1.0
    assert intro._best_threshold_accuracy(np.array([0.0, 2.0, 1.0, 3.0]), labels) == 0.75
    # ties cannot be split by a threshold
    assert intro._best_threshold_accuracy(np.array([1.0, 1.0, 1.0, 1.0]), labels) == 0.5
    # the data of the exercise: x itself is far from separable
    assert intro._best_threshold_accuracy(intro.EX1_X, intro.EX1_LABELS) < 0.8


# ----------------------------------------------------------------------------- exercise 2
RIGHT_2 = {"a": "forward pass", "b": "gradients", "c": "loss", "d": "weight update",
           "e": "forward pass", "f": "weight update"}


def test_ex2_right_and_synonyms():
    assert intro.exercise_2(RIGHT_2)
    relaxed = {"a": "Forward", "b": "gradient", "c": " Loss ", "d": "update", "e": "layers",
               "f": "optimizer"}
    assert intro.exercise_2(relaxed)


def test_ex2_wrong_lines_get_hints_without_answers():
    answers = dict(RIGHT_2, b="weight update", c="forward pass")
    fb = intro.exercise_2(answers)
    fails_with(fb, "2 of 6", "line b", "line c")
    assert "line a" not in fb.message


@pytest.mark.parametrize("answers, words", [
    (None, ("missing",)),
    (..., ("missing",)),
    (["forward pass"], ("dict",)),
    ({"a": "loss"}, ("no answer", "b")),
    (dict(RIGHT_2, d=...), ("line(s) d", "one of")),
    (dict(RIGHT_2, e="backprop magic"), ("line(s) e",)),
])
def test_ex2_bad_inputs(answers, words):
    fails_with(intro.exercise_2(answers), *words)


def test_ex2_lines_listed_match_the_answer_key():
    assert set(intro.EX2_LINES) == set(RIGHT_2)


# ----------------------------------------------------------------------------- exercise 3
def test_ex3_right():
    assert intro.exercise_3(1.25)
    assert intro.exercise_3(np.float32(5 / 4))
    assert intro.exercise_3(tf.constant(1.25))
    assert intro.exercise_3(np.array([1.25]))


@pytest.mark.parametrize("value, words", [
    (5.0, ("sum",)),
    (0.75, ("absolute",)),
    (-0.25, ("mean error",)),
    (0.25, ("mean error",)),
    (0.0625, ("squares the mean error",)),
    (float(np.sqrt(1.25)), ("root",)),
    (5 / 3, ("one less",)),
    (2.0, ("not the mean squared error",)),
    (None, ("None",)),
    (..., ("placeholder",)),
    ("1.25", ("numeric",)),
    ([1.0, 0.0, 4.0, 0.0], ("one number",)),
])
def test_ex3_wrong(value, words):
    fails_with(intro.exercise_3(value), *words)


# ----------------------------------------------------------------------------- exercise 4
def test_ex4_right():
    assert intro.exercise_4(1.8)
    assert intro.exercise_4(tf.constant(1.8))


@pytest.mark.parametrize("value, words", [
    (0.2, ("uphill",)),
    (-8.0, ("gradient dL/dw itself",)),
    (8.0, ("minus the gradient",)),
    (9.0, ("learning rate is missing",)),
    (1.4, ("factor 2",)),
    (0.6, ("factor 2", "uphill")),
    (2.6, ("sum",)),
    (1.5, ("factor x",)),
    (2.0, ("residuals",)),
    (None, ("None",)),
    (np.array([1.8, 1.8]), ("one number",)),
])
def test_ex4_wrong(value, words):
    fails_with(intro.exercise_4(value), *words)


# ----------------------------------------------------------------------------- exercise 5
def right_step(w, x, y, learning_rate):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((w * x - y) ** 2)
    w.assign_sub(learning_rate * tape.gradient(loss, w))
    return loss


def test_ex5_right():
    assert intro.exercise_5(right_step)


def test_ex5_assign_form_also_right():
    def step(w, x, y, learning_rate):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x - y))
        w.assign(w - learning_rate * tape.gradient(loss, w))
        return float(loss)

    assert intro.exercise_5(step)


def test_ex5_placeholder():
    def step(w, x, y, learning_rate):
        ...

    fails_with(intro.exercise_5(step), "does nothing yet")


def test_ex5_rebinding_does_not_update():
    def step(w, x, y, learning_rate):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((w * x - y) ** 2)
        w = w - learning_rate * tape.gradient(loss, w)  # noqa: F841 - the mistake under test
        return loss

    fails_with(intro.exercise_5(step), "did not change", "assign_sub")


def test_ex5_sign_error():
    def step(w, x, y, learning_rate):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((w * x - y) ** 2)
        w.assign_add(learning_rate * tape.gradient(loss, w))
        return loss

    fails_with(intro.exercise_5(step), "uphill")


def test_ex5_missing_learning_rate():
    def step(w, x, y, learning_rate):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((w * x - y) ** 2)
        w.assign_sub(tape.gradient(loss, w))
        return loss

    fails_with(intro.exercise_5(step), "learning rate")


def test_ex5_none_gradient_is_explained():
    def step(w, x, y, learning_rate):
        loss = tf.reduce_mean((w * x - y) ** 2)
        with tf.GradientTape() as tape:
            pass
        w.assign_sub(learning_rate * tape.gradient(loss, w))
        return loss

    fails_with(intro.exercise_5(step), "raised", "None gradient")


def test_ex5_forgets_to_return_the_loss():
    def step(w, x, y, learning_rate):
        right_step(w, x, y, learning_rate)

    fails_with(intro.exercise_5(step), "return the loss")


def test_ex5_returns_loss_after_the_update():
    def step(w, x, y, learning_rate):
        right_step(w, x, y, learning_rate)
        return tf.reduce_mean((w * x - y) ** 2)

    fails_with(intro.exercise_5(step), "after the update")


def test_ex5_hard_coded_first_step_fails_second():
    def step(w, x, y, learning_rate):
        w.assign(1.8)
        return 6.5

    fails_with(intro.exercise_5(step), "step 2")


def test_ex5_wrong_loss_value():
    def step(w, x, y, learning_rate):
        right_step(w, x, y, learning_rate)
        return 123.0

    fails_with(intro.exercise_5(step), "returned loss")


@pytest.mark.parametrize("fn, words", [(None, ("missing",)), ("gd_step", ("must be a function",))])
def test_ex5_not_a_function(fn, words):
    fails_with(intro.exercise_5(fn), *words)


def test_feedback_display():
    fb = intro.exercise_3(1.25)
    assert str(fb).startswith("✅ Exercise 3")
    assert "❌" in str(intro.exercise_3(5.0))
