"""Every declared exercise, tested the same way: right answer, each known mistake, a crash,
the untouched placeholder, and messages that read as plain text.

An exercise declared with :class:`helpers.checks.Exercise` registers itself; this file
imports every check module and runs each declaration through the same five tests, so a
new exercise is covered the moment it is declared.
"""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

from helpers import checks

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT / "helpers" / "checks").glob("*.py") if not p.stem.startswith("_"))
for _name in MODULES:
    importlib.import_module(f"helpers.checks.{_name}")

DECLARED = [ex for chapter in sorted(checks.REGISTRY) for ex in checks.REGISTRY[chapter]]
IDS = [f"{ex.chapter}-{ex.number}" for ex in DECLARED]
MARKDOWN = re.compile(r"`|\*\*|(?<![\w\s])\*(?!\s)|^#", re.M)


def test_every_check_module_declares_its_exercises():
    declared = {ex.chapter for ex in DECLARED}
    undeclared = [m for m in MODULES if m not in declared]
    assert not undeclared, f"check modules with no declared Exercise: {undeclared}"


@pytest.mark.parametrize("ex", DECLARED, ids=IDS)
def test_right_answer_passes(ex):
    feedback = ex(ex.right)
    assert feedback, f"{ex}: the right answer failed: {feedback}"
    assert ex.grade(ex.right), f"{ex}: the right answer failed the hidden tests"


@pytest.mark.parametrize("ex", DECLARED, ids=IDS)
def test_each_known_mistake_gets_its_message(ex):
    for wrong, message in ex.mistakes:
        feedback = ex(wrong)
        assert not feedback, f"{ex}: the mistake {message!r} passed"
        assert message in feedback.message, f"{ex}: expected {message!r}, got {feedback.message!r}"


@pytest.mark.parametrize("ex", DECLARED, ids=IDS)
def test_placeholder_and_crash_are_feedback_not_tracebacks(ex):
    assert not ex(...)
    assert not ex(None)
    if ex.answer == "function":
        def untouched(*args, **kwargs):
            ...  # the learner's placeholder body

        def crashes(*args, **kwargs):
            raise RuntimeError("boom in the learner's code")

        assert not ex(untouched)
        feedback = ex(crashes)
        assert not feedback and "RuntimeError" in feedback.message and "boom" in feedback.message


@pytest.mark.parametrize("ex", DECLARED, ids=IDS)
def test_messages_are_plain_text(ex):
    messages = [ex.success] + [m for _, m in ex.mistakes]
    for message in messages:
        assert not MARKDOWN.search(message), f"{ex}: Markdown in a message shows raw: {message!r}"


def test_no_two_exercises_share_a_name_in_a_chapter():
    for chapter, items in checks.REGISTRY.items():
        numbers = [ex.number for ex in items]
        assert len(numbers) == len(set(numbers)), chapter
