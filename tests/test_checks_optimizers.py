"""helpers.checks.optimizers: what the generic tests of declared exercises do not cover.

Right answers written differently from the solutions, the partial-progress messages, and
the facts the checks rely on (the stability limits of exercise 3 really are where
helpers.optimizers' Momentum and Nesterov start to diverge).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import optimizers as hopt  # noqa: E402
from helpers.checks import optimizers as C  # noqa: E402


def failed(feedback, *words):
    """The check said ❌, never raised, and its message contains every one of ``words``."""
    assert not feedback, f"expected a failure, got: {feedback}"
    assert str(feedback).startswith("❌")
    for word in words:
        assert word in feedback.message, f"{word!r} not in {feedback.message!r}"
    return True


def test_all_five_are_declared():
    assert C.__all__ == [f"exercise_{k}" for k in range(1, 6)]
    assert [C.exercise_4.stars, C.exercise_5.stars] == [3, 3]


# ---------------------------------------------------------------- exercise 1
def torch_momentum_tf(theta, grads, lrs, beta):
    """Written with TensorFlow, in float32, returning a tensor."""
    theta = tf.constant(theta, tf.float32)
    v = tf.zeros_like(theta)
    for t in range(len(lrs)):
        v = beta * v + tf.constant(grads[t], tf.float32)
        theta -= float(lrs[t]) * v
    return theta


def torch_momentum_in_place(theta, grads, lrs, beta):
    theta, v = theta.copy(), np.zeros_like(theta)
    for g, lr in zip(grads, lrs):
        v *= beta
        v += g
        theta -= lr * v
    return theta


@pytest.mark.parametrize("answer", [torch_momentum_tf, torch_momentum_in_place])
def test_exercise_1_other_right_answers(answer):
    ex = C.exercise_1
    ex.rtol, saved = 1e-5, ex.rtol  # float32 arithmetic: a float32 tolerance
    try:
        assert ex(answer), str(ex(answer))
        assert ex.grade(answer)
    finally:
        ex.rtol = saved


def test_exercise_1_keras_form_is_caught_only_by_the_schedule():
    feedback = C.exercise_1(C._keras_momentum)
    assert failed(feedback, "Keras's form", "only while the learning rate is constant")


def test_exercise_1_the_two_forms_agree_at_a_constant_rate():
    theta, grads, lrs, beta = C._momentum_cases()[0]
    np.testing.assert_allclose(C.torch_momentum(theta, grads, lrs, beta),
                               C._keras_momentum(theta, grads, lrs, beta))


def test_exercise_1_shape_and_none():
    assert failed(C.exercise_1(lambda theta, grads, lrs, beta: theta[:2]), "shape")
    assert failed(C.exercise_1(lambda theta, grads, lrs, beta: None), "None")


# ---------------------------------------------------------------- exercise 2
def clip_numpy(grads, clip_norm):
    arrays = [np.asarray(g) for g in grads]
    norm = np.linalg.norm(np.concatenate([a.ravel() for a in arrays]))
    return [a * clip_norm / norm if norm > clip_norm else a for a in arrays]


@pytest.mark.parametrize("answer", [
    clip_numpy,
    lambda grads, clip_norm: tf.clip_by_global_norm(grads, clip_norm)[0],
    lambda grads, clip_norm: tuple(g * tf.minimum(1.0, clip_norm / tf.linalg.global_norm(grads))
                                   for g in grads),
])
def test_exercise_2_other_right_answers(answer):
    assert C.exercise_2(answer), str(C.exercise_2(answer))
    assert C.exercise_2.grade(answer)


def test_exercise_2_matches_keras_global_clipnorm():
    grads, clip = C._gradient_lists()[0]
    variables = [tf.Variable(tf.zeros_like(g)) for g in grads]
    keras.optimizers.SGD(1.0, global_clipnorm=clip).apply(grads, variables)
    for v, c in zip(variables, C.clip_by_global_norm(grads, clip)):
        np.testing.assert_allclose(v.numpy(), -c, rtol=1e-6)


@pytest.mark.parametrize("answer, words", [
    (lambda grads, c: tf.clip_by_global_norm(grads, c), ["returned a pair", "only the list"]),
    (lambda grads, c: grads[0], ["must return a list"]),
    (lambda grads, c: None, ["returned None"]),
    (lambda grads, c: list(grads)[:2], ["returned 2 gradients for 3 variables"]),
    (lambda grads, c: [2 * g for g in grads], ["gradient 0"]),
])
def test_exercise_2_messages(answer, words):
    assert failed(C.exercise_2(answer), *words)


# ---------------------------------------------------------------- exercise 3
def _end_size(cls, lr, steps=1000):
    A = tf.constant(C.A_MATRIX, tf.float32)
    theta, opt = tf.Variable([1.0, 1.0]), cls(lr, momentum=C.BETA)
    opt.build([theta])

    @tf.function(autograph=False)
    def step():
        opt.apply([tf.linalg.matvec(A, theta)], [theta])

    for _ in range(steps):
        step()
    return float(tf.norm(theta))


@pytest.mark.parametrize("name", ["Momentum", "Nesterov"])
def test_exercise_3_limits_are_where_the_optimizers_diverge(name):
    limit = C.momentum_limits()[name]
    cls = {"Momentum": hopt.Momentum, "Nesterov": hopt.Nesterov}[name]
    assert _end_size(cls, 0.98 * limit) < 1e-3
    assert not _end_size(cls, 1.02 * limit) < 1e3  # overflowed or grew a thousandfold


def test_exercise_3_limits_are_ordered_as_the_success_message_says():
    limits = C.momentum_limits()
    assert limits["Nesterov"] < 2 / 6 < limits["Momentum"]  # SGD's limit in between


def test_exercise_3_measured_answers_pass():
    right = C.momentum_limits()
    assert C.exercise_3({k: v * 1.015 for k, v in right.items()})
    assert C.exercise_3({k: np.float32(v * 0.99) for k, v in right.items()})
    assert C.exercise_3({k: tf.constant(v) for k, v in right.items()})


@pytest.mark.parametrize("answer, words", [
    ({"Momentum": 0.45, "Nesterov": C.momentum_limits()["Nesterov"]}, ["below the limit", "search higher"]),
    ({"Momentum": C.momentum_limits()["Momentum"], "Nesterov": 0.3}, ["above the limit", "search lower"]),
    ({"Momentum": 2 / 6, "Nesterov": C.momentum_limits()["Nesterov"]}, ["plain SGD's limit"]),
    ({"Momentum": 3.2, "Nesterov": C.momentum_limits()["Nesterov"]}, ["smallest curvature"]),
    ({"Momentum": 3.8 / 6, "Nesterov": C.momentum_limits()["Nesterov"]}, ["momentum 0.9"]),
    ({"Momentum": ..., "Nesterov": ...}, ["still the placeholder"]),
    ({"Momentum": None, "Nesterov": 0.2}, ["still None"]),
    ({"Momentum": 0.5}, ["missing", "Nesterov"]),
    ({"Momentum": -1.0, "Nesterov": 0.2}, ["positive"]),
    ({"Momentum": [0.5, 0.6], "Nesterov": 0.2}, ["one number"]),
    ([0.53, 0.24], ["must be a dict"]),
])
def test_exercise_3_messages(answer, words):
    assert failed(C.exercise_3(answer), *words)


# ---------------------------------------------------------------- exercise 4
@pytest.mark.parametrize("make", [
    lambda: hopt.Nesterov(learning_rate=1e-3, momentum=0.95),
    lambda: keras.optimizers.SGD(learning_rate=1.5e-3, momentum=0.95),
])
def test_exercise_4_other_right_answers(make):
    assert C.exercise_4(make), str(C.exercise_4(make))


@pytest.mark.parametrize("make, words", [
    (lambda: hopt.Momentum(learning_rate=1e-3, momentum=0.9), ["not within 0.05", "from (1, 1)"]),
    (lambda: hopt.SGD(learning_rate=0.0), ["did not move"]),
    (lambda: hopt.SGD(learning_rate=0.01), ["diverged", "curvature"]),
    (lambda: "Adam", ["must return an optimizer", "str"]),
    (lambda: None, ["returned nothing"]),
])
def test_exercise_4_messages(make, words):
    assert failed(C.exercise_4(make), *words)


def test_rosenbrock_path_is_the_chapter_setting():
    path = C.rosenbrock_path(hopt.SGD(learning_rate=1.5e-3), steps=5)
    assert path.shape == (6, 2)
    np.testing.assert_allclose(path[0], [-1.2, 1.0], rtol=1e-6)


# ---------------------------------------------------------------- exercise 5
class AdamWFromScratch(hopt.Optimizer):
    """Written without reusing Adam, with the decay as a multiplication."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7):
        super().__init__(learning_rate)
        self.weight_decay, self.beta_1, self.beta_2, self.epsilon = (
            weight_decay, beta_1, beta_2, epsilon)

    def update_step(self, grad, variable, lr):
        variable.assign(variable * (1 - lr * self.weight_decay))
        m, v = self.slot(variable, "m"), self.slot(variable, "v")
        t = tf.cast(self.iterations + 1, variable.dtype)
        m.assign(self.beta_1 * m + (1 - self.beta_1) * grad)
        v.assign(self.beta_2 * v + (1 - self.beta_2) * grad**2)
        m_hat, v_hat = m / (1 - self.beta_1**t), v / (1 - self.beta_2**t)
        eps_hat = self.epsilon * tf.sqrt(1 - self.beta_2**t)  # Keras's ε is ε̂
        variable.assign_sub(lr * m_hat / (tf.sqrt(v_hat) + eps_hat))


@pytest.mark.parametrize("answer", [AdamWFromScratch, keras.optimizers.AdamW])
def test_exercise_5_other_right_answers(answer):
    assert C.exercise_5(answer), str(C.exercise_5(answer))


class WrongBeta(AdamWFromScratch):
    def update_step(self, grad, variable, lr):
        self.beta_1, saved = 0.9, self.beta_1
        super().update_step(grad, variable, lr)
        self.beta_1 = saved


class NoArguments(hopt.Adam):
    def __init__(self):
        super().__init__(0.01)


class Explodes(AdamWFromScratch):
    def update_step(self, grad, variable, lr):
        variable.assign(variable / 0.0)


@pytest.mark.parametrize("answer, words", [
    (WrongBeta, ["first differ after step"]),
    (NoArguments, ["TypeError", "keep the constructor's arguments"]),
    (Explodes, ["NaN or infinite"]),
    (hopt.Adam(0.01), ["must be a function"]),
    (lambda **kwargs: 3, ["must be a class"]),
])
def test_exercise_5_messages(answer, words):
    assert failed(C.exercise_5(answer), *words)
