"""Exercise checks for chapter "Convolutions by hand, checked against the tape".

Introduced in chapter "Convolutions by hand, checked against the tape". Declarations
(see :class:`helpers.checks.Exercise`) and the small pure helpers they need: each
``exercise_N`` returns a ✅ or ❌ :class:`~helpers.checks.Feedback` and never raises on
a wrong answer.
"""

from __future__ import annotations

import numpy as np

from ._declare import Exercise

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5",
           "BUDGET", "TARGET_ACCURACY", "BUDGET_EPOCHS", "BUDGET_TRAIN", "BUDGET_TEST"]

CHAPTER = "convolutions"


def _arrays(seed: int, *shapes):
    """Fresh float64 arrays of the given shapes, from a seeded generator."""
    rng = np.random.default_rng(seed)
    return tuple(rng.normal(size=shape) for shape in shapes)


# ----------------------------------------------------------------- exercise 1
def _receptive_field(layers):
    size, spacing = 1, 1
    for kernel, stride in layers:
        size += (kernel - 1) * spacing
        spacing *= stride
    return size


def _field_without_strides(layers):
    return 1 + sum(kernel - 1 for kernel, _ in layers)


def _field_own_stride_too(layers):
    size, spacing = 1, 1
    for kernel, stride in layers:
        spacing *= stride
        size += (kernel - 1) * spacing
    return size


def _field_sum_of_kernels(layers):
    return sum(kernel for kernel, _ in layers)


exercise_1 = Exercise(
    CHAPTER, 1, stars=1, answer="function", name="receptive_field",
    reference=_receptive_field,
    inputs=[([(3, 1), (2, 2), (3, 1), (2, 2)],), ([(5, 1)],), ([(3, 2), (3, 2), (3, 2)],),
            ([(3, 1), (3, 1), (3, 1)],)],
    hidden_inputs=[([(7, 2), (3, 2), (3, 1), (3, 1)],), ([(1, 1)],),
                   ([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1)],)],
    mistakes=[
        (_field_without_strides,
         "you added kernel - 1 for every layer, as if there were no strides: after a "
         "stride-2 layer neighbouring units are 2 input pixels apart, so each later layer "
         "widens the field by (kernel - 1) times the product of the strides below it"),
        (_field_own_stride_too,
         "you multiplied by the layer's own stride as well: a layer's stride spaces out "
         "its outputs, not its inputs, so only the strides of the layers below count"),
        (_field_sum_of_kernels,
         "you summed the kernel sizes: neighbouring windows share their edge, so each "
         "layer adds kernel - 1, not kernel, and strides below multiply it"),
    ],
    success="correct: the field grows by (k - 1) times the product of the strides below",
)


# ----------------------------------------------------------------- exercise 2
def _avg_pool(x, dy, size):
    n, h, w, c = x.shape
    oh, ow = h // size, w // size
    y = x[:, :oh * size, :ow * size, :].reshape(n, oh, size, ow, size, c).mean(axis=(2, 4))
    dx = np.zeros_like(x)
    dx[:, :oh * size, :ow * size, :] = np.repeat(np.repeat(dy, size, 1), size, 2) / size**2
    return y, dx


def _avg_pool_no_division(x, dy, size):
    y, dx = _avg_pool(x, dy, size)
    return y, dx * size**2


def _avg_pool_divided_by_size(x, dy, size):
    y, dx = _avg_pool(x, dy, size)
    return y, dx * size


def _avg_pool_like_max(x, dy, size):
    y, _ = _avg_pool(x, dy, size)
    n, h, w, c = x.shape
    oh, ow = h // size, w // size
    dx = np.zeros_like(x)
    dx[:, 0:oh * size:size, 0:ow * size:size, :] = dy
    return y, dx


def _pool_inputs():
    cases = []
    for seed, (shape, size) in enumerate((((2, 4, 6, 3), 2), ((1, 6, 6, 2), 3), ((2, 7, 9, 1), 2))):
        n, h, w, c = shape
        x, dy = _arrays(seed, shape, (n, h // size, w // size, c))
        cases.append((x, dy, size))
    return cases


def _pool_hidden_inputs():
    x, dy = _arrays(7, (3, 5, 8, 4), (3, 1, 2, 4))
    return [(x, dy, 4)]


exercise_2 = Exercise(
    CHAPTER, 2, stars=2, answer="function", name="avg_pool",
    reference=_avg_pool, inputs=_pool_inputs, hidden_inputs=_pool_hidden_inputs,
    mistakes=[
        (_avg_pool_no_division,
         "dx is size times size too large: the mean divides each entry by the window's "
         "size squared, so each entry gets only that share of the window's gradient"),
        (_avg_pool_divided_by_size,
         "dx is size times too large: a window holds size times size entries, so divide "
         "by size squared, not by size"),
        (_avg_pool_like_max,
         "dx sends each window's whole gradient to one entry, as max pooling does: every "
         "entry of a window changes the mean, each by the same share"),
    ],
    success="correct: every entry of a window gets an equal share of its gradient",
)


# ----------------------------------------------------------------- exercise 3
def _input_gradient(dy, w):
    from helpers import conv

    kh, kw, c, o = w.shape
    n, oh, ow, _ = dy.shape
    x_shape = (n, oh + kh - 1, ow + kw - 1, c)
    return conv.col2im(dy @ w.reshape(-1, o).T, x_shape, kh, kw)


def _full_conv(dy, kernel):
    """'Full' convolution of dy with a (KH, KW, O, C) kernel, in NumPy (a helper)."""
    from helpers import conv

    kh, kw = kernel.shape[:2]
    padded = np.pad(dy, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    return conv.conv2d_forward(padded, kernel)[0]


def _input_gradient_not_rotated(dy, w):
    return _full_conv(dy, w.transpose(0, 1, 3, 2))


def _input_gradient_rows_only(dy, w):
    return _full_conv(dy, w[::-1].transpose(0, 1, 3, 2))


def _gradient_inputs():
    cases = []
    for seed, (n, oh, ow, kh, kw, c, o) in enumerate(((2, 4, 5, 3, 3, 2, 3), (1, 3, 3, 2, 2, 1, 1),
                                                      (2, 5, 4, 3, 2, 3, 2))):
        dy, w = _arrays(10 + seed, (n, oh, ow, o), (kh, kw, c, o))
        cases.append((dy, w))
    return cases


def _gradient_hidden_inputs():
    dy, w = _arrays(20, (3, 6, 6, 4), (5, 5, 2, 4))
    return [(dy, w)]


def _as_array(result):
    return result.numpy() if hasattr(result, "numpy") else result


exercise_3 = Exercise(
    CHAPTER, 3, stars=2, answer="function", name="input_gradient",
    reference=_input_gradient, inputs=_gradient_inputs, hidden_inputs=_gradient_hidden_inputs,
    observe=lambda result, dy, w: _as_array(result),
    mistakes=[
        (_input_gradient_not_rotated,
         "the kernel is not rotated: input pixel (a, b) reaches output (a - p, b - q) "
         "through kernel entry (p, q), so going back the kernel runs backwards in both "
         "directions: w[::-1, ::-1]"),
        (_input_gradient_rows_only,
         "the kernel is flipped along its rows only: rotate it by 180 degrees, flipping "
         "both the rows and the columns"),
    ],
    rtol=1e-6, atol=1e-8,
    success="correct: dx is dy, padded by K - 1, convolved with the rotated kernel",
)


# ----------------------------------------------------------------- exercise 4
def _dilated_conv2d(x, w, dilation):
    kh, kw, c, o = w.shape
    n, h, wd, _ = x.shape
    oh, ow = h - dilation * (kh - 1), wd - dilation * (kw - 1)
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            cols[:, :, :, p, q, :] = x[:, dilation * p:dilation * p + oh,
                                       dilation * q:dilation * q + ow, :]
    return cols.reshape(n, oh, ow, -1) @ w.reshape(-1, o)


def _dilated_cropped(x, w, dilation):
    """The ordinary convolution, cropped to the dilated output's size."""
    kh, kw = w.shape[:2]
    y = _dilated_conv2d(x, w, 1)
    return y[:, :x.shape[1] - dilation * (kh - 1), :x.shape[2] - dilation * (kw - 1), :]


def _dilated_as_stride(x, w, dilation):
    from helpers import conv

    return conv.conv2d_forward(x, w, stride=dilation)[0]


def _dilated_inputs():
    cases = []
    for seed, (shape, kshape, d) in enumerate((((2, 9, 8, 2), (3, 3, 2, 3), 2),
                                               ((1, 10, 10, 1), (3, 3, 1, 2), 3),
                                               ((2, 7, 9, 3), (2, 3, 3, 2), 2))):
        x, w = _arrays(30 + seed, shape, kshape)
        cases.append((x, w, d))
    return cases


def _dilated_hidden_inputs():
    x, w = _arrays(40, (2, 8, 8, 2), (3, 3, 2, 2))
    return [(x, w, 1)] + [(x, w, 3)]


exercise_4 = Exercise(
    CHAPTER, 4, stars=2, answer="function", name="dilated_conv2d",
    reference=_dilated_conv2d, inputs=_dilated_inputs, hidden_inputs=_dilated_hidden_inputs,
    observe=lambda result, x, w, dilation: _as_array(result),
    mistakes=[
        (_dilated_cropped,
         "this is the ordinary convolution, cut to the right size: with dilation d the "
         "kernel entry (p, q) meets the pixel d p rows and d q columns away, not p and q"),
        (_dilated_as_stride,
         "you used the dilation as a stride: a stride spaces out the outputs, a dilation "
         "spaces out the kernel's entries over the input"),
    ],
    rtol=1e-6, atol=1e-8,
    success="correct: a dilated kernel covers a larger square with the same weights",
)


# ----------------------------------------------------------------- exercise 5
#: Exercise 5: the most parameters the learner's convnet may have.
BUDGET = 5_000
#: Exercise 5: the test accuracy it must reach.
TARGET_ACCURACY = 0.95
#: Exercise 5: epochs, training images and test images of the check's run (offline sample).
BUDGET_EPOCHS, BUDGET_TRAIN, BUDGET_TEST = 2, 6_000, 1_000
_BATCH = 64


def _budget_data():
    from helpers import data

    with np.load(data.SAMPLE_PATH) as archive:
        x_train, y_train = archive["x_train"], archive["y_train"]
        x_test, y_test = archive["x_test"], archive["y_test"]

    def prepare(images):
        return images[..., None].astype(np.float32) / 255

    return (prepare(x_train[:BUDGET_TRAIN]), y_train[:BUDGET_TRAIN].astype(np.int64),
            prepare(x_test[:BUDGET_TEST]), y_test[:BUDGET_TEST].astype(np.int64))


def _judge_budget(build_model):
    import keras

    keras.utils.set_random_seed(0)
    model = build_model()
    if model is None:
        return "build_model() returned None: build the model, compile it and return it"
    if model is Ellipsis:
        return "build_model() returned the placeholder ...: write the function body"
    if not isinstance(model, keras.Model):
        return f"build_model() must return a Keras model, got {type(model).__name__}"
    try:
        out = model(np.zeros((2, 28, 28, 1), np.float32))
    except Exception as exc:  # noqa: BLE001 - reported in words
        return (f"the model cannot take a batch of (28, 28, 1) images: {type(exc).__name__}: "
                f"{exc}; start it with keras.Input(shape=(28, 28, 1))")
    if tuple(out.shape) != (2, 10):
        return (f"the model returns shape {tuple(out.shape)} for 2 images, expected (2, 10): "
                "one logit per digit (flatten or pool the feature maps, then 10 outputs)")
    count = model.count_params()
    if count > BUDGET:
        return (f"the model has {count:,} parameters, over the budget of {BUDGET:,}: most of "
                "them are usually in the last dense layer, so shrink what it sees (more "
                "pooling, fewer channels, or global average pooling)")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        return ("the model is not compiled: call model.compile(optimizer=..., loss=keras.losses."
                "SparseCategoricalCrossentropy(from_logits=True)) before returning it")
    x_train, y_train, x_test, y_test = _budget_data()
    history = model.fit(x_train, y_train, epochs=BUDGET_EPOCHS, batch_size=_BATCH, verbose=0)
    losses = history.history["loss"]
    if not np.all(np.isfinite(losses)):
        return "the training loss became NaN or infinite: lower the learning rate"
    logits = np.asarray(model(x_test))
    accuracy = float((logits.argmax(axis=1) == y_test).mean())
    if accuracy < 0.2:
        falls = "the loss falls" if losses[-1] < losses[0] else "the loss does not fall"
        return (f"{falls} but the test accuracy is {accuracy:.3f}, near chance: does the last "
                "layer output raw logits (no softmax or ReLU), and does the loss use "
                "from_logits=True?")
    if accuracy < TARGET_ACCURACY:
        return (f"it learns ({count:,} parameters, test accuracy {accuracy:.3f}) but stays "
                f"below the target {TARGET_ACCURACY}: spend the budget on convolutions rather "
                "than on the last layer, or try a larger learning rate")
    return None


def _budget_solution():
    import keras

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _budget_dense():
    import keras

    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


exercise_5 = Exercise(
    CHAPTER, 5, stars=3, answer="function", name="build_model",
    judge=_judge_budget, right=_budget_solution,
    mistakes=[(_budget_dense, f"over the budget of {BUDGET:,}")],
    success=(f"correct: a convnet within {BUDGET:,} parameters reaches the target accuracy "
             f"of {TARGET_ACCURACY} after {BUDGET_EPOCHS} epochs on {BUDGET_TRAIN:,} digits"),
)
