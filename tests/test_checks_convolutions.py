"""helpers.checks.convolutions: right answers written differently pass; slips get their message.

The generic tests (right answer, each declared mistake, placeholder, crash, plain text) are in
tests/test_declared_exercises.py; these add what is specific to chapter "Convolutions by hand,
checked against the tape".
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers import conv
from helpers.checks import convolutions as checks


def test_receptive_field_written_backwards_passes():
    def from_the_top(layers):
        size = 1
        for kernel, stride in reversed(layers):
            size = (size - 1) * stride + kernel
        return size

    assert_passes(checks.exercise_1(from_the_top))


def test_receptive_field_off_by_one_fails():
    assert_fails(checks.exercise_1(lambda layers: checks._receptive_field(layers) + 1))


def test_avg_pool_with_tensorflow_and_the_tape_passes():
    def with_tape(x, dy, size):
        xv = tf.Variable(x)
        with tf.GradientTape() as tape:
            y = tf.nn.avg_pool2d(xv, size, size, "VALID")
            loss = tf.reduce_sum(y * dy)
        return y.numpy(), tape.gradient(loss, xv).numpy()

    assert_passes(checks.exercise_2(with_tape))


def test_avg_pool_wrong_shape_fails():
    assert_fails(checks.exercise_2(lambda x, dy, size: (x, np.zeros_like(x))))


def test_input_gradient_with_col2im_or_the_tape_passes():
    def with_tape(dy, w):
        kh, kw, c, _ = w.shape
        n, oh, ow, _ = dy.shape
        x = tf.Variable(tf.zeros((n, oh + kh - 1, ow + kw - 1, c), tf.float64))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.nn.conv2d(x, w, 1, "VALID") * dy)
        return tape.gradient(loss, x)

    assert_passes(checks.exercise_3(with_tape))  # a tensor is accepted too


def test_dilated_conv_with_tensorflow_passes_and_float32_stays_close():
    assert_passes(checks.exercise_4(
        lambda x, w, d: tf.nn.conv2d(x, w, 1, "VALID", dilations=d)))


def test_dilated_conv_of_dilation_one_is_the_plain_convolution():
    x, w = np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1))
    assert np.allclose(checks._dilated_conv2d(x, w, 1), conv.conv2d_forward(x, w)[0])


def test_budget_constants_are_consistent():
    assert checks.BUDGET < 7_850  # a single Dense(10) on the pixels does not fit
    assert 0.5 < checks.TARGET_ACCURACY < 1
