"""Exercise checks for chapter "Automatic differentiation with GradientTape".

Introduced in chapter "Automatic differentiation with GradientTape". Each ``exercise_N``
takes the learner's function, calls it on test inputs and returns a
:class:`~helpers.checks.Feedback` that says in words what is wrong (a ``None`` gradient,
a missing product-rule term, a sign, a factor, a shape...) or that it is right. A check
never raises on a wrong answer, even when the learner's function itself raises.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ._core import Feedback, all_close, call_learner, check_callable, check_close

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]

_NONE_GRADIENT = (
    "the tape found no path from the source to the target. Is the computation inside the "
    "`with tf.GradientTape()` block, in TensorFlow operations, and is the source watched "
    "(a tf.Variable, or `tape.watch(x)` for a constant)?"
)




def _number(value):
    """The learner's result as a float, or ``None`` with a reason."""
    if value is None:
        return None, "None"
    if value is Ellipsis:
        return None, "still the placeholder `...`"
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (str, bytes)):
        return None, f"the string {value!r}, not a number"
    try:
        arr = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"a {type(value).__name__}, not a number"
    if arr.size != 1:
        return None, f"an array of shape {arr.shape}, not one number"
    return float(arr.reshape(())), None




# ---------------------------------------------------------------- exercise 1
def exercise_1(tape_derivative) -> Feedback:
    """Check ``tape_derivative(x)`` = g'(x) for g(x) = x² sin x.

    Introduced in chapter "Automatic differentiation with GradientTape".
    """
    ex = "Exercise 1"
    bad = check_callable(tape_derivative, exercise=ex, name="tape_derivative")
    if bad is not None:
        return bad
    xs = np.array([-2.0, 0.5, 1.0, 3.0])
    got = []
    for x in xs:
        out, fail = call_learner(tape_derivative, (float(x),), exercise=ex, name=f"tape_derivative({x})")
        if fail is not None:
            return fail
        value, problem = _number(out)
        if problem == "None":
            return Feedback(False, f"tape_derivative({x}) returned None: did you `return` the gradient? "
                                   f"If it is tape.gradient that gives None, {_NONE_GRADIENT}", ex)
        if problem:
            return Feedback(False, f"tape_derivative({x}) returned {problem}", ex)
        got.append(value)
    got = np.array(got)
    if not np.all(np.isfinite(got)):
        return Feedback(False, "tape_derivative returned NaN or infinity", ex)
    expected = 2 * xs * np.sin(xs) + xs**2 * np.cos(xs)
    known_mistakes = [
        (xs**2 * np.sin(xs), "you returned g(x) itself, not its derivative: return tape.gradient(g, x)"),
        (2 * xs * np.sin(xs), "only the term 2x·sin(x) is there: the product rule also gives x²·cos(x)"),
        (xs**2 * np.cos(xs), "only the term x²·cos(x) is there: the product rule also gives 2x·sin(x)"),
        (2 * xs * np.cos(xs), "that is the product of the two factors' derivatives, not the product rule"),
    ]
    return check_close(got, expected, exercise=ex, name="your derivative", rtol=1e-4, atol=1e-5,
                       mistakes=known_mistakes,
                       success="correct: the tape's g'(x) matches 2x·sin(x) + x²·cos(x)")


# ---------------------------------------------------------------- exercise 2
def _linear_problem():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    y = rng.normal(size=(6, 1)).astype(np.float32)
    w0 = rng.normal(size=(3, 1)).astype(np.float32)
    b0 = np.array([0.5], dtype=np.float32)
    return x, y, w0, b0


def exercise_2(linear_grads) -> Feedback:
    """Check ``linear_grads(x, y, W, b)`` = [dL/dW, dL/db] for L = mean((xW + b − y)²).

    Introduced in chapter "Automatic differentiation with GradientTape".
    """
    ex = "Exercise 2"
    bad = check_callable(linear_grads, exercise=ex, name="linear_grads")
    if bad is not None:
        return bad
    x, y, w0, b0 = _linear_problem()
    W, b = tf.Variable(w0), tf.Variable(b0)
    out, fail = call_learner(linear_grads, (tf.constant(x), tf.constant(y), W, b), exercise=ex,
                      name="linear_grads")
    if fail is not None:
        return fail
    if out is None or out is Ellipsis:
        return Feedback(False, "linear_grads returned nothing: return the list [dL/dW, dL/db]", ex)
    if not isinstance(out, (list, tuple)) or len(out) != 2:
        return Feedback(False, "linear_grads must return a list of two gradients, [dL/dW, dL/db]", ex)
    if not (np.array_equal(W.numpy(), w0) and np.array_equal(b.numpy(), b0)):
        return Feedback(False, "linear_grads changed W or b: it should only compute the gradients, "
                               "not update the variables", ex)
    n = x.shape[0]
    r = x @ w0 + b0 - y
    expected = [2.0 / n * x.T @ r, np.array([2.0 / n * r.sum()])]
    names = ["dL/dW", "dL/db"]
    shapes = [np.shape(g.numpy() if hasattr(g, "numpy") else g) if g is not None else None for g in out]
    if shapes == [(1,), (3, 1)]:
        return Feedback(False, "the two gradients are in the wrong order: return [dL/dW, dL/db]", ex)
    for got, want, name in zip(out, expected, names):
        if got is None:
            return Feedback(False, f"{name} is None: {_NONE_GRADIENT}", ex)
        got_arr = np.asarray(got.numpy() if hasattr(got, "numpy") else got, dtype=np.float64)
        if got_arr.shape == want.shape and np.any(want != 0):
            ratio = got_arr / want
            if np.allclose(ratio, n, rtol=1e-3):
                return Feedback(False, f"{name} is {n} times too large: the loss must be the mean "
                                       "(tf.reduce_mean), not the sum, of the squared errors", ex)
        feedback = check_close(got, want, exercise=ex, name=name, rtol=1e-4, atol=1e-5)
        if not feedback:
            return feedback
    return Feedback(True, "correct: both gradients match 2/N·xᵀr and 2/N·Σr", ex)


# ---------------------------------------------------------------- exercise 3
def exercise_3(fixed_grad) -> Feedback:
    """Check ``fixed_grad(w)`` = dL/dw for L = Σ log(1 + w²), with both bugs fixed.

    Introduced in chapter "Automatic differentiation with GradientTape".
    """
    ex = "Exercise 3"
    bad = check_callable(fixed_grad, exercise=ex, name="fixed_grad")
    if bad is not None:
        return bad
    for values in ([1.0, -2.0, 0.5], [3.0, 0.0, -0.25, 1.5]):
        w = tf.Variable(np.array(values, dtype=np.float32))
        out, fail = call_learner(fixed_grad, (w,), exercise=ex, name="fixed_grad")
        if fail is not None:
            return fail
        if out is None:
            return Feedback(False, "the gradient is still None. There are two bugs: the line that "
                                   "rebinds `w` (the tape watches the variable, not a new tensor made "
                                   "from it) and the NumPy call (the tape cannot see through NumPy)", ex)
        v = np.array(values)
        expected = 2 * v / (1 + v**2)
        got_arr = np.asarray(out.numpy() if hasattr(out, "numpy") else out, dtype=np.float64)
        if got_arr.shape == v.shape and all_close(got_arr, 1 / (1 + v**2)):
            return Feedback(False, "the inner derivative 2w is missing (chain rule)", ex)
        feedback = check_close(out, expected, exercise=ex, name="the gradient", rtol=1e-4, atol=1e-6,
                               success="correct: 2w / (1 + w²), and no more None")
        if not feedback:
            return feedback
    return feedback


# ---------------------------------------------------------------- exercise 4
_SECOND_DERIVATIVE_CASES = (
    ("x³ at x = 3", lambda x: x**3, 3.0, 18.0, 27.0),
    ("sin(x) at x = 1", tf.sin, 1.0, -np.sin(1.0), np.cos(1.0)),
    ("exp(2x) at x = 0.5", lambda x: tf.exp(2.0 * x), 0.5, 4 * np.e, 2 * np.e),
)


def exercise_4(second_derivative) -> Feedback:
    """Check ``second_derivative(fn, x)`` on x³, sin x and e^(2x).

    Introduced in chapter "Automatic differentiation with GradientTape".
    """
    ex = "Exercise 4"
    bad = check_callable(second_derivative, exercise=ex, name="second_derivative")
    if bad is not None:
        return bad
    results = []
    for label, fn, x, second, first in _SECOND_DERIVATIVE_CASES:
        out, fail = call_learner(second_derivative, (fn, x), exercise=ex, name=f"second_derivative for {label}")
        if fail is not None:
            return fail
        value, problem = _number(out)
        if problem == "None":
            return Feedback(False, f"for {label} the result is None. Compute the inner gradient "
                                   "*inside* the outer tape's `with` block, and make sure both tapes "
                                   "watch x (a tf.Variable is watched by both automatically)", ex)
        if problem:
            return Feedback(False, f"for {label} the result is {problem}", ex)
        results.append((label, value, second, first))
    if all(np.isclose(v, first, rtol=1e-4) and not np.isclose(v, second, rtol=1e-4)
           for _, v, second, first in results):
        return Feedback(False, "these are first derivatives: differentiate the inner gradient again "
                               "with the outer tape", ex)
    got = np.array([value for _, value, _, _ in results])
    expected = np.array([second for _, _, second, _ in results])
    labels = ", ".join(label for label, *_ in results)
    return check_close(got, expected, exercise=ex, name=f"the second derivatives of {labels}",
                       rtol=1e-4, atol=1e-5,
                       success="correct: nested tapes give the second derivative of all three functions")


# ---------------------------------------------------------------- exercise 5
def _value_and_grad(fn, x, scale=1.0):
    x = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        target = None if y is None else scale * tf.convert_to_tensor(y, dtype=tf.float32)
    grad = None if target is None else tape.gradient(target, x)
    return y, grad


def exercise_5(safe_norm) -> Feedback:
    """Check ``safe_norm``: value ‖x‖, gradient x/‖x‖, and gradient 0 (not NaN) at x = 0.

    Introduced in chapter "Automatic differentiation with GradientTape".
    """
    ex = "Exercise 5"
    bad = check_callable(safe_norm, exercise=ex, name="safe_norm")
    if bad is not None:
        return bad
    point = np.array([3.0, 4.0], dtype=np.float32)
    result, fail = call_learner(_value_and_grad, (safe_norm, point), exercise=ex, name="safe_norm([3, 4])")
    if fail is not None:
        return fail
    value, grad = result
    number, problem = _number(value)
    if problem:
        return Feedback(False, f"safe_norm([3, 4]) returned {problem}: it should return the norm, 5", ex)
    if np.isclose(number, 25.0):
        return Feedback(False, "safe_norm([3, 4]) is 25, the squared norm: take the square root", ex)
    if not np.isclose(number, 5.0, rtol=1e-5):
        return Feedback(False, f"safe_norm([3, 4]) = {number:g}, expected 5 = √(3² + 4²)", ex)
    if grad is None:
        return Feedback(False, "the gradient of safe_norm is None: compute it in TensorFlow operations "
                               "and return (value, grad_fn) from a @tf.custom_gradient function", ex)
    feedback = check_close(grad, point / 5.0, exercise=ex, name="the gradient at [3, 4]", rtol=1e-5,
                           atol=1e-6)
    if not feedback:
        return feedback
    result, fail = call_learner(_value_and_grad, (safe_norm, point, 3.0), exercise=ex,
                         name="the gradient of 3·safe_norm([3, 4])")
    if fail is not None:
        return fail
    grad3 = result[1]
    if grad3 is not None and all_close(grad3, point / 5.0, rtol=1e-5, atol=1e-6):
        return Feedback(False, "the gradient ignores `upstream`: the gradient of 3·‖x‖ came out the "
                               "same as that of ‖x‖. Multiply by upstream (chain rule)", ex)
    feedback = check_close(grad3, 3.0 * point / 5.0, exercise=ex, name="the gradient of 3·safe_norm",
                           rtol=1e-5, atol=1e-6, none_hint="the gradient through safe_norm is None")
    if not feedback:
        return feedback
    zero = np.zeros(3, dtype=np.float32)
    result, fail = call_learner(_value_and_grad, (safe_norm, zero), exercise=ex, name="safe_norm(0)")
    if fail is not None:
        return fail
    value0, grad0 = result
    number0, problem = _number(value0)
    if problem or not np.isclose(number0, 0.0, atol=1e-7):
        return Feedback(False, f"safe_norm of the zero vector should be 0, got {value0}", ex)
    if grad0 is None:
        return Feedback(False, "the gradient at x = 0 is None", ex)
    g0 = np.asarray(grad0.numpy() if hasattr(grad0, "numpy") else grad0, dtype=np.float64)
    if np.isnan(g0).any():
        return Feedback(False, "the gradient at x = 0 is NaN: 0/0 in x / ‖x‖. In the custom gradient, "
                               "return zeros where the norm is 0 (tf.where(norm > 0, ..., 0))", ex)
    return check_close(g0, np.zeros(3), exercise=ex, name="the gradient at x = 0", atol=1e-7,
                       success="correct: the norm's gradient is x/‖x‖, and 0 (not NaN) at the origin")
