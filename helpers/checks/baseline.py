"""Exercise checks of chapter "MNIST with Keras: a baseline", declared (see helpers.checks).

Introduced in chapter "MNIST with Keras: a baseline". Five declarations: a shifted digit,
top-k accuracy, the expected calibration error, Keras's early-stopping rule, and (judged by
what it achieves) closing the overfitting gap, in cross-entropy, of a model trained on 1,000
images.
"""

from __future__ import annotations

import time

import numpy as np

from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]


# ---------------------------------------------------------------- 1: shift a digit
def _shift(image, rows, cols):
    """Move the content ``rows`` down and ``cols`` right; what leaves the frame is lost."""
    image = np.asarray(image)
    out = np.zeros_like(image)
    h, w = image.shape
    src_r, dst_r = slice(max(0, -rows), min(h, h - rows)), slice(max(0, rows), min(h, h + rows))
    src_c, dst_c = slice(max(0, -cols), min(w, w - cols)), slice(max(0, cols), min(w, w + cols))
    if src_r.start < src_r.stop and src_c.start < src_c.stop:
        out[dst_r, dst_c] = image[src_r, src_c]
    return out


def _shift_cases():
    image = np.arange(1, 31, dtype=np.float32).reshape(5, 6) / 30
    return [(image.copy(), 1, 2), (image.copy(), -2, 0), (image.copy(), 0, -3), (image.copy(), 2, -1)]


def _hidden_shift_cases():
    image = np.random.default_rng(1).random((28, 28)).astype(np.float32)
    return [(image.copy(), 0, 0), (image.copy(), 30, 0), (image.copy(), -4, 5)]


exercise_1 = Exercise(
    "baseline", 1, stars=1, answer="function", name="shift_image",
    reference=_shift,
    inputs=_shift_cases, hidden_inputs=_hidden_shift_cases,
    mistakes=[
        (lambda image, rows, cols: np.roll(np.asarray(image), (rows, cols), axis=(0, 1)),
         "the ink that leaves one side comes back on the other (np.roll wraps around): "
         "fill the uncovered rows and columns with zeros, the black of MNIST's background"),
        (lambda image, rows, cols: _shift(image, cols, rows),
         "rows and columns are swapped: rows moves the digit down, cols moves it right"),
        (lambda image, rows, cols: _shift(image, -rows, -cols),
         "the digit moves the wrong way: positive rows means down, positive cols means right"),
    ],
    success="right: the digit moves and the uncovered border is black, as in MNIST",
)


# ---------------------------------------------------------------- 2: top-k accuracy
def _top_k(logits, labels, k):
    logits, labels = np.asarray(logits), np.asarray(labels)
    top = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def _top_k_cases():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(40, 6)).astype(np.float32)
    labels = rng.integers(0, 6, size=40)
    return [(logits, labels, 1), (logits, labels, 3), (logits, labels, 2), (logits, labels, 6)]


def _hidden_top_k_cases():
    rng = np.random.default_rng(8)
    logits = rng.normal(size=(300, 10)).astype(np.float32)
    return [(logits, rng.integers(0, 10, size=300), k) for k in (1, 4, 9)]


exercise_2 = Exercise(
    "baseline", 2, stars=1, answer="function", name="top_k_accuracy",
    reference=_top_k,
    inputs=_top_k_cases, hidden_inputs=_hidden_top_k_cases,
    mistakes=[
        (lambda logits, labels, k: _top_k(-np.asarray(logits), labels, k),
         "you took the k LOWEST scores: sort the logits from the highest down (for example "
         "np.argsort(-logits, axis=1))"),
        (lambda logits, labels, k: _top_k(logits, labels, k) * len(labels),
         "you returned a count of images: return the fraction, between 0 and 1"),
        (lambda logits, labels, k: _top_k(logits, labels, max(1, k - 1)),
         "you kept one class too few: the top k are k classes (an off-by-one in the slice?)"),
        (lambda logits, labels, k: _top_k(logits, labels, min(k + 1, np.shape(logits)[1])),
         "you kept one class too many: the top k are k classes (an off-by-one in the slice?)"),
        (lambda logits, labels, k: _top_k(logits, labels, 1),
         "the result does not depend on k: keep the k best classes, not only the best one"),
    ],
    success="right: with k = 1 it is the accuracy; with k = 10 on MNIST it is always 1",
)


# ---------------------------------------------------------------- 3: calibration
def _bins(confidence, n_bins):
    return np.minimum((np.asarray(confidence, np.float64) * n_bins).astype(int), n_bins - 1)


def _ece(confidence, correct, n_bins=10, *, weighted=True, keep_empty=False, signed=False):
    confidence = np.asarray(confidence, np.float64)
    correct = np.asarray(correct, np.float64)
    which = _bins(confidence, n_bins)
    terms, weights = [], []
    for b in range(n_bins):
        inside = which == b
        if not inside.any():
            if keep_empty:
                terms.append(0.0)
                weights.append(0.0)
            continue
        diff = correct[inside].mean() - confidence[inside].mean()
        terms.append(diff if signed else abs(diff))
        weights.append(inside.mean())
    terms, weights = np.array(terms), np.array(weights)
    return float((weights * terms).sum() if weighted else terms.mean())


def _ece_last_bin_open(confidence, correct, n_bins=10):
    confidence = np.asarray(confidence, np.float64)
    keep = confidence < 1.0
    return float(_ece(confidence[keep], np.asarray(correct)[keep], n_bins) * keep.mean())


def _ece_cases():
    rng = np.random.default_rng(5)
    confidence = rng.uniform(0.3, 1.0, size=200)
    confidence[:20] = 1.0  # sure answers: the last bin includes 1
    correct = rng.random(200) < confidence - 0.15  # over-confident on average
    return [(confidence, correct, 10), (confidence, correct, 4)]


def _hidden_ece_cases():
    rng = np.random.default_rng(6)
    confidence = rng.beta(5, 1, size=500)
    return [(confidence, rng.random(500) < confidence ** 2, 15)]


exercise_3 = Exercise(
    "baseline", 3, stars=2, answer="function", name="expected_calibration_error",
    reference=_ece,
    inputs=_ece_cases, hidden_inputs=_hidden_ece_cases,
    mistakes=[
        (lambda c, r, n=10: _ece(c, r, n, weighted=False),
         "you averaged the bins equally: weight each bin by the share of images in it, "
         "so that a bin of 3 images counts less than a bin of 300"),
        (lambda c, r, n=10: _ece(c, r, n, signed=True),
         "over- and under-confident bins cancel out: take the absolute value of each "
         "bin's accuracy minus its mean confidence"),
        (_ece_last_bin_open,
         "the images with confidence exactly 1 were left out: the last bin is closed, "
         "it includes 1"),
    ],
    success="right: 0 means the model's probabilities mean what they say",
)


# ---------------------------------------------------------------- 4: early stopping
def _stopping(val_losses, patience):
    """(stop, best), 1-based, as keras.callbacks.EarlyStopping(patience, restore_best_weights)."""
    best_epoch, best = 1, float(val_losses[0])
    for epoch, loss in enumerate(val_losses[1:], start=2):
        if float(loss) < best:
            best_epoch, best = epoch, float(loss)
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(val_losses), best_epoch


def _stopping_zero_based(val_losses, patience):
    stop, best = _stopping(val_losses, patience)
    return stop - 1, best - 1


def _stopping_first_rise(val_losses, patience):
    return _stopping(val_losses, 1)


def _stopping_equal_improves(val_losses, patience):
    best_epoch, best = 1, float(val_losses[0])
    for epoch, loss in enumerate(val_losses[1:], start=2):
        if float(loss) <= best:
            best_epoch, best = epoch, float(loss)
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(val_losses), best_epoch


def _stopping_last_as_best(val_losses, patience):
    stop, _ = _stopping(val_losses, patience)
    return stop, stop


_CURVE = [0.9, 0.6, 0.45, 0.40, 0.42, 0.41, 0.43, 0.47, 0.50, 0.56]
_PLATEAU = [1.0, 0.8, 0.8, 0.8, 0.7, 0.75, 0.8, 0.85]
_FLAT = [1.0, 0.8, 0.8, 0.8, 0.9]  # equal losses are not improvements

exercise_4 = Exercise(
    "baseline", 4, stars=2, answer="function", name="stopping_epoch",
    reference=_stopping,
    inputs=[(_CURVE, 2), (_CURVE, 3), (_CURVE, 1), ([1.0, 0.9, 0.8, 0.7], 2), (_PLATEAU, 3),
            (_FLAT, 2)],
    hidden_inputs=[(_CURVE, 20), ([0.5], 1), ([0.5, 0.6, 0.4, 0.7, 0.8], 2)],
    mistakes=[
        (_stopping_zero_based,
         "your epochs count from 0: count them as Keras prints them, from 1"),
        (_stopping_first_rise,
         "you stop at the first epoch that does not improve: wait patience epochs "
         "without improvement before stopping"),
        (_stopping_equal_improves,
         "a loss equal to the best so far counted as an improvement: only a strictly "
         "lower loss is one (Keras's min_delta=0)"),
        (_stopping_last_as_best,
         "the best epoch is the one with the lowest validation loss, not the last one: "
         "restore_best_weights goes back to it"),
    ],
    success="right: this is what keras.callbacks.EarlyStopping(patience, "
            "restore_best_weights=True) does",
)


# ---------------------------------------------------------------- 5: close the gap (judged)
#: How many images train, validate and judge, and the limits the judge applies. The plain
#: model of the chapter (20 epochs) leaves a loss gap of about 0.37 on these sets.
N_SMALL, TIME_BUDGET_S = 1000, 120.0
MAX_LOSS_GAP, MIN_UNSEEN_ACCURACY = 0.25, 0.86


def _digits():
    """The bundled sample's 10,000 digits as (N, 784) float32 and int64 labels."""
    from helpers import data

    with np.load(data.SAMPLE_PATH) as archive:
        x = np.concatenate([archive["x_train"], archive["x_test"]])
        y = np.concatenate([archive["y_train"], archive["y_test"]])
    return x.reshape(len(x), 784).astype(np.float32) / 255, y.astype(np.int64)


def _judge_sets():
    x, y = _digits()
    order = np.random.default_rng(2024).permutation(len(y))
    train, val, hold = (order[k * N_SMALL:(k + 1) * N_SMALL] for k in range(3))
    return (x[train], y[train]), (x[val], y[val]), (x[hold], y[hold])


def _predict(model, x):
    out = model.predict(x, verbose=0) if hasattr(model, "predict") else model(x)
    return np.asarray(out, dtype=np.float64)


def _cross_entropy(outputs, labels):
    """Mean cross-entropy from logits, or from probabilities when the rows are ones."""
    if outputs.min() >= 0 and np.allclose(outputs.sum(axis=1), 1, atol=1e-3):
        log_p = np.log(np.clip(outputs, 1e-7, 1))
    else:
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def _judge_gap(train_small):
    (x, y), (x_val, y_val), (x_hold, y_hold) = _judge_sets()
    start = time.perf_counter()
    model = train_small(x.copy(), y.copy(), x_val.copy(), y_val.copy())
    seconds = time.perf_counter() - start
    if model is None:
        return "train_small returned None: return the trained model"
    if not (hasattr(model, "predict") or callable(model)):
        return f"train_small should return a trained Keras model, got a {type(model).__name__}"
    out_train, out_hold = _predict(model, x), _predict(model, x_hold)
    if out_hold.shape != (len(y_hold), 10):
        return (f"the model gives outputs of shape {out_hold.shape} for {len(y_hold)} images, "
                "expected 10 scores per image")
    if not np.all(np.isfinite(out_hold)):
        return "the model's outputs contain NaN or infinity: training diverged"
    acc_train = float(np.mean(out_train.argmax(1) == y))
    acc_hold = float(np.mean(out_hold.argmax(1) == y_hold))
    gap = _cross_entropy(out_hold, y_hold) - _cross_entropy(out_train, y)
    measured = (f"loss gap {gap:.3f} (unseen minus training cross-entropy), accuracy "
                f"{acc_train:.3f} on the training images and {acc_hold:.3f} on 1,000 unseen "
                f"ones, {seconds:.0f} s")
    if acc_hold < 0.2:
        return f"the model does not learn ({measured}): accuracy is near chance"
    if seconds > TIME_BUDGET_S:
        return f"too slow: {measured}, over the budget of {TIME_BUDGET_S:.0f} s"
    if gap > MAX_LOSS_GAP:
        return (f"the gap is still open: {measured}. Aim for a loss gap of at most "
                f"{MAX_LOSS_GAP} with dropout, weight decay (L2), fewer epochs or early "
                "stopping, or several of them together")
    if acc_hold < MIN_UNSEEN_ACCURACY:
        return (f"the gap is closed but by underfitting: {measured}. Keep the accuracy on "
                f"unseen images at least {MIN_UNSEEN_ACCURACY}: regularise less, or train longer")
    return None


def _right_train_small(x, y, x_val, y_val):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(512, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, kernel_regularizer=keras.regularizers.L2(1e-3)),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    stop = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    model.fit(x, y, epochs=20, batch_size=128, validation_data=(x_val, y_val),
              callbacks=[stop], verbose=0)
    return model


exercise_5 = Exercise(
    "baseline", 5, stars=3, answer="function", name="train_small",
    judge=_judge_gap, right=_right_train_small,
    success="right: the gap is closed and the model still reads unseen digits well",
)
