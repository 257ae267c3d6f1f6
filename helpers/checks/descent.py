"""Exercise checks for chapter "Gradient descent with the tape", declared.

Introduced in chapter "Gradient descent with the tape". Four declarations
(:class:`~helpers.checks.Exercise`) and the small pure helpers they need:

1. the regime of each learning rate on a new parabola, read from its curvature (a value);
2. the largest stable learning rate 2/lambda_max of a linear model, from its data (a function);
3. a training loop with three planted bugs, fixed until it learns on two data sets (judged);
4. Newton's step, which lands on the least-squares line in one step (a function);
5. Keras's compile and fit made to reproduce a hand-written full-batch loop (a function).
"""

from __future__ import annotations

import numpy as np

from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5", "EX1_CURVATURE",
           "EX1_RATES", "EX3_STEPS", "exercise_3_data"]

# ----------------------------------------------------------------------------- exercise 1
#: Exercise 1: f(x) = 2.5 (x + 1)^2 has the second derivative 5.
EX1_CURVATURE = 5.0
#: Exercise 1: the learning rates to classify (none on a boundary between two regimes).
EX1_RATES = (0.05, 0.2, 0.3, 0.39, 0.45)
_REGIMES = ("monotone", "one step", "oscillates", "diverges")
_SYNONYMS = {
    "monotone": "monotone", "monotonic": "monotone", "monotonically": "monotone",
    "converges": "monotone", "converges monotonically": "monotone", "crawls": "monotone",
    "one step": "one step", "one": "one step", "1 step": "one step", "exact": "one step",
    "oscillates": "oscillates", "oscillate": "oscillates", "oscillating": "oscillates",
    "zigzag": "oscillates", "zigzags": "oscillates",
    "diverges": "diverges", "diverge": "diverges", "diverging": "diverges", "explodes": "diverges",
}


def regime(learning_rate: float, curvature: float) -> str:
    """What gradient descent does on a parabola of second derivative ``curvature``.

    Introduced in chapter "Gradient descent with the tape": the distance to the minimum
    is multiplied by 1 - learning_rate * curvature at every step.
    """
    factor = 1.0 - learning_rate * curvature
    if np.isclose(factor, 0.0, atol=1e-9):
        return "one step"
    if 0.0 < factor < 1.0:
        return "monotone"
    if -1.0 < factor < 0.0:
        return "oscillates"
    return "diverges"


def _regimes(curvature: float) -> dict:
    return {lr: regime(lr, curvature) for lr in EX1_RATES}


_EX1_HALF = ("these are the regimes for the curvature 2.5, the number in front of the square; "
             "the second derivative of 2.5 (x + 1) squared is 2 times 2.5 = 5, so the factor is "
             "1 - 5 eta")
_EX1_DOUBLE = ("these are the regimes for the curvature 10: the second derivative of "
               "2.5 (x + 1) squared is 5 (differentiate twice: 5 (x + 1), then 5)")
_WHAT = {"monotone": "shrinks without changing sign: it approaches the minimum from one side",
         "one step": "is 0: the first step lands on the minimum",
         "oscillates": "is between -1 and 0: x jumps across the minimum and the jumps shrink",
         "diverges": "is below -1: every jump is longer than the last"}


def _compare_regimes(got, expected) -> str | None:
    """Per-rate feedback: which learning rate is misread, and its factor 1 - 5 eta."""
    if not isinstance(got, dict):
        return f"regimes must be a dict from learning rate to regime, got {type(got).__name__}"
    unknown = [lr for lr in expected if str(got.get(lr, "")).strip().lower() not in _SYNONYMS]
    if unknown:
        return (f"for eta = {unknown[0]:g} answer with one of: " + ", ".join(_REGIMES)
                + f" (got {got.get(unknown[0])!r})")
    normalised = {lr: _SYNONYMS[str(got[lr]).strip().lower()] for lr in expected}
    if normalised == _regimes(EX1_CURVATURE / 2):
        return _EX1_HALF
    for lr, want in expected.items():
        if normalised[lr] != want:
            factor = 1.0 - lr * EX1_CURVATURE
            return (f"not {normalised[lr]} for eta = {lr:g}: the factor 1 - 5 eta is {factor:+.2f}, "
                    f"which {_WHAT[want]}")
    return None


exercise_1 = Exercise(
    "descent", 1, stars=1, answer="value", name="regimes",
    reference=_regimes(EX1_CURVATURE),
    mistakes=[(_regimes(EX1_CURVATURE / 2), _EX1_HALF), (_regimes(2 * EX1_CURVATURE), _EX1_DOUBLE)],
    compare=_compare_regimes,
    success="correct: the factor 1 - 5 eta decides, so 0.2 is one step and 0.4 is the limit",
)


# ----------------------------------------------------------------------------- exercise 2
def _design(seed: int, n: int, scales, means):
    rng = np.random.default_rng(seed)
    scales, means = np.asarray(scales, float), np.asarray(means, float)
    return (means + scales * rng.standard_normal((n, scales.size))).astype(np.float32)


def _ex2_inputs():
    rng = np.random.default_rng(4)
    return [(rng.uniform(0.0, 10.0, size=(50, 1)).astype(np.float32),),
            (_design(5, 80, [1.0, 3.0, 0.2], [0.0, 2.0, -1.0]),),
            (_design(6, 40, [0.5, 0.5], [0.0, 0.0]),)]


def _ex2_hidden():
    return [(_design(7, 30, [2.0, 0.1, 1.0, 4.0], [1.0, 0.0, 0.0, -3.0]),),
            (_design(8, 100, [1.0], [0.0]),)]


def stable_limit(X, *, bias: bool = True, factor: float = 2.0, mean: bool = True,
                 smallest: bool = False, numerator: float = 2.0) -> float:
    """2 / lambda_max of the MSE Hessian of ``X @ w + b`` (the keywords make known mistakes).

    Introduced in chapter "Gradient descent with the tape".
    """
    X = np.asarray(X, dtype=np.float64)
    A = np.column_stack([X, np.ones(len(X))]) if bias else X
    hessian = factor * A.T @ A / (len(X) if mean else 1.0)
    eigenvalues = np.linalg.eigvalsh(hessian)
    return float(numerator / (eigenvalues.min() if smallest else eigenvalues.max()))


def _scalar(result, *args):
    value = result.numpy() if hasattr(result, "numpy") else result
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - left as it is for the diagnosis
        return result
    return arr.reshape(()) if arr.size == 1 and arr.dtype != object else result


exercise_2 = Exercise(
    "descent", 2, stars=2, answer="function", name="max_stable_lr",
    reference=stable_limit,
    inputs=_ex2_inputs, hidden_inputs=_ex2_hidden, observe=_scalar, rtol=1e-4, atol=1e-9,
    none_hint="your function returned None: did you forget the return statement?",
    mistakes=[
        (lambda X: stable_limit(X, bias=False),
         "the bias b is a parameter too: add a column of ones to X before forming the Hessian "
         "(the chapter's line had the entries mean(x) and 1 for it)"),
        (lambda X: stable_limit(X, factor=1.0),
         "twice the right limit: the Hessian of the mean squared error is (2/n) A transpose A, "
         "the 2 coming from the square"),
        (lambda X: stable_limit(X, mean=False),
         "n times too small: the loss is a mean over the n examples, so divide the Hessian by n"),
        (lambda X: stable_limit(X, smallest=True),
         "that uses the smallest curvature: the steepest direction, the largest eigenvalue, "
         "sets the limit"),
        (lambda X: stable_limit(X, numerator=1.0),
         "half the limit: a step along a direction of curvature lambda multiplies the error by "
         "1 - eta lambda, which stays above -1 up to eta = 2 / lambda"),
    ],
    success="correct: 2 / lambda_max of (2/n) A transpose A, with the column of ones for b",
)


# ----------------------------------------------------------------------------- exercise 3
#: Exercise 3: the number of full-batch steps each data set gets.
EX3_STEPS = 400
_EX3_SETS = (  # (seed, feature scales, feature means, true w, true b)
    (11, [1.0, 0.5], [0.5, -0.3], [2.0, -1.0], 0.5),
    (12, [3.0, 1.0], [1.0, 0.5], [-0.5, 1.5], 2.0),
)


def exercise_3_data() -> list[tuple[np.ndarray, np.ndarray]]:
    """Exercise 3's two data sets ``(X, y)``: float32, X of shape (n, 2), y of shape (n,).

    Introduced in chapter "Gradient descent with the tape". The features of the second set
    are three times larger, so its Hessian is steeper and its learning-rate limit lower.
    """
    sets = []
    for seed, scales, means, w, b in _EX3_SETS:
        X = _design(seed, 200, scales, means)
        noise = 0.1 * np.random.default_rng(seed + 100).standard_normal(200)
        sets.append((X, (X.astype(np.float64) @ np.array(w) + b + noise).astype(np.float32)))
    return sets


_EX3_BROADCAST = ("the loss compares every prediction with every target: X @ w + b has shape (n, 1) "
                  "and y has shape (n,), so their difference broadcasts to (n, n). Reshape y to "
                  "(n, 1) or use the first column of the predictions")
_EX3_NO_BIAS = ("w is the best fit through the origin and b never moved from 0: the loop "
                "computes db but never applies it")
_EX3_DIVERGES = ("the fit diverged: a fixed learning rate that is stable for one data set is "
                 "above 2 / lambda_max for the other; compute the learning rate from X, below "
                 "its limit (Exercise 2)")
_EX3_SLOW = ("it learns, but it has not reached the least-squares fit in the given steps: the "
             "learning rate is far below the limit 2 / lambda_max; a rate near 1 / lambda_max "
             "converges much sooner")


def _least_squares(X, y, *, bias: bool = True):
    X64, y64 = np.asarray(X, np.float64), np.asarray(y, np.float64)
    A = np.column_stack([X64, np.ones(len(X64))]) if bias else X64
    solution = np.linalg.lstsq(A, y64, rcond=None)[0]
    return (solution[:-1], float(solution[-1])) if bias else (solution, 0.0)


def _as_fit(out, d: int):
    """``(w, b)`` as a float64 array of shape (d,) and a float, or a sentence on what is wrong."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return None, f"fixed_fit must return a pair (w, b), got {type(out).__name__}"
    try:
        w = np.asarray(out[0].numpy() if hasattr(out[0], "numpy") else out[0], dtype=np.float64)
        b = np.asarray(out[1].numpy() if hasattr(out[1], "numpy") else out[1], dtype=np.float64)
    except (TypeError, ValueError):
        return None, "w and b must be numbers (arrays, tensors or floats)"
    if w.size != d:
        return None, f"w must hold {d} weights, one per feature, got {w.size}"
    if b.size != 1:
        return None, f"b must be one number, got {b.size}"
    return (w.reshape(d), float(b.reshape(()))), None


def _mse(X, y, w, b) -> float:
    return float(np.mean((np.asarray(X, np.float64) @ w + b - np.asarray(y, np.float64)) ** 2))


def _judge_fit(fixed_fit):
    for k, (X, y) in enumerate(exercise_3_data()):
        where = f" (data set {k + 1}, whose limit 2 / lambda_max is {stable_limit(X):.3g})"
        out = fixed_fit(X.copy(), y.copy(), EX3_STEPS)
        if out is None:
            return "fixed_fit returned None: return the pair (w, b)"
        fit, problem = _as_fit(out, X.shape[1])
        if problem:
            return problem
        w, b = fit
        if not (np.all(np.isfinite(w)) and np.isfinite(b)) or max(np.max(np.abs(w)), abs(b)) > 1e4:
            return _EX3_DIVERGES + where
        w_ls, b_ls = _least_squares(X, y)
        if np.allclose(w, w_ls, atol=2e-3) and abs(b - b_ls) < 2e-3:
            continue
        y_mean = np.full_like(y, float(np.mean(y)))
        w_bc, _ = _least_squares(X, y_mean, bias=False)
        close = dict(atol=5e-2, rtol=5e-2)
        if (np.allclose(w, 0.0, atol=5e-2) and np.isclose(b, float(np.mean(y)), **close)) or (
                np.allclose(w, w_bc, **close) and abs(b) < 1e-9):
            return _EX3_BROADCAST
        w_origin, _ = _least_squares(X, y, bias=False)
        if abs(b) < 1e-9 and np.allclose(w, w_origin, **close):
            return _EX3_NO_BIAS
        start, end = _mse(X, y, np.zeros_like(w), 0.0), _mse(X, y, w, b)
        if end < start:
            return (_EX3_SLOW + f"{where}: after {EX3_STEPS} steps the MSE is {end:.4g}, the best "
                    f"is {_mse(X, y, w_ls, b_ls):.4g}")
        return (f"the fit is not right yet{where}: w = {np.round(w, 3).tolist()}, b = {b:.3f}, while "
                f"least squares gives w = {np.round(w_ls, 3).tolist()}, b = {b_ls:.3f}")
    return None


def _fit_reference(X, y, steps, *, learning_rate=None, broadcast=False, update_b=True):
    """Full-batch gradient descent on the MSE in NumPy (float64), with switchable bugs."""
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    lr = stable_limit(X) / 2 if learning_rate is None else learning_rate  # 1 / lambda_max
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        if not (np.all(np.isfinite(w)) and np.isfinite(b)) or np.max(np.abs(w)) > 1e100:
            return w, b  # diverged: stop before NumPy overflows
        if broadcast:  # every prediction against every target: the mean target is what is fitted
            residual = X @ w + b - np.mean(y)
        else:
            residual = X @ w + b - y
        w = w - lr * 2 * X.T @ residual / len(y)
        if update_b:
            b = b - lr * 2 * float(np.mean(residual))
    return w, b


exercise_3 = Exercise(
    "descent", 3, stars=3, answer="function", name="fixed_fit",
    judge=_judge_fit,
    right=lambda X, y, steps: _fit_reference(X, y, steps),
    mistakes=[
        (lambda X, y, steps: _fit_reference(X, y, steps, learning_rate=0.5, broadcast=True,
                                            update_b=False), _EX3_BROADCAST),
        (lambda X, y, steps: _fit_reference(X, y, steps, learning_rate=0.5, update_b=False),
         _EX3_NO_BIAS),
        (lambda X, y, steps: _fit_reference(X, y, steps, learning_rate=0.5), _EX3_DIVERGES),
        (lambda X, y, steps: _fit_reference(X, y, steps, learning_rate=0.005), _EX3_SLOW),
    ],
    success=("correct: on both data sets the loop reaches the least-squares fit, with a learning "
             "rate computed from the curvature of each"),
)


# ----------------------------------------------------------------------------- exercise 4
def _ex4_data(seed: int, n: int, slope: float, intercept: float, low: float, high: float):
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=n).astype(np.float32)
    y = (slope * x + intercept + rng.normal(0.0, 1.0, size=n)).astype(np.float32)
    return x, y


def _ex4_inputs():
    x, y = _ex4_data(21, 60, 2.5, 3.0, 0.0, 10.0)
    x2, y2 = _ex4_data(22, 30, -1.0, 0.5, -3.0, 1.0)
    return [(x, y, 0.0, 0.0), (x.copy(), y.copy(), 5.0, -3.0), (x2, y2, 1.0, 1.0)]


def _ex4_hidden():
    x, y = _ex4_data(23, 200, 0.3, -4.0, 5.0, 6.0)
    return [(x, y, 2.0, 2.0)]


def newton(x, y, W, b, *, hessian_factor: float = 1.0, invert: bool = True, sign: float = -1.0,
           diagonal: bool = False, plain: bool = False):
    """One Newton step theta - H^-1 grad on the MSE of W x + b (keywords make known mistakes).

    Introduced in chapter "Gradient descent with the tape". Returns ``np.array([W, b])``.
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    theta = np.array([float(W), float(b)])
    residual = theta[0] * x + theta[1] - y
    grad = 2 * np.array([np.mean(residual * x), np.mean(residual)])
    hessian = hessian_factor * 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    if plain:
        step = grad
    elif diagonal:
        step = grad / np.diag(hessian)
    elif invert:
        step = np.linalg.solve(hessian, grad)
    else:
        step = hessian @ grad
    return theta + sign * step


def _pair(result, *args):
    try:
        values = [v.numpy() if hasattr(v, "numpy") else v for v in result]
        arr = np.asarray([np.asarray(v, dtype=np.float64).reshape(()) for v in values])
    except Exception:  # noqa: BLE001 - left as it is for the diagnosis
        return result
    return arr if arr.shape == (2,) else result


exercise_4 = Exercise(
    "descent", 4, stars=2, answer="function", name="newton_step",
    reference=newton, inputs=_ex4_inputs, hidden_inputs=_ex4_hidden, observe=_pair,
    rtol=1e-4, atol=1e-4,
    none_hint="your function returned None: return the pair (W, b)",
    mistakes=[
        (lambda x, y, W, b: newton(x, y, W, b, plain=True),
         "that is a plain gradient step with learning rate 1: multiply the gradient by the inverse "
         "of the Hessian, for example with np.linalg.solve(H, g)"),
        (lambda x, y, W, b: newton(x, y, W, b, invert=False),
         "you multiplied the gradient by the Hessian itself: Newton's step uses its inverse"),
        (lambda x, y, W, b: newton(x, y, W, b, sign=1.0),
         "the step went the wrong way: subtract H inverse times the gradient"),
        (lambda x, y, W, b: newton(x, y, W, b, hessian_factor=0.5),
         "the step is twice too long (it lands on the mirror image of the start across the "
         "minimum): the Hessian of the mean squared error has a factor 2"),
        (lambda x, y, W, b: newton(x, y, W, b, diagonal=True),
         "you divided each partial derivative by its own curvature (the diagonal of the "
         "Hessian): the off-diagonal entry 2 mean(x) couples W and b, so solve with the whole "
         "matrix"),
    ],
    success="correct: from any start, one Newton step lands on the least-squares line",
)


# ----------------------------------------------------------------------------- exercise 5
def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow warning for large |z|


def logistic_descent(X, y, learning_rate, epochs, *, batch_size=None, sigmoid_twice=False):
    """Gradient descent from zeros on the mean sigmoid cross-entropy of X @ w + b.

    Introduced in chapter "Gradient descent with the tape". Full batches unless
    ``batch_size`` is given (then consecutive, unshuffled batches, as Keras cuts them
    with ``shuffle=False``); ``sigmoid_twice`` feeds sigmoid(z) to the loss as logits.
    Returns ``np.array([*w, b])``.
    """
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64).reshape(-1)
    w, b = np.zeros(X.shape[1]), 0.0
    size = len(y) if batch_size is None else batch_size
    for _ in range(epochs):
        for start in range(0, len(y), size):
            xb, yb = X[start:start + size], y[start:start + size]
            z = xb @ w + b
            if sigmoid_twice:
                s = _sigmoid(z)
                dz = (_sigmoid(s) - yb) * s * (1.0 - s)
            else:
                dz = _sigmoid(z) - yb
            w = w - learning_rate * xb.T @ dz / len(yb)
            b = b - learning_rate * float(np.mean(dz))
    return np.append(w, b)


def _ex5_data(seed: int, n: int, d: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    true_w = rng.standard_normal(d)
    y = (rng.uniform(size=n) < _sigmoid(X.astype(np.float64) @ true_w + 0.5)).astype(np.float32)
    return X, y


def _ex5_inputs():
    return [(*_ex5_data(31, 60, 3), 0.5, 15), (*_ex5_data(32, 100, 2), 1.0, 10)]


def _ex5_hidden():
    return [(*_ex5_data(33, 45, 4), 0.3, 12)]


def _weights_and_bias(result, *args):
    """``(w, b)`` as one array ``[*w, b]``, or the result unchanged for the diagnosis."""
    try:
        w, b = result
        w = np.asarray(w.numpy() if hasattr(w, "numpy") else w, np.float64).reshape(-1)
        b = np.asarray(b.numpy() if hasattr(b, "numpy") else b, np.float64).reshape(-1)
    except Exception:  # noqa: BLE001 - left as it is for the diagnosis
        return result
    return np.append(w, b) if b.size == 1 else result


def _compare_fit(got, expected) -> str | None:
    from ._core import diagnose

    problem = diagnose(got, expected, name="(w, b)", rtol=1e-4, atol=1e-5)
    if problem is None or "shape" in problem or "None" in problem or "numbers" in problem:
        return problem
    return ("(w, b) is not what full-batch gradient descent from zeros gives: check the three "
            "things that fit and Dense decide for you, the starting kernel (kernel_initializer "
            "zeros), the batch size (all of X in one batch) and the shuffling (shuffle=False); "
            "and give the loss the logits: " + problem)


exercise_5 = Exercise(
    "descent", 5, stars=2, answer="function", name="keras_logistic",
    reference=logistic_descent, inputs=_ex5_inputs, hidden_inputs=_ex5_hidden,
    observe=_weights_and_bias, compare=_compare_fit, rtol=1e-4, atol=1e-5,
    none_hint="your function returned None: return the pair (w, b)",
    mistakes=[
        (lambda X, y, lr, epochs: logistic_descent(X, y, lr, epochs, batch_size=32),
         "Keras took mini-batches of 32, its default: pass batch_size=len(X) for one "
         "full-batch step per epoch"),
        (lambda X, y, lr, epochs: np.zeros(np.shape(X)[1] + 1),
         "w and b never left zero: without from_logits=True the loss reads the outputs as "
         "probabilities and clips them to between 0 and 1, and a linear layer that starts at 0 "
         "gets no gradient through the clip; the layer gives logits, so say from_logits=True"),
    ],
    success="correct: with zeros, one full batch and no shuffling, fit is the hand-written loop",
)
