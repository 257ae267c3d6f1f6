"""Seven optimizers written from their update equations, each equal to its Keras counterpart.

Introduced in chapter "Optimizers from scratch, verified against Keras"; reused by the
MNIST-from-scratch chapter and by exercises.

Every optimizer has the interface of ``keras.optimizers``::

    opt = Adam(learning_rate=0.001)
    opt.apply_gradients(zip(grads, variables))   # or opt.apply(grads, variables)

Variables are ``tf.Variable`` objects (or Keras variables, which wrap one). The state an
optimizer keeps per variable (a velocity, an accumulator, ...) is created the first time
that variable is updated, as a ``tf.Variable`` of the same shape.

The formulas follow Keras 3's own code, operation for operation, so that 100 steps agree
with ``keras.optimizers`` to float32 rounding (``tests/test_optimizers.py``). Where Keras
differs from the paper (epsilon placement, the form of Nesterov momentum, Adadelta's
learning rate), the chapter says so. Left out on purpose: weight decay, gradient
clipping, EMA of weights, loss scaling, gradient accumulation and AMSGrad.

Compiled training steps: every optimizer works inside ``tf.function`` on a list of
variables of any shapes (chapter 8 trains with ``RMSprop`` this way). Its state is made
on the first trace, so that trace runs twice; call ``opt.build(variables)`` before the
first step to trace once. The chapter's exercises add global-norm clipping and AdamW.

One deliberate difference: a sparse gradient (``tf.IndexedSlices``, from ``tf.gather``)
is used as the dense tensor it stands for. Keras does the same unless an index repeats:
then it squares each slice before adding them up, where we square their sum (the true
gradient), as Keras does for a dense gradient.
"""

from __future__ import annotations

import math
import numbers

import tensorflow as tf

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "OPTIMIZERS",
]


# ---------------------------------------------------------------- input checks
def _check_number(value, name: str, *, low: float = 0.0, high: float | None = None,
                  high_open: bool = True) -> float:
    """A real number with ``low <= value`` and ``value < high`` (or ``<=``); else a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low:g}, got {value!r}")
    if high is not None and (value >= high if high_open else value > high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low:g}, {high:g}{bracket}, got {value!r}")
    return value


def _check_learning_rate(learning_rate):
    """A non-negative number, or a callable ``step -> learning rate`` (a Keras schedule)."""
    if callable(learning_rate):
        return learning_rate
    return _check_number(learning_rate, "learning_rate")


def _as_tf_variable(variable, index: int) -> tf.Variable:
    """The ``tf.Variable`` to update: the variable itself, or the one a Keras variable wraps."""
    if isinstance(variable, tf.Variable):
        return variable
    inner = getattr(variable, "value", None)  # a keras.Variable wraps a tf.Variable on TensorFlow
    if isinstance(inner, tf.Variable):
        return inner
    raise TypeError(
        f"variable {index} must be a tf.Variable (the optimizer updates it in place), got a "
        f"{type(variable).__name__}; wrap it with tf.Variable(...)"
    )


def _variable_name(variable, index: int) -> str:
    name = getattr(variable, "name", None)
    return f"variable {index} ({name!r})" if name else f"variable {index}"


def _check_inputs(grads, variables):
    """Lists of (gradient tensor, tf.Variable) of equal length, matching shapes, no ``None``."""
    if isinstance(grads, (tf.Tensor, tf.Variable)) or isinstance(variables, (tf.Tensor, tf.Variable)):
        raise TypeError(
            "grads and variables must be lists (one gradient per variable), e.g. "
            "opt.apply([grad], [variable]); got a single tensor"
        )
    try:
        grads, variables = list(grads), list(variables)
    except TypeError:
        raise TypeError(
            "grads and variables must be lists (one gradient per variable), got "
            f"{type(grads).__name__} and {type(variables).__name__}"
        ) from None
    if len(grads) != len(variables):
        raise ValueError(
            f"got {len(grads)} gradients for {len(variables)} variables: "
            "pass exactly one gradient per variable, in the same order"
        )
    if not variables:
        raise ValueError("no variables to update: grads and variables are empty")
    tf_vars, seen = [], set()
    for i, variable in enumerate(variables):
        v = _as_tf_variable(variable, i)
        if not v.dtype.is_floating:
            raise TypeError(f"{_variable_name(v, i)} has dtype {v.dtype.name}; only float variables can be trained")
        if v.ref() in seen:
            raise ValueError(f"{_variable_name(v, i)} appears twice; each variable must be listed once")
        seen.add(v.ref())
        tf_vars.append(v)
    tensors = []
    for i, (grad, v) in enumerate(zip(grads, tf_vars)):
        if grad is None:
            raise ValueError(
                f"the gradient for {_variable_name(v, i)} is None: the loss does not depend on "
                "it (was it used inside the tape? was a NumPy operation used?). Remove the "
                "variable from the list or fix the computation"
            )
        grad = tf.convert_to_tensor(grad)  # also turns tf.IndexedSlices into a dense tensor
        if not (grad.dtype.is_floating or grad.dtype.is_integer):
            raise TypeError(f"the gradient for {_variable_name(v, i)} has dtype {grad.dtype.name}; expected floats")
        if grad.shape != v.shape:
            raise ValueError(
                f"the gradient for {_variable_name(v, i)} has shape {grad.shape}, but the variable "
                f"has shape {v.shape}: gradients and variables must be in the same order and shape"
            )
        tensors.append(tf.cast(grad, v.dtype))
    return tensors, tf_vars


# ---------------------------------------------------------------- the shared interface
class Optimizer:
    """Base class: a learning rate, a step counter and per-variable state.

    Introduced in chapter "Optimizers from scratch, verified against Keras". A subclass
    writes one method, ``update_step(grad, variable, lr)``, from its update equation.
    ``learning_rate`` is a non-negative number or a callable ``step -> rate`` such as a
    ``keras.optimizers.schedules.LearningRateSchedule``.
    """

    def __init__(self, learning_rate):
        self.learning_rate = _check_learning_rate(learning_rate)
        # Steps taken so far; a tf.Variable so that it also counts inside tf.function.
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self._state = {}

    def slot(self, variable, name, initial_value=0.0):
        """The state ``name`` kept for ``variable``: a tf.Variable of its shape, made on first use.

        Introduced in chapter "Optimizers from scratch, verified against Keras".
        """
        per_variable = self._state.setdefault(variable.ref(), {})
        if name not in per_variable:
            with tf.init_scope():  # created once, outside any tf.function being traced
                per_variable[name] = tf.Variable(
                    tf.fill(variable.shape, tf.cast(initial_value, variable.dtype)),
                    trainable=False, name=name,
                )
        return per_variable[name]

    def build(self, variables):
        """Create the state of every variable now, without changing anything.

        Introduced in chapter "Optimizers from scratch, verified against Keras". Optional:
        state is otherwise made on first use. Call it before wrapping training steps in
        ``tf.function``, which must trace twice when a traced call creates variables. It
        traces one step with zero gradients (never run) to see what is needed.
        """
        variables = [_as_tf_variable(v, i) for i, v in enumerate(variables)]

        def one_step():
            for v in variables:
                self.update_step(tf.zeros_like(v), v, tf.constant(0.0, v.dtype))

        tf.function(one_step, autograph=False).get_concrete_function()  # traced, not run

    def current_learning_rate(self):
        """The learning rate for the coming step (a schedule is called with the step count).

        Introduced in chapter "Optimizers from scratch, verified against Keras".
        """
        if callable(self.learning_rate):
            return self.learning_rate(self.iterations)
        return self.learning_rate

    def apply(self, grads, variables):
        """Update each variable from its gradient, then count one step.

        Introduced in chapter "Optimizers from scratch, verified against Keras". Raises a
        clear error for gradients and variables of different lengths, a ``None`` gradient,
        a gradient whose shape differs from its variable, or something that is not a variable.
        """
        grads, variables = _check_inputs(grads, variables)
        lr = self.current_learning_rate()
        for grad, variable in zip(grads, variables):
            self.update_step(grad, variable, tf.cast(lr, variable.dtype))
        self.iterations.assign_add(1)

    def apply_gradients(self, grads_and_vars):
        """Keras's spelling: ``opt.apply_gradients(zip(grads, variables))``.

        Introduced in chapter "Optimizers from scratch, verified against Keras".
        """
        try:
            pairs = list(grads_and_vars)
        except TypeError:
            raise TypeError(
                f"grads_and_vars must be an iterable of (gradient, variable) pairs, got {type(grads_and_vars).__name__}"
            ) from None
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"grads_and_vars[{i}] must be a (gradient, variable) pair, got {pair!r}")
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def update_step(self, grad, variable, lr):
        raise NotImplementedError("a subclass writes update_step(grad, variable, lr)")

    def hyperparameters(self) -> dict:
        """The constructor arguments, as a dict (``learning_rate`` first).

        Introduced in chapter "Optimizers from scratch, verified against Keras".
        """
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "iterations"}

    def keras_equivalent(self):
        """The ``keras.optimizers`` object with the same hyperparameters (for comparisons).

        Introduced in chapter "Optimizers from scratch, verified against Keras".
        """
        import keras

        return self._keras(keras.optimizers)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------- the seven optimizers
class SGD(Optimizer):
    """Plain gradient descent: θ ← θ − η g. Keras: ``SGD(learning_rate)``.

    Introduced in chapter "Optimizers from scratch, verified against Keras".
    """

    def __init__(self, learning_rate=0.01):
        super().__init__(learning_rate)

    def update_step(self, grad, variable, lr):
        variable.assign_sub(grad * lr)

    def _keras(self, k):
        return k.SGD(learning_rate=self.learning_rate)


class Momentum(Optimizer):
    """Classical momentum: m ← βm − η g; θ ← θ + m. Keras: ``SGD(momentum=β)``.

    Introduced in chapter "Optimizers from scratch, verified against Keras".
    """

    def __init__(self, learning_rate=0.01, momentum=0.9):
        super().__init__(learning_rate)
        self.momentum = _check_number(momentum, "momentum", high=1.0)

    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        m.assign(m * self.momentum - grad * lr)
        variable.assign_add(m)

    def _keras(self, k):
        return k.SGD(learning_rate=self.learning_rate, momentum=self.momentum)


class Nesterov(Momentum):
    """Nesterov momentum in Keras's form: m ← βm − η g; θ ← θ + βm − η g.

    Keras: ``SGD(momentum=β, nesterov=True)``. Introduced in chapter "Optimizers from
    scratch, verified against Keras".
    """

    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        m.assign(m * self.momentum - grad * lr)
        variable.assign_add(m * self.momentum - grad * lr)

    def _keras(self, k):
        return k.SGD(learning_rate=self.learning_rate, momentum=self.momentum, nesterov=True)


class Adagrad(Optimizer):
    """Adagrad: G ← G + g²; θ ← θ − η g / √(G + ε), with G starting at 0.1. Keras: ``Adagrad``.

    Introduced in chapter "Optimizers from scratch, verified against Keras".
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value = _check_number(initial_accumulator_value, "initial_accumulator_value")
        self.epsilon = _check_number(epsilon, "epsilon")

    def update_step(self, grad, variable, lr):
        G = self.slot(variable, "accumulator", self.initial_accumulator_value)
        G.assign_add(tf.square(grad))
        variable.assign_sub(lr * grad / tf.sqrt(G + self.epsilon))

    def _keras(self, k):
        return k.Adagrad(learning_rate=self.learning_rate, epsilon=self.epsilon,
                         initial_accumulator_value=self.initial_accumulator_value)


class Adadelta(Optimizer):
    """Adadelta with Keras's learning rate η (the paper's is 1). Keras: ``Adadelta``.

    E[g²] ← ρE[g²] + (1−ρ)g²;  Δ = −√(E[Δ²]+ε) / √(E[g²]+ε) · g;
    E[Δ²] ← ρE[Δ²] + (1−ρ)Δ²;  θ ← θ + η Δ.
    Introduced in chapter "Optimizers from scratch, verified against Keras".
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = _check_number(rho, "rho", high=1.0)
        self.epsilon = _check_number(epsilon, "epsilon")

    def update_step(self, grad, variable, lr):
        Eg2 = self.slot(variable, "accumulated_grad")
        Ed2 = self.slot(variable, "accumulated_delta")
        rho, eps = self.rho, self.epsilon
        Eg2.assign(rho * Eg2 + (1 - rho) * tf.square(grad))
        delta = -(tf.sqrt(Ed2 + eps) * grad) / tf.sqrt(Eg2 + eps)
        Ed2.assign(rho * Ed2 + (1 - rho) * tf.square(delta))
        variable.assign_add(lr * delta)

    def _keras(self, k):
        return k.Adadelta(learning_rate=self.learning_rate, rho=self.rho, epsilon=self.epsilon)


class RMSprop(Optimizer):
    """RMSprop with ε inside the square root: v ← ρv + (1−ρ)g²; θ ← θ − η g / √(v + ε).

    Also Keras's two options: ``centered`` (divide by √(v − ḡ² + ε), ḡ the running mean of
    g) and ``momentum`` (m ← βm + step; θ ← θ − m). Keras: ``RMSprop``. Introduced in
    chapter "Optimizers from scratch, verified against Keras".
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        super().__init__(learning_rate)
        self.rho = _check_number(rho, "rho", high=1.0)
        self.momentum = _check_number(momentum, "momentum", high=1.0)
        self.epsilon = _check_number(epsilon, "epsilon")
        if not isinstance(centered, bool):
            raise TypeError(f"centered must be True or False, got {centered!r}")
        self.centered = centered

    def update_step(self, grad, variable, lr):
        rho = self.rho
        v = self.slot(variable, "velocity")
        v.assign(rho * v + (1 - rho) * tf.square(grad))
        if self.centered:
            g_mean = self.slot(variable, "average_gradient")
            g_mean.assign(rho * g_mean + (1 - rho) * grad)
            denominator = v - tf.square(g_mean) + self.epsilon
        else:
            denominator = v + self.epsilon
        step = lr * grad / tf.sqrt(denominator)
        if self.momentum > 0:
            m = self.slot(variable, "momentum")
            m.assign(self.momentum * m + step)
            step = m
        variable.assign_sub(step)

    def _keras(self, k):
        return k.RMSprop(learning_rate=self.learning_rate, rho=self.rho, momentum=self.momentum,
                         epsilon=self.epsilon, centered=self.centered)


class Adam(Optimizer):
    """Adam in Keras's form (bias correction folded into the step size, ε̂ outside the root).

    m ← m + (1−β₁)(g − m);  v ← v + (1−β₂)(g² − v);
    α_t = η √(1−β₂ᵗ) / (1−β₁ᵗ);  θ ← θ − α_t m / (√v + ε).
    Keras: ``Adam``. Introduced in chapter "Optimizers from scratch, verified against Keras".
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _check_number(beta_1, "beta_1", high=1.0)
        self.beta_2 = _check_number(beta_2, "beta_2", high=1.0)
        self.epsilon = _check_number(epsilon, "epsilon")

    def update_step(self, grad, variable, lr):
        m = self.slot(variable, "momentum")
        v = self.slot(variable, "velocity")
        t = tf.cast(self.iterations + 1, variable.dtype)  # this step's number: 1, 2, 3, ...
        beta_1_power = tf.pow(tf.cast(self.beta_1, variable.dtype), t)
        beta_2_power = tf.pow(tf.cast(self.beta_2, variable.dtype), t)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((grad - m) * (1 - self.beta_1))
        v.assign_add((tf.square(grad) - v) * (1 - self.beta_2))
        variable.assign_sub(m * alpha / (tf.sqrt(v) + self.epsilon))

    def _keras(self, k):
        return k.Adam(learning_rate=self.learning_rate, beta_1=self.beta_1, beta_2=self.beta_2,
                      epsilon=self.epsilon)


#: The seven, by name, in the order the chapter introduces them.
OPTIMIZERS = {
    cls.__name__: cls for cls in (SGD, Momentum, Nesterov, Adagrad, Adadelta, RMSprop, Adam)
}
