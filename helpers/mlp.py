"""A two-layer network (Dense → ReLU → Dense → softmax cross-entropy) in plain NumPy.

Introduced in chapter "Backpropagation by hand, checked against the tape", which derives
and writes this exact code in the open, checks it against ``tf.GradientTape`` and
finite differences, trains it on MNIST, and then checks that this copy agrees with it.
Exercises and later chapters import it from here.

Shapes (N examples, D inputs, H hidden units, C classes)::

    X (N, D) → Z1 = X W1 + b1 (N, H) → A1 = relu(Z1) → Z2 = A1 W2 + b2 (N, C) → loss

The parameters are a dict ``{"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}`` of
one floating dtype; ``X`` must have that dtype too (NumPy would silently promote a
float32/float64 mix, so it is refused with a ``TypeError``). Every array handed in must
hold finite numbers: a NaN or an infinity in the inputs, the parameters, the logits or
the gradients is refused with a ``ValueError`` instead of turning into plausible-looking
wrong predictions (``argmax`` of a row of NaNs is 0).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "PARAM_NAMES",
    "init_params",
    "forward",
    "softmax_cross_entropy",
    "backward",
    "loss_and_grads",
    "sgd_step",
    "train_step",
    "predict",
    "accuracy",
]

#: The parameter names, in order.
PARAM_NAMES = ("W1", "b1", "W2", "b2")


def _check_finite(arr: np.ndarray, what: str, hint: str = "") -> None:
    """A ValueError naming where ``arr`` holds NaN or infinity, and what was expected."""
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    kinds = ", ".join(f"{n} {k}" for n, k in ((n_nan, "NaN"), (n_inf, "infinite")) if n)
    raise ValueError(f"{what} must hold finite numbers, but it has {kinds} value(s) "
                     f"(the first at index {first}){hint}")


_DIVERGED = ("; a training run that diverged (a learning rate too large) is the usual cause: "
             "start again from fresh parameters")


def _check_params(params) -> np.dtype:
    """Validate the parameter dict; return its dtype."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys {PARAM_NAMES}, got {type(params).__name__}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {PARAM_NAMES}")
    for k in PARAM_NAMES:
        if not isinstance(params[k], np.ndarray):
            raise TypeError(f"params[{k!r}] must be a NumPy array, got {type(params[k]).__name__}")
        if not np.issubdtype(params[k].dtype, np.floating):
            raise TypeError(f"params[{k!r}] must be a floating array, got dtype {params[k].dtype}")
    dtypes = {params[k].dtype for k in PARAM_NAMES}
    if len(dtypes) != 1:
        raise TypeError(f"all parameters must share one dtype, got {sorted(map(str, dtypes))}")
    W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
    if W1.ndim != 2 or W2.ndim != 2 or b1.ndim != 1 or b2.ndim != 1:
        raise ValueError(
            "expected W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); got shapes "
            f"W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}"
        )
    if b1.shape[0] != W1.shape[1] or W2.shape[0] != W1.shape[1] or b2.shape[0] != W2.shape[1]:
        raise ValueError(
            "parameter shapes do not fit together: expected W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); "
            f"got W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}"
        )
    for k in PARAM_NAMES:
        _check_finite(params[k], f"params[{k!r}]", _DIVERGED)
    return W1.dtype


def _check_inputs(X, dtype, n_features: int) -> None:
    if not isinstance(X, np.ndarray):
        hint = " (call .numpy() on a tensor)" if hasattr(X, "numpy") else ""
        raise TypeError(f"X must be a NumPy array, got {type(X).__name__}{hint}")
    if not np.issubdtype(X.dtype, np.floating):
        raise TypeError(
            f"X has dtype {X.dtype}; expected {dtype} like the parameters "
            "(for MNIST pixels: X.astype('float32') / 255)"
        )
    if X.dtype != dtype:
        raise TypeError(f"X has dtype {X.dtype} but the parameters are {dtype}; convert one of them")
    if X.ndim != 2:
        hint = " (flatten images with X.reshape(len(X), -1))" if X.ndim == 3 else ""
        raise ValueError(f"X must be 2-D (N, D), got shape {X.shape}{hint}")
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features per row but W1 expects {n_features}")
    _check_finite(X, "X", " (look for missing values or a division by zero in the preprocessing)")


def _check_labels(y, n: int, n_classes: int) -> None:
    if not isinstance(y, np.ndarray):
        raise TypeError(f"y must be a NumPy array of integer labels, got {type(y).__name__}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (n,):
        hint = " (labels, not one-hot rows)" if y.ndim == 2 else ""
        raise ValueError(f"y must have shape ({n},) to match the {n} rows of logits/X, got {y.shape}{hint}")
    if n and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got values from {y.min()} to {y.max()}")


def init_params(n_inputs: int = 784, n_hidden: int = 128, n_classes: int = 10, *, seed=0,
                dtype=np.float32) -> dict:
    """Random weights (He normal for W1, LeCun normal for W2) and zero biases.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    ``seed`` is an int or a ``np.random.Generator``; ``dtype`` a floating dtype.
    """
    for name, n in (("n_inputs", n_inputs), ("n_hidden", n_hidden), ("n_classes", n_classes)):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return {
        "W1": (rng.standard_normal((n_inputs, n_hidden)) * np.sqrt(2.0 / n_inputs)).astype(dtype),
        "b1": np.zeros(n_hidden, dtype),
        "W2": (rng.standard_normal((n_hidden, n_classes)) * np.sqrt(1.0 / n_hidden)).astype(dtype),
        "b2": np.zeros(n_classes, dtype),
    }


def forward(params: dict, X: np.ndarray):
    """Forward pass. Returns ``(logits, cache)``; ``cache`` keeps what backward needs.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    """
    dtype = _check_params(params)
    _check_inputs(X, dtype, params["W1"].shape[0])
    Z1 = X @ params["W1"] + params["b1"]
    A1 = np.maximum(Z1, 0)
    logits = A1 @ params["W2"] + params["b2"]
    return logits, {"X": X, "Z1": Z1, "A1": A1}


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray):
    """Mean cross-entropy of ``softmax(logits)`` against integer labels ``y``.

    Introduced in chapter "Backpropagation by hand, checked against the tape". Returns
    ``(loss, dlogits)`` with ``dlogits = (softmax(logits) − onehot(y)) / N``, the
    gradient of the mean loss. Numerically stable (subtracts each row's maximum).
    """
    if not isinstance(logits, np.ndarray) or not np.issubdtype(logits.dtype, np.floating):
        raise TypeError(f"logits must be a floating NumPy array, got {type(logits).__name__}"
                        + (f" of dtype {logits.dtype}" if isinstance(logits, np.ndarray) else ""))
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(f"logits must have shape (N, C) with N ≥ 1, got {logits.shape}")
    n, c = logits.shape
    _check_labels(y, n, c)
    _check_finite(logits, "logits", _DIVERGED)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    dlogits /= n
    return float(loss), dlogits


def backward(params: dict, cache: dict, dlogits: np.ndarray) -> dict:
    """Backward pass: gradients of the loss for every parameter and for the input.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    ``dlogits`` is d loss / d logits (shape ``(N, C)``). Returns a dict with ``W1, b1,
    W2, b2`` (each shaped like its parameter) and ``X`` (shaped like the input)::

        dW2 = A1ᵀ dZ2     db2 = Σₙ dZ2     dA1 = dZ2 W2ᵀ
        dZ1 = dA1 ⊙ [Z1 > 0]
        dW1 = Xᵀ dZ1      db1 = Σₙ dZ1     dX  = dZ1 W1ᵀ
    """
    dtype = _check_params(params)
    if not isinstance(cache, dict) or not {"X", "Z1", "A1"} <= cache.keys():
        raise TypeError("cache must be the dict returned by forward(params, X)")
    X, Z1, A1 = cache["X"], cache["Z1"], cache["A1"]
    expected = (X.shape[0], params["W2"].shape[1])
    if not isinstance(dlogits, np.ndarray):
        raise TypeError(f"dlogits must be a NumPy array, got {type(dlogits).__name__}")
    if dlogits.shape != expected:
        raise ValueError(f"dlogits must have the logits' shape {expected}, got {dlogits.shape}")
    if dlogits.dtype != dtype:
        raise TypeError(f"dlogits has dtype {dlogits.dtype} but the parameters are {dtype}")
    _check_finite(dlogits, "dlogits", _DIVERGED)
    dW2 = A1.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dA1 = dlogits @ params["W2"].T
    dZ1 = dA1 * (Z1 > 0)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    dX = dZ1 @ params["W1"].T
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "X": dX}


def loss_and_grads(params: dict, X: np.ndarray, y: np.ndarray):
    """Forward, loss and backward in one call. Returns ``(loss, grads)``.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    """
    logits, cache = forward(params, X)
    loss, dlogits = softmax_cross_entropy(logits, y)
    return loss, backward(params, cache, dlogits)


def sgd_step(params: dict, grads: dict, learning_rate: float) -> dict:
    """One step of plain gradient descent, in place: ``p -= learning_rate * grad``.

    Introduced in chapter "Backpropagation by hand, checked against the tape". Returns
    ``params`` (the same dict, updated).
    """
    _check_params(params)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) \
            or not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict like the one backward() returns, got {type(grads).__name__}")
    for k in PARAM_NAMES:
        if k not in grads:
            raise ValueError(f"grads is missing {k!r}")
        g = np.asarray(grads[k])
        if g.shape != params[k].shape:
            raise ValueError(f"grads[{k!r}] has shape {g.shape} but params[{k!r}] has {params[k].shape}")
        if not np.issubdtype(g.dtype, np.number):
            raise TypeError(f"grads[{k!r}] must be a numeric array, got dtype {g.dtype}")
        _check_finite(g, f"grads[{k!r}]", _DIVERGED)
    for k in PARAM_NAMES:
        g = np.asarray(grads[k])
        params[k] -= params[k].dtype.type(learning_rate) * g.astype(params[k].dtype, copy=False)
    return params


def train_step(params: dict, X: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
    """Forward, backward and one SGD update on a mini-batch. Returns the batch loss.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    """
    loss, grads = loss_and_grads(params, X, y)
    sgd_step(params, grads, learning_rate)
    return loss


def predict(params: dict, X: np.ndarray) -> np.ndarray:
    """The predicted class of each row of ``X`` (the arg-max logit).

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    """
    return forward(params, X)[0].argmax(axis=1)


def accuracy(params: dict, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of ``X`` whose predicted class equals ``y``.

    Introduced in chapter "Backpropagation by hand, checked against the tape".
    """
    logits, _ = forward(params, X)
    _check_labels(y, X.shape[0], logits.shape[1])
    return float((logits.argmax(axis=1) == y).mean())
