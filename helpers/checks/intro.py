"""Exercise checks for chapter "What deep learning is, in one loop".

Introduced in chapter "What deep learning is, in one loop". Each ``exercise_N`` returns a
:class:`~helpers.checks.Feedback` (✅ or ❌ with a sentence saying what is wrong) and never
raises on a wrong answer.
"""

from __future__ import annotations

import numpy as np

from ._core import Feedback, _to_array, check_callable, check_close

__all__ = [
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "exercise_5",
    "EX1_X",
    "EX1_LABELS",
    "EX2_LINES",
    "EX3_PREDICTIONS",
    "EX3_TARGETS",
    "EX4_X",
    "EX4_Y",
    "EX4_W",
    "EX4_LEARNING_RATE",
]

# ----------------------------------------------------------------------------- exercise 1
#: Exercise 1: 40 points on a line; class 1 is "far from zero" (|x| > 1).
EX1_X = np.linspace(-1.95, 1.95, 40, dtype=np.float32)
#: Exercise 1: the labels, ``True`` where ``|x| > 1``.
EX1_LABELS = np.abs(EX1_X) > 1.0


def _best_threshold_accuracy(values: np.ndarray, labels: np.ndarray) -> float:
    """Best accuracy of the rule "class 1 if value > t" (or "< t") over every threshold t."""
    order = np.argsort(values, kind="stable")
    v, lab = values[order], labels[order].astype(bool)
    n = lab.size
    best = max(lab.mean(), 1 - lab.mean())
    # Cut between positions i-1 and i (only where the values differ).
    ones_left = np.concatenate([[0], np.cumsum(lab)])
    for i in range(1, n):
        if v[i] == v[i - 1]:
            continue
        left_ones, left_n = ones_left[i], i
        right_ones = ones_left[n] - left_ones
        right_n = n - i
        above = (left_n - left_ones) + right_ones  # class 1 above the cut
        below = left_ones + (right_n - right_ones)  # class 1 below the cut
        best = max(best, above / n, below / n)
    return float(best)


def exercise_1(phi) -> Feedback:
    """Exercise 1: a representation ``phi`` in which one threshold separates the two classes.

    ``phi`` maps the float32 array :data:`EX1_X`, shape ``(40,)``, to one number per point
    (shape ``(40,)``). Right when some threshold on ``phi(x)`` puts every point of class 1
    on one side and every point of class 0 on the other.
    """
    ex = "Exercise 1"
    bad = check_callable(phi, exercise=ex, name="phi")
    if bad is not None:
        return bad
    x = EX1_X.copy()
    try:
        out = phi(x)
    except Exception as exc:  # noqa: BLE001 - report any failure in words
        return Feedback(False, f"phi(x) raised {type(exc).__name__}: {exc}", ex)
    if out is None:
        return Feedback(False, "phi(x) returned None: write its body and `return` one number per point", ex)
    arr, problem = _to_array(out)
    if problem:
        return Feedback(False, f"phi(x) {problem}", ex)
    if arr.shape != x.shape:
        return Feedback(False, f"phi(x) has shape {arr.shape}, expected {x.shape}: one number per point", ex)
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        return Feedback(False, "phi(x) contains NaN or infinity", ex)
    acc = _best_threshold_accuracy(arr, EX1_LABELS)
    if acc == 1.0:
        return Feedback(True, "correct: in your representation one threshold separates the classes", ex)
    if np.allclose(arr, x):
        return Feedback(False, "phi returns x unchanged: in the raw coordinate no threshold works "
                        f"(the best one gets {acc:.0%} right); what do the far points share?", ex)
    if np.ptp(arr) == 0:
        return Feedback(False, "phi gives every point the same value: it forgets the very thing "
                        "that tells the classes apart", ex)
    return Feedback(False, f"not separable yet: the best single threshold on phi(x) gets {acc:.0%} "
                    "of the points right, not 100 %", ex)


# ----------------------------------------------------------------------------- exercise 2
#: Exercise 2: the lines of a training step, by letter.
EX2_LINES = {
    "a": "h = tf.nn.relu(x @ W1 + b1)",
    "b": "dW1, db1 = tape.gradient(loss, [W1, b1])",
    "c": "loss = tf.reduce_mean((y_pred - y) ** 2)",
    "d": "W1.assign_sub(learning_rate * dW1)",
    "e": "y_pred = h @ W2 + b2",
    "f": "b1.assign_sub(learning_rate * db1)",
}
_EX2_PARTS = ("forward pass", "loss", "gradients", "weight update")
_EX2_ANSWER = {"a": "forward pass", "b": "gradients", "c": "loss", "d": "weight update",
               "e": "forward pass", "f": "weight update"}
_EX2_SYNONYMS = {
    "forward": "forward pass", "forward pass": "forward pass", "layers": "forward pass",
    "layer": "forward pass", "prediction": "forward pass", "predictions": "forward pass",
    "loss": "loss", "loss function": "loss", "score": "loss",
    "gradient": "gradients", "gradients": "gradients", "backward": "gradients",
    "backward pass": "gradients",
    "update": "weight update", "weight update": "weight update", "optimizer": "weight update",
    "weights update": "weight update", "optimiser": "weight update",
}
_EX2_HINTS = {
    "a": "line a turns the input into hidden features: data flows forward through a layer",
    "b": "line b asks the tape for derivatives; it changes no weight",
    "c": "line c turns predictions and targets into one number that says how wrong they are",
    "d": "line d changes a weight in place",
    "e": "line e produces the predictions from the hidden features",
    "f": "line f changes a weight (a bias) in place",
}


def exercise_2(answers) -> Feedback:
    """Exercise 2: which part of the loop each line of :data:`EX2_LINES` is.

    ``answers`` is a dict from letter (``"a"`` … ``"f"``) to one of ``"forward pass"``,
    ``"loss"``, ``"gradients"``, ``"weight update"``.
    """
    ex = "Exercise 2"
    if answers is None or answers is Ellipsis:
        return Feedback(False, "answers is missing: fill in the dictionary in the cell above", ex)
    if not isinstance(answers, dict):
        return Feedback(False, f"answers must be a dict like {{'a': 'forward pass', ...}}, "
                        f"got a {type(answers).__name__}", ex)
    missing = [k for k in _EX2_ANSWER if k not in answers]
    if missing:
        return Feedback(False, f"no answer for line(s) {', '.join(missing)}", ex)
    wrong, unknown = [], []
    for key, want in _EX2_ANSWER.items():
        got = answers[key]
        if got is Ellipsis or got is None:
            unknown.append(key)
            continue
        norm = _EX2_SYNONYMS.get(str(got).strip().lower())
        if norm is None:
            unknown.append(key)
        elif norm != want:
            wrong.append(key)
    if unknown:
        return Feedback(False, f"line(s) {', '.join(unknown)}: answer with one of "
                        f"{', '.join(repr(p) for p in _EX2_PARTS)}", ex)
    if wrong:
        return Feedback(False, f"{len(wrong)} of 6 not right yet: " + "; ".join(_EX2_HINTS[k] for k in wrong), ex)
    return Feedback(True, "correct: every line found its place in the loop", ex)


# ----------------------------------------------------------------------------- exercise 3
#: Exercise 3: predictions and targets for a mean squared error by hand.
EX3_PREDICTIONS = np.array([2.0, 0.0, 1.0, 4.0], dtype=np.float32)
#: Exercise 3: the targets.
EX3_TARGETS = np.array([1.0, 0.0, 3.0, 4.0], dtype=np.float32)


def exercise_3(mse) -> Feedback:
    """Exercise 3: the mean squared error of :data:`EX3_PREDICTIONS` against :data:`EX3_TARGETS`."""
    ex = "Exercise 3"
    err = (EX3_PREDICTIONS - EX3_TARGETS).astype(np.float64)
    expected = float(np.mean(err**2))
    arr, problem = _to_array(mse)
    if problem:
        return Feedback(False, f"your answer {problem}", ex)
    if arr.size != 1:
        return Feedback(False, f"your answer must be one number, got shape {arr.shape}: the mean "
                        "turns the per-example errors into a single score", ex)
    value = float(arr.reshape(()))
    mistakes = [
        (float(np.sum(err**2)), "that is the sum of the squared errors: divide by the number of examples"),
        (float(np.mean(np.abs(err))), "that is the mean absolute error: square each error instead"),
        (float(np.mean(err)), "that is the mean error: square each error before averaging, "
                              "otherwise errors of opposite sign cancel"),
        (float(-np.mean(err)), "that is the mean error: square each error before averaging, "
                               "otherwise errors of opposite sign cancel"),
        (float(np.mean(err) ** 2), "that squares the mean error; square each error first, then average"),
        (float(np.sqrt(expected)), "that is the root of the mean squared error: leave out the square root"),
        (float(np.sum(err**2) / (err.size - 1)), "divide by the number of examples, not one less"),
    ]
    if np.isclose(value, expected, rtol=1e-5, atol=1e-6):
        return Feedback(True, "correct: square each error, then average", ex)
    for wrong, why in mistakes:
        if np.isclose(value, wrong, rtol=1e-5, atol=1e-6):
            return Feedback(False, f"you wrote {value:g}; {why}", ex)
    return Feedback(False, f"you wrote {value:g}, which is not the mean squared error; "
                    "compute each error (prediction − target), square it, then average", ex)


# ----------------------------------------------------------------------------- exercise 4
#: Exercise 4: one gradient-descent step by hand on L(w) = mean((w x - y)^2).
EX4_X = np.array([1.0, 2.0], dtype=np.float32)
#: Exercise 4: the targets.
EX4_Y = np.array([3.0, 5.0], dtype=np.float32)
#: Exercise 4: the weight before the step.
EX4_W = 1.0
#: Exercise 4: the learning rate.
EX4_LEARNING_RATE = 0.1


def _ex4_values(w=EX4_W, x=EX4_X, y=EX4_Y, lr=EX4_LEARNING_RATE):
    x, y = x.astype(np.float64), y.astype(np.float64)
    residual = w * x - y
    grad = float(np.mean(2 * x * residual))
    return grad, w - lr * grad


def exercise_4(w_new) -> Feedback:
    """Exercise 4: the weight after one gradient-descent step, computed by hand."""
    ex = "Exercise 4"
    x, y = EX4_X.astype(np.float64), EX4_Y.astype(np.float64)
    w, lr = EX4_W, EX4_LEARNING_RATE
    grad, expected = _ex4_values()
    arr, problem = _to_array(w_new)
    if problem:
        return Feedback(False, f"your answer {problem}", ex)
    if arr.size != 1:
        return Feedback(False, f"your answer must be one number, got shape {arr.shape}", ex)
    value = float(arr.reshape(()))
    residual = w * x - y
    mistakes = [
        (w + lr * grad, "the step went uphill: subtract learning rate × gradient, do not add it"),
        (grad, "that is the gradient dL/dw itself; the new weight is w − learning rate × gradient"),
        (-grad, "that is minus the gradient; the new weight is w − learning rate × gradient"),
        (w - grad, "the learning rate is missing: w − learning rate × gradient"),
        (w - lr * float(np.mean(x * residual)), "the factor 2 from differentiating the square is missing"),
        (w + lr * float(np.mean(x * residual)), "the factor 2 is missing and the step went uphill"),
        (w - lr * float(np.sum(2 * x * residual)), "that uses the sum over examples; the loss is a mean, "
                                                  "so its gradient is a mean too"),
        (w - lr * float(np.mean(2 * residual)), "the factor x from the chain rule is missing: "
                                               "d(w x − y)/dw = x"),
    ]
    if np.isclose(value, expected, rtol=1e-5, atol=1e-6):
        return Feedback(True, f"correct: the gradient is {grad:g}, so w moves from {w:g} to {expected:g}", ex)
    for wrong, why in mistakes:
        if np.isclose(value, wrong, rtol=1e-5, atol=1e-6):
            return Feedback(False, f"you wrote {value:g}; {why}", ex)
    return Feedback(False, f"you wrote {value:g}; compute the residuals w·x − y, then "
                    "dL/dw = mean(2·x·residual), then w − learning rate × dL/dw", ex)


# ----------------------------------------------------------------------------- exercise 5
def exercise_5(gd_step) -> Feedback:
    """Exercise 5: ``gd_step(w, x, y, learning_rate)`` does one step with ``tf.GradientTape``.

    ``w`` is a scalar float32 ``tf.Variable``; the function must update it in place
    (``assign_sub``) and return the loss ``mean((w x − y)²)`` computed before the update.
    Two consecutive steps are checked, so a hard-coded answer does not pass.
    """
    import tensorflow as tf

    ex = "Exercise 5"
    bad = check_callable(gd_step, exercise=ex, name="gd_step")
    if bad is not None:
        return bad
    x, y, lr = tf.constant(EX4_X), tf.constant(EX4_Y), EX4_LEARNING_RATE
    w = tf.Variable(EX4_W, dtype=tf.float32)
    w_value = EX4_W
    for step in (1, 2):
        x64, y64 = EX4_X.astype(np.float64), EX4_Y.astype(np.float64)
        expected_loss = float(np.mean((w_value * x64 - y64) ** 2))
        grad, expected_w = _ex4_values(w=w_value)
        try:
            returned = gd_step(w, x, y, lr)
        except Exception as exc:  # noqa: BLE001 - report any failure in words
            hint = ""
            if "NoneType" in str(exc) or "None" in str(exc):
                hint = (" (a None gradient: compute the loss inside the `with tf.GradientTape() "
                        "as tape:` block, from the Variable w)")
            return Feedback(False, f"step {step}: gd_step raised {type(exc).__name__}: {exc}{hint}", ex)
        if not isinstance(w, tf.Variable):  # pragma: no cover - cannot happen, kept for safety
            return Feedback(False, "w is no longer a Variable", ex)
        got_w = float(w.numpy())
        if step == 1 and returned is None and np.isclose(got_w, w_value, rtol=1e-6, atol=1e-7):
            return Feedback(False, "gd_step does nothing yet: it returned None and left w unchanged; "
                            "write its body", ex)
        if np.isclose(got_w, w_value, rtol=1e-6, atol=1e-7):
            return Feedback(False, f"step {step}: w did not change. Update it in place with "
                            "w.assign_sub(learning_rate * grad); `w = w - ...` only rebinds a local name", ex)
        if np.isclose(got_w, w_value + lr * grad, rtol=1e-5, atol=1e-6):
            return Feedback(False, f"step {step}: w went uphill: use assign_sub, not assign_add "
                            "(or subtract, not add)", ex)
        if np.isclose(got_w, w_value - grad, rtol=1e-5, atol=1e-6):
            return Feedback(False, f"step {step}: the learning rate is missing from the update", ex)
        if not np.isclose(got_w, expected_w, rtol=1e-5, atol=1e-6):
            return Feedback(False, f"step {step}: w became {got_w:.6g}, expected {expected_w:.6g}", ex)
        if returned is None or returned is Ellipsis:
            return Feedback(False, "w is updated correctly, but gd_step returns nothing: return the loss", ex)
        problem = check_close(returned, expected_loss, name="the returned loss", rtol=1e-5, atol=1e-6)
        if not problem:
            after = float(np.mean((expected_w * x64 - y64) ** 2))
            arr, _ = _to_array(returned)
            if arr is not None and arr.size == 1 and np.isclose(float(arr.reshape(())), after, rtol=1e-5):
                return Feedback(False, f"step {step}: the returned loss is the one after the update; "
                                "return the loss computed inside the tape, before assign_sub", ex)
            return Feedback(False, f"step {step}: {problem.message}", ex)
        w_value = expected_w
    return Feedback(True, "correct: two steps, loss computed on the tape, weight updated in place", ex)
