"""helpers.checks._core: Feedback, diagnose/check_close and check_callable, right and wrong answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.checks import Feedback, check_callable, check_close, diagnose

# ------------------------------------------------------------------ Feedback


def test_feedback_truthiness_follows_passed():
    assert Feedback(True, "fine")
    assert not Feedback(False, "wrong")
    assert Feedback(1, "fine").passed is True and Feedback(0, "x").passed is False
    assert Feedback([], "x").passed is False


def test_feedback_str_and_repr():
    assert str(Feedback(True, "correct")) == "✅ correct"
    assert str(Feedback(False, "your answer is None", "Exercise 2")) == "❌ Exercise 2: your answer is None"
    fb = Feedback(False, "wrong shape", "Exercise 1")
    assert repr(fb) == str(fb)


def test_feedback_html_is_coloured_and_escaped():
    good = Feedback(True, "correct")._repr_html_()
    bad = Feedback(False, "got <b>x</b> & y", "Ex 1")._repr_html_()
    assert "#00704F" in good and "✅ correct" in good
    assert "#A63D00" in bad and "❌" in bad
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in bad and "<b>" not in bad
    assert good.startswith("<p") and good.endswith("</p>")


# ------------------------------------------------------------------ right answers


@pytest.mark.parametrize("answer", [
    [1.0, 2.0, 3.0],
    (1, 2, 3),
    np.array([1.0, 2.0, 3.0], dtype=np.float32),
    np.array([1.0, 2.0, 3.0 + 1e-7]),
])
def test_right_answers_in_any_container_pass(answer):
    assert diagnose(answer, [1.0, 2.0, 3.0]) is None
    fb = check_close(answer, np.array([1.0, 2.0, 3.0]), exercise="Exercise 1")
    assert fb and str(fb) == "✅ Exercise 1: correct"


def test_tensors_and_variables_are_read_with_numpy():
    import tensorflow as tf

    assert diagnose(tf.constant([[1.0, 2.0]]), [[1.0, 2.0]]) is None
    assert diagnose(tf.Variable(3.0), 3.0) is None
    assert diagnose(3.0, tf.constant(3.0)) is None
    assert diagnose(tf.constant([1.0], dtype=tf.float32), [1.0], dtype="float32") is None


def test_scalars_bools_and_custom_success_message():
    assert diagnose(920.0, 920) is None
    assert diagnose(np.array([True, False]), [1, 0]) is None
    assert str(check_close(1.0, 1.0, success="right: 1")) == "✅ right: 1"


def test_tolerances_are_honoured():
    assert diagnose(1.001, 1.0) is not None
    assert diagnose(1.001, 1.0, rtol=1e-2) is None
    assert diagnose(1e-7, 0.0) is None
    assert diagnose(1e-3, 0.0) is not None
    assert diagnose(1e-3, 0.0, atol=1e-2) is None


# ------------------------------------------------------------------ missing and non-numeric answers


def test_none_and_a_custom_none_hint():
    assert diagnose(None, 1.0) == ("your answer is None: did the cell above run, and does it assign "
                                   "or return a value?")
    msg = diagnose(None, 1.0, name="the gradient", none_hint="is the variable watched by the tape?")
    assert msg == "the gradient is None: is the variable watched by the tape?"
    # the hint is only for None, not for other problems
    assert "watched" not in diagnose(2.0, 1.0, none_hint="is the variable watched by the tape?")


def test_ellipsis_is_the_placeholder():
    msg = diagnose(..., [1.0, 2.0], name="dx")
    assert msg.startswith("dx is still the placeholder ... (three dots)")
    fb = check_close(..., 1.0, exercise="Exercise 3")
    assert not fb and str(fb).startswith("❌ Exercise 3: your answer is still the placeholder")


@pytest.mark.parametrize("answer, expected", [
    ("abc", "must be numeric, got dtype <U3"),
    (["1", "2"], "must be numeric"),
    ({"a": 1}, "cannot be read as numbers (got a value of type dict)"),
    (print, "cannot be read as numbers (got a value of type builtin_function_or_method)"),
    ([[1.0, 2.0], [3.0]], "cannot be read as numbers ("),
    (np.datetime64("2020-01-01"), "must be numeric"),
])
def test_answers_that_are_not_numbers(answer, expected):
    msg = diagnose(answer, 1.0)
    assert msg is not None and expected in msg, msg
    assert not check_close(answer, 1.0)


# ------------------------------------------------------------------ wrong shape and dtype


def test_shape_same_size_suggests_reshape_or_transpose():
    msg = diagnose(np.ones((2, 3)), np.ones((3, 2)))
    assert msg == ("your answer has shape (2, 3), expected (3, 2) (same number of elements: "
                   "a reshape or transpose is missing?)")


@pytest.mark.parametrize("got_shape", [(4,), (3,), (5, 4), (3, 1)])
def test_shape_sharing_an_axis_suggests_a_reduction_or_broadcast(got_shape):
    msg = diagnose(np.ones(got_shape), np.ones((3, 4)))
    assert f"has shape {got_shape}, expected (3, 4)" in msg
    assert "summed, kept or broadcast" in msg


def test_shape_unrelated_gives_no_hint():
    assert diagnose(np.ones((5,)), np.ones((2, 3))) == "your answer has shape (5,), expected (2, 3)"
    assert diagnose([1.0, 2.0, 3.0], 1.0) == "your answer has shape (3,), expected ()"


def test_dtype_is_checked_only_when_asked():
    x64 = np.array([1.0, 2.0])
    assert diagnose(x64, [1.0, 2.0]) is None
    assert diagnose(x64, [1.0, 2.0], dtype="float32") == "your answer has dtype float64, expected float32"
    assert diagnose(x64.astype(np.float32), [1.0, 2.0], dtype=np.float32) is None
    assert diagnose(np.array([1, 2]), [1.0, 2.0], dtype="float32") == "your answer has dtype int64, expected float32"


def test_shape_is_reported_before_dtype():
    assert "shape" in diagnose(np.ones(3, dtype=np.float64), np.ones(2), dtype="float32")


# ------------------------------------------------------------------ wrong values


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_infinity(bad):
    assert diagnose(np.array([1.0, bad]), [1.0, 2.0]) == "your answer contains NaN or infinity"


def test_sign_error():
    msg = diagnose(np.array([-1.0, 2.0, -3.0]), [1.0, -2.0, 3.0], name="dL/dw")
    assert msg == "dL/dw has the wrong sign: it is the negative of the expected value"
    assert "wrong sign" in diagnose(-920.0, 920.0)


def test_no_sign_error_claimed_against_zero():
    msg = diagnose(np.array([1.0, -1.0]), [0.0, 0.0])
    assert "sign" not in msg and "largest difference" in msg


@pytest.mark.parametrize("k", [2.0, 0.5, 3.0, 10.0, -2.0])
def test_constant_factor(k):
    expected = np.array([[1.0, -2.0], [0.5, 4.0]])
    msg = diagnose(k * expected, expected)
    assert msg.startswith(f"your answer is off by a constant factor: it is {k:.4g} × the expected value")
    assert "mean vs sum" in msg


def test_constant_factor_with_zeros_where_both_are_zero():
    msg = diagnose(np.array([0.0, 2.0, 4.0]), [0.0, 1.0, 2.0])
    assert "constant factor: it is 2 ×" in msg


def test_no_factor_claimed_when_the_ratios_differ_or_a_zero_is_missed():
    assert "factor" not in diagnose(np.array([2.0, 3.0]), [1.0, 1.0])
    assert "factor" not in diagnose(np.array([1.0, 2.0, 4.0]), [0.0, 1.0, 2.0])
    assert "factor" not in diagnose(np.zeros(3), [1.0, 2.0, 3.0])


def test_transpose():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert diagnose(expected.T, expected, name="W") == "W is transposed"
    symmetric = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert diagnose(symmetric, symmetric) is None


def test_generic_difference_names_the_worst_index():
    msg = diagnose(np.array([[1.0, 2.0], [3.0, 7.5]]), [[1.0, 2.0], [3.0, 4.0]])
    assert msg == "your answer is not right yet: largest difference at index (1, 1), got 7.5, expected 4"
    msg = diagnose(np.array([3.0, 1.0]), [4.0, 2.0])
    assert msg == "your answer is not right yet: largest difference at index (0,), got 3, expected 4"


def test_a_scalar_off_by_a_simple_factor():
    assert "constant factor: it is 2 ×" in diagnose(1840.0, 920.0)
    assert "constant factor: it is 0.5 ×" in diagnose(460.0, 920.0)


def test_check_close_wraps_diagnose():
    fb = check_close(np.array([1.0, 5.0]), [1.0, 2.0], exercise="Exercise 4", name="grad")
    assert isinstance(fb, Feedback) and not fb
    assert fb.message == diagnose(np.array([1.0, 5.0]), [1.0, 2.0], name="grad")
    assert fb.exercise == "Exercise 4"


# ------------------------------------------------------------------ properties over random arrays

finite = st.floats(min_value=0.01, max_value=1e3) | st.floats(min_value=-1e3, max_value=-0.01)
arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=finite)


@settings(max_examples=60, deadline=None)
@given(arrays)
def test_property_an_array_matches_itself_and_not_its_negative(x):
    assert diagnose(x, x) is None
    assert diagnose(x.astype(np.float32), x, rtol=1e-5) is None
    assert "wrong sign" in diagnose(-x, x)


@settings(max_examples=60, deadline=None)
@given(arrays, st.sampled_from([2.0, 0.5, 3.0, 0.1]))
def test_property_a_scaled_array_is_off_by_that_factor(x, k):
    assert f"it is {k:.4g} ×" in diagnose(k * x, x)


# ------------------------------------------------------------------ known problems (see the report)


def test_a_tiny_relative_error_is_not_called_a_factor_of_one():
    msg = diagnose(np.array([1.0005, 2.001]), [1.0, 2.0])
    assert "factor" not in msg and "largest difference" in msg


def test_a_wrong_scalar_is_not_called_a_constant_factor():
    assert diagnose(900.0, 920.0) == "your answer is not right yet: largest difference, got 900, expected 920"
    assert "factor" not in diagnose(np.array([3.0, 0.0]), [4.0, 0.0])


def test_dtype_may_be_given_as_a_tensorflow_dtype():
    import tensorflow as tf

    assert diagnose(np.array([1.0]), [1.0], dtype=tf.float32) == "your answer has dtype float64, expected float32"


# ------------------------------------------------------------------ check_callable


@pytest.mark.parametrize("missing", [None, ...])
def test_check_callable_missing(missing):
    fb = check_callable(missing, exercise="Exercise 2", name="my_grad")
    assert not fb and str(fb) == "❌ Exercise 2: my_grad is missing: define it in the cell above"


@pytest.mark.parametrize("value, type_name", [(3, "int"), ("f", "str"), ([1], "list"), (np.ones(2), "ndarray")])
def test_check_callable_not_a_function(value, type_name):
    fb = check_callable(value)
    assert not fb and fb.message == f"your function must be a function, got a value of type {type_name}"


@pytest.mark.parametrize("fn", [lambda x: x, np.sum, print, dict, Feedback])
def test_check_callable_lets_functions_through(fn):
    assert check_callable(fn) is None


def test_known_mistakes_are_named_before_the_generic_diagnosis():
    mistakes = [(np.array([2.0, 4.0]), "you doubled it"), (np.array([9.0, 9.0]), "never seen")]
    assert diagnose(np.array([2.0, 4.0]), [1.0, 2.0], mistakes=mistakes) == "you doubled it"
    assert diagnose(np.array([1.0, 2.0]), [1.0, 2.0], mistakes=mistakes) is None, "a right answer is right"
    assert "factor" in diagnose(np.array([3.0, 6.0]), [1.0, 2.0], mistakes=mistakes), "others fall through"
    fb = check_close(np.array([2.0, 4.0]), [1.0, 2.0], exercise="Exercise 9", mistakes=mistakes)
    assert not fb and str(fb) == "❌ Exercise 9: you doubled it"
