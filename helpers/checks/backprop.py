"""Checks for the exercises of chapter "Backpropagation by hand, checked against the tape".

Each ``exercise_N`` takes the learner's function, runs it on fixed inputs, and returns a
:class:`~helpers.checks.Feedback` (✅ or ❌ with the likely mistake in words). A check
never raises on a wrong answer.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Feedback, call_learner, check_callable, check_close, diagnose

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))




def _matches(got, expected, rtol=1e-5, atol=1e-7) -> bool:
    """True when ``got`` reads as numbers of ``expected``'s shape and is close to it."""
    try:
        arr = np.asarray(got.numpy() if hasattr(got, "numpy") else got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return arr.shape == np.shape(expected) and bool(np.allclose(arr, expected, rtol=rtol, atol=atol))


# ---------------------------------------------------------------------------- exercise 1
_X1 = np.array([-3.0, -0.5, 0.0, 0.7, 2.5])
_G1 = np.array([0.5, -1.0, 2.0, 1.5, -0.3])


def exercise_1(softplus_backward) -> Feedback:
    """Exercise 1: the backward rule of softplus(x) = log(1 + eˣ).

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    ``softplus_backward(x, upstream)`` must return ``upstream * σ(x)`` for NumPy arrays.
    """
    ex = "Exercise 1"
    bad = check_callable(softplus_backward, exercise=ex, name="softplus_backward")
    if bad is not None:
        return bad
    got, bad = call_learner(softplus_backward, (_X1.copy(), _G1.copy()), exercise=ex)
    if bad is not None:
        if "only length-1 arrays" in bad.message or "only 0-dimensional" in bad.message:
            bad.message += " (use np.exp, not math.exp, so that it works on arrays)"
        return bad
    expected = _G1 * _sigmoid(_X1)
    softplus = np.log1p(np.exp(_X1))
    if _matches(got, _sigmoid(_X1)):
        return Feedback(False, "you returned the local derivative σ(x) but forgot to multiply it by "
                               "the upstream gradient", exercise=ex)
    if _matches(got, _G1 * softplus):
        return Feedback(False, "you multiplied the upstream gradient by softplus(x) itself; the "
                               "derivative of log(1 + eˣ) is eˣ / (1 + eˣ) = σ(x)", exercise=ex)
    if _matches(got, _G1 * _sigmoid(-_X1)):
        return Feedback(False, "you used σ(−x): a sign error in the exponent; "
                               "d/dx log(1 + eˣ) = eˣ / (1 + eˣ) = σ(x)", exercise=ex)
    if _matches(got, _G1 * np.exp(_X1)):
        return Feedback(False, "you multiplied by eˣ only: the chain rule through log also "
                               "divides by 1 + eˣ", exercise=ex)
    return check_close(got, expected, exercise=ex, name="softplus_backward(x, upstream)",
                       none_hint="did you forget `return`?",
                       success="correct: upstream × σ(x), the backward rule of softplus")


# ---------------------------------------------------------------------------- exercise 2
def exercise_2(softplus) -> Feedback:
    """Exercise 2: softplus as an operation of the engine (:class:`helpers.engine.Value`).

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    ``softplus(v)`` takes a Value and returns a new Value whose backward closure adds
    ``σ(v.data) · out.grad`` to ``v.grad``.
    """
    from helpers.engine import Value, topological_order

    ex = "Exercise 2"
    bad = check_callable(softplus, exercise=ex, name="softplus")
    if bad is not None:
        return bad
    x0 = 0.7
    expected_value = math.log1p(math.exp(x0))
    expected_grad = 1 / (1 + math.exp(-x0))

    x = Value(x0, label="x")
    out, bad = call_learner(softplus, (x,), exercise=ex)
    if bad is not None:
        return bad
    if out is None:
        return Feedback(False, "softplus returned None: did you forget `return out`?", exercise=ex)
    if not isinstance(out, Value):
        if all(hasattr(out, a) for a in ("data", "grad", "_prev")):
            return Feedback(False, "softplus returned a Value of a different class: build the output "
                                   "with `from helpers.engine import Value`", exercise=ex)
        return Feedback(False, f"softplus returned a {type(out).__name__}; it must return a Value "
                               "(out = Value(data, (v,), 'softplus')) so that backward() can reach v", exercise=ex)
    if not math.isclose(out.data, expected_value, rel_tol=1e-9):
        return Feedback(False, f"the forward value is {out.data:.6g}, expected log(1 + e^0.7) = "
                               f"{expected_value:.6g}", exercise=ex)

    if not any(node is x for node in topological_order(out)):
        return Feedback(False, "the output does not record v as its child, so backward() cannot order "
                               "the graph correctly: create it with Value(data, (v,), 'softplus')", exercise=ex)

    # One use, upstream gradient 3: x.grad must be 3 σ(x).
    loss = out * 3.0
    loss.backward()
    problem = _diagnose_scalar(x.grad, 3 * expected_grad, {
        0.0: "x.grad is 0 after backward(): record v as a child (Value(data, (v,), 'softplus')) and "
             "set out._backward to a closure that adds to v.grad",
        expected_grad: "x.grad is σ(x): you forgot to multiply by out.grad, the upstream gradient",
        3 * expected_value: "x.grad is 3·softplus(x): the local derivative of softplus is σ(x), "
                            "not softplus(x)",
        3 * (1 - expected_grad): "x.grad is 3·σ(−x): a sign error; d/dx log(1 + eˣ) = σ(x)",
    })
    if problem:
        return Feedback(False, problem, exercise=ex)

    # x used twice: its gradient must collect both contributions, in either order.
    for order in ("softplus first", "softplus last"):
        x = Value(x0, label="x")
        sp, square = softplus(x), x * x
        loss = sp + square if order == "softplus first" else square + sp
        loss.backward()
        want = expected_grad + 2 * x0
        if not math.isclose(x.grad, want, rel_tol=1e-6):
            if math.isclose(x.grad, expected_grad, rel_tol=1e-6):
                return Feedback(False, "with x used twice (softplus(x) + x·x) x.grad lost the other "
                                       "use's share: accumulate with `v.grad += ...`, not `v.grad = ...`", exercise=ex)
            return Feedback(False, f"with x used twice (softplus(x) + x·x) x.grad is {x.grad:.6g}, "
                                   f"expected σ(x) + 2x = {want:.6g}", exercise=ex)
    return Feedback(True, "correct: softplus passes σ(x)·out.grad back and accumulates with +=", exercise=ex)


def _diagnose_scalar(got, expected, known_mistakes: dict) -> str | None:
    """None if ``got`` ≈ ``expected``, else the message of a known mistake or a generic one."""
    if got is None or not isinstance(got, (int, float, np.floating)):
        return f"x.grad should be a number, got {got!r}"
    if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
        return None
    for value, message in known_mistakes.items():
        if math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-12):
            return message
    return f"x.grad is {got:.6g}, expected {expected:.6g}"


# ---------------------------------------------------------------------------- exercise 3
def _dense_case():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(4, 3))
    W = rng.normal(size=(3, 2))
    b = rng.normal(size=2)
    dY = rng.normal(size=(4, 2))
    return X, W, b, dY


def exercise_3(dense_backward) -> Feedback:
    """Exercise 3: backward pass of a dense layer Y = X W + b.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    ``dense_backward(X, W, b, dY)`` must return ``(dX, dW, db)``.
    """
    ex = "Exercise 3"
    bad = check_callable(dense_backward, exercise=ex, name="dense_backward")
    if bad is not None:
        return bad
    X, W, b, dY = _dense_case()
    got, bad = call_learner(dense_backward, (X.copy(), W.copy(), b.copy(), dY.copy()), exercise=ex)
    if bad is not None:
        return bad
    if got is None:
        return Feedback(False, "dense_backward returned None: did you forget `return dX, dW, db`?", exercise=ex)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return Feedback(False, "dense_backward must return three arrays: (dX, dW, db)", exercise=ex)
    expected = (dY @ W.T, X.T @ dY, dY.sum(axis=0))
    shapes = [np.shape(g) if g is not None and g is not Ellipsis else None for g in got]
    want_shapes = [e.shape for e in expected]
    if shapes != want_shapes and sorted(map(str, shapes)) == sorted(map(str, want_shapes)):
        return Feedback(False, f"the three gradients have shapes {shapes}: return them in the order "
                               f"(dX, dW, db) with shapes {want_shapes}", exercise=ex)
    for name, g, e in zip(("dX", "dW", "db"), got, expected):
        problem = diagnose(g, e, name=name, none_hint="did you compute and return it?")
        if problem:
            if name == "db" and _matches(g, dY.mean(axis=0)):
                problem = ("db is the mean of dY over the batch; the bias is added to every row, so "
                           "its gradient is the sum: dY.sum(axis=0)")
            elif name == "db" and np.shape(g) == (1, 2):
                problem += "; use dY.sum(axis=0) without keepdims"
            elif name == "dW" and _matches(g, X.T @ dY / len(X)):
                problem = "dW was divided by N: dW = Xᵀ dY, with no average (dY already carries it)"
            return Feedback(False, problem, exercise=ex)
    return Feedback(True, "correct: dX = dY Wᵀ, dW = Xᵀ dY, db = Σₙ dY", exercise=ex)


# ---------------------------------------------------------------------------- exercise 4
_LOGITS4 = np.array([[2.0, -1.0, 0.5], [0.0, 0.3, -0.2], [1.5, 1.0, -2.0], [-0.5, 2.5, 0.1]])
_Y4 = np.array([0, 2, 1, 1])
_BIG4 = _LOGITS4 * 400.0  # overflows a softmax that does not subtract the row maximum


def _softmax(z, axis=1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def exercise_4(softmax_ce_backward) -> Feedback:
    """Exercise 4: gradient of the mean softmax cross-entropy with respect to the logits.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    ``softmax_ce_backward(logits, y)`` must return ``(softmax(logits) − onehot(y)) / N``.
    """
    ex = "Exercise 4"
    bad = check_callable(softmax_ce_backward, exercise=ex, name="softmax_ce_backward")
    if bad is not None:
        return bad
    for logits in (_LOGITS4, _BIG4):
        n = len(logits)
        P, Y = _softmax(logits), np.eye(3)[_Y4]
        expected = (P - Y) / n
        with np.errstate(all="ignore"):
            got, bad = call_learner(softmax_ce_backward, (logits.copy(), _Y4.copy()), exercise=ex)
        if bad is not None:
            return bad
        if logits is _BIG4:
            problem = diagnose(got, expected, name="the gradient")
            if problem:
                return Feedback(False, "right for moderate logits, but with large logits (hundreds) "
                                       f"{problem}: subtract each row's maximum before np.exp", exercise=ex)
            continue
        known = [
            (P - Y, "you forgot to divide by N: the loss is the mean over the batch"),
            (P / n, "you did not subtract 1 at the true class: the gradient is (softmax − onehot) / N"),
            ((_softmax(logits, axis=0) - Y) / n, "your softmax normalises over axis 0 (the batch); "
                                                 "each row (example) must sum to 1: axis=1"),
            ((Y - P) / n, "sign error: the gradient is (softmax − onehot) / N, not (onehot − softmax) / N"),
        ]
        for value, message in known:
            if _matches(got, value):
                return Feedback(False, message, exercise=ex)
        fb = check_close(got, expected, exercise=ex, name="the gradient",
                         none_hint="did you forget `return`?")
        if not fb:
            return fb
    return Feedback(True, "correct: (softmax(logits) − onehot(y)) / N, stable for large logits", exercise=ex)


# ---------------------------------------------------------------------------- exercise 5
def exercise_5(forward_mode_gradient) -> Feedback:
    """Exercise 5: the full gradient of f: Rⁿ → R with forward mode (one pass per input).

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    ``forward_mode_gradient(f, x)`` must return the gradient (shape ``(n,)``) using
    ``tf.autodiff.ForwardAccumulator`` with one one-hot tangent per input.
    """
    import tensorflow as tf

    ex = "Exercise 5"
    bad = check_callable(forward_mode_gradient, exercise=ex, name="forward_mode_gradient")
    if bad is not None:
        return bad
    a = tf.constant([0.5, -1.0, 2.0, 0.3, -0.7], dtype=tf.float32)
    calls = []

    def f(x):
        calls.append(1)
        return tf.reduce_sum(tf.tanh(a * x) ** 2)

    x = tf.constant([0.3, 0.8, -0.4, 1.2, 0.05], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    expected = tape.gradient(y, x).numpy()
    calls.clear()
    got, bad = call_learner(forward_mode_gradient, (f, x), exercise=ex)
    if bad is not None:
        return bad
    if isinstance(got, (list, tuple)) and got and all(hasattr(g, "numpy") or np.isscalar(g) for g in got):
        got = np.array([np.asarray(g.numpy() if hasattr(g, "numpy") else g).item() for g in got])
    if got is not None and np.shape(got) == () and _matches(got, expected.sum()):
        return Feedback(False, "you computed one directional derivative (tangent of ones): that is the "
                               "sum of the gradient; push one one-hot tangent per input instead", exercise=ex)
    fb = check_close(got, expected, exercise=ex, name="the gradient", rtol=1e-4, atol=1e-6,
                     none_hint="acc.jvp(y) is None when y was computed outside the `with` block, or "
                               "did you forget `return`?")
    if not fb:
        return fb
    if len(calls) == 1:
        return Feedback(False, "the gradient is right but f was evaluated once: that is reverse mode "
                               "(GradientTape); forward mode needs one pass per input", exercise=ex)
    if len(calls) != len(expected):
        return Feedback(True, f"correct gradient (f was evaluated {len(calls)} times; forward mode needs "
                              f"exactly n = {len(expected)})", exercise=ex)
    return Feedback(True, f"correct: {len(calls)} forward passes, one per input, for one gradient", exercise=ex)
