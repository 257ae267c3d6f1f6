"""Exercise checks: each one tells the learner in words what is wrong, or that it is right.

Introduced in chapter "Tensors" (the first exercises). The shared machinery lives here;
each chapter's exercises have their own small module (``helpers.checks.tensors``,
``helpers.checks.tape``, …) built on :func:`check_close` and :func:`check_callable`.

A check never raises on a wrong answer: it returns a :class:`Feedback` whose display in
the notebook is a ✅ or ❌ line, so "Run all" keeps going. Solution cells use
``assert check(...)`` so CI fails if a worked solution stops passing.
"""

from ._core import Feedback, check_callable, check_close, diagnose

__all__ = ["Feedback", "check_close", "check_callable", "diagnose"]
