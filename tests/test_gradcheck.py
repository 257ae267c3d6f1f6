"""helpers.gradcheck: right gradients pass, wrong ones fail, bad inputs are rejected."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.gradcheck import (
    GradientCheck,
    LowPrecisionWarning,
    check_gradient,
    numerical_gradient,
    relative_error,
)


def cubic(x):
    return 3 * x**3 + x**2


def quadratic_form(a):
    return lambda w: 0.5 * w @ a @ w


# ------------------------------------------------------------------ numerical_gradient
def test_numerical_gradient_of_the_chapter_example_is_920():
    assert numerical_gradient(cubic, 10.0) == pytest.approx(920.0, rel=1e-9)


def test_numerical_gradient_keeps_the_shape_and_returns_float64():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    g = numerical_gradient(lambda v: np.sum(v**2), x)
    assert g.shape == (2, 3) and g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x, rtol=1e-8, atol=1e-8)


def test_numerical_gradient_does_not_change_its_input():
    x = np.array([1.0, 2.0, 3.0])
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_accepts_lists_ints_and_tensors():
    import tensorflow as tf

    assert numerical_gradient(lambda v: np.sum(v**2), [1, 2]).tolist() == pytest.approx([2.0, 4.0])
    g = numerical_gradient(lambda v: np.sum(v**3), tf.constant([1.0, -2.0]))
    np.testing.assert_allclose(g, [3.0, 12.0], rtol=1e-8)
    g = numerical_gradient(lambda v: float(np.sum(v)), tf.Variable([[1.0, 2.0]]))
    np.testing.assert_allclose(g, [[1.0, 1.0]], rtol=1e-8)


def test_numerical_gradient_accepts_scalar_outputs_of_any_kind():
    import tensorflow as tf

    for f in (lambda v: float(v.sum()), lambda v: np.float64(v.sum()), lambda v: np.array([v.sum()]),
              lambda v: tf.constant(v.sum()), lambda v: tf.reshape(tf.reduce_sum(v), (1, 1))):
        np.testing.assert_allclose(numerical_gradient(f, np.ones(2)), [1.0, 1.0], rtol=1e-8)


def test_numerical_gradient_of_an_empty_array_is_empty():
    assert numerical_gradient(lambda v: 0.0, np.zeros((0,))).shape == (0,)


@pytest.mark.parametrize("f", [None, 3.0, "x**2", [1, 2]])
def test_numerical_gradient_rejects_a_non_callable(f):
    with pytest.raises(TypeError, match="callable"):
        numerical_gradient(f, 1.0)


@pytest.mark.parametrize("x", [None, "1.0", b"1", ["a", "b"], {"x": 1}, object(), True, np.array([1 + 2j])])
def test_numerical_gradient_rejects_non_numeric_x(x):
    with pytest.raises(TypeError):
        numerical_gradient(lambda v: np.sum(v), x)


def test_numerical_gradient_rejects_ragged_x_with_a_clear_message():
    with pytest.raises(TypeError, match="one numeric array"):
        numerical_gradient(lambda v: np.sum(v), [[1.0], [1.0, 2.0]])


@pytest.mark.parametrize("x", [np.nan, [1.0, np.inf]])
def test_numerical_gradient_rejects_non_finite_x(x):
    with pytest.raises(ValueError, match="NaN or infinity"):
        numerical_gradient(lambda v: np.sum(v), x)


@pytest.mark.parametrize("eps", [0, 0.0, -1e-5, float("nan"), float("inf")])
def test_numerical_gradient_rejects_bad_eps_values(eps):
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(cubic, 1.0, eps=eps)


@pytest.mark.parametrize("eps", ["1e-5", None, True, [1e-5]])
def test_numerical_gradient_rejects_eps_that_is_not_a_number(eps):
    with pytest.raises(TypeError, match="eps"):
        numerical_gradient(cubic, 1.0, eps=eps)


def test_numerical_gradient_accepts_numpy_scalar_eps():
    assert numerical_gradient(cubic, 10.0, eps=np.float32(1e-4)) == pytest.approx(920.0, rel=1e-6)


def test_non_scalar_f_is_rejected():
    with pytest.raises(ValueError, match="scalar"):
        numerical_gradient(lambda v: v * 2, np.ones(3))


def test_f_returning_none_is_rejected():
    with pytest.raises(TypeError, match="returned None"):
        numerical_gradient(lambda v: None, 1.0)


def test_f_returning_a_string_is_rejected():
    with pytest.raises(TypeError, match="numeric"):
        numerical_gradient(lambda v: "1.0", 1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_f_returning_nan_or_infinity_is_rejected(bad):
    with pytest.raises(ValueError, match="finite"):
        numerical_gradient(lambda v: bad if v.item() < 1.0 else 0.0, 1.0)  # bad on one side only


def test_errors_inside_f_are_not_swallowed():
    def broken(v):
        raise ZeroDivisionError("inside f")

    with pytest.raises(ZeroDivisionError, match="inside f"):
        numerical_gradient(broken, 1.0)


# ------------------------------------------------------------------ relative_error
def test_relative_error_basic_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error(1.0, 1.1) == pytest.approx(0.1 / 1.1)
    assert relative_error(2.0, -2.0) == pytest.approx(2.0)  # a sign error is a 200 % error
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


def test_relative_error_is_symmetric():
    a, b = np.array([1.0, -3.0, 1e-3]), np.array([1.2, -2.9, 2e-3])
    assert relative_error(a, b) == relative_error(b, a)


def test_relative_error_floor_bounds_tiny_values():
    assert relative_error(0.0, 1e-12) == pytest.approx(1e-4)  # 1e-12 / floor 1e-8
    assert relative_error(0.0, 1e-12, floor=1e-3) == pytest.approx(1e-9)


def test_relative_error_nan_and_infinity_never_agree():
    assert relative_error(np.nan, np.nan) == float("inf")
    assert relative_error([1.0, np.nan], [1.0, 1.0]) == float("inf")
    assert relative_error(np.inf, 1.0) == float("inf")
    assert relative_error(np.inf, -np.inf) == float("inf")
    assert relative_error([np.inf, 1.0], [np.inf, 1.0]) == 0.0


def test_relative_error_rejects_shape_mismatch_and_bad_inputs():
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.ones(3), np.ones((3, 1)))
    with pytest.raises(TypeError):
        relative_error(None, 1.0)
    with pytest.raises(TypeError):
        relative_error(1.0, "1.0")
    with pytest.raises(ValueError, match="floor"):
        relative_error(1.0, 1.0, floor=0.0)


# ------------------------------------------------------------------ check_gradient
def test_right_gradients_pass():
    assert check_gradient(cubic, 10.0, 920.0)
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    w = np.array([0.5, -1.5])
    assert check_gradient(quadratic_form(a), w, a @ w)
    assert check_gradient(lambda v: np.sum(np.tanh(v)), np.linspace(-2, 2, 7), 1 - np.tanh(np.linspace(-2, 2, 7)) ** 2)


def test_right_gradients_with_exact_zeros_pass():
    # The gradient of sum(x²)·(x₁ − 1) is zero in some entries; finite differences leave
    # rounding noise there, which the absolute tolerance absorbs.
    x = np.array([0.0, 1.0, 3.0])

    def f(v):
        return np.sum(v**2) * (v[1] - 1.0) + 7.0

    grad = np.array([0.0, np.sum(x**2), 0.0])
    result = check_gradient(f, x, grad)
    assert result, result


@pytest.mark.parametrize(
    "wrong, why",
    [
        (-920.0, "sign error"),
        (1840.0, "factor of 2"),
        (460.0, "half"),
        (900.0, "forgot the x² term"),
        (920.5, "slightly off"),
        (np.nan, "NaN"),
        (np.inf, "infinite"),
    ],
)
def test_wrong_gradients_fail(wrong, why):
    result = check_gradient(cubic, 10.0, wrong)
    assert not result, why
    assert "DISAGREE" in repr(result)


def test_a_wrong_entry_is_located():
    x = np.array([1.0, 2.0, 3.0])
    result = check_gradient(lambda v: np.sum(v**2), x, np.array([2.0, 4.0, 7.0]))
    assert not result
    assert result.worst == (2,)
    assert "index (2,)" in repr(result)


def test_transposed_gradient_fails():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([[0.5, -1.0], [2.0, 1.0]])

    def f(m):
        return np.sum(a * m**2)

    right = 2 * a * w
    assert check_gradient(f, w, right)
    assert not check_gradient(f, w, right.T)


def test_gradient_check_result_exposes_its_parts():
    result = check_gradient(cubic, 2.0, 40.0)
    assert isinstance(result, GradientCheck)
    assert result.ok is True and bool(result) is True
    assert result.numeric == pytest.approx(40.0)
    assert result.error < result.rtol == 1e-4
    assert "agree" in repr(result) and "agree" in str(result)


def test_tape_gradient_passes_the_check():
    import tensorflow as tf

    w = tf.Variable([[0.3, -0.2], [0.1, 0.4]], dtype=tf.float64)
    x = tf.constant([[1.0, 2.0]], dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.tanh(x @ w) ** 2)
    grad = tape.gradient(loss, w)

    def f(m):
        return tf.reduce_sum(tf.tanh(x @ m) ** 2)

    assert check_gradient(f, w, grad)
    assert not check_gradient(f, w, 2 * grad)


def test_rtol_controls_the_verdict():
    assert check_gradient(cubic, 10.0, 920.5, rtol=1e-3)
    assert not check_gradient(cubic, 10.0, 920.5, rtol=1e-4)


def test_none_gradient_is_a_type_error_that_explains():
    with pytest.raises(TypeError, match="None"):
        check_gradient(cubic, 1.0, None)


@pytest.mark.parametrize("f", [None, 1.0, "cubic"])
def test_check_gradient_rejects_non_callable_f(f):
    with pytest.raises(TypeError, match="callable"):
        check_gradient(f, 1.0, 11.0)


@pytest.mark.parametrize("grad", ["920", [["a"]], object(), [[1.0], [1.0, 2.0]]])
def test_check_gradient_rejects_non_numeric_grad(grad):
    with pytest.raises(TypeError):
        check_gradient(cubic, 10.0, grad)


def test_check_gradient_rejects_non_numeric_x():
    with pytest.raises(TypeError):
        check_gradient(cubic, "10", 920.0)
    with pytest.raises(TypeError):
        check_gradient(cubic, None, 920.0)


def test_check_gradient_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        check_gradient(lambda v: np.sum(v**2), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="shape"):
        check_gradient(lambda v: np.sum(v**2), np.ones((2, 3)), np.ones((3, 2)))


def test_check_gradient_rejects_non_scalar_f():
    with pytest.raises(ValueError, match="scalar"):
        check_gradient(lambda v: v**2, np.ones(3), 2 * np.ones(3))


@pytest.mark.parametrize("kwargs", [{"rtol": 0}, {"rtol": -1e-4}, {"rtol": float("nan")},
                                    {"rtol": float("inf")}, {"atol": 0.0}, {"eps": 0.0}, {"eps": -1.0}])
def test_check_gradient_rejects_bad_tolerances(kwargs):
    with pytest.raises(ValueError):
        check_gradient(cubic, 10.0, 920.0, **kwargs)


@pytest.mark.parametrize("kwargs", [{"rtol": "1e-4"}, {"rtol": None}, {"rtol": True}, {"eps": "small"}])
def test_check_gradient_rejects_tolerances_that_are_not_numbers(kwargs):
    with pytest.raises(TypeError):
        check_gradient(cubic, 10.0, 920.0, **kwargs)


# ------------------------------------------------------------------ float32 warning
def _float32_outputs():
    import tensorflow as tf

    return [
        ("NumPy float32 scalar", lambda v: np.float32(np.sum(v**2))),
        ("NumPy float32 array", lambda v: np.sum(v.astype(np.float32) ** 2, keepdims=True)),
        ("NumPy float16", lambda v: np.float16(np.sum(v**2))),
        ("tf float32 tensor", lambda v: tf.reduce_sum(tf.cast(v, tf.float32) ** 2)),
    ]


@pytest.mark.parametrize("case", range(4))
def test_a_float32_function_gets_a_clear_warning(case):
    label, f = _float32_outputs()[case]
    with pytest.warns(LowPrecisionWarning, match="float64") as record:
        numerical_gradient(f, np.array([1.0, 2.0]))
    assert len(record) == 1, f"{label}: warn once per call, not once per evaluation"
    assert issubclass(LowPrecisionWarning, UserWarning)
    message = str(record[0].message)
    assert "f returned a float" in message and "cast" in message, message


def test_check_gradient_warns_for_float32_and_its_verdict_is_then_unreliable():
    import tensorflow as tf

    def f32(v):  # the chapter's cubic, computed in float32
        t = tf.cast(v, tf.float32)
        return 3 * t**3 + t**2

    with pytest.warns(LowPrecisionWarning):
        result = check_gradient(f32, 10.0, 920.0)
    assert not result  # rounding swamps the difference: the right gradient "fails"


@pytest.mark.parametrize("f", [
    lambda v: float(np.sum(v**2)),
    lambda v: np.sum(v**2),
    lambda v: np.array([np.sum(v**2)]),
    lambda v: int(np.sum(v > 0)) + np.sum(v**2),
])
def test_float64_functions_do_not_warn(f):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numerical_gradient(f, np.array([1.0, 2.0]))


def test_float64_tensorflow_functions_do_not_warn():
    import tensorflow as tf

    w = tf.Variable([[0.3, -0.2], [0.1, 0.4]], dtype=tf.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_gradient(lambda m: tf.reduce_sum(tf.tanh(m) ** 2), w,
                              2 * np.tanh(w.numpy()) * (1 - np.tanh(w.numpy()) ** 2))


# ------------------------------------------------------------------ properties
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=1, max_size=5),
    st.integers(0, 2**31 - 1),
)
def test_property_quadratic_forms_pass_and_perturbed_gradients_fail(values, seed):
    rng = np.random.default_rng(seed)
    w = np.array(values)
    m = rng.normal(size=(w.size, w.size))
    a = m @ m.T + np.eye(w.size)  # symmetric positive definite
    grad = a @ w
    assert check_gradient(quadratic_form(a), w, grad)
    wrong = grad.copy()
    i = int(rng.integers(w.size))
    wrong[i] += 0.01 * max(1.0, abs(wrong[i]))
    assert not check_gradient(quadratic_form(a), w, wrong)
