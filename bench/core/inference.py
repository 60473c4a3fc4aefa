"""pobench's statistics, in one module: the mean and its standard error; over seeds, the Student-t interval of a
mean, paired comparisons of algorithms that share seeds, Holm's family-wise correction, the probability of
improvement P(X > Y) with its bootstrap interval, letter groups and ranks from the paired tests that follow the
means, the power of a paired t-test, and how often an interval covers the mean it estimates; the detail table's
interval-separated ranks; and the percentile bootstrap the headline's intervals replaced (kept as the reference
whose coverage is measured). Evaluation metrics over samples (KL estimators, win rate) are in metrics.py.

Within one seed every algorithm trains on the same preference data and is evaluated on the same prompts, so the
readings R_a,s and R_b,s of two algorithms at seed s share that seed's luck; the paired differences
D_s = R_a,s − R_b,s cancel it, and a paired t-test on them separates what overlapping marginal intervals cannot.

Pure functions of plain numbers (numpy; scipy imported inside the functions that need it, for start-up time),
checked against values worked by hand in tests/unit/test_inference.py.
"""

from __future__ import annotations

import inspect
import math
import string
from collections import Counter
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
    # P(a > b) over all the seeds each read (unpaired, as rliable defines it) and its bootstrap interval
    prob: float = math.nan
    prob_low: float = math.nan
    prob_high: float = math.nan

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
    prob (prob_low, prob_high) = probability_of_improvement over every finite reading of a and of b, the seeds
    both read or not (NaN where either has none).
    """
    seeds = sorted(s for s in a if s in b and math.isfinite(a[s]) and math.isfinite(b[s]))
    d = np.asarray([a[s] - b[s] for s in seeds], dtype=float)
    n = int(d.size)
    mean, low, high = t_interval(d, level)
    sd = float(np.std(d, ddof=1)) if n >= 2 else math.nan
    p = paired_p_value(mean, sd, n)
    wins_a, wins_b = int(np.sum(d > 0)), int(np.sum(d < 0))
    x, y = ([m[s] for s in sorted(m) if math.isfinite(m[s])] for m in (a, b))
    prob = probability_of_improvement(x, y, level) if x and y else NAN3
    return PairedComparison(a_name, b_name, n, mean, sd, low, high, p, p, wins_a, wins_b, n - wins_a - wins_b, *prob)


def _readings(values: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} is empty (or not a flat list of readings): P(X > Y) needs a reading of each")
    bad = arr[~np.isfinite(arr)]
    if bad.size:
        raise ValueError(f"{name} holds a non-finite reading: {bad[0]}")
    return arr


def probability_of_improvement(
    x: Sequence[float], y: Sequence[float], level: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """(P, low, high): the probability of improvement P(X > Y) of Agarwal et al. (2021, rliable) over the runs
    x_1..x_n of one algorithm and y_1..y_m of another, with its percentile-bootstrap interval at ``level``.

        P = (1/(n·m)) Σ_i Σ_j S(x_i, y_j),  S = 1 if x_i > y_j, 1/2 if equal, 0 if less

    (the Mann–Whitney U statistic over n·m): how often a run of X beats a run of Y, a scale-free reading beside
    the mean difference. The bootstrap resamples x's and y's runs with replacement, each independently of the
    other (as rliable does), ``resamples`` times from numpy's default_rng(seed): the interval is the same for the
    same seed. Written here in a few lines rather than adding rliable (and its jax/arch dependencies) for one
    statistic. An empty or non-finite x or y raises a ValueError naming it.
    """
    _check_level(level)
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    xs, ys = _readings(x, "x"), _readings(y, "y")
    n, m = xs.size, ys.size
    s = 0.5 + 0.5 * np.sign(xs[:, None] - ys[None, :])  # S(x_i, y_j): 1, 1/2 or 0
    rng = np.random.default_rng(seed)
    # a resample with replacement is how often it draws each run: multinomial counts, so P*_b = c_xᵀ·S·c_y/(n·m)
    cx = rng.multinomial(n, np.full(n, 1 / n), size=resamples)
    cy = rng.multinomial(m, np.full(m, 1 / m), size=resamples)
    boot = np.einsum("bi,ij,bj->b", cx, s, cy) / (n * m)
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return float(s.mean()), float(low), float(high)


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


LETTERS = string.ascii_lowercase + string.ascii_uppercase


def compact_letters(order: Sequence[str], separated: Collection[frozenset[str]]) -> dict[str, str]:
    """A compact letter display: letters such that two algorithms share one exactly when the pair is not in
    ``separated``. ``order``: the algorithms, best mean first; letters are given in that order ('a' holds the first).

    Piepho (2004)'s insert-and-absorb: start from one letter holding everyone; for each separated pair {i, j},
    split every letter holding both into a copy without i and a copy without j (insert), then drop any letter whose
    members another letter holds too (absorb). Each split keeps every other pair of its letter together, so pairs
    not separated still share a letter, and after all the splits no letter holds a separated pair. The letters are
    then named by their members' positions in ``order`` (lexicographically), so the best mean's letter is 'a'.
    """
    position = {a: i for i, a in enumerate(order)}
    unknown = sorted({a for pair in separated for a in pair} - set(position))
    if unknown or any(len(pair) != 2 for pair in separated):
        raise ValueError(f"separated pairs must be pairs of algorithms in order: unknown {unknown}, got {separated}")
    groups: list[frozenset[str]] = [frozenset(order)] if order else []
    pairs = sorted(sorted(position[a] for a in pair) for pair in separated)  # by the means: the same every time
    for i, j in ([order[x] for x in pair] for pair in pairs):
        split = [g for g in groups if not {i, j} <= g] + [g - {x} for g in groups if {i, j} <= g for x in (i, j)]
        unique = set(split)
        groups = [g for g in unique if not any(g < other for other in unique)]
    groups.sort(key=lambda g: sorted(position[a] for a in g))
    if len(groups) > len(LETTERS):
        raise ValueError(f"{len(groups)} letter groups: more than the {len(LETTERS)} letters a–z, A–Z")
    return {a: "".join(LETTERS[k] for k, g in enumerate(groups) if a in g) for a in order}


def monotone_ranks(ranks: Sequence[int | None], means: Sequence[float]) -> list[int | None]:
    """Ranks that never go against the means: each rank raised to the largest rank of any entry whose mean is at
    least as high (a running maximum along the means, best first; equal means end up with equal ranks), so a lower
    mean never ranks better (smaller) than a higher one. An entry with rank None or a NaN mean stays None and counts
    for no one."""
    if len(ranks) != len(means):
        raise ValueError(f"ranks and means differ in length: {len(ranks)} and {len(means)}")
    live = [(m, r) for r, m in zip(ranks, means) if r is not None and not math.isnan(m)]
    return [
        None if r is None or math.isnan(m) else max(other for mean, other in live if mean >= m)
        for r, m in zip(ranks, means)
    ]


def letter_ranks(
    means: Mapping[str, float], comparisons: Sequence[PairedComparison], alpha: float = 0.05
) -> dict[str, tuple[int, str] | None]:
    """Per algorithm (``means``: algorithm → mean reading), (rank, letters) from the family-corrected paired tests,
    following the means.

    Letters: compact_letters over the algorithms ordered by mean, best first, with a pair separated when its test
    rejects at alpha (PairedComparison.winner: p_holm < alpha): share a letter = not separated. Rank: the position
    of the first letter (a = 1, b = 2, …), made monotone in the means (monotone_ranks). The old rank (1 + the
    algorithms that beat one) could put a noisy lower mean above a better one that a third algorithm separates
    from; this one cannot. An algorithm with a NaN mean (not read on every seed) gets None, and its comparisons
    count for no one; a pair without a comparison (fewer than 2 shared seeds) is not separated.
    """
    order = sorted((a for a in means if not math.isnan(means[a])), key=lambda a: -means[a])  # stable on ties
    ranked = set(order)
    separated = {frozenset((c.a, c.b)) for c in comparisons if {c.a, c.b} <= ranked and c.winner(alpha)}
    letters = compact_letters(order, separated)
    first = [LETTERS.index(letters[a][0]) + 1 for a in order]
    ranks = dict(zip(order, monotone_ranks(first, [means[a] for a in order])))
    return {a: (ranks[a], letters[a]) if a in ranked else None for a in means}


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


def bootstrap_ci(
    values: Sequence[float], level: float = 0.95, resamples: int = 9999, seed: int = 0
) -> tuple[float, float, float]:
    """(mean, low, high): the percentile-bootstrap interval of the mean over seeds (scipy.stats.bootstrap).

    The interval is a quantile of resample means, so with n seeds it lies within [min, max] of the seeds (clipped
    there against rounding). With 3 seeds it is exactly [min, max] at level 0.95 (to rounding): P(all 3 resampled
    = the minimum) = 1/27 ≈ 3.7% > 2.5%, likewise for the maximum (so for any level > 1 − 2/27 ≈ 0.926).
    One value → (v, nan, nan); any NaN or no values → (nan, nan, nan); all equal → (v, v, v).

    No report uses it any more: [min, max] of 3 seeds covers the mean of a symmetric distribution only
    1 − 2·(1/2)³ = 75% of the time, not the 95% it is labelled, so the intervals over seeds are
    pobench.core.inference.t_interval. It stays as the reference that tests/unit/test_inference.py measures that
    75% coverage on.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    arr = np.asarray(values, dtype=float)
    if arr.size == 0 or np.any(np.isnan(arr)):
        return math.nan, math.nan, math.nan
    if arr.size == 1:
        return float(arr[0]), math.nan, math.nan
    if np.all(arr == arr[0]):
        return float(arr[0]), float(arr[0]), float(arr[0])
    from scipy import stats

    rng_key = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"  # scipy < 1.15
    kw = {rng_key: np.random.default_rng(seed), "n_resamples": resamples, "confidence_level": level}
    res = stats.bootstrap((arr,), np.mean, vectorized=True, method="percentile", **kw)
    lo, hi = float(arr.min()), float(arr.max())
    ci = res.confidence_interval
    return float(np.mean(arr)), min(max(float(ci.low), lo), hi), min(max(float(ci.high), lo), hi)


def separated_ranks(lows: Sequence[float], highs: Sequence[float], means: Sequence[float]) -> list[int | None]:
    """1 + the number of rows whose interval lies entirely above this row's (their low > its high): the detail
    leaderboard's ranks of configurations, before inference.monotone_ranks makes them follow the means (a wide
    interval can rank a lower mean above a higher, narrow one here); the headline ranks algorithms by paired tests
    (inference.letter_ranks).

    Rows with a NaN mean get None; a row with a mean but a NaN interval (one seed) counts as [mean, mean].
    """
    if not len(lows) == len(highs) == len(means):
        raise ValueError(f"lows, highs and means differ in length: {len(lows)}, {len(highs)}, {len(means)}")
    iv: list[tuple[float, float] | None] = []
    for lo, hi, m in zip(lows, highs, means):
        if math.isnan(m):
            iv.append(None)
        else:
            iv.append((m, m) if math.isnan(lo) or math.isnan(hi) else (lo, hi))
    known = [x for x in iv if x is not None]
    return [None if x is None else 1 + sum(o[0] > x[1] for o in known) for x in iv]


def rank_labels(ranks: Sequence[int | None]) -> list[str]:
    """ "1" for a rank held by one row, "=2" for a rank shared by several, "-" for None."""
    count = Counter(r for r in ranks if r is not None)
    return ["-" if r is None else f"={r}" if count[r] > 1 else str(r) for r in ranks]
