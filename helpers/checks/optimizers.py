"""Checks for the exercises of chapter "Optimizers from scratch, verified against Keras".

Introduced in chapter "Optimizers from scratch, verified against Keras". Each
``exercise_N`` is a declared :class:`~helpers.checks.Exercise`: call it on your answer
for a ✅, or a ❌ with the likely mistake in words. A check never raises on a wrong
answer. The reference answers below are the worked solutions; the wrong answers next
to them are the slips the messages explain. Exercises 4 and 5 are judged by what the
answer does: a tuned optimizer must reach a target, a new optimizer must take the same
steps as Keras's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np

from ._core import diagnose
from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]


def _numpy(value):
    """A NumPy array of a tensor, array or number; anything else unchanged."""
    if value is None or value is Ellipsis:
        return value
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return value


# ------------------------------------------------ exercise 1: PyTorch's momentum, with a schedule
def torch_momentum(theta, grads, lrs, beta):
    """Reference: PyTorch's momentum, v ← βv + g, θ ← θ − η_t v, over given gradients."""
    theta = np.array(theta, dtype=np.float64)
    v = np.zeros_like(theta)
    for g, lr in zip(grads, lrs):
        v = beta * v + np.asarray(g, dtype=np.float64)
        theta = theta - lr * v
    return theta


def _keras_momentum(theta, grads, lrs, beta):
    theta = np.array(theta, dtype=np.float64)
    m = np.zeros_like(theta)
    for g, lr in zip(grads, lrs):
        m = beta * m - lr * np.asarray(g, dtype=np.float64)
        theta = theta + m
    return theta


def _torch_variant(theta, grads, lrs, beta, *, damp=False, old_v=False, sign=-1.0,
                   first_lr=False):
    theta = np.array(theta, dtype=np.float64)
    v = np.zeros_like(theta)
    for g, lr in zip(grads, lrs):
        lr = lrs[0] if first_lr else lr
        new_v = beta * v + (1 - beta if damp else 1.0) * np.asarray(g, dtype=np.float64)
        theta = theta + sign * lr * (v if old_v else new_v)
        v = new_v
    return theta


def _momentum_cases():
    rng = np.random.default_rng(61)
    grads = rng.normal(size=(8, 3))
    return [(np.array([1.0, -2.0, 0.5]), grads, np.full(8, 0.1), 0.9),     # constant rate
            (np.array([1.0, -2.0, 0.5]), grads, 0.2 * 0.5 ** np.arange(8), 0.9)]  # a decay


def _momentum_hidden():
    rng = np.random.default_rng(62)
    return [(rng.normal(size=(2, 2)), rng.normal(size=(12, 2, 2)),
             np.geomspace(0.3, 0.01, 12), 0.8)]


exercise_1 = Exercise(
    "optimizers", 1, stars=1, answer="function", name="torch_momentum",
    reference=torch_momentum, inputs=_momentum_cases, hidden_inputs=_momentum_hidden,
    observe=lambda result, *args: _numpy(result), rtol=1e-6, atol=1e-9,
    mistakes=[
        (_keras_momentum,
         "this is Keras's form (m ← βm − ηg, θ ← θ + m), which equals PyTorch's only while the "
         "learning rate is constant: Keras's velocity keeps the old rates inside it. PyTorch's "
         "velocity adds up gradients only, v ← βv + g, and each step multiplies all of it by "
         "this step's rate"),
        (lambda theta, grads, lrs, beta: _torch_variant(theta, grads, lrs, beta, damp=True),
         "the velocity averages the gradients, v ← βv + (1 − β)g: that is PyTorch's dampening "
         "option, off by default; the velocity adds the whole gradient"),
        (lambda theta, grads, lrs, beta: _torch_variant(theta, grads, lrs, beta, old_v=True),
         "θ moved by the velocity of the previous step: update v first, then step by the new v"),
        (lambda theta, grads, lrs, beta: _torch_variant(theta, grads, lrs, beta, sign=1.0),
         "θ moved uphill: the step subtracts η v"),
        (lambda theta, grads, lrs, beta: _torch_variant(theta, grads, lrs, beta, first_lr=True),
         "every step used the first learning rate: step t uses lrs[t]"),
    ],
    none_hint="return theta after the last step",
    success="correct: v ← βv + g, θ ← θ − η_t v; with a schedule it leaves Keras's path",
)


# ------------------------------------------------ exercise 2: clipping by the global norm
def clip_by_global_norm(grads, clip_norm):
    """Reference: every gradient times min(1, clip_norm / the norm of all of them together)."""
    arrays = [np.asarray(g, dtype=np.float64) for g in grads]
    norm = np.sqrt(sum(float(np.sum(a**2)) for a in arrays))
    factor = min(1.0, clip_norm / norm) if norm > 0 else 1.0
    return [a * factor for a in arrays]


def _clip_each(grads, clip_norm):
    arrays = [np.asarray(g, dtype=np.float64) for g in grads]
    return [a * min(1.0, clip_norm / np.sqrt(np.sum(a**2))) for a in arrays]


def _clip_always(grads, clip_norm):
    arrays = [np.asarray(g, dtype=np.float64) for g in grads]
    return [a * clip_norm / np.sqrt(sum(np.sum(b**2) for b in arrays)) for a in arrays]


def _clip_squared_norm(grads, clip_norm):
    arrays = [np.asarray(g, dtype=np.float64) for g in grads]
    return [a * min(1.0, clip_norm / sum(np.sum(b**2) for b in arrays)) for a in arrays]


def _clip_values(grads, clip_norm):
    return [np.clip(np.asarray(g, dtype=np.float64), -clip_norm, clip_norm) for g in grads]


def _gradient_lists():
    import tensorflow as tf

    matrix = tf.constant([[0.8, -1.5, 0.2], [2.0, 0.1, -0.4]])
    vector, scalar = tf.constant([0.3, -0.9, 1.2]), tf.constant(-2.5)
    small = [matrix / 10, vector / 10, scalar / 10]
    return [([matrix, vector, scalar], 1.0),   # global norm about 4.0: scaled down
            (small, 1.0),                      # about 0.4: left unchanged
            ([matrix, vector, scalar], 2.7)]   # each alone is below 2.7, together above


def _gradient_hidden():
    import tensorflow as tf

    rng = np.random.default_rng(63)
    return [([tf.constant(rng.normal(size=s).astype(np.float32)) for s in ((4, 3), (3,), (3, 1))],
             0.5)]


def _observe_list(result, *args):
    if isinstance(result, (list, tuple)):
        return [_observe_list(r) if isinstance(r, (list, tuple)) else _numpy(r) for r in result]
    return _numpy(result)


def _compare_clipped(got, expected):
    if got is None:
        return "clip_by_global_norm returned None: did you forget to return the list?"
    if isinstance(got, (list, tuple)) and len(got) == 2 and isinstance(got[0], (list, tuple)):
        return ("clip_by_global_norm returned a pair (gradients, norm), as "
                "tf.clip_by_global_norm does: return only the list of clipped gradients")
    if not isinstance(got, (list, tuple)):
        return (f"clip_by_global_norm must return a list with one gradient per variable, "
                f"got {type(got).__name__}")
    if len(got) != len(expected):
        return f"clip_by_global_norm returned {len(got)} gradients for {len(expected)} variables"
    for i, (g, e) in enumerate(zip(got, expected)):
        problem = diagnose(g, e, name=f"gradient {i}", rtol=1e-5, atol=1e-6)
        if problem:
            return problem
    return None


exercise_2 = Exercise(
    "optimizers", 2, stars=2, answer="function", name="clip_by_global_norm",
    reference=clip_by_global_norm, inputs=_gradient_lists, hidden_inputs=_gradient_hidden,
    observe=_observe_list, compare=_compare_clipped,
    mistakes=[
        (_clip_each,
         "each gradient was clipped by its own norm (what Keras's clipnorm does): global "
         "clipping measures one norm over all the gradients together and scales all of them "
         "by the same factor, so the step keeps its direction"),
        (_clip_always,
         "the gradients were rescaled although their global norm was already below "
         "clip_norm: leave them unchanged then (the factor is min(1, clip_norm / norm))"),
        (_clip_squared_norm,
         "the norm is the square root of the sum of the squares of every entry of every "
         "gradient: the square root is missing"),
        (_clip_values,
         "each entry was clipped to the range from minus clip_norm to clip_norm (Keras's "
         "clipvalue): that changes the step's direction; global clipping scales the whole "
         "list by one factor"),
    ],
    none_hint="return the list of clipped gradients",
    success="correct: one norm over all the gradients, one factor min(1, c / norm) for all",
)


# ------------------------------------------------ exercise 3: where momentum and Nesterov diverge
#: f(θ) = ½ θᵀ A θ, momentum β = 0.6 for both methods.
A_MATRIX = np.array([[5.0, 2.0], [2.0, 2.0]])
BETA = 0.6
_LAMBDAS = np.linalg.eigvalsh(A_MATRIX)  # 1 and 6
_LAMBDA_MAX = float(_LAMBDAS.max())


def momentum_limits(lam=_LAMBDA_MAX, beta=BETA):
    """Reference: the largest stable η of Keras's momentum, 2(1 + β)/λ, and of its Nesterov,
    2(1 + β)/((1 + 2β)λ), from where an eigenvalue of the 2 × 2 step map reaches −1."""
    return {"Momentum": 2 * (1 + beta) / lam,
            "Nesterov": 2 * (1 + beta) / ((1 + 2 * beta) * lam)}


_SGD_LIMIT = 2 / float(_LAMBDAS.max())
_WRONG_LIMITS = {  # per optimizer: (wrong value, what it is)
    "Momentum": [
        (_SGD_LIMIT, "is plain SGD's limit 2/λ_max: the velocity changes where the run blows "
                     "up; write one step as a 2 by 2 linear map of (θ, m) along the steepest "
                     "eigenvector and find the η where one of its eigenvalues reaches −1"),
        (momentum_limits(lam=float(_LAMBDAS.min()))["Momentum"],
         "uses the smallest curvature: the steepest direction, λ_max, blows up first"),
        (momentum_limits(beta=0.9)["Momentum"],
         "is the limit for momentum 0.9, Keras's usual setting: this exercise uses 0.6"),
    ],
    "Nesterov": [
        (_SGD_LIMIT, "is plain SGD's limit 2/λ_max: Nesterov's look-ahead gradient changes "
                     "where the run blows up (and it is not the same as momentum's)"),
        (momentum_limits()["Momentum"],
         "is classical momentum's limit: Nesterov's step, θ ← θ + βm − ηg, uses the gradient "
         "twice and blows up sooner; write its 2 by 2 map of (θ, m) and look for the eigenvalue "
         "−1"),
        (momentum_limits(lam=float(_LAMBDAS.min()))["Nesterov"],
         "uses the smallest curvature: the steepest direction, λ_max, blows up first"),
        (momentum_limits(beta=0.9)["Nesterov"],
         "is the limit for momentum 0.9, Keras's usual setting: this exercise uses 0.6"),
    ],
}
_LIMIT_RTOL = 0.02
_SWAPPED = "the two limits are swapped: which of the two methods blows up first?"


def _compare_limits(got, expected):
    if not isinstance(got, Mapping):
        return (f"limits must be a dict with the keys 'Momentum' and 'Nesterov', "
                f"got {type(got).__name__}")
    missing = [key for key in expected if key not in got]
    if missing:
        return f"limits is missing the key(s) {missing}"
    for key in expected:
        if got[key] is Ellipsis or got[key] is None:
            what = "the placeholder ... (three dots)" if got[key] is Ellipsis else "None"
            return (f"limits[{key!r}] is still {what}: replace it with the learning rate "
                    "you found")
        value = _numpy(got[key])
        if not isinstance(value, np.ndarray) or value.size != 1:
            return f"limits[{key!r}] must be one number, got {got[key]!r}"
        value, want = float(value), expected[key]
        if not np.isfinite(value) or value <= 0:
            return f"limits[{key!r}] must be a positive learning rate, got {value:g}"
        if np.isclose(value, want, rtol=_LIMIT_RTOL, atol=0):
            continue
        for wrong, what in _WRONG_LIMITS[key]:
            if np.isclose(value, wrong, rtol=_LIMIT_RTOL, atol=0):
                return f"limits[{key!r}] {what} ({value:.4g})"
        other = "Nesterov" if key == "Momentum" else "Momentum"
        if np.isclose(value, expected[other], rtol=_LIMIT_RTOL, atol=0):
            return _SWAPPED
        side = ("below the limit: a slightly larger learning rate still converges, so search "
                "higher" if value < want else
                "above the limit: at that learning rate the run diverges, so search lower")
        return (f"limits[{key!r}] = {value:.4g} is {side} (run 1,000 steps or more: near "
                "the limit the growth is slow)")
    return None


exercise_3 = Exercise(
    "optimizers", 3, stars=2, answer="value", name="limits",
    reference=momentum_limits(), compare=_compare_limits, rtol=_LIMIT_RTOL, atol=0.0,
    mistakes=[
        ({"Momentum": _SGD_LIMIT, "Nesterov": _SGD_LIMIT},
         "both values are plain SGD's limit 2/λ_max: the velocity changes where a run blows "
         "up. Write one step as a 2 by 2 linear map of (θ, m) along the steepest eigenvector "
         "and find the η where one of its eigenvalues reaches −1"),
        ({"Momentum": momentum_limits()["Nesterov"], "Nesterov": momentum_limits()["Momentum"]},
         _SWAPPED),
        ({"Momentum": momentum_limits()["Momentum"], "Nesterov": momentum_limits()["Momentum"]},
         "limits['Nesterov'] " + _WRONG_LIMITS["Nesterov"][1][1]),
    ],
    success="correct: momentum is stable up to 2(1 + β)/λ_max, Nesterov only up to "
            "2(1 + β)/((1 + 2β)λ_max), below plain SGD's 2/λ_max",
)


# ------------------------------------------------ exercise 4: tune an optimizer for Rosenbrock
ROSENBROCK_START, ROSENBROCK_STEPS, ROSENBROCK_TARGET = (-1.2, 1.0), 300, 0.05


def _first_step(step, opt, variables):
    """Take one step, compiled with tf.function when the optimizer allows it (much faster);
    return the function to repeat. An optimizer that does not trace is run eagerly."""
    import tensorflow as tf

    try:
        build = getattr(opt, "build", None)
        if callable(build):
            build(variables)  # the state first, so that the step traces once
        compiled = tf.function(step, autograph=False)
        compiled()
        return compiled
    except Exception:  # noqa: BLE001 - not graph-friendly: take the steps eagerly instead
        step()
        return step


def rosenbrock_path(opt, steps=ROSENBROCK_STEPS):
    """The points an optimizer visits on f = (1 − x)² + 100 (y − x²)² from (−1.2, 1).

    Stops early when the point becomes NaN or leaves the square of side 2,000.
    """
    import tensorflow as tf

    point = tf.Variable(ROSENBROCK_START, dtype=tf.float32)
    path = [point.numpy().copy()]

    def step():
        with tf.GradientTape() as tape:
            x, y = point[0], point[1]
            f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
        opt.apply_gradients([(tape.gradient(f, point), point)])

    for k in range(steps):
        step = _first_step(step, opt, [point]) if k == 0 else step
        if k:
            step()
        path.append(point.numpy().copy())
        if not np.all(np.isfinite(path[-1])) or np.abs(path[-1]).max() > 1e3:
            break
    return np.array(path, dtype=np.float64)


def _judge_rosenbrock(make_optimizer):
    opt = make_optimizer()
    if opt is None or opt is Ellipsis:
        return ("make_optimizer returned nothing: it must return an optimizer, for example "
                "return hopt.Momentum(learning_rate=..., momentum=...)")
    if not hasattr(opt, "apply_gradients"):
        return (f"make_optimizer must return an optimizer (an object with apply_gradients), "
                f"got a {type(opt).__name__}")
    path = rosenbrock_path(opt)
    end = path[-1]
    if not np.all(np.isfinite(end)) or np.abs(end).max() > 1e3:
        return (f"the path diverged: the point flew off after {len(path) - 1} steps. The "
                "valley's walls are steep (curvature about 1,000 across it), so the "
                "learning rate must be small across the valley")
    if np.allclose(end, ROSENBROCK_START):
        return "the point did not move in 300 steps: is the learning rate zero?"
    distance = float(np.hypot(*(end - 1.0)))
    if distance < ROSENBROCK_TARGET:
        return None
    where = ("it is still on the first half of the valley's floor" if end[0] < 0.5 else
             "it is on the way along the floor")
    return (f"not within 0.05 of the minimum yet: after 300 steps the point is at "
            f"({end[0]:.3f}, {end[1]:.3f}), {distance:.3f} from (1, 1); {where}. The floor is "
            "nearly flat along the valley: what builds up speed along a steady direction "
            "without a larger step across the walls?")


def _right_rosenbrock():
    from helpers.optimizers import Momentum

    return Momentum(learning_rate=1.5e-3, momentum=0.95)


def _adam_as_in_the_text():
    from helpers.optimizers import Adam

    return Adam(learning_rate=0.1)


def _sgd_too_fast():
    from helpers.optimizers import SGD

    return SGD(learning_rate=0.01)


exercise_4 = Exercise(
    "optimizers", 4, stars=3, answer="function", name="make_optimizer",
    judge=_judge_rosenbrock, right=_right_rosenbrock,
    mistakes=[(_adam_as_in_the_text, "not within 0.05 of the minimum yet"),
              (_sgd_too_fast, "the path diverged")],
    success="correct: within 0.05 of (1, 1) after 300 steps, where every setting of the "
            "chapter fell short",
)


# ------------------------------------------------ exercise 5: AdamW, equal to Keras's
ADAMW_SETTINGS = dict(learning_rate=0.05, weight_decay=0.1, beta_1=0.8, beta_2=0.99,
                      epsilon=1e-6)
ADAMW_STEPS = 60


def _adamw_problem():
    rng = np.random.default_rng(65)
    shapes = [(3, 2), (2,), ()]
    starts = [rng.normal(size=s).astype(np.float32) for s in shapes]
    targets = [rng.normal(size=s).astype(np.float32) for s in shapes]
    return starts, targets


def adamw_path(opt, steps=ADAMW_STEPS):
    """Every variable after each of ``steps`` steps on a fixed problem, flattened: (steps + 1, 9)."""
    import tensorflow as tf

    starts, targets = _adamw_problem()
    variables = [tf.Variable(s) for s in starts]
    path = [np.concatenate([s.ravel() for s in starts])]

    def step():
        with tf.GradientTape() as tape:
            loss = sum(tf.reduce_sum((v - t) ** 2 + 0.3 * tf.sin(3 * v))
                       for v, t in zip(variables, targets))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for k in range(steps):
        step = _first_step(step, opt, variables) if k == 0 else step
        if k:
            step()
        path.append(np.concatenate([v.numpy().ravel() for v in variables]))
    return np.array(path, dtype=np.float64)


@functools.lru_cache(maxsize=1)
def _keras_adamw_path():
    import keras

    return adamw_path(keras.optimizers.AdamW(**ADAMW_SETTINGS))


def _adamw_classes():
    """A right AdamW and the usual slips, all in the style of helpers.optimizers."""
    from helpers.optimizers import Adam

    class AdamW(Adam):
        def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                     epsilon=1e-7):
            super().__init__(learning_rate, beta_1, beta_2, epsilon)
            self.weight_decay = weight_decay

        def decay(self, variable, lr):
            variable.assign_sub(variable * self.weight_decay * lr)  # θ ← θ − ηλθ

        def update_step(self, grad, variable, lr):
            self.decay(variable, lr)
            super().update_step(grad, variable, lr)

    class NoDecay(AdamW):
        def update_step(self, grad, variable, lr):
            Adam.update_step(self, grad, variable, lr)

    class L2(AdamW):
        def update_step(self, grad, variable, lr):
            Adam.update_step(self, grad + self.weight_decay * variable, variable, lr)

    class NoLearningRate(AdamW):
        def decay(self, variable, lr):
            variable.assign_sub(variable * self.weight_decay)

    class DecayAfter(AdamW):
        def update_step(self, grad, variable, lr):
            Adam.update_step(self, grad, variable, lr)
            self.decay(variable, lr)

    class Grows(AdamW):
        def decay(self, variable, lr):
            variable.assign_add(variable * self.weight_decay * lr)

    return AdamW, NoDecay, L2, NoLearningRate, DecayAfter, Grows


_ADAMW_MISTAKE_TEXT = (
    "the weight decay is missing: these are Adam's steps; shrink each weight by learning_rate "
    "times weight_decay times the weight, every step",
    "this is Adam with L2 regularisation: the decay term went into the gradient, so m and v "
    "rescale it. AdamW decouples it: θ ← θ − η λ θ, outside Adam's step",
    "the decay is not multiplied by the learning rate: Keras shrinks each weight by "
    "learning_rate times weight_decay times the weight",
    "the decay comes after Adam's step: Keras shrinks the weights first (from their values "
    "before the step), then takes Adam's step",
    "the weights grow: weight decay must shrink them, subtract η λ θ",
)
_ADAMW_CLASSES = _adamw_classes()


@functools.cache
def _mistake_path(k):
    return adamw_path(_ADAMW_CLASSES[k](**ADAMW_SETTINGS))


def _same_path(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5)


def _judge_adamw(cls):
    try:
        opt = cls(**ADAMW_SETTINGS)
    except TypeError as exc:
        return (f"AdamW(learning_rate=0.05, weight_decay=0.1, beta_1=0.8, beta_2=0.99, "
                f"epsilon=1e-6) raised TypeError: {exc}; keep the constructor's arguments")
    if opt is None or not isinstance(cls, type):
        return "AdamW must be a class: class AdamW(hopt.Adam), with an update_step method"
    if not hasattr(opt, "apply_gradients"):
        return "AdamW must subclass helpers.optimizers.Optimizer (or Adam) to get apply_gradients"
    got, want = adamw_path(opt), _keras_adamw_path()
    if _same_path(got, want):
        return None
    if not np.all(np.isfinite(got)):
        return "the variables became NaN or infinite: is a division or a sign wrong?"
    if np.allclose(got[1:], got[0]):
        return "the variables never moved: update_step must change the variable"
    for k, message in enumerate(_ADAMW_MISTAKE_TEXT, start=1):
        if _same_path(got, _mistake_path(k)):
            return message
    step = int(np.argmax(np.any(~np.isclose(got, want, rtol=1e-4, atol=1e-5), axis=1)))
    return (f"not equal to keras.optimizers.AdamW yet: the paths first differ after step "
            f"{step}; Keras first shrinks θ ← θ − η λ θ, then takes Adam's step with the "
            "gradient")


exercise_5 = Exercise(
    "optimizers", 5, stars=3, answer="function", name="AdamW", judge=_judge_adamw,
    right=_ADAMW_CLASSES[0],
    mistakes=list(zip(_ADAMW_CLASSES[1:], _ADAMW_MISTAKE_TEXT)),
    success="correct: 60 steps equal keras.optimizers.AdamW (weight decay decoupled from "
            "Adam's averages)",
)
