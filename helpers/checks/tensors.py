"""Exercise checks for chapter "Tensors".

Introduced in chapter "Tensors". Each ``exercise_N`` returns a
:class:`~helpers.checks.Feedback` (✅ or ❌ with a sentence saying what is wrong) and never
raises on a wrong answer. Points are rows and maps are ``x @ W + b``, as in the chapter.
"""

from __future__ import annotations

import numpy as np

from ._core import Feedback, _to_array, check_callable, check_close, diagnose

__all__ = [
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "exercise_5",
    "exercise_6",
    "EX1_EXPRESSIONS",
]


def _short_error(exc: Exception) -> str:
    """TensorFlow's message without its internal node name and op suffix."""
    text = str(exc).split("}}")[-1]
    text = text.split("[Op:")[0].strip()
    return f"{type(exc).__name__}: {text}"


# ----------------------------------------------------------------------------- exercise 1
#: Exercise 1: the expressions whose shapes the learner predicts, by letter.
EX1_EXPRESSIONS = {
    "a": "tf.reshape(images, (32, -1))",
    "b": "tf.matmul(tf.reshape(images, (32, -1)), W)",
    "c": "tf.transpose(tf.zeros((2, 3, 5)), perm=[2, 0, 1])",
    "d": "tf.matmul(tf.zeros((7, 3, 4)), tf.zeros((4, 2)))",
    "e": "images[:, 7:21, ::2]",
}
_EX1_ANSWER = {"a": (32, 784), "b": (32, 10), "c": (5, 2, 3), "d": (7, 3, 2), "e": (32, 14, 14)}
_EX1_HINTS = {
    "a": "a reshape keeps every element, so the sizes must multiply to 32·28·28; -1 is whatever size "
         "makes that come out",
    "b": "matmul of (n, k) and (k, m) gives (n, m): the shared k disappears",
    "c": "perm lists, for each new axis, which old axis it takes (new axis 0 is old axis 2)",
    "d": "the leading 7 is a batch axis that matmul keeps; the last two axes multiply as matrices",
    "e": "7:21 keeps the rows 7 to 20 (stop − start of them) and ::2 keeps every second column",
}


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


def exercise_1(shapes) -> Feedback:
    """Exercise 1: predicted shapes of :data:`EX1_EXPRESSIONS`, a dict letter → tuple.

    ``images`` has shape ``(32, 28, 28)`` and ``W`` shape ``(784, 10)``.
    """
    ex = "Exercise 1"
    if shapes is None or shapes is Ellipsis:
        return Feedback(False, "shapes is missing: fill in the dictionary in the cell above", ex)
    if not isinstance(shapes, dict):
        return Feedback(False, f"shapes must be a dict like {{'a': (2, 3), ...}}, got a {type(shapes).__name__}", ex)
    missing = [k for k in _EX1_ANSWER if k not in shapes]
    if missing:
        return Feedback(False, f"no answer for {', '.join(missing)}", ex)
    unanswered, malformed, wrong = [], [], []
    for key, want in _EX1_ANSWER.items():
        got = shapes[key]
        if got is Ellipsis or got is None:
            unanswered.append(key)
            continue
        shape = _as_shape(got)
        if shape is None:
            malformed.append(key)
        elif shape != want:
            wrong.append(key)
    if unanswered:
        return Feedback(False, f"{', '.join(unanswered)} {'is' if len(unanswered) == 1 else 'are'} still "
                        "the placeholder `...`: write a tuple such as (2, 3)", ex)
    if malformed:
        return Feedback(False, f"{', '.join(malformed)}: write each shape as a tuple of whole numbers, "
                        "such as (2, 3)", ex)
    if wrong:
        return Feedback(False, f"{len(wrong)} of 5 not right yet: "
                        + "; ".join(f"{k}: {_EX1_HINTS[k]}" for k in wrong), ex)
    return Feedback(True, "correct: all five shapes", ex)


# ----------------------------------------------------------------------------- exercise 2
_EX2_COLUMN = np.array([[0.0], [10.0], [20.0]], dtype=np.float32)
_EX2_ROW = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)


def exercise_2(result, bug_shape) -> Feedback:
    """Exercise 2: ``column + row`` written out by hand, and the shape of ``(5,) - (5, 1)``."""
    ex = "Exercise 2"
    expected = _EX2_COLUMN + _EX2_ROW
    arr, problem = _to_array(result)
    if problem:
        return Feedback(False, f"result {problem}", ex)
    if arr.shape == expected.T.shape:
        return Feedback(False, f"result has shape {arr.shape}: rows and columns are swapped; the "
                        "column (3, 1) sets the number of rows", ex)
    if arr.ndim < 2 and arr.size in (3, 4, 7):
        return Feedback(False, f"result has shape {arr.shape}: broadcasting stretches both operands, "
                        "so the answer is a full table with one row per entry of column", ex)
    msg = diagnose(arr, expected, name="result")
    if msg:
        return Feedback(False, msg, ex)
    shape = _as_shape(bug_shape)
    if bug_shape is Ellipsis or bug_shape is None:
        return Feedback(False, "result is right; bug_shape is still the placeholder: write a tuple", ex)
    if shape is None:
        return Feedback(False, "result is right; write bug_shape as a tuple of whole numbers, such as (2, 3)", ex)
    if shape in ((5,), (5, 1), (1, 5)):
        return Feedback(False, f"result is right, but bug_shape is not {shape}: align the shapes from the "
                        "right; (5,) counts as (1, 5), and each axis of size 1 is stretched to match the "
                        "other operand", ex)
    if shape != (5, 5):
        return Feedback(False, f"result is right, but bug_shape {shape} is not: align (5,) and (5, 1) "
                        "from the right and stretch the axes of size 1", ex)
    return Feedback(True, "correct: and (5,) − (5, 1) silently makes a 5 × 5 table, a classic bug "
                    "in loss functions", ex)


# ----------------------------------------------------------------------------- exercise 3
def exercise_3(predict) -> Feedback:
    """Exercise 3: ``predict(x_np, W)`` multiplies float64 NumPy data by float32 weights, in float32."""
    import tensorflow as tf

    ex = "Exercise 3"
    bad = check_callable(predict, exercise=ex, name="predict")
    if bad is not None:
        return bad
    rng = np.random.default_rng(3)
    x_np = rng.normal(size=(4, 3))  # float64 on purpose: this is the situation under test
    W = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32))
    expected = x_np.astype(np.float32) @ W.numpy()
    try:
        out = predict(x_np, W)
    except Exception as exc:  # noqa: BLE001 - report any failure in words
        return Feedback(False, f"predict still fails with {_short_error(exc)}. Convert the NumPy data to "
                        "float32 before it meets the weights", ex)
    if out is None:
        return Feedback(False, "predict returned None: did you `return` the product?", ex)
    arr, problem = _to_array(out)
    if problem:
        return Feedback(False, f"predict(x_np, W) {problem}", ex)
    if arr.dtype == np.float64:
        return Feedback(False, "the result is float64: cast the data down to float32 rather than the "
                        "weights up to float64; the model stays in float32", ex)
    if W.dtype != tf.float32:  # pragma: no cover - a Variable's dtype cannot change
        return Feedback(False, "the weights changed dtype", ex)
    fb = check_close(out, expected, exercise=ex, name="predict(x_np, W)", dtype=np.float32, rtol=1e-5, atol=1e-5,
                     success="correct: float64 data cast to float32 at the boundary, weights untouched")
    return fb


# ----------------------------------------------------------------------------- exercise 4
def exercise_4(sgd_update) -> Feedback:
    """Exercise 4: ``sgd_update(v, grad, learning_rate)`` changes the Variable ``v`` in place."""
    import tensorflow as tf

    ex = "Exercise 4"
    bad = check_callable(sgd_update, exercise=ex, name="sgd_update")
    if bad is not None:
        return bad
    start = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    grad = tf.constant([0.5, -1.0, 2.0])
    lr = 0.1
    expected = start - lr * grad.numpy()
    v = tf.Variable(start)
    try:
        returned = sgd_update(v, grad, lr)
    except Exception as exc:  # noqa: BLE001 - report any failure in words
        hint = ""
        if "item assignment" in str(exc):
            hint = " (Variables cannot be changed element by element with v[i] = ...; use v.assign_sub)"
        return Feedback(False, f"sgd_update raised {_short_error(exc)}{hint}", ex)
    now = v.numpy()
    if np.allclose(now, start):
        if returned is not None and returned is not Ellipsis and not diagnose(returned, expected):
            return Feedback(False, "the returned numbers are right, but v itself did not change: "
                            "`v = v - ...` makes a new tensor; update the Variable with v.assign_sub(...)", ex)
        return Feedback(False, "v did not change: update it in place with v.assign_sub(...)", ex)
    if np.allclose(now, start + lr * grad.numpy()):
        return Feedback(False, "v moved uphill: subtract learning_rate × grad (assign_sub), do not add it", ex)
    if np.allclose(now, start - grad.numpy()):
        return Feedback(False, "the learning rate is missing: subtract learning_rate × grad", ex)
    if np.allclose(now, -lr * grad.numpy()) or np.allclose(now, lr * grad.numpy()):
        return Feedback(False, "v was overwritten with −learning_rate × grad: use assign_sub, not assign", ex)
    return check_close(now, expected, exercise=ex, name="v after the update",
                       success="correct: the Variable was updated in place")


# ----------------------------------------------------------------------------- exercise 5
_EX5_W = np.array([[0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
_EX5_B = np.array([2.0, 1.0], dtype=np.float32)


def exercise_5(W, b) -> Feedback:
    """Exercise 5: ``W`` and ``b`` such that ``points @ W + b`` rotates by 90° anticlockwise, then shifts by (2, 1)."""
    ex = "Exercise 5"
    W_arr, problem = _to_array(W)
    if problem:
        return Feedback(False, f"W {problem}", ex)
    b_arr, problem = _to_array(b)
    if problem:
        return Feedback(False, f"b {problem}", ex)
    if W_arr.shape != (2, 2):
        return Feedback(False, f"W has shape {W_arr.shape}, expected (2, 2): it maps 2-D points to 2-D points", ex)
    if b_arr.shape != (2,):
        return Feedback(False, f"b has shape {b_arr.shape}, expected (2,): one shift per coordinate", ex)
    W_arr, b_arr = W_arr.astype(np.float64), b_arr.astype(np.float64)
    w_ok = np.allclose(W_arr, _EX5_W, atol=1e-6)
    b_ok = np.allclose(b_arr, _EX5_B, atol=1e-6)
    if w_ok and b_ok:
        return Feedback(True, "correct: (1, 0) goes to (0, 1) and then to (2, 2)", ex)
    if not w_ok:
        if np.allclose(W_arr, _EX5_W.T, atol=1e-6):
            return Feedback(False, "this W rotates clockwise when points are rows (x @ W). It is the "
                            "matrix for column vectors (W @ x); with rows you need its transpose", ex)
        if np.allclose(W_arr, np.eye(2), atol=1e-6):
            return Feedback(False, "W is the identity: it does not rotate at all", ex)
        where = (np.array([1.0, 0.0]) @ W_arr, np.array([0.0, 1.0]) @ W_arr)
        return Feedback(False, f"W is not the rotation yet: it sends (1, 0) to ({where[0][0]:g}, {where[0][1]:g}) "
                        f"and (0, 1) to ({where[1][0]:g}, {where[1][1]:g}); a quarter turn anticlockwise "
                        "sends (1, 0) to (0, 1). (With points as rows, row i of W is where axis i lands.)", ex)
    if np.allclose(b_arr, _EX5_B @ _EX5_W, atol=1e-6):
        return Feedback(False, "W is right, but b shifts before rotating: the shift comes after the rotation, "
                        "so b is simply the shift", ex)
    if np.allclose(b_arr, _EX5_B[::-1], atol=1e-6):
        return Feedback(False, "W is right, but b has its two coordinates swapped", ex)
    return Feedback(False, f"W is right, but b = {b_arr.tolist()} is not the shift (2 to the right, 1 up)", ex)


# ----------------------------------------------------------------------------- exercise 6
def exercise_6(collapse) -> Feedback:
    """Exercise 6: ``collapse(W1, b1, W2, b2)`` returns ``(W, b)``, one affine map equal to the two layers."""
    import tensorflow as tf

    ex = "Exercise 6"
    bad = check_callable(collapse, exercise=ex, name="collapse")
    if bad is not None:
        return bad
    rng = np.random.default_rng(6)
    W1 = rng.normal(size=(3, 4)).astype(np.float32)
    b1 = rng.normal(size=(4,)).astype(np.float32)
    W2 = rng.normal(size=(4, 2)).astype(np.float32)
    b2 = rng.normal(size=(2,)).astype(np.float32)
    W_exp, b_exp = W1 @ W2, b1 @ W2 + b2
    args = [tf.constant(a) for a in (W1, b1, W2, b2)]
    try:
        out = collapse(*args)
    except Exception as exc:  # noqa: BLE001 - report any failure in words
        text = str(exc)
        hint = ""
        if "ndims" in text or "rank" in text.lower():
            hint = (" (tf.matmul needs both operands to be at least rank 2: use tf.tensordot(b1, W2, axes=1), "
                    "or turn b1 into a one-row matrix with b1[tf.newaxis, :])")
        elif "Matrix size-incompatible" in text or "Incompatible shapes" in text:
            hint = " (check which layer acts first, and that the shapes line up: (3, 4) then (4, 2))"
        return Feedback(False, f"collapse raised {_short_error(exc)}{hint}", ex)
    if out is None:
        return Feedback(False, "collapse returned None: return the pair (W, b)", ex)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return Feedback(False, f"collapse must return a pair (W, b), got a {type(out).__name__}", ex)
    W, b = out
    W_arr, problem = _to_array(W)
    if problem:
        return Feedback(False, f"W {problem}", ex)
    b_arr, problem = _to_array(b)
    if problem:
        return Feedback(False, f"b {problem}", ex)
    if W_arr.shape == (2, 3) and np.allclose(W_arr, W_exp.T, rtol=1e-4, atol=1e-5):
        return Feedback(False, "W is transposed: with points as rows, x @ W1 @ W2 needs W of shape (3, 2)", ex)
    msg = diagnose(W_arr, W_exp, name="W", rtol=1e-4, atol=1e-5)
    if msg:
        return Feedback(False, msg + " (x first meets W1, then W2)", ex)
    if b_arr.shape == (1, 2):
        b_arr = b_arr.reshape(2)
    if b_arr.shape == (2,):
        if np.allclose(b_arr, b1 @ W2, rtol=1e-4, atol=1e-5):
            return Feedback(False, "W is right; b is missing the second layer's own bias b2", ex)
        if np.allclose(b_arr, b2, rtol=1e-4, atol=1e-5):
            return Feedback(False, "W is right; b is missing the first bias, carried through W2 (b1 @ W2)", ex)
    msg = diagnose(b_arr, b_exp, name="b", rtol=1e-4, atol=1e-5)
    if msg:
        return Feedback(False, "W is right; " + msg + " (expand (x @ W1 + b1) @ W2 + b2)", ex)
    return Feedback(True, "correct: two affine layers are one affine layer, W = W1 @ W2 and b = b1 @ W2 + b2", ex)
