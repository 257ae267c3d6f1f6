"""helpers.scratch: the from-scratch MNIST pieces (and the confusion-matrix plot of the MNIST chapters).

The drawn digits and preprocess_digit moved to helpers.digits (tests/test_digits.py)."""

from __future__ import annotations

import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from helpers import plotting, scratch

RNG = np.random.default_rng(0)


def small_model(seed=0, init="glorot", n_in=12, hidden=8, classes=3, last=None):
    tf.random.set_seed(seed)
    return scratch.NaiveSequential(
        [scratch.NaiveDense(n_in, hidden, tf.nn.relu, init=init), scratch.NaiveDense(hidden, classes, last, init=init)]
    )


# ---------------------------------------------------------------- NaiveDense / NaiveSequential
def test_dense_shapes_and_initialisations():
    tf.random.set_seed(0)
    glorot = scratch.NaiveDense(784, 512, tf.nn.relu)
    assert glorot.W.shape == (784, 512) and glorot.b.shape == (512,)
    assert glorot.W.dtype == tf.float32 and not np.any(glorot.b.numpy())
    limit = math.sqrt(6 / (784 + 512))
    w = glorot.W.numpy()
    assert np.abs(w).max() <= limit and w.min() < -0.9 * limit and abs(w.mean()) < 1e-3
    uniform = scratch.NaiveDense(784, 512, tf.nn.relu, init="uniform").W.numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 0.1 and uniform.max() > 0.099
    assert [v.shape for v in glorot.weights] == [(784, 512), (512,)]


def test_dense_call_is_activation_of_affine_map():
    tf.random.set_seed(1)
    layer = scratch.NaiveDense(5, 3, tf.nn.relu)
    layer.b.assign([0.5, -0.5, 0.0])
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    expected = np.maximum(x @ layer.W.numpy() + layer.b.numpy(), 0)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    linear = scratch.NaiveDense(5, 3)  # no activation: logits
    np.testing.assert_allclose(linear(x).numpy(), x @ linear.W.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((0, 3), {}, ValueError),
        ((3.0, 3), {}, TypeError),
        ((True, 3), {}, TypeError),
        ((3, 3), {"init": "he"}, ValueError),
        ((3, 3), {"activation": "relu"}, TypeError),
    ],
)
def test_dense_bad_arguments(args, kwargs, error):
    with pytest.raises(error):
        scratch.NaiveDense(*args, **kwargs)


def test_dense_bad_inputs_are_explained():
    layer = scratch.NaiveDense(4, 2)
    with pytest.raises(ValueError, match=r"\(batch, 4\)"):
        layer(np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match=r"\(batch, 4\)"):
        layer(np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="float32"):
        layer(np.zeros((3, 4)))  # float64
    with pytest.raises(TypeError, match="float32"):
        layer(np.zeros((3, 4), np.uint8))
    with pytest.raises(TypeError, match="array or tensor"):
        layer([[0.0] * 4])


def test_sequential_chains_layers_and_lists_weights():
    model = small_model()
    x = RNG.random((6, 12), dtype=np.float32)
    h = model.layers[0](x)
    np.testing.assert_allclose(model(x).numpy(), model.layers[1](h).numpy())
    assert [tuple(w.shape) for w in model.weights] == [(12, 8), (8,), (8, 3), (3,)]


def test_sequential_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        scratch.NaiveSequential([])
    with pytest.raises(TypeError):
        scratch.NaiveSequential(5)
    with pytest.raises(TypeError, match="layers\\[1\\]"):
        scratch.NaiveSequential([scratch.NaiveDense(3, 2), "dense"])
    with pytest.raises(ValueError, match="outputs 2 values"):
        scratch.NaiveSequential([scratch.NaiveDense(3, 2), scratch.NaiveDense(4, 2)])


# ---------------------------------------------------------------- BatchGenerator
def test_batches_cover_every_example_once_with_remainder_last():
    images, labels = np.arange(10)[:, None], np.arange(10)
    batches = scratch.BatchGenerator(images, labels, batch_size=4)
    sizes = [len(y) for _, y in batches]
    assert len(batches) == batches.num_batches == 3 and sizes == [4, 4, 2]
    order = np.concatenate([y for _, y in batches])
    assert order.tolist() == list(range(10)), "without shuffle: the book's fixed order"
    for x, y in batches:
        assert np.array_equal(x[:, 0], y), "images and labels stay paired"


def test_shuffle_draws_a_new_order_each_epoch_reproducibly():
    labels = np.arange(50)
    a = scratch.BatchGenerator(labels, labels, 16, shuffle=True, seed=3)
    b = scratch.BatchGenerator(labels, labels, 16, shuffle=True, seed=3)
    epoch1, epoch2 = [np.concatenate([y for _, y in a]) for _ in range(2)]
    assert sorted(epoch1.tolist()) == list(range(50)) and sorted(epoch2.tolist()) == list(range(50))
    assert epoch1.tolist() != epoch2.tolist() and epoch1.tolist() != list(range(50))
    assert np.concatenate([y for _, y in b]).tolist() == epoch1.tolist(), "same seed, same order"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"images": np.zeros((3, 2)), "labels": np.zeros(4)}, ValueError),
        ({"images": np.zeros((0, 2)), "labels": np.zeros(0)}, ValueError),
        ({"images": np.zeros((3, 2)), "labels": np.zeros(3), "batch_size": 0}, ValueError),
        ({"images": np.zeros((3, 2)), "labels": np.zeros(3), "batch_size": 2.5}, TypeError),
        ({"images": np.zeros((3, 2)), "labels": np.zeros(3), "shuffle": "yes"}, TypeError),
        ({"images": 3, "labels": np.zeros(3)}, TypeError),
    ],
)
def test_batch_generator_bad_arguments(kwargs, error):
    with pytest.raises(error):
        scratch.BatchGenerator(**kwargs)


# ---------------------------------------------------------------- losses
def test_losses_agree_with_keras_and_tensorflow():
    z = tf.constant(RNG.normal(0, 2, size=(7, 10)), tf.float32)
    y = tf.constant(RNG.integers(0, 10, size=7))
    keras_loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, tf.nn.softmax(z)))
    assert np.isclose(scratch.crossentropy_from_probabilities(y, tf.nn.softmax(z)), keras_loss, rtol=1e-5)
    tf_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, z))
    assert np.isclose(scratch.crossentropy_from_logits(y, z), tf_loss, rtol=1e-6)
    assert np.isclose(scratch.crossentropy_from_logits(y.numpy().astype(np.uint8), z), tf_loss, rtol=1e-6)


def test_logit_gradient_is_softmax_minus_one_hot_and_clipping_kills_it():
    z = tf.constant([[20.0, 0.0, 0.0], [0.5, 1.0, -1.0]])
    y = tf.constant([1, 2])
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = scratch.crossentropy_from_logits(y, z)
    expected = (tf.nn.softmax(z) - tf.one_hot(y, 3)) / 2
    np.testing.assert_allclose(tape.gradient(loss, z).numpy(), expected.numpy(), atol=1e-6)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = scratch.crossentropy_from_probabilities(y[:1], tf.nn.softmax(z[:1]))
    assert np.isclose(float(loss), -math.log(1e-7), rtol=1e-4)
    assert not np.any(tape.gradient(loss, z).numpy()), "a clipped probability has zero gradient"


@pytest.mark.parametrize("fn", [scratch.crossentropy_from_logits, scratch.crossentropy_from_probabilities])
def test_losses_bad_shapes(fn):
    with pytest.raises(ValueError, match="batch, classes"):
        fn(np.array([0, 1]), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="one-hot"):
        fn(np.eye(3, dtype=np.float32), np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match="3 labels for 2 rows"):
        fn(np.array([0, 1, 2]), np.zeros((2, 3), np.float32))


# ---------------------------------------------------------------- training
def toy_problem(n=96):
    rng = np.random.default_rng(4)
    centres = rng.random((3, 12))
    y = rng.integers(0, 3, size=n).astype(np.int64)
    x = (centres[y] + 0.15 * rng.normal(size=(n, 12))).astype(np.float32)  # three learnable clusters
    return x, y


def test_compiled_and_eager_steps_agree():
    x, y = toy_problem()
    eager_model, compiled_model = small_model(2), small_model(2)
    eager = scratch.make_train_step(eager_model, scratch.crossentropy_from_logits, keras.optimizers.SGD(0.3),
                                    compiled=False)
    compiled = scratch.make_train_step(compiled_model, scratch.crossentropy_from_logits,
                                       keras.optimizers.SGD(0.3))
    assert hasattr(compiled, "get_concrete_function") and not hasattr(eager, "get_concrete_function")
    for start in (0, 32, 64, 80):  # includes a smaller batch
        a = eager(x[start:start + 32], y[start:start + 32])
        b = compiled(x[start:start + 32], y[start:start + 32])
        assert np.isclose(float(a), float(b), rtol=1e-5)
    for wa, wb in zip(eager_model.weights, compiled_model.weights):
        np.testing.assert_allclose(wa.numpy(), wb.numpy(), rtol=1e-5, atol=1e-6)


def test_fit_trains_and_reports(capsys):
    x, y = toy_problem()
    model = small_model(3)
    step = scratch.make_train_step(model, scratch.crossentropy_from_logits, keras.optimizers.RMSprop(1e-2))
    before = scratch.accuracy(model, x, y)
    history = scratch.fit(step, x, y, epochs=8, batch_size=16, seed=1)
    assert set(history) == {"loss", "seconds"} and len(history["loss"]) == len(history["seconds"]) == 8
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert all(s > 0 for s in history["seconds"])
    assert scratch.accuracy(model, x, y) > max(before, 0.8)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 8 and lines[0].startswith("epoch 1/8  loss ")
    scratch.fit(step, x, y, epochs=1, verbose=False)
    assert capsys.readouterr().out == ""


def test_training_bad_arguments():
    model = small_model()
    opt = keras.optimizers.SGD(0.1)
    with pytest.raises(TypeError, match="model"):
        scratch.make_train_step(object(), scratch.crossentropy_from_logits, opt)
    with pytest.raises(TypeError, match="loss_fn"):
        scratch.make_train_step(model, "crossentropy", opt)
    with pytest.raises(TypeError, match="apply_gradients"):
        scratch.make_train_step(model, scratch.crossentropy_from_logits, 0.1)
    with pytest.raises(TypeError, match="compiled"):
        scratch.make_train_step(model, scratch.crossentropy_from_logits, opt, compiled="yes")
    step = scratch.make_train_step(model, scratch.crossentropy_from_logits, opt, compiled=False)
    x, y = toy_problem(8)
    with pytest.raises(ValueError, match="epochs"):
        scratch.fit(step, x, y, epochs=0)
    with pytest.raises(TypeError, match="train_step"):
        scratch.fit(None, x, y, epochs=1)
    with pytest.raises(ValueError):
        scratch.fit(step, x, y[:5], epochs=1)


def test_accuracy_counts_argmax_matches():
    class Fixed:
        weights = []

        def __call__(self, images):
            return np.eye(3, dtype=np.float32)[np.asarray(images)[:, 0].astype(int)]

    images = np.array([[0], [1], [2], [1]], dtype=np.float32)
    assert scratch.accuracy(Fixed(), images, np.array([0, 1, 2, 2])) == 0.75
    assert scratch.accuracy(Fixed(), images, np.array([0, 1, 2, 2]), batch_size=3) == 0.75
    with pytest.raises(ValueError):
        scratch.accuracy(Fixed(), images, np.array([0, 1]))
    with pytest.raises(ValueError):
        scratch.accuracy(Fixed(), images[:0], np.array([]))


# ---------------------------------------------------------------- plotting.plot_confusion_matrix
def test_confusion_matrix_plot_is_labelled_and_annotated():
    cm = np.array([[5, 1, 0], [2, 7, 0], [0, 3, 9]])
    fig = plotting.plot_confusion_matrix(cm, title="Most often misread: 2", class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "Most often misread: 2"
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and texts[0] == "5" and texts[5] == "0" and texts[7] == "3"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    plt.close(fig)


@pytest.mark.parametrize(
    "cm, kwargs, error",
    [
        (np.zeros((2, 3)), {}, ValueError),
        (np.array([[1, -1], [0, 2]]), {}, ValueError),
        (np.eye(2), {"class_names": ["a"]}, ValueError),
        (np.eye(2), {"title": ""}, TypeError),
    ],
)
def test_confusion_matrix_plot_bad_inputs(cm, kwargs, error):
    kwargs = {"title": "t", **kwargs}
    with pytest.raises(error):
        plotting.plot_confusion_matrix(cm, **kwargs)
    plt.close("all")


def test_train_step_with_chapter_6_rmsprop_equals_keras_rmsprop():
    """Chapter 8 trains with helpers.optimizers.RMSprop: same run, same weights as Keras's."""
    from helpers.optimizers import RMSprop

    x, y = toy_problem()
    ours, theirs = small_model(5), small_model(5)
    opt = RMSprop(1e-2)
    opt.build(ours.weights)
    step_ours = scratch.make_train_step(ours, scratch.crossentropy_from_logits, opt)
    step_theirs = scratch.make_train_step(theirs, scratch.crossentropy_from_logits,
                                          keras.optimizers.RMSprop(1e-2))
    for start in (0, 32, 64, 80):
        step_ours(x[start:start + 32], y[start:start + 32])
        step_theirs(x[start:start + 32], y[start:start + 32])
    assert step_ours.experimental_get_tracing_count() == 2  # full and smaller batch
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
