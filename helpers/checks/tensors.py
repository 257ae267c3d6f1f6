"""Exercise checks for chapter "Tensors", declared.

Introduced in chapter "Tensors". Each ``exercise_N`` is a :class:`~helpers.checks.Exercise`:
call it on the learner's answer to get a ✅ or ❌ :class:`~helpers.checks.Feedback` that
says what is wrong; it never raises. Points are rows and maps are ``x @ W + b``, as in
the chapter.

1. the shapes of reductions, argmax, one-hot, gather and concat, predicted (a value);
2. one-hot labels built by broadcasting a comparison (a function);
3. a rotation and a shift as ``points @ W + b`` (a value);
4. every image standardised on its own: reductions with ``axis`` and ``keepdims`` (a
   function);
5. a nearest-class-mean classifier with three planted bugs to fix (judged: which bugs
   remain is read off the predictions).
"""

from __future__ import annotations

import numpy as np

from ._core import _to_array, diagnose
from ._declare import Exercise

__all__ = [
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "exercise_5",
    "EX1_EXPRESSIONS",
]

CHAPTER = "tensors"


def _as_shape(value):
    """A tuple of ints from a tuple, list or TensorShape; None if it is not one."""
    if value is None or value is Ellipsis or isinstance(value, (str, bytes)):
        return None
    if hasattr(value, "as_list"):  # tf.TensorShape
        try:
            value = value.as_list()
        except ValueError:
            return None
    try:
        items = list(value)
    except TypeError:
        return None
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
        return None
    return tuple(int(i) for i in items)


# ------------------------------------------------------------------ exercise 1
#: Exercise 1: the expressions whose shapes the learner predicts, by letter. ``images``
#: has shape (32, 28, 28), ``W`` shape (784, 10) and ``labels`` shape (32,).
EX1_EXPRESSIONS = {
    "a": "tf.reduce_mean(images, axis=0)",
    "b": "tf.reduce_sum(images, axis=[1, 2], keepdims=True)",
    "c": "tf.argmax(tf.reshape(images, (32, -1)) @ W, axis=1)",
    "d": "tf.one_hot(labels, 10)",
    "e": "tf.gather(images, [0, 5, 5])",
    "f": "tf.concat([images, tf.expand_dims(images[0], 0)], axis=0)",
}
_EX1_ANSWER = {"a": (28, 28), "b": (32, 1, 1), "c": (32,), "d": (32, 10), "e": (3, 28, 28),
               "f": (33, 28, 28)}
#: Known wrong shapes per letter, and what to say about each.
_EX1_WRONG = {
    "a": {(32,): "axis=0 is the batch axis: averaging over it removes that axis and leaves "
                 "one mean image",
          (32, 28): "only the named axis disappears: axis=0 is the batch axis"},
    "b": {(32,): "keepdims=True keeps each reduced axis, with size 1",
          (1, 28, 28): "axis=[1, 2] sums over the rows and columns of each image, not over the batch"},
    "c": {(32, 10): "argmax removes the axis it searches: one index per image",
          (10,): "axis=1 searches along the 10 scores of each image, so there is one answer per image"},
    "d": {(10, 32): "one_hot adds a new last axis of size depth, after the existing ones",
          (32,): "one_hot adds a new last axis of size depth: one row of 10 numbers per label"},
    "e": {(2, 28, 28): "gather keeps repeated indices: three indices, three images",
          (32, 28, 28): "gather picks only the listed rows"},
    "f": {(2, 32, 28, 28): "concat joins along an existing axis; tf.stack would add a new one",
          (32, 29, 28): "axis=0 joins along the batch axis: one more image, not one more row"},
}
_EX1_GENERIC = {
    "a": "reducing over an axis removes it",
    "b": "keepdims=True keeps each reduced axis, with size 1",
    "c": "argmax removes the axis it searches",
    "d": "one_hot adds a new last axis of size depth",
    "e": "gather along axis 0 makes one row per index",
    "f": "concat adds up the sizes along its axis; the other axes must agree",
}


def _ex1_compare(got, expected):
    if not isinstance(got, dict):
        return f"shapes must be a dict like {{'a': (2, 3), ...}}, got a {type(got).__name__}"
    missing = [k for k in expected if k not in got]
    if missing:
        return f"no answer yet for {', '.join(missing)}: add the key(s) to the dict"
    placeholders = [k for k in expected if got[k] is Ellipsis or got[k] is None]
    if placeholders:
        return f"{', '.join(placeholders)}: still the placeholder ...; write a tuple such as (2, 3)"
    wrong = []
    for key, want in expected.items():
        shape = _as_shape(got[key])
        if shape is None:
            wrong.append(f"{key}: write the shape as a tuple of whole numbers, such as (2, 3)")
        elif shape != want:
            hint = _EX1_WRONG[key].get(shape, _EX1_GENERIC[key])
            wrong.append(f"{key}: {hint}")
    if wrong:
        return f"{len(wrong)} of {len(expected)} not right yet. " + "; ".join(wrong)
    return None


exercise_1 = Exercise(
    CHAPTER, 1, stars=1, answer="value", name="shapes",
    reference=dict(_EX1_ANSWER),
    compare=_ex1_compare,  # names each wrong letter, with the hint for its known mistakes
    success="correct: you can read a shape through reductions, indexing and joins",
)


# ------------------------------------------------------------------ exercise 2
def _one_hot(labels, depth):
    labels = np.asarray(labels).astype(np.int64)
    return (labels[:, None] == np.arange(depth)[None, :]).astype(np.float32)


def _ex2_inputs():
    import tensorflow as tf

    return [(tf.constant([3, 0, 2, 2, 1], dtype=tf.int32), 4),
            (tf.constant([9, 1, 0], dtype=tf.int32), 10)]


def _ex2_hidden():
    import tensorflow as tf

    return [(tf.constant([0], dtype=tf.int32), 3), (tf.constant([5, 5, 6, 7, 0, 1], tf.int32), 8)]


EX2_TRANSPOSED = ("the result is transposed, shape (depth, n): put the labels on axis 0 and the "
                  "classes on axis 1, labels[:, tf.newaxis] == tf.range(depth)")

exercise_2 = Exercise(
    CHAPTER, 2, stars=1, answer="function", name="my_one_hot",
    reference=_one_hot,
    inputs=_ex2_inputs,
    hidden_inputs=_ex2_hidden,
    dtype=np.float32,
    mistakes=[
        (lambda labels, depth: _one_hot(labels, depth).T, EX2_TRANSPOSED),
    ],
    success="correct: a comparison broadcast to (n, depth) is one-hot encoding",
)


# ------------------------------------------------------------------ exercise 3
_EX3_W = np.array([[0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
_EX3_B = np.array([2.0, 1.0], dtype=np.float32)

EX3_CLOCKWISE = ("this W rotates clockwise when points are rows (x @ W): it is the matrix for "
                 "column vectors (W @ x); with rows you need its transpose")
EX3_IDENTITY = "W is the identity: it does not rotate at all"
EX3_SHIFT_FIRST = ("W is right, but b shifts before rotating: the shift comes after the rotation, "
                   "so b is simply the shift")
EX3_SWAPPED = "W is right, but b has its two coordinates swapped"


def _ex3_compare(got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "hand in the pair (W_map, b_map)"
    W, problem = _to_array(got[0])
    if problem:
        return f"W_map {problem}"
    b, problem = _to_array(got[1])
    if problem:
        return f"b_map {problem}"
    if W.shape != (2, 2):
        return f"W_map has shape {W.shape}, expected (2, 2): it maps 2-D points to 2-D points"
    if b.shape != (2,):
        return f"b_map has shape {b.shape}, expected (2,): one shift per coordinate"
    W, b = W.astype(np.float64), b.astype(np.float64)
    if not np.allclose(W, _EX3_W, atol=1e-6):
        x_image, y_image = np.array([1.0, 0.0]) @ W, np.array([0.0, 1.0]) @ W
        return (f"W_map is not the rotation yet: it sends (1, 0) to ({x_image[0]:g}, {x_image[1]:g}) "
                f"and (0, 1) to ({y_image[0]:g}, {y_image[1]:g}); a quarter turn anticlockwise sends "
                "(1, 0) to (0, 1). With points as rows, row i of W is where axis i lands")
    if not np.allclose(b, _EX3_B, atol=1e-6):
        return f"W_map is right, but b_map = {b.tolist()} is not the shift (2 to the right, 1 up)"
    return None


exercise_3 = Exercise(
    CHAPTER, 3, stars=2, answer="value", name="the pair (W_map, b_map)",
    reference=(_EX3_W, _EX3_B),
    compare=_ex3_compare,
    mistakes=[
        ((_EX3_W.T, _EX3_B), EX3_CLOCKWISE),
        ((np.eye(2, dtype=np.float32), _EX3_B), EX3_IDENTITY),
        ((_EX3_W, _EX3_B @ _EX3_W), EX3_SHIFT_FIRST),
        ((_EX3_W, _EX3_B[::-1].copy()), EX3_SWAPPED),
    ],
    success="correct: (1, 0) turns to (0, 1), then shifts to (2, 2)",
)


# ------------------------------------------------------------------ exercise 4
def _standardise(images, *, axis=1, scale=True, centre=True):
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    if axis is None:
        mean, std = x.mean(), x.std()
    else:
        mean, std = x.mean(axis=axis, keepdims=True), x.std(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a known mistake divides by 0
        if centre:
            x = x - mean
        if scale:
            x = x / std
    return x.astype(np.float32)


def _ex4_compare(got, expected):
    arr, problem = _to_array(got)
    if problem is None and arr.shape == np.shape(expected) and np.isnan(arr.astype(float)).any():
        return EX4_PER_PIXEL
    return diagnose(got, expected, name="standardise(images)", dtype=np.float32, rtol=1e-4,
                    atol=1e-4)


def _ex4_images(seed: int, n: int):
    """Digit-like uint8 images: mostly 0, a blob of ink of random size and brightness."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        r0, c0 = rng.integers(4, 12, size=2)
        h, w = rng.integers(8, 16, size=2)
        images[k, r0:r0 + h, c0:c0 + w] = rng.integers(60, 256, size=(h, w))
    return images


EX4_GLOBAL = ("you standardised the whole batch at once: each image needs its own mean and "
              "spread, so reduce over axis 1 only, with keepdims=True")
EX4_PER_PIXEL = ("some values are NaN, a division by a standard deviation of 0: did you "
                 "standardise each pixel across the batch (axis 0)? A border pixel is 0 in every "
                 "image. The task asks for each image, one row of 784 pixels (axis 1)")
EX4_ONLY_CENTRED = ("each image has mean 0 now, but not spread 1: divide by each image's "
                    "standard deviation too")
EX4_ONLY_SCALED = ("each image has spread 1 now, but not mean 0: subtract each image's mean "
                   "before dividing")
EX4_UNSCALED = ("these are the pixel values as floats, not standardised: subtract each image's "
                "mean, then divide by its standard deviation")

exercise_4 = Exercise(
    CHAPTER, 4, stars=2, answer="function", name="standardise",
    reference=_standardise,
    inputs=lambda: [(_ex4_images(0, 5),), (_ex4_images(1, 3),)],
    hidden_inputs=lambda: [(_ex4_images(2, 1),), (_ex4_images(3, 9),)],
    compare=_ex4_compare,
    dtype=np.float32, rtol=1e-4, atol=1e-4,
    mistakes=[
        (lambda x: _standardise(x, axis=None), EX4_GLOBAL),
        (lambda x: _standardise(x, axis=0), EX4_PER_PIXEL),
        (lambda x: _standardise(x, scale=False), EX4_ONLY_CENTRED),
        (lambda x: _standardise(x, centre=False), EX4_ONLY_SCALED),
        (lambda x: _standardise(x, scale=False, centre=False), EX4_UNSCALED),
        (lambda x: _standardise(x, scale=False, centre=False) / 255, EX4_UNSCALED),
    ],
    success="correct: every image now has mean 0 and standard deviation 1",
)


# ------------------------------------------------------------------ exercise 5
EX5_BUGS = {
    "counts": ("the class means are divided by the number of all training images, not by each "
               "class's own count: sum the one-hot labels over axis 0 (one count per class) and "
               "give the counts a second axis, shape (10, 1), so that each row is divided by "
               "its own count"),
    "axis": ("the squared differences are summed over the class axis (axis 1), which leaves "
             "shape (m, 784), one number per pixel: sum over the pixel axis (axis 2) to get "
             "(m, 10), one distance per class"),
    "argmax": "the nearest mean has the smallest distance: use tf.argmin, not tf.argmax",
}
EX5_SHAPE = "nearest_mean_predict must return one class per test image"
EX5_RANGE = "some predictions are not classes 0 to 9"


def _nearest_mean(train_images, train_labels, test_images, *, bugs=()):
    """The nearest-class-mean classifier in NumPy, with any of the planted bugs."""
    x = np.asarray(train_images, np.float64).reshape(len(train_images), -1)
    t = np.asarray(test_images, np.float64).reshape(len(test_images), -1)
    one_hot = (np.asarray(train_labels)[:, None] == np.arange(10)).astype(np.float64)
    sums = one_hot.T @ x
    counts = one_hot.sum() if "counts" in bugs else one_hot.sum(axis=0)[:, None]
    means = sums / counts
    squares = (t[:, None, :] - means[None, :, :]) ** 2
    distances = squares.sum(axis=1 if "axis" in bugs else 2)
    return (distances.argmax if "argmax" in bugs else distances.argmin)(axis=1)


def _ex5_data():
    """Ten classes of 784-pixel uint8 'images' around random prototypes, unequal class sizes."""
    rng = np.random.default_rng(11)
    prototypes = rng.integers(0, 256, size=(10, 784))
    sizes = np.array([30, 8, 22, 15, 40, 5, 26, 12, 35, 18])
    labels = np.repeat(np.arange(10), sizes)
    images = prototypes[labels] + rng.normal(0, 90, size=(labels.size, 784))
    images = np.clip(images, 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    order = rng.permutation(labels.size)
    images, labels = images[order], labels[order].astype(np.uint8)
    return images[:160], labels[:160], images[160:], labels[160:]


_EX5_TRAIN_X, _EX5_TRAIN_Y, _EX5_TEST_X, _EX5_TEST_Y = _ex5_data()


def _bug_sets():
    names = list(EX5_BUGS)
    sets = [()]
    for size in (1, 2, 3):
        sets += [tuple(n for i, n in enumerate(names) if mask >> i & 1)
                 for mask in range(1, 8) if bin(mask).count("1") == size]
    return sets


def _ex5_judge(predict):
    got = predict(_EX5_TRAIN_X.copy(), _EX5_TRAIN_Y.copy(), _EX5_TEST_X.copy())
    arr, problem = _to_array(got)
    if problem:
        return f"nearest_mean_predict(...) {problem}"
    n_test = len(_EX5_TEST_X)
    if arr.shape != (n_test,):
        return (f"{EX5_SHAPE}: shape ({n_test},), got {arr.shape}. Follow the shapes in the "
                "comments line by line and print each one")
    arr = arr.astype(np.int64)
    for bugs in _bug_sets():
        if np.array_equal(arr, _nearest_mean(_EX5_TRAIN_X, _EX5_TRAIN_Y, _EX5_TEST_X, bugs=bugs)):
            if not bugs:
                return None
            fixed = len(EX5_BUGS) - len(bugs)
            return (f"{fixed} of {len(EX5_BUGS)} bugs fixed. Still wrong: "
                    + "; also ".join(EX5_BUGS[b] for b in bugs))
    if arr.min() < 0 or arr.max() > 9:
        return (f"{EX5_RANGE} (they range from {arr.min()} to {arr.max()}): the last argmin or "
                "argmax must run over the 10 class distances of each test image")
    right = _nearest_mean(_EX5_TRAIN_X, _EX5_TRAIN_Y, _EX5_TEST_X)
    return (f"the predictions agree with the nearest class mean for {np.mean(arr == right):.0%} "
            "of the test images, not all: print the shape after every line and compare it with "
            "its comment")


def _tf_nearest_mean(train_images, train_labels, test_images):
    """A right answer written with TensorFlow, the way the chapter's cells are."""
    import tensorflow as tf

    x = tf.reshape(tf.cast(train_images, tf.float32), (len(train_images), -1))
    t = tf.reshape(tf.cast(test_images, tf.float32), (len(test_images), -1))
    one_hot = tf.one_hot(train_labels, 10)
    counts = tf.reduce_sum(one_hot, axis=0, keepdims=True)
    means = (tf.transpose(one_hot) @ x) / tf.transpose(counts)
    diff = t[:, tf.newaxis, :] - means[tf.newaxis, :, :]
    return tf.argmin(tf.reduce_sum(diff**2, axis=2), axis=1)


exercise_5 = Exercise(
    CHAPTER, 5, stars=3, answer="function", name="nearest_mean_predict",
    judge=_ex5_judge,
    right=_tf_nearest_mean,
    mistakes=[
        (lambda x, y, t: _nearest_mean(x, y, t, bugs=("counts",)), EX5_BUGS["counts"]),
        (lambda x, y, t: _nearest_mean(x, y, t, bugs=("axis",)), EX5_BUGS["axis"]),
        (lambda x, y, t: _nearest_mean(x, y, t, bugs=("argmax",)), EX5_BUGS["argmax"]),
        (lambda x, y, t: _nearest_mean(x, y, t, bugs=tuple(EX5_BUGS)), "0 of 3 bugs fixed"),
        (lambda x, y, t: _nearest_mean(x, y, t)[:10], EX5_SHAPE),
    ],
    success=("correct: all three bugs are fixed, and every test image gets the class of its "
             "nearest mean"),
)
