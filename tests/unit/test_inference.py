"""bench/core/inference.py against numbers worked by hand: Student-t intervals, paired t-tests, Holm's correction,
paired ranks, the power of a paired t-test (against its approximation and a Monte-Carlo check) and the coverage
of intervals over seeds."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
from pobench.core.inference import (
    compare_all,
    holm,
    min_detectable_difference,
    paired_comparison,
    paired_power,
    paired_ranks,
    replication_coverage,
    seeds_needed,
    t_interval,
)
from pobench.reports.frontier import bootstrap_ci, separated_ranks

approx = pytest.approx
T_2 = 4.302653  # t_{2,0.975}
T_1 = 12.706205  # t_{1,0.975}

# the worked paired example: a and b on the same three seeds
A = {0: 0.5, 1: 0.6, 2: 0.7}
B = {0: 0.4, 1: 0.55, 2: 0.62}


def test_t_interval_by_hand():
    # [1, 2, 3]: mean 2, sd² = (1 + 0 + 1)/2 = 1, se = 1/√3 = 0.57735; half = 4.302653 · 0.57735 = 2.48414
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    assert (mean, low, high) == (2.0, approx(2 - 2.48414, abs=1e-5), approx(2 + 2.48414, abs=1e-5))
    # level 0.9: t_{2,0.95} = 2.919986 → half 2.919986 · 0.57735 = 1.68585
    assert t_interval([1.0, 2.0, 3.0], level=0.9)[1] == approx(2 - 1.68585, abs=1e-5)
    # two values 0.2, 0.3: mean 0.25, sd = 0.05·√2 = 0.0707107, se = 0.05; half = 12.706205 · 0.05 = 0.635310
    assert t_interval([0.2, 0.3])[1:] == (approx(0.25 - 0.635310, abs=1e-6), approx(0.25 + 0.635310, abs=1e-6))


def test_t_interval_edge_cases_as_bootstrap_ci():
    for values in ([], [0.4, math.nan, 0.5], [0.4, math.inf]):
        assert all(math.isnan(x) for x in t_interval(values))
    mean, low, high = t_interval([0.4])
    assert mean == 0.4 and math.isnan(low) and math.isnan(high)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t_interval([0.1, 0.1, 0.1]) == (0.1, 0.1, 0.1)
    with pytest.raises(ValueError):
        t_interval([1.0, 2.0], level=1.0)


def test_paired_comparison_by_hand():
    c = paired_comparison("a", A, "b", B)
    # D = 0.1, 0.05, 0.08: mean 0.23/3 = 0.076667; deviations +0.023333, −0.026667, +0.003333,
    # squares 0.00054444 + 0.00071111 + 0.00001111 = 0.00126667 → sd² = 0.00063333, sd = 0.0251661, se = 0.0145297
    assert (c.a, c.b, c.n) == ("a", "b", 3)
    assert c.mean == approx(0.076667, abs=1e-6) and c.sd == approx(0.0251661, abs=1e-7)
    # interval: 0.076667 ± 4.302653 · 0.0145297 = ± 0.062516 → (0.014151, 0.139183)
    assert (c.low, c.high) == (approx(0.014151, abs=1e-6), approx(0.139183, abs=1e-6))
    # t = 0.076667/0.0145297 = 5.27656 on 2 df; for df 2, P(T > t) = (1 − t/√(t² + 2))/2, so the two-sided
    # p = 1 − 5.27656/√29.8421 = 1 − 0.965909 = 0.034091
    assert c.p == approx(0.034091, abs=1e-6) and c.p_holm == c.p  # alone, it is a family of one
    assert (c.wins_a, c.wins_b, c.ties) == (3, 0, 0)
    assert c.winner() == "a" and c.winner(alpha=0.01) is None


def test_paired_comparison_uses_the_seeds_both_read():
    a = {0: 0.5, 1: 0.6, 2: 0.7, 3: math.nan}
    b = {0: 0.4, 1: 0.6, 3: 0.3, 4: 0.9}
    # common finite seeds 0, 1: D = 0.1, 0 → mean 0.05, sd = 0.05·√2 = 0.0707107, se 0.05, t = 1 on 1 df:
    # p = 1 − (2/π)·atan(1) = 0.5; one win for a, one tie
    c = paired_comparison("a", a, "b", b)
    assert c.n == 2 and c.mean == approx(0.05) and c.p == approx(0.5)
    assert (c.low, c.high) == (approx(0.05 - T_1 * 0.05, abs=1e-6), approx(0.05 + T_1 * 0.05, abs=1e-6))
    assert (c.wins_a, c.wins_b, c.ties) == (1, 0, 1)
    one = paired_comparison("a", a, "b", {2: 0.1})
    assert one.n == 1 and one.mean == approx(0.6) and all(math.isnan(x) for x in (one.sd, one.low, one.p))
    none = paired_comparison("a", a, "b", {})
    assert none.n == 0 and math.isnan(none.mean) and math.isnan(none.p) and none.winner() is None


def test_paired_comparison_with_constant_differences():
    # every seed moved by exactly +0.25 (exact in binary): sd 0, the interval is the point, p = 0
    c = paired_comparison("a", {0: 0.5, 1: 0.75}, "b", {0: 0.25, 1: 0.5})
    assert (c.mean, c.sd, c.low, c.high, c.p) == (0.25, 0.0, 0.25, 0.25, 0.0)
    same = paired_comparison("a", {0: 0.5, 1: 0.75}, "b", {0: 0.5, 1: 0.75})
    assert (same.mean, same.sd, same.p, same.ties) == (0.0, 0.0, 1.0, 2) and same.winner() is None


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 (m = 3): 3·0.01 = 0.03; 2·0.03 = 0.06; 1·0.04 = 0.04 → raised to 0.06 (monotone)
    assert holm([0.01, 0.04, 0.03]) == [approx(0.03), approx(0.06), approx(0.06)]
    # a NaN stays NaN and does not count in m: the same three results
    out = holm([0.01, math.nan, 0.04, 0.03])
    assert math.isnan(out[1]) and [out[0], out[2], out[3]] == [approx(0.03), approx(0.06), approx(0.06)]
    # capped at 1: 2·0.6 = 1.2 → 1; 1·0.7 = 0.7 → raised to 1
    assert holm([0.7, 0.6]) == [1.0, 1.0]
    assert holm([]) == [] and holm([0.02]) == [0.02]


def test_compare_all_is_holm_corrected_over_the_pairs_with_two_seeds():
    c = {0: 0.45, 1: 0.5, 2: 0.66}
    readings = {"a": A, "b": B, "c": c, "d": {0: 0.9}}  # d shares one seed with each: no comparison
    found = compare_all(readings)
    assert [(x.a, x.b) for x in found] == [("a", "b"), ("a", "c"), ("b", "c")]
    raw = [paired_comparison(x.a, readings[x.a], x.b, readings[x.b]).p for x in found]
    assert [x.p for x in found] == approx(raw)
    assert [x.p_holm for x in found] == approx(holm(raw))
    # a − b: p 0.034091, the smallest of the three (a − c: D = 0.05, 0.1, 0.04, t = 3.41; b − c: t = −0.42),
    # so its Holm p is 3 · 0.034091 = 0.102273
    assert found[0].p_holm == approx(3 * 0.034091, abs=1e-5)


def test_paired_ranks_separate_what_marginal_intervals_cannot():
    # marginal intervals: a 0.6 ± 4.302653·0.1/√3 = ± 0.248414 → (0.351586, 0.848414); b: mean 0.523333,
    # sd² = (0.0152111 + 0.0007111 + 0.0093444)/2 = 0.0126333, se = 0.1123981/√3 = 0.0648931 → ± 0.279212
    # → (0.244121, 0.802545): they overlap, so the old rule ties them
    (ma, la, ha), (mb, lb, hb) = t_interval(list(A.values())), t_interval(list(B.values()))
    assert (la, ha) == (approx(0.351586, abs=1e-6), approx(0.848414, abs=1e-6))
    assert (lb, hb) == (approx(0.244121, abs=1e-6), approx(0.802545, abs=1e-6))
    assert separated_ranks([la, lb], [ha, hb], [ma, mb]) == [1, 1]
    # paired: every seed has a above b (p = 0.034 < 0.05, a family of one), so a ranks 1 and b 2
    found = compare_all({"a": A, "b": B})
    assert paired_ranks(["a", "b"], found) == {"a": 1, "b": 2}
    # an algorithm without a reading is not ranked, and its comparisons count for no one
    assert paired_ranks(["a", "b", "c"], found, read=["b", "c"]) == {"a": None, "b": 1, "c": 1}
    assert paired_ranks(["a", "b"], found, alpha=0.01) == {"a": 1, "b": 1}  # not separated at 1%


def test_paired_ranks_count_every_algorithm_that_beats_one():
    # x beats y and z, y beats z (each p_holm < 0.05 by construction below), so x 1, y 2, z 3
    readings = {
        "x": {0: 0.9, 1: 0.8, 2: 0.85, 3: 0.88},
        "y": {0: 0.6, 1: 0.5, 2: 0.56, 3: 0.57},
        "z": {0: 0.3, 1: 0.21, 2: 0.25, 3: 0.29},
    }
    found = compare_all(readings)
    assert all(c.p_holm < 0.05 for c in found)
    assert paired_ranks(list(readings), found) == {"x": 1, "y": 2, "z": 3}


def approximate_mdd(sd: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    from scipy import stats

    return (stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(power, n - 1)) * sd / math.sqrt(n)


def test_min_detectable_difference_against_the_approximation():
    # n = 5: (t_{4,0.975} + t_{4,0.8})·0.025/√5 = (2.776445 + 0.940965)·0.011180 = 0.041562; exact 0.04205
    # n = 10: (2.262157 + 0.883404)·0.025/√10 = 0.024868; exact 0.02490
    assert approximate_mdd(0.025, 5) == approx(0.041562, abs=1e-6)
    assert approximate_mdd(0.025, 10) == approx(0.024868, abs=1e-6)
    assert min_detectable_difference(0.025, 5) == approx(0.042, abs=5e-4)
    assert min_detectable_difference(0.025, 10) == approx(0.025, abs=5e-4)
    for n in (3, 5, 10, 20):
        exact = min_detectable_difference(0.025, n)
        assert paired_power(exact, 0.025, n) == approx(0.8, abs=1e-9)
        assert exact == approx(approximate_mdd(0.025, n), rel=0.06)  # 5.4% off at n = 3, 0.1% at n = 10
    # proportional to sd; NaN or 0 where undefined
    assert min_detectable_difference(0.05, 5) == approx(2 * min_detectable_difference(0.025, 5))
    assert math.isnan(min_detectable_difference(0.025, 1)) and math.isnan(min_detectable_difference(math.nan, 5))
    assert min_detectable_difference(0.0, 5) == 0.0
    with pytest.raises(ValueError):
        min_detectable_difference(0.025, 5, alpha=0.05, power=0.04)


@pytest.mark.parametrize("n", [3, 5])
def test_min_detectable_difference_has_the_power_by_monte_carlo(n):
    # 20,000 simulated experiments of n normal paired differences with mean = the MDD: the two-sided paired t-test
    # at 5% rejects in 80% of them (binomial se √(0.8·0.2/20000) = 0.0028; ±0.02 is 7 se)
    from scipy import stats

    sd = 0.025
    delta = min_detectable_difference(sd, n)
    d = np.random.default_rng(0).normal(delta, sd, size=(20_000, n))
    t = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    assert np.mean(np.abs(t) > stats.t.ppf(0.975, n - 1)) == approx(0.8, abs=0.02)


def test_seeds_needed_agrees_with_the_mdd():
    for n in (3, 5, 10):
        mdd = min_detectable_difference(0.025, n)
        assert seeds_needed(0.025, mdd * 1.001) == n  # a shade above the MDD at n: n seeds suffice
        assert seeds_needed(0.025, mdd * 0.999) == n + 1  # a shade below: n do not, n + 1 do
        assert seeds_needed(0.025, -mdd * 1.001) == n  # two-sided: the sign does not matter
    assert seeds_needed(0.025, 0.001, max_n=10) is None and seeds_needed(0.025, 0.0) is None
    assert seeds_needed(0.0, 0.01) == 2 and seeds_needed(math.nan, 0.01) is None


POOL = np.random.default_rng(1).normal(0.3, 0.05, size=20_000)  # readings of a many-seed pool, mean ≈ 0.3


@pytest.mark.parametrize("n", [3, 5])
def test_t_interval_covers_95_percent(n):
    # 2000 subsets: binomial se √(0.95·0.05/2000) = 0.0049; allow 3 se = 0.0146
    assert replication_coverage(POOL, n) == approx(0.95, abs=3 * math.sqrt(0.95 * 0.05 / 2000))


def test_percentile_bootstrap_covers_75_percent_with_3_seeds():
    # with 3 seeds the percentile bootstrap is [min, max]: it misses when all three fall on one side of the mean,
    # 2·(1/2)³ = 1/4 of the time for a symmetric distribution → 0.75 (3 se = 3·√(0.75·0.25/2000) = 0.029)
    coverage = replication_coverage(POOL, 3, interval=functools.partial(bootstrap_ci, resamples=1999))
    assert coverage == approx(0.75, abs=3 * math.sqrt(0.75 * 0.25 / 2000))
    with pytest.raises(ValueError):
        replication_coverage(POOL[:2], 3)
