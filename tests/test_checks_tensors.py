"""Tests of helpers.checks.tensors (chapter "Tensors") beyond the generic ones of
tests/test_declared_exercises.py: other right answers, written differently, the hints for
each wrong shape, and which planted bugs the debugging check names."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import Feedback, tensors


def fails_with(feedback, *words):
    """The check said ❌ and its message contains every one of ``words``."""
    assert isinstance(feedback, Feedback)
    assert not feedback, f"expected a failure, got: {feedback}"
    for word in words:
        assert word in feedback.message, f"{word!r} not in {feedback.message!r}"


# ------------------------------------------------------------------ exercise 1
RIGHT_1 = dict(tensors._EX1_ANSWER)


def test_ex1_answer_key_matches_tensorflow():
    names = {"tf": tf, "images": tf.zeros((32, 28, 28)), "W": tf.zeros((784, 10)),
             "labels": tf.zeros(32, dtype=tf.int32)}
    for key, expression in tensors.EX1_EXPRESSIONS.items():
        assert tuple(eval(expression, names).shape) == RIGHT_1[key], key


def test_ex1_right_in_several_spellings():
    assert tensors.exercise_1({k: list(v) for k, v in RIGHT_1.items()})
    assert tensors.exercise_1({k: tf.TensorShape(v) for k, v in RIGHT_1.items()})
    assert tensors.exercise_1({k: tuple(np.int64(i) for i in v) for k, v in RIGHT_1.items()})


@pytest.mark.parametrize("key, shape", [(k, s) for k, w in tensors._EX1_WRONG.items() for s in w])
def test_ex1_each_known_wrong_shape_gets_its_hint(key, shape):
    fails_with(tensors.exercise_1({**RIGHT_1, key: shape}), "1 of 6", f"{key}:",
               tensors._EX1_WRONG[key][shape])


def test_ex1_several_wrong_and_an_unknown_shape():
    fb = tensors.exercise_1({**RIGHT_1, "a": (7, 7), "e": (1,)})
    fails_with(fb, "2 of 6", "a: reducing over an axis removes it", "e:")


@pytest.mark.parametrize("answer, words", [
    ([(28, 28)], ("dict",)),
    ({"a": (28, 28)}, ("no answer yet", "b")),
    ({**RIGHT_1, "c": ...}, ("c: still the placeholder",)),
    ({**RIGHT_1, "c": "(32,)"}, ("c: write the shape as a tuple",)),
    ({**RIGHT_1, "c": (32.0,)}, ("c: write the shape as a tuple",)),
])
def test_ex1_bad_inputs(answer, words):
    fails_with(tensors.exercise_1(answer), *words)


# ------------------------------------------------------------------ exercise 2
@pytest.mark.parametrize("fn", [
    lambda labels, depth: tf.cast(tf.equal(tf.expand_dims(labels, 1), tf.range(depth)), tf.float32),
    lambda labels, depth: tf.gather(tf.eye(depth), labels),
    lambda labels, depth: (np.asarray(labels)[:, None] == np.arange(depth)).astype(np.float32),
])
def test_ex2_right_written_differently(fn):
    assert tensors.exercise_2(fn)


def test_ex2_booleans_are_not_float32():
    fails_with(tensors.exercise_2(lambda labels, depth: labels[:, None] == tf.range(depth)),
               "dtype bool", "float32")


# ------------------------------------------------------------------ exercise 3
def test_ex3_right_as_lists_and_tensors():
    assert tensors.exercise_3(([[0, 1], [-1, 0]], [2, 1]))
    assert tensors.exercise_3((tf.constant([[0.0, 1.0], [-1.0, 0.0]]), tf.constant([2.0, 1.0])))


@pytest.mark.parametrize("W, b, words", [
    ([[0, 1], [1, 0]], [2, 1], ("sends (1, 0) to (0, 1) and (0, 1) to (1, 0)",)),
    ([[0, 1], [-1, 0]], [2, 2], ("not the shift",)),
    ([[0, 1, 0], [-1, 0, 0]], [2, 1], ("shape (2, 3)",)),
    ([[0, 1], [-1, 0]], [[2, 1]], ("b_map has shape (1, 2)",)),
    (None, [2, 1], ("W_map is None",)),
])
def test_ex3_wrong(W, b, words):
    fails_with(tensors.exercise_3((W, b)), *words)


# ------------------------------------------------------------------ exercise 4
def numpy_standardise(images):
    x = images.reshape(len(images), -1).astype(np.float32)
    return (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)


def variance_standardise(images):
    x = tf.reshape(tf.cast(images, tf.float32), (images.shape[0], 784))
    mean, variance = tf.nn.moments(x, axes=[1], keepdims=True)
    return (x - mean) / tf.sqrt(variance)


@pytest.mark.parametrize("fn", [numpy_standardise, variance_standardise])
def test_ex4_right_written_differently(fn):
    assert tensors.exercise_4(fn)


def test_ex4_float64_and_missing_reshape():
    fails_with(tensors.exercise_4(lambda x: numpy_standardise(x).astype(np.float64)),
               "dtype float64")
    fails_with(tensors.exercise_4(lambda x: numpy_standardise(x).reshape(-1, 28, 28)),
               "shape", "reshape")


def test_ex4_per_pixel_in_tensorflow_gives_the_nan_hint():
    def per_pixel(images):
        x = tf.reshape(tf.cast(images, tf.float32), (len(images), -1))
        return (x - tf.reduce_mean(x, axis=0)) / tf.math.reduce_std(x, axis=0)

    fails_with(tensors.exercise_4(per_pixel), "NaN", "axis 0")


# ------------------------------------------------------------------ exercise 5
def learner_version(counts_fixed, axis_fixed, argmin_fixed):
    """The notebook's function with some of its three bugs fixed, in TensorFlow."""
    def nearest_mean_predict(train_images, train_labels, test_images):
        n, m = len(train_images), len(test_images)
        x = tf.reshape(tf.cast(train_images, tf.float32), (n, -1))
        t = tf.reshape(tf.cast(test_images, tf.float32), (m, -1))
        one_hot = tf.one_hot(train_labels, 10)
        sums = tf.transpose(one_hot) @ x
        counts = (tf.reduce_sum(one_hot, axis=0)[:, tf.newaxis] if counts_fixed
                  else tf.reduce_sum(one_hot))
        diff = t[:, tf.newaxis, :] - (sums / counts)[tf.newaxis, :, :]
        distances = tf.reduce_sum(diff ** 2, axis=2 if axis_fixed else 1)
        return (tf.argmin if argmin_fixed else tf.argmax)(distances, axis=1)

    return nearest_mean_predict


def test_ex5_fixed_in_tensorflow_passes():
    assert tensors.exercise_5(learner_version(True, True, True))


def test_ex5_the_notebooks_buggy_version_names_all_three_bugs():
    fb = tensors.exercise_5(learner_version(False, False, False))
    fails_with(fb, "0 of 3 bugs fixed", *tensors.EX5_BUGS.values())


@pytest.mark.parametrize("fixed", [(True, True, False), (True, False, True), (False, True, True),
                                   (False, True, False), (True, False, False)])
def test_ex5_each_remaining_bug_is_named(fixed):
    fb = tensors.exercise_5(learner_version(*fixed))
    remaining = [text for ok, text in zip(fixed, tensors.EX5_BUGS.values()) if not ok]
    fails_with(fb, f"{3 - len(remaining)} of 3 bugs fixed", *remaining)


def test_ex5_other_wrong_answers():
    fails_with(tensors.exercise_5(lambda x, y, t: np.zeros(len(t), int)), "agree with")
    fails_with(tensors.exercise_5(lambda x, y, t: np.full(len(t), 20)), tensors.EX5_RANGE)
    fails_with(tensors.exercise_5(lambda x, y, t: np.zeros((len(t), 10))), tensors.EX5_SHAPE)
