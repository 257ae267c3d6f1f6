"""helpers.digits: the drawn digits of chapter 7 and preparing any digit image like MNIST."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import digits


# ---------------------------------------------------------------- preprocess_digit
def drawn_bar(height=200, width=150, top=20, left=90, bar_h=100, bar_w=30, ink=30, paper=240):
    """A light page with one dark, tall rectangle off-centre (uint8, grey)."""
    page = np.full((height, width), paper, dtype=np.uint8)
    page[top:top + bar_h, left:left + bar_w] = ink
    return page


def centre_of_mass(img):
    rows, cols = np.indices(img.shape)
    return (rows * img).sum() / img.sum(), (cols * img).sum() / img.sum()


def test_preprocess_digit_inverts_scales_crops_and_centres():
    out = digits.preprocess_digit(drawn_bar())
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() == 0.0 and np.isclose(out.max(), 1.0)
    assert out[0, 0] == 0 and out[-1, -1] == 0, "the light background becomes black (inverted)"
    rows, cols = np.nonzero(out > 0.2)
    assert rows.max() - rows.min() + 1 == 20, "the longer side of the ink is scaled to 20 pixels"
    assert 5 <= cols.max() - cols.min() + 1 <= 7, "the aspect ratio is kept (100 × 30 → 20 × 6)"
    r, c = centre_of_mass(out)
    assert abs(r - 14) <= 0.75 and abs(c - 14) <= 0.75, "centre of mass near (14, 14)"


def test_preprocess_digit_accepts_colour_alpha_float_and_grey_channel():
    grey = drawn_bar()
    expected = digits.preprocess_digit(grey)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    np.testing.assert_allclose(digits.preprocess_digit(rgb), expected, atol=1e-5)
    rgba = np.concatenate([rgb, np.full(grey.shape + (1,), 255, np.uint8)], axis=-1)
    np.testing.assert_allclose(digits.preprocess_digit(rgba), expected, atol=1e-5)
    np.testing.assert_allclose(digits.preprocess_digit(grey / 255.0), expected, atol=1e-5)
    np.testing.assert_allclose(digits.preprocess_digit(grey[..., None]), expected, atol=1e-5)
    transparent = rgba.copy()
    transparent[..., 3] = 0  # fully transparent: only white paper is left
    with pytest.raises(ValueError, match="blank"):
        digits.preprocess_digit(transparent)


def test_preprocess_digit_leaves_dark_backgrounds_uninverted():
    page = 255 - drawn_bar()  # white ink on black already, like MNIST
    out = digits.preprocess_digit(page)
    np.testing.assert_allclose(out, digits.preprocess_digit(drawn_bar()), atol=1e-5)
    np.testing.assert_allclose(digits.preprocess_digit(drawn_bar(), invert=True), out, atol=1e-5)
    with pytest.raises(ValueError, match="blank"):  # a light page kept light: nothing is brighter than it
        digits.preprocess_digit(drawn_bar(), invert=False)


def test_preprocess_digit_keeps_an_mnist_digit_close_to_itself():
    from helpers.data import load_mnist

    (x, _), _ = load_mnist(verbose=False)
    digit = x[0]
    out = digits.preprocess_digit(digit)
    corr = np.corrcoef(out.ravel(), digit.ravel() / 255.0)[0, 1]
    assert corr > 0.8, f"an MNIST digit should come back nearly unchanged (correlation {corr:.2f})"


@pytest.mark.parametrize(
    "image, kwargs, error, match",
    [
        (np.full((40, 40), 200, np.uint8), {}, ValueError, "blank"),
        (np.zeros(28), {}, ValueError, "shape"),
        (np.zeros((10, 10, 2)), {}, ValueError, "shape"),
        (np.zeros((1, 10)), {}, ValueError, "too small"),
        (np.array([["a", "b"], ["c", "d"]]), {}, TypeError, "numeric"),
        (drawn_bar(), {"invert": "yes"}, ValueError, "invert"),
        (drawn_bar(), {"box": 30}, ValueError, "box"),
        (drawn_bar(), {"size": 0}, ValueError, "size"),
    ],
)
def test_preprocess_digit_bad_inputs(image, kwargs, error, match):
    with pytest.raises(error, match=match):
        digits.preprocess_digit(image, **kwargs)


def test_steps_compose_to_preprocess_digit():
    page = drawn_bar()
    steps = digits.preprocessing_steps(page)
    assert list(steps) == ["your image", "1 grey", "2-3 inverted, scaled", "4 cropped, resized", "5 centred"]
    np.testing.assert_array_equal(steps["5 centred"], digits.preprocess_digit(page))
    grey = digits.to_grey(page)
    ink = digits.invert_and_scale(grey)
    np.testing.assert_allclose(ink, steps["2-3 inverted, scaled"])
    np.testing.assert_allclose(digits.centre(digits.crop_and_resize(ink)), steps["5 centred"])
    assert steps["4 cropped, resized"].shape[0] == 20


@pytest.mark.parametrize(
    "fn, args, error, match",
    [
        (digits.invert_and_scale, (np.zeros((4, 4, 3)),), ValueError, "2-D"),
        (digits.invert_and_scale, (np.zeros((4, 4)), "maybe"), ValueError, "invert"),
        (digits.crop_and_resize, (np.zeros((5, 5)),), ValueError, "blank"),
        (digits.crop_and_resize, (np.ones((5, 5)), 0), ValueError, "box"),
        (digits.centre, (np.zeros((3, 3)),), ValueError, "blank"),
        (digits.centre, (np.ones((30, 3)),), ValueError, "at most 28"),
        (digits.to_grey, (np.array([["a"]]),), TypeError, "numeric"),
    ],
)
def test_steps_bad_inputs(fn, args, error, match):
    with pytest.raises(error, match=match):
        fn(*args)


# ---------------------------------------------------------------- drawing
def test_draw_digits_gives_ten_off_centre_ink_drawings():
    images, labels = digits.draw_digits()
    assert images.shape == (10, 200, 200, 3) and images.dtype == np.uint8
    assert labels.tolist() == list(range(10))
    for image in images:
        ink = image.mean(axis=-1) < 128
        assert ink.any() and not ink[:, :80].any(), "dark ink, all in the right half"
        assert tuple(image[0, 0]) == (242, 238, 228), "off-white paper in the corner"
    assert len({image.tobytes() for image in images}) == 10


def test_draw_strokes_draws_a_thick_segment_with_soft_edges():
    image = digits.draw_strokes([[(20, 50), (80, 50)]], size=100, width=10, ink=(0, 0, 0), paper=(255, 255, 255))
    assert image.shape == (100, 100, 3)
    assert tuple(image[50, 50]) == (0, 0, 0) and tuple(image[20, 50]) == (255, 255, 255)
    column = image[:, 50, 0]
    dark = np.flatnonzero(column < 128)
    assert 9 <= len(dark) <= 11, "about width pixels thick"
    assert np.any((column > 0) & (column < 255)), "anti-aliased edge"


def test_arc_points():
    points = digits.arc(10, 20, 5, 3, 0, 90, n=3)
    assert len(points) == 3
    np.testing.assert_allclose(points[0], (15, 20))
    np.testing.assert_allclose(points[-1], (10, 23), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"strokes": []}, ValueError),
        ({"strokes": [[(0, 0)]]}, ValueError),
        ({"strokes": [[(0, 0, 0), (1, 1, 1)]]}, ValueError),
        ({"strokes": 5}, TypeError),
        ({"strokes": [[(0, 0), (5, 5)]], "size": 0}, ValueError),
        ({"strokes": [[(0, 0), (5, 5)]], "width": 2.5}, TypeError),
        ({"strokes": [[(0, 0), (5, 5)]], "ink": (0, 0)}, ValueError),
        ({"strokes": [[(0, 0), (5, 5)]], "paper": (0, 0, 300)}, ValueError),
    ],
)
def test_draw_strokes_bad_inputs(kwargs, error):
    with pytest.raises(error):
        digits.draw_strokes(**kwargs)


def test_arc_bad_inputs():
    with pytest.raises(TypeError):
        digits.arc("a", 0, 1, 1, 0, 90)
    with pytest.raises(ValueError):
        digits.arc(0, 0, 1, 1, 0, 90, n=1)


# ---------------------------------------------------------------- naive input, mosaic
def test_naive_input_is_a_light_shrunk_page():
    images, _ = digits.draw_digits()
    naive = digits.naive_input(images[4])
    assert naive.shape == (784,) and naive.dtype == np.float32
    assert naive.min() >= 0 and naive.max() <= 1 and np.median(naive) > 0.8, "light paper, not black"
    np.testing.assert_allclose(digits.naive_input(images[4] / 255.0), naive, atol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        digits.naive_input(np.zeros((5, 5, 4)))
    with pytest.raises(TypeError):
        digits.naive_input(np.array([["a", "b"], ["c", "d"]]))


def test_mosaic_lays_out_tiles_with_gaps():
    tiles = np.arange(1, 4)[:, None, None] * np.ones((3, 2, 2), np.uint8)
    out = digits.mosaic(tiles, ncols=2, gap=1, fill=0)
    assert out.shape == (5, 5)
    assert out[0, 0] == 1 and out[0, 3] == 2 and out[3, 0] == 3
    assert out[2].tolist() == [0] * 5 and out[3, 3] == 0, "gap and empty cell filled"
    rgb = digits.mosaic(np.zeros((10, 4, 4, 3), np.uint8), ncols=5)
    assert rgb.shape == (4 * 2 + 4, 4 * 5 + 4 * 4, 3)
    with pytest.raises(ValueError):
        digits.mosaic(np.zeros((0, 4, 4)))
    with pytest.raises(ValueError):
        digits.mosaic(np.zeros((2, 4, 4)), gap=-1)
    with pytest.raises(TypeError):
        digits.mosaic(np.zeros((2, 4, 4)), ncols=1.5)
