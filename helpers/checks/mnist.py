"""Exercise checks for the two MNIST chapters.

Introduced in chapter "MNIST with Keras: a baseline" (``baseline_exercise_N``) and chapter
"MNIST from scratch: a model and loop as fast as Keras" (``scratch_exercise_N``). Each
check calls the learner's function on small test inputs and returns a
:class:`~helpers.checks.Feedback` that says in words what is wrong (not flattened, float64,
forgot to divide by 255, forgot the biases, rows and columns swapped, no square root,
overflow in ``exp``, the last batch dropped, ...) or that it is right. A check never raises
on a wrong answer, even when the learner's function itself raises.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Feedback, call_learner, check_callable, diagnose

__all__ = [
    "baseline_exercise_1",
    "baseline_exercise_2",
    "baseline_exercise_3",
    "baseline_exercise_4",
    "scratch_exercise_1",
    "scratch_exercise_2",
    "scratch_exercise_3",
    "scratch_exercise_4",
]




def _missing(value, exercise: str, name: str) -> Feedback | None:
    """❌ for ``None`` / ``...`` results, else ``None``."""
    if value is None:
        return Feedback(False, f"{name} returned None: did you `return` the result?", exercise)
    if value is Ellipsis:
        return Feedback(False, f"{name} returned the placeholder `...`: replace it with your code", exercise)
    return None


def _as_array(value):
    """``value`` (array, tensor, list) as a NumPy array, or ``None`` if it is not numeric."""
    try:
        arr = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except Exception:  # noqa: BLE001
        return None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return None
    return arr


def _number(value):
    """One finite-or-not float from a number, 0-d array or 1-element tensor, else ``None``."""
    arr = _as_array(value)
    if arr is None or arr.size != 1:
        return None
    return float(arr.reshape(()))


# ================================================================ chapter 7: the Keras baseline
def baseline_exercise_1(prepare_images) -> Feedback:
    """Check ``prepare_images(images)``: (N, 28, 28) uint8 → (N, 784) float32 in [0, 1].

    Introduced in chapter "MNIST with Keras: a baseline".
    """
    ex = "Exercise 1"
    bad = check_callable(prepare_images, exercise=ex, name="prepare_images")
    if bad is not None:
        return bad
    images = np.random.default_rng(7).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[1, 3, 4] = 255, 0
    original = images.copy()
    out, fail = call_learner(prepare_images, (images,), exercise=ex, name="prepare_images(images)")
    if fail is not None:
        return fail
    missing = _missing(out, ex, "prepare_images")
    if missing is not None:
        return missing
    if not np.array_equal(images, original):
        return Feedback(False, "prepare_images changed its input array in place: work on a copy", ex)
    arr = _as_array(out)
    if arr is None:
        return Feedback(False, f"prepare_images returned a {type(out).__name__}, not an array of numbers", ex)
    expected = images.reshape(5, 784).astype(np.float32) / 255
    if arr.shape == (5, 28, 28):
        return Feedback(False, "the result has shape (5, 28, 28): each image must become one row of "
                               "784 values (reshape to (N, 784))", ex)
    if arr.shape == (5 * 784,):
        return Feedback(False, "the result is flat, shape (3920,): keep the first axis, one row per "
                               "image, shape (N, 784)", ex)
    if arr.shape != expected.shape:
        return Feedback(False, f"the result has shape {arr.shape}, expected {expected.shape} (N images × 784 pixels)", ex)
    if np.issubdtype(arr.dtype, np.integer):
        return Feedback(False, f"the result is still integers ({arr.dtype}): convert to float32 and divide by 255", ex)
    if arr.dtype != np.float32:
        return Feedback(False, f"the result has dtype {arr.dtype}, expected float32: call "
                               ".astype(np.float32) (NumPy's division of uint8 gives float64)", ex)
    if np.allclose(arr, expected * 255, atol=1e-3):
        return Feedback(False, "the values go up to 255: divide by 255 to scale them to [0, 1]", ex)
    if arr.reshape(5, 28, 28).transpose(0, 2, 1).reshape(5, 784).tolist() == expected.tolist():
        return Feedback(False, "the pixels are in column order: reshape the images as they are, "
                               "without transposing", ex)
    problem = diagnose(arr, expected, name="the result", rtol=1e-6, atol=1e-6)
    if problem:
        return Feedback(False, problem, ex)
    return Feedback(True, "right: (N, 784) float32 rows with values in [0, 1]", ex)


def baseline_exercise_2(count_parameters) -> Feedback:
    """Check ``count_parameters(n_inputs, n_hidden, n_classes)`` for Dense → Dense.

    Introduced in chapter "MNIST with Keras: a baseline".
    """
    ex = "Exercise 2"
    bad = check_callable(count_parameters, exercise=ex, name="count_parameters")
    if bad is not None:
        return bad
    for n_in, n_h, n_c in ((784, 512, 10), (3, 4, 2), (10, 1, 1), (20, 7, 5)):
        call = f"count_parameters({n_in}, {n_h}, {n_c})"
        out, fail = call_learner(count_parameters, (n_in, n_h, n_c), exercise=ex, name=call)
        if fail is not None:
            return fail
        missing = _missing(out, ex, call)
        if missing is not None:
            return missing
        got = _number(out)
        if got is None:
            return Feedback(False, f"{call} returned {out!r}, not one number", ex)
        expected = n_in * n_h + n_h + n_h * n_c + n_c
        if got == expected:
            continue
        known = {
            n_in * n_h + n_h * n_c: "you counted the weight matrices but forgot the biases "
                                    "(one per unit in each layer)",
            n_in * n_h + n_h: "you counted only the first layer; the second Dense layer has "
                              "n_hidden × n_classes weights and n_classes biases",
            n_in * n_h * n_c: "the layers' parameters add up; they do not multiply",
            n_in * n_h + n_h * n_c + n_h: "you forgot the biases of the output layer",
            n_in * n_h + n_h * n_c + n_c: "you forgot the biases of the hidden layer",
        }
        hint = known.get(got, "each Dense layer has inputs × units weights plus one bias per unit")
        return Feedback(False, f"{call} returned {got:g}, expected {expected}: {hint}", ex)
    return Feedback(True, "right: 784·512 + 512 + 512·10 + 10 = 407,050 for MNIST's model", ex)


def baseline_exercise_3(confusion) -> Feedback:
    """Check ``confusion(labels, predictions, n_classes)``: counts with rows = true class.

    Introduced in chapter "MNIST with Keras: a baseline".
    """
    ex = "Exercise 3"
    bad = check_callable(confusion, exercise=ex, name="confusion")
    if bad is not None:
        return bad
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=60)
    predictions = np.where(rng.random(60) < 0.6, labels, rng.integers(0, 4, size=60))
    predictions[:3] = [3, 3, 3]  # a class with more predictions than labels: not symmetric
    labels[:3] = [0, 1, 0]
    expected = np.zeros((5, 5), dtype=np.int64)  # 5 classes: class 4 never occurs
    np.add.at(expected, (labels, predictions), 1)
    out, fail = call_learner(confusion, (labels.copy(), predictions.copy(), 5), exercise=ex,
                      name="confusion(labels, predictions, 5)")
    if fail is not None:
        return fail
    missing = _missing(out, ex, "confusion")
    if missing is not None:
        return missing
    arr = _as_array(out)
    if arr is None:
        return Feedback(False, f"confusion returned a {type(out).__name__}, not an array of counts", ex)
    if arr.shape == (4, 4):
        return Feedback(False, "the matrix is 4×4 but n_classes is 5: size it with n_classes, not "
                               "with the classes that happen to occur", ex)
    if arr.shape != expected.shape:
        return Feedback(False, f"the matrix has shape {arr.shape}, expected (n_classes, n_classes) = {expected.shape}", ex)
    if np.array_equal(arr, expected.T):
        return Feedback(False, "rows and columns are swapped: entry [i, j] counts TRUE class i "
                               "predicted as j", ex)
    if arr.sum() != len(labels):
        return Feedback(False, f"the counts add up to {arr.sum():g}, but there are {len(labels)} "
                               "examples: each example adds exactly 1 to one cell", ex)
    problem = diagnose(arr, expected, name="the matrix", rtol=0, atol=1e-9)
    if problem:
        return Feedback(False, problem, ex)
    return Feedback(True, "right: the diagonal counts the right answers, row i the examples of class i", ex)


def baseline_exercise_4(centre_of_mass) -> Feedback:
    """Check ``centre_of_mass(image)`` → ``(row, col)`` weighted by pixel values.

    Introduced in chapter "MNIST with Keras: a baseline".
    """
    ex = "Exercise 4"
    bad = check_callable(centre_of_mass, exercise=ex, name="centre_of_mass")
    if bad is not None:
        return bad
    image = np.zeros((10, 12), dtype=np.float32)
    image[2, 3], image[6, 9], image[7, 2] = 1.0, 0.25, 0.5
    rows, cols = np.indices(image.shape)
    total = image.sum()
    expected = np.array([(rows * image).sum() / total, (cols * image).sum() / total])
    out, fail = call_learner(centre_of_mass, (image.copy(),), exercise=ex, name="centre_of_mass(image)")
    if fail is not None:
        return fail
    missing = _missing(out, ex, "centre_of_mass")
    if missing is not None:
        return missing
    arr = _as_array(out)
    if arr is None or arr.size != 2:
        return Feedback(False, f"centre_of_mass should return two numbers (row, col), got {out!r}", ex)
    got = arr.astype(np.float64).reshape(2)
    close = lambda a: np.allclose(got, a, rtol=1e-5, atol=1e-6)  # noqa: E731
    if close(expected):
        return Feedback(True, "right: the ink-weighted average row and column", ex)
    ink = image > 0
    if close(expected[::-1]):
        return Feedback(False, "you returned (col, row): return the row first, then the column", ex)
    if close(expected + 1):
        return Feedback(False, "you counted rows and columns from 1: NumPy indices start at 0", ex)
    if close(expected * total):
        return Feedback(False, "divide by the total ink (the sum of all pixel values)", ex)
    if close(np.array([rows[ink].mean(), cols[ink].mean()])):
        return Feedback(False, "every inked pixel counted the same: weight each index by its pixel value", ex)
    if close(np.array([(rows * image).sum() / image.size, (cols * image).sum() / image.size])):
        return Feedback(False, "you divided by the number of pixels; divide by the total ink instead", ex)
    return Feedback(False, f"got ({got[0]:.4g}, {got[1]:.4g}), expected ({expected[0]:.4g}, "
                           f"{expected[1]:.4g}) for a 10×12 test image with three inked pixels", ex)


# ================================================================ chapter 8: from scratch
def scratch_exercise_1(glorot_limit) -> Feedback:
    """Check ``glorot_limit(fan_in, fan_out)`` = √(6 / (fan_in + fan_out)).

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
    """
    ex = "Exercise 1"
    bad = check_callable(glorot_limit, exercise=ex, name="glorot_limit")
    if bad is not None:
        return bad
    for fan_in, fan_out in ((784, 512), (512, 10), (3, 5), (100, 100)):
        call = f"glorot_limit({fan_in}, {fan_out})"
        out, fail = call_learner(glorot_limit, (fan_in, fan_out), exercise=ex, name=call)
        if fail is not None:
            return fail
        missing = _missing(out, ex, call)
        if missing is not None:
            return missing
        got = _number(out)
        if got is None:
            return Feedback(False, f"{call} returned {out!r}, not one number", ex)
        expected = math.sqrt(6 / (fan_in + fan_out))
        if math.isclose(got, expected, rel_tol=1e-5):
            continue
        known = [
            (6 / (fan_in + fan_out), "you forgot the square root"),
            (math.sqrt(2 / (fan_in + fan_out)), "that is Glorot's standard deviation √(2/(n_in+n_out)); "
                                                "a uniform distribution on [−ℓ, ℓ] has standard deviation "
                                                "ℓ/√3, so the limit is √3 times larger"),
            (math.sqrt(6 / fan_in), "you used only fan_in (that is He's uniform limit); Glorot averages "
                                    "fan_in and fan_out"),
            (math.sqrt(3 / (fan_in + fan_out)), "the numerator is 6, not 3"),
            (-expected, "the limit is positive: weights are drawn from [−ℓ, ℓ]"),
            (math.sqrt(6) / (fan_in + fan_out), "the square root covers the whole fraction 6 / (n_in + n_out)"),
        ]
        for value, hint in known:
            if math.isclose(got, value, rel_tol=1e-5):
                return Feedback(False, f"{call} returned {got:.5g}, expected {expected:.5g}: {hint}", ex)
        return Feedback(False, f"{call} returned {got:.5g}, expected √(6 / ({fan_in} + {fan_out})) = {expected:.5g}", ex)
    return Feedback(True, "right: ℓ = √(6 / (n_in + n_out)); for the first layer ℓ ≈ 0.0684", ex)


def scratch_exercise_2(epoch_batches) -> Feedback:
    """Check ``epoch_batches(n, batch_size, rng)``: shuffled index batches covering 0..n−1 once.

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
    """
    ex = "Exercise 2"
    bad = check_callable(epoch_batches, exercise=ex, name="epoch_batches")
    if bad is not None:
        return bad
    rng = np.random.default_rng(11)
    epochs = []
    for _ in range(2):
        out, fail = call_learner(epoch_batches, (10, 4, rng), exercise=ex, name="epoch_batches(10, 4, rng)")
        if fail is not None:
            return fail
        missing = _missing(out, ex, "epoch_batches(10, 4, rng)")
        if missing is not None:
            return missing
        try:
            batches = [np.asarray(b).reshape(-1) for b in out]
        except TypeError:
            return Feedback(False, f"epoch_batches should return a list of index arrays, got {type(out).__name__}", ex)
        for b in batches:
            if not np.issubdtype(b.dtype, np.integer):
                return Feedback(False, f"a batch holds {b.dtype} values; batches must hold integer "
                                       "indices (0 … n−1) into the images", ex)
        epochs.append(batches)
    first = epochs[0]
    sizes = [len(b) for b in first]
    flat = np.concatenate(first) if first else np.array([], dtype=int)
    if sizes == [4, 4]:
        return Feedback(False, "the last, smaller batch is missing: with n = 10 and batch_size = 4 "
                               "the batches have 4, 4 and 2 indices (otherwise n % batch_size images are "
                               "never trained on)", ex)
    if len(set(flat.tolist())) != len(flat):
        return Feedback(False, "some indices appear twice in one epoch: draw without replacement "
                               "(rng.permutation(n)) so each image is used exactly once", ex)
    if sorted(flat.tolist()) != list(range(10)):
        return Feedback(False, f"one epoch should use every index 0 … 9 exactly once, got {sorted(flat.tolist())}", ex)
    if sizes != [4, 4, 2]:
        return Feedback(False, f"the batch sizes are {sizes}, expected [4, 4, 2]: consecutive slices "
                               "of batch_size indices, the remainder last", ex)
    if flat.tolist() == list(range(10)):
        return Feedback(False, "the indices are in order 0 … 9: shuffle them with rng.permutation(n)", ex)
    if np.concatenate(epochs[1]).tolist() == flat.tolist():
        return Feedback(False, "two calls gave the same order: draw a new permutation from `rng` on "
                               "every call (do not create a new generator inside the function)", ex)
    return Feedback(True, "right: every index once per epoch, a new order each epoch, the remainder in a last batch", ex)


def scratch_exercise_3(stable_crossentropy) -> Feedback:
    """Check ``stable_crossentropy(labels, logits)``: mean −log softmax, no overflow.

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
    """
    ex = "Exercise 3"
    bad = check_callable(stable_crossentropy, exercise=ex, name="stable_crossentropy")
    if bad is not None:
        return bad

    def reference(labels, logits):
        z = logits.astype(np.float64)
        m = z.max(axis=1, keepdims=True)
        log_sum = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
        return float(np.mean(log_sum - z[np.arange(len(labels)), labels]))

    rng = np.random.default_rng(5)
    cases = [
        ("random logits", rng.integers(0, 4, size=6), rng.normal(0, 2, size=(6, 4)).astype(np.float32)),
        ("huge logits", np.array([2, 0]), np.array([[1000.0, 0.0, -1000.0], [500.0, 10.0, 0.0]], dtype=np.float32)),
    ]
    for what, labels, logits in cases:
        call = f"stable_crossentropy(labels, logits) on {what}"
        out, fail = call_learner(stable_crossentropy, (labels.copy(), logits.copy()), exercise=ex, name=call)
        if fail is not None:
            return fail
        missing = _missing(out, ex, call)
        if missing is not None:
            return missing
        arr = _as_array(out)
        if arr is None:
            return Feedback(False, f"{call} returned a {type(out).__name__}, not a number", ex)
        expected = reference(labels, logits)
        if arr.size == len(labels) and arr.size != 1:
            return Feedback(False, f"{call} returned one loss per example (shape {arr.shape}): return their mean", ex)
        got = _number(arr)
        if got is None:
            return Feedback(False, f"{call} returned shape {arr.shape}, expected one number (the mean loss)", ex)
        if not math.isfinite(got):
            return Feedback(False, f"{call} gave {got}: exp overflowed. Subtract each row's largest logit "
                                   "before exp (log-sum-exp: log Σ e^z = m + log Σ e^(z−m))", ex)
        if math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-4):
            continue
        if math.isclose(got, -expected, rel_tol=1e-4):
            return Feedback(False, f"{call} has the wrong sign: the loss is −log p[label], a positive number", ex)
        if math.isclose(got, expected * len(labels), rel_tol=1e-4):
            return Feedback(False, f"{call} is the sum over the batch: return the mean", ex)
        if what == "huge logits" and got < expected / 10:
            return Feedback(False, f"{call} gave {got:.4g}, expected {expected:.6g}: it looks like the "
                                   "probabilities were clipped (−log 1e−7 ≈ 16.1); compute from the logits "
                                   "with log-sum-exp instead", ex)
        return Feedback(False, f"{call} gave {got:.6g}, expected {expected:.6g}", ex)
    return Feedback(True, "right: stable even for logits of ±1000", ex)


def scratch_exercise_4(make_epoch_function) -> Feedback:
    """Check ``make_epoch_function(train_step, images, labels, batch_size)``.

    It must return a ``tf.function`` ``epoch(permutation)`` that runs ``train_step`` on
    every batch of the permuted data inside one graph and returns the mean batch loss.
    The check trains a small model for one epoch with it and with a plain Python loop
    from the same starting weights; the losses and the weights must agree.
    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
    """
    import keras
    import tensorflow as tf

    from helpers import scratch

    ex = "Exercise 4"
    bad = check_callable(make_epoch_function, exercise=ex, name="make_epoch_function")
    if bad is not None:
        return bad
    rng = np.random.default_rng(2)
    images = rng.random((70, 12), dtype=np.float32)
    labels = rng.integers(0, 3, size=70).astype(np.int64)
    permutation = rng.permutation(70)
    batch_size = 16  # 70 = 4 × 16 + 6: the last batch is smaller

    def fresh():
        tf.random.set_seed(1)
        model = scratch.NaiveSequential([scratch.NaiveDense(12, 8, tf.nn.relu), scratch.NaiveDense(8, 3)])
        return model, scratch.make_train_step(model, scratch.crossentropy_from_logits,
                                              keras.optimizers.SGD(0.5), compiled=False)

    ref_model, ref_step = fresh()
    losses = []
    for start in range(0, 70, batch_size):
        idx = permutation[start:start + batch_size]
        losses.append(float(ref_step(images[idx], labels[idx])))
    ref_loss = float(np.mean(losses))

    model, step = fresh()
    epoch, fail = call_learner(make_epoch_function, (step, images, labels, batch_size), exercise=ex,
                        name="make_epoch_function(train_step, images, labels, batch_size)")
    if fail is not None:
        return fail
    missing = _missing(epoch, ex, "make_epoch_function")
    if missing is not None:
        return missing
    if not callable(epoch):
        return Feedback(False, f"make_epoch_function should return a function epoch(permutation), got {type(epoch).__name__}", ex)
    if not hasattr(epoch, "get_concrete_function"):
        return Feedback(False, "epoch is a plain Python function: decorate it with @tf.function so the "
                               "whole epoch runs as one graph", ex)
    out, fail = call_learner(epoch, (tf.constant(permutation),), exercise=ex, name="epoch(permutation)")
    if fail is not None:
        return fail
    missing = _missing(out, ex, "epoch(permutation)")
    if missing is not None:
        return missing
    got = _number(out)
    if got is None:
        return Feedback(False, f"epoch(permutation) should return the mean loss (one number), got {out!r}", ex)
    weights_agree = all(np.allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
                        for a, b in zip(model.weights, ref_model.weights))
    untouched_model, _ = fresh()
    if all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.weights, untouched_model.weights)):
        return Feedback(False, "the weights did not change: call train_step on every batch inside the epoch", ex)
    if not weights_agree:
        return Feedback(False, "after one epoch the weights differ from a step-by-step Python loop: use "
                               "the batches permutation[i*batch_size:(i+1)*batch_size] in order, all "
                               f"{math.ceil(70 / batch_size)} of them including the smaller last one", ex)
    if math.isclose(got, ref_loss * math.ceil(70 / batch_size), rel_tol=1e-4):
        return Feedback(False, "the epoch returned the sum of the batch losses: return their mean", ex)
    if not math.isclose(got, ref_loss, rel_tol=1e-4, abs_tol=1e-5):
        return Feedback(False, f"the weights are right but the returned loss is {got:.5g}; expected the mean "
                               f"of the batch losses, {ref_loss:.5g}", ex)
    return Feedback(True, "right: one graph runs the whole epoch and trains exactly like the Python loop", ex)
