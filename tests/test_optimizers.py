"""helpers.optimizers: the seven optimizers equal Keras's, and bad input gets a clear error."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import optimizers as O  # noqa: E402

STEPS = 100
RTOL = 1e-5

#: Hyperparameters that differ from every default (each optimizer's own and Keras's).
NON_DEFAULT = {
    "SGD": dict(learning_rate=0.05),
    "Momentum": dict(learning_rate=0.02, momentum=0.5),
    "Nesterov": dict(learning_rate=0.02, momentum=0.7),
    "Adagrad": dict(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-5),
    "Adadelta": dict(learning_rate=1.0, rho=0.9, epsilon=1e-6),
    "RMSprop": dict(learning_rate=0.01, rho=0.8, momentum=0.5, epsilon=1e-6, centered=True),
    "Adam": dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6),
}
#: Keras's own class and arguments for our defaults (Momentum and Nesterov add momentum=0.9).
KERAS_DEFAULTS = {
    "SGD": lambda: keras.optimizers.SGD(),
    "Momentum": lambda: keras.optimizers.SGD(momentum=0.9),
    "Nesterov": lambda: keras.optimizers.SGD(momentum=0.9, nesterov=True),
    "Adagrad": lambda: keras.optimizers.Adagrad(),
    "Adadelta": lambda: keras.optimizers.Adadelta(),
    "RMSprop": lambda: keras.optimizers.RMSprop(),
    "Adam": lambda: keras.optimizers.Adam(),
}


class RandomProblem:
    """f(θ) = Σ c·(θ − t)² + 0.1·Σ sin(3θ) over variables of random shapes (ranks 0–3)."""

    def __init__(self, seed: int, n_variables: int = 3):
        rng = np.random.default_rng(seed)
        shapes = [tuple(int(n) for n in rng.integers(1, 5, size=rank)) for rank in rng.permutation(4)[:n_variables]]
        self.start = [rng.normal(size=s).astype(np.float32) for s in shapes]
        self.target = [tf.constant(rng.normal(size=s).astype(np.float32)) for s in shapes]
        self.scale = [tf.constant(rng.uniform(0.1, 3.0, size=s).astype(np.float32)) for s in shapes]

    def gradients(self, variables):
        # Written out (not taped) to keep the test fast: ∂f/∂θ = 2c(θ − t) + 0.3 cos(3θ).
        return [2 * c * (v - t) + 0.3 * tf.cos(3 * v) for v, t, c in zip(variables, self.target, self.scale)]

    def run(self, opt, steps=STEPS, compiled=False):
        """Take ``steps`` steps from the start; eagerly, or in one tf.function (as model.fit does)."""
        variables = [tf.Variable(s) for s in self.start]

        def step():
            opt.apply_gradients(zip(self.gradients(variables), variables))

        if compiled:
            opt.build(variables)  # state first, so that tf.function traces once
            step = tf.function(step, autograph=False)
        for _ in range(steps):
            step()
        return [v.numpy() for v in variables]


def assert_same(ours, theirs):
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=0)


# ---------------------------------------------------------------- equal to Keras
@pytest.mark.parametrize("name", list(O.OPTIMIZERS))
def test_defaults_match_keras(name):
    """Compiled with tf.function, the way Keras's fit runs an optimizer."""
    problem = RandomProblem(seed=list(O.OPTIMIZERS).index(name))
    ours, theirs = O.OPTIMIZERS[name](), KERAS_DEFAULTS[name]()
    assert_same(problem.run(ours, compiled=True), problem.run(theirs, compiled=True))
    assert int(ours.iterations.numpy()) == int(theirs.iterations.numpy()) == STEPS


@pytest.mark.parametrize("name", list(O.OPTIMIZERS))
def test_eager_steps_match_keras(name):
    """Eagerly, one operation at a time (fewer steps: eager Keras is slow)."""
    problem = RandomProblem(seed=200 + list(O.OPTIMIZERS).index(name), n_variables=2)
    ours = O.OPTIMIZERS[name](**NON_DEFAULT[name])
    assert_same(problem.run(ours, steps=20), problem.run(ours.keras_equivalent(), steps=20))


@pytest.mark.parametrize("name", list(O.OPTIMIZERS))
def test_non_default_hyperparameters_match_keras(name):
    """Compiled with tf.function, the way Keras's fit runs an optimizer; three variables."""
    problem = RandomProblem(seed=100 + list(O.OPTIMIZERS).index(name))
    ours = O.OPTIMIZERS[name](**NON_DEFAULT[name])
    theirs = ours.keras_equivalent()
    for key, value in NON_DEFAULT[name].items():  # the Keras object really got the settings
        assert getattr(theirs, key, None) == value or key == "learning_rate"
    assert float(theirs.learning_rate.numpy()) == pytest.approx(NON_DEFAULT[name]["learning_rate"])
    before = problem.run(O.OPTIMIZERS[name](), steps=5)
    after = problem.run(ours, compiled=True)
    assert not all(np.allclose(a, b) for a, b in zip(before, after))
    assert_same(after, problem.run(theirs, compiled=True))


@pytest.mark.parametrize("kwargs", [dict(centered=True), dict(momentum=0.9), dict(rho=0.5, epsilon=1e-3)])
def test_rmsprop_options_match_keras(kwargs):
    problem = RandomProblem(seed=7, n_variables=2)
    ours = O.RMSprop(learning_rate=0.01, **kwargs)
    theirs = ours.keras_equivalent()
    assert_same(problem.run(ours, compiled=True), problem.run(theirs, compiled=True))


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_learning_rate_schedule_matches_keras(name):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    problem = RandomProblem(seed=8, n_variables=2)
    ours = O.OPTIMIZERS[name](learning_rate=schedule)
    theirs = {"SGD": keras.optimizers.SGD, "Adam": keras.optimizers.Adam}[name](learning_rate=schedule)
    assert_same(problem.run(ours, steps=40, compiled=True), problem.run(theirs, steps=40, compiled=True))
    assert float(ours.current_learning_rate()) == pytest.approx(0.1 * 0.5**4)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_sparse_gradients_from_gather_match_keras(name):
    """tf.gather's gradient is a tf.IndexedSlices; it is used as the dense tensor it stands for."""
    def run(opt):
        table = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
        for _ in range(10):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.gather(table, [0, 2]) ** 2)
            grad = tape.gradient(loss, table)
            assert isinstance(grad, tf.IndexedSlices)
            opt.apply_gradients([(grad, table)])
        return [table.numpy()]

    ours = O.OPTIMIZERS[name](learning_rate=0.05)
    assert_same(run(ours), run(ours.keras_equivalent()))


def test_repeated_indices_use_the_dense_gradient():
    """With an index gathered twice, Keras squares each slice before adding (1² + 1² = 2);
    ours squares the true, summed gradient ((1 + 1)² = 4), as Keras does for a dense gradient."""
    slices = tf.IndexedSlices(tf.ones((2, 2)), tf.constant([2, 2]), tf.constant([3, 2]))
    ours, theirs, theirs_sparse = O.Adagrad(0.1), keras.optimizers.Adagrad(0.1), keras.optimizers.Adagrad(0.1)
    tables = [tf.Variable(tf.zeros((3, 2))) for _ in range(3)]
    ours.apply([slices], [tables[0]])
    theirs.apply([tf.convert_to_tensor(slices)], [tables[1]])
    theirs_sparse.apply([slices], [tables[2]])
    np.testing.assert_allclose(ours.slot(tables[0], "accumulator").numpy()[2], 0.1 + 4.0)
    assert_same([tables[0].numpy()], [tables[1].numpy()])
    assert not np.allclose(tables[0].numpy(), tables[2].numpy())


def test_inside_tf_function_equals_eager_and_traces_once():
    problem = RandomProblem(seed=9, n_variables=2)
    eager = problem.run(O.Adam(0.01), steps=10)
    opt, variables, traces = O.Adam(0.01), [tf.Variable(s) for s in problem.start], []
    opt.build(variables)
    assert int(opt.iterations.numpy()) == 0
    np.testing.assert_array_equal(variables[0].numpy(), problem.start[0])

    @tf.function
    def step():
        traces.append(1)
        opt.apply(problem.gradients(variables), variables)

    for _ in range(10):
        step()
    assert len(traces) == 1, "building the state first lets tf.function trace the step once"
    assert_same([v.numpy() for v in variables], eager)


def test_keras_model_variables_are_accepted():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x, y = tf.ones((4, 3)), tf.zeros((4, 2))
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for net, opt in ((model, O.Adam(0.1)), (copy, keras.optimizers.Adam(0.1))):
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((net(x) - y) ** 2)
            opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
    assert_same([w.numpy() for w in model.trainable_variables], [w.numpy() for w in copy.trainable_variables])


def test_state_is_made_lazily_per_variable_with_the_right_shape():
    opt = O.Adagrad()
    a, b = tf.Variable(tf.ones((2, 3))), tf.Variable(1.0)
    assert opt._state == {}
    opt.apply([tf.ones((2, 3)), tf.constant(2.0)], [a, b])
    acc = opt.slot(a, "accumulator")
    assert acc.shape == (2, 3) and not acc.trainable
    np.testing.assert_allclose(acc.numpy(), 0.1 + 1.0)
    np.testing.assert_allclose(opt.slot(b, "accumulator").numpy(), 0.1 + 4.0)


def test_one_step_by_hand():
    """The first steps written out: SGD moves by ηg; Adam by about η in every coordinate."""
    v = tf.Variable([1.0, -2.0])
    O.SGD(0.1).apply([tf.constant([0.5, -4.0])], [v])
    np.testing.assert_allclose(v.numpy(), [0.95, -1.6], rtol=1e-6)
    v = tf.Variable([1.0, -2.0])
    O.Adam(0.01).apply([tf.constant([0.5, -4.0])], [v])
    np.testing.assert_allclose(v.numpy(), [0.99, -1.99], rtol=1e-5)


def test_repr_and_hyperparameters():
    opt = O.RMSprop(learning_rate=0.01, centered=True)
    assert opt.hyperparameters() == dict(learning_rate=0.01, rho=0.9, momentum=0.0, epsilon=1e-7, centered=True)
    assert repr(opt).startswith("RMSprop(learning_rate=0.01, rho=0.9")
    assert list(O.OPTIMIZERS) == ["SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "RMSprop", "Adam"]


# ---------------------------------------------------------------- bad input
@pytest.fixture
def two():
    return [tf.Variable([1.0, 2.0], name="w"), tf.Variable(3.0, name="b")]


def test_lengths_differ(two):
    with pytest.raises(ValueError, match="got 1 gradients for 2 variables"):
        O.SGD().apply([tf.ones(2)], two)
    with pytest.raises(ValueError, match="got 3 gradients for 2 variables"):
        O.Adam().apply([tf.ones(2), tf.ones(()), tf.ones(())], two)


def test_none_gradient_names_the_variable(two):
    with pytest.raises(ValueError, match=r"gradient for variable 1 \('b:0'\) is None: the loss does not depend"):
        O.Adam().apply([tf.ones(2), None], two)
    # The usual way to get one: a variable that the loss does not use.
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(two[0] ** 2)
    with pytest.raises(ValueError, match="is None"):
        O.SGD().apply_gradients(zip(tape.gradient(loss, two), two))


def test_shape_mismatch(two):
    with pytest.raises(ValueError, match=r"has shape \(3,\), but the variable has shape \(2,\)"):
        O.RMSprop().apply([tf.ones(3), tf.ones(())], two)
    with pytest.raises(ValueError, match="same order"):  # gradients in the wrong order
        O.SGD().apply([tf.ones(()), tf.ones(2)], two)
    with pytest.raises(ValueError, match=r"has shape \(1, 2\)"):  # no silent broadcasting
        O.SGD().apply([tf.ones((1, 2)), tf.ones(())], two)


def test_not_a_variable(two):
    with pytest.raises(TypeError, match="variable 0 must be a tf.Variable.*got a EagerTensor"):
        O.SGD().apply([tf.ones(2)], [tf.constant([1.0, 2.0])])
    with pytest.raises(TypeError, match="must be a tf.Variable.*ndarray"):
        O.SGD().apply([tf.ones(2)], [np.ones(2, np.float32)])
    with pytest.raises(TypeError, match="only float variables"):
        O.SGD().apply([tf.ones(2, tf.int32)], [tf.Variable([1, 2])])


def test_malformed_lists(two):
    with pytest.raises(TypeError, match="must be lists"):
        O.SGD().apply(tf.ones(2), two[0])
    with pytest.raises(TypeError, match="must be lists"):
        O.SGD().apply(3, two)
    with pytest.raises(ValueError, match="empty"):
        O.SGD().apply([], [])
    with pytest.raises(ValueError, match="appears twice"):
        O.SGD().apply([tf.ones(2), tf.ones(2)], [two[0], two[0]])
    with pytest.raises(TypeError, match=r"\(gradient, variable\) pair"):
        O.SGD().apply_gradients([tf.ones(2)])
    with pytest.raises(TypeError, match="iterable"):
        O.SGD().apply_gradients(None)
    with pytest.raises(TypeError, match="expected floats"):
        O.SGD().apply([tf.constant(["a", "b"]), tf.ones(())], two)


def test_bad_input_changes_nothing(two):
    opt = O.Adam()
    with pytest.raises(ValueError):
        opt.apply([tf.ones(2), None], two)
    assert int(opt.iterations.numpy()) == 0 and opt._state == {}
    np.testing.assert_array_equal(two[0].numpy(), [1.0, 2.0])


@pytest.mark.parametrize(
    "cls, kwargs, error, match",
    [
        (O.SGD, dict(learning_rate=-0.1), ValueError, "learning_rate must be at least 0"),
        (O.SGD, dict(learning_rate=float("nan")), ValueError, "finite"),
        (O.SGD, dict(learning_rate="0.1"), TypeError, "learning_rate must be a number"),
        (O.SGD, dict(learning_rate=True), TypeError, "must be a number"),
        (O.Momentum, dict(momentum=1.5), ValueError, r"momentum must be in \[0, 1\)"),
        (O.Nesterov, dict(momentum=-0.1), ValueError, "momentum must be at least 0"),
        (O.Adagrad, dict(initial_accumulator_value=-1.0), ValueError, "initial_accumulator_value"),
        (O.Adagrad, dict(epsilon=-1e-7), ValueError, "epsilon must be at least 0"),
        (O.Adadelta, dict(rho=1.0), ValueError, r"rho must be in \[0, 1\)"),
        (O.RMSprop, dict(centered="yes"), TypeError, "centered must be True or False"),
        (O.RMSprop, dict(rho=2), ValueError, "rho"),
        (O.Adam, dict(beta_1=1.0), ValueError, r"beta_1 must be in \[0, 1\)"),
        (O.Adam, dict(beta_2=None), TypeError, "beta_2 must be a number"),
    ],
)
def test_bad_hyperparameters(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_base_class_needs_update_step(two):
    with pytest.raises(NotImplementedError, match="update_step"):
        O.Optimizer(0.1).apply([tf.ones(2), tf.ones(())], two)


# ---------------------------------------------------------------- the chapter's plotting helpers
def _bowl(x, y):
    return x**2 + 3 * y**2


def test_plot_paths_draws_every_path_and_marks():
    import matplotlib.pyplot as plt

    from helpers import plotting

    paths = {"a": [[1.0, 1.0], [0.5, 0.4], [0.1, 0.0]], "b": np.array([[1.0, 1.0], [0.0, 0.2]])}
    fig = plotting.plot_paths(_bowl, paths, xlim=(-1, 1.5), ylim=(-1, 1.5), title="t", minimum=(0, 0))
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"a", "b", "start", "minimum"} <= set(labels)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1.0, 0.5, 0.1])
    assert ax.get_title() == "t" and ax.get_xlim() == (-1.0, 1.5)
    plt.close(fig)
    fig, axes = plt.subplots(1, 2)
    assert plotting.plot_paths(_bowl, paths, xlim=(-1, 1), ylim=(-1, 1), title="left", ax=axes[0]) is fig
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(paths=[[0, 0]]), TypeError, "mapping"),
        (dict(paths={}), TypeError, "mapping"),
        (dict(paths={"a": [1.0, 2.0]}), ValueError, r"shape \(steps, 2\)"),
        (dict(paths={str(i): [[0, 0]] for i in range(8)}), ValueError, "at most 7"),
        (dict(xlim=(1, -1)), ValueError, "xlim"),
        (dict(f=lambda x, y: 1.0), ValueError, "grid's shape"),
        (dict(f="bowl"), TypeError, "f must be a function"),
    ],
)
def test_plot_paths_bad_input(kwargs, error, match):
    from helpers import plotting

    args = dict(f=_bowl, paths={"a": [[0.0, 0.0]]}, xlim=(-1, 1), ylim=(-1, 1), title="t") | kwargs
    with pytest.raises(error, match=match):
        plotting.plot_paths(args.pop("f"), args.pop("paths"), **args)


def test_animate_paths_frames_and_errors():
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    from helpers import plotting

    path = np.stack([np.linspace(1, 0, 11), np.linspace(1, 0, 11)], axis=1)
    anim = plotting.animate_paths(_bowl, {"a": path, "b": path * 0.5}, xlim=(-1, 1.5), ylim=(-1, 1.5),
                                  title="t", frames=4)
    assert isinstance(anim, FuncAnimation)
    html = plotting.animation_html(anim, alt="Two paths sliding down a bowl").data
    assert html.count("data:image/png;base64") == 4
    with pytest.raises(ValueError, match="same number of points"):
        plotting.animate_paths(_bowl, {"a": path, "b": path[:5]}, xlim=(-1, 1), ylim=(-1, 1), title="t")
    for frames in (1, 61, 2.5, True):
        with pytest.raises(ValueError, match="frames must be an int from 2 to 60"):
            plotting.animate_paths(_bowl, {"a": path}, xlim=(-1, 1), ylim=(-1, 1), title="t", frames=frames)
    plt.close("all")


# ---------------------------------------------------------------- RMSprop in a compiled training step
def _mlp_problem(seed=3):
    """A small MLP (shapes like chapter 8's: a matrix, a vector, a matrix, a vector) and a batch."""
    rng = np.random.default_rng(seed)
    shapes = [(12, 7), (7,), (7, 3), (3,)]
    start = [(rng.normal(size=s) * 0.3).astype(np.float32) for s in shapes]
    x = tf.constant(rng.normal(size=(16, 12)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 3, size=16))

    def loss_fn(params, x, labels):
        W1, b1, W2, b2 = params
        logits = tf.matmul(tf.nn.relu(tf.matmul(x, W1) + b1), W2) + b2
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

    return start, x, labels, loss_fn


@pytest.mark.parametrize("build_first", [True, False])
@pytest.mark.parametrize("kwargs", [dict(), dict(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True)])
def test_rmsprop_in_a_compiled_training_step_matches_keras(build_first, kwargs):
    """Chapter 8's use: one tf.function step over variables of different shapes, gradients from the tape."""
    start, x, labels, loss_fn = _mlp_problem()
    results, traces = [], []
    for opt in (O.RMSprop(**kwargs), keras.optimizers.RMSprop(**kwargs)):
        params = [tf.Variable(s) for s in start]
        if build_first:
            opt.build(params)

        @tf.function(input_signature=[tf.TensorSpec([None, 12]), tf.TensorSpec([None], tf.int64)])
        def train_step(xb, yb, opt=opt, params=params):
            traces.append(type(opt).__module__)
            with tf.GradientTape() as tape:
                loss = loss_fn(params, xb, yb)
            opt.apply_gradients(zip(tape.gradient(loss, params), params))
            return loss

        for k in range(30):
            lo = (k * 4) % 16
            train_step(x[lo:lo + 8], labels[lo:lo + 8])
        assert int(opt.iterations.numpy()) == 30
        results.append([p.numpy() for p in params])
    assert_same(*results)
    ours = [t for t in traces if t == O.__name__]
    assert len(ours) == (1 if build_first else 2), "built first, the step traces once; else twice (state made on the first trace)"
    assert not np.allclose(results[0][0], start[0])
