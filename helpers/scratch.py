"""MNIST from scratch: a dense network, a batch generator and a training loop on tf.Variables.

Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled", which writes
this exact code in the open (after Deep Learning with Python, ch. 2), fixes what the
book's version gets wrong, and then checks that this copy agrees with it. The benchmark
(``benchmarks/mnist_loop.py``) and the exercise checks import it from here. (Preparing a
learner's own digit image like MNIST is in :mod:`helpers.digits`.)

The pieces, in the order the chapter builds them::

    model = NaiveSequential([NaiveDense(784, 512, tf.nn.relu), NaiveDense(512, 10)])
    step = make_train_step(model, crossentropy_from_logits, RMSprop(1e-3))  # helpers.optimizers
    history = fit(step, x_train, y_train, epochs=5)          # shuffled every epoch
    accuracy(model, x_test, y_test)

Images are float32 arrays ``(N, 784)`` scaled to [0, 1]; labels are integer arrays ``(N,)``.
"""

from __future__ import annotations

import math
import time

import numpy as np
import tensorflow as tf

from .digits import _positive_int  # the same input check as chapter 7's

__all__ = [
    "INITS",
    "NaiveDense",
    "NaiveSequential",
    "BatchGenerator",
    "crossentropy_from_probabilities",
    "crossentropy_from_logits",
    "make_train_step",
    "fit",
    "accuracy",
]

#: Weight initialisations NaiveDense knows: the book's ``"uniform"`` in [0, 0.1) and Glorot's.
INITS = ("glorot", "uniform")




# ---------------------------------------------------------------- the model
class NaiveDense:
    """One dense layer, ``activation(inputs @ W + b)``, on two ``tf.Variable`` objects.

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled".
    ``activation`` is a function such as ``tf.nn.relu``, or ``None`` for none (the layer
    then returns logits). ``init="glorot"`` draws W uniformly in [−ℓ, ℓ] with
    ℓ = √(6 / (input_size + output_size)) (Glorot & Bengio 2010, Keras's default);
    ``init="uniform"`` is the book's original, uniform in [0, 0.1). The bias starts at
    zero. Draws use TensorFlow's global seed (``tf.random.set_seed``).
    """

    def __init__(self, input_size, output_size, activation=None, init="glorot"):
        self.input_size = _positive_int(input_size, "input_size")
        self.output_size = _positive_int(output_size, "output_size")
        if activation is not None and not callable(activation):
            raise TypeError(
                f"activation must be a function such as tf.nn.relu, or None, got {activation!r}"
            )
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        self.activation = activation
        self.init = init
        shape = (self.input_size, self.output_size)
        if init == "uniform":
            w = tf.random.uniform(shape, minval=0.0, maxval=0.1)
        else:
            limit = math.sqrt(6.0 / (self.input_size + self.output_size))
            w = tf.random.uniform(shape, minval=-limit, maxval=limit)
        self.W = tf.Variable(w, name="W")
        self.b = tf.Variable(tf.zeros((self.output_size,)), name="b")

    def __call__(self, inputs):
        shape = getattr(inputs, "shape", None)
        if shape is None:
            raise TypeError(f"inputs must be a float32 array or tensor, got a {type(inputs).__name__}")
        if len(shape) != 2 or (shape[-1] is not None and shape[-1] != self.input_size):
            raise ValueError(
                f"inputs must have shape (batch, {self.input_size}), got {tuple(shape)}"
            )
        dtype = inputs.dtype
        if tf.as_dtype(dtype) != tf.float32:
            raise TypeError(
                f"inputs must be float32, got {tf.as_dtype(dtype).name}; scale uint8 images "
                "with images.astype('float32') / 255"
            )
        outputs = tf.matmul(inputs, self.W) + self.b
        return outputs if self.activation is None else self.activation(outputs)

    @property
    def weights(self):
        """``[W, b]``: the variables to train."""
        return [self.W, self.b]

    def __repr__(self):
        act = getattr(self.activation, "__name__", "None") if self.activation else "None"
        return f"NaiveDense({self.input_size}, {self.output_size}, activation={act}, init={self.init!r})"


class NaiveSequential:
    """Layers applied one after the other; ``weights`` lists every layer's variables.

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled".
    """

    def __init__(self, layers):
        try:
            layers = list(layers)
        except TypeError:
            raise TypeError(f"layers must be a list of layers, got {type(layers).__name__}") from None
        if not layers:
            raise ValueError("layers is empty: give at least one layer")
        for i, layer in enumerate(layers):
            if not callable(layer) or not hasattr(layer, "weights"):
                raise TypeError(f"layers[{i}] must be a layer (callable, with .weights), got {layer!r}")
        for i, (a, b) in enumerate(zip(layers, layers[1:])):
            out, inp = getattr(a, "output_size", None), getattr(b, "input_size", None)
            if out is not None and inp is not None and out != inp:
                raise ValueError(
                    f"layers[{i}] outputs {out} values but layers[{i + 1}] expects {inp} inputs"
                )
        self.layers = layers

    def __call__(self, inputs):
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def weights(self):
        """Every layer's variables, in order: ``[W1, b1, W2, b2, ...]``."""
        return [w for layer in self.layers for w in layer.weights]


# ---------------------------------------------------------------- the data
class BatchGenerator:
    """Batches of ``(images, labels)``; iterating over it once is one epoch.

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled".
    ``len(batches)`` is the number of batches, ⌈N / batch_size⌉; the last one holds the
    remainder. With ``shuffle=False`` (the book's version) every epoch visits the
    images in the same order; with ``shuffle=True`` each epoch draws a new order from
    ``np.random.default_rng(seed)``.
    """

    def __init__(self, images, labels, batch_size=128, shuffle=False, seed=None):
        self.batch_size = _positive_int(batch_size, "batch_size")
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        if not hasattr(images, "__len__") or not hasattr(labels, "__len__"):
            raise TypeError("images and labels must be arrays with a first (batch) axis")
        if len(images) != len(labels):
            raise ValueError(f"images has {len(images)} entries but labels has {len(labels)}")
        if len(images) == 0:
            raise ValueError("images is empty")
        self.images, self.labels = images, labels
        self.shuffle = shuffle
        self.num_batches = math.ceil(len(images) / self.batch_size)
        self._rng = np.random.default_rng(seed)

    def __len__(self):
        return self.num_batches

    def __iter__(self):
        n = len(self.images)
        order = self._rng.permutation(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                yield self.images[start:start + self.batch_size], self.labels[start:start + self.batch_size]
            else:
                idx = order[start:start + self.batch_size]
                yield self.images[idx], self.labels[idx]


# ---------------------------------------------------------------- losses
def _check_loss_inputs(labels, outputs):
    if len(outputs.shape) != 2:
        raise ValueError(f"outputs must have shape (batch, classes), got {tuple(outputs.shape)}")
    if len(labels.shape) != 1:
        raise ValueError(
            f"labels must be class numbers of shape (batch,), got shape {tuple(labels.shape)} "
            "(one-hot labels need categorical, not sparse, cross-entropy)"
        )
    n_out, n_lab = outputs.shape[0], labels.shape[0]
    if n_out is not None and n_lab is not None and n_out != n_lab:
        raise ValueError(f"{n_lab} labels for {n_out} rows of outputs")


def crossentropy_from_probabilities(labels, probabilities, epsilon=1e-7):
    """Mean of −log p[label], with p clipped to [ε, 1 − ε]: the book's loss on a softmax output.

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled". This is
    what ``keras.losses.sparse_categorical_crossentropy`` computes eagerly on
    probabilities; where p is clipped the gradient is zero.
    """
    labels = tf.convert_to_tensor(labels)
    probabilities = tf.convert_to_tensor(probabilities)
    _check_loss_inputs(labels, probabilities)
    p = tf.clip_by_value(probabilities, epsilon, 1.0 - epsilon)
    p_true = tf.gather(p, tf.cast(labels, tf.int32), axis=1, batch_dims=1)
    return -tf.reduce_mean(tf.math.log(p_true))


def crossentropy_from_logits(labels, logits):
    """Mean of −log softmax(z)[label], computed from the logits z without overflow.

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled".
    Its gradient with respect to z is (softmax(z) − one_hot(label)) / batch size: never
    clipped, never zero for a wrong answer.
    """
    labels = tf.convert_to_tensor(labels)
    logits = tf.convert_to_tensor(logits)
    _check_loss_inputs(labels, logits)
    per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=logits
    )
    return tf.reduce_mean(per_example)


# ---------------------------------------------------------------- training
def make_train_step(model, loss_fn, optimizer, *, compiled=True):
    """A function ``train_step(images, labels) -> loss`` that takes one optimizer step.

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled".
    ``model`` has ``__call__`` and ``weights``; ``loss_fn(labels, outputs)`` returns a
    scalar; ``optimizer`` is one of chapter 6's :mod:`helpers.optimizers`, a Keras
    optimizer, or anything else with ``apply_gradients``.
    With ``compiled=True`` the step is wrapped in ``tf.function`` (traced once per input
    shape; ``reduce_retracing`` as in Keras's own ``fit``).
    """
    if not callable(model) or not hasattr(model, "weights"):
        raise TypeError(f"model must be callable and have .weights, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function loss_fn(labels, outputs), got {loss_fn!r}")
    if not hasattr(optimizer, "apply_gradients"):
        raise TypeError(
            f"optimizer must have apply_gradients (e.g. helpers.optimizers.SGD), got {type(optimizer).__name__}"
        )
    if not isinstance(compiled, bool):
        raise TypeError(f"compiled must be True or False, got {compiled!r}")

    def train_step(images, labels):
        with tf.GradientTape() as tape:
            outputs = model(images)
            loss = loss_fn(labels, outputs)
        gradients = tape.gradient(loss, model.weights)
        optimizer.apply_gradients(zip(gradients, model.weights))
        return loss

    return tf.function(train_step, reduce_retracing=True) if compiled else train_step


def fit(train_step, images, labels, *, epochs, batch_size=128, shuffle=True, seed=0, verbose=True):
    """Run ``train_step`` on every batch, ``epochs`` times; return the history.

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled".
    Returns ``{"loss": [mean batch loss per epoch], "seconds": [wall time per epoch]}``.
    With ``verbose`` it prints one line per epoch (reads well in a static page).
    """
    if not callable(train_step):
        raise TypeError(f"train_step must be a function train_step(images, labels), got {train_step!r}")
    epochs = _positive_int(epochs, "epochs")
    batches = BatchGenerator(images, labels, batch_size, shuffle=shuffle, seed=seed)
    history = {"loss": [], "seconds": []}
    for epoch in range(epochs):
        start = time.perf_counter()
        losses = [train_step(x, y) for x, y in batches]
        mean_loss = float(tf.reduce_mean(losses))
        seconds = time.perf_counter() - start
        history["loss"].append(mean_loss)
        history["seconds"].append(seconds)
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}  loss {mean_loss:.4f}  ({seconds:.2f} s)")
    return history


def accuracy(model, images, labels, batch_size=1000):
    """Fraction of ``images`` whose highest output is the label (works on logits or probabilities).

    Introduced in chapter "MNIST from scratch: a model and loop by hand, compiled".
    """
    if len(images) != len(labels):
        raise ValueError(f"images has {len(images)} entries but labels has {len(labels)}")
    if len(images) == 0:
        raise ValueError("images is empty")
    batch_size = _positive_int(batch_size, "batch_size")
    correct = 0
    for start in range(0, len(images), batch_size):
        outputs = np.asarray(model(images[start:start + batch_size]))
        correct += int(np.sum(outputs.argmax(axis=1) == np.asarray(labels[start:start + batch_size])))
    return correct / len(images)
