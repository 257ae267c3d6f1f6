"""MNIST from scratch: a dense network, a batch generator and a training loop on tf.Variables.

Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras", which writes
this exact code in the open (after Deep Learning with Python, ch. 2), fixes what the
book's version gets wrong, and then checks that this copy agrees with it. The benchmark
(``benchmarks/mnist_loop.py``) and the exercise checks import it from here.
:func:`preprocess_digit` (a learner's own image → an MNIST-like 28×28 input) is
introduced in chapter "MNIST with Keras: a baseline".

The pieces, in the order the chapter builds them::

    model = NaiveSequential([NaiveDense(784, 512, tf.nn.relu), NaiveDense(512, 10)])
    step = make_train_step(model, crossentropy_from_logits, keras.optimizers.RMSprop(1e-3))
    history = fit(step, x_train, y_train, epochs=5)          # shuffled every epoch
    accuracy(model, x_test, y_test)

Images are float32 arrays ``(N, 784)`` scaled to [0, 1]; labels are integer arrays ``(N,)``.
"""

from __future__ import annotations

import math
import numbers
import time

import numpy as np
import tensorflow as tf

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
    "preprocess_digit",
]

#: Weight initialisations NaiveDense knows: the book's ``"uniform"`` in [0, 0.1) and Glorot's.
INITS = ("glorot", "uniform")


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


# ---------------------------------------------------------------- the model
class NaiveDense:
    """One dense layer, ``activation(inputs @ W + b)``, on two ``tf.Variable`` objects.

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
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

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
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

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
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

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras". This is
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

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
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

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
    ``model`` has ``__call__`` and ``weights``; ``loss_fn(labels, outputs)`` returns a
    scalar; ``optimizer`` is a Keras optimizer (or anything with ``apply_gradients``).
    With ``compiled=True`` the step is wrapped in ``tf.function`` (traced once per input
    shape; ``reduce_retracing`` as in Keras's own ``fit``).
    """
    if not callable(model) or not hasattr(model, "weights"):
        raise TypeError(f"model must be callable and have .weights, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function loss_fn(labels, outputs), got {loss_fn!r}")
    if not hasattr(optimizer, "apply_gradients"):
        raise TypeError(
            f"optimizer must have apply_gradients (e.g. keras.optimizers.SGD), got {type(optimizer).__name__}"
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

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
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

    Introduced in chapter "MNIST from scratch: a model and loop as fast as Keras".
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


# ---------------------------------------------------------------- a learner's own digit
#: Where MNIST digits have their centre of mass, (row, column), in a 28×28 image.
MNIST_CENTRE = (14.0, 14.0)


def preprocess_digit(image, *, invert="auto", box=20, size=28):
    """Turn a photo or drawing of one digit into an MNIST-like float32 image ``(28, 28)``.

    Introduced in chapter "MNIST with Keras: a baseline". The steps, as MNIST itself was
    made (LeCun et al. 1998):

    1. grey-scale: an ``(H, W, 3)`` or ``(H, W, 4)`` image (uint8 0–255 or floats 0–1)
       becomes luminance 0.299 R + 0.587 G + 0.114 B, in [0, 1]; an alpha channel is
       laid over white paper first;
    2. invert: MNIST is white ink on black, so a light background (median of the border
       pixels above 0.5) is flipped (``invert=True``/``False`` forces it);
    3. scale the values: background → 0, darkest ink → 1;
    4. crop to the ink (pixels above 0.2) and resize so that the longer side is ``box``
       pixels (20), keeping the aspect ratio;
    5. centre: paste into a ``size × size`` black image so that the centre of mass of
       the ink lands at (14, 14), where MNIST digits have theirs.

    A blank image (no ink) or a wrong shape is a ``ValueError``; a non-numeric image a
    ``TypeError``.
    """
    img = np.asarray(image)
    if img.dtype == object or not (np.issubdtype(img.dtype, np.number) or img.dtype == bool):
        raise TypeError(f"image must be a numeric array, got dtype {img.dtype}")
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[-1] in (3, 4))):
        raise ValueError(
            f"image must be grey (H, W) or colour (H, W, 3|4), got shape {img.shape}"
        )
    if min(img.shape[:2]) < 2:
        raise ValueError(f"image is too small: {img.shape[:2]}")
    if invert not in ("auto", True, False):
        raise ValueError(f"invert must be 'auto', True or False, got {invert!r}")
    size = _positive_int(size, "size")
    box = _positive_int(box, "box")
    if box > size:
        raise ValueError(f"box ({box}) must not be larger than size ({size})")

    # 1. grey-scale, as floats in [0, 1]
    x = img.astype(np.float32)
    if img.dtype == np.uint8 or x.max() > 1.0:
        x = x / 255.0
    if x.ndim == 3:
        if x.shape[-1] == 4:
            alpha = x[..., 3:]
            x = x[..., :3] * alpha + (1.0 - alpha)  # over white paper
        x = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    x = np.clip(x, 0.0, 1.0)

    # 2. invert: white ink on black, like MNIST
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    if invert is True or (invert == "auto" and np.median(border) > 0.5):
        x = 1.0 - x
        border = 1.0 - border

    # 3. scale: background 0, strongest ink 1
    background = float(np.median(border))
    peak = float(x.max())
    if peak - background < 1e-3:
        raise ValueError("the image is blank: no ink stands out from the background")
    x = np.clip((x - background) / (peak - background), 0.0, 1.0)

    # 4. crop to the ink, resize the longer side to `box` pixels
    rows, cols = np.nonzero(x > 0.2)
    x = x[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = x.shape
    scale = box / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    x = tf.image.resize(x[..., None], (new_h, new_w), method="bilinear", antialias=True)
    x = np.clip(x.numpy()[..., 0], 0.0, 1.0)

    # 5. centre of mass to (14, 14)
    r, c = np.arange(new_h), np.arange(new_w)
    mass = x.sum()
    com_r, com_c = (x.sum(axis=1) @ r) / mass, (x.sum(axis=0) @ c) / mass
    top = int(np.clip(round(MNIST_CENTRE[0] * size / 28 - com_r), 0, size - new_h))
    left = int(np.clip(round(MNIST_CENTRE[1] * size / 28 - com_c), 0, size - new_w))
    out = np.zeros((size, size), dtype=np.float32)
    out[top:top + new_h, left:left + new_w] = x
    return out
