"""2-D convolution and max pooling in NumPy, as patches times a matrix (im2col).

Introduced in chapter "Convolutions by hand, checked against the tape", which writes
this code in the open, derives its backward pass, checks both against ``tf.nn.conv2d``,
``tf.nn.max_pool2d`` and ``tf.GradientTape``, and then checks that this copy agrees with
it. The property tests (``tests/test_conv.py``) and the exercise checks import it from
here.

Layouts are TensorFlow's: images ``x`` are ``(N, H, W, C)`` ("NHWC"), kernels ``w`` are
``(KH, KW, C, O)`` ("HWIO"), biases ``b`` are ``(O,)``. A convolution is

    y[n, i, j, o] = b[o] + sum over p, q, c of x[n, s i + p, s j + q, c] w[p, q, c, o]

on the padded input (a cross-correlation, as in every deep-learning library). Padding is
``"VALID"`` (none) or ``"SAME"`` (TensorFlow's rule: ceil(H / s) outputs, the padding
split with the smaller half before).

    y, cache = conv2d_forward(x, w, b, stride=2, padding="SAME")
    grads = conv2d_backward(dy, cache)            # {"x": dx, "w": dw, "b": db}
    m, pool_cache = maxpool_forward(y, size=2)
    dy = maxpool_backward(dm, pool_cache)
"""

from __future__ import annotations

import numpy as np

from .digits import _positive_int  # the same input check as chapter 7's

__all__ = [
    "PADDINGS",
    "output_size",
    "padding_amounts",
    "im2col",
    "col2im",
    "conv2d_forward",
    "conv2d_backward",
    "maxpool_forward",
    "maxpool_backward",
]

#: The paddings TensorFlow's ``tf.nn.conv2d`` knows by name.
PADDINGS = ("VALID", "SAME")


def _padding(padding) -> str:
    if not isinstance(padding, str) or padding.upper() not in PADDINGS:
        raise ValueError(f"padding must be 'VALID' or 'SAME', got {padding!r}")
    return padding.upper()


def _image_batch(x, name: str = "x") -> np.ndarray:
    if not isinstance(x, np.ndarray):
        hint = " (call .numpy() on a tensor)" if hasattr(x, "numpy") else ""
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}{hint}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a floating array, got dtype {x.dtype}")
    if x.ndim != 4:
        hint = " (add a channel axis with x[..., None])" if x.ndim == 3 else ""
        raise ValueError(f"{name} must have shape (N, H, W, C), got {x.shape}{hint}")
    return x


def output_size(size: int, kernel: int, stride: int = 1, padding: str = "VALID") -> int:
    """How many outputs a convolution gives along one axis of ``size`` inputs.

    Introduced in chapter "Convolutions by hand, checked against the tape":
    ``(size - kernel) // stride + 1`` for ``"VALID"``, ``ceil(size / stride)`` for
    ``"SAME"``. A kernel larger than a ``"VALID"`` input is a ``ValueError``.
    """
    return padding_amounts(size, kernel, stride, padding)[0]


def padding_amounts(size: int, kernel: int, stride: int = 1, padding: str = "VALID"):
    """``(outputs, zeros before, zeros after)`` along one axis, by TensorFlow's rule.

    Introduced in chapter "Convolutions by hand, checked against the tape". For
    ``"SAME"`` the total padding is ``max((out - 1) * stride + kernel - size, 0)``, and
    the smaller half (when it is odd) goes before.
    """
    size, kernel = _positive_int(size, "size"), _positive_int(kernel, "kernel")
    stride, padding = _positive_int(stride, "stride"), _padding(padding)
    if padding == "VALID":
        if kernel > size:
            raise ValueError(f"a kernel of {kernel} does not fit in {size} inputs without padding")
        return (size - kernel) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, padding: str = "VALID"):
    """Every ``kh × kw`` patch of ``x`` as one row: shape ``(N, OH, OW, kh * kw * C)``.

    Introduced in chapter "Convolutions by hand, checked against the tape". The entries
    of a row are ordered ``(p, q, c)``, the order of ``w.reshape(kh * kw * C, O)`` for a
    kernel of shape ``(kh, kw, C, O)``, so a convolution is ``im2col(x) @ w.reshape(...)``.
    """
    x = _image_batch(x)
    n, h, w_, c = x.shape
    oh, top, bottom = padding_amounts(h, kh, stride, padding)
    ow, left, right = padding_amounts(w_, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            cols[:, :, :, p, q, :] = xp[:, p:p + stride * (oh - 1) + 1:stride,
                                        q:q + stride * (ow - 1) + 1:stride, :]
    return cols.reshape(n, oh, ow, kh * kw * c)


def col2im(cols: np.ndarray, x_shape, kh: int, kw: int, stride: int = 1,
           padding: str = "VALID") -> np.ndarray:
    """The adjoint of :func:`im2col`: add every row's entries back where they came from.

    Introduced in chapter "Convolutions by hand, checked against the tape". ``cols`` has
    the shape :func:`im2col` returns for an input of shape ``x_shape``; pixels that lie
    in several patches receive the sum of their entries; the padding is cut off.
    """
    n, h, w_, c = x_shape
    oh, top, bottom = padding_amounts(h, kh, stride, padding)
    ow, left, right = padding_amounts(w_, kw, stride, padding)
    if not isinstance(cols, np.ndarray) or cols.shape != (n, oh, ow, kh * kw * c):
        got = cols.shape if isinstance(cols, np.ndarray) else type(cols).__name__
        raise ValueError(f"cols must have shape {(n, oh, ow, kh * kw * c)} for an input "
                         f"of shape {tuple(x_shape)}, got {got}")
    cols = cols.reshape(n, oh, ow, kh, kw, c)
    xp = np.zeros((n, h + top + bottom, w_ + left + right, c), dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            xp[:, p:p + stride * (oh - 1) + 1:stride,
               q:q + stride * (ow - 1) + 1:stride, :] += cols[:, :, :, p, q, :]
    return xp[:, top:top + h, left:left + w_, :]


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                   stride: int = 1, padding: str = "VALID"):
    """``tf.nn.conv2d(x, w, stride, padding) + b`` as patches times a matrix.

    Introduced in chapter "Convolutions by hand, checked against the tape". Returns
    ``(y, cache)``: ``y`` of shape ``(N, OH, OW, O)`` and what :func:`conv2d_backward`
    needs. ``b`` may be ``None`` (no bias).
    """
    x = _image_batch(x)
    if not isinstance(w, np.ndarray) or w.ndim != 4:
        got = w.shape if isinstance(w, np.ndarray) else type(w).__name__
        raise ValueError(f"w must be a NumPy array of shape (KH, KW, C, O), got {got}")
    kh, kw, c, o = w.shape
    if c != x.shape[3]:
        raise ValueError(f"w expects {c} input channels but x has {x.shape[3]}")
    if w.dtype != x.dtype:
        raise TypeError(f"x has dtype {x.dtype} but w has {w.dtype}; convert one of them")
    if b is not None and (not isinstance(b, np.ndarray) or b.shape != (o,)):
        raise ValueError(f"b must be None or a NumPy array of shape ({o},)")
    padding = _padding(padding)
    cols = im2col(x, kh, kw, stride, padding)
    y = cols @ w.reshape(kh * kw * c, o)
    if b is not None:
        y = y + b
    cache = {"cols": cols, "x_shape": x.shape, "w": w, "stride": stride, "padding": padding,
             "bias": b is not None}
    return y, cache


def conv2d_backward(dy: np.ndarray, cache: dict) -> dict:
    """Gradients of a loss with respect to the input, kernel and bias of a convolution.

    Introduced in chapter "Convolutions by hand, checked against the tape". ``dy`` is
    d loss / d y (the shape of :func:`conv2d_forward`'s output). With ``P`` the patches
    and ``Y = P W + b`` (one row per output position)::

        dW = Pᵀ dY      db = Σ dY      dP = dY Wᵀ      dx = col2im(dP)

    Returns ``{"x": dx, "w": dw, "b": db}`` (``db`` is ``None`` without a bias).
    """
    if not isinstance(cache, dict) or "cols" not in cache:
        raise TypeError("cache must be the dict returned by conv2d_forward")
    cols, w = cache["cols"], cache["w"]
    kh, kw, c, o = w.shape
    if not isinstance(dy, np.ndarray) or dy.shape != cols.shape[:3] + (o,):
        got = dy.shape if isinstance(dy, np.ndarray) else type(dy).__name__
        raise ValueError(f"dy must have the output's shape {cols.shape[:3] + (o,)}, got {got}")
    rows = dy.reshape(-1, o)
    dw = (cols.reshape(-1, kh * kw * c).T @ rows).reshape(w.shape)
    db = rows.sum(axis=0) if cache["bias"] else None
    dcols = dy @ w.reshape(kh * kw * c, o).T
    dx = col2im(dcols, cache["x_shape"], kh, kw, cache["stride"], cache["padding"])
    return {"x": dx, "w": dw, "b": db}


def maxpool_forward(x: np.ndarray, size: int = 2, stride: int | None = None):
    """``tf.nn.max_pool2d(x, size, stride, "VALID")``: the largest value of each window.

    Introduced in chapter "Convolutions by hand, checked against the tape". ``stride``
    defaults to ``size`` (windows side by side, as in Keras's ``MaxPooling2D``). Returns
    ``(y, cache)``; the cache records which entry of each window was the largest (the
    first one in row-major order when several tie).
    """
    x = _image_batch(x)
    size = _positive_int(size, "size")
    stride = size if stride is None else _positive_int(stride, "stride")
    n, h, w_, c = x.shape
    cols = im2col(x, size, size, stride, "VALID")
    windows = cols.reshape(cols.shape[:3] + (size * size, c))
    winner = windows.argmax(axis=3)  # the first largest entry of each window
    y = np.take_along_axis(windows, winner[:, :, :, None, :], axis=3)[:, :, :, 0, :]
    return y, {"winner": winner, "x_shape": x.shape, "size": size, "stride": stride}


def maxpool_backward(dy: np.ndarray, cache: dict) -> np.ndarray:
    """The gradient of max pooling: each window's ``dy`` goes to its largest entry only.

    Introduced in chapter "Convolutions by hand, checked against the tape". The other
    entries of the window get zero; of tied entries, the first (row-major) gets it all,
    as TensorFlow's ``MaxPoolGrad`` does. Overlapping windows add.
    """
    if not isinstance(cache, dict) or "winner" not in cache:
        raise TypeError("cache must be the dict returned by maxpool_forward")
    winner, size = cache["winner"], cache["size"]
    if not isinstance(dy, np.ndarray) or dy.shape != winner.shape:
        got = dy.shape if isinstance(dy, np.ndarray) else type(dy).__name__
        raise ValueError(f"dy must have the pooled output's shape {winner.shape}, got {got}")
    one_hot = np.arange(size * size)[None, None, None, :, None] == winner[:, :, :, None, :]
    dwindows = one_hot * dy[:, :, :, None, :]
    dcols = dwindows.reshape(winner.shape[:3] + (size * size * winner.shape[3],))
    return col2im(dcols, cache["x_shape"], size, size, cache["stride"], "VALID")
