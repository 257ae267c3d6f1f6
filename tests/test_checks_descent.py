"""helpers.checks.descent: what tests/test_declared_exercises.py does not cover.

Right answers written differently from the reference (TensorFlow instead of NumPy,
synonyms, tensors instead of floats) pass; the judged loop of Exercise 3 names each
symptom as the learner fixes one bug after another.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers.checks import descent as checks

# ---------------------------------------------------------------- exercise 1
RIGHT_REGIMES = {0.05: "monotone", 0.2: "one step", 0.3: "oscillates", 0.39: "oscillates",
                 0.45: "diverges"}


def test_exercise_1_accepts_synonyms_and_case():
    assert_passes(checks.exercise_1(RIGHT_REGIMES))
    assert_passes(checks.exercise_1({0.05: "Converges", 0.2: "one step", 0.3: "zigzag",
                                     0.39: "oscillating", 0.45: "Diverging "}))


def test_exercise_1_names_the_misread_rate_and_its_factor():
    answer = {**RIGHT_REGIMES, 0.39: "diverges"}
    assert_fails(checks.exercise_1(answer), "eta = 0.39", "-0.95")


def test_exercise_1_unknown_word_and_placeholders():
    assert_fails(checks.exercise_1({**RIGHT_REGIMES, 0.3: "bounces"}), "one of", "monotone")
    assert_fails(checks.exercise_1(dict.fromkeys(RIGHT_REGIMES, ...)), "one of")
    assert_fails(checks.exercise_1(["monotone"]), "dict")


def test_exercise_1_half_curvature_is_recognised_with_synonyms():
    half = {lr: checks.regime(lr, 2.5) for lr in checks.EX1_RATES}
    half = {lr: {"monotone": "converges"}.get(v, v) for lr, v in half.items()}
    assert_fails(checks.exercise_1(half), "curvature 2.5")


# ---------------------------------------------------------------- exercise 2
def limit_in_tensorflow(X):
    X = tf.constant(X, tf.float64)
    A = tf.concat([X, tf.ones((X.shape[0], 1), tf.float64)], axis=1)
    hessian = 2.0 * tf.matmul(A, A, transpose_a=True) / X.shape[0]
    return 2.0 / tf.reduce_max(tf.linalg.eigvalsh(hessian))


def limit_by_svd_in_float32(X):
    A = np.column_stack([X, np.ones(len(X), np.float32)])
    top_singular_value = np.linalg.svd(A, compute_uv=False)[0]
    return [len(X) / top_singular_value**2]  # a one-element list is a number too


def test_exercise_2_other_right_answers():
    assert_passes(checks.exercise_2(limit_in_tensorflow))
    assert_passes(checks.exercise_2(limit_by_svd_in_float32))
    assert checks.exercise_2.grade(limit_in_tensorflow)


def test_exercise_2_a_constant_is_not_an_answer():
    assert_fails(checks.exercise_2(lambda X: 0.025), "not right yet")


def test_exercise_2_matches_the_chapter_formula_for_a_line():
    x = np.random.default_rng(0).uniform(0.0, 10.0, size=(100, 1))
    hessian = 2 * np.array([[np.mean(x**2), np.mean(x)], [np.mean(x), 1.0]])
    assert np.isclose(checks.stable_limit(x), 2 / np.linalg.eigvalsh(hessian).max())


# ---------------------------------------------------------------- exercise 3
def loop(X, y, steps, *, reshape=True, learning_rate=None, update_b=True):
    """The learner's loop in TensorFlow, with each of the three bugs switchable."""
    X = tf.constant(X, tf.float32)
    y = tf.constant(y, tf.float32)
    if reshape:
        y = tf.reshape(y, (-1, 1))
    w = tf.Variable(tf.zeros((X.shape[1], 1)))
    b = tf.Variable(0.0)
    if learning_rate is None:
        learning_rate = checks.stable_limit(X.numpy()) / 2

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((X @ w + b - y) ** 2)
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        if update_b:
            b.assign_sub(learning_rate * db)

    for _ in range(steps):
        step()
    return w.numpy()[:, 0], float(b.numpy())


def test_exercise_3_the_fixed_loop_passes():
    assert_passes(checks.exercise_3(loop))
    assert_passes(checks.exercise_3(lambda X, y, steps: tuple(map(tf.constant, loop(X, y, steps)))))


def test_exercise_3_the_buggy_loop_of_the_notebook_gets_the_shape_message_first():
    feedback = checks.exercise_3(lambda X, y, s: loop(X, y, s, reshape=False, learning_rate=0.5,
                                                      update_b=False))
    assert_fails(feedback, "broadcasts to (n, n)")


@pytest.mark.parametrize("kwargs, words", [
    (dict(learning_rate=0.5, update_b=False), ["b never moved"]),
    (dict(learning_rate=0.5), ["diverged", "data set 2", "0.114"]),
    (dict(learning_rate=0.01), ["it learns", "data set 1", "mse"]),
    (dict(reshape=False), ["broadcasts"]),
])
def test_exercise_3_partial_progress(kwargs, words):
    assert_fails(checks.exercise_3(lambda X, y, s: loop(X, y, s, **kwargs)), *words)


def test_exercise_3_malformed_results():
    assert_fails(checks.exercise_3(lambda X, y, s: 1.0), "pair")
    assert_fails(checks.exercise_3(lambda X, y, s: (np.zeros(3), 0.0)), "2 weights")
    assert_fails(checks.exercise_3(lambda X, y, s: (np.zeros(2), np.zeros(2))), "one number")


def test_exercise_3_data_the_learner_sees():
    (X1, y1), (X2, y2) = checks.exercise_3_data()
    assert X1.shape == X2.shape == (200, 2) and y1.shape == (200,) and X1.dtype == np.float32
    assert checks.stable_limit(X2) < 0.5 < checks.stable_limit(X1)


# ---------------------------------------------------------------- exercise 4
def newton_by_formula(x, y, W, b):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    xm, x2m = x.mean(), (x * x).mean()
    r = W * x + b - y
    g = 2 * np.array([(r * x).mean(), r.mean()])
    det = x2m - xm**2
    inverse = np.array([[1.0, -xm], [-xm, x2m]]) / (2 * det)
    W_new, b_new = np.array([W, b]) - inverse @ g
    return tf.constant(W_new), tf.constant(b_new)  # tensors are fine too


def least_squares(x, y, W, b):
    return list(np.polyfit(np.asarray(x, np.float64), np.asarray(y, np.float64), 1))


def test_exercise_4_other_right_answers():
    assert_passes(checks.exercise_4(newton_by_formula))
    assert_passes(checks.exercise_4(least_squares))  # one Newton step is least squares
    assert checks.exercise_4.grade(newton_by_formula)


def test_exercise_4_malformed():
    assert_fails(checks.exercise_4(lambda x, y, W, b: (1.0, 2.0, 3.0)), "shape")
    assert_fails(checks.exercise_4(lambda x, y, W, b: "W, b"), "newton_step")


# ---------------------------------------------------------------- exercise 5
def keras_model(X, learning_rate, loss, **dense_kwargs):
    import keras

    dense = keras.layers.Dense(1, **dense_kwargs)
    model = keras.Sequential([keras.Input(shape=(X.shape[1],)), dense])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss=loss)
    return model, dense


def keras_logistic(X, y, learning_rate, epochs):
    import keras

    model, dense = keras_model(X, learning_rate, keras.losses.BinaryCrossentropy(from_logits=True),
                               kernel_initializer="zeros")
    model.fit(X, y, batch_size=len(X), epochs=epochs, shuffle=False, verbose=0)
    return dense.kernel.numpy()[:, 0], float(dense.bias.numpy()[0])


def keras_default_batch_and_init(X, y, learning_rate, epochs):
    import keras

    model, dense = keras_model(X, learning_rate, keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(X, y, epochs=epochs, verbose=0)  # batches of 32, shuffled, random start
    return dense.kernel.numpy()[:, 0], float(dense.bias.numpy()[0])


def loop_in_tensorflow(X, y, learning_rate, epochs):
    w, b = tf.Variable(tf.zeros((X.shape[1], 1))), tf.Variable(0.0)
    y = tf.reshape(y, (-1, 1))
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=X @ w + b))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
    return tf.reshape(w, (-1,)), b  # tensors are fine


def test_exercise_5_keras_and_a_hand_loop_pass():
    assert_passes(checks.exercise_5(keras_logistic))
    assert_passes(checks.exercise_5(loop_in_tensorflow))


def test_exercise_5_fit_defaults_get_the_checklist():
    assert_fails(checks.exercise_5(keras_default_batch_and_init), "kernel_initializer", "shuffle=False")


def test_exercise_5_malformed():
    assert_fails(checks.exercise_5(lambda X, y, lr, e: (np.zeros(2), 0.0)), "shape")
