"""Exercise checks for chapter "What deep learning is, in one loop", declared.

Introduced in chapter "What deep learning is, in one loop". Each ``exercise_N`` is a
:class:`~helpers.checks.Exercise`: call it on the learner's answer to get a ✅ or ❌
:class:`~helpers.checks.Feedback` that says what is wrong; it never raises.

1. a representation of new data (the four quadrants) in which one threshold separates
   the classes (judged);
2. hidden units set by hand so that the chapter's two-layer network separates the disc
   from the ring, checked on a dense set of test points (judged);
3. the training loop on a new model: a weight and a bias on the radius, trained with
   the sigmoid cross-entropy (compared with a reference on several data sets);
4. the smallest hidden layer that training can make separate the ring (trained, judged
   against the learner's own runs and the geometry).
"""

from __future__ import annotations

import numpy as np

from ._core import _to_array
from ._declare import Exercise

__all__ = [
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "QUADRANT_POINTS",
    "QUADRANT_LABELS",
    "RING_POINTS",
    "RING_LABELS",
    "ring_data",
]

CHAPTER = "intro"


# ------------------------------------------------------------------ shared helpers
def ring_data(seed: int, n_per_class: int = 200):
    """The chapter's disc-and-ring points, drawn with ``np.random.default_rng(seed)``.

    Introduced in chapter "What deep learning is, in one loop": class 0 fills the disc
    r ≤ 1, class 1 the ring √2 ≤ r ≤ √6, both uniform in area. Returns float32
    ``points`` of shape ``(2 n, 2)`` and float32 ``labels`` of shape ``(2 n,)``.
    """
    if not isinstance(n_per_class, int) or n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive int, got {n_per_class!r}")
    rng = np.random.default_rng(seed)
    radius = np.sqrt(np.concatenate([rng.uniform(0.0, 1.0, n_per_class),
                                     rng.uniform(2.0, 6.0, n_per_class)]))
    angle = rng.uniform(0.0, 2 * np.pi, 2 * n_per_class)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    labels = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
    return points.astype(np.float32), labels.astype(np.float32)


def _best_threshold_accuracy(values: np.ndarray, labels: np.ndarray) -> float:
    """Best accuracy of the rule "class 1 if value > t" (or "< t") over every threshold t."""
    order = np.argsort(values, kind="stable")
    v, lab = values[order], labels[order].astype(bool)
    n = lab.size
    ones_left = np.concatenate([[0], np.cumsum(lab)])
    best = max(lab.mean(), 1 - lab.mean())
    for i in range(1, n):
        if v[i] == v[i - 1]:
            continue
        left_ones = ones_left[i]
        right_ones = ones_left[n] - left_ones
        above = (i - left_ones) + right_ones   # class 1 above the cut
        below = left_ones + (n - i - right_ones)  # class 1 below the cut
        best = max(best, above / n, below / n)
    return float(best)


def _numbers(value, name: str, shape: tuple | None = None):
    """(float64 array, None) or (None, a sentence saying why ``value`` is not usable)."""
    arr, problem = _to_array(value)
    if problem:
        return None, f"{name} {problem}"
    if shape is not None and arr.shape != shape:
        return None, f"{name} has shape {arr.shape}, expected {shape}"
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        return None, f"{name} contains NaN or infinity"
    return arr, None


# ------------------------------------------------------------------ exercise 1
_QUAD_RNG = np.random.default_rng(2024)
#: Exercise 1: 200 points spread evenly over the square [-1, 1] x [-1, 1], float32.
QUADRANT_POINTS = _QUAD_RNG.uniform(-1.0, 1.0, size=(200, 2)).astype(np.float32)
#: Exercise 1: class 1 (True) in the first and third quadrants, where x1 and x2 share a sign.
QUADRANT_LABELS = QUADRANT_POINTS[:, 0] * QUADRANT_POINTS[:, 1] > 0

EX1_RADIUS = ("the distance from the centre does not tell the quadrants apart: each "
              "quadrant holds points near and far. What do x1 and x2 share in class 1?")
EX1_ANGLE = ("one threshold on the angle splits the plane into two half-turns, but class 1 "
             "is two opposite quarters: look for a number that is positive in both")
EX1_ONE_COORDINATE = ("one coordinate alone cannot work: class 1 lies on both sides of "
                      "x1 = 0 (and of x2 = 0); combine the two coordinates")
EX1_SHAPE = "phi must return one number per point, an array of shape (200,)"
EX1_CONSTANT = ("phi gives every point the same value: it forgets the very thing that "
                "tells the classes apart")


def _ex1_judge(phi):
    points = QUADRANT_POINTS.copy()
    out = phi(points)
    arr, problem = _to_array(out)
    if problem:
        return f"phi(points) {problem}"
    if arr.shape != (len(points),):
        return f"{EX1_SHAPE}, got shape {arr.shape}"
    values, problem = _numbers(arr, "phi(points)")
    if problem:
        return problem
    accuracy = _best_threshold_accuracy(values, QUADRANT_LABELS)
    if accuracy == 1.0:
        return None
    if np.ptp(values) == 0:
        return EX1_CONSTANT
    radius = np.hypot(points[:, 0], points[:, 1]).astype(np.float64)
    angle = np.arctan2(points[:, 1], points[:, 0]).astype(np.float64)
    for reference, message in ((radius, EX1_RADIUS), (radius**2, EX1_RADIUS),
                               (angle, EX1_ANGLE), (points[:, 0], EX1_ONE_COORDINATE),
                               (points[:, 1], EX1_ONE_COORDINATE)):
        if abs(np.corrcoef(values, reference)[0, 1]) > 0.999:
            return message
    return (f"not separable yet: the best single threshold on phi(points) gets "
            f"{accuracy:.0%} of the points right, not 100 %")


exercise_1 = Exercise(
    CHAPTER, 1, stars=1, answer="function", name="phi",
    judge=_ex1_judge,
    right=lambda p: p[:, 0] * p[:, 1],
    mistakes=[
        (lambda p: np.hypot(p[:, 0], p[:, 1]), EX1_RADIUS),
        (lambda p: np.arctan2(p[:, 1], p[:, 0]), EX1_ANGLE),
        (lambda p: p[:, 0], EX1_ONE_COORDINATE),
        (lambda p: p, EX1_SHAPE),
        (lambda p: np.zeros(len(p)), EX1_CONSTANT),
    ],
    success="correct: in your representation one threshold separates the quadrants",
)


# ------------------------------------------------------------------ exercise 2
def _ex2_test_points():
    """Disc points (r ≤ 1) and ring points (√2 ≤ r ≤ √6), with their edges, densely."""
    rng = np.random.default_rng(7)
    angle = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    circle = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    disc = np.concatenate([circle, 0.5 * circle, np.zeros((1, 2))])
    ring = np.concatenate([np.sqrt(2.0) * circle, np.sqrt(6.0) * circle])
    for inner, outer, target in ((0.0, 1.0, "disc"), (2.0, 6.0, "ring")):
        r = np.sqrt(rng.uniform(inner, outer, 2000))[:, None]
        a = rng.uniform(0.0, 2 * np.pi, 2000)
        extra = r * np.stack([np.cos(a), np.sin(a)], axis=1)
        if target == "disc":
            disc = np.concatenate([disc, extra])
        else:
            ring = np.concatenate([ring, extra])
    return disc.astype(np.float32), ring.astype(np.float32)


EX2_DISC, EX2_RING = _ex2_test_points()

EX2_RING_INSIDE = ("some ring points get a score of zero or less, so the network calls them "
                   "disc: your boundary reaches too far out there")
EX2_DISC_OUTSIDE = ("some disc points get a positive score, so the network calls them ring: "
                    "your boundary cuts into the disc there")
EX2_FLIPPED = ("the signs are the wrong way round: the disc scores positive and the ring "
               "negative; negate W2 and b2")
EX2_TOO_WIDE = "use at most 8 hidden units"


def _octagon(c: float, k: int = 8):
    angles = 2 * np.pi * np.arange(k) / k
    W1 = np.stack([np.cos(angles), np.sin(angles)]).astype(np.float32)  # (2, k)
    return W1, np.full(k, -c, np.float32), np.ones((k, 1), np.float32), np.full(1, -1e-3, np.float32)


def _where(points, mask) -> str:
    """Radius and angle (degrees) of the first point where ``mask`` holds."""
    x, y = points[np.argmax(mask)]
    return f"for example at radius {np.hypot(x, y):.2f}, angle {np.degrees(np.arctan2(y, x)) % 360:.0f} degrees"


def _ex2_judge(weights):
    if not isinstance(weights, (tuple, list)) or len(weights) != 4:
        return "hand_weights must be a tuple of four arrays (W1, b1, W2, b2)"
    names = ("W1", "b1", "W2", "b2")
    for name, value in zip(names, weights):
        if value is Ellipsis or value is None:
            return f"{name} is still the placeholder ... (three dots): replace it with numbers"
    W1, problem = _numbers(weights[0], "W1")
    if problem:
        return problem
    if W1.ndim != 2 or W1.shape[0] != 2:
        return f"W1 must have shape (2, k) for k hidden units, got {W1.shape}"
    k = W1.shape[1]
    if k > 8:
        return f"{EX2_TOO_WIDE}, got {k}"
    shapes = {"b1": (k,), "W2": (k, 1), "b2": (1,)}
    arrays = [W1]
    for name, value in zip(names[1:], weights[1:]):
        arr, problem = _numbers(value, name)
        if problem:
            return problem
        if arr.shape != shapes[name]:
            if arr.size == int(np.prod(shapes[name])):
                arr = arr.reshape(shapes[name])
            else:
                return f"{name} has shape {arr.shape}, expected {shapes[name]} for {k} hidden units"
        arrays.append(arr)
    W1, b1, W2, b2 = arrays

    def score(points):
        return (np.maximum(points @ W1 + b1, 0.0) @ W2 + b2)[:, 0]

    disc_bad = score(EX2_DISC) >= 0
    ring_bad = score(EX2_RING) <= 0
    if disc_bad.all() and ring_bad.all():
        return EX2_FLIPPED
    if ring_bad.any():
        return (f"{EX2_RING_INSIDE} ({int(ring_bad.sum())} of {ring_bad.size} test points, "
                f"{_where(EX2_RING, ring_bad)}). Each hidden unit adds one straight edge; "
                "the points at 45 degrees between two edges are the hardest")
    if disc_bad.any():
        return (f"{EX2_DISC_OUTSIDE} ({int(disc_bad.sum())} of {disc_bad.size} test points, "
                f"{_where(EX2_DISC, disc_bad)}). Move that edge outwards: the disc reaches "
                "radius 1 in every direction")
    return None


def _square(c: float):
    W1 = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]], np.float32)
    return W1, np.full(4, -c, np.float32), np.ones((4, 1), np.float32), np.full(1, -1e-3, np.float32)


exercise_2 = Exercise(
    CHAPTER, 2, stars=2, answer="value", name="hand_weights",
    judge=_ex2_judge,
    right=_octagon(1.15),
    mistakes=[
        (_square(1.05), EX2_RING_INSIDE),
        (_octagon(0.9), EX2_DISC_OUTSIDE),
        (tuple(-a if i >= 2 else a for i, a in enumerate(_octagon(1.15))), EX2_FLIPPED),
        (_octagon(1.15, k=10), EX2_TOO_WIDE),
    ],
    success="correct: your hand-made hidden layer closes a boundary between the disc and the ring",
)


# ------------------------------------------------------------------ exercise 3
def _radius_fit(r, labels, steps, learning_rate, *, bias=True, sign=1.0, total=False):
    """Gradient descent on the mean sigmoid cross-entropy of score = a r + c, from a = c = 0."""
    r = np.asarray(r, np.float64)
    y = np.asarray(labels, np.float64)
    reduce = np.sum if total else np.mean
    a = c = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # a known mistake may diverge
        for _ in range(int(steps)):
            p = 1.0 / (1.0 + np.exp(-(a * r + c)))
            grad_a, grad_c = reduce((p - y) * r), reduce(p - y)
            a -= sign * learning_rate * grad_a
            if bias:
                c -= sign * learning_rate * grad_c
    return a, c


def _radius_inputs(seed: int, n: int, steps: int, learning_rate: float):
    points, labels = ring_data(seed, n)
    return (np.hypot(points[:, 0], points[:, 1]).astype(np.float32), labels, steps, learning_rate)


def _ex3_observe(result, *args):
    """The pair (a, c) as two floats; anything else is passed on for the diagnosis."""
    if isinstance(result, (tuple, list)) and len(result) == 2:
        try:
            return np.array([float(np.asarray(v).reshape(())) for v in result])
        except Exception:  # noqa: BLE001 - the diagnosis says what is wrong with it
            return np.asarray(result, dtype=object)
    return result


EX3_NO_BIAS = ("the bias c never moves: create it as a tf.Variable, ask the tape for its "
               "gradient too, and update it like a")
EX3_ASCENT = ("the weights move uphill: subtract learning_rate times the gradient "
              "(assign_sub), do not add it")
EX3_SUM = ("the steps are too large by the number of points: the loss is the mean of the "
           "per-point cross-entropies (tf.reduce_mean), not their sum")
EX3_SWAPPED = "a and c are swapped: return the weight of the radius first, then the bias"

exercise_3 = Exercise(
    CHAPTER, 3, stars=2, answer="function", name="train_radius_classifier",
    reference=_radius_fit,
    inputs=lambda: [_radius_inputs(1, 50, 100, 1.0), _radius_inputs(2, 30, 60, 0.5)],
    hidden_inputs=lambda: [_radius_inputs(3, 80, 150, 2.0)],
    observe=_ex3_observe,
    mistakes=[
        (lambda r, y, s, lr: _radius_fit(r, y, s, lr, bias=False), EX3_NO_BIAS),
        (lambda r, y, s, lr: _radius_fit(r, y, s, lr, sign=-1.0), EX3_ASCENT),
        (lambda r, y, s, lr: _radius_fit(r, y, s, lr, total=True), EX3_SUM),
        (lambda r, y, s, lr: _radius_fit(r, y, s, lr)[::-1], EX3_SWAPPED),
    ],
    rtol=1e-3, atol=1e-4,
    success="correct: your loop trains the weight and the bias of the radius classifier",
)


# ------------------------------------------------------------------ exercise 4
#: Exercise 4: the disc-and-ring points the width search trains on (400, float32).
RING_POINTS, RING_LABELS = ring_data(1)
EX4_SEEDS = (0, 1, 2)
EX4_MAX_WIDTH = 8

EX4_TOO_SMALL = ("training cannot separate the ring with fewer than 3 hidden units: the score "
                 "of 1 or 2 ReLU units is made of at most 2 straight creases, and the region "
                 "where it is negative cannot close around the disc")
EX4_SMALLER_TOO = "a smaller width also separates the ring in your own runs"
EX4_NOT_REACHED = "your own runs at that width never reach 100 % training accuracy"
EX4_NOT_LEARNING = "your training does not learn"
EX4_FRACTION = "train_ring must return the training accuracy as a fraction between 0 and 1"
EX4_IMPOSSIBLE = ("train_ring(2, 0) reports 100 %, which no network with 2 hidden units can "
                  "reach on the ring: measure the accuracy of the trained network's own "
                  "predictions on RING_POINTS against RING_LABELS")


_COMPILED = {}


def _train_steps():
    """The chapter's loop as one tf.function, made once (it traces once per width)."""
    if "train" not in _COMPILED:
        import tensorflow as tf

        @tf.function
        def train(variables, X, Y, steps, learning_rate):
            W1, b1, W2, b2 = variables
            for _ in tf.range(steps):
                with tf.GradientTape() as tape:
                    score = tf.nn.relu(X @ W1 + b1) @ W2 + b2
                    loss = tf.reduce_mean(
                        tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=score))
                for weight, grad in zip(variables, tape.gradient(loss, variables)):
                    weight.assign_sub(learning_rate * grad)

        _COMPILED["train"] = train
    return _COMPILED["train"]


def _train_ring_reference(hidden, seed, steps=500, learning_rate=0.5):
    """The chapter's recipe, compiled: full-batch gradient descent on the ring, accuracy."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    W1 = tf.Variable(rng.normal(0.0, 1.0, size=(2, hidden)).astype(np.float32))
    b1 = tf.Variable(tf.zeros(hidden))
    W2 = tf.Variable(rng.normal(0.0, 1.0 / np.sqrt(hidden), size=(hidden, 1)).astype(np.float32))
    b2 = tf.Variable(tf.zeros(1))
    X, Y = tf.constant(RING_POINTS), tf.constant(RING_LABELS[:, None])
    _train_steps()([W1, b1, W2, b2], X, Y, steps, learning_rate)
    score = (tf.nn.relu(X @ W1 + b1) @ W2 + b2).numpy()[:, 0]
    return float(np.mean((score > 0) == (RING_LABELS == 1)))


def _accuracy_of(train_ring, hidden, seed):
    """(accuracy, None) or (None, message) for one run of the learner's function."""
    value = train_ring(hidden, seed)
    arr, problem = _numbers(value, f"train_ring({hidden}, {seed})")
    if problem:
        return None, problem
    if arr.size != 1:
        return None, f"train_ring({hidden}, {seed}) must return one number, got shape {arr.shape}"
    accuracy = float(arr.reshape(()))
    if not 0.0 <= accuracy <= 1.0:
        return None, f"{EX4_FRACTION}, got {accuracy:g}"
    return accuracy, None


def _ex4_judge(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return "hand in the pair (train_ring, smallest_width)"
    train_ring, width = answer
    if train_ring is Ellipsis or width is Ellipsis:
        return "train_ring or smallest_width is still the placeholder ... (three dots)"
    if not callable(train_ring):
        return f"train_ring must be a function, got a value of type {type(train_ring).__name__}"
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)):
        return f"smallest_width must be a whole number, got {width!r}"
    width = int(width)
    if not 1 <= width <= EX4_MAX_WIDTH:
        return f"smallest_width must be between 1 and {EX4_MAX_WIDTH}, got {width}"
    if width < 3:
        return EX4_TOO_SMALL
    narrow, problem = _accuracy_of(train_ring, 2, EX4_SEEDS[0])
    if problem:
        return problem
    if narrow == 1.0:
        return EX4_IMPOSSIBLE
    best = 0.0
    for seed in EX4_SEEDS:
        accuracy, problem = _accuracy_of(train_ring, width, seed)
        if problem:
            return problem
        best = max(best, accuracy)
        if accuracy == 1.0:
            break
    else:
        wide, problem = _accuracy_of(train_ring, EX4_MAX_WIDTH, EX4_SEEDS[0])
        if problem:
            return problem
        if wide < 0.9:
            return (f"{EX4_NOT_LEARNING}: even {EX4_MAX_WIDTH} hidden units reach only "
                    f"{wide:.1%} training accuracy (a network that learns gets close to 100 %). "
                    "Compare your loop with the chapter's: loss inside the tape, assign_sub, "
                    "500 steps at learning rate 0.5")
        return (f"{EX4_NOT_REACHED} (the best of seeds {EX4_SEEDS} reached {best:.1%}): "
                "the smallest width is the first one at which at least one seed separates "
                "every point; try the next width up")
    if width > 3:
        for seed in EX4_SEEDS:
            accuracy, problem = _accuracy_of(train_ring, width - 1, seed)
            if problem:
                return problem
            if accuracy == 1.0:
                return (f"{EX4_SMALLER_TOO}: width {width - 1} reached 100 % with seed "
                        f"{seed}; try smaller widths")
    return None


def _not_learning(hidden, seed):
    return 0.5


exercise_4 = Exercise(
    CHAPTER, 4, stars=3, answer="value", name="the pair (train_ring, smallest_width)",
    judge=_ex4_judge,
    right=(_train_ring_reference, 3),
    mistakes=[
        ((_train_ring_reference, 2), EX4_TOO_SMALL),
        ((_train_ring_reference, 4), EX4_SMALLER_TOO),
        ((_not_learning, 3), EX4_NOT_LEARNING),
        ((lambda hidden, seed: 100.0, 3), EX4_FRACTION),
        ((lambda hidden, seed: 1.0, 3), EX4_IMPOSSIBLE),
    ],
    success=("correct: your own runs find the smallest width that separates the ring, and "
             "the geometry says that fewer than 3 hidden units cannot"),
)
