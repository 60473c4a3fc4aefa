"""Plain statistics: the mean and its standard error, and the reward-vs-KL Pareto frontier.

Pure functions of plain numbers, checked against values worked by hand in tests/unit/test_stats.py. Intervals
and paired tests over seeds are in bench/core/inference.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (sample standard deviation / √n; 0 for n = 1)."""
    n = len(values)
    if n == 0:
        raise ValueError("mean_se of no values")
    mean = sum(values) / n
    if n == 1:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var / n)


def pareto_front(rewards: Sequence[float], kls: Sequence[float]) -> list[bool]:
    """Which points no other point dominates (reward at least as high and KL at least as low, one of them
    strictly). NaN points are never on the front. Equal points are both on it."""
    points = list(zip(rewards, kls))
    flags = []
    for i, (r, k) in enumerate(points):
        if math.isnan(r) or math.isnan(k):
            flags.append(False)
            continue
        dominated = any(
            j != i and r2 >= r and k2 <= k and (r2 > r or k2 < k)
            for j, (r2, k2) in enumerate(points)
            if not (math.isnan(r2) or math.isnan(k2))
        )
        flags.append(not dominated)
    return flags
