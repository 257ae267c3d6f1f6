"""helpers.checks.debugging: right answers written differently pass; planted faults get their message.

The generic tests (right answer, each declared mistake, placeholder, crash, plain text) are in
tests/test_declared_exercises.py; these add what is specific to chapter "When training goes
wrong: overfitting and debugging".
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers.checks import debugging as checks


def test_accuracy_with_keras_metric_passes():
    def accuracy_of(model, x, y):
        metric = keras.metrics.SparseCategoricalAccuracy()
        metric.update_state(y, model(x, training=False))
        return float(metric.result())

    assert_passes(checks.exercise_1(accuracy_of))


def test_accuracy_as_percentage_is_told():
    assert_fails(checks.exercise_1(lambda m, x, y: 100 * checks._accuracy(False)(m, x, y)),
                 "percentage")


def test_first_bad_layer_with_check_numerics_passes():
    def first_bad_layer(model, x):
        h = tf.convert_to_tensor(x)
        for layer in model.layers:
            h = layer(h)
            try:
                tf.debugging.check_numerics(h, layer.name)
            except tf.errors.InvalidArgumentError:
                return layer.name
        return None

    assert_passes(checks.exercise_3(first_bad_layer))


def test_first_bad_layer_returning_an_index_is_told():
    def by_index(model, x):
        name = checks._first_bad()(model, x)
        return None if name is None else [layer.name for layer in model.layers].index(name)

    assert_fails(checks.exercise_3(by_index), "name")


def test_run_with_clipping_and_adam_passes():
    assert_passes(checks.exercise_4(checks._run(0.3, clipnorm=5.0)))

    def adam_run():
        model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10)])
        return model, keras.optimizers.Adam(0.003)

    assert_passes(checks.exercise_4(adam_run))


def test_toy_digits_shapes_and_bad_inputs():
    x, y = checks.toy_digits(50, 20)
    assert x.shape == (50, 20) and x.dtype == np.float32 and set(np.unique(y)) <= set(range(10))
    assert 0 <= x.min() and x.max() <= 1
    with pytest.raises(ValueError):
        checks.toy_digits(5)
    with pytest.raises(ValueError):
        checks.toy_digits(50, 2.5)
    with pytest.raises(TypeError):
        checks.toy_digits(50, 20, seed="1")


def test_train_run_bad_inputs():
    with pytest.raises(TypeError):
        checks.train_run("not a function")
    with pytest.raises(ValueError):
        checks.train_run(checks._run(0.5), steps=0)
