"""Exercise checks of chapter "MNIST from scratch", declared (see helpers.checks).

Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled". Five
declarations: the multiply-adds of one training step, an evaluation that weights the last
batch right, the per-example gradient of the book's clipped loss, a training loop with
planted bugs (judged by a short run), and a whole epoch inside one graph (judged against a
step-by-step Python loop).
"""

from __future__ import annotations

import math

import numpy as np

from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]


# ---------------------------------------------------------------- 1: the work of one step
def _products(batch_size, layer_sizes):
    return [batch_size * a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]


def _multiply_adds(batch_size, layer_sizes):
    per_layer = _products(batch_size, layer_sizes)
    forward = sum(per_layer)
    backward = 2 * forward - per_layer[0]  # no gradient with respect to the images
    return forward + backward


exercise_1 = Exercise(
    "scratch", 1, stars=1, answer="function", name="step_multiply_adds",
    reference=_multiply_adds,
    inputs=[(128, [784, 512, 10]), (32, [784, 256, 128, 10]), (1, [3, 4, 2]), (8, [5, 5])],
    hidden_inputs=[(1000, [784, 10]), (64, [2, 3, 4, 5, 6])],
    mistakes=[
        (lambda b, s: sum(_products(b, s)),
         "you counted the forward pass only: the backward pass has matrix products too, "
         "one for each weight gradient and one for each layer's input gradient"),
        (lambda b, s: 3 * sum(_products(b, s)),
         "you counted a gradient with respect to the images: nothing trains the images, so "
         "the first layer needs no input gradient (three products backward for two layers, "
         "not four)"),
        (lambda b, s: 2 * sum(_products(b, s)),
         "you counted the backward pass as one product per layer: each layer but the first "
         "needs two, the weight gradient and the gradient for the layer below"),
        (lambda b, s: _multiply_adds(1, s),
         "the count does not grow with the batch: every product has one row per image"),
    ],
    success="right: backward costs about twice forward, minus the product nobody needs",
)


# ---------------------------------------------------------------- 2: a weighted evaluation
def _fixed_model(seed, n_in=12, n_out=4):
    import tensorflow as tf

    w = tf.constant(np.random.default_rng(seed).normal(0, 2, (n_in, n_out)), tf.float32)

    def model(images):
        return tf.matmul(tf.cast(tf.convert_to_tensor(images), tf.float32), w)

    return model


def _eval_data(seed, n, n_in=12, n_out=4):
    rng = np.random.default_rng(seed)
    return (rng.random((n, n_in), dtype=np.float32), rng.integers(0, n_out, size=n).astype(np.int64))


def _eval_cases():
    return [(_fixed_model(1), *_eval_data(2, 50), 16), (_fixed_model(3), *_eval_data(4, 37), 10)]


def _hidden_eval_cases():
    return [(_fixed_model(5), *_eval_data(6, 20), 64), (_fixed_model(7), *_eval_data(8, 9), 1)]


def _per_example(model, images, labels):
    z = np.asarray(model(images), np.float64)
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels], z.argmax(axis=1) == labels


def _evaluate(model, images, labels, batch_size):
    loss, right = _per_example(model, images, labels)
    return float(loss.mean()), float(right.mean())


def _evaluate_batch_means(model, images, labels, batch_size):
    loss, right = _per_example(model, images, labels)
    starts = range(0, len(labels), batch_size)
    return (float(np.mean([loss[s:s + batch_size].mean() for s in starts])),
            float(np.mean([right[s:s + batch_size].mean() for s in starts])))


def _evaluate_drop_last(model, images, labels, batch_size):
    n = len(labels) // batch_size * batch_size or len(labels)
    return _evaluate(model, images[:n], labels[:n], batch_size)


def _evaluate_softmax_twice(model, images, labels, batch_size):
    import tensorflow as tf

    def probabilities(x):
        return tf.nn.softmax(model(x))

    return _evaluate(probabilities, images, labels, batch_size)


def _evaluate_swapped(model, images, labels, batch_size):
    loss, acc = _evaluate(model, images, labels, batch_size)
    return acc, loss


exercise_2 = Exercise(
    "scratch", 2, stars=2, answer="function", name="evaluate",
    reference=_evaluate,
    inputs=_eval_cases, hidden_inputs=_hidden_eval_cases,
    rtol=1e-4, atol=1e-5,
    mistakes=[
        (_evaluate_batch_means,
         "you averaged the batch means: the smaller last batch then counts as much as a full "
         "one. Add up the per-image losses and right answers, and divide by the number of images"),
        (_evaluate_drop_last,
         "the last, smaller batch was left out: every image must be counted"),
        (_evaluate_softmax_twice,
         "the loss was computed from probabilities as if they were logits (a softmax "
         "too many): the model returns logits, give them to the loss as they are"),
        (_evaluate_swapped,
         "the two numbers are swapped: return (mean loss, accuracy)"),
    ],
    success="right: every image counts once, whatever the batch size",
)


# ---------------------------------------------------------------- 3: which images teach nothing
EPSILON = 1e-7


def _softmax64(logits):
    z = np.asarray(logits, np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _clipped_gradient(logits, labels, *, low=True, high=True):
    """Each image's gradient of -log(clip(p[label])) with respect to its logits.

    Above 1 - epsilon the gradient p - one_hot is below 1e-7 anyway, so only the lower
    clip (a sure and wrong image) makes a difference a check can see.
    """
    p = _softmax64(logits)
    labels = np.asarray(labels)
    p_true = p[np.arange(len(labels)), labels]
    silent = np.zeros(len(labels), bool)
    if low:
        silent |= p_true < EPSILON
    if high:
        silent |= p_true > 1 - EPSILON
    grad = p - np.eye(p.shape[1])[labels]
    return np.where(silent[:, None], 0.0, grad)


def _clip_cases():
    rng = np.random.default_rng(9)
    logits = rng.normal(0, 2, (8, 5)).astype(np.float32)
    labels = rng.integers(0, 5, size=8)
    logits[0] = [25, 0, 0, 0, 0]  # sure and wrong: p[label] far below epsilon
    labels[0] = 3
    logits[1] = [0, 0, 30, 0, 0]  # sure and right: p[label] is 1 in float32
    labels[1] = 2
    logits[2] = [0, 12, 0, 0, 0]  # sure and wrong, but not clipped
    labels[2] = 0
    return [(logits, labels)]


def _hidden_clip_cases():
    rng = np.random.default_rng(10)
    logits = (rng.normal(0, 12, (40, 10))).astype(np.float32)
    return [(logits, rng.integers(0, 10, size=40))]


exercise_3 = Exercise(
    "scratch", 3, stars=2, answer="function", name="per_example_gradients",
    reference=_clipped_gradient,
    inputs=_clip_cases, hidden_inputs=_hidden_clip_cases,
    rtol=1e-4, atol=1e-5,
    mistakes=[
        (lambda z, y: _clipped_gradient(z, y, low=False, high=False),
         "that is the gradient of the loss on logits, p minus one-hot, for every image: the "
         "book's loss clips p[label] to [1e-7, 1 - 1e-7], and where the clip is active the "
         "gradient is exactly zero"),
        (lambda z, y: _clipped_gradient(z, y) / len(y),
         "each row is divided by the batch size: give each image's gradient of its own loss "
         "(differentiate the sum of the per-image losses, not their mean)"),
    ],
    success="right: where the clip is active the gradient is exactly zero; a sure and right "
            "image has a gradient near zero anyway",
)


# ---------------------------------------------------------------- 4: fix a training loop (judged)
N_FIX_TRAIN, N_FIX_HOLD, FIX_EPOCHS, FIX_BATCH = 2000, 500, 3, 64
MIN_FIX_ACCURACY = 0.75


def _fix_data():
    from helpers import data

    with np.load(data.SAMPLE_PATH) as archive:
        x, y = archive["x_train"], archive["y_train"]
    x = x[:N_FIX_TRAIN + N_FIX_HOLD].reshape(-1, 784).astype(np.float32) / 255
    y = y[:N_FIX_TRAIN + N_FIX_HOLD].astype(np.int64)
    return (x[:N_FIX_TRAIN], y[:N_FIX_TRAIN]), (x[N_FIX_TRAIN:], y[N_FIX_TRAIN:])


class _Recorder:
    """Wraps the judge's model: records which training images each eager call saw."""

    def __init__(self, model, images):
        self.model, self.recording, self.seen = model, True, []
        self._index = {row.tobytes(): i for i, row in enumerate(np.asarray(images, np.float32))}

    @property
    def weights(self):
        return self.model.weights

    @property
    def layers(self):
        return self.model.layers

    def __call__(self, inputs):
        if self.recording:
            try:
                rows = np.asarray(inputs, np.float32)
                self.seen.extend(self._index.get(row.tobytes(), -1) for row in rows)
            except Exception:  # noqa: BLE001 - a symbolic tensor (inside tf.function): not recorded
                pass
        return self.model(inputs)


def _fix_model():
    import tensorflow as tf

    from helpers import scratch

    tf.random.set_seed(0)
    return scratch.NaiveSequential([scratch.NaiveDense(784, 64, tf.nn.relu), scratch.NaiveDense(64, 10)])


def _judge_loop(train_digits):
    (x, y), (x_hold, y_hold) = _fix_data()
    model = _fix_model()
    before = [w.numpy().copy() for w in model.weights]
    recorder = _Recorder(model, x)
    history = train_digits(recorder, x.copy(), y.copy(), epochs=FIX_EPOCHS, batch_size=FIX_BATCH)
    recorder.recording = False
    if history is None:
        return "train_digits returned None: return the list of mean losses, one per epoch"
    try:
        losses = [float(v) for v in history]
    except (TypeError, ValueError):
        return f"train_digits should return a list of numbers (one mean loss per epoch), got {history!r}"
    if len(losses) != FIX_EPOCHS:
        return f"train_digits returned {len(losses)} losses for {FIX_EPOCHS} epochs: one per epoch"
    if all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights)):
        return ("the weights never changed: a line like w = w - learning_rate * g makes a new "
                "tensor and rebinds the name w, the model keeps its variables. Update them in "
                "place with w.assign_sub(learning_rate * g)")
    if not all(math.isfinite(v) for v in losses):
        return f"the loss became NaN or infinite ({losses}): training diverged"
    if losses[-1] > losses[0]:
        return (f"the loss rises ({losses[0]:.3f} to {losses[-1]:.3f}): the update climbs the "
                "gradient instead of going down it (a sign?) or the learning rate is too large")
    accuracy = float(np.mean(np.asarray(model(x_hold)).argmax(axis=1) == y_hold))
    if accuracy < 0.25:
        return (f"the loss falls ({losses[0]:.3f} to {losses[-1]:.3f}) but accuracy on unseen "
                f"images stays near chance ({accuracy:.3f}): look at the labels. Are images and "
                "labels shuffled together, so that each image keeps its own label?")
    seen = [i for i in recorder.seen if i >= 0]
    n = len(x)
    if len(seen) >= 2 * n:
        first, second = seen[:n], seen[n:2 * n]
        if sorted(first) != list(range(n)):
            return ("an epoch does not use every training image exactly once: cut one "
                    "permutation into batches, the smaller last batch included")
        if first == second:
            return ("every epoch visits the images in the same order: draw a new permutation "
                    "at the start of every epoch")
    if accuracy < MIN_FIX_ACCURACY:
        return (f"it learns, but slowly: accuracy {accuracy:.3f} on unseen images after "
                f"{FIX_EPOCHS} epochs, expected at least {MIN_FIX_ACCURACY}. Does the loss get "
                "the logits? A softmax before a loss that expects logits flattens the gradient")
    return None


def _make_loop(*, rebind=False, labels_follow=True, reshuffle=True, softmax=False, sign=1.0):
    """A training loop like the exercise's, with or without each planted bug (for the tests)."""

    def train_digits(model, images, labels, epochs=3, batch_size=64, seed=0):
        import tensorflow as tf

        rng = np.random.default_rng(seed)
        order = rng.permutation(len(images))
        history = []
        for _ in range(epochs):
            if reshuffle:
                order = rng.permutation(len(images))
            x_epoch = images[order]
            y_epoch = labels[order] if labels_follow else labels
            losses = []
            for start in range(0, len(images), batch_size):
                x = x_epoch[start:start + batch_size]
                y = y_epoch[start:start + batch_size]
                with tf.GradientTape() as tape:
                    outputs = model(x)
                    if softmax:
                        outputs = tf.nn.softmax(outputs)
                    loss = tf.reduce_mean(
                        tf.nn.sparse_softmax_cross_entropy_with_logits(y, outputs))
                grads = tape.gradient(loss, model.weights)
                for w, g in zip(model.weights, grads):
                    if rebind:
                        w = w - 0.1 * g  # noqa: PLW2901 - the planted bug
                    else:
                        w.assign_sub(sign * 0.1 * g)
                losses.append(float(loss))
            history.append(float(np.mean(losses)))
        return history

    return train_digits


exercise_4 = Exercise(
    "scratch", 4, stars=3, answer="function", name="train_digits",
    judge=_judge_loop, right=_make_loop(),
    mistakes=[
        (_make_loop(rebind=True), "the weights never changed"),
        (_make_loop(labels_follow=False), "look at the labels"),
        (_make_loop(reshuffle=False), "the same order"),
        (_make_loop(softmax=True), "it learns, but slowly"),
        (_make_loop(sign=-1.0), "the loss rises"),
    ],
    success="right: the loop learns: every bug is fixed",
)


# ---------------------------------------------------------------- 5: the whole epoch in one graph
_EPOCH_N, _EPOCH_BATCH = 70, 16  # 70 = 4 × 16 + 6: the last batch is smaller


def _epoch_setup():
    import keras
    import tensorflow as tf

    from helpers import scratch

    rng = np.random.default_rng(2)
    images = rng.random((_EPOCH_N, 12), dtype=np.float32)
    labels = rng.integers(0, 3, size=_EPOCH_N).astype(np.int64)
    permutation = rng.permutation(_EPOCH_N)

    def fresh():
        tf.random.set_seed(1)
        model = scratch.NaiveSequential([scratch.NaiveDense(12, 8, tf.nn.relu), scratch.NaiveDense(8, 3)])
        return model, scratch.make_train_step(model, scratch.crossentropy_from_logits,
                                              keras.optimizers.SGD(0.5), compiled=False)

    return images, labels, permutation, fresh


def _judge_epoch(make_epoch_function):
    import tensorflow as tf

    images, labels, permutation, fresh = _epoch_setup()
    ref_model, ref_step = fresh()
    losses = [float(ref_step(images[permutation[s:s + _EPOCH_BATCH]], labels[permutation[s:s + _EPOCH_BATCH]]))
              for s in range(0, _EPOCH_N, _EPOCH_BATCH)]
    ref_loss, n_batches = float(np.mean(losses)), math.ceil(_EPOCH_N / _EPOCH_BATCH)
    model, step = fresh()
    epoch = make_epoch_function(step, images, labels, _EPOCH_BATCH)
    if epoch is None:
        return "make_epoch_function returned None: return the function epoch(permutation)"
    if not callable(epoch):
        return f"make_epoch_function should return a function epoch(permutation), got {type(epoch).__name__}"
    if not hasattr(epoch, "get_concrete_function"):
        return ("epoch is a plain Python function: decorate it with tf.function so that the "
                "whole epoch runs as one graph")
    out = epoch(tf.constant(permutation))
    if out is None:
        return "epoch(permutation) returned None: return the mean of the batch losses"
    try:
        got = float(np.asarray(out).reshape(()))
    except (TypeError, ValueError):
        return f"epoch(permutation) should return the mean loss (one number), got {out!r}"
    untouched, _ = fresh()
    if all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.weights, untouched.weights)):
        return "the weights did not change: call train_step on every batch inside the epoch"
    if not all(np.allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
               for a, b in zip(model.weights, ref_model.weights)):
        return ("after one epoch the weights differ from a step-by-step Python loop: use the "
                "batches permutation[i*batch_size:(i+1)*batch_size] in order, all "
                f"{n_batches} of them including the smaller last one")
    if math.isclose(got, ref_loss * n_batches, rel_tol=1e-4):
        return "the epoch returned the sum of the batch losses: return their mean"
    if not math.isclose(got, ref_loss, rel_tol=1e-4, abs_tol=1e-5):
        return (f"the weights are right but the returned loss is {got:.5g}; expected the mean "
                f"of the batch losses, {ref_loss:.5g}")
    return None


def _right_epoch_function(train_step, images, labels, batch_size):
    import tensorflow as tf

    images, labels = tf.constant(images), tf.constant(labels)
    num_batches = math.ceil(int(images.shape[0]) / batch_size)

    @tf.function
    def epoch(permutation):
        total = tf.constant(0.0)
        for i in tf.range(num_batches):
            idx = permutation[i * batch_size:(i + 1) * batch_size]
            total += train_step(tf.gather(images, idx), tf.gather(labels, idx))
        return total / num_batches

    return epoch


def _python_epoch_function(train_step, images, labels, batch_size):
    def epoch(permutation):
        return _right_epoch_function(train_step, images, labels, batch_size).python_function(permutation)

    return epoch


exercise_5 = Exercise(
    "scratch", 5, stars=3, answer="function", name="make_epoch_function",
    judge=_judge_epoch, right=_right_epoch_function,
    mistakes=[(_python_epoch_function, "epoch is a plain Python function")],
    success="right: one graph runs the whole epoch and trains exactly like the Python loop",
)
