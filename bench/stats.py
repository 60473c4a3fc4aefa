"""Statistics over seeds for the leaderboard: Student-t confidence intervals and the Pareto frontier.

Pure functions of plain numbers, checked against values worked by hand in tests/test_stats.py.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence


def t_cdf(t: float, df: int) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom (Simpson's rule on the density)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if t < 0:
        return 1.0 - t_cdf(-t, df)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(x: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))

    n = 2000  # even; the density is smooth, so the error is far below the 3 decimals a CI is shown with
    h = t / n
    total = density(0.0) + density(t)
    total += sum((4 if i % 2 else 2) * density(i * h) for i in range(1, n))
    return 0.5 + total * h / 3


@functools.lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile (0.5 < p < 1) of Student's t, by bisection on ``t_cdf``."""
    if not 0.5 < p < 1:
        raise ValueError(f"p must be in (0.5, 1), got {p}")
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2


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


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """(mean, half-width of the ``level`` t-interval over the values). One value: half-width NaN."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean, se = mean_se(values)
    return mean, (t_quantile(0.5 + level / 2, n - 1) * se if n > 1 else math.nan)


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
