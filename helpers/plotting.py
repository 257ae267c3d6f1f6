"""One look for every figure in the course.

Introduced in chapter "What deep learning is, in one loop". Importing this module
applies the course style (colour-blind-safe Okabe–Ito palette, book-page sizes,
readable fonts). Every function returns the Matplotlib figure so that tests and
notebooks can inspect it; notebooks display it by leaving it as the cell's last value
or calling ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = [
    "PALETTE",
    "COLORS",
    "FIGSIZE",
    "apply_style",
    "new_figure",
    "plot_curves",
    "show_digits",
    "training_loop_diagram",
    "chapter_map",
    "animation_html",
]

#: Okabe & Ito's colour-blind-safe palette (black last: it is for text and outlines).
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
#: The palette by name, for code that wants to say which colour it means.
COLORS = dict(
    zip(
        ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black"),
        PALETTE,
    )
)
#: Default figure size in inches: fits the book's text column at 100 % zoom.
FIGSIZE = (6.4, 4.0)


def apply_style() -> None:
    """Set Matplotlib's defaults to the course look (called when the module is imported).

    Introduced in chapter "What deep learning is, in one loop".
    """
    plt.rcParams.update(
        {
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "figure.figsize": FIGSIZE,
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.constrained_layout.use": True,
            "image.cmap": "viridis",
            "animation.html": "jshtml",
            "animation.embed_limit": 30.0,  # MB
        }
    )


apply_style()


def _require_text(value, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{name} must be a non-empty string, got {value!r}")
    return value


def new_figure(
    title: str,
    xlabel: str,
    ylabel: str,
    *,
    figsize: tuple[float, float] | None = None,
):
    """A figure with one axes, already titled and labelled. Returns ``(fig, ax)``.

    Introduced in chapter "What deep learning is, in one loop". Every axis label
    should name its unit (``"time (s)"``, ``"step"``, ``"loss (cross-entropy)"``).
    """
    _require_text(title, "title")
    _require_text(xlabel, "xlabel")
    _require_text(ylabel, "ylabel")
    fig, ax = plt.subplots(figsize=figsize or FIGSIZE)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    x: Sequence[float] | None = None,
    logy: bool = False,
):
    """Plot one or more named curves (loss histories, accuracies) on shared axes.

    Introduced in chapter "Gradient descent with the tape". ``curves`` maps a legend
    label to a sequence of y values; ``x`` defaults to 0, 1, 2, …. Returns the figure.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("curves must be a non-empty mapping {label: sequence of numbers}")
    fig, ax = new_figure(title, xlabel, ylabel)
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"curve {label!r} must be a non-empty 1-D sequence, got shape {values.shape}")
        xs = np.arange(values.size) if x is None else np.asarray(x, dtype=float)
        if xs.shape != values.shape:
            raise ValueError(f"curve {label!r} has {values.size} values but x has {xs.size}")
        ax.plot(xs, values, label=str(label))
    if logy:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    return fig


def show_digits(
    images,
    labels=None,
    *,
    predictions=None,
    probabilities=None,
    ncols: int = 8,
    title: str = "MNIST digits",
):
    """Show a grid of 28×28 digits, each captioned with its label and optional prediction.

    Introduced in chapter "Tensors". ``images`` is an array ``(N, 28, 28)`` (uint8 0–255
    or floats 0–1) or ``(N, 784)``. A caption reads ``label 7`` or, with
    ``predictions``, ``7 → 7 (0.98)``; wrong predictions are drawn in vermillion.
    Returns the figure.
    """
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 784:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must have shape (N, 28, 28) or (N, 784) with N ≥ 1, got {images.shape}")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    n = images.shape[0]
    for name, arr in (("labels", labels), ("predictions", predictions), ("probabilities", probabilities)):
        if arr is not None and len(arr) != n:
            raise ValueError(f"{name} has {len(arr)} entries but there are {n} images")
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.1 * ncols, 1.3 * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r")
        parts, color = [], COLORS["black"]
        if labels is not None:
            parts.append(f"label {int(labels[i])}" if predictions is None else f"{int(labels[i])} →")
        if predictions is not None:
            parts.append(f"{int(predictions[i])}")
            if labels is not None and int(predictions[i]) != int(labels[i]):
                color = COLORS["vermillion"]
        if probabilities is not None:
            parts.append(f"({float(probabilities[i]):.2f})")
        if parts:
            ax.set_title(" ".join(parts), fontsize=9, color=color)
    fig.suptitle(title)
    return fig


def _box(ax, xy, text, color, width=0.2, height=0.12, highlight=False):
    x, y = xy
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.01,rounding_size=0.02",
        facecolor=color,
        alpha=0.95 if highlight else 0.35,
        edgecolor=COLORS["black"],
        linewidth=2.5 if highlight else 1.0,
    )
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=10, wrap=True)


def _arrow(ax, start, end, text=None, rad=0.0, text_offset=(0.0, 0.03)):
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=14, color=COLORS["black"],
            connectionstyle=f"arc3,rad={rad}", linewidth=1.2,
        )
    )
    if text:
        mx, my = (start[0] + end[0]) / 2 + text_offset[0], (start[1] + end[1]) / 2 + text_offset[1]
        ax.text(mx, my, text, ha="center", va="center", fontsize=9, style="italic")


_LOOP_PARTS = ("input", "layers", "predictions", "targets", "loss", "optimizer")


def training_loop_diagram(highlight: Sequence[str] = (), title: str | None = None):
    """Draw the training loop: input → layers (weights) → predictions → loss → optimizer → weights.

    Introduced in chapter "What deep learning is, in one loop" and reused by later
    chapters to show which part they study. ``highlight`` names parts to emphasise,
    from ``"input"``, ``"layers"``, ``"predictions"``, ``"targets"``, ``"loss"``,
    ``"optimizer"``. Returns the figure.
    """
    if isinstance(highlight, str):
        highlight = (highlight,)
    unknown = [h for h in highlight if h not in _LOOP_PARTS]
    if unknown:
        raise ValueError(f"unknown part(s) {unknown}; expected some of {_LOOP_PARTS}")
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    pos = {
        "input": (0.18, 0.88),
        "layers": (0.18, 0.62),
        "predictions": (0.18, 0.34),
        "targets": (0.62, 0.34),
        "loss": (0.40, 0.10),
        "optimizer": (0.78, 0.62),
    }
    text = {
        "input": "Input X",
        "layers": "Layers\n(weights)",
        "predictions": "Predictions Ŷ",
        "targets": "True targets Y",
        "loss": "Loss function",
        "optimizer": "Optimizer",
    }
    color = {
        "input": COLORS["sky"],
        "layers": COLORS["blue"],
        "predictions": COLORS["sky"],
        "targets": COLORS["sky"],
        "loss": COLORS["orange"],
        "optimizer": COLORS["green"],
    }
    for part in _LOOP_PARTS:
        _box(ax, pos[part], text[part], color[part], highlight=part in highlight)
    _arrow(ax, (0.18, 0.82), (0.18, 0.68), "forward pass", text_offset=(0.14, 0))
    _arrow(ax, (0.18, 0.56), (0.18, 0.40), "forward pass", text_offset=(0.14, 0))
    _arrow(ax, (0.22, 0.28), (0.36, 0.16))
    _arrow(ax, (0.58, 0.28), (0.44, 0.16))
    _arrow(ax, (0.50, 0.10), (0.78, 0.56), "loss score\n→ gradients", rad=0.35, text_offset=(0.22, -0.05))
    _arrow(ax, (0.68, 0.62), (0.28, 0.62), "weight update", text_offset=(0, 0.04))
    ax.set_title(title or "Training is a loop: predict, score, compute gradients, update weights")
    return fig


#: Chapters of the course and what each one needs first (used by :func:`chapter_map`).
CHAPTERS = {
    "1 Deep learning\nin one loop": (),
    "2 Tensors": ("1 Deep learning\nin one loop",),
    "3 GradientTape": ("2 Tensors",),
    "4 Gradient descent": ("3 GradientTape",),
    "5 Backpropagation\nby hand": ("3 GradientTape", "4 Gradient descent"),
    "6 Optimizers\nfrom scratch": ("4 Gradient descent",),
    "7 MNIST with\nKeras": ("4 Gradient descent",),
    "8 MNIST from\nscratch": ("5 Backpropagation\nby hand", "6 Optimizers\nfrom scratch", "7 MNIST with\nKeras"),
}
_MAP_POS = {
    "1 Deep learning\nin one loop": (0.12, 0.85),
    "2 Tensors": (0.12, 0.55),
    "3 GradientTape": (0.12, 0.22),
    "4 Gradient descent": (0.42, 0.22),
    "5 Backpropagation\nby hand": (0.42, 0.60),
    "6 Optimizers\nfrom scratch": (0.70, 0.22),
    "7 MNIST with\nKeras": (0.70, 0.60),
    "8 MNIST from\nscratch": (0.88, 0.88),
}
_MAP_PART = {
    "1": COLORS["sky"], "2": COLORS["sky"], "3": COLORS["blue"], "4": COLORS["blue"],
    "5": COLORS["blue"], "6": COLORS["green"], "7": COLORS["orange"], "8": COLORS["orange"],
}


def chapter_map():
    """Draw which chapter builds on which (an arrow from A to B: read A first).

    Introduced on the course's front page and in the instructor guide. Returns the figure.
    """
    fig, ax = plt.subplots(figsize=(8.0, 4.4))
    ax.set_xlim(0, 1)
    ax.set_ylim(0.05, 1.0)
    ax.axis("off")
    w, h = 0.2, 0.13
    for name, (x, y) in _MAP_POS.items():
        _box(ax, (x, y), name, _MAP_PART[name[0]], width=w, height=h)
    for name, needs in CHAPTERS.items():
        for need in needs:
            (x0, y0), (x1, y1) = _MAP_POS[need], _MAP_POS[name]
            d = np.array([x1 - x0, y1 - y0])
            # Leave each box at its edge, not its centre.
            scale = 1.0 / max(abs(d[0]) / (w / 2 + 0.01), abs(d[1]) / (h / 2 + 0.01))
            start = (x0 + d[0] * scale, y0 + d[1] * scale)
            end = (x1 - d[0] * scale, y1 - d[1] * scale)
            _arrow(ax, start, end)
    handles = [
        matplotlib.patches.Patch(facecolor=c, alpha=0.35, edgecolor="black", label=lab)
        for lab, c in (
            ("Foundations", COLORS["sky"]),
            ("Gradients and backpropagation", COLORS["blue"]),
            ("Optimization", COLORS["green"]),
            ("MNIST", COLORS["orange"]),
        )
    ]
    ax.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False,
              bbox_to_anchor=(0.5, -0.04))
    ax.set_title("How the chapters build on each other (arrow: read this first)")
    return fig


def animation_html(animation):
    """Turn a Matplotlib animation into HTML+JavaScript that plays in the static book.

    Introduced in chapter "Gradient descent with the tape". Closes the animation's
    figure so that the notebook does not also show its last frame as a still image.
    """
    from IPython.display import HTML
    from matplotlib.animation import Animation

    if not isinstance(animation, Animation):
        raise TypeError(f"expected a matplotlib.animation.Animation, got {type(animation).__name__}")
    html = animation.to_jshtml(default_mode="once")
    plt.close(animation._fig)
    return HTML(html)
