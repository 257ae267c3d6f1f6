"""helpers.checks.mnist: every check passes the right answer and explains typical wrong ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import Feedback
from helpers.checks import mnist as checks


def fails_with(feedback, *fragments):
    assert isinstance(feedback, Feedback)
    assert not feedback, f"expected a failure, got: {feedback}"
    text = str(feedback)
    assert text.startswith("❌")
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


def passes(feedback):
    assert isinstance(feedback, Feedback)
    assert feedback, f"expected a pass, got: {feedback}"
    assert str(feedback).startswith("✅")


ALL_CHECKS = [
    checks.baseline_exercise_1, checks.baseline_exercise_2, checks.baseline_exercise_3, checks.baseline_exercise_4,
    checks.scratch_exercise_1, checks.scratch_exercise_2, checks.scratch_exercise_3, checks.scratch_exercise_4,
]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_placeholders_and_errors_never_raise(check):
    fails_with(check(None), "missing")
    fails_with(check(...), "missing")
    fails_with(check(42), "must be a function")

    def placeholder(*args):
        ...  # the exercise cell as the learner finds it

    fails_with(check(placeholder), "None")

    def broken(*args):
        raise ZeroDivisionError("oops")

    fails_with(check(broken), "ZeroDivisionError", "oops")


# ---------------------------------------------------------------- chapter 7
def test_baseline_1_prepare_images():
    passes(checks.baseline_exercise_1(lambda im: im.reshape(len(im), 784).astype(np.float32) / 255))
    passes(checks.baseline_exercise_1(lambda im: tf.reshape(tf.cast(im, tf.float32) / 255.0, (-1, 784))))
    fails_with(checks.baseline_exercise_1(lambda im: im.astype(np.float32) / 255), "(5, 28, 28)", "784")
    fails_with(checks.baseline_exercise_1(lambda im: im.ravel().astype(np.float32) / 255), "first axis")
    fails_with(checks.baseline_exercise_1(lambda im: im.reshape(len(im), 784) / 255), "float64")
    fails_with(checks.baseline_exercise_1(lambda im: im.reshape(len(im), 784).astype(np.float32)), "divide by 255")
    fails_with(checks.baseline_exercise_1(lambda im: im.reshape(len(im), 784)), "integers")
    fails_with(checks.baseline_exercise_1(lambda im: im.transpose(0, 2, 1).reshape(len(im), 784).astype(np.float32) / 255),
               "column order")

    def in_place(im):
        im[:] = 0
        return im.reshape(len(im), 784).astype(np.float32)

    fails_with(checks.baseline_exercise_1(in_place), "in place")
    fails_with(checks.baseline_exercise_1(lambda im: "images"), "not an array")


def test_baseline_2_count_parameters():
    passes(checks.baseline_exercise_2(lambda i, h, c: i * h + h + h * c + c))
    passes(checks.baseline_exercise_2(lambda i, h, c: float((i + 1) * h + (h + 1) * c)))
    fails_with(checks.baseline_exercise_2(lambda i, h, c: i * h + h * c), "forgot the biases")
    fails_with(checks.baseline_exercise_2(lambda i, h, c: i * h + h), "only the first layer")
    fails_with(checks.baseline_exercise_2(lambda i, h, c: i * h * c), "add up")
    fails_with(checks.baseline_exercise_2(lambda i, h, c: i * h + h * c + c), "hidden layer")
    fails_with(checks.baseline_exercise_2(lambda i, h, c: i * h + h * c + h), "output layer")
    fails_with(checks.baseline_exercise_2(lambda i, h, c: 407050), "count_parameters(3, 4, 2)")
    fails_with(checks.baseline_exercise_2(lambda i, h, c: [1, 2]), "not one number")


def test_baseline_3_confusion():
    def right(labels, predictions, n):
        cm = np.zeros((n, n), dtype=int)
        np.add.at(cm, (labels, predictions), 1)
        return cm

    passes(checks.baseline_exercise_3(right))
    passes(checks.baseline_exercise_3(lambda y, p, n: tf.math.confusion_matrix(y, p, num_classes=n)))
    fails_with(checks.baseline_exercise_3(lambda y, p, n: right(y, p, n).T), "swapped")
    fails_with(checks.baseline_exercise_3(lambda y, p, n: right(y, p, 4)), "n_classes")
    fails_with(checks.baseline_exercise_3(lambda y, p, n: right(y, p, n)[:, :3]), "shape")
    fails_with(checks.baseline_exercise_3(lambda y, p, n: 2 * right(y, p, n)), "add up")

    def one_off(labels, predictions, n):
        cm = right(labels, predictions, n)
        cm[0, 0] -= 1
        cm[0, 1] += 1
        return cm

    fails_with(checks.baseline_exercise_3(one_off), "not right yet")


def test_baseline_4_centre_of_mass():
    def right(image):
        rows, cols = np.indices(image.shape)
        return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()

    passes(checks.baseline_exercise_4(right))
    passes(checks.baseline_exercise_4(lambda im: np.array(right(im))))
    fails_with(checks.baseline_exercise_4(lambda im: right(im)[::-1]), "(col, row)")
    fails_with(checks.baseline_exercise_4(lambda im: tuple(v + 1 for v in right(im))), "from 1")
    fails_with(checks.baseline_exercise_4(lambda im: tuple(v * im.sum() for v in right(im))), "total ink")

    def unweighted(image):
        rows, cols = np.nonzero(image)
        return rows.mean(), cols.mean()

    fails_with(checks.baseline_exercise_4(unweighted), "weight each index")
    fails_with(checks.baseline_exercise_4(lambda im: tuple(v * im.sum() / im.size for v in right(im))),
               "number of pixels")
    fails_with(checks.baseline_exercise_4(lambda im: 3.0), "two numbers")
    fails_with(checks.baseline_exercise_4(lambda im: (1.0, 2.0)), "expected")


# ---------------------------------------------------------------- chapter 8
def test_scratch_1_glorot_limit():
    passes(checks.scratch_exercise_1(lambda a, b: math.sqrt(6 / (a + b))))
    passes(checks.scratch_exercise_1(lambda a, b: np.float32(np.sqrt(6 / (a + b)))))
    fails_with(checks.scratch_exercise_1(lambda a, b: 6 / (a + b)), "square root")
    fails_with(checks.scratch_exercise_1(lambda a, b: math.sqrt(2 / (a + b))), "standard deviation")
    fails_with(checks.scratch_exercise_1(lambda a, b: math.sqrt(6 / a)), "fan_in")
    fails_with(checks.scratch_exercise_1(lambda a, b: math.sqrt(3 / (a + b))), "numerator")
    fails_with(checks.scratch_exercise_1(lambda a, b: -math.sqrt(6 / (a + b))), "positive")
    fails_with(checks.scratch_exercise_1(lambda a, b: math.sqrt(6) / (a + b)), "whole fraction")
    fails_with(checks.scratch_exercise_1(lambda a, b: 0.1), "expected")
    fails_with(checks.scratch_exercise_1(lambda a, b: "0.07"), "not one number")


def test_scratch_2_epoch_batches():
    def right(n, batch_size, rng):
        order = rng.permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    passes(checks.scratch_exercise_2(right))
    passes(checks.scratch_exercise_2(lambda n, b, rng: np.array_split(rng.permutation(n), [4, 8])))
    fails_with(checks.scratch_exercise_2(lambda n, b, rng: [np.arange(n)[i:i + b] for i in range(0, n, b)]),
               "in order")
    fails_with(checks.scratch_exercise_2(lambda n, b, rng: right(n, b, np.random.default_rng(0))),
               "same order")
    fails_with(checks.scratch_exercise_2(lambda n, b, rng: right(n, b, rng)[:-1]), "last, smaller batch")
    fails_with(checks.scratch_exercise_2(
        lambda n, b, rng: [rng.integers(0, n, size=min(b, n - i)) for i in range(0, n, b)]), "twice")
    fails_with(checks.scratch_exercise_2(lambda n, b, rng: np.array_split(rng.permutation(n), 3)), "[4, 3, 3]")
    fails_with(checks.scratch_exercise_2(lambda n, b, rng: [rng.permutation(n)[:b] / 1.0]), "integer")
    fails_with(checks.scratch_exercise_2(lambda n, b, rng: 7), "list of index arrays")


def test_scratch_3_stable_crossentropy():
    def right(labels, logits):
        z = np.asarray(logits, dtype=np.float64)
        m = z.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
        return np.mean(lse - z[np.arange(len(z)), labels])

    def naive(labels, logits):
        z = np.asarray(logits, dtype=np.float32)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return -np.mean(np.log(p[np.arange(len(z)), labels]))

    def clipped(labels, logits):
        p = tf.clip_by_value(tf.nn.softmax(logits), 1e-7, 1 - 1e-7)
        return -tf.reduce_mean(tf.math.log(tf.gather(p, labels, axis=1, batch_dims=1)))

    passes(checks.scratch_exercise_3(right))
    passes(checks.scratch_exercise_3(
        lambda y, z: tf.reduce_mean(tf.reduce_logsumexp(z, axis=1) - tf.gather(z, y, axis=1, batch_dims=1))))
    with np.errstate(all="ignore"):
        fails_with(checks.scratch_exercise_3(naive), "overflow")
    fails_with(checks.scratch_exercise_3(clipped), "clipped")
    fails_with(checks.scratch_exercise_3(lambda y, z: -right(y, z)), "sign")
    fails_with(checks.scratch_exercise_3(lambda y, z: len(y) * right(y, z)), "sum")
    fails_with(checks.scratch_exercise_3(lambda y, z: np.full(len(y), right(y, z))), "mean")
    fails_with(checks.scratch_exercise_3(lambda y, z: right(y, z) + 0.5), "expected")
    fails_with(checks.scratch_exercise_3(lambda y, z: np.zeros((2, 2))), "one number")


def make_epoch_right(train_step, images, labels, batch_size):
    images, labels = tf.constant(images), tf.constant(labels)
    num_batches = math.ceil(len(images) / batch_size)

    @tf.function
    def epoch(permutation):
        total = tf.constant(0.0)
        for i in tf.range(num_batches):
            idx = permutation[i * batch_size:(i + 1) * batch_size]
            total += train_step(tf.gather(images, idx), tf.gather(labels, idx))
        return total / num_batches

    return epoch


def test_scratch_4_epoch_function_right():
    passes(checks.scratch_exercise_4(make_epoch_right))


def test_scratch_4_epoch_function_typical_mistakes():
    def eager_version(train_step, images, labels, batch_size):
        graph = make_epoch_right(train_step, images, labels, batch_size)
        return graph.python_function

    fails_with(checks.scratch_exercise_4(eager_version), "@tf.function")

    def summed(train_step, images, labels, batch_size):
        images, labels = tf.constant(images), tf.constant(labels)
        num_batches = math.ceil(len(images) / batch_size)

        @tf.function
        def epoch(permutation):
            total = tf.constant(0.0)
            for i in tf.range(num_batches):
                idx = permutation[i * batch_size:(i + 1) * batch_size]
                total += train_step(tf.gather(images, idx), tf.gather(labels, idx))
            return total

        return epoch

    fails_with(checks.scratch_exercise_4(summed), "sum")

    def drops_last(train_step, images, labels, batch_size):
        images, labels = tf.constant(images), tf.constant(labels)
        num_batches = len(images) // batch_size

        @tf.function
        def epoch(permutation):
            total = tf.constant(0.0)
            for i in tf.range(num_batches):
                idx = permutation[i * batch_size:(i + 1) * batch_size]
                total += train_step(tf.gather(images, idx), tf.gather(labels, idx))
            return total / num_batches

        return epoch

    fails_with(checks.scratch_exercise_4(drops_last), "smaller last one")

    def no_training(train_step, images, labels, batch_size):
        @tf.function
        def epoch(permutation):
            return tf.constant(1.0)

        return epoch

    fails_with(checks.scratch_exercise_4(no_training), "did not change")

    def ignores_permutation(train_step, images, labels, batch_size):
        inner = make_epoch_right(train_step, images, labels, batch_size)

        @tf.function
        def epoch(permutation):
            return inner(tf.range(len(images)))

        return epoch

    fails_with(checks.scratch_exercise_4(ignores_permutation), "weights differ")
    fails_with(checks.scratch_exercise_4(lambda *args: "epoch"), "epoch(permutation)")
