"""Tests of helpers.checks.intro (chapter "What deep learning is, in one loop") beyond the
generic ones of tests/test_declared_exercises.py: other right answers, written differently,
and the partial-progress messages."""

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


def test_ring_data_is_the_chapters_recipe():
    points, labels = intro.ring_data(0, 50)
    r = np.hypot(points[:, 0], points[:, 1])
    assert points.shape == (100, 2) and points.dtype == np.float32
    assert r[labels == 0].max() <= 1.0 + 1e-6
    assert r[labels == 1].min() >= np.sqrt(2.0) - 1e-6 and r.max() <= np.sqrt(6.0) + 1e-6
    with pytest.raises(ValueError):
        intro.ring_data(0, 0)


# ------------------------------------------------------------------ exercise 1
@pytest.mark.parametrize("phi", [
    lambda p: p[:, 0] * p[:, 1],
    lambda p: -p[:, 0] * p[:, 1],
    lambda p: np.sign(p[:, 0]) * np.sign(p[:, 1]),
    lambda p: (p[:, 0] > 0) == (p[:, 1] > 0),
    lambda p: tf.reduce_prod(tf.constant(p), axis=1),
])
def test_ex1_right_written_differently(phi):
    assert intro.exercise_1(phi)


def test_ex1_partial_progress_reports_the_best_threshold():
    fails_with(intro.exercise_1(lambda p: p[:, 0] + p[:, 1]), "best single threshold", "%")


def test_ex1_wrong_length():
    fails_with(intro.exercise_1(lambda p: p[:10, 0]), "one number per point")


# ------------------------------------------------------------------ exercise 2
def polygon(k, c, scale=1.0):
    angles = 2 * np.pi * np.arange(k) / k + 0.1
    W1 = np.stack([np.cos(angles), np.sin(angles)])
    return W1, -c * np.ones(k), scale * np.ones((k, 1)), np.array([-0.01])


@pytest.mark.parametrize("weights", [
    polygon(8, 1.15),
    polygon(6, 1.1),
    polygon(7, 1.12, scale=5.0),
    tuple(a.tolist() for a in polygon(8, 1.2)),
    (*polygon(8, 1.15)[:2], np.ones(8), -0.01),  # W2 as (k,), b2 as a number
    tuple(tf.constant(a, tf.float32) for a in polygon(8, 1.15)),
])
def test_ex2_right_written_differently(weights):
    assert intro.exercise_2(weights)


def test_ex2_square_fails_at_45_degrees():
    fails_with(intro.exercise_2(intro._square(1.05)), "45 degrees")


@pytest.mark.parametrize("weights, words", [
    ((np.ones((3, 4)), np.zeros(4), np.ones((4, 1)), np.zeros(1)), ("shape (2, k)",)),
    ((np.ones((2, 4)), np.zeros(3), np.ones((4, 1)), np.zeros(1)), ("b1 has shape",)),
    ((np.ones((2, 4)), np.zeros(4)), ("four arrays",)),
    ((..., np.zeros(4), np.ones((4, 1)), np.zeros(1)), ("W1 is still the placeholder",)),
])
def test_ex2_bad_shapes(weights, words):
    fails_with(intro.exercise_2(weights), *words)


# ------------------------------------------------------------------ exercise 3
def numpy_loop(r, labels, steps, learning_rate):
    a = c = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a * r + c)))
        a, c = a - learning_rate * np.mean((p - labels) * r), c - learning_rate * np.mean(p - labels)
    return a, c


def tape_loop(r, labels, steps, learning_rate):
    a, c = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.constant(labels), logits=a * r + c))
        da, dc = tape.gradient(loss, [a, c])
        a.assign_sub(learning_rate * da)
        c.assign_sub(learning_rate * dc)
    return a, c  # Variables, not floats: also accepted


@pytest.mark.parametrize("fn", [numpy_loop, tape_loop])
def test_ex3_right_written_differently(fn):
    assert intro.exercise_3(fn)


def test_ex3_starting_point_untouched_is_not_right():
    fails_with(intro.exercise_3(lambda r, y, s, lr: (0.0, 0.0)), "not right yet")


def test_ex3_one_number_is_a_shape_problem():
    fails_with(intro.exercise_3(lambda r, y, s, lr: 1.0), "shape")


# ------------------------------------------------------------------ exercise 4
def test_ex4_a_larger_claimed_width_is_caught_by_the_smaller_run():
    fails_with(intro.exercise_4((intro._train_ring_reference, 5)), intro.EX4_SMALLER_TOO, "width 4")


@pytest.mark.parametrize("answer, words", [
    ((intro._train_ring_reference, "3"), ("whole number",)),
    ((intro._train_ring_reference, 0), ("between 1 and 8",)),
    (("train_ring", 3), ("must be a function",)),
    ((intro._train_ring_reference,), ("the pair",)),
    ((lambda hidden, seed: ..., 3), ("placeholder",)),
])
def test_ex4_bad_answers(answer, words):
    fails_with(intro.exercise_4(answer), *words)


def test_ex4_training_that_never_separates_is_told_to_go_wider():
    def weak(hidden, seed):
        return 0.99 if hidden >= 3 else 0.8  # learns, but never quite separates

    fails_with(intro.exercise_4((weak, 3)), intro.EX4_NOT_REACHED, "next width")
