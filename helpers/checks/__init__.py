"""Exercise checks: each one tells the learner in words what is wrong, or that it is right.

Introduced in chapter "What deep learning is, in one loop" (the first exercises). Each
chapter's exercises are *declared* in their own small module (``helpers.checks.intro``,
``helpers.checks.tape``, …) as :class:`Exercise` objects: the reference answer, the test
inputs, the known mistakes and what to say about each. The loop that runs the learner's
code and explains what is wrong is written once, in :mod:`helpers.checks._declare`.

A check never raises on a wrong answer: it returns a :class:`Feedback` whose display in
the notebook is a ✅ or ❌ line of plain text, so "Run all" keeps going. Solution cells use
``assert check(...)`` so CI fails if a worked solution stops passing. The grading tool
(``make assignments``) calls :meth:`Exercise.grade`, which also tries hidden inputs.
"""

from ._core import Feedback, all_close, call_learner, check_callable, check_close, diagnose
from ._declare import REGISTRY, Exercise, exercises

__all__ = ["Feedback", "Exercise", "REGISTRY", "exercises", "check_close", "check_callable",
           "diagnose", "call_learner", "all_close"]
