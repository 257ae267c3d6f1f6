"""The diagnosis behind every exercise check (see :mod:`helpers.checks`)."""

from __future__ import annotations

import numpy as np

__all__ = ["Feedback", "check_close", "check_callable", "diagnose", "call_learner", "all_close"]


class Feedback:
    """What a check says: truthy when the answer is right; shows as one ✅/❌ line.

    Introduced in chapter "Tensors".
    """

    def __init__(self, passed: bool, message: str, exercise: str = ""):
        self.passed = bool(passed)
        self.message = message
        self.exercise = exercise

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✅" if self.passed else "❌"
        where = f"{self.exercise}: " if self.exercise else ""
        return f"{mark} {where}{self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        # Darker shades of the palette's green and vermillion: 6:1 contrast on white (WCAG AA).
        colour = "#00704F" if self.passed else "#A63D00"
        return f'<p style="color:{colour};font-weight:600">{html.escape(str(self))}</p>'


def _to_array(value):
    """Best-effort conversion to a NumPy array; returns (array, problem-or-None)."""
    if value is None:
        return None, "is None: did the cell above run, and does it assign or return a value?"
    if value is Ellipsis:
        return None, "is still the placeholder ... (three dots): replace it with your answer"
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - any failure is reported in words
        return None, f"cannot be read as numbers ({exc})"
    if arr.dtype == object:
        return None, f"cannot be read as numbers (got a value of type {type(value).__name__})"
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return None, f"must be numeric, got dtype {arr.dtype}"
    if np.iscomplexobj(arr):
        return None, f"must be real, got dtype {arr.dtype}"
    return arr, None


#: Factors that a slip in a derivation typically produces (a missing 2 from x², a mean
#: instead of a sum over 3 or 4 items, a power of ten from a learning rate).
_SIMPLE_FACTORS = (2.0, 3.0, 4.0, 10.0, 0.5, 1 / 3, 0.25, 0.1)


def _simple_factor(k: float) -> bool:
    return any(np.isclose(abs(k), f, rtol=1e-3) for f in _SIMPLE_FACTORS)


def diagnose(got, expected, *, name: str = "your answer", dtype=None, rtol: float = 1e-5,
             atol: float = 1e-6, none_hint: str | None = None, mistakes=()) -> str | None:
    """Return ``None`` when ``got`` matches ``expected``, else one sentence saying how it differs.

    Introduced in chapter "Tensors". The checks, in order: missing (``None``, ``...``),
    not numeric, wrong shape, wrong dtype (only if ``dtype`` is given), NaN/inf, then
    the values: a known mistake, a sign error, a constant factor, a transpose, or the largest
    difference. ``none_hint`` replaces the generic advice for a ``None`` answer (for gradients).
    ``mistakes`` lists ``(wrong_value, message)`` pairs: what a typical slip would give, and
    what to say when the answer equals it.
    """
    if got is None and none_hint:
        return f"{name} is None: {none_hint}"
    arr, problem = _to_array(got)
    if problem:
        return f"{name} {problem}"
    exp = np.asarray(expected.numpy() if hasattr(expected, "numpy") else expected)
    if arr.shape != exp.shape:
        hint = ""
        if arr.size == exp.size:
            hint = " (same number of elements: a reshape or transpose is missing?)"
        elif arr.shape[-1:] == exp.shape[-1:] or arr.shape[:1] == exp.shape[:1]:
            hint = " (an axis was summed, kept or broadcast by mistake?)"
        return f"{name} has shape {arr.shape}, expected {exp.shape}{hint}"
    if dtype is not None:
        want = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))  # NumPy or TensorFlow dtypes
        if arr.dtype != want:
            return f"{name} has dtype {arr.dtype}, expected {want}"
    if not np.all(np.isfinite(arr.astype(np.float64))):
        return f"{name} contains NaN or infinity"
    a, e = arr.astype(np.float64), exp.astype(np.float64)
    if np.allclose(a, e, rtol=rtol, atol=atol):
        return None
    for wrong, message in mistakes:
        if np.shape(wrong) == a.shape and np.allclose(a, np.asarray(wrong, dtype=np.float64), rtol=rtol, atol=atol):
            return message
    if np.any(e != 0) and np.allclose(a, -e, rtol=rtol, atol=atol):
        return f"{name} has the wrong sign: it is the negative of the expected value"
    nonzero = np.abs(e) > atol
    if np.any(nonzero) and np.allclose(a[~nonzero], 0, atol=atol):
        ratios = a[nonzero] / e[nonzero]
        k = float(np.median(ratios))
        # One ratio is always "constant": claim a factor only when several entries agree
        # on it, or when it is a factor that a typical slip produces.
        meaningful = (np.count_nonzero(nonzero) >= 2 or _simple_factor(k)) and not np.isclose(k, 1, rtol=1e-2)
        if meaningful and np.allclose(ratios, k, rtol=1e-3) and abs(k) > 1e-12:
            return (f"{name} is off by a constant factor: it is {k:.4g} × the expected value "
                    "(a missing or extra factor from the chain rule or a mean vs sum?)")
    if a.ndim == 2 and a.shape[0] == a.shape[1] and np.allclose(a.T, e, rtol=rtol, atol=atol):
        return f"{name} is transposed"
    diff = np.abs(a - e)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    where = f" at index {tuple(int(i) for i in idx)}" if idx else ""
    return (f"{name} is not right yet: largest difference{where}, "
            f"got {a[idx]:.6g}, expected {e[idx]:.6g}")


def check_close(got, expected, *, exercise: str = "", name: str = "your answer", dtype=None,
                rtol: float = 1e-5, atol: float = 1e-6, none_hint: str | None = None,
                mistakes=(), success: str = "correct") -> Feedback:
    """Check a numeric answer (number, array or tensor) against the expected value.

    Introduced in chapter "Tensors". Returns :class:`Feedback`; see :func:`diagnose`.
    """
    problem = diagnose(got, expected, name=name, dtype=dtype, rtol=rtol, atol=atol,
                       none_hint=none_hint, mistakes=mistakes)
    return Feedback(problem is None, problem or success, exercise)


def check_callable(fn, *, exercise: str = "", name: str = "your function") -> Feedback | None:
    """Return ❌ :class:`Feedback` if ``fn`` is not a function, else ``None`` (go on checking).

    Introduced in chapter "Tensors".
    """
    if fn is None or fn is Ellipsis:
        return Feedback(False, f"{name} is missing: define it in the cell above", exercise)
    if not callable(fn):
        return Feedback(False, f"{name} must be a function, got a value of type {type(fn).__name__}", exercise)
    return None


def call_learner(fn, args=(), *, exercise: str = "", name: str = "your function"):
    """Run the learner's ``fn(*args)``: ``(result, None)``, or ``(None, ❌ Feedback)`` naming the error.

    Introduced in chapter "Tensors"; every chapter's checks call learners' code through it,
    so that a crash in their function becomes feedback instead of a traceback.
    """
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - the learner's error is reported in words
        hint = ""
        if "NoneType" in str(exc):
            hint = (" (a gradient was None: if a line like w = w - ... replaced a variable by a "
                    "tensor, update it in place with w.assign_sub(...) instead)")
        return None, Feedback(False, f"{name} raised {type(exc).__name__}: {exc}{hint}", exercise)


def all_close(a, b, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """True when ``a`` and ``b`` are element-wise close, compared in float64.

    Introduced in chapter "Automatic differentiation with GradientTape".
    """
    return bool(np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                            rtol=rtol, atol=atol))
