"""Finite-difference gradient checks.

Introduced in chapter "Automatic differentiation with GradientTape"; reused by the
backpropagation and optimizer chapters and by the exercise checks.

The idea is the definition of the derivative: nudge one input by ±ε, see how much the
output moves, divide. It costs two function evaluations per input, so it is only for
checking, never for training.

Precision matters. The central difference has a truncation error of order ε² and a
rounding error of order (machine epsilon × |f|) / ε. In float64 with ε = 1e-5 both are
tiny; in float32 the rounding term alone is about 1e-2 × |f|, which makes the check
useless. So ``x`` is handed to ``f`` as a float64 NumPy array, and ``f`` should compute
in float64 too (cast inside ``f`` if it uses float32 variables). When ``f`` returns a
float32 (or float16) result anyway, :func:`numerical_gradient` and :func:`check_gradient`
warn with a :class:`LowPrecisionWarning` instead of silently giving a meaningless verdict.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_gradient", "GradientCheck",
           "LowPrecisionWarning"]


class LowPrecisionWarning(UserWarning):
    """``f`` computed in float32 (or less): its finite differences are mostly rounding error.

    Introduced in chapter "Automatic differentiation with GradientTape".
    """


def _low_precision_dtype(value) -> str | None:
    """The name of ``value``'s dtype when it is a float type narrower than float64, else None."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return None  # a Python number: float64
    dtype = getattr(dtype, "as_numpy_dtype", dtype)  # a TensorFlow dtype
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        return None
    if np.issubdtype(dtype, np.floating) and np.finfo(dtype).bits < 64:
        return dtype.name
    return None


def _warn_low_precision(dtype_name: str) -> None:
    warnings.warn(
        f"f returned a {dtype_name} value: finite differences need float64. In {dtype_name} "
        "the rounding error of f, divided by the tiny step eps, swamps the difference, so the "
        "numerical gradient (and any check against it) is unreliable. Compute f in float64: "
        "it receives a float64 NumPy array, so cast any float32 tensors or variables it uses "
        "(tf.cast(t, tf.float64) or t.numpy().astype(np.float64)).",
        LowPrecisionWarning,
        stacklevel=4,
    )


def _as_float64_array(x, name: str) -> np.ndarray:
    """``x`` (number, sequence, NumPy array, tf.Tensor or tf.Variable) as a float64 array."""
    if x is None:
        raise TypeError(f"{name} is None; expected a number, NumPy array or tf.Tensor")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be numeric, got the string {x!r}")
    if hasattr(x, "numpy"):
        x = x.numpy()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"{name} cannot be read as one numeric array ({exc}); "
            "for a list of gradients, check each one separately"
        ) from None
    if arr.dtype == bool:
        raise TypeError(f"{name} must be a real number or array, got booleans")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _positive_number(value, name: str) -> float:
    """``value`` as a float if it is a positive, finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def numerical_gradient(f: Callable, x, eps: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    Introduced in chapter "Automatic differentiation with GradientTape".

    ``f`` takes a float64 NumPy array shaped like ``x`` and returns a scalar (a Python
    number, a NumPy scalar or a size-1 array or tensor). ``x`` is copied to float64 so
    rounding does not swamp the difference. Returns a float64 array of ``x``'s shape with
    ``(f(x + ε eᵢ) − f(x − ε eᵢ)) / 2ε`` at each position ``i``.

    Raises ``TypeError`` if ``f`` is not callable or ``x`` is not numeric, ``ValueError``
    if ``eps`` is not a positive finite number, ``x`` holds NaN or infinity, or ``f``
    returns more than one number or a NaN/infinite value. Warns (once per call) with a
    :class:`LowPrecisionWarning` if ``f`` returns a float32 or float16 result.
    """
    if not callable(f):
        raise TypeError(f"f must be callable (a function of x), got {type(f).__name__}")
    eps = _positive_number(eps, "eps")
    x = _as_float64_array(x, "x")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinity; the gradient is only defined at finite points")
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    warned = []

    def value(point):
        out = f(point.reshape(x.shape))
        if out is None:
            raise TypeError("f returned None; does it end with `return ...`?")
        low = _low_precision_dtype(out)
        if low and not warned:
            warned.append(low)
            _warn_low_precision(low)
        out = _as_float64_array(out, "f(x)")
        if out.size != 1:
            raise ValueError(
                f"f must return a scalar, got an output of shape {out.shape}; "
                "reduce it first (e.g. with a sum or a mean)"
            )
        result = float(out.reshape(()))
        if not np.isfinite(result):
            raise ValueError(f"f returned {result} near x; finite differences need finite values")
        return result

    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + eps
        plus = value(flat_x.copy())
        flat_x[i] = original - eps
        minus = value(flat_x.copy())
        flat_x[i] = original
        flat_g[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b, floor: float = 1e-8) -> float:
    """Largest element-wise ``|a − b| / max(|a|, |b|, floor)``: 0 means identical.

    Introduced in chapter "Automatic differentiation with GradientTape". ``floor`` keeps
    entries near zero from dividing by (almost) nothing: below ``floor`` in size, the
    difference is measured in units of ``floor``. A NaN anywhere gives ``inf`` (a NaN
    gradient never agrees with anything). Raises ``ValueError`` if the shapes differ.
    """
    a = _as_float64_array(a, "a")
    b = _as_float64_array(b, "b")
    floor = _positive_number(floor, "floor")
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    if np.isnan(a).any() or np.isnan(b).any():
        return float("inf")
    same = a == b  # equal infinities count as equal
    if np.any(~same & ~(np.isfinite(a) & np.isfinite(b))):
        return float("inf")  # an infinity against anything else
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    diff = np.abs(np.subtract(a, b, out=np.zeros_like(a), where=~same))
    return float(np.max(diff / scale))


class GradientCheck:
    """The result of :func:`check_gradient`: truthy when the gradients agree.

    Introduced in chapter "Automatic differentiation with GradientTape". Attributes:
    ``analytic`` (the gradient you gave), ``numeric`` (finite differences), ``error``
    (largest relative error), ``rtol``, ``atol``, ``worst`` (the index where the two
    differ most) and ``ok``.
    """

    def __init__(self, analytic, numeric, error, rtol, atol=0.0):
        self.analytic, self.numeric, self.error = analytic, numeric, error
        self.rtol, self.atol = rtol, atol
        self.ok = bool(error <= rtol)
        if analytic.size:
            diff = np.abs(np.nan_to_num(analytic - numeric, nan=np.inf))
            self.worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        else:
            self.worst = ()

    def __bool__(self):
        return self.ok

    def __repr__(self):
        if self.ok:
            return f"GradientCheck(agree: relative error {self.error:.2e}, tolerance {self.rtol:.0e})"
        where = f" at index {self.worst}" if self.worst else ""
        got, want = self.analytic[self.worst], self.numeric[self.worst]
        return (f"GradientCheck(DISAGREE: relative error {self.error:.2e}, tolerance {self.rtol:.0e}; "
                f"worst{where}: yours {got:.6g}, finite differences {want:.6g})")

    __str__ = __repr__


def check_gradient(f: Callable, x, grad, *, eps: float = 1e-5, rtol: float = 1e-4,
                   atol: float = 1e-8) -> GradientCheck:
    """Compare a gradient you computed (by hand or by the tape) with finite differences.

    Introduced in chapter "Automatic differentiation with GradientTape".

    ``grad`` is your gradient of the scalar function ``f`` at ``x`` (same shape as
    ``x``); ``f`` receives a float64 NumPy array (see :func:`numerical_gradient`).
    Returns a :class:`GradientCheck` that is truthy when every entry agrees:
    ``|grad − numeric| ≤ max(rtol · max(|grad|, |numeric|), atol)``, so entries that are
    (almost) zero are compared absolutely, to ``atol``. ``assert check_gradient(...)`` is
    the usual way to use it.

    A ``None`` gradient (what the tape returns for an unconnected source) is a
    ``TypeError``; so is a non-numeric ``grad`` or ``x``. A shape mismatch or a bad
    ``eps``/``rtol``/``atol`` is a ``ValueError``. An ``f`` that computes in float32 gets a
    :class:`LowPrecisionWarning`: finite differences need float64.
    """
    if grad is None:
        raise TypeError(
            "grad is None: the tape returns None when the target does not depend on the "
            "source (see 'Why is my gradient None?')"
        )
    analytic = _as_float64_array(grad, "grad")
    x_arr = _as_float64_array(x, "x")
    if analytic.shape != x_arr.shape:
        raise ValueError(f"grad has shape {analytic.shape} but x has shape {x_arr.shape}")
    rtol = _positive_number(rtol, "rtol")
    atol = _positive_number(atol, "atol")
    numeric = numerical_gradient(f, x_arr, eps=eps)
    error = relative_error(analytic, numeric, floor=atol / rtol)
    return GradientCheck(analytic, numeric, error, rtol, atol)
