"""helpers.mlp (the NumPy two-layer network) against tf.GradientTape and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import mlp
from helpers.gradcheck import check_gradient, relative_error


def tape_loss_and_grads(params, X, y):
    variables = {k: tf.Variable(v) for k, v in params.items()}
    variables["X"] = tf.Variable(X)
    with tf.GradientTape() as tape:
        Z1 = variables["X"] @ variables["W1"] + variables["b1"]
        logits = tf.nn.relu(Z1) @ variables["W2"] + variables["b2"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
    grads = tape.gradient(loss, variables)
    return float(loss), {k: g.numpy() for k, g in grads.items()}


@st.composite
def networks(draw):
    n, d, h, c = (draw(st.integers(lo, hi)) for lo, hi in ((1, 6), (1, 6), (1, 6), (2, 5)))
    values = st.floats(-2, 2, allow_nan=False, allow_subnormal=False)
    params = {
        "W1": draw(arrays(np.float64, (d, h), elements=values)),
        "b1": draw(arrays(np.float64, (h,), elements=values)),
        "W2": draw(arrays(np.float64, (h, c), elements=values)),
        "b2": draw(arrays(np.float64, (c,), elements=values)),
    }
    X = draw(arrays(np.float64, (n, d), elements=values))
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return params, X, y


@settings(max_examples=25, deadline=None)
@given(networks())
def test_gradients_match_the_tape_on_random_shapes_and_values(case):
    params, X, y = case
    Z1 = X @ params["W1"] + params["b1"]
    assume(np.all(np.abs(Z1) > 1e-9))  # ReLU's derivative at exactly 0 is a convention
    loss, grads = mlp.loss_and_grads(params, X, y)
    loss_tf, grads_tf = tape_loss_and_grads(params, X, y)
    assert loss == pytest.approx(loss_tf, rel=1e-10, abs=1e-12)
    assert set(grads) == {"W1", "b1", "W2", "b2", "X"}
    for k in grads:
        assert grads[k].shape == (X if k == "X" else params[k]).shape
        assert relative_error(grads[k], grads_tf[k]) <= 1e-5, k


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    params = mlp.init_params(5, 4, 3, seed=rng, dtype=np.float64)
    params["b1"] += 0.1
    X, y = rng.normal(size=(6, 5)), np.array([0, 1, 2, 1, 0, 2])
    _, grads = mlp.loss_and_grads(params, X, y)
    for k in ("W1", "b1", "W2", "b2", "X"):
        def loss_of(v, k=k):
            p, X_ = dict(params), X
            if k == "X":
                X_ = v
            else:
                p[k] = v
            return mlp.softmax_cross_entropy(mlp.forward(p, X_)[0], y)[0]

        assert check_gradient(loss_of, X if k == "X" else params[k], grads[k], rtol=1e-6), k


def test_float32_stays_float32_and_training_learns():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 10)) * 3
    y = rng.integers(0, 3, 300)
    X = (centres[y] + rng.normal(size=(300, 10))).astype(np.float32)
    params = mlp.init_params(10, 16, 3, seed=0)
    logits, cache = mlp.forward(params, X)
    assert logits.dtype == np.float32
    loss, dlogits = mlp.softmax_cross_entropy(logits, y)
    assert dlogits.dtype == np.float32 and isinstance(loss, float)
    assert all(g.dtype == np.float32 for g in mlp.backward(params, cache, dlogits).values())
    first = loss
    for _ in range(50):
        loss = mlp.train_step(params, X, y, 0.5)
    assert loss < 0.2 * first
    assert mlp.accuracy(params, X, y) > 0.95
    assert mlp.predict(params, X).shape == (300,)


def test_init_params_is_seeded_and_shaped():
    a, b = mlp.init_params(7, 5, 3, seed=3), mlp.init_params(7, 5, 3, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in mlp.PARAM_NAMES)
    assert [a[k].shape for k in mlp.PARAM_NAMES] == [(7, 5), (5,), (5, 3), (3,)]
    assert a["W1"].dtype == np.float32
    assert mlp.init_params(2, 2, 2, dtype=np.float64)["b2"].dtype == np.float64


def test_stable_for_large_logits():
    logits = np.array([[1000.0, 0.0, -1000.0]])
    loss, dlogits = mlp.softmax_cross_entropy(logits, np.array([2]))
    assert np.isfinite(loss) and loss == pytest.approx(2000.0)
    assert np.allclose(dlogits, [[1.0, 0.0, -1.0]])


def test_sgd_step_updates_in_place():
    params = mlp.init_params(3, 2, 2, seed=0)
    before = {k: v.copy() for k, v in params.items()}
    grads = {k: np.ones_like(v) for k, v in params.items()}
    assert mlp.sgd_step(params, grads, 0.5) is params
    assert all(np.allclose(params[k], before[k] - 0.5) for k in mlp.PARAM_NAMES)


# ------------------------------------------------------------------ bad inputs
@pytest.fixture
def params():
    return mlp.init_params(4, 3, 2, seed=0)


def test_wrong_dtypes_are_type_errors(params):
    with pytest.raises(TypeError, match="uint8.*255"):
        mlp.forward(params, np.zeros((2, 4), np.uint8))
    with pytest.raises(TypeError, match="float64 but the parameters are float32"):
        mlp.forward(params, np.zeros((2, 4)))
    with pytest.raises(TypeError, match=r"\.numpy\(\)"):
        mlp.forward(params, tf.zeros((2, 4)))
    with pytest.raises(TypeError, match="integer class labels"):
        mlp.loss_and_grads(params, np.zeros((2, 4), np.float32), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="one dtype"):
        mlp.forward({**params, "b1": params["b1"].astype(np.float64)}, np.zeros((2, 4), np.float32))
    with pytest.raises(TypeError, match="floating"):
        mlp.forward({**params, "W1": params["W1"].astype(np.int32)}, np.zeros((2, 4), np.float32))
    with pytest.raises(TypeError, match="dict"):
        mlp.forward([params["W1"]], np.zeros((2, 4), np.float32))
    with pytest.raises(TypeError, match="floating dtype"):
        mlp.init_params(2, 2, 2, dtype=np.int64)


def test_mismatched_shapes_are_value_errors(params):
    X = np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match="flatten"):
        mlp.forward(params, np.zeros((2, 2, 2), np.float32))
    with pytest.raises(ValueError, match="5 features per row but W1 expects 4"):
        mlp.forward(params, np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        mlp.loss_and_grads(params, X, np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="one-hot"):
        mlp.loss_and_grads(params, X, np.eye(2, dtype=np.int64))
    with pytest.raises(ValueError, match="0..1"):
        mlp.loss_and_grads(params, X, np.array([0, 2]))
    with pytest.raises(ValueError, match="do not fit"):
        mlp.forward({**params, "b1": np.zeros(5, np.float32)}, X)
    with pytest.raises(ValueError, match="missing"):
        mlp.forward({k: v for k, v in params.items() if k != "b2"}, X)
    _, cache = mlp.forward(params, X)
    with pytest.raises(ValueError, match="logits' shape"):
        mlp.backward(params, cache, np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="grads"):
        mlp.sgd_step(params, {k: np.zeros(1) for k in mlp.PARAM_NAMES}, 0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        mlp.sgd_step(params, {k: np.zeros_like(v) for k, v in params.items()}, -1.0)
    with pytest.raises(ValueError, match="positive int"):
        mlp.init_params(0, 2, 2)
    with pytest.raises(ValueError, match="N ≥ 1"):
        mlp.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, np.int64))


# ------------------------------------------------------------------ NaN and infinity
def _with(array, index, value):
    out = array.copy()
    out[index] = value
    return out


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_value_errors_in_every_function(params, bad):
    X = np.ones((3, 4), np.float32)
    y = np.array([0, 1, 1])
    X_bad = _with(X, (1, 2), bad)
    calls = {
        "forward": lambda: mlp.forward(params, X_bad),
        "loss_and_grads": lambda: mlp.loss_and_grads(params, X_bad, y),
        "train_step": lambda: mlp.train_step(params, X_bad, y, 0.1),
        "predict": lambda: mlp.predict(params, X_bad),
        "accuracy": lambda: mlp.accuracy(params, X_bad, y),
    }
    for call in calls.values():
        with pytest.raises(ValueError, match=r"X must hold finite numbers.*index \(1, 2\)"):
            call()
    kind = "NaN" if np.isnan(bad) else "infinite"
    with pytest.raises(ValueError, match=f"1 {kind}"):
        mlp.forward(params, X_bad)


@pytest.mark.parametrize("name", mlp.PARAM_NAMES)
def test_non_finite_parameters_are_value_errors(params, name):
    broken = {**params, name: _with(params[name], (0,) * params[name].ndim, np.nan)}
    X, y = np.ones((2, 4), np.float32), np.array([0, 1])
    for call in (lambda: mlp.forward(broken, X), lambda: mlp.predict(broken, X),
                 lambda: mlp.accuracy(broken, X, y), lambda: mlp.train_step(broken, X, y, 0.1),
                 lambda: mlp.sgd_step(broken, {k: np.zeros_like(v) for k, v in params.items()}, 0.1)):
        with pytest.raises(ValueError, match=rf"params\['{name}'\] must hold finite.*diverged"):
            call()


def test_non_finite_logits_dlogits_and_grads_are_value_errors(params):
    X, y = np.ones((2, 4), np.float32), np.array([0, 1])
    logits, cache = mlp.forward(params, X)
    with pytest.raises(ValueError, match="logits must hold finite numbers"):
        mlp.softmax_cross_entropy(_with(logits, (1, 0), np.inf), y)
    with pytest.raises(ValueError, match="dlogits must hold finite numbers"):
        mlp.backward(params, cache, _with(np.zeros_like(logits), (0, 1), np.nan))
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["b2"] = _with(grads["b2"], 0, np.nan)
    before = {k: v.copy() for k, v in params.items()}
    with pytest.raises(ValueError, match=r"grads\['b2'\] must hold finite"):
        mlp.sgd_step(params, grads, 0.1)
    assert all(np.array_equal(params[k], before[k]) for k in mlp.PARAM_NAMES), "no partial update"
    with pytest.raises(TypeError, match="numeric"):
        mlp.sgd_step(params, {**grads, "b2": np.array(["a", "b"])}, 0.1)
