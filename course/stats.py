"""How uncertain a result is at the size a page runs: bootstrap intervals for one accuracy, for the difference of
two models on the same examples, and for how a lead changes between two test sets.

Pages state a result with its interval, and say "within noise" when the interval holds zero
(ARCHITECTURE.md, "Results on the page").
"""
from __future__ import annotations

import numpy as np


def bootstrap_interval(correct, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """A bootstrap interval for accuracy: resample the test set's right/wrong answers with replacement."""
    correct = np.asarray(correct, dtype=float)
    rng = np.random.default_rng(seed)
    means = rng.choice(correct, size=(n_boot, correct.size), replace=True).mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def paired_bootstrap_difference(correct_a, correct_b, n_boot: int = 2000, seed: int = 0,
                                level: float = 0.95) -> tuple[float, float, float]:
    """(difference, low, high): accuracy of A minus B on the same test examples, with a paired bootstrap interval."""
    a, b = np.asarray(correct_a, dtype=float), np.asarray(correct_b, dtype=float)
    diff = a - b
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.size, size=(n_boot, diff.size))
    means = diff[idx].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(diff.mean()), float(low), float(high)


def lead_change(a_home, b_home, a_away, b_away, n_boot: int = 2000, seed: int = 0,
                level: float = 0.95) -> tuple[float, float, float]:
    """(change, low, high): how much larger model A's lead over model B is on a second test set ("away") than on the
    first ("home"), i.e. B's fall minus A's fall, with a bootstrap interval. Each test set is resampled on its own,
    A and B paired within it. Arguments: right/wrong per example of each model on each set."""
    rng = np.random.default_rng(seed)
    boot, point = [], []
    for a, b in ((a_home, b_home), (a_away, b_away)):
        d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
        boot.append(d[rng.integers(0, d.size, (n_boot, d.size))].mean(1))
        point.append(d.mean())
    low, high = np.quantile(boot[1] - boot[0], [(1 - level) / 2, (1 + level) / 2])
    return float(point[1] - point[0]), float(low), float(high)
