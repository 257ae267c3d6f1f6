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
    "COLUMN_WIDTH",
    "MIN_FONT_PT",
    "apply_style",
    "subplots",
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
#: The widest a figure may be, in inches: at 100 dpi it fills the book's text column
#: without being scaled down, so 9-point text shows at 12 px on a laptop.
COLUMN_WIDTH = 6.4
#: The smallest font size any figure text uses, in points.
MIN_FONT_PT = 9
#: Default figure size in inches: fits the book's text column at 100 % zoom.
FIGSIZE = (COLUMN_WIDTH, 4.0)


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
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "figure.titlesize": 12,
            "legend.framealpha": 0.9,
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


def subplots(nrows: int = 1, ncols: int = 1, *, panel_height: float = 2.8, **kwargs):
    """``plt.subplots`` sized for the book's column: returns ``(fig, axes)``.

    Introduced in chapter "What deep learning is, in one loop". The figure is
    :data:`COLUMN_WIDTH` wide and ``panel_height`` inches per row. At most two panels
    stand side by side, so that each stays readable when a phone shrinks the figure to
    its screen: stack more panels in rows.
    """
    for value, name in ((nrows, "nrows"), (ncols, "ncols")):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if ncols > 2:
        raise ValueError(f"at most two panels side by side (got ncols={ncols}): "
                         "stack the others in rows so they stay readable on a phone")
    if not isinstance(panel_height, (int, float)) or not 1.0 <= panel_height <= 5.0:
        raise ValueError(f"panel_height must be between 1 and 5 inches, got {panel_height!r}")
    if "figsize" in kwargs:
        raise TypeError("subplots sets the figure size itself: give panel_height instead")
    return plt.subplots(nrows, ncols, figsize=(COLUMN_WIDTH, panel_height * nrows + 0.5), **kwargs)


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
    if len(curves) > 1:  # above the axes, off the data
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=min(len(curves), 3),
                  frameon=False, borderaxespad=0.2)
        ax.set_title(ax.get_title(), pad=8 + 14 * int(np.ceil(len(curves) / 3)))
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
    cell = min(1.1, COLUMN_WIDTH / ncols)  # the grid never runs wider than the column
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell * ncols, (cell + 0.25) * nrows + 0.4),
                             squeeze=False)
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
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 4.3))
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
    "4 Gradient\ndescent": ("3 GradientTape",),
    "5 Backpropagation\nby hand": ("3 GradientTape", "4 Gradient\ndescent"),
    "6 Optimizers\nfrom scratch": ("4 Gradient\ndescent",),
    "7 MNIST with\nKeras": ("4 Gradient\ndescent",),
    "8 MNIST from\nscratch": ("5 Backpropagation\nby hand", "6 Optimizers\nfrom scratch", "7 MNIST with\nKeras"),
    "9 Keras models\nand loops": ("8 MNIST from\nscratch",),
    "10 When training\ngoes wrong": ("9 Keras models\nand loops",),
    "11 Convolutions": ("8 MNIST from\nscratch", "10 When training\ngoes wrong"),
}
_MAP_POS = {
    "1 Deep learning\nin one loop": (0.12, 0.85),
    "2 Tensors": (0.12, 0.52),
    "3 GradientTape": (0.12, 0.20),
    "4 Gradient\ndescent": (0.37, 0.20),
    "5 Backpropagation\nby hand": (0.37, 0.52),
    "6 Optimizers\nfrom scratch": (0.62, 0.20),
    "7 MNIST with\nKeras": (0.62, 0.52),
    "8 MNIST from\nscratch": (0.62, 0.85),
    "9 Keras models\nand loops": (0.88, 0.85),
    "10 When training\ngoes wrong": (0.88, 0.52),
    "11 Convolutions": (0.88, 0.20),
}
#: Arrows that would cross a box if drawn straight bend around it (arc3 ``rad``).
_MAP_BEND = {("6 Optimizers\nfrom scratch", "8 MNIST from\nscratch"): 0.5}
_MAP_PART = {
    "1": COLORS["sky"], "2": COLORS["sky"], "3": COLORS["blue"], "4": COLORS["blue"],
    "5": COLORS["blue"], "6": COLORS["green"], "7": COLORS["orange"], "8": COLORS["orange"],
    "9": COLORS["orange"], "10": COLORS["orange"], "11": COLORS["purple"],
}


def chapter_map():
    """Draw which chapter builds on which (an arrow from A to B: read A first).

    Introduced on the course's front page and in the instructor guide. Returns the figure.
    """
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 4.6))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.08, 1.0)
    ax.axis("off")
    w, h = 0.2, 0.13
    for name, (x, y) in _MAP_POS.items():
        _box(ax, (x, y), name, _MAP_PART[name.split()[0]], width=w, height=h)
    for name, needs in CHAPTERS.items():
        for need in needs:
            (x0, y0), (x1, y1) = _MAP_POS[need], _MAP_POS[name]
            d = np.array([x1 - x0, y1 - y0])
            # Leave each box at its edge, not its centre.
            scale = 1.0 / max(abs(d[0]) / (w / 2 + 0.01), abs(d[1]) / (h / 2 + 0.01))
            start = (x0 + d[0] * scale, y0 + d[1] * scale)
            end = (x1 - d[0] * scale, y1 - d[1] * scale)
            _arrow(ax, start, end, rad=_MAP_BEND.get((need, name), 0.0))
    handles = [
        matplotlib.patches.Patch(facecolor=c, alpha=0.35, edgecolor="black", label=lab)
        for lab, c in (
            ("Foundations", COLORS["sky"]),
            ("Gradients and backpropagation", COLORS["blue"]),
            ("Optimization", COLORS["green"]),
            ("MNIST", COLORS["orange"]),
            ("Convolutions", COLORS["purple"]),
        )
    ]
    ax.legend(handles=handles, loc="lower center", ncol=3, fontsize=9, frameon=False,
              bbox_to_anchor=(0.5, -0.04))
    ax.set_title("How the chapters build on each other (arrow: read this first)")
    return fig


#: Text glyphs for the animation buttons, replacing Matplotlib's Font Awesome icons (which
#: need a stylesheet from a CDN: the book must work offline).
_ANIMATION_GLYPHS = {
    "fa fa-minus": "−",
    "fa fa-fast-backward": "|◀◀",
    "fa fa-step-backward": "|◀",
    "fa fa-play fa-flip-horizontal": "◀",
    "fa fa-pause": "❚❚",
    "fa fa-play": "▶",
    "fa fa-step-forward": "▶|",
    "fa fa-fast-forward": "▶▶|",
    "fa fa-plus": "+",
}


def animation_html(animation, alt: str):
    """Turn a Matplotlib animation into HTML+JavaScript that plays in the static book.

    Introduced in chapter "Gradient descent with the tape". ``alt`` describes the
    animation for readers who cannot see it (it becomes the frame image's alt text).
    The player needs nothing from the internet: its buttons are text glyphs instead of
    Font Awesome icons from a CDN. Closes the animation's figure so that the notebook
    does not also show its last frame as a still image.
    """
    import html as html_lib
    import re

    from IPython.display import HTML
    from matplotlib.animation import Animation

    if not isinstance(animation, Animation):
        raise TypeError(f"expected a matplotlib.animation.Animation, got {type(animation).__name__}")
    if not isinstance(alt, str) or len(alt.strip()) < 15:
        raise ValueError("alt must describe the animation in a sentence (at least 15 characters)")
    page = animation.to_jshtml(default_mode="once")
    plt.close(animation._fig)
    page = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">\s*', "", page)
    for icon, glyph in _ANIMATION_GLYPHS.items():
        page = page.replace(f'<i class="{icon}"></i>', f'<span aria-hidden="true">{glyph}</span>')
    page = re.sub(r'<img id="(_anim_img\w+)">', lambda m: f'<img id="{m.group(1)}" alt="{html_lib.escape(alt)}">', page)
    # The frame slider needs a name for screen readers (WCAG 4.1.2).
    page, n_sliders = re.subn(r'<input id="(_anim_slider\w+)" type="range"',
                              r'<input id="\1" type="range" aria-label="animation frame"', page)
    if "https://" in page or "fa fa-" in page or ' alt="' not in page or not n_sliders:
        raise RuntimeError("Matplotlib's animation HTML changed: update helpers.plotting.animation_html")
    return HTML(page)


def plot_confusion_matrix(cm, *, title: str, class_names: Sequence[str] | None = None):
    """Draw a confusion matrix: rows are true classes, columns predicted ones, counts in cells.

    Introduced in chapter "MNIST with Keras: a baseline". ``cm`` is a square array of
    non-negative counts with ``cm[i, j]`` = examples of class ``i`` predicted as ``j``.
    The diagonal (right answers) is drawn in light grey so that the colour scale shows the
    mistakes: off-diagonal cells go from white to vermillion with their count. Returns the
    figure.
    """
    _require_text(title, "title")
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"cm must be a square matrix (classes × classes), got shape {cm.shape}")
    if not np.issubdtype(cm.dtype, np.number) or np.any(cm < 0) or not np.all(np.isfinite(cm)):
        raise ValueError("cm must hold non-negative counts")
    k = cm.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise ValueError(f"class_names has {len(names)} entries but cm has {k} classes")
    off = cm.astype(float).copy()
    np.fill_diagonal(off, np.nan)
    vmax = max(float(np.nanmax(off)) if k > 1 else 1.0, 1.0)
    cmap = matplotlib.colors.LinearSegmentedColormap.from_list(
        "errors", ["#FFFFFF", COLORS["vermillion"]]
    ).with_extremes(bad="#E6E6E6")  # "bad" (masked) cells: the diagonal
    scale = min(1.0, COLUMN_WIDTH / (0.45 * k + 2.6))  # no wider than the column
    fig, ax = plt.subplots(figsize=(scale * (0.45 * k + 2.6), scale * (0.45 * k + 1.8)))
    image = ax.imshow(np.ma.masked_invalid(off), cmap=cmap, vmin=0, vmax=vmax)
    ax.grid(False)
    for i in range(k):
        for j in range(k):
            value = cm[i, j]
            text = f"{value:g}" if np.issubdtype(cm.dtype, np.floating) else f"{int(value)}"
            strong = i != j and off[i, j] > 0.6 * vmax
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    fontweight="bold" if i == j else "normal",
                    color="white" if strong else COLORS["black"])
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.8, label="mistakes (count)")
    return fig


__all__ += ["plot_confusion_matrix"]


# --------------------------------------------------------------------------------------
# Computation graphs (chapter "Backpropagation by hand, checked against the tape")

__all__.append("plot_computation_graph")


def _graph_from_description(graph):
    """Nodes and edges from ``{"nodes": {name: {...}}, "edges": [(src, dst), ...]}``."""
    nodes, edges = graph.get("nodes"), graph.get("edges", ())
    if not isinstance(nodes, Mapping) or not nodes:
        raise TypeError('graph["nodes"] must be a non-empty mapping {name: {"value": ..., "grad": ..., "op": ...}}')
    info, inputs = {}, {}
    for name, spec in nodes.items():
        if not isinstance(spec, Mapping) or "value" not in spec:
            raise TypeError(f'node {name!r} must be a mapping with at least a "value"')
        unknown = set(spec) - {"value", "grad", "op"}
        if unknown:
            raise ValueError(f"node {name!r} has unknown field(s) {sorted(unknown)}; expected value, grad, op")
        grad = spec.get("grad")
        info[name] = (str(name), float(spec["value"]), None if grad is None else float(grad),
                      str(spec.get("op", "")))
        inputs[name] = []
    for edge in edges:
        if not isinstance(edge, Sequence) or isinstance(edge, str) or len(edge) != 2:
            raise TypeError(f"each edge must be a pair (input, output), got {edge!r}")
        src, dst = edge
        for end in (src, dst):
            if end not in info:
                raise ValueError(f"edge {edge!r} names {end!r}, which is not in graph['nodes']")
        inputs[dst].append(src)
    return info, inputs


def _graph_from_value(root):
    """Nodes and edges of the graph of Values that ``root`` depends on (duck-typed)."""
    info, inputs, stack = {}, {}, [(root, False)]
    while stack:  # depth first, children in order: the nodes come out in topological order
        v, children_done = stack.pop()
        if children_done:
            grad = getattr(v, "grad", None)
            info[id(v)] = (getattr(v, "label", "") or "", float(v.data),
                           None if grad is None else float(grad), v._op or "")
            inputs[id(v)] = [id(c) for c in v._prev]
        elif id(v) not in info:
            stack.append((v, True))
            stack.extend((c, False) for c in reversed(v._prev) if id(c) not in info)
    return info, inputs


def _graph_layout(inputs):
    """Column (topological depth) and row of every node; inputs sit left of their outputs."""
    consumers = {n: [] for n in inputs}
    for n, ins in inputs.items():
        for i in ins:
            consumers[i].append(n)
    depth = {}

    def depth_of(n, trail=()):
        if n not in depth:
            if n in trail:
                raise ValueError("the graph has a cycle; a computation graph must be acyclic")
            depth[n] = 1 + max((depth_of(i, trail + (n,)) for i in inputs[n]), default=-1)
        return depth[n]

    for n in inputs:
        depth_of(n)
    for n in inputs:  # a leaf sits just left of its first use, not always in column 0
        if not inputs[n] and consumers[n]:
            depth[n] = min(depth[c] for c in consumers[n]) - 1
    ncols = max(depth.values()) + 1
    columns = [[n for n in inputs if depth[n] == d] for d in range(ncols)]
    row = {}

    def place(col):
        for i, n in enumerate(col):
            row[n] = i - (len(col) - 1) / 2

    for col in columns:
        place(col)
    for _ in range(4):  # barycentre sweeps: pull nodes towards their neighbours
        for col in reversed(columns):
            col.sort(key=lambda n: np.mean([row[c] for c in consumers[n]]) if consumers[n] else row[n])
            place(col)
        for col in columns:
            col.sort(key=lambda n: np.mean([row[i] for i in inputs[n]]) if inputs[n] else row[n])
            place(col)
    return depth, row, ncols, max(len(c) for c in columns)


def _detour(start, centre, r, others, half):
    """An arc from ``start`` to the top or bottom of the circle at ``centre`` that misses the boxes.

    Returns ``(start, end, rad)`` for Matplotlib's ``arc3`` connection style (which puts
    the control point ``rad`` × the chord length off the chord's middle).
    """
    start, centre = np.asarray(start, float), np.asarray(centre, float)
    t = np.linspace(0, 1, 50)[:, None]
    best = None
    for rad in (0.3, 0.45, 0.6, 0.8, 1.0, 1.3):
        for side in (1, -1):  # 1: over the top, -1: underneath
            end = centre + (0, side * r)
            (x0, y0), (x1, y1) = start, end
            control = np.array([(x0 + x1) / 2 - side * rad * (y1 - y0), (y0 + y1) / 2 + side * rad * (x1 - x0)])
            curve = (1 - t) ** 2 * start + 2 * t * (1 - t) * control + t**2 * end
            hits = sum(np.any((np.abs(curve[:, 0] - ox) < half[0]) & (np.abs(curve[:, 1] - oy) < half[1]))
                       for ox, oy in others)
            if best is None or hits < best[0]:
                best = (hits, end, -side * rad)
            if hits == 0:
                return start, end, -side * rad
    return start, best[1], best[2]


def plot_computation_graph(graph, *, show_grad: bool = True, title: str | None = None,
                           highlight: Sequence = ()):
    """Draw a computation graph: one box per value (name | value | grad), one circle per operation.

    Introduced in chapter "Backpropagation by hand, checked against the tape".

    ``graph`` is either the output :class:`helpers.engine.Value` of a computation (or any
    object with ``data``, ``grad``, ``label``, ``_prev`` and ``_op``), or a description
    ``{"nodes": {name: {"value": v, "grad": g, "op": "+"}}, "edges": [(input, output), ...]}``
    where ``grad`` and ``op`` are optional (``op`` names the operation that made the node).
    Values flow left to right, each node in the column of its topological depth.
    ``show_grad=False`` draws the forward pass only; ``highlight`` names (description)
    or Values (engine) to draw with a thick outline. Returns the figure. Pure Matplotlib.
    """
    if isinstance(graph, Mapping):
        info, inputs = _graph_from_description(graph)
        keys = set(highlight)
    elif all(hasattr(graph, a) for a in ("data", "_prev", "_op")):
        info, inputs = _graph_from_value(graph)
        keys = {id(v) for v in highlight}
    else:
        raise TypeError(
            "graph must be a Value (with data, _prev, _op) or a mapping "
            f'{{"nodes": ..., "edges": ...}}, got {type(graph).__name__}'
        )
    if not isinstance(show_grad, bool):
        raise TypeError(f"show_grad must be True or False, got {show_grad!r}")
    if len(info) > 60:
        raise ValueError(f"the graph has {len(info)} nodes; draw at most 60 so that it stays legible")
    depth, row, ncols, nrows = _graph_layout(inputs)

    # Sizes in inches: a chain of six operations fits the book's text column at full size.
    box_w, line_h, gap, row_gap, r = 0.74, 0.22, 0.5, 0.26, 0.14
    box_h = line_h * (3 if show_grad else 2)
    col_w, row_h = box_w + gap, box_h + row_gap
    pos = {n: (depth[n] * col_w, -row[n] * row_h) for n in info}

    # Geometry first (boxes, operation circles, arrows), so the figure can be sized to fit it.
    # Each operation is a circle on the left edge of the box it produces; arrows run from the
    # input boxes into that circle.
    circles, arrows = {}, []
    for n in info:
        if not inputs[n]:
            continue
        x, y = pos[n]
        cx, cy = x - box_w / 2 - r + 0.03, y
        circles[n] = (cx, cy)
        uses = {}
        for i in inputs[n]:
            uses[i] = uses.get(i, 0) + 1
            start = np.array([pos[i][0] + box_w / 2, pos[i][1]])
            d = np.array([cx, cy]) - start
            end = np.array([cx, cy]) - r * d / np.hypot(*d)
            rad = 0.0
            if inputs[n].count(i) > 1:  # the same value used twice (a + a): two arrows
                side = 1 if uses[i] % 2 else -1
                angle = np.pi - side * 0.6
                start = start + (0, side * line_h / 3)
                end = np.array([cx + r * np.cos(angle), cy + r * np.sin(angle)])
            elif depth[n] - depth[i] > 1:  # skips a column: arc around the boxes in between
                start, end, rad = _detour(start, (cx, cy), r, others=[
                    pos[m] for m in info if depth[i] < depth[m] < depth[n]],
                    half=(box_w / 2 + 0.05, box_h / 2 + 0.05))
            arrows.append((tuple(start), tuple(end), rad))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    lo, hi = min(ys) - box_h / 2, max(ys) + box_h / 2
    t = np.linspace(0, 1, 21)[:, None]
    for start, end, rad in arrows:  # arc3: a quadratic Bézier with its control point rad × chord off
        (x0, y0), (x1, y1) = start, end
        control = np.array([(x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)])
        curve = (1 - t) ** 2 * np.array(start) + 2 * t * (1 - t) * control + t**2 * np.array(end)
        lo, hi = min(lo, curve[:, 1].min()), max(hi, curve[:, 1].max())
    title = title or ("Values forward, gradients backward" if show_grad else "Forward pass: the value at each node")
    key = "each box: name / value / gradient (red)" if show_grad else "each box: name / value"
    left, right = min(xs) - box_w / 2 - r - 0.1, max(xs) + box_w / 2 + 0.1
    lo, hi = lo - 0.1, hi + 0.1
    min_width = max(0.085 * len(title), 0.07 * len(key)) + 0.4  # room for the titles
    if right - left < min_width:
        left, right = left - (min_width - (right - left)) / 2, right + (min_width - (right - left)) / 2
    width, height = right - left, hi - lo + 0.65
    shrink = min(1.0, COLUMN_WIDTH / width)  # never wider than the book's column
    fig, ax = plt.subplots(figsize=(width * shrink, height * shrink))
    ax.set_xlim(left, right)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.axis("off")

    def fmt(v):
        return f"{v:.4f}" if abs(v) < 100 else f"{v:.4g}"

    sinks = {n for n in info} - {i for ins in inputs.values() for i in ins}
    for n, (name, value, grad, op) in info.items():
        x, y = pos[n]
        face = COLORS["sky"] if not inputs[n] else (COLORS["orange"] if n in sinks else "#FFFFFF")
        ax.add_patch(FancyBboxPatch(
            (x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0,rounding_size=0.04",
            facecolor=face, alpha=0.35 if face != "#FFFFFF" else 1.0, edgecolor=COLORS["black"],
            linewidth=2.6 if n in keys else 1.0, zorder=2))
        lines = [(name or " ", dict(weight="bold")), (fmt(value), {})]
        if show_grad:
            lines.append(("?" if grad is None else fmt(grad), dict(color=COLORS["vermillion"])))
        top = y + box_h / 2
        for k, (text, style) in enumerate(lines):
            ax.text(x + r / 4, top - (k + 0.5) * line_h, text, ha="center", va="center", fontsize=9,
                    zorder=3, **style)
            if k:
                ax.plot([x - box_w / 2, x + box_w / 2], [top - k * line_h] * 2, color=COLORS["black"],
                        linewidth=0.6, zorder=3)
        if n in circles:
            ax.add_patch(matplotlib.patches.Circle(circles[n], r, facecolor="#FFFFFF",
                                                   edgecolor=COLORS["black"], zorder=4))
            ax.text(*circles[n], op or "?", ha="center", va="center", zorder=5,
                    fontsize=9 if len(op) <= 2 else 8)
    for start, end, rad in arrows:
        ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=9, shrinkA=0, shrinkB=0,
            color=COLORS["black"], linewidth=1.0, connectionstyle=f"arc3,rad={rad}", zorder=1))
    fig.suptitle(title)
    ax.set_title(key, fontsize=9, color="#555555")
    return fig


# ---------------------------------------------------------------- optimizer paths on a surface
#: Colours for up to seven paths on a contour plot (yellow left out: it vanishes on white).
PATH_COLORS = PALETTE[:6] + (PALETTE[7],)
_PATH_STYLES = ("-", "--", "-.", ":", "-", "--", "-.")


def _surface_grid(f, xlim, ylim, grid):
    for name, lim in (("xlim", xlim), ("ylim", ylim)):
        if len(lim) != 2 or not float(lim[0]) < float(lim[1]):
            raise ValueError(f"{name} must be (low, high) with low < high, got {lim!r}")
    if not callable(f):
        raise TypeError(f"f must be a function f(X, Y) of two arrays, got {type(f).__name__}")
    xs = np.linspace(float(xlim[0]), float(xlim[1]), grid)
    ys = np.linspace(float(ylim[0]), float(ylim[1]), grid)
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(f(X, Y), dtype=float)
    if Z.shape != X.shape:
        raise ValueError(f"f(X, Y) must return an array of the grid's shape {X.shape}, got {Z.shape}")
    return X, Y, Z


def _check_paths(paths):
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError("paths must be a non-empty mapping {label: array of shape (steps, 2)}")
    if len(paths) > len(PATH_COLORS):
        raise ValueError(f"at most {len(PATH_COLORS)} paths fit on one plot, got {len(paths)}")
    out = {}
    for label, p in paths.items():
        p = np.asarray(p, dtype=float)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 1:
            raise ValueError(f"path {label!r} must have shape (steps, 2), got {p.shape}")
        out[str(label)] = p
    return out


def _draw_contours(ax, X, Y, Z, levels, lines=True):
    """Filled contours spaced evenly in log(f − min f), so that narrow valleys show their floor."""
    shifted = Z - Z.min()
    if levels is None:
        top = np.percentile(shifted, 95)
        low = max(top * 1e-4, np.percentile(shifted, 0.5), 1e-12)
        levels = Z.min() + np.geomspace(low, top, 14)
    ax.contourf(X, Y, Z, levels=levels, cmap="Greys", alpha=0.35, extend="both")
    if lines:
        ax.contour(X, Y, Z, levels=levels, colors="0.45", linewidths=0.4, linestyles="solid")
    ax.set_xlim(X.min(), X.max())
    ax.set_ylim(Y.min(), Y.max())
    ax.grid(False)


def plot_paths(f, paths, *, xlim, ylim, title, ax=None, minimum=None, levels=None,
               xlabel="x", ylabel="y", legend=True, legend_loc="best", grid=150):
    """Contour lines of ``f(X, Y)`` with optimizer paths drawn on top. Returns the figure.

    Introduced in chapter "Optimizers from scratch, verified against Keras". ``paths``
    maps a label to an array of shape ``(steps, 2)`` (at most seven); ``minimum`` marks
    the known minimum with a star; ``ax`` draws into an existing axes (for panels).
    Points outside the window are clipped, so a diverging path leaves the picture.
    """
    paths = _check_paths(paths)
    X, Y, Z = _surface_grid(f, xlim, ylim, grid)
    if ax is None:
        fig, ax = new_figure(title, xlabel, ylabel)
    else:
        fig = ax.figure
        ax.set_title(_require_text(title, "title"))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    _draw_contours(ax, X, Y, Z, levels)
    for (label, p), color, style in zip(paths.items(), PATH_COLORS, _PATH_STYLES):
        ax.plot(p[:, 0], p[:, 1], style, color=color, lw=1.6, label=label)
        ax.plot(p[-1, 0], p[-1, 1], "o", color=color, ms=5)
    first = next(iter(paths.values()))[0]
    ax.plot(*first, "s", color=COLORS["black"], ms=6, label="start")
    if minimum is not None:
        ax.plot(*minimum, "*", color=COLORS["yellow"], mec=COLORS["black"], ms=14, label="minimum")
    if legend:
        ax.legend(fontsize=9, loc=legend_loc)
    return fig


def animate_paths(f, paths, *, xlim, ylim, title, frames=40, minimum=None, levels=None,
                  xlabel="x", ylabel="y", figsize=(5.0, 3.5), interval=150, legend_loc="lower left",
                  grid=100):
    """An animation of optimizer paths growing step by step on the contours of ``f``.

    Introduced in chapter "Optimizers from scratch, verified against Keras". All paths
    must have the same number of points; ``frames`` (at most 60, to keep the page light)
    are spread evenly over them. Show it with :func:`animation_html`. Everything but the
    paths (contours, legend, labels) is drawn once and reused as a picture, so that each
    frame draws quickly.
    """
    from matplotlib.animation import FuncAnimation

    paths = _check_paths(paths)
    lengths = {p.shape[0] for p in paths.values()}
    if len(lengths) != 1:
        raise ValueError(f"all paths must have the same number of points, got lengths {sorted(lengths)}")
    if isinstance(frames, bool) or not isinstance(frames, int) or not 2 <= frames <= 60:
        raise ValueError(f"frames must be an int from 2 to 60, got {frames!r}")
    n = lengths.pop()
    X, Y, Z = _surface_grid(f, xlim, ylim, grid)
    fig, ax = new_figure(title, xlabel, ylabel, figsize=figsize)
    _draw_contours(ax, X, Y, Z, levels, lines=False)
    first = next(iter(paths.values()))[0]
    ax.plot(*first, "s", color=COLORS["black"], ms=6)
    if minimum is not None:
        ax.plot(*minimum, "*", color=COLORS["yellow"], mec=COLORS["black"], ms=14)
    lines, heads = [], []
    for (label, _), color, style in zip(paths.items(), PATH_COLORS, _PATH_STYLES):
        lines.append(ax.plot([], [], style, color=color, lw=1.6, label=label)[0])
        heads.append(ax.plot([], [], "o", color=color, ms=5)[0])
    ax.legend(fontsize=9, loc=legend_loc)
    counter = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=9)
    # Draw everything that does not move once, keep it as a picture behind the paths, and
    # hide the artists it came from: each frame then draws only the paths, several times faster.
    if plt.rcParams["savefig.dpi"] != "figure":
        fig.set_dpi(plt.rcParams["savefig.dpi"])  # frames are saved at savefig.dpi: draw at it
    fig.canvas.draw()
    fig.set_layout_engine("none")  # keep this layout for every frame
    background = np.asarray(fig.canvas.buffer_rgba()).copy()
    for artist in ax.get_children():
        if artist not in lines + heads + [counter]:
            artist.set_visible(False)
    ax.set_axis_off()
    ax.set_title("")
    fig.figimage(background[::-1], origin="lower", zorder=-1)  # pixel for pixel, no resampling
    stops = np.unique(np.linspace(1, n, frames).round().astype(int))

    def draw(k):
        stop = stops[k]
        for p, line, head in zip(paths.values(), lines, heads):
            line.set_data(p[:stop, 0], p[:stop, 1])
            head.set_data([p[stop - 1, 0]], [p[stop - 1, 1]])
        counter.set_text(f"step {stop - 1}")
        return lines + heads + [counter]

    return FuncAnimation(fig, draw, frames=len(stops), interval=interval, blit=False)


__all__ += ["PATH_COLORS", "plot_paths", "animate_paths"]
