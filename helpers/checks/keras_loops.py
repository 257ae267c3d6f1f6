"""Exercise checks for chapter "Keras models and training loops you write yourself".

Introduced in chapter "Keras models and training loops you write yourself". Five
declarations (:class:`helpers.checks.Exercise`): the loss that ``fit`` reports, a layer
with a non-trainable moving mean, a ``tf.data`` train/validation split of sorted data, a
``train_step`` that clips gradients, and a training loop with planted bugs. The last four
are judged by what the learner's code does: the judges build small models and data of
their own (never touching the learner's global random seeds) and compare the learner's
result with a reference computed the same way, then name the first thing that differs.

The wrong answers under ``mistakes`` are the slips the text warns about, written as code
(``_centre_class``, ``_clipped_class``, ``_buggy_loop`` and the ``_split_*`` functions), so
that the tests can hand each one to its check and require its message.
"""

from __future__ import annotations

import functools

import numpy as np

from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]


def _allclose(a, b, atol=1e-5) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-4, atol=atol))


# ================================================================ exercise 1: fit's epoch loss
def _epoch_loss(batch_losses, batch_sizes):
    losses = np.asarray(batch_losses, dtype=np.float64)
    sizes = np.asarray(batch_sizes, dtype=np.float64)
    return float((losses * sizes).sum() / sizes.sum())


exercise_1 = Exercise(
    "keras_loops", 1, stars=1, answer="function", name="epoch_loss",
    reference=_epoch_loss,
    inputs=[([0.9, 0.6, 0.4], [128, 128, 112]), ([2.0, 1.0], [3, 1]), ([0.25], [64])],
    hidden_inputs=[([1.0, 2.0, 3.0, 4.0], [10, 10, 10, 1]), ([0.5, 0.1], [1000, 1])],
    mistakes=[
        (lambda losses, sizes: float(np.mean(losses)),
         "you took the mean of the batch means, so every batch counts the same: weight each "
         "batch's loss by its number of images, so that the smaller last batch counts less"),
        (lambda losses, sizes: float(np.dot(losses, sizes)),
         "that is the total loss of all the images: divide it by the number of images"),
        (lambda losses, sizes: float(np.dot(losses, sizes) / len(losses)),
         "you divided by the number of batches: divide by the number of images, the sum of "
         "batch_sizes"),
        (lambda losses, sizes: float(np.sum(losses) / np.sum(sizes)),
         "each batch loss is already a mean over its images: multiply it by the batch size "
         "before adding them up"),
    ],
    success="right: the mean loss per image, as fit reports it (each batch weighted by its size)",
)


# ================================================================ exercise 2: a layer with a moving mean
@functools.cache
def _centre_class(bug: str = ""):
    """The reference Centre layer, or one with a planted slip (for the tests)."""
    import keras
    import tensorflow as tf

    class Centre(keras.layers.Layer):
        def __init__(self, momentum=0.9, **kwargs):
            super().__init__(**kwargs)
            self.momentum = momentum

        def build(self, input_shape):
            self.moving_mean = self.add_weight(
                shape=(input_shape[-1],), initializer="zeros",
                trainable=(bug == "trainable"), name="moving_mean")

        def call(self, inputs, training=False):
            m = self.momentum
            mean = tf.reduce_mean(inputs, axis=0)
            if training or bug == "always_update":
                if bug == "swapped":
                    new = (1 - m) * self.moving_mean + m * mean
                elif bug == "no_average":
                    new = mean
                else:
                    new = m * self.moving_mean + (1 - m) * mean
                if bug != "no_update":
                    self.moving_mean.assign(new)
            if training:
                return inputs - (self.moving_mean if bug == "moving_in_training" else mean)
            return inputs - (mean if bug == "batch_mean_in_use" else self.moving_mean)

    return Centre


def _centre(bug: str):
    return lambda momentum=0.9, **kwargs: _centre_class(bug)(momentum, **kwargs)


def _judge_centre(Centre):
    import keras
    import tensorflow as tf

    layer = Centre(momentum=0.8)
    if not isinstance(layer, keras.layers.Layer):
        return (f"Centre(momentum=0.8) gave a {type(layer).__name__}, not a Keras layer: "
                "write class Centre(keras.layers.Layer)")
    layer.build((None, 3))
    weights = list(layer.weights)
    if not weights:
        return ("the layer has no weights after build: create moving_mean in build with "
                "self.add_weight(shape=(input_shape[-1],), ...)")
    if layer.trainable_weights:
        return ("moving_mean is trainable, so an optimizer would change it too: pass "
                "trainable=False to add_weight")
    if len(weights) != 1 or tuple(weights[0].shape) != (3,):
        shapes = [tuple(w.shape) for w in weights]
        return (f"expected one weight of shape (features,), that is (3,) for inputs of 3 "
                f"features, got shapes {shapes}")
    moving_var = weights[0]
    if not np.allclose(np.asarray(moving_var), 0):
        return "moving_mean must start at zero (initializer zeros)"
    rng = np.random.default_rng(4)
    batches = [rng.normal(loc, 1.0, size=(6, 3)).astype(np.float32) for loc in (1.0, -2.0, 3.0)]
    moving = np.zeros(3)
    for k, batch in enumerate(batches):
        before = moving.copy()
        mean = batch.mean(axis=0)
        moving = 0.8 * moving + 0.2 * mean
        out = layer(batch, training=True)
        if out is None:
            return "call returned None: return the centred inputs"
        used_moving = _allclose(out, batch - before) or _allclose(out, batch - moving)
        if used_moving and not _allclose(out, batch - mean):
            return ("with training=True the layer subtracted moving_mean: in training it must "
                    "subtract the batch's own mean, as batch normalisation does")
        if _allclose(out, batch):
            return "the output is the input unchanged: subtract the mean"
        if not _allclose(out, batch - mean):
            return ("with training=True the output must be inputs minus the mean of the batch "
                    "over axis 0 (one mean per feature)")
        got = np.asarray(moving_var)
        if _allclose(got, np.zeros(3)):
            return ("moving_mean never changes: in training, update it with "
                    "self.moving_mean.assign(momentum * old + (1 - momentum) * batch mean)")
        if _allclose(got, 0.2 * before + 0.8 * mean) and not _allclose(got, moving):
            return ("the momentum is on the wrong side: the old moving_mean keeps the share "
                    "momentum, the batch mean gets 1 - momentum")
        if _allclose(got, mean) and not _allclose(mean, moving):
            return ("moving_mean is set to the latest batch mean: it must be a running "
                    "average, momentum times the old value plus (1 - momentum) times the batch mean")
        if not _allclose(got, moving):
            return (f"after {k + 1} training call(s) moving_mean is {np.round(got, 4)}, expected "
                    f"{np.round(moving, 4)} (momentum times old plus (1 - momentum) times batch mean)")
    test = rng.normal(0.5, 1.0, size=(5, 3)).astype(np.float32)
    out = layer(test, training=False)
    if not _allclose(np.asarray(moving_var), moving):
        return ("moving_mean changed in a call with training=False: update it only in "
                "training, so that using the model does not change it")
    if _allclose(out, test - test.mean(axis=0)):
        return ("with training=False the layer subtracted the batch's own mean: in use it must "
                "subtract moving_mean, so that one image gives the same result alone or in a batch")
    if not _allclose(out, test - moving):
        return "with training=False the output must be inputs minus moving_mean"
    if not _allclose(layer(test), test - moving):
        return ("called without training (as model.predict does), the layer must behave as in "
                "use: give call the argument training=False by default")
    try:
        out = tf.function(lambda x: layer(x, training=True))(tf.constant(batches[0]))
    except Exception as exc:  # noqa: BLE001 - reported in words
        first_line = str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else ""
        return (f"inside tf.function, as fit runs it, the layer raised {type(exc).__name__} "
                f"({first_line}): use TensorFlow operations (tf.reduce_mean, assign), not "
                "NumPy or .numpy()")
    moving = 0.8 * moving + 0.2 * batches[0].mean(axis=0)
    if not (_allclose(out, batches[0] - batches[0].mean(axis=0))
            and _allclose(np.asarray(moving_var), moving)):
        return ("inside tf.function the layer computes something else than eagerly: decide "
                "with if training: on the Python flag, and update with assign")
    return None


exercise_2 = Exercise(
    "keras_loops", 2, stars=2, answer="function", name="Centre",
    judge=_judge_centre, right=_centre(""),
    mistakes=[
        (_centre("trainable"), "pass trainable=False to add_weight"),
        (_centre("no_update"), "moving_mean never changes"),
        (_centre("swapped"), "the momentum is on the wrong side"),
        (_centre("no_average"), "it must be a running average"),
        (_centre("moving_in_training"), "in training it must subtract the batch's own mean"),
        (_centre("always_update"), "moving_mean changed in a call with training=False"),
        (_centre("batch_mean_in_use"), "in use it must subtract moving_mean"),
    ],
    success="right: batch statistics in training, the moving mean in use, as batch "
            "normalisation does",
)


# ================================================================ exercise 3: a split of sorted data
def _scale(images, labels):
    import tensorflow as tf

    return tf.reshape(tf.cast(images, tf.float32) / 255, (-1, 784)), labels


def _split_reference(images, labels, n_val, batch_size, seed, *, bug=""):
    """The right split, or one with a planted slip (for the tests)."""
    import tensorflow as tf

    n = len(labels)
    scale = _scale if bug != "no_scale" else (
        lambda x, y: (tf.reshape(tf.cast(x, tf.float32), (-1, 784)), y))
    pairs = tf.data.Dataset.from_tensor_slices((images, labels))
    if bug != "no_first_shuffle":
        pairs = pairs.shuffle(n, seed=seed, reshuffle_each_iteration=(bug == "reshuffled"))
    val = pairs.take(n_val).batch(batch_size).map(scale)
    train = pairs.skip(n_val).cache()
    if bug == "shuffle_after_batch":
        train = train.batch(batch_size).shuffle(n, seed=seed)
    elif bug == "no_train_shuffle":
        train = train.batch(batch_size)
    else:
        train = train.shuffle(n - n_val, seed=seed).batch(
            batch_size, drop_remainder=(bug == "drop_remainder"))
    return train.map(scale).prefetch(tf.data.AUTOTUNE), val


def _split(bug: str):
    return lambda images, labels, n_val, batch_size, seed: _split_reference(
        images, labels, n_val, batch_size, seed, bug=bug)


def _read_epoch(dataset, labels):
    """The ids and per-batch label lists of one pass, or a problem in words."""
    ids, batches = [], []
    for element in dataset:
        if not (isinstance(element, (tuple, list)) and len(element) == 2):
            return None, None, "each element of a dataset must be a pair (images, labels)"
        x, y = (np.asarray(t) for t in element)
        if x.ndim != 2 or x.shape[1] != 784:
            return None, None, (f"a batch of images has shape {x.shape}: expected (batch, 784), "
                                "the 28 x 28 pixels flattened")
        if x.dtype != np.float32:
            return None, None, f"the images have dtype {x.dtype}: expected float32"
        if x.max() > 1.0:
            return None, None, ("the pixel values go up to 255: scale the images to [0, 1] "
                                "(cast to float32, then divide by 255)")
        batch_ids = np.rint(x[:, 0] * 255).astype(int)
        if not np.array_equal(labels[batch_ids], y):
            return None, None, ("the labels do not belong to their images: keep images and "
                                "labels together in one dataset of pairs")
        ids.append(batch_ids)
        batches.append(y)
    return ids, batches, None


def _judge_split(split_pipelines):
    import tensorflow as tf

    n, n_val, batch_size = 200, 50, 16
    rng = np.random.default_rng(8)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n)  # the first pixel tells the check which image it is
    labels = np.repeat(np.arange(10), n // 10).astype(np.int64)  # sorted by class
    result = split_pipelines(images.copy(), labels.copy(), n_val, batch_size, 3)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return f"split_pipelines must return two datasets (train, val), got {type(result).__name__}"
    train, val = result
    for name, ds in (("train", train), ("val", val)):
        if not isinstance(ds, tf.data.Dataset):
            return f"{name} must be a tf.data.Dataset, got {type(ds).__name__}"
    epochs = []
    for _ in range(2):
        train_ids, train_labels, problem = _read_epoch(train, labels)
        if problem:
            return f"in the training dataset, {problem}"
        val_ids, _, problem = _read_epoch(val, labels)
        if problem:
            return f"in the validation dataset, {problem}"
        epochs.append((train_ids, train_labels, val_ids))
    (t1, l1, v1), (t2, _, v2) = epochs
    v1_all, v2_all = np.concatenate(v1), np.concatenate(v2)
    t1_all, t2_all = np.concatenate(t1), np.concatenate(t2)
    if len(v1_all) != n_val:
        return f"the validation set has {len(v1_all)} images, expected n_val = {n_val}"
    if set(v1_all) != set(v2_all):
        return ("the validation images change from epoch to epoch, and some of them are trained "
                "on: shuffle once, with reshuffle_each_iteration=False, before take and skip")
    if set(t1_all) & set(v1_all):
        return "some validation images are also in the training set: the two must not overlap"
    if len(t1_all) < n - n_val and len(t1_all) == (n - n_val) // batch_size * batch_size:
        return "the last, smaller training batch is missing: keep it (no drop_remainder)"
    if sorted(t1_all) != sorted(set(range(n)) - set(v1_all)):
        return "every image that is not held out must appear exactly once per training epoch"
    if len(set(labels[v1_all])) < 5:
        return (f"the validation set holds only the classes {sorted(set(labels[v1_all]))}, "
                "because the data are sorted: shuffle everything once before splitting")
    if np.array_equal(t1_all, t2_all):
        return ("the training images come in the same order every epoch: reshuffle the "
                "training part every epoch (shuffle after the split and before batch)")
    if sorted(map(tuple, map(sorted, t1))) == sorted(map(tuple, map(sorted, t2))):
        return ("each training batch holds the same images every epoch, only the order of "
                "the batches changes: shuffle before batch, not after")
    sizes = [len(b) for b in t1]
    if any(s != batch_size for s in sizes[:-1]):
        return f"the training batches have sizes {sizes}: expected batches of {batch_size}"
    if np.mean([len(set(b)) for b in l1]) < 5:
        return ("the training batches hold only a few neighbouring classes: the shuffle "
                "buffer must be as large as the data")
    return None


exercise_3 = Exercise(
    "keras_loops", 3, stars=2, answer="function", name="split_pipelines",
    judge=_judge_split, right=_split(""),
    mistakes=[
        (_split("no_first_shuffle"), "shuffle everything once before splitting"),
        (_split("reshuffled"), "the validation images change from epoch to epoch"),
        (_split("no_train_shuffle"), "the training images come in the same order every epoch"),
        (_split("shuffle_after_batch"), "shuffle before batch, not after"),
        (_split("drop_remainder"), "the last, smaller training batch is missing"),
        (_split("no_scale"), "the pixel values go up to 255"),
    ],
    success="right: a fixed, mixed validation set, and training batches reshuffled every epoch",
)


# ================================================================ exercise 4: a clipped train_step
@functools.cache
def _clipped_class(bug: str = ""):
    """The reference ClippedModel, or one with a planted slip (for the tests)."""
    import keras
    import tensorflow as tf

    class ClippedModel(keras.Model):
        def __init__(self, *args, max_norm=1.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.max_norm = max_norm

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            variables = self.trainable_variables
            gradients = tape.gradient(loss, variables)
            if bug == "per_tensor":
                gradients = [tf.clip_by_norm(g, self.max_norm) for g in gradients]
            elif bug == "by_value":
                gradients = [tf.clip_by_value(g, -self.max_norm, self.max_norm) for g in gradients]
            elif bug != "none":
                gradients, _ = tf.clip_by_global_norm(gradients, self.max_norm)
            self.optimizer.apply(gradients, variables)
            if bug == "no_metrics":
                return {"loss": loss}
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss, sample_weight=tf.shape(y)[0])
                else:
                    metric.update_state(y, y_pred)
            return self.get_metrics_result()

    return ClippedModel


def _clipped(bug: str):
    return lambda *args, **kwargs: _clipped_class(bug)(*args, **kwargs)


@functools.cache
def _clip_problem():
    """Data and starting weights for the clipping check (made once)."""
    rng = np.random.default_rng(6)
    x = rng.normal(0, 3, size=(64, 5)).astype(np.float32)
    y = rng.integers(0, 3, size=64).astype(np.int64)
    weights = [rng.normal(0, 1, size=(5, 4)), np.zeros(4), rng.normal(0, 1, size=(4, 3)),
               np.zeros(3)]
    return x, y, [w.astype(np.float32) for w in weights]


def _train_clipped(cls, max_norm=0.05):
    """Train a tiny model made with cls(inputs, outputs, max_norm=...) for two epochs."""
    import keras

    x, y, weights = _clip_problem()
    inputs = keras.Input(shape=(5,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    model = cls(inputs, keras.layers.Dense(3)(hidden), max_norm=max_norm)
    if not isinstance(model, keras.Model):
        raise TypeError(f"ClippedModel(...) gave a {type(model).__name__}, not a keras.Model")
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model.get_weights(), history.history


_NO_METRICS = ("fit shows no accuracy: update every metric of self.metrics and return "
               "self.get_metrics_result()")


def _judge_clipped(ClippedModel):
    try:
        got, history = _train_clipped(ClippedModel)
    except ValueError as exc:
        if "not yet been built" in str(exc):  # fit reads metrics that were never updated
            return _NO_METRICS
        if "OptionalFromValue" in str(exc):  # what fit says when train_step returns None
            return ("train_step returned nothing: return self.get_metrics_result(), the dict "
                    "of metric values that fit shows")
        raise
    want, want_history = _train_clipped(_clipped_class(""))
    same = lambda ws: all(_allclose(a, b) for a, b in zip(got, ws))  # noqa: E731
    if not same(want):
        if same(_clip_problem()[2]):
            return ("the weights did not change: apply the clipped gradients with "
                    "self.optimizer.apply(gradients, self.trainable_variables)")
        if same(_train_clipped(_clipped_class("none"))[0]):
            return ("the model trained as without clipping: clip the gradients with "
                    "tf.clip_by_global_norm(gradients, self.max_norm) before applying them")
        if same(_train_clipped(_clipped_class("per_tensor"))[0]):
            return ("each gradient was clipped on its own: clip them all together by their "
                    "global norm with tf.clip_by_global_norm, which keeps their directions")
        if same(_train_clipped(_clipped_class("by_value"))[0]):
            return ("clip_by_value clips every entry separately and changes the direction of "
                    "the step: clip by the global norm with tf.clip_by_global_norm")
        return ("after two epochs the weights differ from a correct clipped step: clip by the "
                "global norm of all the gradients, to self.max_norm, then apply them")
    if "accuracy" not in history:
        return _NO_METRICS
    if not _allclose(history.get("loss", [np.nan]), want_history["loss"], atol=1e-4):
        return ("the weights are right but the loss that fit reports is not: update the metric "
                "named loss with the batch loss")
    if not _allclose(history["accuracy"], want_history["accuracy"], atol=1e-4):
        return "the weights are right but the accuracy that fit reports is not"
    return None


exercise_4 = Exercise(
    "keras_loops", 4, stars=2, answer="function", name="ClippedModel",
    judge=_judge_clipped, right=_clipped(""),
    mistakes=[
        (_clipped("none"), "the model trained as without clipping"),
        (_clipped("per_tensor"), "each gradient was clipped on its own"),
        (_clipped("by_value"), "clip_by_value clips every entry separately"),
        (_clipped("no_metrics"), "fit shows no accuracy"),
    ],
    success="right: fit now runs your clipped step, with its metrics and display",
)


# ================================================================ exercise 5: a loop with planted bugs
_PLANTED = ("training", "variables", "reset", "logits")


def _buggy_loop(bugs=()):
    """The chapter's loop with some of the planted bugs (none: the reference)."""
    import keras
    import tensorflow as tf

    def fit_loop(model, dataset, optimizer, epochs):
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits="logits" not in bugs)
        loss_metric = keras.metrics.Mean()
        accuracy = keras.metrics.SparseCategoricalAccuracy()

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                logits = model(x) if "training" in bugs else model(x, training=True)
                loss = loss_fn(y, logits)
            variables = (model.layers[0].trainable_variables if "variables" in bugs
                         else model.trainable_variables)
            gradients = tape.gradient(loss, variables)
            optimizer.apply(gradients, variables)
            loss_metric.update_state(loss, sample_weight=tf.shape(y)[0])
            accuracy.update_state(y, logits)

        history = {"loss": [], "accuracy": []}
        for _ in range(epochs):
            if "reset" not in bugs:
                loss_metric.reset_state()
                accuracy.reset_state()
            for x, y in dataset:
                step(x, y)
            history["loss"].append(float(loss_metric.result()))
            history["accuracy"].append(float(accuracy.result()))
        return history

    return fit_loop


@functools.cache
def _probe_class():
    import keras

    class Probe(keras.layers.Layer):
        """Passes its input on; remembers the training flags it was called with."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.flags = []

        def call(self, inputs, training=None):
            self.flags.append(training)
            return inputs

    return Probe


@functools.cache
def _loop_problem():
    """Three separated clusters in 8 dimensions, and starting weights (made once)."""
    rng = np.random.default_rng(9)
    centres = rng.normal(0, 2, size=(3, 8))
    y = np.repeat(np.arange(3), 32)
    x = (centres[y] + rng.normal(0, 1, size=(96, 8))).astype(np.float32)
    order = rng.permutation(96)
    weights = [rng.normal(0, 0.25, size=(8, 16)), np.zeros(16),
               rng.normal(0, 0.25, size=(16, 3)), np.zeros(3)]
    return x[order], y[order].astype(np.int64), [w.astype(np.float32) for w in weights]


def _run_loop(fit_loop, epochs=3):
    """Run a loop on a fresh small model with dropout; its weights, history and flags."""
    import keras
    import tensorflow as tf

    x, y, weights = _loop_problem()
    probe = _probe_class()()
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, activation="relu"),
                              probe, keras.layers.Dropout(0.3, seed=1), keras.layers.Dense(3)])
    model.set_weights(weights)
    probe.flags.clear()
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = fit_loop(model, dataset, keras.optimizers.Adam(0.05), epochs)
    return model, history, list(probe.flags)


def _judge_loop(fit_loop):
    model, history, flags = _run_loop(fit_loop)
    if not isinstance(history, dict) or not {"loss", "accuracy"} <= set(history):
        return "fit_loop must return a dict with the lists history['loss'] and history['accuracy']"
    if True not in flags:
        return ("the model was never called with training=True, so dropout stayed off while "
                "training: call model(x, training=True) in the step")
    start = _loop_problem()[2]
    frozen = [v.path for v, w in zip(model.trainable_variables, start)
              if np.array_equal(np.asarray(v), w)]
    if frozen:
        return (f"some weights never changed ({', '.join(frozen)}): take the gradient with "
                "respect to all of model.trainable_variables and apply it to all of them")
    ref_model, ref_history, _ = _run_loop(_buggy_loop(()))
    got = model.get_weights()
    if not all(_allclose(a, b, atol=1e-4) for a, b in zip(got, ref_model.get_weights())):
        probs_model, _, _ = _run_loop(_buggy_loop(("logits",)))
        if all(_allclose(a, b, atol=1e-4) for a, b in zip(got, probs_model.get_weights())):
            return ("the loss treats the outputs as probabilities, but the model returns "
                    "logits: use SparseCategoricalCrossentropy(from_logits=True)")
        return ("after three epochs the weights differ from a correct loop's: one training "
                "call and one update per batch, with the loss on the logits")
    for key in ("loss", "accuracy"):
        values = history[key]
        if len(values) != 3:
            return f"history['{key}'] has {len(values)} values for 3 epochs: one per epoch"
        if not _allclose(values, ref_history[key], atol=1e-4):
            _, cumulative, _ = _run_loop(_buggy_loop(("reset",)))
            if _allclose(values, cumulative[key], atol=1e-4):
                return ("the metrics are never reset, so each epoch reports the mean since the "
                        "start of training: call reset_state() on every metric at the start "
                        "of each epoch")
            return (f"history['{key}'] is {np.round(values, 4).tolist()}, expected "
                    f"{np.round(ref_history[key], 4).tolist()}: the mean over each epoch")
    if ref_history["accuracy"][-1] < 0.9:  # the reference itself must have learned
        return "the reference loop did not learn: please report this as a bug of the check"
    return None


exercise_5 = Exercise(
    "keras_loops", 5, stars=3, answer="function", name="fit_loop",
    judge=_judge_loop, right=_buggy_loop(()),
    mistakes=[
        (_buggy_loop(_PLANTED), "the model was never called with training=True"),
        (_buggy_loop(("variables", "reset", "logits")), "some weights never changed"),
        (_buggy_loop(("reset", "logits")), "the loss treats the outputs as probabilities"),
        (_buggy_loop(("reset",)), "the metrics are never reset"),
    ],
    success="fixed: the loop now trains exactly like a correct one, and its history is per epoch",
)
