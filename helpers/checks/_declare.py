"""Exercises declared, not programmed: :class:`Exercise` (see :mod:`helpers.checks`).

An exercise's check is a declaration: what the learner hands in (a value or a
function), the reference answer, the inputs it is tried on, the known mistakes with
what to say about each, and, for the grading tool, stricter hidden inputs. The loop that
calls the learner's code, catches its crash, compares and explains is written once, here.

    exercise_1 = Exercise(
        "tape", 1, stars=1, answer="function", name="tape_derivative",
        reference=lambda x: 2 * x * np.sin(x) + x**2 * np.cos(x),
        inputs=[(-2.0,), (0.5,), (3.0,)],
        hidden_inputs=[(0.0,), (10.0,)],
        mistakes=[(lambda x: x**2 * np.sin(x), "you returned g(x) itself, ...")],
        success="correct: the tape's g'(x) matches 2x sin(x) + x² cos(x)",
    )
    exercise_1(tape_derivative)          # ✅ or ❌ with a sentence, never raises

A known mistake is a *wrong answer of the same kind as the learner's* (a wrong value, or a
wrong function), so the tests can hand each one to the check and require its message.
Training, tuning and debugging tasks, whose answer is judged rather than compared, give a
``judge`` instead: ``judge(answer)`` returns ``None`` when the answer is right, or a
sentence (or a :class:`Feedback`) saying what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ._core import Feedback, call_learner, check_callable, diagnose

__all__ = ["Exercise", "REGISTRY", "exercises"]

#: Every declared exercise, by chapter key (the check module's name), in order.
REGISTRY: dict[str, list[Exercise]] = {}

_STARS = {1: "★☆☆", 2: "★★☆", 3: "★★★"}


def exercises(chapter: str) -> list[Exercise]:
    """The declared exercises of one chapter (its check module's name), in order.

    Introduced in chapter "What deep learning is, in one loop" (the first checks).
    """
    if chapter not in REGISTRY:
        raise ValueError(f"no exercises are declared for chapter {chapter!r}; "
                         f"known: {', '.join(sorted(REGISTRY)) or 'none'}")
    return list(REGISTRY[chapter])


def _fresh(inputs) -> list[tuple]:
    """The argument tuples, made anew when ``inputs`` is a function (fresh variables)."""
    cases = inputs() if callable(inputs) else inputs
    return [tuple(case) if isinstance(case, (tuple, list)) else (case,) for case in cases]


def _describe(args: tuple, k: int) -> str:
    """A short name for one test case: the arguments when they are a few numbers."""
    if args and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        return "(" + ", ".join(f"{a:g}" for a in args) + ")"
    return f" on test case {k + 1}"


def _missing(value) -> str | None:
    if value is Ellipsis:
        return "is still the placeholder ... (three dots): replace it with your answer"
    if value is None:
        return "is None: did the cell above run, and does it assign or return a value?"
    return None


class Exercise:
    """The declared check of one exercise: call it on the learner's answer.

    Introduced in chapter "What deep learning is, in one loop" (the first checks); every
    chapter's ``helpers.checks.<chapter>`` module is a list of these declarations.

    Arguments (all but the first two by keyword):

    ``chapter``, ``number``
        the check module's name (``"tape"``) and the exercise's number in the chapter.
    ``stars``
        difficulty, 1 to 3 (★☆☆ to ★★★); it is also the exercise's points when graded.
    ``answer``
        ``"value"`` (a number, array or structure) or ``"function"``.
    ``name``
        the name the learner defines (``"tape_derivative"``), used in every message.
    ``reference``
        the right answer: for a value, the value (or a function of no arguments that
        computes it); for a function, a function with the learner's signature.
    ``inputs``, ``hidden_inputs``
        for a function: argument tuples to call it with (or a function returning them, so
        that each call gets fresh variables). Hidden inputs are tried only by
        :meth:`grade`, the stricter check the grading tool runs.
    ``observe``
        ``observe(result, *args)`` turns what the function returned (and the arguments it
        may have changed in place) into the quantity compared; by default the result.
    ``mistakes``
        ``(wrong_answer, message)`` pairs: a wrong value, or a wrong function of the same
        signature, and the sentence to show when the learner's answer behaves like it.
    ``compare``
        ``compare(got, expected)`` returning ``None`` or a sentence, replacing the default
        numeric diagnosis (shape, dtype, sign, factor, transpose, largest difference).
    ``judge``
        ``judge(answer)`` returning ``None``, a sentence, or a :class:`Feedback`: for tasks
        judged by what the answer achieves (a model that learns, a loop that is fixed).
    ``right``
        a right answer for the tests when it is not ``reference`` itself (with a judge).
    ``rtol``, ``atol``, ``dtype``, ``none_hint``, ``success``
        as in :func:`~helpers.checks.diagnose`; ``success`` is the ✅ sentence.
    """

    def __init__(self, chapter: str, number: int, *, stars: int, answer: str, name: str,
                 reference: Any = None, inputs: Sequence | Callable = (),
                 hidden_inputs: Sequence | Callable = (), observe: Callable | None = None,
                 mistakes: Sequence[tuple[Any, str]] = (), compare: Callable | None = None,
                 judge: Callable | None = None, right: Any = None, rtol: float = 1e-5,
                 atol: float = 1e-6, dtype=None, none_hint: str | None = None,
                 success: str = "correct"):
        if not isinstance(chapter, str) or not chapter:
            raise TypeError(f"chapter must be a non-empty string, got {chapter!r}")
        if not isinstance(number, int) or number < 1:
            raise ValueError(f"number must be a positive int, got {number!r}")
        if stars not in _STARS:
            raise ValueError(f"stars must be 1, 2 or 3, got {stars!r}")
        if answer not in ("value", "function"):
            raise ValueError(f"answer must be 'value' or 'function', got {answer!r}")
        if judge is None and reference is None:
            raise ValueError("give a reference answer, or a judge for a judged task")
        if answer == "function" and judge is None and not (callable(inputs) or len(inputs)):
            raise ValueError("a function exercise needs inputs to call it with")
        for pair in mistakes:
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], str)):
                raise TypeError(f"each mistake must be a (wrong_answer, message) pair, got {pair!r}")
        self.chapter, self.number, self.stars, self.answer, self.name = (
            chapter, number, stars, answer, name)
        self.reference, self.inputs, self.hidden_inputs = reference, inputs, hidden_inputs
        self.observe, self.mistakes, self.compare, self.judge = observe, tuple(mistakes), compare, judge
        self.right = right if right is not None else reference
        self.rtol, self.atol, self.dtype, self.none_hint, self.success = (
            rtol, atol, dtype, none_hint, success)
        self.title = f"Exercise {number}"
        chapter_list = REGISTRY.setdefault(chapter, [])
        chapter_list[:] = [e for e in chapter_list if e.number != number]  # a module reload
        chapter_list.append(self)
        chapter_list.sort(key=lambda e: e.number)

    @property
    def points(self) -> int:
        """Points when graded: one per star."""
        return self.stars

    @property
    def label(self) -> str:
        """``"Exercise 3 (★★☆)"``."""
        return f"{self.title} ({_STARS[self.stars]})"

    def __repr__(self) -> str:
        return f"<{self.label} of chapter {self.chapter!r}: {self.name}>"

    # ------------------------------------------------------------ checking
    def __call__(self, answer) -> Feedback:
        """Check the learner's answer on the public inputs; a ✅ or ❌ :class:`Feedback`."""
        return self._check(answer, hidden=False)

    def grade(self, answer) -> Feedback:
        """The stricter check for grading: the public and the hidden inputs."""
        return self._check(answer, hidden=True)

    def _fail(self, message: str) -> Feedback:
        return Feedback(False, message, self.title)

    def _check(self, answer, *, hidden: bool) -> Feedback:
        if self.answer == "function":
            bad = check_callable(answer, exercise=self.title, name=self.name)
            if bad is not None:
                return bad
        else:
            problem = _missing(answer)
            if problem:
                return self._fail(f"{self.name} {problem}")
        if self.judge is not None:
            try:
                verdict = self.judge(answer)
            except Exception as exc:  # noqa: BLE001 - the learner's crash, reported in words
                return self._fail(f"running {self.name} raised {type(exc).__name__}: {exc}")
            if isinstance(verdict, Feedback):
                verdict.exercise = verdict.exercise or self.title
                return verdict
            if verdict:
                return self._fail(str(verdict))
            return Feedback(True, self.success, self.title)
        if self.answer == "value":
            expected = self.reference() if callable(self.reference) else self.reference
            wrong = [(w() if callable(w) else w, m) for w, m in self.mistakes]
            problem = self._compare(answer, expected, self.name, wrong)
            return self._fail(problem) if problem else Feedback(True, self.success, self.title)
        cases = _fresh(self.inputs) + (_fresh(self.hidden_inputs) if hidden else [])
        for k, args in enumerate(cases):
            label = f"{self.name}{_describe(args, k)}"
            result, crash = call_learner(answer, args, exercise=self.title, name=label)
            if crash is not None:
                return crash
            if result is None and self.observe is None:
                return self._fail(f"{label} returned None: did you forget to return the result?")
            if result is Ellipsis:
                return self._fail(f"{label} returned the placeholder ...: write the function body")
            got = self._observe(result, args)
            expected = self._run_reference(self.reference, k, hidden)
            wrong = []
            for fn, message in self.mistakes:
                try:
                    wrong.append((self._run_reference(fn, k, hidden), message))
                except Exception:  # noqa: BLE001 - a mistake that crashes here is not this one
                    continue
            problem = self._compare(got, expected, label, wrong)
            if problem:
                return self._fail(problem)
        return Feedback(True, self.success, self.title)

    def _observe(self, result, args):
        return self.observe(result, *args) if self.observe is not None else result

    def _run_reference(self, fn, k: int, hidden: bool):
        """Run a reference (or a known mistake) on fresh copies of test case ``k``."""
        args = (_fresh(self.inputs) + (_fresh(self.hidden_inputs) if hidden else []))[k]
        return self._observe(fn(*args), args)

    def _compare(self, got, expected, label: str, wrong) -> str | None:
        for value, message in wrong:
            if self._equal(got, value) and not self._equal(expected, value):
                return message
        if self.compare is not None:
            return self.compare(got, expected)
        return _diagnose_structure(got, expected, label, self)

    def _equal(self, a, b) -> bool:
        return _diagnose_structure(a, b, "", self) is None


def _diagnose_structure(got, expected, label: str, ex: Exercise) -> str | None:
    """:func:`diagnose`, extended to tuples, lists and dicts of values (compared part by part)."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"{label} must be a dict with the keys {sorted(expected)}, got {type(got).__name__}"
        missing = [key for key in expected if key not in got]
        if missing:
            return f"{label} is missing the key(s) {missing}"
        for key in expected:
            problem = _diagnose_structure(got[key], expected[key], f"{label}[{key!r}]", ex)
            if problem:
                return problem
        return None
    if isinstance(expected, (tuple, list)) and not _numeric_sequence(expected):
        problem = _missing(got)
        if problem:
            return f"{label} {problem}"
        if not isinstance(got, (tuple, list)):
            return f"{label} must be a list or tuple of {len(expected)} items, got {type(got).__name__}"
        if len(got) != len(expected):
            return f"{label} has {len(got)} items, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = _diagnose_structure(g, e, f"{label}[{i}]", ex)
            if problem:
                return problem
        return None
    if isinstance(expected, str):
        if not isinstance(got, str):
            return f"{label} must be a string, got {type(got).__name__}"
        return None if got.strip().lower() == expected.strip().lower() else f"{label} is not right yet"
    return diagnose(got, expected, name=label or "the answer", dtype=ex.dtype, rtol=ex.rtol,
                    atol=ex.atol, none_hint=ex.none_hint)


def _numeric_sequence(value) -> bool:
    """True for a flat list or tuple of plain numbers (compared as one array)."""
    return all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in value)
