"""helpers.checks.keras_loops: right answers written differently pass; slips get their message.

The generic tests (right answer, each declared mistake, placeholder, crash, plain text) are in
tests/test_declared_exercises.py; these add what is specific to chapter "Keras models and
training loops you write yourself".
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from conftest import assert_fails, assert_passes

from helpers.checks import keras_loops as checks


# ---------------------------------------------------------------- exercise 1
def test_epoch_loss_written_with_tensorflow_or_a_loop_passes():
    assert_passes(checks.exercise_1(
        lambda losses, sizes: tf.reduce_sum(tf.constant(losses) * tf.cast(sizes, tf.float32))
        / tf.cast(tf.reduce_sum(sizes), tf.float32)))

    def by_hand(losses, sizes):
        total = sum(loss * size for loss, size in zip(losses, sizes))
        return total / sum(sizes)

    assert_passes(checks.exercise_1(by_hand))


def test_epoch_loss_a_keras_mean_with_sample_weight_passes():
    def with_keras(losses, sizes):
        mean = keras.metrics.Mean()
        for loss, size in zip(losses, sizes):
            mean.update_state(loss, sample_weight=size)
        return mean.result()

    assert_passes(checks.exercise_1(with_keras))


# ---------------------------------------------------------------- exercise 2
class CentreWithOps(keras.layers.Layer):
    """A right answer written differently: keras.ops, and the update as a difference."""

    def __init__(self, momentum=0.9, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        self.moving_mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                           trainable=False)

    def call(self, inputs, training=False):
        if not training:
            return inputs - self.moving_mean
        mean = keras.ops.mean(inputs, axis=0)
        self.moving_mean.assign_sub((1 - self.momentum) * (self.moving_mean - mean))
        return inputs - mean


class CentreWithNumpy(CentreWithOps):
    """Right eagerly, but it calls .numpy(), which fails inside tf.function."""

    def call(self, inputs, training=False):
        if not training:
            return inputs - self.moving_mean
        mean = np.asarray(inputs).mean(axis=0) if tf.executing_eagerly() else inputs.numpy()
        self.moving_mean.assign(self.momentum * self.moving_mean + (1 - self.momentum) * mean)
        return inputs - mean


def test_centre_written_with_keras_ops_passes():
    assert_passes(checks.exercise_2(CentreWithOps))


def test_centre_that_needs_numpy_is_told_about_tf_function():
    assert_fails(checks.exercise_2(CentreWithNumpy), "tf.function", "TensorFlow operations")


def test_centre_that_is_not_a_layer_is_told_so():
    assert_fails(checks.exercise_2(lambda momentum=0.9: object()), "not a Keras layer")


# ---------------------------------------------------------------- exercise 3
def _numpy_split(images, labels, n_val, batch_size, seed):
    """A right answer written differently: the split made with a NumPy permutation."""
    order = np.random.default_rng(seed).permutation(len(labels))
    val_idx, train_idx = order[:n_val], order[n_val:]

    def scale(x, y):
        return tf.reshape(tf.cast(x, tf.float32) / 255.0, (-1, 784)), y

    val = tf.data.Dataset.from_tensor_slices((images[val_idx], labels[val_idx]))
    train = tf.data.Dataset.from_tensor_slices((images[train_idx], labels[train_idx]))
    return (train.shuffle(len(train_idx), seed=seed).batch(batch_size).map(scale),
            val.batch(batch_size).map(scale))


def test_split_made_with_numpy_passes():
    assert_passes(checks.exercise_3(_numpy_split))


def test_split_that_returns_arrays_is_told_to_return_datasets():
    assert_fails(checks.exercise_3(lambda *args: (np.zeros(3), np.zeros(3))), "tf.data.Dataset")


def test_split_with_a_small_buffer_first_is_told_about_the_classes():
    def small_buffer(images, labels, n_val, batch_size, seed):
        pairs = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(
            16, seed=seed, reshuffle_each_iteration=False)  # far too small a buffer
        train = pairs.skip(n_val).shuffle(len(labels), seed=seed).batch(batch_size)
        val = pairs.take(n_val).batch(batch_size)
        return train.map(checks._scale), val.map(checks._scale)

    assert_fails(checks.exercise_3(small_buffer), "sorted")


# ---------------------------------------------------------------- exercise 4
def _clipped_with_apply_gradients():
    class ClippedModel(keras.Model):
        def __init__(self, *args, max_norm=1.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.max_norm = max_norm

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_weights)
            norm = tf.linalg.global_norm(grads)
            scale = tf.minimum(1.0, self.max_norm / norm)  # the clipping written out
            self.optimizer.apply_gradients(zip([g * scale for g in grads], self.trainable_weights))
            for metric in self.metrics:  # the guide's form: equal batches here
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return self.get_metrics_result()

    return ClippedModel


def test_clipping_written_out_by_hand_passes():
    assert_passes(checks.exercise_4(_clipped_with_apply_gradients()))


def test_train_step_that_returns_nothing_is_told_what_to_return():
    class ReturnsNothing(checks._clipped_class("")):
        def train_step(self, data):
            super().train_step(data)

    assert_fails(checks.exercise_4(ReturnsNothing), "get_metrics_result")


# ---------------------------------------------------------------- exercise 5
def test_fixed_loop_without_tf_function_passes():
    def eager_loop(model, dataset, optimizer, epochs):
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        history = {"loss": [], "accuracy": []}
        for _ in range(epochs):
            loss_metric, accuracy = keras.metrics.Mean(), keras.metrics.SparseCategoricalAccuracy()
            for x, y in dataset:
                with tf.GradientTape() as tape:
                    logits = model(x, training=True)
                    loss = loss_fn(y, logits)
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables))
                loss_metric.update_state(loss, sample_weight=len(y))
                accuracy.update_state(y, logits)
            history["loss"].append(float(loss_metric.result()))
            history["accuracy"].append(float(accuracy.result()))
        return history

    assert_passes(checks.exercise_5(eager_loop))


def test_partial_fixes_get_the_next_message():
    loop = checks._buggy_loop
    assert_fails(checks.exercise_5(loop(("training",))), "training=True")
    assert_fails(checks.exercise_5(loop(("variables",))), "never changed", "trainable_variables")
    assert_fails(checks.exercise_5(loop(("logits",))), "from_logits=True")
    assert_fails(checks.exercise_5(loop(("reset",))), "reset_state")


def test_loop_that_returns_a_list_is_told_the_format():
    assert_fails(checks.exercise_5(lambda model, dataset, optimizer, epochs: [0.1, 0.2]),
                 "dict")


def test_every_exercise_is_declared():
    assert checks.__all__ == [f"exercise_{n}" for n in range(1, 6)]
    assert [ex.stars for ex in (checks.exercise_1, checks.exercise_2, checks.exercise_3,
                                checks.exercise_4, checks.exercise_5)] == [1, 2, 2, 2, 3]
