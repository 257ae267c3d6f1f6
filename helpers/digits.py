"""Digits drawn outside MNIST, and how to prepare any digit image the way MNIST's were.

Introduced in chapter "MNIST with Keras: a baseline", section "Your own digit". A model
trained on MNIST expects MNIST-like inputs: white ink on black, the digit scaled to fit a
20×20 box and centred by its centre of mass in a 28×28 image (LeCun et al. 1998). This
module holds the machinery the chapter uses but does not teach:

* :func:`draw_digits` draws the ten digits the way a person might on paper (dark blue ink,
  thick strokes, an off-white 200×200 page, off-centre), from :data:`PEN`'s strokes, with
  :func:`draw_strokes` and :func:`arc`;
* :func:`naive_input` is what a careless pipeline feeds a model: the page shrunk to 28×28
  and averaged to grey, nothing else;
* :func:`preprocess_digit` prepares a photo or drawing like MNIST, in five steps that
  :func:`preprocessing_steps` returns one by one (for a figure);
* :func:`mosaic` lays a few images out as one picture (one panel, not ten).

    drawings, labels = draw_digits()
    prepared = np.stack([preprocess_digit(d) for d in drawings])   # (10, 28, 28)
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "PEN",
    "MNIST_CENTRE",
    "arc",
    "draw_strokes",
    "draw_digits",
    "naive_input",
    "to_grey",
    "invert_and_scale",
    "crop_and_resize",
    "centre",
    "preprocess_digit",
    "preprocessing_steps",
    "mosaic",
]

#: Where MNIST digits have their centre of mass, (row, column), in a 28×28 image.
MNIST_CENTRE = (14.0, 14.0)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _numeric_array(image, name: str = "image") -> np.ndarray:
    img = np.asarray(image)
    if img.dtype == object or not (np.issubdtype(img.dtype, np.number) or img.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {img.dtype}")
    return img


# ---------------------------------------------------------------- drawing
def arc(cx, cy, rx, ry, start_deg, end_deg, n=32):
    """Points ``[(x, y), ...]`` along an elliptical arc (angles in degrees, y pointing down).

    Introduced in chapter "MNIST with Keras: a baseline" (the drawn digits).
    """
    for value, name in ((cx, "cx"), (cy, "cy"), (rx, "rx"), (ry, "ry"),
                        (start_deg, "start_deg"), (end_deg, "end_deg")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number, got {value!r}")
    n = _positive_int(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2 points, got {n}")
    angles = np.radians(np.linspace(start_deg, end_deg, n))
    return list(zip(cx + rx * np.cos(angles), cy + ry * np.sin(angles)))


def draw_strokes(strokes, size=200, width=16, ink=(25, 35, 90), paper=(242, 238, 228)):
    """An RGB uint8 image ``(size, size, 3)`` of thick pen strokes on paper.

    Introduced in chapter "MNIST with Keras: a baseline". Each stroke is a list of at least
    two ``(x, y)`` points joined by straight segments ``width`` pixels thick, with an
    anti-aliased edge; ``ink`` and ``paper`` are RGB colours 0–255.
    """
    size, width = _positive_int(size, "size"), _positive_int(width, "width")
    for colour, name in ((ink, "ink"), (paper, "paper")):
        arr = np.asarray(colour)
        if arr.shape != (3,) or not np.issubdtype(arr.dtype, np.number) or arr.min() < 0 or arr.max() > 255:
            raise ValueError(f"{name} must be an RGB colour (r, g, b) with values 0-255, got {colour!r}")
    try:
        strokes = [np.asarray(s, dtype=np.float32) for s in strokes]
    except (TypeError, ValueError):
        raise TypeError("strokes must be a list of strokes, each a list of (x, y) points") from None
    if not strokes:
        raise ValueError("strokes is empty: give at least one stroke")
    for i, s in enumerate(strokes):
        if s.ndim != 2 or s.shape[1] != 2 or len(s) < 2:
            raise ValueError(f"stroke {i} must be a list of at least two (x, y) points, got shape {s.shape}")
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    distance = np.full((size, size), np.inf, dtype=np.float32)
    for stroke in strokes:
        for (x0, y0), (x1, y1) in zip(stroke[:-1], stroke[1:]):
            # distance from every pixel to the segment (x0, y0)-(x1, y1)
            dx, dy = x1 - x0, y1 - y0
            length2 = max(dx * dx + dy * dy, 1e-12)
            t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / length2, 0, 1)
            distance = np.minimum(distance, np.hypot(xx - x0 - t * dx, yy - y0 - t * dy))
    coverage = np.clip(width / 2 + 0.5 - distance, 0, 1)[..., None]  # anti-aliased edge
    image = (1 - coverage) * np.asarray(paper, np.float32) + coverage * np.asarray(ink, np.float32)
    return image.round().astype(np.uint8)


#: The strokes of each digit on a 200×200 page, all in its right half (x, y; y down).
PEN = {
    0: [arc(130, 100, 28, 55, 0, 360, 48)],
    1: [[(125, 55), (145, 35), (145, 165)]],
    2: [arc(130, 72, 32, 30, -170, 20) + [(105, 165), (172, 165)]],
    3: [arc(128, 62, 30, 26, -160, 90), arc(128, 124, 34, 34, -90, 160)],
    4: [[(140, 30), (100, 115), (175, 115)], [(152, 70), (152, 175)]],
    5: [[(165, 35), (115, 35), (110, 92)] + arc(132, 127, 36, 36, -130, 150)],
    6: [[(160, 35), (125, 90)] + arc(135, 130, 30, 35, 205, 565, 48)],
    7: [[(95, 40), (170, 40), (120, 170)]],
    8: [arc(133, 64, 26, 26, 90, 450, 40), arc(133, 127, 32, 36, -90, 270, 40)],
    9: [arc(135, 70, 28, 30, 0, 360, 40), [(163, 70), (150, 170)]],
}


def draw_digits(width=16):
    """The ten digits drawn on paper: ``(images, labels)``, uint8 ``(10, 200, 200, 3)`` and 0…9.

    Introduced in chapter "MNIST with Keras: a baseline". Dark blue ink, strokes ``width``
    pixels thick, an off-white page, each digit in the right half: nothing like MNIST.
    """
    images = np.stack([draw_strokes(PEN[digit], width=width) for digit in range(10)])
    return images, np.arange(10)


# ---------------------------------------------------------------- what a careless pipeline does
def naive_input(image):
    """Shrink a page to 28×28 and average its colours: ``(784,)`` float32, no inversion, no centring.

    Introduced in chapter "MNIST with Keras: a baseline", to show what a model sees when
    an image is not prepared like its training data.
    """
    import tensorflow as tf

    img = _numeric_array(image)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[-1] not in (1, 3) or min(img.shape[:2]) < 2:
        raise ValueError(f"image must be grey (H, W) or colour (H, W, 3), got shape {np.shape(image)}")
    x = img.astype(np.float32)
    if img.dtype == np.uint8 or x.max() > 1.0:
        x = x / 255.0
    small = tf.image.resize(x, (28, 28), antialias=True).numpy()
    return small.mean(axis=-1).reshape(784).astype(np.float32)


# ---------------------------------------------------------------- the five steps
def to_grey(image):
    """Step 1: an image (grey, RGB or RGBA; uint8 0–255 or floats 0–1) → grey float32 in [0, 1].

    Introduced in chapter "MNIST with Keras: a baseline". Colour becomes luminance
    0.299 R + 0.587 G + 0.114 B; an alpha channel is laid over white paper first.
    """
    img = _numeric_array(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[-1] in (3, 4))):
        raise ValueError(f"image must be grey (H, W) or colour (H, W, 3|4), got shape {img.shape}")
    if min(img.shape[:2]) < 2:
        raise ValueError(f"image is too small: {img.shape[:2]}")
    x = img.astype(np.float32)
    if img.dtype == np.uint8 or x.max() > 1.0:
        x = x / 255.0
    if x.ndim == 3:
        if x.shape[-1] == 4:
            alpha = x[..., 3:]
            x = x[..., :3] * alpha + (1.0 - alpha)  # over white paper
        x = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def invert_and_scale(grey, invert="auto"):
    """Steps 2 and 3: white ink on black like MNIST, background 0, strongest ink 1.

    Introduced in chapter "MNIST with Keras: a baseline". A light background (median of
    the border pixels above 0.5) is inverted; ``invert=True`` or ``False`` forces it. An
    image in which no ink stands out from the background is a ``ValueError``.
    """
    if invert not in ("auto", True, False):
        raise ValueError(f"invert must be 'auto', True or False, got {invert!r}")
    x = _numeric_array(grey, "grey").astype(np.float32)
    if x.ndim != 2:
        raise ValueError(f"grey must be a 2-D image, got shape {x.shape}")
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    if invert is True or (invert == "auto" and np.median(border) > 0.5):
        x, border = 1.0 - x, 1.0 - border
    background, peak = float(np.median(border)), float(x.max())
    if peak - background < 1e-3:
        raise ValueError("the image is blank: no ink stands out from the background")
    return np.clip((x - background) / (peak - background), 0.0, 1.0).astype(np.float32)


def crop_and_resize(ink, box=20):
    """Step 4: crop to the ink (pixels above 0.2), longer side resized to ``box`` pixels.

    Introduced in chapter "MNIST with Keras: a baseline". Keeps the aspect ratio.
    """
    import tensorflow as tf

    box = _positive_int(box, "box")
    x = _numeric_array(ink, "ink").astype(np.float32)
    if x.ndim != 2:
        raise ValueError(f"ink must be a 2-D image, got shape {x.shape}")
    rows, cols = np.nonzero(x > 0.2)
    if rows.size == 0:
        raise ValueError("the image is blank: no pixel is above 0.2")
    x = x[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = x.shape
    scale = box / max(h, w)
    new_shape = (max(1, round(h * scale)), max(1, round(w * scale)))
    resized = tf.image.resize(x[..., None], new_shape, method="bilinear", antialias=True)
    return np.clip(resized.numpy()[..., 0], 0.0, 1.0).astype(np.float32)


def centre(patch, size=28):
    """Step 5: paste into a black ``size × size`` image, centre of mass at MNIST's (14, 14).

    Introduced in chapter "MNIST with Keras: a baseline" (the centre scales with ``size``).
    """
    size = _positive_int(size, "size")
    x = _numeric_array(patch, "patch").astype(np.float32)
    if x.ndim != 2 or max(x.shape) > size:
        raise ValueError(f"patch must be a 2-D image at most {size}×{size}, got shape {x.shape}")
    mass = float(x.sum())
    if mass <= 0:
        raise ValueError("the patch is blank: it has no ink to centre")
    com_row = x.sum(axis=1) @ np.arange(x.shape[0]) / mass
    com_col = x.sum(axis=0) @ np.arange(x.shape[1]) / mass
    top = int(np.clip(round(MNIST_CENTRE[0] * size / 28 - com_row), 0, size - x.shape[0]))
    left = int(np.clip(round(MNIST_CENTRE[1] * size / 28 - com_col), 0, size - x.shape[1]))
    out = np.zeros((size, size), dtype=np.float32)
    out[top:top + x.shape[0], left:left + x.shape[1]] = x
    return out


def _check_box_size(box, size):
    size, box = _positive_int(size, "size"), _positive_int(box, "box")
    if box > size:
        raise ValueError(f"box ({box}) must not be larger than size ({size})")
    return box, size


def preprocessing_steps(image, *, invert="auto", box=20, size=28):
    """Every intermediate image of :func:`preprocess_digit`, by name, in order (for a figure).

    Introduced in chapter "MNIST with Keras: a baseline". The keys are ``"your image"``,
    ``"1 grey"``, ``"2-3 inverted, scaled"``, ``"4 cropped, resized"`` and ``"5 centred"``;
    the last value is what :func:`preprocess_digit` returns.
    """
    box, size = _check_box_size(box, size)
    grey = to_grey(image)
    ink = invert_and_scale(grey, invert=invert)
    patch = crop_and_resize(ink, box=box)
    return {
        "your image": np.asarray(image),
        "1 grey": grey,
        "2-3 inverted, scaled": ink,
        "4 cropped, resized": patch,
        "5 centred": centre(patch, size=size),
    }


def preprocess_digit(image, *, invert="auto", box=20, size=28):
    """Turn a photo or drawing of one digit into an MNIST-like float32 image ``(28, 28)``.

    Introduced in chapter "MNIST with Keras: a baseline". The steps, as MNIST itself was
    made (LeCun et al. 1998):

    1. grey-scale (:func:`to_grey`): an ``(H, W, 3)`` or ``(H, W, 4)`` image (uint8 0–255
       or floats 0–1) becomes luminance, in [0, 1];
    2. invert (:func:`invert_and_scale`): MNIST is white ink on black, so a light
       background is flipped (``invert=True``/``False`` forces it);
    3. scale the values: background → 0, strongest ink → 1;
    4. crop to the ink and resize so that the longer side is ``box`` pixels (20), keeping
       the aspect ratio (:func:`crop_and_resize`);
    5. centre (:func:`centre`): paste into a ``size × size`` black image so that the
       centre of mass of the ink lands at (14, 14), where MNIST digits have theirs.

    A blank image (no ink) or a wrong shape is a ``ValueError``; a non-numeric image a
    ``TypeError``.
    """
    return preprocessing_steps(image, invert=invert, box=box, size=size)["5 centred"]


# ---------------------------------------------------------------- showing
def mosaic(images, ncols=5, gap=4, fill=255):
    """Lay images of one shape out in a grid, as one image (one panel in a figure).

    Introduced in chapter "MNIST with Keras: a baseline". ``images`` is ``(N, H, W)`` or
    ``(N, H, W, C)``; ``gap`` pixels of ``fill`` separate the tiles.
    """
    arr = _numeric_array(images, "images")
    if arr.ndim not in (3, 4) or len(arr) == 0:
        raise ValueError(f"images must have shape (N, H, W) or (N, H, W, C) with N ≥ 1, got {arr.shape}")
    ncols = min(_positive_int(ncols, "ncols"), len(arr))
    if isinstance(gap, bool) or not isinstance(gap, numbers.Integral) or gap < 0:
        raise ValueError(f"gap must be a whole number of pixels ≥ 0, got {gap!r}")
    nrows = -(-len(arr) // ncols)
    h, w = arr.shape[1:3]
    out = np.full((nrows * h + (nrows - 1) * gap, ncols * w + (ncols - 1) * gap) + arr.shape[3:],
                  fill, dtype=arr.dtype)
    for k, tile in enumerate(arr):
        r, c = divmod(k, ncols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tile
    return out
