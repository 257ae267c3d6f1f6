"""helpers.conv (im2col convolution and max pooling in NumPy) against TensorFlow and the tape.

Property tests on random shapes, strides, paddings and values (hypothesis), like
tests/test_mlp.py does for the dense network, plus finite differences and input checks.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import conv
from helpers.gradcheck import check_gradient, relative_error

VALUES = st.floats(-2, 2, allow_nan=False, allow_subnormal=False)


@st.composite
def convolutions(draw):
    """(x, w, b, stride, padding) with shapes that fit: the kernel fits a VALID input."""
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(kh, 9)), draw(st.integers(kw, 9))
    stride = draw(st.integers(1, 3))
    padding = draw(st.sampled_from(conv.PADDINGS))
    x = draw(arrays(np.float64, (n, h, w, c), elements=VALUES))
    kernel = draw(arrays(np.float64, (kh, kw, c, o), elements=VALUES))
    bias = draw(arrays(np.float64, (o,), elements=VALUES))
    return x, kernel, bias, stride, padding


def tape_conv(x, w, b, stride, padding, g):
    xv, wv, bv = tf.Variable(x), tf.Variable(w), tf.Variable(b)
    with tf.GradientTape() as tape:
        y = tf.nn.conv2d(xv, wv, stride, padding) + bv
        loss = tf.reduce_sum(y * g)
    return y.numpy(), [t.numpy() for t in tape.gradient(loss, [xv, wv, bv])]


@settings(max_examples=40, deadline=None)
@given(convolutions(), st.integers(0, 2**32 - 1))
def test_conv_forward_and_backward_match_tensorflow_on_random_shapes(case, seed):
    x, w, b, stride, padding = case
    y, cache = conv.conv2d_forward(x, w, b, stride=stride, padding=padding)
    g = np.random.default_rng(seed).normal(size=y.shape)
    y_tf, grads_tf = tape_conv(x, w, b, stride, padding, g)
    assert y.shape == y_tf.shape
    assert np.allclose(y, y_tf, rtol=1e-10, atol=1e-10)
    grads = conv.conv2d_backward(g, cache)
    for key, expected in zip("xwb", grads_tf):
        assert grads[key].shape == expected.shape, key
        assert relative_error(grads[key], expected) <= 1e-6, key


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 5), st.integers(1, 3), st.sampled_from(conv.PADDINGS))
def test_output_size_matches_tensorflow(size, kernel, stride, padding):
    assume(padding == "SAME" or kernel <= size)
    x = np.zeros((1, size, 1, 1), np.float32)
    w = np.zeros((kernel, 1, 1, 1), np.float32)
    expected = tf.nn.conv2d(x, w, stride, padding).shape[1]
    assert conv.output_size(size, kernel, stride, padding) == expected
    out, before, after = conv.padding_amounts(size, kernel, stride, padding)
    assert before <= after <= before + 1


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 2), st.integers(2, 9), st.integers(2, 9), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1), st.booleans())
def test_maxpool_matches_tensorflow_including_ties(n, h, w, c, size, stride, seed, tied):
    assume(size <= h and size <= w)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n, h, w, c)).astype(np.float64) if tied else rng.normal(size=(n, h, w, c))
    y, cache = conv.maxpool_forward(x, size, stride)
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y_tf = tf.nn.max_pool2d(xv, size, stride, "VALID")
        g = rng.normal(size=y_tf.shape)
        loss = tf.reduce_sum(y_tf * g)
    assert np.array_equal(y, y_tf.numpy())
    assert np.allclose(conv.maxpool_backward(g, cache), tape.gradient(loss, xv).numpy(),
                       rtol=1e-12, atol=1e-12)


def test_maxpool_gives_a_tied_window_gradient_to_its_first_entry():
    x = np.array([[5, 5], [5, 1]], np.float64).reshape(1, 2, 2, 1)
    _, cache = conv.maxpool_forward(x)
    dx = conv.maxpool_backward(np.array([[[[3.0]]]]), cache)
    assert dx[0, :, :, 0].tolist() == [[3.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("padding", conv.PADDINGS)
@pytest.mark.parametrize("stride", [1, 2])
def test_backward_matches_finite_differences(padding, stride):
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(1, 5, 6, 2)), rng.normal(size=(3, 2, 2, 2)), rng.normal(size=2)
    y, cache = conv.conv2d_forward(x, w, b, stride=stride, padding=padding)
    g = rng.normal(size=y.shape)
    grads = conv.conv2d_backward(g, cache)

    def loss(x=x, w=w, b=b):
        return float(np.sum(conv.conv2d_forward(x, w, b, stride=stride, padding=padding)[0] * g))

    assert check_gradient(lambda v: loss(x=v), x, grads["x"], rtol=1e-6)
    assert check_gradient(lambda v: loss(w=v), w, grads["w"], rtol=1e-6)
    assert check_gradient(lambda v: loss(b=v), b, grads["b"], rtol=1e-6)


def test_im2col_and_col2im_are_adjoint():
    """<im2col(x), c> = <x, col2im(c)> for every x and c: col2im is im2col's transpose."""
    rng = np.random.default_rng(4)
    for stride, padding in ((1, "VALID"), (2, "SAME"), (3, "SAME")):
        x = rng.normal(size=(2, 7, 8, 3))
        cols = conv.im2col(x, 3, 2, stride, padding)
        c = rng.normal(size=cols.shape)
        back = conv.col2im(c, x.shape, 3, 2, stride, padding)
        assert np.isclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_im2col_matches_extract_patches():
    x = np.random.default_rng(5).normal(size=(2, 9, 8, 3)).astype(np.float32)
    for stride in (1, 2):
        ours = conv.im2col(x, 3, 3, stride, "VALID")
        theirs = tf.image.extract_patches(x, [1, 3, 3, 1], [1, stride, stride, 1], [1, 1, 1, 1], "VALID")
        assert np.array_equal(ours, theirs.numpy())


def test_float32_stays_float32_and_no_bias_works():
    x = np.ones((1, 4, 4, 1), np.float32)
    y, cache = conv.conv2d_forward(x, np.ones((2, 2, 1, 1), np.float32))
    assert y.dtype == np.float32 and np.all(y == 4)
    grads = conv.conv2d_backward(np.ones_like(y), cache)
    assert grads["b"] is None and grads["x"].dtype == np.float32


@pytest.mark.parametrize("call, error, words", [
    (lambda: conv.conv2d_forward(np.ones((4, 4, 1)), np.ones((2, 2, 1, 1))), ValueError, "x[..., None]"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 2)), np.ones((2, 2, 1, 1))), ValueError, "channels"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1), np.float32)), TypeError, "dtype"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1), int), np.ones((2, 2, 1, 1))), TypeError, "floating"),
    (lambda: conv.conv2d_forward(tf.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1))), TypeError, ".numpy()"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), padding="full"),
     ValueError, "VALID"),
    (lambda: conv.conv2d_forward(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1))), ValueError, "does not fit"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), stride=0), ValueError, "stride"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), np.ones(2)), ValueError, "b must"),
    (lambda: conv.conv2d_backward(np.ones((1, 3, 3, 1)), {}), TypeError, "cache"),
    (lambda: conv.maxpool_forward(np.ones((1, 4, 4, 1)), size=1.5), TypeError, "size"),
    (lambda: conv.maxpool_backward(np.ones((1, 1, 1, 1)), conv.maxpool_forward(np.ones((1, 4, 4, 1)))[1]),
     ValueError, "shape"),
])
def test_bad_input_says_what_was_expected(call, error, words):
    with pytest.raises(error, match=None) as info:
        call()
    assert words in str(info.value)
