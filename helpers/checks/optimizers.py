"""Checks for the exercises of chapter "Optimizers from scratch, verified against Keras".

Each check runs the learner's code on fixed inputs, compares with the right answer and,
when it is wrong, recognises the usual mistakes (a sign error, the old momentum used,
PyTorch's convention, a missing bias correction, a step count off by one, ...).
"""

from __future__ import annotations

import numpy as np

from ._core import Feedback, call_learner, check_callable, diagnose

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4"]




def _pair(result, exercise, name, names):
    """Unpack a 2-tuple answer into float64 arrays, or explain why it cannot be."""
    if result is None or result is Ellipsis:
        return None, Feedback(False, f"{name} returned {result!r}: it must return ({names[0]}, {names[1]})",
                              exercise)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None, Feedback(False, f"{name} must return a pair ({names[0]}, {names[1]}), got "
                                     f"{type(result).__name__}", exercise)
    arrays = []
    for value, what in zip(result, names):
        if value is None or value is Ellipsis:
            return None, Feedback(False, f"{what} is {value!r}: compute it and return it", exercise)
        try:
            arrays.append(np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64))
        except (TypeError, ValueError):
            return None, Feedback(False, f"{what} cannot be read as numbers (got a {type(value).__name__})",
                                  exercise)
    return arrays, None


def _matches(got, expected):
    return all(g.shape == e.shape and np.allclose(g, e, rtol=1e-5, atol=1e-7) for g, e in zip(got, expected))


# ---------------------------------------------------------------- exercise 1
_E1_ARGS = (
    np.array([1.0, -2.0, 0.5], dtype=np.float32),  # theta
    np.array([0.3, -0.1, 0.2], dtype=np.float32),  # m (the velocity from earlier steps)
    np.array([0.5, 1.0, -2.0], dtype=np.float32),  # g
    0.1,  # lr
    0.9,  # beta
)


def _momentum_variants(theta, m, g, lr, beta):
    theta, m, g = (np.asarray(a, dtype=np.float64) for a in (theta, m, g))
    right = beta * m - lr * g
    return {
        "right": (theta + right, right),
        "sign": (theta + (beta * m + lr * g), beta * m + lr * g),
        "old m": (theta + m, right),
        "pytorch": (theta - lr * (beta * m + g), beta * m + g),
        "no beta": (theta + (m - lr * g), m - lr * g),
        "nesterov": (theta + beta * right - lr * g, right),
    }


def exercise_1(momentum_step) -> Feedback:
    """Check ``momentum_step(theta, m, g, lr, beta) -> (new_theta, new_m)`` in Keras's form.

    Introduced in chapter "Optimizers from scratch, verified against Keras".
    """
    ex, name = "Exercise 1", "momentum_step"
    problem = check_callable(momentum_step, exercise=ex, name=name)
    if problem is not None:
        return problem
    result, problem = call_learner(momentum_step, _E1_ARGS, exercise=ex, name=name)
    if problem is not None:
        return problem
    got, problem = _pair(result, ex, name, ("new_theta", "new_m"))
    if problem is not None:
        return problem
    variants = _momentum_variants(*_E1_ARGS)
    want = variants["right"]
    if _matches(got, want):
        return Feedback(True, "correct: m ← βm − ηg, then θ ← θ + m (Keras's SGD with momentum)", ex)
    if _matches(got[::-1], want):
        return Feedback(False, "the two results are swapped: return (new_theta, new_m) in that order", ex)
    hints = {
        "sign": "sign error: the velocity must point downhill, m ← βm − ηg (minus the gradient)",
        "old m": "θ moved by the old velocity: update m first, then add the new m to θ",
        "pytorch": ("this is PyTorch's convention (m ← βm + g, θ ← θ − ηm); Keras puts the learning "
                    "rate inside the velocity: m ← βm − ηg, θ ← θ + m"),
        "no beta": "the old velocity is not decayed: multiply m by β before adding −ηg",
        "nesterov": "this is Nesterov's step (θ ← θ + βm − ηg); plain momentum adds just the new m",
    }
    for key, hint in hints.items():
        if _matches(got, variants[key]):
            return Feedback(False, hint, ex)
    for value, expected, what in zip(got, want, ("new_theta", "new_m")):
        problem = diagnose(value, expected, name=what)
        if problem is not None:
            return Feedback(False, problem, ex)
    return Feedback(False, "not right yet", ex)  # pragma: no cover - diagnose finds a difference


# ---------------------------------------------------------------- exercise 2
_E2_CASES = (
    (np.array([0.05, -0.02]), np.array([2.5e-4, 4.0e-5]), 3, 0.9, 0.999),
    (np.array([0.3]), np.array([0.09]), 1, 0.8, 0.99),
)


def _bias_variants(m, v, t, b1, b2):
    return {
        "right": (m / (1 - b1**t), v / (1 - b2**t)),
        "none": (m, v),
        "only m": (m / (1 - b1**t), v),
        "only v": (m, v / (1 - b2**t)),
        "t-1": (m / (1 - b1 ** (t - 1)), v / (1 - b2 ** (t - 1))) if t > 1 else None,
        "t+1": (m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))),
        "beta^t": (m / b1**t, v / b2**t),
        "multiply": (m * (1 - b1**t), v * (1 - b2**t)),
        "swapped": (m / (1 - b2**t), v / (1 - b1**t)),
    }


def exercise_2(bias_corrected) -> Feedback:
    """Check ``bias_corrected(m, v, t, beta_1, beta_2) -> (m_hat, v_hat)`` (Adam's correction).

    Introduced in chapter "Optimizers from scratch, verified against Keras".
    """
    ex, name = "Exercise 2", "bias_corrected"
    problem = check_callable(bias_corrected, exercise=ex, name=name)
    if problem is not None:
        return problem
    hints = {
        "none": "m and v came back unchanged: divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ)",
        "only m": "m is corrected but v is not: divide v by (1 − β₂ᵗ) too",
        "only v": "v is corrected but m is not: divide m by (1 − β₁ᵗ) too",
        "t-1": "the step count is off by one: t is already this step's number (1 on the first step)",
        "t+1": "the step count is off by one: use t as given, not t + 1",
        "beta^t": "divide by (1 − βᵗ), not by βᵗ: the averages start at 0 and are too small by 1 − βᵗ",
        "multiply": "divide by (1 − βᵗ) instead of multiplying: the correction makes m and v larger",
        "swapped": "β₁ and β₂ are swapped: m goes with β₁ and v with β₂",
    }
    for case in _E2_CASES:
        result, problem = call_learner(bias_corrected, case, exercise=ex, name=name)
        if problem is not None:
            return problem
        got, problem = _pair(result, ex, name, ("m_hat", "v_hat"))
        if problem is not None:
            return problem
        variants = _bias_variants(*case)
        if _matches(got, variants["right"]):
            continue
        for key, hint in hints.items():
            if variants[key] is not None and _matches(got, variants[key]):
                return Feedback(False, hint, ex)
        for value, expected, what in zip(got, variants["right"], ("m_hat", "v_hat")):
            problem = diagnose(value, expected, name=f"{what} (t={case[2]})")
            if problem is not None:
                return Feedback(False, problem, ex)
    return Feedback(True, "correct: m̂ = m / (1 − β₁ᵗ) and v̂ = v / (1 − β₂ᵗ)", ex)


# ---------------------------------------------------------------- exercise 3
def _run_optimizer(opt, steps=30):
    """Minimise a fixed quadratic with ``opt``; return the path of the variable (steps+1, 3)."""
    import tensorflow as tf

    scale = tf.constant([1.0, 4.0, 0.5])
    target = tf.constant([1.0, -1.0, 2.0])
    theta = tf.Variable([0.0, 0.5, -1.0])
    path = [theta.numpy().copy()]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(scale * (theta - target) ** 2)
        opt.apply([tape.gradient(loss, theta)], [theta])
        path.append(theta.numpy().copy())
    return np.array(path, dtype=np.float64)


def exercise_3(MyNesterov) -> Feedback:
    """Check a ``MyNesterov`` subclass of ``helpers.optimizers.Optimizer`` against Keras's form.

    Introduced in chapter "Optimizers from scratch, verified against Keras". The class is
    built as ``MyNesterov(learning_rate=0.05, momentum=0.8)`` and run for 30 steps on a
    quadratic; the reference is ``helpers.optimizers.Nesterov`` (tested equal to Keras's
    ``SGD(nesterov=True)``).
    """
    from helpers import optimizers

    ex = "Exercise 3"
    if MyNesterov is None or MyNesterov is Ellipsis:
        return Feedback(False, "MyNesterov is missing: define the class in the cell above", ex)
    if not (isinstance(MyNesterov, type) and issubclass(MyNesterov, optimizers.Optimizer)):
        return Feedback(False, "MyNesterov must be a class that subclasses helpers.optimizers.Optimizer "
                               "(class MyNesterov(Optimizer): ...)", ex)
    try:
        opt = MyNesterov(learning_rate=0.05, momentum=0.8)
        got = _run_optimizer(opt)
    except Exception as exc:  # noqa: BLE001
        return Feedback(False, f"running MyNesterov raised {type(exc).__name__}: {exc}", ex)
    want = _run_optimizer(optimizers.Nesterov(learning_rate=0.05, momentum=0.8))
    if np.allclose(got, want, rtol=1e-5, atol=1e-6):
        return Feedback(True, "correct: m ← βm − ηg, θ ← θ + βm − ηg matches Keras's SGD(nesterov=True)", ex)
    if np.allclose(got[1:], got[0]):
        return Feedback(False, "the variable never moved: update_step must change it "
                               "(variable.assign_add(...)); is a `...` still there?", ex)
    if np.allclose(got, _run_optimizer(optimizers.Momentum(learning_rate=0.05, momentum=0.8)), rtol=1e-5, atol=1e-6):
        return Feedback(False, "this is classical momentum (θ ← θ + m); Nesterov's step in Keras's form "
                               "is θ ← θ + βm − ηg, with the m just updated", ex)
    if np.allclose(got, _run_optimizer(optimizers.SGD(learning_rate=0.05)), rtol=1e-5, atol=1e-6):
        return Feedback(False, "this is plain SGD: the velocity m is not used; keep it in "
                               "self.slot(variable, 'momentum') and update it every step", ex)
    if not np.all(np.isfinite(got)) or np.abs(got[-1]).max() > 1e3:
        return Feedback(False, "the variable runs away: a sign error? The step must go against the "
                               "gradient (− ηg) and m must be decayed by β", ex)
    step = np.argmax(np.any(~np.isclose(got, want, rtol=1e-5, atol=1e-6), axis=1))
    return Feedback(False, f"not Keras's Nesterov yet: the paths first differ after step {step}; "
                           "update m ← βm − ηg, then θ ← θ + βm − ηg", ex)


# ---------------------------------------------------------------- exercise 4
_E4_CASES = ((1, 0.5, 0.1), (10, 2.0, 0.01), (100, 0.1, 1.0), (3, -1.5, 0.5))


def _adagrad_variants(t, g, lr, eps=1e-7, g0=0.1):
    return {
        "right": lr * abs(g) / np.sqrt(g0 + t * g**2 + eps),
        "paper": lr * abs(g) / (eps + np.sqrt(t * g**2)),
        "t-1": lr * abs(g) / np.sqrt(g0 + (t - 1) * g**2 + eps),
        "no sqrt": lr * abs(g) / (g0 + t * g**2 + eps),
        "no t": lr * abs(g) / np.sqrt(g0 + g**2 + eps),
        "no lr": abs(g) / np.sqrt(g0 + t * g**2 + eps),
    }


def exercise_4(adagrad_step_size) -> Feedback:
    """Check ``adagrad_step_size(t, g, lr)``: |Δθ| of step t under a constant gradient g.

    Introduced in chapter "Optimizers from scratch, verified against Keras". Keras's
    Adagrad defaults: accumulator starting at 0.1, ε = 1e-7 inside the square root.
    """
    ex, name = "Exercise 4", "adagrad_step_size"
    problem = check_callable(adagrad_step_size, exercise=ex, name=name)
    if problem is not None:
        return problem
    hints = {
        "paper": ("this is the paper's form (accumulator from 0, ε outside the root); Keras's "
                  "accumulator starts at 0.1 and ε is inside: η|g| / √(0.1 + t·g² + ε)"),
        "t-1": "off by one step: at step t the accumulator already holds t squared gradients",
        "no sqrt": "the square root is missing: divide by √(0.1 + t·g² + ε)",
        "no t": "the accumulator only holds one g²: it adds g² at every step, t of them by step t",
        "no lr": "the learning rate η is missing from the step",
    }
    for t, g, lr in _E4_CASES:
        result, problem = call_learner(adagrad_step_size, (t, g, lr), exercise=ex, name=name)
        if problem is not None:
            return problem
        variants = _adagrad_variants(t, g, lr)
        problem = diagnose(result, variants["right"], name=f"adagrad_step_size({t}, {g}, {lr})", rtol=1e-5,
                           atol=1e-12)
        if problem is None:
            continue
        if problem.startswith(f"adagrad_step_size({t}, {g}, {lr}) has the wrong sign"):
            return Feedback(False, "a size is positive: return |Δθ| (the step itself points against g)", ex)
        value = np.asarray(result.numpy() if hasattr(result, "numpy") else result)
        if value.size != 1 or value.dtype.kind not in "fiu":  # not one number: say so
            return Feedback(False, problem, ex)
        value = float(value)
        for key, hint in hints.items():
            if np.isclose(value, variants[key], rtol=1e-5, atol=0) or np.isclose(-value, variants[key], rtol=1e-5, atol=0):
                return Feedback(False, hint, ex)
        return Feedback(False, problem, ex)
    return Feedback(True, "correct: step t has size η|g| / √(0.1 + t·g² + ε), shrinking like 1/√t", ex)
