"""Unit tests for helpers.checks.tensors (chapter "Tensors")."""

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
    return True


# ----------------------------------------------------------------------------- exercise 1
RIGHT_1 = {"a": (32, 784), "b": (32, 10), "c": (5, 2, 3), "d": (7, 3, 2), "e": (32, 14, 14)}


def test_ex1_answer_key_matches_tensorflow():
    images, W = tf.zeros((32, 28, 28)), tf.zeros((784, 10))  # noqa: F841 - used by eval below
    for key, expression in tensors.EX1_EXPRESSIONS.items():
        assert tuple(eval(expression).shape) == RIGHT_1[key], key


def test_ex1_right_in_several_spellings():
    assert tensors.exercise_1(RIGHT_1)
    as_lists = {k: list(v) for k, v in RIGHT_1.items()}
    assert tensors.exercise_1(as_lists)
    as_shapes = {k: tf.TensorShape(v) for k, v in RIGHT_1.items()}
    assert tensors.exercise_1(as_shapes)
    as_numpy_ints = {k: tuple(np.int64(i) for i in v) for k, v in RIGHT_1.items()}
    assert tensors.exercise_1(as_numpy_ints)


@pytest.mark.parametrize("key, wrong, hint", [
    ("a", (32, 28), "multiply"),
    ("b", (10, 32), "shared k"),
    ("c", (3, 5, 2), "perm"),
    ("d", (3, 2), "batch axis"),
    ("e", (32, 14, 28), "every second"),
])
def test_ex1_each_wrong_shape_gets_its_hint(key, wrong, hint):
    fb = tensors.exercise_1(dict(RIGHT_1, **{key: wrong}))
    fails_with(fb, "1 of 5", f"{key}:", hint)


def test_ex1_several_wrong():
    fb = tensors.exercise_1(dict(RIGHT_1, a=(1,), e=(1,)))
    fails_with(fb, "2 of 5", "a:", "e:")


@pytest.mark.parametrize("answer, words", [
    (None, ("missing",)),
    (..., ("missing",)),
    ([(32, 784)], ("dict",)),
    ({"a": (32, 784)}, ("no answer", "b")),
    (dict(RIGHT_1, b=...), ("b is still the placeholder",)),
    ({k: ... for k in RIGHT_1}, ("are still the placeholder",)),
    (dict(RIGHT_1, c="(5, 2, 3)"), ("c:", "tuple")),
    (dict(RIGHT_1, c=(5.0, 2.0, 3.0)), ("c:", "whole numbers")),
    (dict(RIGHT_1, c=5), ("c:", "tuple")),
    (dict(RIGHT_1, c=(True, 2, 3)), ("c:", "whole numbers")),
])
def test_ex1_bad_inputs(answer, words):
    fails_with(tensors.exercise_1(answer), *words)


def test_as_shape():
    assert tensors._as_shape((1, 2)) == (1, 2)
    assert tensors._as_shape(tf.TensorShape([3, 4])) == (3, 4)
    assert tensors._as_shape(tf.TensorShape(None)) is None
    assert tensors._as_shape("12") is None
    assert tensors._as_shape(7) is None


# ----------------------------------------------------------------------------- exercise 2
RIGHT_2 = [[1.0, 2.0, 3.0, 4.0], [11.0, 12.0, 13.0, 14.0], [21.0, 22.0, 23.0, 24.0]]


def test_ex2_right():
    assert tensors.exercise_2(RIGHT_2, (5, 5))
    assert tensors.exercise_2(tf.constant([[0.0], [10.0], [20.0]]) + tf.constant([1.0, 2.0, 3.0, 4.0]),
                              tf.TensorShape([5, 5]))
    assert tensors.exercise_2(np.array(RIGHT_2, dtype=np.int64), [5, 5])


@pytest.mark.parametrize("result, bug_shape, words", [
    (np.array(RIGHT_2).T.tolist(), (5, 5), ("swapped",)),
    ([1.0, 12.0, 23.0], (5, 5), ("stretches both",)),
    ([1.0, 2.0, 3.0, 4.0], (5, 5), ("stretches both",)),
    ((np.array(RIGHT_2) - 1).tolist(), (5, 5), ("result",)),
    ((-np.array(RIGHT_2)).tolist(), (5, 5), ("sign",)),
    (None, (5, 5), ("None",)),
    (..., (5, 5), ("placeholder",)),
    (RIGHT_2, (5,), ("from the right",)),
    (RIGHT_2, (5, 1), ("from the right",)),
    (RIGHT_2, (25,), ("bug_shape (25,)",)),
    (RIGHT_2, ..., ("bug_shape is still the placeholder",)),
    (RIGHT_2, "5x5", ("tuple",)),
])
def test_ex2_wrong(result, bug_shape, words):
    fails_with(tensors.exercise_2(result, bug_shape), *words)


# ----------------------------------------------------------------------------- exercise 3
def test_ex3_right_variants():
    assert tensors.exercise_3(lambda x, W: tf.matmul(tf.constant(x, dtype=tf.float32), W))
    assert tensors.exercise_3(lambda x, W: x.astype(np.float32) @ W)
    assert tensors.exercise_3(lambda x, W: tf.cast(x, tf.float32) @ W)
    assert tensors.exercise_3(lambda x, W: (x.astype(np.float32) @ W).numpy())


def test_ex3_unfixed_function_reports_the_error():
    fb = tensors.exercise_3(lambda x, W: tf.matmul(tf.constant(x), W))
    fails_with(fb, "still fails", "InvalidArgumentError", "float32")
    assert "{{" not in fb.message and "[Op:" not in fb.message


def test_ex3_casting_weights_up_is_diagnosed():
    fails_with(tensors.exercise_3(lambda x, W: tf.matmul(tf.constant(x), tf.cast(W, tf.float64))), "float64")


def test_ex3_other_mistakes():
    fails_with(tensors.exercise_3(lambda x, W: None), "returned None")
    fails_with(tensors.exercise_3(lambda x, W: tf.transpose(tf.cast(x, tf.float32) @ W)), "shape")
    fails_with(tensors.exercise_3(lambda x, W: tf.cast(x, tf.float32)[:, :2] * 2.0), "not right yet")
    fails_with(tensors.exercise_3(lambda x, W: tf.cast(tf.cast(x, tf.float32) @ W, tf.float16)), "dtype")
    fails_with(tensors.exercise_3(None), "missing")
    fails_with(tensors.exercise_3("predict"), "must be a function")


# ----------------------------------------------------------------------------- exercise 4
def test_ex4_right():
    def sgd_update(v, grad, learning_rate):
        v.assign_sub(learning_rate * grad)

    assert tensors.exercise_4(sgd_update)

    def with_assign(v, grad, learning_rate):
        v.assign(v - learning_rate * grad)
        return v

    assert tensors.exercise_4(with_assign)


def test_ex4_rebinding_is_diagnosed():
    def sgd_update(v, grad, learning_rate):
        v = v - learning_rate * grad
        return v

    fails_with(tensors.exercise_4(sgd_update), "returned numbers are right", "assign_sub")


@pytest.mark.parametrize("body, words", [
    (lambda v, g, lr: None, ("did not change",)),
    (lambda v, g, lr: v.assign_add(lr * g), ("uphill",)),
    (lambda v, g, lr: v.assign_sub(g), ("learning rate is missing",)),
    (lambda v, g, lr: v.assign(-lr * g), ("overwritten",)),
    (lambda v, g, lr: v.assign(lr * g), ("overwritten",)),
    (lambda v, g, lr: v.assign_sub(2 * lr * g), ("v after the update",)),
    (lambda v, g, lr: v.assign_sub(lr * g[:2]), ("raised",)),
])
def test_ex4_wrong(body, words):
    fails_with(tensors.exercise_4(body), *words)


def test_ex4_item_assignment_gets_a_hint():
    def sgd_update(v, grad, learning_rate):
        for i in range(3):
            v[i] = v[i] - learning_rate * grad[i]

    fails_with(tensors.exercise_4(sgd_update), "raised", "assign_sub")


def test_ex4_not_a_function():
    fails_with(tensors.exercise_4(...), "missing")


# ----------------------------------------------------------------------------- exercise 5
def test_ex5_right():
    assert tensors.exercise_5([[0, 1], [-1, 0]], [2, 1])
    assert tensors.exercise_5(tf.constant([[0.0, 1.0], [-1.0, 0.0]]), tf.constant([2.0, 1.0]))


def test_ex5_right_answer_really_rotates_and_shifts():
    W, b = np.array([[0.0, 1.0], [-1.0, 0.0]]), np.array([2.0, 1.0])
    theta = np.pi / 2
    R_rows = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    assert np.allclose(W, R_rows)
    assert np.allclose(np.array([1.0, 0.0]) @ W + b, [2.0, 2.0])


@pytest.mark.parametrize("W, b, words", [
    ([[0, -1], [1, 0]], [2, 1], ("clockwise", "transpose")),
    ([[1, 0], [0, 1]], [2, 1], ("identity",)),
    ([[0, 1], [1, 0]], [2, 1], ("sends (1, 0) to (0, 1)",)),
    ([[0, 1], [-1, 0]], [-1, 2], ("before rotating",)),
    ([[0, 1], [-1, 0]], [1, 2], ("swapped",)),
    ([[0, 1], [-1, 0]], [2, 2], ("not the shift",)),
    ([[0, 1, 0], [-1, 0, 0]], [2, 1], ("shape (2, 3)",)),
    ([[0, 1], [-1, 0]], [[2, 1]], ("b has shape (1, 2)",)),
    (None, [2, 1], ("W is None",)),
    ([[0, 1], [-1, 0]], ..., ("b is still the placeholder",)),
])
def test_ex5_wrong(W, b, words):
    fails_with(tensors.exercise_5(W, b), *words)


# ----------------------------------------------------------------------------- exercise 6
def test_ex6_right_variants():
    def with_tensordot(W1, b1, W2, b2):
        return W1 @ W2, tf.tensordot(b1, W2, axes=1) + b2

    def with_row(W1, b1, W2, b2):
        return tf.matmul(W1, W2), b1[tf.newaxis, :] @ W2 + b2  # b of shape (1, 2) is accepted

    def with_numpy(W1, b1, W2, b2):
        return W1.numpy() @ W2.numpy(), b1.numpy() @ W2.numpy() + b2.numpy()

    for fn in (with_tensordot, with_row, with_numpy):
        assert tensors.exercise_6(fn), fn.__name__


@pytest.mark.parametrize("fn, words", [
    (lambda W1, b1, W2, b2: (W1 @ W2, b1 @ W2 + b2), ("rank 2", "tensordot")),
    (lambda W1, b1, W2, b2: (W2 @ W1, b2), ("raised", "which layer acts first")),
    (lambda W1, b1, W2, b2: (tf.transpose(W1 @ W2), b2), ("transposed",)),
    (lambda W1, b1, W2, b2: (W1 @ W2, tf.tensordot(b1, W2, axes=1)), ("b2",)),
    (lambda W1, b1, W2, b2: (W1 @ W2, b2), ("b1 @ W2",)),
    (lambda W1, b1, W2, b2: (W1 @ W2, tf.tensordot(b1, W2, axes=1) - b2), ("W is right", "b")),
    (lambda W1, b1, W2, b2: (2 * (W1 @ W2), b2), ("constant factor",)),
    (lambda W1, b1, W2, b2: None, ("returned None",)),
    (lambda W1, b1, W2, b2: W1 @ W2, ("pair",)),
    (lambda W1, b1, W2, b2: (W1 @ W2, None), ("b is None",)),
    (lambda W1, b1, W2, b2: (..., b2), ("W is still the placeholder",)),
    (None, ("missing",)),
])
def test_ex6_wrong(fn, words):
    fails_with(tensors.exercise_6(fn), *words)


def test_short_error_strips_tensorflow_prefix():
    try:
        tf.ones(3) + tf.ones(4)
    except Exception as exc:  # noqa: BLE001
        text = tensors._short_error(exc)
    assert text.startswith("InvalidArgumentError: Incompatible shapes")
    assert "{{" not in text and "[Op:" not in text
