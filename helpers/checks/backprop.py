"""Checks for the exercises of chapter "Backpropagation by hand, checked against the tape".

Introduced in chapter "Backpropagation by hand, checked against the tape". Each
``exercise_N`` is a declared :class:`~helpers.checks.Exercise`: call it on your answer
for a ✅, or a ❌ with the likely mistake in words. A check never raises on a wrong
answer. The reference answers below are the worked solutions; the wrong answers next
to them are the slips the messages explain.
"""

from __future__ import annotations

import math

import numpy as np

from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4"]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------ exercise 1: a staged backward pass
def _stages(x, y):
    """The forward pass of f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²), stage by stage."""
    sig_y = _sigmoid(y)
    num = x + sig_y
    sig_x = _sigmoid(x)
    xpy = x + y
    den = sig_x + xpy**2
    return sig_y, num, sig_x, xpy, den


def _staged_backward(x, y, *, numerator=True, through_sigma=True, inverse_sign=-1.0,
                     square=2.0):
    sig_y, num, sig_x, xpy, den = _stages(x, y)
    d_num = 1 / den
    d_den = inverse_sign * num / den**2       # d(1/d)/dd = −1/d²
    d_xpy = square * xpy * d_den              # d(s²)/ds = 2s
    dx = d_xpy + (sig_x * (1 - sig_x) * d_den if through_sigma else 0)
    dx = dx + (d_num if numerator else 0)
    dy = d_xpy + sig_y * (1 - sig_y) * d_num
    return dx, dy


def f_backward(x, y):
    """Reference: (∂f/∂x, ∂f/∂y) of f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²)."""
    return _staged_backward(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))


def _xy_cases():
    return [(np.array([-1.5, -0.4, 0.0, 0.8, 2.0]), np.array([0.7, -1.2, 0.3, 1.5, -0.6])),
            (np.array([3.0, -2.5]), np.array([-0.5, 2.0]))]


def _xy_hidden():
    rng = np.random.default_rng(11)
    return [(rng.uniform(-3, 3, size=(3, 4)), rng.uniform(-3, 3, size=(3, 4)))]


exercise_1 = Exercise(
    "backprop", 1, stars=1, answer="function", name="f_backward",
    reference=f_backward, inputs=_xy_cases, hidden_inputs=_xy_hidden, rtol=1e-6, atol=1e-9,
    mistakes=[
        (lambda x, y: _staged_backward(x, y, numerator=False),
         "dx misses the path through the numerator: x appears three times in f (in x + σ(y), "
         "in σ(x) and in x + y), so its gradient is the sum of three contributions"),
        (lambda x, y: _staged_backward(x, y, through_sigma=False),
         "dx misses the path through σ(x) in the denominator: add σ(x)(1 − σ(x)) times the "
         "gradient of the denominator"),
        (lambda x, y: _staged_backward(x, y, inverse_sign=1.0),
         "the gradient through 1/den has the wrong sign: the derivative of 1/d is −1/d², "
         "so a larger denominator makes f smaller"),
        (lambda x, y: _staged_backward(x, y, square=1.0),
         "the square (x + y)² lost its factor 2: the derivative of s² is 2s"),
    ],
    none_hint="return the pair (dx, dy)",
    success="correct: every path of x and y adds its share, as the chain rule says",
)


# ------------------------------------------------ exercise 2: an embedding lookup, backwards
def embedding_backward(ids, upstream, vocab_size):
    """Reference: the gradient of out = E[ids] with respect to the table E, shape (V, D)."""
    grad = np.zeros((vocab_size, upstream.shape[-1]), dtype=upstream.dtype)
    np.add.at(grad, ids, upstream)   # a row looked up k times collects k contributions
    return grad


def _lost_repeats(ids, upstream, vocab_size):
    grad = np.zeros((vocab_size, upstream.shape[-1]), dtype=upstream.dtype)
    grad[ids] += upstream            # fancy-index += keeps only one of the repeated rows
    return grad


def _embedding_cases():
    rng = np.random.default_rng(3)
    return [(np.array([2, 0, 2, 5, 2, 1]), rng.normal(size=(6, 3)), 7),
            (np.array([4, 4]), rng.normal(size=(2, 5)), 6)]


def _embedding_hidden():
    rng = np.random.default_rng(4)
    return [(rng.integers(0, 4, size=(3, 5)), rng.normal(size=(3, 5, 2)), 4)]


exercise_2 = Exercise(
    "backprop", 2, stars=2, answer="function", name="embedding_backward",
    reference=embedding_backward, inputs=_embedding_cases, hidden_inputs=_embedding_hidden,
    mistakes=[
        (_lost_repeats,
         "the rows looked up more than once got only one contribution: NumPy's grad[ids] += "
         "upstream applies a repeated index once, not once per use (the b = a + a bug again); "
         "use np.add.at(grad, ids, upstream) or a loop"),
        (lambda ids, upstream, vocab_size: embedding_backward(ids, upstream, vocab_size)
         / np.maximum(1, np.bincount(np.ravel(ids), minlength=vocab_size))[:, None],
         "you averaged the contributions of a repeated row: the chain rule adds them"),
    ],
    none_hint="return the gradient of the whole table, shape (vocab_size, D)",
    success="correct: each row of the table collects the upstream rows of all its uses",
)


# ------------------------------------------------ exercise 3: layer normalisation, backwards
def _layernorm_parts(x, eps):
    mu = x.mean(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return (x - mu) * inv_std, inv_std


def layernorm_backward(x, gamma, beta, upstream, eps=1e-5):
    """Reference: (dx, dgamma, dbeta) of y = gamma ⊙ (x − mean) / sqrt(var + eps) + beta."""
    x_hat, inv_std = _layernorm_parts(x, eps)
    d_hat = upstream * gamma
    d = x.shape[1]
    dx = inv_std / d * (d * d_hat - d_hat.sum(axis=1, keepdims=True)
                        - x_hat * (d_hat * x_hat).sum(axis=1, keepdims=True))
    return dx, (upstream * x_hat).sum(axis=0), upstream.sum(axis=0)


def _layernorm_wrong(x, gamma, beta, upstream, eps=1e-5, *, paths="none", dgamma="right"):
    x_hat, inv_std = _layernorm_parts(x, eps)
    d_hat = upstream * gamma
    dx = d_hat * inv_std
    if paths == "mean":
        dx = (d_hat - d_hat.mean(axis=1, keepdims=True)) * inv_std
    right = layernorm_backward(x, gamma, beta, upstream, eps)
    if paths == "all":
        dx = right[0]
    dg = right[1] if dgamma == "right" else upstream.sum(axis=0)
    return dx, dg, right[2]


def _layernorm_cases():
    rng = np.random.default_rng(7)
    out = []
    for n, d in ((4, 5), (3, 8)):
        x = rng.normal(size=(n, d)) * 2 + 1
        out.append((x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=(n, d))))
    return out


def _layernorm_hidden():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(6, 3)) * 0.01   # a small spread: eps matters
    return [(x, rng.normal(size=3), rng.normal(size=3), rng.normal(size=(6, 3)))]


exercise_3 = Exercise(
    "backprop", 3, stars=3, answer="function", name="layernorm_backward",
    reference=layernorm_backward, inputs=_layernorm_cases, hidden_inputs=_layernorm_hidden,
    rtol=1e-5, atol=1e-8,
    mistakes=[
        (lambda *args: _layernorm_wrong(*args, paths="none"),
         "dx treats the mean and the variance as constants: both are computed from the same "
         "row of x, so x reaches the output along two more paths (through the mean and "
         "through the variance) that dx must add"),
        (lambda *args: _layernorm_wrong(*args, paths="mean"),
         "dx has the path through the mean but not the one through the variance: add the term "
         "that comes back through sqrt(var + eps)"),
        (lambda *args: _layernorm_wrong(*args, paths="all", dgamma="sum"),
         "dgamma is the sum of the upstream gradient: gamma multiplies x_hat, so each term "
         "must be multiplied by x_hat too"),
    ],
    none_hint="return the three gradients (dx, dgamma, dbeta)",
    success="correct: all three paths of x (direct, through the mean, through the variance) "
            "are in dx",
)


# ------------------------------------------------ exercise 4: a new engine operation, trained
XOR_X = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
XOR_Y = (-1.0, 1.0, 1.0, -1.0)
_POINTS = (-2.0, -0.3, 0.5, 1.7)


def _silu_grad(x: float) -> float:
    s = 1 / (1 + math.exp(-x))
    return s * (1 + x * (1 - s))


def silu(v):
    """Reference: SiLU(x) = x·σ(x) as an operation of :class:`helpers.engine.Value`."""
    from helpers.engine import Value

    s = 1 / (1 + math.exp(-v.data))
    out = Value(v.data * s, (v,), "SiLU")

    def _backward():
        v.grad += s * (1 + v.data * (1 - s)) * out.grad   # product rule: σ + x σ(1 − σ)

    out._backward = _backward
    return out


def train_xor(activation, steps=300, learning_rate=0.1, seed=0):
    """Reference: a 2-4-1 network of Values trained on XOR; returns the loss of every step."""
    return _train_xor(activation, steps, learning_rate, seed)


def _train_xor(activation, steps=300, learning_rate=0.1, seed=0, bug=None):
    """The reference loop, or (for the tests of the messages) the loop with one slip."""
    from helpers.engine import Value

    init = np.random.default_rng(seed)
    W1 = [[Value(init.normal()) for _ in range(2)] for _ in range(4)]
    b1 = [Value(0.0) for _ in range(4)]
    w2 = [Value(init.normal() * 0.5) for _ in range(4)]
    b2 = Value(0.0)
    params = [p for row in W1 for p in row] + b1 + w2 + [b2]
    sign = -1.0 if bug == "ascent" else 1.0
    losses = []
    for _ in range(steps):
        loss = Value(0.0)
        for (x1, x2), target in zip(XOR_X, XOR_Y):
            hidden = [activation(w[0] * x1 + w[1] * x2 + b) for w, b in zip(W1, b1)]
            out = sum((w * h for w, h in zip(w2, hidden)), b2)
            loss = loss + (out - target) ** 2
        loss = loss / len(XOR_X)
        if bug != "no zero":
            for p in params:
                p.grad = 0.0
        loss.backward()
        if bug != "no update":
            for p in params:
                p.data -= sign * learning_rate * p.grad
        losses.append(loss.data)
    return losses


def _variant_silu(kind):
    def op(v):
        from helpers.engine import Value

        s = 1 / (1 + math.exp(-v.data))
        out = Value(v.data * s, (v,), "SiLU")

        def _backward():
            local = s if kind == "sigma only" else s * (1 + v.data * (1 - s))
            g = local if kind == "no upstream" else local * out.grad
            if kind == "assign":
                v.grad = g
            else:
                v.grad += g

        out._backward = _backward
        return out

    return op


def _variant_train(kind):
    def train(activation, steps=300, learning_rate=0.1, seed=0):
        return _train_xor(activation, steps, learning_rate, seed, bug=kind)

    return train


def _judge_silu(op) -> str | None:
    """None when op behaves like SiLU with a right backward closure; else what is wrong."""
    import tensorflow as tf

    from helpers.engine import Value

    if not callable(op):
        return f"silu must be a function, got a value of type {type(op).__name__}"
    x = Value(0.5)
    out = op(x)
    if out is None:
        return "silu returned None: build out = Value(...), attach out._backward, return out"
    if out is Ellipsis:
        return "silu returned the placeholder ...: write its body"
    if not isinstance(out, Value):
        return (f"silu returned a {type(out).__name__}; it must return a helpers.engine Value "
                "so that backward() can reach its input")
    for x0 in _POINTS:
        t = tf.Variable(x0, dtype=tf.float64)
        with tf.GradientTape() as tape:
            y = tf.nn.silu(t)
        want_value, want_grad = float(y), float(tape.gradient(y, t))
        x = Value(x0)
        out = op(x)
        if not math.isclose(out.data, want_value, rel_tol=1e-9, abs_tol=1e-12):
            return (f"silu({x0:g}) has the value {out.data:.6g}, expected x·σ(x) = "
                    f"{want_value:.6g}")
        (out * 3.0).backward()
        got = x.grad
        if math.isclose(got, 3 * want_grad, rel_tol=1e-7, abs_tol=1e-12):
            continue
        s = 1 / (1 + math.exp(-x0))
        known = [
            (0.0, "after backward() the input's grad is 0: record v as the child of out "
                  "(Value(data, (v,), ...)) and attach out._backward"),
            (want_grad, "the gradient ignores out.grad: multiply the local derivative by the "
                        "upstream gradient out.grad"),
            (3 * s, "the local derivative is σ(x) alone: SiLU is a product x·σ(x), so the "
                    "product rule adds x·σ(x)(1 − σ(x))"),
            (3 * x0 * s * (1 - s), "the local derivative misses the σ(x) term of the product "
                                   "rule: it is σ(x) + x·σ(x)(1 − σ(x))"),
        ]
        for value, message in known:
            if math.isclose(got, value, rel_tol=1e-7, abs_tol=1e-12):
                return message
        return (f"silu's gradient at x = {x0:g} is {got / 3:.6g}, expected "
                f"{want_grad:.6g} (the tape's, with tf.nn.silu)")
    x = Value(0.8)
    (op(x) + x * x).backward()
    want = _silu_grad(0.8) + 1.6
    if not math.isclose(x.grad, want, rel_tol=1e-7):
        return (f"with x used twice (silu(x) + x·x) x.grad is {x.grad:.6g}, expected "
                f"{want:.6g}: accumulate with v.grad += ..., never v.grad = ...")
    return None


def _losses_of(train, activation, label):
    """Call the learner's train_xor; (losses as floats, None) or (None, what is wrong)."""
    calls = [0]

    def counted(v):
        calls[0] += 1
        return activation(v)

    try:
        losses = train(counted)
    except (OverflowError, ValueError, ZeroDivisionError) as exc:
        if "finite" in str(exc) or "overflow" in str(exc).lower() or "range" in str(exc):
            return None, (f"the training blew up ({type(exc).__name__}: {exc}): the update must "
                          "step against the gradient, p.data -= learning_rate · p.grad, with a "
                          "small enough learning rate")
        raise
    if losses is None or losses is Ellipsis:
        return None, "train_xor returned nothing: return the list of losses, one per step"
    try:
        losses = [float(getattr(v, "data", v)) for v in losses]
    except (TypeError, ValueError):
        return None, "train_xor must return a list of numbers (the loss of every step)"
    if len(losses) < 10:
        return None, (f"train_xor returned {len(losses)} losses: fill in the loop so that it "
                      "returns one loss per step")
    if calls[0] == 0:
        return None, f"train_xor never called the activation it was given ({label})"
    return losses, None


def _judge_training(train, op) -> str | None:
    from helpers.engine import Value

    if not callable(train):
        return f"train_xor must be a function, got a value of type {type(train).__name__}"
    losses, problem = _losses_of(train, op, "your silu")
    if problem:
        return problem
    first, last = losses[0], losses[-1]
    if not all(math.isfinite(v) for v in losses):
        return "the loss became NaN or infinite: the steps are too large; lower the learning rate"
    if last > first:
        return (f"the loss rose from {first:.3g} to {last:.3g}: the update must step against "
                "the gradient, p.data -= learning_rate · p.grad")
    if math.isclose(first, last, rel_tol=1e-9):
        return (f"the loss stays at {first:.3g}: the parameters never change; update p.data "
                "after backward()")
    if last < 0.1 and last < 0.5 * first:
        return None
    _, tanh_problem = _losses_of(train, Value.tanh, "tanh")
    with_tanh = train(Value.tanh) if not tanh_problem else None
    if with_tanh and float(getattr(with_tanh[-1], "data", with_tanh[-1])) < 0.1:
        return (f"with tanh your loop learns XOR, but with your silu the loss only falls from "
                f"{first:.3g} to {last:.3g}: train longer or with a larger learning rate")
    return (f"the loss only falls from {first:.3g} to {last:.3g} (it should end below 0.1): "
            "zero every parameter's grad before each backward(), and update every parameter "
            "(weights and biases of both layers)")


def _judge_exercise_4(answer) -> str | None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return "hand in the pair (silu, train_xor): your operation and your training function"
    op, train = answer
    for fn, name in ((op, "silu"), (train, "train_xor")):
        if fn is Ellipsis or fn is None:
            return f"{name} is missing: define it in the cell above"
    return _judge_silu(op) or _judge_training(train, op)


exercise_4 = Exercise(
    "backprop", 4, stars=3, answer="value", name="(silu, train_xor)",
    judge=_judge_exercise_4, right=(silu, train_xor),
    mistakes=[
        ((_variant_silu("assign"), train_xor), "accumulate with v.grad += ..."),
        ((_variant_silu("no upstream"), train_xor), "the gradient ignores out.grad"),
        ((_variant_silu("sigma only"), train_xor), "the local derivative is σ(x) alone"),
        ((silu, _variant_train("ascent")), "the update must step against the gradient"),
        ((silu, _variant_train("no update")), "the parameters never change"),
        ((silu, _variant_train("no zero")), "zero every parameter's grad"),
    ],
    success="correct: silu matches the tape (and accumulates), and your loop trains a "
            "network of Values on XOR",
)
