"""bench/core/inference.py against numbers worked by hand: Student-t intervals, paired t-tests, Holm's correction,
the probability of improvement, letter groups and the ranks that follow the means, the power of a paired t-test
(against its approximation and a Monte-Carlo check) and the coverage of intervals over seeds."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
from pobench.core.inference import (
    PairedComparison,
    bootstrap_ci,
    compact_letters,
    compare_all,
    holm,
    letter_ranks,
    min_detectable_difference,
    monotone_ranks,
    paired_comparison,
    paired_power,
    probability_of_improvement,
    replication_coverage,
    seeds_needed,
    separated_ranks,
    t_interval,
)

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
    # P(a > b) over every pair of runs: 0.5 beats 0.4 only (1), 0.6 beats 0.4 and 0.55 (2), 0.7 beats all 3 → 6/9
    assert c.prob == approx(6 / 9) and c.prob_low <= c.prob <= c.prob_high
    assert (c.prob, c.prob_low, c.prob_high) == probability_of_improvement([0.5, 0.6, 0.7], [0.4, 0.55, 0.62])


def test_paired_comparison_uses_the_seeds_both_read():
    a = {0: 0.5, 1: 0.6, 2: 0.7, 3: math.nan}
    b = {0: 0.4, 1: 0.6, 3: 0.3, 4: 0.9}
    # common finite seeds 0, 1: D = 0.1, 0 → mean 0.05, sd = 0.05·√2 = 0.0707107, se 0.05, t = 1 on 1 df:
    # p = 1 − (2/π)·atan(1) = 0.5; one win for a, one tie
    c = paired_comparison("a", a, "b", b)
    assert c.n == 2 and c.mean == approx(0.05) and c.p == approx(0.5)
    assert (c.low, c.high) == (approx(0.05 - T_1 * 0.05, abs=1e-6), approx(0.05 + T_1 * 0.05, abs=1e-6))
    assert (c.wins_a, c.wins_b, c.ties) == (1, 0, 1)
    # P(a > b) takes every seed each read, shared or not: x = 0.5, 0.6, 0.7 against y = 0.4, 0.6, 0.3, 0.9:
    # 0.5 beats 0.4, 0.3 (2); 0.6 beats 0.4, 0.3 and ties 0.6 (2.5); 0.7 beats all but 0.9 (3) → 7.5/12 = 0.625
    assert c.prob == approx(0.625)
    one = paired_comparison("a", a, "b", {2: 0.1})
    assert one.n == 1 and one.mean == approx(0.6) and all(math.isnan(x) for x in (one.sd, one.low, one.p))
    none = paired_comparison("a", a, "b", {})
    assert none.n == 0 and math.isnan(none.mean) and math.isnan(none.p) and none.winner() is None
    assert math.isnan(none.prob) and math.isnan(none.prob_low)  # b read nothing: no P(a > b)


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


def test_paired_tests_separate_what_marginal_intervals_cannot():
    # marginal intervals: a 0.6 ± 4.302653·0.1/√3 = ± 0.248414 → (0.351586, 0.848414); b: mean 0.523333,
    # sd² = (0.0152111 + 0.0007111 + 0.0093444)/2 = 0.0126333, se = 0.1123981/√3 = 0.0648931 → ± 0.279212
    # → (0.244121, 0.802545): they overlap, so the intervals tie them
    (ma, la, ha), (mb, lb, hb) = t_interval(list(A.values())), t_interval(list(B.values()))
    assert (la, ha) == (approx(0.351586, abs=1e-6), approx(0.848414, abs=1e-6))
    assert (lb, hb) == (approx(0.244121, abs=1e-6), approx(0.802545, abs=1e-6))
    assert separated_ranks([la, lb], [ha, hb], [ma, mb]) == [1, 1]
    # paired: every seed has a above b (p = 0.034 < 0.05, a family of one): separated, a "a" 1 and b "b" 2
    found = compare_all({"a": A, "b": B})
    assert letter_ranks({"a": ma, "b": mb}, found) == {"a": (1, "a"), "b": (2, "b")}
    # an algorithm without a mean (not read on every seed) is not ranked, and its comparisons count for no one
    assert letter_ranks({"a": math.nan, "b": mb, "c": 0.1}, found) == {"a": None, "b": (1, "a"), "c": (1, "a")}
    assert letter_ranks({"a": ma, "b": mb}, found, alpha=0.01) == {"a": (1, "a"), "b": (1, "a")}  # not at 1%


# the old rule's defect: rank = 1 + the algorithms that beat one significantly puts a noisy, lower mean above a
# better one that a third algorithm separates from. Three seeds:
PPO = {0: 0.60, 1: 0.70, 2: 0.80}  # mean 0.7
CPO = {0: 0.50, 1: 0.61, 2: 0.69}  # mean 1.8/3 = 0.6, always 0.09–0.11 below PPO
DPO = {0: 0.20, 1: 0.95, 2: 0.55}  # mean 1.7/3 = 0.566667, all over the place


def test_letter_ranks_follow_the_means_where_the_old_ranks_did_not():
    """ppo − cpo: D = 0.10, 0.09, 0.11, mean 0.1, sd 0.01, t = 0.1/(0.01/√3) = √300 = 17.3205 on 2 df →
    p = 1 − t/√(t² + 2) = 1 − √(300/302) = 0.003317.
    ppo − dpo: D = 0.40, −0.25, 0.25, mean 0.133333, deviations 0.266667, −0.383333, 0.116667, squares
    0.0711111 + 0.1469444 + 0.0136111 = 0.2316667 → sd² 0.1158333, sd 0.340343, t = 0.133333/(0.340343/√3) =
    0.678554 → p = 1 − 0.678554/√(0.460435 + 2) = 0.567408.
    cpo − dpo: D = 0.30, −0.34, 0.14, mean 0.033333, squares 0.0711111 + 0.1393778 + 0.0113778 = 0.2218667 →
    sd 0.333067, t = 0.173344 → p = 1 − 0.173344/√2.030048 = 0.878338.
    Holm over 3: 3·0.003317 = 0.009950 < 0.05 (ppo, cpo separated); 2·0.567408 = 1.13 → 1; 0.878 → raised to 1.
    Old rank: cpo is beaten by ppo → 2; dpo by no one → 1: dpo (0.567) above cpo (0.6).
    Letters (order ppo, cpo, dpo; {ppo, cpo} separated): {ppo, cpo, dpo} splits into {cpo, dpo} and {ppo, dpo};
    named by positions (0, 2) < (1, 2): a = {ppo, dpo}, b = {cpo, dpo} → ppo "a", cpo "b", dpo "ab". First letters
    1, 2, 1; made monotone: dpo max(1, 2, 1) = 2."""
    found = compare_all({"ppo": PPO, "cpo": CPO, "dpo": DPO})
    assert [(c.a, c.b) for c in found] == [("ppo", "cpo"), ("ppo", "dpo"), ("cpo", "dpo")]
    assert [c.p for c in found] == [approx(0.003317, abs=1e-6), approx(0.567408, abs=1e-5), approx(0.878338, abs=1e-5)]
    assert [c.p_holm for c in found] == [approx(0.009950, abs=1e-6), 1.0, 1.0]
    means = {name: t_interval(list(r.values()))[0] for name, r in (("ppo", PPO), ("cpo", CPO), ("dpo", DPO))}
    assert means == {"ppo": approx(0.7), "cpo": approx(0.6), "dpo": approx(0.566667, abs=1e-6)}
    got = letter_ranks(means, found)
    assert got == {"ppo": (1, "a"), "cpo": (2, "b"), "dpo": (2, "ab")}
    by_mean = sorted(means, key=lambda a: -means[a])
    assert [got[a][0] for a in by_mean] == sorted(got[a][0] for a in by_mean)  # monotone in the means


def test_compact_letters_on_a_chain_by_hand():
    """w, x, y, z best first, separated {w, y}, {w, z}, {x, z}. Insert and absorb, pairs in the order of the means:
    {w,x,y,z} − (w, y) → {x,y,z}, {w,x,z}; (w, z) splits {w,x,z} → {x,z} (absorbed by {x,y,z}), {w,x};
    (x, z) splits {x,y,z} → {y,z}, {x,y}. Named by positions: {w,x} (0,1) a, {x,y} (1,2) b, {y,z} (2,3) c."""
    separated = {frozenset(p) for p in (("w", "y"), ("w", "z"), ("x", "z"))}
    assert compact_letters(["w", "x", "y", "z"], separated) == {"w": "a", "x": "ab", "y": "bc", "z": "c"}
    assert compact_letters(["w", "x"], set()) == {"w": "a", "x": "a"} and compact_letters([], set()) == {}
    assert compact_letters(["w", "x"], {frozenset(("w", "x"))}) == {"w": "a", "x": "b"}
    with pytest.raises(ValueError, match="unknown \\['q'\\]"):
        compact_letters(["w", "x"], {frozenset(("w", "q"))})


def test_compact_letters_share_a_letter_exactly_when_not_separated():
    # every pair of 6 algorithms, under 300 random separations: share a letter ⇔ not separated; 'a' holds the first
    rng = np.random.default_rng(0)
    order = ["p", "q", "r", "s", "t", "u"]
    pairs = [frozenset((a, b)) for i, a in enumerate(order) for b in order[i + 1 :]]
    for _ in range(300):
        separated = {p for p in pairs if rng.random() < rng.random()}
        letters = compact_letters(order, separated)
        assert letters["p"].startswith("a") and all(letters[a] for a in order)
        for pair in pairs:
            a, b = sorted(pair)
            assert bool(set(letters[a]) & set(letters[b])) == (pair not in separated), (separated, letters)


def test_monotone_ranks_by_hand():
    # means 0.9, 0.8, 0.7, 0.95 with ranks 1, 3, 1, None: 0.95 unranked counts for no one; 0.9 → 1; 0.8 → 3;
    # 0.7 → max(1, 3, 1) = 3
    assert monotone_ranks([1, 3, 1, None], [0.9, 0.8, 0.7, 0.95]) == [1, 3, 3, None]
    assert monotone_ranks([1, 2], [0.5, 0.5]) == [2, 2]  # equal means, equal ranks
    assert monotone_ranks([1, 1], [0.5, math.nan]) == [1, None] and monotone_ranks([], []) == []
    with pytest.raises(ValueError, match="differ in length: 2 and 1"):
        monotone_ranks([1, 2], [0.5])


def test_probability_of_improvement_by_hand():
    # x = 3, 1, 2 against y = 2, 0: 3>2, 3>0, 1<2, 1>0, 2=2, 2>0 → (1 + 1 + 0 + 1 + 0.5 + 1)/6 = 4.5/6 = 0.75
    p, low, high = probability_of_improvement([3, 1, 2], [2, 0])
    assert p == 0.75 and low <= p <= high
    again = probability_of_improvement([3, 1, 2], [2, 0])
    assert again == (p, low, high) and probability_of_improvement([3, 1, 2], [2, 0], resamples=500, seed=7)[0] == 0.75
    assert probability_of_improvement([2, 0], [3, 1, 2])[0] == 0.25  # P(Y > X) = 1 − P(X > Y)
    # ties count ½: 1 = 1 (½), 2 > 1 (1) → 0.75; all equal → ½, and every resample gives ½
    assert probability_of_improvement([1, 2], [1])[0] == 0.75
    assert probability_of_improvement([1, 1], [1, 1]) == (0.5, 0.5, 0.5)
    assert probability_of_improvement([0.9, 0.8], [0.1, 0.2]) == (1.0, 1.0, 1.0)  # every run of x beats every y


def test_probability_of_improvement_bootstrap_by_hand():
    # x = 1, 0 against y = 0.5: P = (1 + 0)/2 = 0.5. A resample of x is 1, 1 (probability 1/4, P* = 1), 0, 0
    # (1/4, P* = 0) or mixed (1/2, P* = 0.5): more than 2.5% of the 2000 resamples sit at each end → (0, 1)
    assert probability_of_improvement([1.0, 0.0], [0.5]) == (0.5, 0.0, 1.0)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [([], [1.0], "x is empty"), ([1.0], [], "y is empty"), ([1.0], [0.5, math.nan], "y holds a non-finite reading")],
)
def test_probability_of_improvement_names_bad_input(x, y, message):
    with pytest.raises(ValueError, match=message):
        probability_of_improvement(x, y)


def test_probability_of_improvement_checks_its_settings():
    with pytest.raises(ValueError, match="resamples must be at least 1, got 0"):
        probability_of_improvement([1.0], [0.0], resamples=0)
    with pytest.raises(ValueError, match="level must be in"):
        probability_of_improvement([1.0], [0.0], level=1.5)


def test_letter_ranks_ignore_a_comparison_with_an_unranked_algorithm():
    # c beats b (p_holm 0.01) but c has no mean: b and a stay together
    c = PairedComparison("c", "b", 3, 0.2, 0.01, 0.15, 0.25, 0.003, 0.01, 3, 0, 0)
    assert letter_ranks({"a": 0.5, "b": 0.4, "c": math.nan}, [c]) == {"a": (1, "a"), "b": (1, "a"), "c": None}


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
