"""helpers.checks.scratch (chapter 8): what the generic tests of declared exercises do not cover.

Right answers written differently from the solutions, and the judges of Exercises 4 and 5
saying what is wrong.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers import scratch
from helpers.checks import scratch as checks


# ---------------------------------------------------------------- 1 and 2
def multiply_adds_by_formula(batch_size, layer_sizes):
    pairs = [a * b for a, b in zip(layer_sizes, layer_sizes[1:])]
    return 3 * batch_size * sum(pairs) - batch_size * pairs[0]


def test_multiply_adds_other_right_answer_and_the_mnist_numbers():
    assert_passes(checks.exercise_1(multiply_adds_by_formula))
    forward = 128 * (784 * 512 + 512 * 10)
    assert checks._multiply_adds(128, [784, 512, 10]) == forward + 2 * forward - 128 * 784 * 512


def evaluate_with_helpers(model, images, labels, batch_size):
    losses, right = [], []
    for x, y in scratch.BatchGenerator(images, labels, batch_size):
        logits = model(x)
        losses.append(float(scratch.crossentropy_from_logits(y, logits)) * len(y))
        right.append(scratch.accuracy(model, x, y) * len(y))
    return [sum(losses) / len(labels), sum(right) / len(labels)]


def test_evaluate_other_right_answer():
    assert_passes(checks.exercise_2(evaluate_with_helpers))
    assert checks.exercise_2.grade(evaluate_with_helpers)


# ---------------------------------------------------------------- 3
def gradients_by_hand(logits, labels):
    z = np.asarray(logits, np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p_true = p[np.arange(len(labels)), labels]
    grad = p - np.eye(z.shape[1])[labels]
    grad[(p_true < 1e-7) | (p_true > 1 - 1e-7)] = 0.0
    return grad


def gradients_with_the_chapter_loss(logits, labels):
    z = tf.Variable(logits)
    rows = []
    for i in range(len(labels)):  # one image at a time: its own loss
        with tf.GradientTape() as tape:
            loss = scratch.crossentropy_from_probabilities(labels[i:i + 1], tf.nn.softmax(z)[i:i + 1])
        rows.append(tape.gradient(loss, z).numpy()[i])
    return np.stack(rows)


@pytest.mark.parametrize("answer", [gradients_by_hand, gradients_with_the_chapter_loss])
def test_per_example_gradients_other_right_answers(answer):
    assert_passes(checks.exercise_3(answer))


# ---------------------------------------------------------------- 4: the planted-bug loop
def loop_with_chapter_6_sgd(model, images, labels, epochs=3, batch_size=64, seed=0):
    from helpers.optimizers import SGD

    optimizer = SGD(0.1)
    step = scratch.make_train_step(model, scratch.crossentropy_from_logits, optimizer, compiled=False)
    history = scratch.fit(step, images, labels, epochs=epochs, batch_size=batch_size, seed=seed,
                          verbose=False)
    return np.array(history["loss"])


def test_loop_other_right_answer_with_chapter_6_sgd():
    assert_passes(checks.exercise_4(loop_with_chapter_6_sgd))


def test_loop_judge_explains_wrong_returns():
    assert_fails(checks.exercise_4(lambda model, x, y, epochs, batch_size: None), "returned None")
    assert_fails(checks.exercise_4(lambda model, x, y, epochs, batch_size: [1.0]), "1 losses for 3 epochs")
    assert_fails(checks.exercise_4(lambda model, x, y, epochs, batch_size: "done"), "list of numbers")


def test_loop_judge_says_diverged():
    def diverges(model, images, labels, epochs=3, batch_size=64):
        for w in model.weights:
            w.assign(w * 1e30)
        return [float("nan")] * epochs

    assert_fails(checks.exercise_4(diverges), "NaN", "diverged")


def test_the_exercise_starter_loop_is_caught():
    """The buggy loop of the exercise cell, as the learner finds it: the check names a symptom."""
    def starter(model, images, labels, epochs=3, batch_size=64, seed=0):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(images))
        history = []
        for _ in range(epochs):
            images = images[order]
            losses = []
            for start in range(0, len(images), batch_size):
                x, y = images[start:start + batch_size], labels[start:start + batch_size]
                with tf.GradientTape() as tape:
                    probabilities = tf.nn.softmax(model(x))
                    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, probabilities))
                grads = tape.gradient(loss, model.weights)
                for w, g in zip(model.weights, grads):
                    w = w - 0.1 * g  # noqa: F841 - the planted bug
                losses.append(float(loss))
            history.append(np.mean(losses))
        return history

    assert_fails(checks.exercise_4(starter), "weights never changed", "assign_sub")


# ---------------------------------------------------------------- 5: the epoch in one graph
def epoch_with_tensor_array(train_step, images, labels, batch_size):
    images, labels = tf.convert_to_tensor(images), tf.convert_to_tensor(labels)
    n = math.ceil(images.shape[0] / batch_size)

    @tf.function
    def epoch(permutation):
        losses = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            idx = permutation[i * batch_size:(i + 1) * batch_size]
            losses = losses.write(i, train_step(tf.gather(images, idx), tf.gather(labels, idx)))
        return tf.reduce_mean(losses.stack())

    return epoch


def test_epoch_other_right_answer():
    assert_passes(checks.exercise_5(epoch_with_tensor_array))


def test_epoch_judge_explains_partial_progress():
    def summing(train_step, images, labels, batch_size):
        inner = epoch_with_tensor_array(train_step, images, labels, batch_size)
        return tf.function(lambda p: inner(p) * math.ceil(len(images) / batch_size))

    def ignores_the_permutation(train_step, images, labels, batch_size):
        inner = epoch_with_tensor_array(train_step, images, labels, batch_size)
        return tf.function(lambda p: inner(tf.range(len(images))))

    def never_trains(train_step, images, labels, batch_size):
        return tf.function(lambda p: tf.constant(1.0))

    assert_fails(checks.exercise_5(summing), "sum of the batch losses")
    assert_fails(checks.exercise_5(ignores_the_permutation), "weights differ")
    assert_fails(checks.exercise_5(never_trains), "did not change")
    assert_fails(checks.exercise_5(lambda *args: 5), "should return a function")
