"""helpers.checks.baseline (chapter 7): what the generic tests of declared exercises do not cover.

Right answers written differently from the solutions, and the judge of Exercise 5 saying
what is wrong (fast: fake models, no training, except one real run of the right answer
in tests/test_declared_exercises.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_fails, assert_passes

from helpers.checks import baseline


# ---------------------------------------------------------------- other right answers
def shift_with_slices(image, rows, cols):
    out = np.zeros_like(image)
    h, w = image.shape
    for r in range(h):
        for c in range(w):
            if 0 <= r + rows < h and 0 <= c + cols < w:
                out[r + rows, c + cols] = image[r, c]
    return out


def shift_with_scipy_style_padding(image, rows, cols):
    h, w = image.shape
    big = np.zeros((h + 2 * 40, w + 2 * 40), image.dtype)
    big[40 + rows:40 + rows + h, 40 + cols:40 + cols + w] = image
    return big[40:40 + h, 40:40 + w]


@pytest.mark.parametrize("answer", [shift_with_slices, shift_with_scipy_style_padding])
def test_shift_other_right_answers(answer):
    assert_passes(baseline.exercise_1(answer))
    assert baseline.exercise_1.grade(answer)


def top_k_with_tensorflow(logits, labels, k):
    import tensorflow as tf

    hits = tf.math.in_top_k(tf.constant(labels, tf.int32), tf.constant(logits), k)
    return tf.reduce_mean(tf.cast(hits, tf.float32))


def top_k_with_argpartition(logits, labels, k):
    logits = np.asarray(logits)
    best = np.argpartition(-logits, k - 1, axis=1)[:, :k]
    return np.mean([label in row for label, row in zip(labels, best)])


@pytest.mark.parametrize("answer", [top_k_with_tensorflow, top_k_with_argpartition])
def test_top_k_other_right_answers(answer):
    assert_passes(baseline.exercise_2(answer))
    assert baseline.exercise_2.grade(answer)


def ece_with_digitize(confidence, correct, n_bins=10):
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=False), 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        mask = which == b
        if mask.sum():
            total += mask.sum() / len(confidence) * abs(np.mean(correct[mask]) - np.mean(confidence[mask]))
    return total


def test_ece_other_right_answer_and_a_perfectly_calibrated_model():
    assert_passes(baseline.exercise_3(ece_with_digitize))
    confidence = np.full(100, 0.75)
    correct = np.arange(100) < 75
    assert np.isclose(ece_with_digitize(confidence, correct), 0.0)


def stopping_with_a_counter(val_losses, patience):
    best, best_epoch, bad = None, None, 0
    for epoch, loss in enumerate(val_losses, 1):
        if best is None or loss < best:
            best, best_epoch, bad = loss, epoch, 0
            continue
        bad += 1
        if bad >= patience:
            return (epoch, best_epoch)
    return [len(val_losses), best_epoch]  # a list is fine too


def test_stopping_other_right_answer():
    assert_passes(baseline.exercise_4(stopping_with_a_counter))
    assert baseline.exercise_4.grade(stopping_with_a_counter)


# ---------------------------------------------------------------- the judge of exercise 5
class FakeModel:
    """Knows the answer for some images (by their bytes) and guesses the rest."""

    def __init__(self, known, share_right=1.0, shape=None):
        self.known, self.share_right, self.shape = known, share_right, shape

    def predict(self, x, verbose=0):
        rng = np.random.default_rng(0)
        labels = []
        for row in x:
            label = self.known.get(row.tobytes())
            if label is None or rng.random() > self.share_right:
                label = rng.integers(0, 10)
            labels.append(label)
        out = np.eye(10, dtype=np.float32)[labels] * 5
        return out if self.shape is None else out[:, 0]


def all_known():
    (x, y), (xv, yv), (xh, yh) = baseline._judge_sets()
    return {row.tobytes(): int(label) for row, label in zip(np.concatenate([x, xh]), np.concatenate([y, yh]))}


def test_judge_says_the_gap_is_open_for_a_memoriser():
    def memorise(x, y, x_val, y_val):
        known = {row.tobytes(): int(label) for row, label in zip(x, y)}
        both = all_known()
        known.update({k: v for k, v in list(both.items())[1000:1000 + 850]})  # 85 % of unseen right
        return FakeModel(known)

    assert_fails(baseline.exercise_5(memorise), "gap is still open", "dropout")


def test_judge_says_underfitting_when_both_accuracies_are_low():
    assert_fails(baseline.exercise_5(lambda x, y, xv, yv: FakeModel(all_known(), share_right=0.8)),
                 "underfitting")


def test_judge_says_not_learning_near_chance():
    assert_fails(baseline.exercise_5(lambda x, y, xv, yv: FakeModel({})), "does not learn", "chance")


def test_judge_explains_wrong_returns():
    assert_fails(baseline.exercise_5(lambda x, y, xv, yv: None), "returned None")
    assert_fails(baseline.exercise_5(lambda x, y, xv, yv: FakeModel({}, shape=1)), "shape")
    assert_fails(baseline.exercise_5(lambda x, y, xv, yv: 3), "trained Keras model")


def test_judge_passes_a_model_that_generalises():
    assert_passes(baseline.exercise_5(lambda x, y, xv, yv: FakeModel(all_known(), share_right=0.97)))
