"""helpers.engine (the scalar reverse-mode engine) against tf.GradientTape, and its error messages.

Also tests helpers.plotting.plot_computation_graph, which draws the engine's graphs.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from helpers import plotting  # noqa: E402
from helpers.engine import Value, topological_order  # noqa: E402
from helpers.gradcheck import relative_error  # noqa: E402

# ------------------------------------------------------------------ random expressions
# Each operation works on Values and on tensors; log and / get positive arguments only.
OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (1 + b * b),
    "rdiv": lambda a, b: 1 / (1 + a * a),
    "rsub": lambda a, b: 2 - a,
    "neg": lambda a, b: -a,
    "**2": lambda a, b: a**2,
    "**3": lambda a, b: a**3,
    "exp": lambda a, b: tf.exp(a) if tf.is_tensor(a) else a.exp(),
    "log": lambda a, b: tf.math.log(1 + a * a) if tf.is_tensor(a) else (1 + a * a).log(),
    "tanh": lambda a, b: tf.tanh(a) if tf.is_tensor(a) else a.tanh(),
    "sigmoid": lambda a, b: tf.sigmoid(a) if tf.is_tensor(a) else a.sigmoid(),
    "relu": lambda a, b: tf.nn.relu(a) if tf.is_tensor(a) else a.relu(),
}


def run(program, inputs):
    results = list(inputs)
    for op, j, k in program:
        results.append(OPS[op](results[j], results[k]))
    return results[-1]


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 4))
    n_ops = draw(st.integers(1, 10))
    program = []
    for i in range(n_ops):
        available = n_inputs + i
        program.append((draw(st.sampled_from(sorted(OPS))), draw(st.integers(0, available - 1)),
                        draw(st.integers(0, available - 1))))
    xs = draw(st.lists(st.floats(-2, 2, allow_nan=False, allow_subnormal=False),
                       min_size=n_inputs, max_size=n_inputs))
    return program, xs


@settings(max_examples=25, deadline=None)
@given(programs())
def test_random_expressions_match_the_tape(case):
    program, xs = case
    leaves = [Value(x) for x in xs]
    try:
        out = run(program, leaves)
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)  # e.g. exp overflow or 0 ** -1: not an expression we can compare
    assume(abs(out.data) < 1e8)
    variables = [tf.Variable(x, dtype=tf.float64) for x in xs]
    with tf.GradientTape() as tape:
        out_tf = run(program, variables)
    grads_tf = tape.gradient(out_tf, variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assume(all(np.isfinite(g.numpy()) for g in grads_tf))
    out.backward()
    assert relative_error(out.data, out_tf.numpy()) < 1e-10
    assert relative_error([v.grad for v in leaves], [g.numpy() for g in grads_tf]) < 1e-8


@settings(max_examples=25, deadline=None)
@given(st.floats(-6, 6, allow_subnormal=False), st.floats(-3, 3, allow_subnormal=False))
def test_every_unary_operation_matches_the_tape(x, y):
    # Beyond |x| ≈ 6, σ'(x) = σ(1 − σ) and tanh' = 1 − tanh² lose digits to cancellation, in the
    # engine and in TensorFlow alike (differently), so the comparison would test rounding only.
    # Subnormal numbers are left out: TensorFlow flushes them to zero, so relu'(1e-313) is 0 there.
    for name, op in [("exp", lambda v: v.exp()), ("tanh", lambda v: v.tanh()),
                     ("sigmoid", lambda v: v.sigmoid()), ("relu", lambda v: v.relu())]:
        v = Value(x)
        out = op(v) * y
        out.backward()
        t = tf.Variable(x, dtype=tf.float64)
        with tf.GradientTape() as tape:
            out_tf = {"exp": tf.exp, "tanh": tf.tanh, "sigmoid": tf.sigmoid, "relu": tf.nn.relu}[name](t) * y
        g = tape.gradient(out_tf, t).numpy()
        assert relative_error(out.data, out_tf.numpy(), floor=1e-12) < 1e-9, name
        assert relative_error(v.grad, g, floor=1e-12) < 1e-9, name


# ------------------------------------------------------------------ the lessons of the chapter
def test_a_plus_a_accumulates():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a = Value(3.0)
    c = a * a * a  # d(a³)/da = 3a²
    c.backward()
    assert a.grad == pytest.approx(27.0)


def test_backward_twice_accumulates_and_zero_grad_resets():
    w, x = Value(-1.5), Value(2.0)
    loss = (w * x + 0.5).sigmoid()
    loss.backward()
    first = w.grad
    loss.backward()
    assert w.grad != pytest.approx(first)
    loss.zero_grad()
    assert all(v.grad == 0 for v in topological_order(loss))
    loss.backward()
    assert w.grad == pytest.approx(first)


def test_topological_order_puts_children_first_and_root_last():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e and len(order) == 5
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for child in v._prev:
            assert position[id(child)] < position[id(v)]


def test_deep_graph_needs_no_recursion():
    x = Value(0.5)
    out = x
    for _ in range(5000):
        out = out + x
    out.backward()
    assert x.grad == 5001


def test_sigmoid_is_stable_for_large_inputs_and_relu_at_zero_is_zero():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0
    v = Value(0.0)
    v.relu().backward()
    assert v.grad == 0.0  # like tf.nn.relu


def test_numbers_on_either_side_and_numpy_scalars():
    x = Value(np.float32(2.0))
    out = 1 + 2 * x - 3 / x + (4 - x) / 2
    out.backward()
    assert out.data == pytest.approx(1 + 4 - 1.5 + 1)
    assert x.grad == pytest.approx(2 + 3 / 4 - 0.5)
    assert Value(np.array(1.5)).data == 1.5
    assert "grad" in repr(Value(1.0, label="w"))


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("bad", ["3", None, True, [1.0], complex(1, 2)])
def test_non_numbers_are_a_type_error(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_tensors_are_refused_with_a_hint():
    with pytest.raises(TypeError, match="float"):
        Value(tf.constant(1.0))


def test_arrays_and_non_finite_values_are_a_value_error():
    with pytest.raises(ValueError, match="single number"):
        Value(np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        Value(float("nan"))
    with pytest.raises(ValueError, match="finite"):
        Value(math.inf)


def test_bad_operations_say_what_is_wrong():
    with pytest.raises(TypeError, match="real number"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="constant exponent"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="overflows"):
        Value(1000.0).exp()
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ValueError, match="not a real number"):
        Value(-2.0) ** 0.5
    with pytest.raises(TypeError, match="children must be Values"):
        Value(1.0, (2.0,))
    with pytest.raises(TypeError, match="expected a Value"):
        topological_order(3.0)


# ------------------------------------------------------------------ the drawing
def test_plot_computation_graph_draws_values_and_grads():
    w, x = Value(-1.5, label="w"), Value(2.0, label="x")
    out = (w * x + x).tanh()
    out.label = "out"
    out.backward()
    fig = plotting.plot_computation_graph(out)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "w" in texts and "out" in texts
    assert f"{w.data:.4f}" in texts and f"{w.grad:.4f}" in texts and f"{out.data:.4f}" in texts
    assert {"×", "+", "tanh"} <= set(texts)
    grad_texts = [t for t in fig.axes[0].texts if t.get_text() == f"{w.grad:.4f}"]
    assert matplotlib.colors.same_color(grad_texts[0].get_color(), plotting.COLORS["vermillion"])
    plt.close(fig)
    fig = plotting.plot_computation_graph(out, show_grad=False)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert f"{w.data:.4f}" in texts and f"{w.grad:.4f}" not in texts
    plt.close(fig)


def test_plot_computation_graph_accepts_a_description():
    graph = {"nodes": {"a": {"value": 2.0, "grad": 3.0}, "b": {"value": 3.0},
                       "c": {"value": 6.0, "op": "×", "grad": 1.0}},
             "edges": [("a", "c"), ("b", "c")]}
    fig = plotting.plot_computation_graph(graph, title="a small graph")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "3.0000" in texts and "?" in texts and "×" in texts
    assert fig.get_suptitle() == "a small graph"
    plt.close(fig)


def test_plot_computation_graph_bad_input():
    with pytest.raises(TypeError, match="graph must be"):
        plotting.plot_computation_graph(3.0)
    with pytest.raises(ValueError, match="not in graph"):
        plotting.plot_computation_graph({"nodes": {"a": {"value": 1}}, "edges": [("a", "z")]})
    with pytest.raises(ValueError, match="cycle"):
        plotting.plot_computation_graph({"nodes": {"a": {"value": 1}, "b": {"value": 2}},
                                         "edges": [("a", "b"), ("b", "a")]})
    with pytest.raises(TypeError, match="value"):
        plotting.plot_computation_graph({"nodes": {"a": {"grad": 1}}})
    with pytest.raises(TypeError, match="show_grad"):
        plotting.plot_computation_graph(Value(1.0), show_grad="yes")
    plt.close("all")
