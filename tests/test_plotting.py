"""helpers.plotting: the course look, figures returned for inspection, clear errors."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_style_uses_the_colour_blind_safe_palette():
    cycle = [c.upper() for c in plt.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [c.upper() for c in plotting.PALETTE]
    assert plotting.COLORS["vermillion"] == "#D55E00"


def test_new_figure_is_labelled():
    fig, ax = plotting.new_figure("Loss falls", "step", "loss (MSE)")
    assert isinstance(fig, matplotlib.figure.Figure)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Loss falls", "step", "loss (MSE)")
    w, h = fig.get_size_inches()
    assert w <= 8 and h <= 6, "figures must fit a book page"


@pytest.mark.parametrize("bad", [None, "", "   ", 3])
def test_new_figure_rejects_missing_labels(bad):
    with pytest.raises(TypeError, match="must be a non-empty string"):
        plotting.new_figure("title", bad, "y")


def test_plot_curves_draws_each_curve_with_legend():
    fig = plotting.plot_curves({"SGD": [3, 2, 1], "Adam": [3, 1, 0.5]}, title="t", xlabel="epoch",
                               ylabel="loss", logy=True)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD", "Adam"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [3, 1, 0.5])


@pytest.mark.parametrize("curves, error", [({}, TypeError), ([1, 2], TypeError),
                                           ({"a": []}, ValueError), ({"a": [[1, 2]]}, ValueError)])
def test_plot_curves_bad_input(curves, error):
    with pytest.raises(error):
        plotting.plot_curves(curves, title="t", xlabel="x", ylabel="y")


def test_plot_curves_x_length_must_match():
    with pytest.raises(ValueError, match="x has"):
        plotting.plot_curves({"a": [1, 2, 3]}, x=[0, 1], title="t", xlabel="x", ylabel="y")


def test_show_digits_captions_and_marks_mistakes():
    images = np.zeros((3, 28, 28), np.uint8)
    fig = plotting.show_digits(images, [1, 2, 3], predictions=[1, 5, 3], probabilities=[0.9, 0.6, 0.99])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["1 → 1 (0.90)", "2 → 5 (0.60)", "3 → 3 (0.99)"]
    wrong = [ax for ax in fig.axes if ax.get_title() == "2 → 5 (0.60)"][0]
    assert matplotlib.colors.to_hex(wrong.title.get_color()).upper() == plotting.COLORS["vermillion"]


def test_show_digits_accepts_flat_images():
    fig = plotting.show_digits(np.zeros((10, 784)), ncols=5)
    assert sum(1 for ax in fig.axes if ax.images) == 10


@pytest.mark.parametrize("images", [np.zeros((28, 28)), np.zeros((0, 28, 28)), np.zeros((2, 10))])
def test_show_digits_rejects_bad_shapes(images):
    with pytest.raises(ValueError, match="images must have shape"):
        plotting.show_digits(images)


def test_show_digits_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels has 2 entries but there are 3 images"):
        plotting.show_digits(np.zeros((3, 28, 28)), [1, 2])


def test_training_loop_diagram_has_every_part_and_highlights():
    fig = plotting.training_loop_diagram(highlight=["loss"])
    texts = {t.get_text() for t in fig.axes[0].texts}
    for part in ("Input X", "Layers\n(weights)", "Loss function", "Optimizer", "True targets Y"):
        assert part in texts
    widths = sorted(p.get_linewidth() for p in fig.axes[0].patches if hasattr(p, "get_boxstyle"))
    assert widths[-1] > widths[0], "the highlighted part is drawn with a thicker outline"


def test_training_loop_diagram_rejects_unknown_parts():
    with pytest.raises(ValueError, match="unknown part"):
        plotting.training_loop_diagram(highlight=["backprop"])


def test_chapter_map_draws_every_chapter():
    fig = plotting.chapter_map()
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert set(plotting.CHAPTERS) <= texts
    assert "read this first" in fig.axes[0].get_title()


def test_animation_html_plays_as_javascript():
    from matplotlib.animation import FuncAnimation

    fig, ax = plotting.new_figure("moving dot", "x", "y")
    (dot,) = ax.plot([0], [0], "o")
    anim = FuncAnimation(fig, lambda i: dot.set_data([i], [i]), frames=3)
    html = plotting.animation_html(anim, alt="A dot moving along the diagonal")
    assert "<script" in html.data and "anim" in html.data
    assert 'alt="A dot moving along the diagonal"' in html.data
    assert "https://" not in html.data, "the player must not need a CDN"
    assert "▶" in html.data and "fa fa-" not in html.data
    assert not plt.fignum_exists(fig.number), "the still figure is closed"


def test_animation_html_rejects_non_animations():
    with pytest.raises(TypeError, match="Animation"):
        plotting.animation_html(plt.figure(), alt="A figure that is not an animation")


def test_animation_html_needs_alt_text():
    from matplotlib.animation import FuncAnimation

    fig, ax = plotting.new_figure("moving dot", "x", "y")
    anim = FuncAnimation(fig, lambda i: None, frames=2)
    with pytest.raises(ValueError, match="alt must describe"):
        plotting.animation_html(anim, alt="")
    plotting.animation_html(anim, alt="Nothing moves in this two-frame animation")  # renders it once
