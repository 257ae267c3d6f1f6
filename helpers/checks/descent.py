"""Exercise checks for chapter "Gradient descent with the tape".

Introduced in chapter "Gradient descent with the tape". Each ``exercise_N`` takes the
learner's function, runs it on test inputs and returns a :class:`~helpers.checks.Feedback`
that says in words what is wrong (a variable not updated in place, an update with the
wrong sign, a factor of 2, a swapped pair, an overflow, an unshuffled batch...) or that
it is right. A check never raises on a wrong answer.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ._core import Feedback, all_close, call_learner, check_callable, check_close
from .tape import _number

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]




# ---------------------------------------------------------------- exercise 1
def exercise_1(gd_step) -> Feedback:
    """Check ``gd_step(x, lr)``: one in-place step x ← x − lr·2(x − 3) on a tf.Variable.

    Introduced in chapter "Gradient descent with the tape".
    """
    ex = "Exercise 1"
    bad = check_callable(gd_step, exercise=ex, name="gd_step")
    if bad is not None:
        return bad
    for x0, lr in ((5.0, 0.1), (-1.0, 0.25)):
        x = tf.Variable(x0)
        out, fail = call_learner(gd_step, (x, lr), exercise=ex, name=f"gd_step(tf.Variable({x0}), {lr})")
        if fail is not None:
            return fail
        if not isinstance(x, tf.Variable):
            return Feedback(False, "x is no longer a tf.Variable", ex)
        new = float(x.numpy())
        grad = 2 * (x0 - 3.0)
        expected = x0 - lr * grad
        where = f"from x = {x0} with learning rate {lr}"
        if new == x0:
            returned, _ = _number(out)
            if returned is not None and np.isclose(returned, expected, rtol=1e-5):
                return Feedback(False, f"you computed the right new value ({returned:g}) but x did not "
                                       "change: update the variable in place with x.assign_sub(...)", ex)
            return Feedback(False, f"x did not change {where}: update it in place with "
                                   "x.assign_sub(learning_rate * gradient); `x = x - ...` only "
                                   "rebinds a local name", ex)
        known = [
            (x0 + lr * grad, "x moved uphill: subtract the gradient (x.assign_sub), don't add it"),
            (x0 - lr * grad / 2, "the step is half as big as it should be: the derivative of "
                                 "(x − 3)² is 2(x − 3)"),
            (x0 - lr * 2 * grad, "the step is twice as big as it should be: the derivative of "
                                 "(x − 3)² is 2(x − 3)"),
            (x0 - grad, "the learning rate is missing: the step is learning_rate × gradient"),
            (grad, "x now holds the gradient: use x.assign_sub(learning_rate * gradient), not assign"),
            (x0 - lr * grad - lr * 2 * (x0 - lr * grad - 3.0), "that is two steps: do exactly one"),
        ]
        for wrong, message in known:
            if np.isclose(new, wrong, rtol=1e-5) and not np.isclose(new, expected, rtol=1e-5):
                return Feedback(False, f"{message} (after one step {where}, x = {new:g}, "
                                       f"expected {expected:g})", ex)
        if not np.isclose(new, expected, rtol=1e-5):
            return Feedback(False, f"x is not right yet: after one step {where}, x = {new:g}, expected "
                                   f"{expected:g} = x − learning_rate · 2(x − 3)", ex)
    return Feedback(True, "correct: x ← x − η·2(x − 3), updated in place", ex)


# ---------------------------------------------------------------- exercise 2
def exercise_2(largest_stable_lr) -> Feedback:
    """Check ``largest_stable_lr(a)`` = 1/a for f(x) = a·x².

    Introduced in chapter "Gradient descent with the tape".
    """
    ex = "Exercise 2"
    bad = check_callable(largest_stable_lr, exercise=ex, name="largest_stable_lr")
    if bad is not None:
        return bad
    a_values = np.array([0.5, 1.0, 4.0])
    got = []
    for a in a_values:
        out, fail = call_learner(largest_stable_lr, (float(a),), exercise=ex, name=f"largest_stable_lr({a})")
        if fail is not None:
            return fail
        value, problem = _number(out)
        if problem:
            return Feedback(False, f"largest_stable_lr({a}) returned {problem}", ex)
        got.append(value)
    got = np.array(got)
    expected = 1.0 / a_values
    known = [
        (2.0 / a_values, "2/a is the threshold for f = a·x²/2, whose derivative is a·x. Here "
                         "f'(x) = 2a·x, so x_{t+1} = (1 − 2aη)·x_t"),
        (0.5 / a_values, "1/(2a) makes the factor 1 − 2aη zero: it reaches the minimum in one step. "
                         "That is the best rate, not the largest stable one (|1 − 2aη| < 1)"),
        (a_values, "it should get smaller as a grows: a steeper parabola needs a smaller step"),
        (2.0 * a_values, "it should get smaller as a grows: a steeper parabola needs a smaller step"),
    ]
    for wrong, message in known:
        if all_close(got, wrong) and not all_close(got, expected):
            return Feedback(False, message, ex)
    if np.ptp(got) == 0:
        return Feedback(False, f"the answer is {got[0]:g} for every a: it must depend on a", ex)
    return check_close(got, expected, exercise=ex, name="the threshold", rtol=1e-6,
                       success="correct: |1 − 2aη| < 1 exactly when 0 < η < 1/a")


# ---------------------------------------------------------------- exercise 3
def _line_data():
    rng = np.random.default_rng(7)
    x = rng.uniform(-1.0, 1.0, size=50).astype(np.float32)
    y = (-2.0 * x + 5.0 + rng.normal(0.0, 0.2, size=50)).astype(np.float32)
    return x, y


def _pair(out, name):
    if out is None or out is Ellipsis:
        return None, f"{name} returned nothing: return the pair (W, b)"
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return None, f"{name} must return a pair (W, b), got {type(out).__name__}"
    values = []
    for item, label in zip(out, ("W", "b")):
        value, problem = _number(item)
        if problem:
            return None, f"{label} is {problem}"
        values.append(value)
    return values, None


def exercise_3(fit_line) -> Feedback:
    """Check ``fit_line(x, y, lr, steps)`` against the least-squares line.

    Introduced in chapter "Gradient descent with the tape".
    """
    ex = "Exercise 3"
    bad = check_callable(fit_line, exercise=ex, name="fit_line")
    if bad is not None:
        return bad
    x, y = _line_data()
    out, fail = call_learner(fit_line, (tf.constant(x), tf.constant(y), 0.5, 0), exercise=ex,
                      name="fit_line(x, y, 0.5, steps=0)")
    if fail is not None:
        return fail
    values, problem = _pair(out, "fit_line")
    if problem:
        return Feedback(False, problem, ex)
    if not all_close(values, [0.0, 0.0], atol=1e-6):
        return Feedback(False, f"with steps=0 fit_line should return the starting point (0, 0), got "
                               f"({values[0]:g}, {values[1]:g}): start from W = 0, b = 0 and run "
                               "exactly `steps` steps", ex)
    out, fail = call_learner(fit_line, (tf.constant(x), tf.constant(y), 0.5, 100), exercise=ex,
                      name="fit_line(x, y, 0.5, 100)")
    if fail is not None:
        return fail
    values, problem = _pair(out, "fit_line")
    if problem:
        return Feedback(False, problem, ex)
    W, b = values
    W_best, b_best = np.polyfit(x.astype(np.float64), y.astype(np.float64), deg=1)
    if not np.all(np.isfinite(values)) or max(abs(W), abs(b)) > 1e3:
        return Feedback(False, f"the fit diverged (W = {W:g}, b = {b:g}): the update must subtract "
                               "learning_rate × gradient", ex)
    if all_close([W, b], [0.0, 0.0], atol=1e-6):
        return Feedback(False, "W and b are still 0: update them inside the loop with assign_sub, "
                               "and return their final values", ex)
    if all_close([b, W], [W_best, b_best], rtol=1e-3, atol=1e-3):
        return Feedback(False, "W and b are swapped: return (W, b), slope first", ex)
    if all_close([W, b], [W_best, b_best], rtol=1e-3, atol=1e-3):
        return Feedback(True, f"correct: W = {W:.3f}, b = {b:.3f}, the least-squares line", ex)
    return Feedback(False, f"after 100 steps with learning rate 0.5 you got W = {W:.4f}, b = {b:.4f}; "
                           f"the least-squares line has W = {W_best:.4f}, b = {b_best:.4f}. Is the "
                           "loss the mean squared error of W·x + b, and are both updated every step?",
                    ex)


# ---------------------------------------------------------------- exercise 4
_LABELS = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0], dtype=np.float32)
_LOGITS = np.array([-3.0, 2.0, 0.5, 60.0, -60.0, 0.0], dtype=np.float32)


def _bce(labels, logits):
    z, y = logits.astype(np.float64), labels.astype(np.float64)
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def exercise_4(bce_from_logits) -> Feedback:
    """Check ``bce_from_logits(labels, logits)``: per-example, stable sigmoid cross-entropy.

    Introduced in chapter "Gradient descent with the tape".
    """
    ex = "Exercise 4"
    bad = check_callable(bce_from_logits, exercise=ex, name="bce_from_logits")
    if bad is not None:
        return bad
    out, fail = call_learner(bce_from_logits, (tf.constant(_LABELS), tf.constant(_LOGITS)), exercise=ex,
                      name="bce_from_logits")
    if fail is not None:
        return fail
    if out is None or out is Ellipsis:
        return Feedback(False, "bce_from_logits returned nothing: return the per-example losses", ex)
    try:
        got = np.asarray(out.numpy() if hasattr(out, "numpy") else out, dtype=np.float64)
    except (TypeError, ValueError):
        return Feedback(False, f"bce_from_logits returned a {type(out).__name__}, not numbers", ex)
    expected = _bce(_LABELS, _LOGITS)
    if got.size == 1:
        return Feedback(False, "you returned one number: return one loss per example (no mean or sum)", ex)
    if got.shape != expected.shape:
        return Feedback(False, f"the result has shape {got.shape}, expected {expected.shape}: one "
                               "loss per example, the same shape as the logits", ex)
    big = np.abs(_LOGITS) > 20
    if not np.all(np.isfinite(got)):
        if np.all(np.isfinite(got[~big])):
            return Feedback(False, "the loss overflows (inf or NaN) for large |z| such as ±60: use the "
                                   "stable form max(z, 0) − z·y + log(1 + exp(−|z|))", ex)
        return Feedback(False, "the result contains NaN or infinity", ex)
    probs = 1 / (1 + np.exp(-_LOGITS.astype(np.float64)))
    known = [
        (_bce(_LABELS, probs), "you applied the sigmoid to the logits first: the formula takes the "
                               "logits z themselves"),
        (_bce(1 - _LABELS, _LOGITS), "the labels are swapped: a label 1 costs −log σ(z), a label 0 "
                                     "costs −log(1 − σ(z))"),
    ]
    for wrong, message in known:
        if all_close(got, wrong) and not all_close(got, expected):
            return Feedback(False, message, ex)
    if all_close(got[~big], expected[~big]) and not all_close(got, expected):
        return Feedback(False, "right for moderate logits but wrong for large |z| such as ±60: use the "
                               "stable form max(z, 0) − z·y + log(1 + exp(−|z|))", ex)
    return check_close(got, expected, exercise=ex, name="your result", rtol=1e-5, atol=1e-6,
                       success="correct: per-example cross-entropy from logits, stable for large |z|")


# ---------------------------------------------------------------- exercise 5
def _batches(out, name):
    if out is None or out is Ellipsis:
        return None, f"{name} returned nothing: return a list of index arrays"
    if isinstance(out, np.ndarray) and out.ndim == 1:
        return None, f"{name} returned one flat array: return a list of batches (arrays of indices)"
    try:
        batches = [np.asarray(b) for b in out]
    except TypeError:
        return None, f"{name} must return a list of index arrays, got {type(out).__name__}"
    for batch in batches:
        if batch.ndim != 1:
            return None, f"each batch must be a 1-D array of indices, got one of shape {batch.shape}"
        if batch.size and not np.issubdtype(batch.dtype, np.integer):
            return None, f"indices must be integers, got dtype {batch.dtype}"
    return batches, None


def exercise_5(minibatches) -> Feedback:
    """Check ``minibatches(n, batch_size, rng)``: a shuffled partition of range(n) into batches.

    Introduced in chapter "Gradient descent with the tape".
    """
    ex = "Exercise 5"
    bad = check_callable(minibatches, exercise=ex, name="minibatches")
    if bad is not None:
        return bad
    for n, size in ((10, 4), (12, 4), (100, 7)):
        out, fail = call_learner(minibatches, (n, size, np.random.default_rng(0)), exercise=ex,
                          name=f"minibatches({n}, {size}, rng)")
        if fail is not None:
            return fail
        batches, problem = _batches(out, f"minibatches({n}, {size}, rng)")
        if problem:
            return Feedback(False, problem, ex)
        sizes = [len(b) for b in batches]
        expected_sizes = [size] * (n // size) + ([n % size] if n % size else [])
        everything = np.concatenate(batches) if batches else np.array([], dtype=int)
        if 0 in sizes:
            return Feedback(False, f"minibatches({n}, {size}) contains an empty batch: stop the loop "
                                   "at n (range(0, n, batch_size))", ex)
        if len(everything) != len(set(everything.tolist())):
            return Feedback(False, "some indices appear twice (sampling with replacement?): shuffle "
                                   "with rng.permutation(n) and cut it into pieces", ex)
        if sorted(everything.tolist()) != list(range(n)):
            missing = sorted(set(range(n)) - set(everything.tolist()))
            if sizes == expected_sizes[:-1] and len(missing) == n % size:
                return Feedback(False, "the last, smaller batch is missing: keep it", ex)
            return Feedback(False, f"minibatches({n}, {size}) does not cover 0…{n - 1} exactly once "
                                   f"(missing: {missing[:5]}{'…' if len(missing) > 5 else ''})", ex)
        if sizes != expected_sizes:
            return Feedback(False, f"minibatches({n}, {size}) has batch sizes {sizes}, expected "
                                   f"{expected_sizes}", ex)
        if n == 100 and np.array_equal(everything, np.arange(n)):
            return Feedback(False, "the indices are in order: shuffle them first with rng.permutation(n)", ex)
    again, fail = call_learner(minibatches, (100, 7, np.random.default_rng(0)), exercise=ex, name="minibatches")
    if fail is not None:
        return fail
    other, fail = call_learner(minibatches, (100, 7, np.random.default_rng(1)), exercise=ex, name="minibatches")
    if fail is not None:
        return fail
    same_seed = all(np.array_equal(a, b) for a, b in zip(out, again))
    other_seed = all(np.array_equal(a, b) for a, b in zip(out, other))
    if not same_seed or other_seed:
        return Feedback(False, "the shuffle does not follow the rng argument: use rng.permutation(n) "
                               "with the generator you were given (not np.random or a new generator)",
                        ex)
    return Feedback(True, "correct: a fresh shuffle, cut into batches, every index exactly once", ex)
