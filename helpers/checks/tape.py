"""Exercise checks for chapter "Automatic differentiation with GradientTape", declared.

Introduced in chapter "Automatic differentiation with GradientTape". Each ``exercise_N``
is a :class:`~helpers.checks.Exercise`: call it on the learner's answer to get a ✅ or ❌
:class:`~helpers.checks.Feedback` that says what is wrong; it never raises.

1. the cause of each of eight gradients, by the numbers of the chapter's catalogue
   (a value, compared key by key with a hint for each wrong one);
2. per-example gradients of a logistic loss with ``tape.jacobian`` (a function,
   compared with the hand formula on public and hidden data);
3. sinc without a NaN gradient at 0: the double-where trick (judged under a tape);
4. a NumPy root solver made differentiable with ``tf.custom_gradient`` and the implicit
   derivative, judged against finite differences (judged);
5. a training loop with four planted bugs, fixed until it learns the best line (judged
   by running it).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .. import gradcheck
from ._core import Feedback
from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5",
           "EX1_CAUSES", "solve_cubic_np"]

CHAPTER = "tape"


def _as_array(value):
    """``value`` (tensor, array, number) as a float64 NumPy array, or None if it is not one."""
    if value is None or value is Ellipsis or isinstance(value, (str, bytes)):
        return None
    try:
        arr = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except Exception:  # noqa: BLE001 - not numbers: the caller says so in words
        return None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return None
    return arr.astype(np.float64)


def _where(mask) -> str:
    """The points ``x = ...`` where ``mask`` is true, for a message."""
    return ", ".join(f"{v:g}" for v in np.unique(mask))


# ================================================================ exercise 1
#: Exercise 1: the catalogue's causes, by number, as the exercise lists them.
EX1_CAUSES = {
    0: "not None: the tape returns a gradient",
    1: "a variable replaced by a tensor",
    2: "NumPy or a Python number in the path",
    3: "an integer dtype",
    4: "a write to a variable inside the tape",
    5: "a source that is not watched",
    6: "computed outside the tape",
    7: "an operation without a gradient",
}
_EX1_ANSWER = {"a": 7, "b": 0, "c": 5, "d": 6, "e": 3, "f": 1, "g": 4, "h": 0}
_EX1_HINTS = {
    "a": "run it: the gradient is None, yet w is a float variable used inside the tape. Which "
         "operation has a derivative of zero almost everywhere, so TensorFlow gives it none?",
    "b": "run it: the gradient is not None. The comparison and its cast have no gradient, but "
         "is that the only path from w to y?",
    "c": "look at how w is created: which variables does the tape watch without being told?",
    "d": "where is tf.exp(w) computed, and what did the tape record?",
    "e": "look at the dtype of the variable itself: tf.Variable(3) holds an int32",
    "f": "after the second line, what type of object is w, and which object does "
         "tape.gradient get?",
    "g": "y is computed from v, and v was written by assign: is a write to a variable a "
         "differentiable operation?",
    "h": "run it: the gradient is not None. stop_gradient cuts one of the two paths from w to y; "
         "the other one remains (so the gradient is 1.3, not 2.6)",
}


def _compare_causes(got, expected) -> str | None:
    if not isinstance(got, dict):
        return f"causes must be a dict like {{'a': 0, 'b': 7, ...}}, got a {type(got).__name__}"
    missing = [key for key in expected if key not in got]
    if missing:
        return f"causes has no answer for {', '.join(missing)}: give one number for each snippet"
    unanswered = [key for key in expected if got[key] is Ellipsis]
    if unanswered:
        verb = "holds" if len(unanswered) == 1 else "hold"
        return (f"{', '.join(unanswered)} still {verb} the placeholder ... (three dots): "
                "replace it by the number of the cause, 0 to 7")
    wrong, malformed = [], []
    for key, want in expected.items():
        value = got[key]
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                or not 0 <= int(value) <= 7):
            malformed.append(key)
        elif int(value) != want:
            wrong.append(key)
    if malformed:
        return (f"{', '.join(malformed)}: each answer must be one whole number from 0 to 7, the "
                "cause of the list (0 when the tape does return a gradient)")
    if wrong:
        hints = "; ".join(f"{key}: {_EX1_HINTS[key]}" for key in wrong)
        return f"{len(wrong)} of {len(expected)} not right yet. {hints}"
    return None


exercise_1 = Exercise(
    CHAPTER, 1, stars=1, answer="value", name="causes",
    reference=_EX1_ANSWER,
    compare=_compare_causes,
    success="correct: all eight diagnosed. Note b and h: a cut path is not a None when another "
            "path remains, and then the gradient is silently incomplete",
)


# ================================================================ exercise 2
def _ex2_case(seed: int, n: int, d: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    t = rng.choice([-1.0, 1.0], size=n).astype(np.float32)
    w = rng.normal(scale=0.5, size=d).astype(np.float32)
    return tf.constant(x), tf.constant(t), tf.Variable(w)


def _ex2_inputs():
    # One public case: in eager mode every tape.jacobian call traces a graph, and
    # TensorFlow warns about frequent retracing after five of them in a row.
    return [_ex2_case(1, 6, 3)]


def _ex2_hidden():
    return [_ex2_case(2, 9, 2), _ex2_case(3, 1, 4), _ex2_case(4, 40, 5)]


def _numpy(*tensors):
    return [np.asarray(t.numpy() if hasattr(t, "numpy") else t, dtype=np.float64) for t in tensors]


def _per_example_reference(x, t, w):
    """Row i: the gradient of softplus(-t_i x_i . w) with respect to w."""
    x, t, w = _numpy(x, t, w)
    margin = t * (x @ w)
    return -(t / (1.0 + np.exp(margin)))[:, None] * x  # -t_i sigma(-m_i) x_i


def _summed_gradient(x, t, w):
    return _per_example_reference(x, t, w).sum(axis=0)


def _mean_loss_rows(x, t, w):
    return _per_example_reference(x, t, w) / len(np.asarray(t))


def _no_inner_derivative(x, t, w):
    x, t, w = _numpy(x, t, w)
    return (1.0 / (1.0 + np.exp(t * (x @ w))))[:, None] * x  # sigma(-m) x: -t dropped


exercise_2 = Exercise(
    CHAPTER, 2, stars=2, answer="function", name="per_example_grads",
    reference=_per_example_reference,
    inputs=_ex2_inputs, hidden_inputs=_ex2_hidden,
    mistakes=[
        (_summed_gradient,
         "that is the gradient of the summed loss, one vector for all examples: tape.gradient "
         "adds up the examples. Keep one row per example with tape.jacobian(losses, w)"),
        (_mean_loss_rows,
         "each row is N times too small: you differentiated the mean loss. Differentiate the "
         "vector of the N losses themselves, one per example"),
        (_no_inner_derivative,
         "the inner derivative of the margin is missing: d/dw of -t x.w brings a factor -t "
         "(chain rule)"),
    ],
    rtol=1e-4, atol=1e-6,
    success="correct: one gradient per example, and they add up to tape.gradient's",
)


# ================================================================ exercise 3
_SINC_POINTS = np.array([-7.5, -3.0, -0.5, 0.0, 0.25, 2.0, 10.0], dtype=np.float32)
_SINC_GRID = np.array([[0.0, 1.0], [4.0, 0.0]], dtype=np.float32)


def _sinc_true(x):
    x = np.asarray(x, dtype=np.float64)
    safe = np.where(x == 0, 1.0, x)
    value = np.where(x == 0, 1.0, np.sin(safe) / safe)
    grad = np.where(x == 0, 0.0, (safe * np.cos(safe) - np.sin(safe)) / safe**2)
    return value, grad


def _run_under_tape(fn, name: str, points):
    """``(value, gradient of the sum, None)`` of the learner's ``fn`` at ``points``, or a message."""
    x = tf.constant(points)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = fn(x)
        if out is None:
            return None, None, f"{name} returned None: did you forget to return the result?"
        if out is Ellipsis:
            return None, None, f"{name} returned the placeholder ...: write the function body"
        try:
            y = tf.convert_to_tensor(out)
        except (TypeError, ValueError) as exc:
            return None, None, f"{name} must return a tensor, got {type(out).__name__} ({exc})"
        if not y.dtype.is_floating:
            return None, None, f"{name} must return a tensor of numbers, got {y.dtype.name}"
        if y.dtype != tf.float32:
            return None, None, (f"{name} must return float32 for a float32 input, got {y.dtype.name}: "
                                "keep every constant and operation in float32")
        total = tf.reduce_sum(y)
    return y.numpy(), tape.gradient(total, x), None


_SINC_NAN_VALUE = "sinc(0) is NaN: sin(0)/0 is 0/0. Return 1 where x == 0 (tf.where)"
_SINC_NONE = ("the gradient of sinc is None: the tape saw no path from x to the result. Keep the "
              "computation in TensorFlow operations (no NumPy, no .numpy())")
_SINC_DOUBLE_WHERE = (
    "the values are right but the gradient at x = 0 is NaN: tf.where still differentiates the "
    "branch it did not select, and sin(x)/x at x = 0 gives 0/0 there, times 0 is NaN. Make that "
    "branch's input safe first: an inner tf.where that replaces x = 0 by any nonzero number, "
    "then the outer tf.where (the double-where trick)")


def _judge_sinc(sinc) -> str | None:
    for points in (_SINC_POINTS, _SINC_GRID):
        value, grad, problem = _run_under_tape(sinc, "sinc", points)
        if problem:
            return problem
        want_value, want_grad = _sinc_true(points)
        if value.shape != points.shape:
            return f"sinc(x) must have the shape of x, {points.shape}, got {value.shape}"
        at_zero = points == 0
        if np.isnan(value[at_zero]).any():
            return _SINC_NAN_VALUE
        if not np.all(np.isfinite(value)):
            return f"sinc is NaN or infinite at x = {_where(points[~np.isfinite(value)])}"
        bad = ~np.isclose(value, want_value, rtol=1e-5, atol=1e-6)
        if bad.any():
            k = int(np.argmax(bad.reshape(-1)))
            return (f"sinc is not right yet at x = {points.reshape(-1)[k]:g}: got "
                    f"{value.reshape(-1)[k]:.6g}, expected {want_value.reshape(-1)[k]:.6g}")
        if grad is None:
            return _SINC_NONE
        grad = grad.numpy()
        if np.isnan(grad[at_zero]).any() and np.isfinite(grad[~at_zero]).all():
            return _SINC_DOUBLE_WHERE
        if not np.all(np.isfinite(grad)):
            return f"the gradient is NaN or infinite at x = {_where(points[~np.isfinite(grad)])}"
        if not np.allclose(grad[at_zero], 0.0, atol=1e-6):
            return (f"the gradient at x = 0 is {grad[at_zero][0]:.4g}, but sinc is smooth and even, "
                    "so its slope at 0 is 0: return a constant there")
        bad = ~np.isclose(grad, want_grad, rtol=1e-4, atol=1e-5)
        if bad.any():
            k = int(np.argmax(bad.reshape(-1)))
            return (f"the gradient is not right yet at x = {points.reshape(-1)[k]:g}: got "
                    f"{grad.reshape(-1)[k]:.6g}, expected {want_grad.reshape(-1)[k]:.6g} = "
                    "(x cos x - sin x) / x squared")
    return None


def _sinc_right(x):
    safe = tf.where(x == 0, tf.ones_like(x), x)
    return tf.where(x == 0, tf.ones_like(x), tf.sin(safe) / safe)


exercise_3 = Exercise(
    CHAPTER, 3, stars=2, answer="function", name="sinc",
    judge=_judge_sinc, right=_sinc_right,
    mistakes=[
        (lambda x: tf.sin(x) / x, _SINC_NAN_VALUE),
        (lambda x: tf.where(x == 0, 1.0, tf.sin(x) / x), _SINC_DOUBLE_WHERE),
        (lambda x: tf.constant(np.sinc(x.numpy() / np.pi).astype(np.float32)), _SINC_NONE),
    ],
    success="correct: sinc has the right values and a finite gradient everywhere, 0 at x = 0",
)


# ================================================================ exercise 4
def solve_cubic_np(x):
    """The real root y of y**3 + y = x, element-wise, by Newton's method in float64 NumPy.

    Introduced in chapter "Automatic differentiation with GradientTape" (exercise 4): a
    stand-in for a solver from a library outside TensorFlow.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.cbrt(x)  # starts beyond the root, from where Newton converges
    for _ in range(50):
        y = y - (y**3 + y - x) / (3 * y**2 + 1)
    return y


_CUBIC_POINTS = np.array([-30.0, -2.0, -0.3, 0.0, 0.5, 3.0, 10.0], dtype=np.float32)
_CUBIC_WEIGHTS = np.array([1.0, -2.0, 0.5, 3.0, 1.0, -1.0, 2.0], dtype=np.float32)

_CUBIC_NONE = ("the gradient is None: the tape cannot see inside the NumPy solver. Decorate the "
               "function with @tf.custom_gradient and return the root together with a function "
               "of upstream that gives the gradient")
_CUBIC_RECIPROCAL = ("the gradient is 3y squared + 1, which is dx/dy, the slope of y cubed + y; "
                     "the solver maps x to y, so you need its reciprocal, dy/dx")
_CUBIC_AT_X = ("the gradient uses x where it needs y: the derivative 1/(3y squared + 1) is "
               "evaluated at the root y, not at the input x")
_CUBIC_UPSTREAM = ("the gradient ignores upstream: for the loss sum(k * y) it should be "
                   "k * dy/dx, but came out as dy/dx. Multiply by upstream (chain rule)")
_CUBIC_NO_ONE = ("the gradient is NaN or infinite at x = 0, where the root is y = 0. If you "
                 "wrote the backward rule, differentiate both terms of y cubed + y = x (is the "
                 "+ 1 there?); if the tape differentiates your own TensorFlow code, something "
                 "in it (a cube root, a division) has an infinite slope at 0")


def _judge_cubic(cubic_root) -> str | None:
    x = tf.constant(_CUBIC_POINTS)
    k = tf.constant(_CUBIC_WEIGHTS)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = cubic_root(x)
        if out is None:
            return "cubic_root returned None: did you forget to return the root?"
        if out is Ellipsis:
            return "cubic_root returned the placeholder ...: write the function body"
        y = tf.convert_to_tensor(out)
        if not y.dtype.is_floating:
            return f"cubic_root must return a tensor of numbers, got {y.dtype.name}"
        if y.dtype != tf.float32:
            return f"cubic_root must return float32 for a float32 input, got {y.dtype.name}"
        loss = tf.reduce_sum(k * y)
    y_np = y.numpy().astype(np.float64)
    if y_np.shape != _CUBIC_POINTS.shape:
        return f"cubic_root(x) must have the shape of x, {_CUBIC_POINTS.shape}, got {y_np.shape}"
    root = solve_cubic_np(_CUBIC_POINTS)
    if not np.allclose(y_np, root, rtol=1e-5, atol=1e-6):
        i = int(np.argmax(np.abs(y_np - root)))
        return (f"cubic_root is not the root yet at x = {_CUBIC_POINTS[i]:g}: got {y_np[i]:.6g}, "
                f"but y cubed + y = x needs y = {root[i]:.6g}")
    grad = tape.gradient(loss, x)
    if grad is None:
        return _CUBIC_NONE
    g = grad.numpy().astype(np.float64)
    kk = _CUBIC_WEIGHTS.astype(np.float64)
    xx = _CUBIC_POINTS.astype(np.float64)
    if not np.all(np.isfinite(g)):
        if not np.isfinite(g[xx == 0]).all():
            return _CUBIC_NO_ONE
        return f"the gradient is NaN or infinite at x = {_where(xx[~np.isfinite(g)])}"
    right = kk / (3 * root**2 + 1)
    for wrong, message in ((kk * (3 * root**2 + 1), _CUBIC_RECIPROCAL),
                           (kk / (3 * xx**2 + 1), _CUBIC_AT_X),
                           (1 / (3 * root**2 + 1), _CUBIC_UPSTREAM)):
        if np.allclose(g, wrong, rtol=1e-4) and not np.allclose(g, right, rtol=1e-4):
            return message
    check = gradcheck.check_gradient(lambda v: np.sum(kk * solve_cubic_np(v)), xx, g, rtol=1e-4,
                                     atol=1e-6)
    if not check:
        return f"the gradient disagrees with finite differences: {check}"
    return None


@tf.custom_gradient
def _cubic_right(x):
    y = tf.constant(solve_cubic_np(x.numpy()), dtype=x.dtype)

    def grad(upstream):
        return upstream / (3 * y**2 + 1)

    return y, grad


def _cubic_mistake(backward):
    @tf.custom_gradient
    def cubic_root(x):
        y = tf.constant(solve_cubic_np(x.numpy()), dtype=x.dtype)
        return y, lambda upstream: backward(upstream, x, y)

    return cubic_root


exercise_4 = Exercise(
    CHAPTER, 4, stars=3, answer="function", name="cubic_root",
    judge=_judge_cubic, right=_cubic_right,
    mistakes=[
        (lambda x: tf.constant(solve_cubic_np(x.numpy()), dtype=x.dtype), _CUBIC_NONE),
        (_cubic_mistake(lambda u, x, y: u * (3 * y**2 + 1)), _CUBIC_RECIPROCAL),
        (_cubic_mistake(lambda u, x, y: u / (3 * x**2 + 1)), _CUBIC_AT_X),
        (_cubic_mistake(lambda u, x, y: 1 / (3 * y**2 + 1)), _CUBIC_UPSTREAM),
        (_cubic_mistake(lambda u, x, y: u / (3 * y**2)), _CUBIC_NO_ONE),
    ],
    success="correct: the root, and a gradient 1/(3y squared + 1) that agrees with finite "
            "differences, without the tape ever seeing the solver",
)


# ================================================================ exercise 5
_LINE_STEPS = 100


def _line_data():
    rng = np.random.default_rng(2024)
    x = rng.uniform(-2.0, 2.0, size=50).astype(np.float32)
    y = (1.5 * x - 0.8 + rng.normal(scale=0.3, size=50)).astype(np.float32)
    return x, y


def _best_line(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    w, b = np.polyfit(x, y, 1)
    return w, b, float(np.mean((w * x + b - y) ** 2))


def _is_integer(value) -> bool:
    return getattr(getattr(value, "dtype", None), "is_integer", False)


def _judge_training(train_line):
    x_np, y_np = _line_data()
    try:
        result = train_line(tf.constant(x_np), tf.constant(y_np))
    except Exception as exc:  # noqa: BLE001 - the learner's crash, explained in words
        error = f"{type(exc).__name__}: {exc}"
        if "NoneType" in str(exc):
            return ("train_line(x, y) raised an error because a gradient was None. Print the "
                    "gradients to see which one, then look for the four causes: a variable "
                    "replaced by a tensor (w = w - ...), an integer variable, work done before "
                    f"the tape starts, and NumPy inside the tape. The error was {error}")
        return f"train_line(x, y) raised {error}"
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return "train_line must return three things: w, b and the list of losses"
    w, b, losses = result
    for name, value in (("w", w), ("b", b)):
        if _is_integer(value):
            return (f"{name} is an integer variable ({value.dtype.name}): the tape gives no "
                    f"gradient through integers, so {name} never trains. Create it as a float, "
                    f"tf.Variable(0.0)")
        if isinstance(value, tf.Tensor) and not isinstance(value, tf.Variable):
            return (f"{name} came back as a tf.Tensor, not the tf.Variable it started as: a line "
                    f"like {name} = {name} - lr * grad replaced it. Update it in place with "
                    f"{name}.assign_sub(lr * grad)")
    curve = _as_array(losses)
    if curve is None or curve.ndim != 1 or len(curve) != _LINE_STEPS:
        return (f"losses must hold one number per step, {_LINE_STEPS} of them, got "
                f"{type(losses).__name__}" + (f" of shape {curve.shape}" if curve is not None else ""))
    if not np.all(np.isfinite(curve)):
        return "the loss became NaN or infinite: the steps diverge (a sign or a learning rate?)"
    start = float(np.mean(y_np.astype(np.float64) ** 2))
    if not np.isclose(curve[0], start, rtol=1e-4):
        return (f"the first loss is {curve[0]:.4f}, but the starting line w = 0, b = 0 has the "
                f"loss {start:.4f}: record the loss of each step before updating")
    if curve[-1] > curve[0]:
        return (f"the loss grows, from {curve[0]:.4f} to {curve[-1]:.4f}: move against the "
                "gradient (assign_sub of lr times the gradient)")
    if curve[-1] > 0.99 * curve[0]:
        return (f"the loss does not fall (it stays at {curve[0]:.4f}): the parameters never move. "
                "Are the gradients None and skipped, or computed from something the tape did "
                "not record?")
    best_w, best_b, best_loss = _best_line(x_np, y_np)
    got_w, got_b = float(np.asarray(w)), float(np.asarray(b))
    if abs(got_w - best_w) > 0.02 or abs(got_b - best_b) > 0.02:
        return (f"the loss falls, from {curve[0]:.3f} to {curve[-1]:.3f}, but stays above the best "
                f"line's {best_loss:.3f}: you got w = {got_w:.3f}, b = {got_b:.3f}, the best line "
                f"has w = {best_w:.3f}, b = {best_b:.3f}. Does every parameter get a gradient and "
                "an update?")
    return Feedback(True, f"correct: the loop learns. The loss falls from {curve[0]:.3f} to "
                          f"{curve[-1]:.3f}, the best line's, with w = {got_w:.3f} and "
                          f"b = {got_b:.3f}")


def _train_line_right(x, y, steps=_LINE_STEPS, lr=0.1):
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + b - y))
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)
        losses.append(float(loss))
    return w, b, losses


def _train_line_skips_none(x, y, steps=_LINE_STEPS, lr=0.1):  # b still an int, None skipped
    w, b = tf.Variable(0.0), tf.Variable(0)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + tf.cast(b, tf.float32) - y))
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        losses.append(float(loss))
    return w, b, losses


def _train_line_outside(x, y, steps=_LINE_STEPS, lr=0.1):  # forward pass before the tape
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    losses = []
    for _ in range(steps):
        y_hat = w * x + b
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y_hat - y))
        grads = tape.gradient(loss, [w, b])
        for v, g in zip((w, b), grads):
            v.assign_sub(lr * g)
    return w, b, losses


def _train_line_frozen_bias(x, y, steps=_LINE_STEPS, lr=0.1):  # b is never trained
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + tf.stop_gradient(b) - y))
        grad_w = tape.gradient(loss, w)
        w.assign_sub(lr * grad_w)
        losses.append(float(loss))
    return w, b, losses


exercise_5 = Exercise(
    CHAPTER, 5, stars=3, answer="function", name="train_line",
    judge=_judge_training, right=_train_line_right,
    mistakes=[
        (_train_line_skips_none, "b is an integer variable"),
        (_train_line_outside, "a gradient was None"),
        (_train_line_frozen_bias, "but stays above the best line's"),
    ],
    success="correct: the loop learns the best line",
)
