"""Inference over seeds: the Student-t interval of a mean, paired comparisons of algorithms that share seeds,
Holm's family-wise correction, ranks from the paired tests, the power of a paired t-test, and how often an
interval covers the mean it estimates.

Within one seed every algorithm trains on the same preference data and is evaluated on the same prompts, so the
readings R_a,s and R_b,s of two algorithms at seed s share that seed's luck; the paired differences
D_s = R_a,s − R_b,s cancel it, and a paired t-test on them separates what overlapping marginal intervals cannot.

Pure functions of plain numbers (numpy; scipy imported inside the functions that need it, for start-up time),
checked against values worked by hand in tests/unit/test_inference.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

NAN3 = (math.nan, math.nan, math.nan)


def _check_level(level: float, what: str = "level") -> None:
    if not 0 < level < 1:
        raise ValueError(f"{what} must be in (0, 1), got {level}")


def t_quantile(q: float, df: float) -> float:
    """t_{df,q}: the q-quantile of Student's t with df degrees of freedom."""
    from scipy import stats

    return float(stats.t.ppf(q, df))


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the Student-t interval of the mean over n seeds,

        mean ± t_{n−1,(1+level)/2} · sd/√n,  sd² = Σ (v − mean)² / (n − 1).

    Its coverage is exact for normal readings at any n (the percentile bootstrap's is not: with 3 seeds that
    interval is [min, max], which for a symmetric distribution covers the mean 1 − 2·(1/2)³ = 75% of the time).
    No values or any NaN (or infinity) → (nan, nan, nan); one value → (v, nan, nan); all equal → (v, v, v).
    """
    _check_level(level)
    arr = np.asarray(values, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        return NAN3
    if arr.size == 1:
        return float(arr[0]), math.nan, math.nan
    if np.all(arr == arr[0]):
        return float(arr[0]), float(arr[0]), float(arr[0])
    n, mean, sd = arr.size, float(np.mean(arr)), float(np.std(arr, ddof=1))
    half = t_quantile((1 + level) / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class PairedComparison:
    """Algorithm a against b over the n seeds both read: D_s = R_a,s − R_b,s."""

    a: str
    b: str
    n: int  # seeds both read
    mean: float  # mean of D_s
    sd: float  # sample standard deviation of D_s (n − 1 in the denominator)
    low: float  # the paired t interval of the mean difference: t_interval(D)
    high: float
    p: float  # two-sided paired t-test of mean D = 0
    p_holm: float  # p adjusted over the family of comparisons (compare_all); p itself for a family of one
    wins_a: int  # seeds where a > b
    wins_b: int  # seeds where b > a
    ties: int  # seeds where a = b

    def winner(self, alpha: float = 0.05) -> str | None:
        """The algorithm the family-corrected test finds better at level alpha (p_holm < alpha), else None."""
        if not self.p_holm < alpha:
            return None
        return self.a if self.mean > 0 else self.b


def paired_p_value(mean: float, sd: float, n: int) -> float:
    """Two-sided paired t-test of E[D] = 0: t = mean/(sd/√n), p = 2·P(T_{n−1} > |t|).

    NaN for n < 2; with sd = 0 the test is degenerate: 0.0 when mean ≠ 0 (every seed moved the same way by the
    same amount), 1.0 when mean = 0.
    """
    from scipy import stats

    if n < 2 or not (math.isfinite(mean) and math.isfinite(sd)):
        return math.nan
    if sd == 0:
        return 0.0 if mean != 0 else 1.0
    return float(2 * stats.t.sf(abs(mean) / (sd / math.sqrt(n)), n - 1))


def paired_comparison(
    a_name: str, a: Mapping[int, float], b_name: str, b: Mapping[int, float], level: float = 0.95
) -> PairedComparison:
    """Compare a with b over the seeds present and finite in both (``a`` and ``b``: seed → reading).

    mean = D̄, sd = sd(D), (low, high) = t_interval(D, level), p = paired_p_value(D̄, sd, n); p_holm = p until
    a family correction (compare_all) replaces it. With one common seed there is a mean and nothing else.
    """
    seeds = sorted(s for s in a if s in b and math.isfinite(a[s]) and math.isfinite(b[s]))
    d = np.asarray([a[s] - b[s] for s in seeds], dtype=float)
    n = int(d.size)
    mean, low, high = t_interval(d, level)
    sd = float(np.std(d, ddof=1)) if n >= 2 else math.nan
    p = paired_p_value(mean, sd, n)
    wins_a, wins_b = int(np.sum(d > 0)), int(np.sum(d < 0))
    return PairedComparison(a_name, b_name, n, mean, sd, low, high, p, p, wins_a, wins_b, n - wins_a - wins_b)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni step-down adjusted p-values, in the input order.

    With the m non-NaN p-values sorted, p_(1) ≤ … ≤ p_(m): p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)).
    Rejecting where p̃ < alpha keeps the family-wise error rate ≤ alpha. NaN inputs stay NaN and are not counted
    in m.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, math.nan)
    live = np.flatnonzero(~np.isnan(p))
    order = live[np.argsort(p[live], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out.tolist()


def compare_all(readings: Mapping[str, Mapping[int, float]], level: float = 0.95) -> list[PairedComparison]:
    """paired_comparison of every unordered pair (a before b in the order of ``readings``: algorithm → seed →
    reading) that shares at least 2 finite seeds, with p_holm from holm() over exactly these comparisons."""
    names = list(readings)
    found = [
        paired_comparison(a, readings[a], b, readings[b], level) for i, a in enumerate(names) for b in names[i + 1 :]
    ]
    found = [c for c in found if c.n >= 2]
    return [replace(c, p_holm=q) for c, q in zip(found, holm([c.p for c in found]))]


def paired_ranks(
    algos: Sequence[str],
    comparisons: Sequence[PairedComparison],
    alpha: float = 0.05,
    read: Collection[str] | None = None,
) -> dict[str, int | None]:
    """Rank = 1 + the number of algorithms that beat this one significantly: p_holm < alpha with the mean
    difference in their favour (PairedComparison.winner). Algorithms no test separates share a rank.

    ``read``: the algorithms with a reading, the only ones ranked (default: all of ``algos``); the others get None,
    and their comparisons count for no one.
    """
    ranked = set(algos if read is None else read)
    beaten_by: dict[str, set[str]] = {a: set() for a in ranked}
    for c in comparisons:
        if c.a in ranked and c.b in ranked and (w := c.winner(alpha)) is not None:
            beaten_by[c.b if w == c.a else c.a].add(w)
    return {a: 1 + len(beaten_by[a]) if a in ranked else None for a in algos}


def _power_at(lam: float, df: int, alpha: float) -> float:
    """P(|T'| > c) = P(T'_λ > c) + P(T'_{−λ} > c), c = t_{df,1−α/2}, for T'_λ noncentral t (df, λ = lam).

    The lower tail is written as the upper tail at −λ: scipy's nct.cdf(−c, df, λ) returns NaN for some large λ.
    """
    from scipy import stats

    crit = t_quantile(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, lam) + stats.nct.sf(crit, df, -lam))


def paired_power(delta: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """The power of the two-sided paired t-test at level alpha over n seeds when the true mean difference is delta
    and the differences are normal with standard deviation sd:

        P(|T'| > t_{n−1,1−α/2}),  T' ~ noncentral t (df = n − 1, noncentrality λ = delta·√n/sd).

    NaN for n < 2 or a non-finite sd or delta; with sd = 0 it is 1 for delta ≠ 0 and alpha for delta = 0.
    """
    _check_level(alpha, "alpha")
    if n < 2 or not (math.isfinite(sd) and math.isfinite(delta)):
        return math.nan
    if sd < 0:
        raise ValueError(f"sd must be >= 0, got {sd}")
    if sd == 0:
        return 1.0 if delta != 0 else alpha
    return _power_at(abs(delta) * math.sqrt(n) / sd, n - 1, alpha)


def min_detectable_difference(sd: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest true mean paired difference δ that the two-sided paired t-test at level alpha detects with the
    given power over n seeds: the root of paired_power(δ, sd, n, alpha) = power (noncentral t, scipy.optimize.brentq
    on the noncentrality λ = δ·√n/sd). Close to the normal-style approximation

        δ ≈ (t_{n−1,1−α/2} + t_{n−1,power}) · sd/√n,

    e.g. sd = 0.025, α = 0.05, 80% power: n = 5 → (2.776 + 0.941)·0.025/√5 = 0.0416 (exact 0.0420), n = 10 →
    0.02487 (exact 0.02490); the exact root is larger at small n (5% at n = 3, 16% at n = 2), where the noncentral
    t is wider than a shifted central t.
    NaN for n < 2 or a non-finite sd; 0 for sd = 0.
    """
    from scipy.optimize import brentq

    _check_level(alpha, "alpha")
    _check_level(power, "power")
    if not power > alpha:
        raise ValueError(f"power must exceed alpha (the power at δ = 0), got power {power} and alpha {alpha}")
    if n < 2 or not math.isfinite(sd):
        return math.nan
    if sd < 0:
        raise ValueError(f"sd must be >= 0, got {sd}")
    if sd == 0:
        return 0.0
    gap = lambda lam: _power_at(lam, n - 1, alpha) - power  # noqa: E731 — in λ = δ·√n/sd, free of sd
    high = t_quantile(1 - alpha / 2, n - 1) + t_quantile(power, n - 1)  # the approximation's λ: a first bracket
    while gap(high) < 0:
        high *= 2
    return float(brentq(gap, 0.0, high, xtol=1e-12)) * sd / math.sqrt(n)


def seeds_needed(sd: float, delta: float, alpha: float = 0.05, power: float = 0.8, max_n: int = 200) -> int | None:
    """The smallest n ≥ 2 with paired_power(delta, sd, n, alpha) ≥ power; None if no n ≤ max_n reaches it (or for
    delta = 0, or a non-finite sd or delta)."""
    _check_level(power, "power")
    if delta == 0 or not (math.isfinite(sd) and math.isfinite(delta)):
        return None
    return next((n for n in range(2, max_n + 1) if paired_power(delta, sd, n, alpha) >= power), None)


Interval = Callable[[Sequence[float], float], tuple[float, float, float]]


def replication_coverage(
    pool: Sequence[float],
    n: int,
    level: float = 0.95,
    interval: Interval = t_interval,
    subsets: int = 2000,
    seed: int = 0,
) -> float:
    """How often ``interval(values, level)`` covers the pool's mean, over ``subsets`` random subsets of n readings
    drawn from a many-seed pool (numpy's default_rng(seed)): the fraction with low ≤ mean(pool) ≤ high. A nominal
    95% interval should give ≈ 0.95; a NaN interval counts as a miss.

    The subsets are drawn with replacement: the pool's empirical distribution stands for the population, and its
    mean is then exactly the population's mean. Drawn without replacement from a pool of N, a subset's mean would
    vary less than a real n-seed run's by the finite-population factor (N − n)/(N − 1) (0.79 for 5 of 20), and the
    measured coverage would flatter the interval."""
    arr = np.asarray(pool, dtype=float)
    if not 2 <= n <= arr.size:
        raise ValueError(f"n must be between 2 and the pool's size {arr.size}, got {n}")
    if subsets < 1:
        raise ValueError(f"subsets must be at least 1, got {subsets}")
    rng, target = np.random.default_rng(seed), float(np.mean(arr))
    hits = 0
    for _ in range(subsets):
        _, low, high = interval(arr[rng.choice(arr.size, size=n, replace=True)].tolist(), level)
        hits += bool(low <= target <= high)
    return hits / subsets
