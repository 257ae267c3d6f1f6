"""Claims about a run: gentle in a learner's session, strict under ``make test``.

Introduced in chapter "What deep learning is, in one loop"; every chapter uses it.

The course keeps two kinds of statement apart:

* A **fact** holds for any correct code: the tape equals the hand derivative, an
  optimizer equals Keras's, a probability row sums to one. Facts are plain ``assert``
  statements: if one fails, the code is wrong.
* A **claim** is about one run: an accuracy, a ranking, "this learning rate diverges",
  "the compiled loop is faster". The text states it because it holds for other seeds and
  splits too, but a learner who changes a hyperparameter may see it fail, and that is an
  experiment, not an error. Claims go through :func:`claim`.

In a learner's session :func:`claim` prints a short notice when the run disagrees with
the text (what the text says, what this run gave, why that can happen) and the notebook
carries on. When the environment variable ``COURSE_STRICT_CLAIMS`` is ``1`` (``make test``
sets it, and so does the book build) a claim that does not hold raises
:class:`ClaimError`, so the course's own run can never drift away from its text.
"""

from __future__ import annotations

import os

__all__ = ["ClaimError", "Notice", "claim", "strict"]

_ENV = "COURSE_STRICT_CLAIMS"


class ClaimError(AssertionError):
    """A claim of the text did not hold in a strict run (``COURSE_STRICT_CLAIMS=1``).

    Introduced in chapter "What deep learning is, in one loop".
    """


def strict() -> bool:
    """True when claims must hold (``COURSE_STRICT_CLAIMS=1``), as under ``make test``.

    Introduced in chapter "What deep learning is, in one loop".
    """
    value = os.environ.get(_ENV, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"{_ENV}={os.environ.get(_ENV)!r} is not understood; expected 1 or 0")


class Notice:
    """What :func:`claim` shows when a run disagrees with the text: plain text, one block.

    Introduced in chapter "What deep learning is, in one loop".
    """

    def __init__(self, text: str, got: str, why: str):
        self.text, self.got, self.why = text, got, why

    def __str__(self) -> str:
        lines = [f"Note: the text says {self.text},", f"  but this run gave {self.got}."]
        if self.why:
            lines.append(f"  This can happen: {self.why}")
        lines.append("  Nothing is broken: read on with your numbers in mind.")
        return "\n".join(lines)

    __repr__ = __str__


def _require_text(value, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def claim(holds, text: str, got, *, why: str = "") -> bool:
    """Check an empirical claim of the text against this run; return whether it held.

    Introduced in chapter "What deep learning is, in one loop".

    ``holds`` is the claim's condition (a bool, or anything NumPy or TensorFlow reduces to
    one bool); ``text`` says what the text claims, in words ("the test accuracy is above
    95 %"); ``got`` is what this run measured (a number or a short phrase, shown as is);
    ``why`` says why a learner's run may differ ("a larger learning rate can overshoot").

    When the claim holds, nothing is shown. When it does not: in a learner's session, a
    short notice is printed and the notebook goes on; in a strict run
    (``COURSE_STRICT_CLAIMS=1``, as under ``make test``) :class:`ClaimError` is raised.
    """
    text = _require_text(text, "text")
    if not isinstance(why, str):
        raise TypeError(f"why must be a string, got {type(why).__name__}")
    if holds is None:
        raise TypeError("holds must be a condition (True or False), got None")
    if hasattr(holds, "numpy"):
        holds = holds.numpy()
    try:
        import numpy as np

        arr = np.asarray(holds)
    except Exception as exc:  # noqa: BLE001 - reported as a TypeError below
        raise TypeError(f"holds must be a condition, got {type(holds).__name__}") from exc
    if arr.size != 1:
        raise ValueError(f"holds must be one condition, got an array of shape {arr.shape}: "
                         "combine it with all() or any() first")
    if arr.dtype.kind not in "bui":
        raise TypeError(f"holds must be True or False, got a value of dtype {arr.dtype}")
    ok = bool(arr.reshape(()))
    if ok:
        return True
    notice = Notice(text, str(got), why.strip())
    if strict():
        raise ClaimError(f"claim of the text did not hold: {text}; this run gave {got}")
    print(notice)
    return False
