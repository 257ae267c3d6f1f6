"""helpers.checks.backprop: what tests/test_declared_exercises.py does not cover.

Right answers written differently from the worked solutions (with the tape, with loops,
from engine operations), and the partial-progress messages of the judged exercise.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers.checks import backprop as checks
from helpers.engine import Value


# ---------------------------------------------------------------- exercise 1: staged backward
def f_tf(x, y):
    return (x + tf.sigmoid(y)) / (tf.sigmoid(x) + (x + y) ** 2)


def f_backward_with_tape(x, y):
    xv, yv = tf.Variable(x), tf.Variable(y)
    with tf.GradientTape() as tape:
        f = tf.reduce_sum(f_tf(xv, yv))
    dx, dy = tape.gradient(f, [xv, yv])
    return dx.numpy(), dy.numpy()


def f_backward_quotient_rule(x, y):
    s = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    num, den = x + s(y), s(x) + (x + y) ** 2
    dnum_dx, dden_dx = 1.0, s(x) * (1 - s(x)) + 2 * (x + y)
    dnum_dy, dden_dy = s(y) * (1 - s(y)), 2 * (x + y)
    return ((dnum_dx * den - num * dden_dx) / den**2,
            (dnum_dy * den - num * dden_dy) / den**2)


def test_exercise_1_other_right_answers():
    for answer in (f_backward_with_tape, f_backward_quotient_rule):
        assert_passes(checks.exercise_1(answer))
        assert_passes(checks.exercise_1.grade(answer))
    assert_passes(checks.exercise_1(lambda x, y: list(f_backward_quotient_rule(x, y))))


def test_exercise_1_shape_and_order():
    assert_fails(checks.exercise_1(lambda x, y: f_backward_quotient_rule(x, y)[0]), "list or tuple")
    swapped = lambda x, y: f_backward_quotient_rule(x, y)[::-1]  # noqa: E731
    assert_fails(checks.exercise_1(swapped), "[0]", "not right yet")


# ---------------------------------------------------------------- exercise 2: embedding backward
def embedding_loop(ids, upstream, vocab_size):
    grad = np.zeros((vocab_size, upstream.shape[-1]))
    for i, row in zip(np.ravel(ids), upstream.reshape(-1, upstream.shape[-1])):
        grad[i] += row
    return grad


def embedding_tape(ids, upstream, vocab_size):
    table = tf.Variable(tf.zeros((vocab_size, upstream.shape[-1]), tf.float64))
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(tf.gather(table, ids) * upstream)
    return tf.convert_to_tensor(tape.gradient(out, table))  # IndexedSlices → dense


def embedding_onehot(ids, upstream, vocab_size):
    onehot = np.eye(vocab_size)[np.ravel(ids)]                # (uses, V)
    return onehot.T @ upstream.reshape(-1, upstream.shape[-1])


def test_exercise_2_other_right_answers():
    for answer in (embedding_loop, embedding_tape, embedding_onehot):
        assert_passes(checks.exercise_2(answer))
        assert_passes(checks.exercise_2.grade(answer))


def test_exercise_2_returning_the_upstream_is_a_shape_error():
    assert_fails(checks.exercise_2(lambda ids, g, v: g), "shape (6, 3)", "expected (7, 3)")


# ---------------------------------------------------------------- exercise 3: layer norm
def layernorm_tape(x, gamma, beta, upstream, eps=1e-5):
    xv, gv, bv = tf.Variable(x), tf.Variable(gamma), tf.Variable(beta)
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(xv, axes=[1], keepdims=True)
        y = gv * (xv - mean) / tf.sqrt(var + eps) + bv
        out = tf.reduce_sum(y * upstream)
    return [g.numpy() for g in tape.gradient(out, [xv, gv, bv])]


def layernorm_by_graph(x, gamma, beta, upstream, eps=1e-5):
    """Staged the CS231n way: every intermediate and its gradient."""
    d = x.shape[1]
    mu = x.sum(axis=1, keepdims=True) / d
    xc = x - mu
    var = (xc**2).sum(axis=1, keepdims=True) / d
    inv = (var + eps) ** -0.5
    x_hat = xc * inv
    d_hat = upstream * gamma
    d_inv = (d_hat * xc).sum(axis=1, keepdims=True)
    d_var = -0.5 * (var + eps) ** -1.5 * d_inv
    d_xc = d_hat * inv + 2 * xc / d * d_var
    dx = d_xc - d_xc.sum(axis=1, keepdims=True) / d
    return dx, (upstream * x_hat).sum(axis=0), upstream.sum(axis=0)


def test_exercise_3_other_right_answers():
    for answer in (layernorm_tape, layernorm_by_graph):
        assert_passes(checks.exercise_3(answer))
        assert_passes(checks.exercise_3.grade(answer))


def test_exercise_3_the_hidden_case_catches_a_forgotten_eps():
    def no_eps(x, gamma, beta, upstream, eps=1e-5):
        return checks.layernorm_backward(x, gamma, beta, upstream, eps=0.0)

    assert_fails(checks.exercise_3.grade(no_eps), "[0]")


def test_exercise_3_wrong_axis_for_dgamma():
    def axis_1(*args):
        dx, _, dbeta = checks.layernorm_backward(*args)
        x, _, _, up = args[:4]
        return dx, (up * checks._layernorm_parts(x, 1e-5)[0]).sum(axis=1), dbeta

    assert_fails(checks.exercise_3(axis_1), "[1]", "shape")


# ---------------------------------------------------------------- exercise 4: SiLU, trained
def train_with_zero_grad(activation, steps=300, learning_rate=0.1, seed=0):
    """Written differently: one list of parameters, loss.zero_grad(), a sum of squares."""
    init = np.random.default_rng(seed)
    params = [Value(init.normal()) for _ in range(8)] + [Value(0.0) for _ in range(4)]
    params += [Value(init.normal() * 0.5) for _ in range(4)] + [Value(0.0)]
    losses = []
    for _ in range(steps):
        total = 0
        for (x1, x2), target in zip(checks.XOR_X, checks.XOR_Y):
            out = params[-1]
            for j in range(4):
                pre = params[2 * j] * x1 + params[2 * j + 1] * x2 + params[8 + j]
                out = out + params[12 + j] * activation(pre)
            total = total + (out - target) ** 2
        loss = total * 0.25
        loss.zero_grad()
        loss.backward()
        for p in params:
            p.data -= learning_rate * p.grad
        losses.append(loss)              # Values, not floats: the check reads .data
    return losses


def test_exercise_4_other_right_answers():
    composed = lambda v: v * v.sigmoid()  # noqa: E731 - SiLU from engine operations
    assert_passes(checks.exercise_4((composed, checks.train_xor)))
    assert_passes(checks.exercise_4([checks.silu, train_with_zero_grad]))


def test_exercise_4_partial_progress_and_shapes_of_the_answer():
    ex = checks.exercise_4
    assert_fails(ex(checks.silu), "pair")
    assert_fails(ex((..., checks.train_xor)), "silu is missing")
    assert_fails(ex((checks.silu, None)), "train_xor is missing")
    assert_fails(ex((lambda v: v.data / (1 + math.exp(-v.data)), checks.train_xor)),
                 "returned a float", "value")
    assert_fails(ex((lambda v: Value(v.data / (1 + math.exp(-v.data))), checks.train_xor)),
                 "grad is 0", "child")
    assert_fails(ex((lambda v: v.tanh(), checks.train_xor)), "silu(-2)", "x·σ(x)")
    assert_fails(ex((checks.silu, lambda act, *a, **k: [1.0, 0.5])), "2 losses")
    assert_fails(ex((checks.silu, lambda act, *a, **k: [1.0 - 0.01 * i for i in range(20)])),
                 "never called the activation")
    slow = lambda act, *a, **k: checks.train_xor(act, steps=20)  # noqa: E731
    assert_fails(ex((checks.silu, slow)), "with tanh" if min(checks.train_xor(Value.tanh, 20)) < 0.1
                 else "only falls")
