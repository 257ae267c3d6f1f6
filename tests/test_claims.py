"""helpers.claims: gentle for learners, strict under make test, and strict about its input."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers import claims


@pytest.fixture
def learner(monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_CLAIMS", raising=False)


@pytest.fixture
def strict(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT_CLAIMS", "1")


def test_holding_claim_is_silent(learner, capsys):
    assert claims.claim(0.97 > 0.95, "the accuracy is above 95 %", got="97 %") is True
    assert capsys.readouterr().out == ""


def test_failing_claim_prints_a_notice_for_a_learner(learner, capsys):
    held = claims.claim(False, "the accuracy is above 95 %", got="91.2 %",
                        why="a larger learning rate can overshoot.")
    out = capsys.readouterr().out
    assert held is False
    assert "the text says the accuracy is above 95 %" in out
    assert "91.2 %" in out and "overshoot" in out
    assert "Traceback" not in out


def test_failing_claim_raises_in_strict_mode(strict):
    with pytest.raises(claims.ClaimError, match="above 95 %.*91.2 %"):
        claims.claim(False, "the accuracy is above 95 %", got="91.2 %")


def test_claim_error_is_an_assertion_error():
    assert issubclass(claims.ClaimError, AssertionError)


@pytest.mark.parametrize("holds", [np.bool_(True), np.array(True), tf.constant(True), 1])
def test_numpy_and_tensorflow_conditions(learner, holds):
    assert claims.claim(holds, "x", got="y")


@pytest.mark.parametrize("holds, error", [
    (None, TypeError),
    (np.array([True, False]), ValueError),
    (np.float32(0.3), TypeError),
    ("yes", TypeError),
])
def test_bad_conditions_are_refused(learner, holds, error):
    with pytest.raises(error):
        claims.claim(holds, "x", got="y")


@pytest.mark.parametrize("text", ["", "   ", None, 3])
def test_claim_needs_words(learner, text):
    with pytest.raises(TypeError, match="text"):
        claims.claim(True, text, got="y")


def test_unknown_strict_value(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT_CLAIMS", "maybe")
    with pytest.raises(ValueError, match="COURSE_STRICT_CLAIMS"):
        claims.strict()
