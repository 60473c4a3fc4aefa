"""bench/reports/frontier.py against numbers worked by hand, and the sampled frontier against exact enumeration."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from pobench.core.inference import bootstrap_ci, rank_labels, separated_ranks
from pobench.reports.frontier import (
    FrontierPoint,
    best_of_n_curve,
    envelope_at,
    envelope_reach,
    expected_max_of_n,
    optimal_frontier_exact,
    optimal_frontier_from_samples,
    optimal_gain_fraction,
    optimum_at,
    upper_envelope,
)

approx = pytest.approx


def test_samples_two_rewards_by_hand():
    # r = [0, 1], β = 1: exp(r) = [1, e], 1 + e = 3.718282 → w = [1/3.718282, e/3.718282] = [0.268941, 0.731059].
    # R* = 0·0.268941 + 1·0.731059 = 0.731059.
    # KL* = R*/β − log((1 + e)/2) = 0.731059 − log(1.859141) = 0.731059 − 0.620115 = 0.110944.
    # ESS = 1/(0.268941² + 0.731059²) = 1/(0.072329 + 0.534447) = 1/0.606776 = 1.648054.
    (p,) = optimal_frontier_from_samples([[0.0, 1.0]], [1.0])
    assert (p.beta, p.reward, p.kl, p.ess) == (
        1.0,
        approx(0.731059, abs=1e-6),
        approx(0.110944, abs=1e-6),
        approx(1.648054, abs=1e-6),
    )
    assert p.trusted is False  # 1.65 < 16


def test_samples_average_over_prompts_and_median_ess():
    # Prompt 1 as above (R 0.731059, KL 0.110944, ESS 1.648054); prompt 2 r = [0.5, 0.5]: w = [1/2, 1/2],
    # R = 0.5, KL = 0.5 − log((e^0.5 + e^0.5)/2) = 0.5 − 0.5 = 0, ESS = 1/(1/4 + 1/4) = 2.
    # reward = (0.731059 + 0.5)/2 = 0.615529; kl = 0.110944/2 = 0.055472; ess = median(1.648054, 2) = 1.824027.
    (p,) = optimal_frontier_from_samples([[0.0, 1.0], [0.5, 0.5]], [1.0], min_ess=1.8)
    assert p.reward == approx(0.615529, abs=1e-6) and p.kl == approx(0.055472, abs=1e-6)
    assert p.ess == approx(1.824027, abs=1e-6) and p.trusted  # 1.824 >= 1.8


def test_samples_tiny_beta_no_overflow_and_kl_at_most_log_k():
    # β = 1e-3: exp(1/β) = e^1000 overflows a float; max-subtraction gives w = [e^-1000 = 0, 1] → R* = 1, ESS = 1,
    # KL* = 1/β − log((e^0 + e^1000)/2) = 1000 − (1000 − log 2) = log 2 = log K, the ceiling.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        (p,) = optimal_frontier_from_samples([[0.0, 1.0]], [1e-3])
    assert (p.reward, p.kl, p.ess) == (approx(1.0), approx(math.log(2)), approx(1.0))
    rewards = np.random.default_rng(1).uniform(-1, 1, size=(4, 50))
    for q in optimal_frontier_from_samples(rewards, [1e-3, 1e-2, 0.1, 1.0, 10.0]):
        assert -1e-12 <= q.kl <= math.log(50) + 1e-12


def test_samples_order_and_errors():
    pts = optimal_frontier_from_samples([[0.0, 1.0]], [1.0, 0.1, 10.0])
    assert [p.beta for p in pts] == [1.0, 0.1, 10.0]
    for bad, match in (([], "no prompts"), ([[0.0], []], "prompt 1"), ([[0.0, math.nan]], "NaN")):
        with pytest.raises(ValueError, match=match):
            optimal_frontier_from_samples(bad, [1.0])
    for beta in (0.0, -1.0):
        with pytest.raises(ValueError, match="beta"):
            optimal_frontier_from_samples([[0.0, 1.0]], [beta])


def test_exact_two_responses_by_hand():
    # probs [0.75, 0.25], r [0, 1], β = 1/log 3 so exp(r/β) = [1, 3]: π* ∝ [0.75, 0.75] → [0.5, 0.5].
    # reward = 0.5; kl = 0.5·log(0.5/0.75) + 0.5·log(0.5/0.25) = 0.5·log(4/3) = 0.143841.
    # A third response of prob 0 (reward 5) has π* = 0 and adds nothing.
    (p,) = optimal_frontier_exact([[0.75, 0.25, 0.0]], [[0.0, 1.0, 5.0]], [1 / math.log(3)])
    assert (p.reward, p.kl, p.ess, p.trusted) == (approx(0.5), approx(0.143841, abs=1e-6), math.inf, True)
    with pytest.raises(ValueError, match="sum to 1"):
        optimal_frontier_exact([[0.5, 0.4]], [[0.0, 1.0]], [1.0])


def test_support_repeated_in_proportion_reproduces_exact():
    # K samples holding each response y exactly K·p(y) times: each copy gets weight π*(y)/count(y), so the
    # self-normalized estimate equals π* and KL* = Σ_y π*(y)·log(K·π*(y)/count(y)) = Σ π* log(π*/p) exactly.
    probs = [[0.5, 0.25, 0.125, 0.125], [0.75, 0.25]]
    rewards = [[0.1, -0.4, 0.9, 0.3], [0.0, 1.0]]
    samples = [[0.1] * 4 + [-0.4] * 2 + [0.9, 0.3], [0.0, 0.0, 0.0, 1.0]]
    betas = [0.05, 0.3, 1.0, 10.0]
    for s, e in zip(optimal_frontier_from_samples(samples, betas), optimal_frontier_exact(probs, rewards, betas)):
        assert (s.reward, s.kl) == (approx(e.reward, abs=1e-12), approx(e.kl, abs=1e-12))


PROBS = [
    [0.05, 0.05, 0.10, 0.10, 0.20, 0.50],
    [0.05, 0.10, 0.05, 0.40, 0.25, 0.15],
    [0.10, 0.05, 0.10, 0.10, 0.20, 0.45],
]
REWARDS = [[-1.0, -0.5, 0.0, 0.3, 0.6, 0.9], [-0.7, 0.2, -0.2, 0.8, 0.7, 0.5], [0.6, -0.9, 0.1, -0.3, 0.4, 0.85]]


def test_estimator_matches_exact_enumeration():
    # K = 4096 draws per prompt from π_ref. Over 1000 seeds (checked when writing this) the root-mean-square error is
    # at most 0.0023 (reward) and 0.0073 (KL, at β = 0.1, from the noise in the top response's frequency), so the
    # tolerances 0.02 / 0.03 are ≥ 4 RMS; the worst of 1000 seeds was 0.008 / 0.026.
    rng = np.random.default_rng(0)
    samples = [np.asarray(r)[rng.choice(len(p), size=4096, p=p)] for p, r in zip(PROBS, REWARDS)]
    betas = [0.1, 0.3, 1.0]
    for s, e in zip(optimal_frontier_from_samples(samples, betas), optimal_frontier_exact(PROBS, REWARDS, betas)):
        assert abs(s.reward - e.reward) < 0.02 and abs(s.kl - e.kl) < 0.03
        assert s.trusted and s.ess > 1000


def test_best_of_n_kl_bound():
    from pobench.algorithms.best_of_n import best_of_n_kl_bound

    # n = 1: log 1 − 0 = 0; n = 2: log 2 − 1/2 = 0.193147; n = 4: log 4 − 3/4 = 1.386294 − 0.75 = 0.636294.
    assert [best_of_n_kl_bound(n) for n in (1, 2, 4)] == [0.0, approx(0.193147, abs=1e-6), approx(0.636294, abs=1e-6)]
    with pytest.raises(ValueError):
        best_of_n_kl_bound(0)


def test_expected_max_of_n_by_hand():
    # r = [0, 1, 2], n = 2: pairs (0,1), (0,2), (1,2) → maxes 1, 2, 2 → 5/3. By the formula: r_(2)·C(1,1)/C(3,2) +
    # r_(3)·C(2,1)/C(3,2) = 1·1/3 + 2·2/3 = 5/3. n = 1 gives the mean 1; n = K = 3 the max 2.
    r = [2.0, 0.0, 1.0]
    assert [expected_max_of_n(r, n) for n in (1, 2, 3)] == [approx(1.0), approx(5 / 3), approx(2.0)]
    for n in (0, 4):
        with pytest.raises(ValueError):
            expected_max_of_n(r, n)


def test_expected_max_of_n_against_enumeration_and_large_k():
    r = np.random.default_rng(3).normal(size=7).tolist()
    brute = np.mean([max(c) for c in itertools.combinations(r, 3)])  # all C(7,3) = 35 triples
    assert expected_max_of_n(r, 3) == approx(brute, abs=1e-12)
    # r = 1..K: the max of a random n-subset of {1..K} has mean n(K+1)/(n+1); K = 1024, n = 512 → 1023.001949.
    assert expected_max_of_n(list(range(1, 1025)), 512) == approx(512 * 1025 / 513, rel=1e-12)
    assert expected_max_of_n([0.3] * 1024, 700) == approx(0.3, rel=1e-12)  # the weights sum to 1 (hockey stick)


def test_best_of_n_curve():
    # prompts [0,1,2] and [1,1,1]: n = 1 → mean(1, 1) = 1; n = 2 → mean(5/3, 1) = 4/3.
    curve = best_of_n_curve([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]], [1, 2])
    assert curve == [(1, 0.0, approx(1.0)), (2, approx(math.log(2) - 0.5), approx(4 / 3))]


def test_upper_envelope():
    # (2, 0.1) is dominated by (1, 0.2); (16, 0.4) by (4, 0.5).
    assert upper_envelope([(1, 0.2), (4, 0.5), (2, 0.1), (16, 0.4)]) == [(1, 0.2), (4, 0.5)]
    # NaN/inf dropped; duplicates kept once; at equal kl the higher reward; equal reward at larger kl dominated.
    pts = [(1, 0.2), (1, 0.2), (1, 0.1), (math.nan, 0.9), (2, math.inf), (3, 0.2), (5, 0.6)]
    assert upper_envelope(pts) == [(1, 0.2), (5, 0.6)]
    assert upper_envelope([]) == []


def test_read_at_and_reach_by_hand():
    env = upper_envelope([(1, 0.2), (4, 0.5), (2, 0.1), (16, 0.4)])
    # budget 2: 0.2 + (0.5 − 0.2)·log(2/1)/log(4/1) = 0.2 + 0.3·0.5 = 0.35.
    assert envelope_at(env, 2) == approx(0.35)
    assert (envelope_at(env, 1), envelope_at(env, 4)) == (0.2, 0.5)  # exactly the points
    assert math.isnan(envelope_at(env, 16)) and envelope_reach(env, 16) == "not reached"
    assert math.isnan(envelope_at(env, 0.5)) and envelope_reach(env, 0.5) == "below grid"
    assert envelope_reach(env, 2) == "ok"
    assert math.isnan(envelope_at([], 1)) and envelope_reach([], 1) == "no points"
    one = [(2.0, 0.4)]
    assert envelope_at(one, 2.0) == 0.4 and math.isnan(envelope_at(one, 2.1)) and math.isnan(envelope_at(one, 1.9))


def test_read_at_kl_floor():
    # kl 0.0005 → floor 1e-3; budget 0.01: 0.1 + 0.2·log(0.01/0.001)/log(0.1/0.001) = 0.1 + 0.2·(1/2) = 0.2.
    assert envelope_at([(0.0005, 0.1), (0.1, 0.3)], 0.01) == approx(0.2)
    # kl −0.002 and 0.0005 both floor to 1e-3: the better reward 0.15 stands there; a budget of 0 floors to it too.
    env = [(-0.002, 0.1), (0.0005, 0.15), (0.1, 0.3)]
    assert envelope_at(env, 0.0) == 0.15 and envelope_reach(env, 0.0) == "ok"
    assert envelope_at(env, 0.01) == approx(0.15 + 0.15 * 0.5)  # = 0.225
    assert envelope_at([(-0.01, 0.4)], 0.0) == 0.4  # a one-point envelope, matched after flooring


def test_bootstrap_ci_deterministic_and_within_range():
    v = [0.31, 0.42, 0.38, 0.29, 0.45, 0.36, 0.33, 0.40, 0.30, 0.44]
    a = bootstrap_ci(v, seed=7)
    assert a == bootstrap_ci(v, seed=7)
    assert a[0] == approx(np.mean(v))  # 3.68/10 = 0.368
    # 10 seeds: P(a resample is all the minimum) = 1e-10, so the interval is strictly inside [min, max].
    assert min(v) < a[1] < a[0] < a[2] < max(v)


def test_bootstrap_ci_three_seeds_is_min_max():
    # P(all 3 resampled = the minimum) = (1/3)³ = 1/27 = 3.7% > 2.5%, so the 2.5% quantile of the resample means is
    # the minimum itself (likewise the maximum); at level 0.9 (5% a side, > 3.7%) it is not.
    for values in ([0.2, 0.5, 0.3], [1.0, -2.0, 0.7]):
        for seed in (0, 1, 2):
            mean, lo, hi = bootstrap_ci(values, seed=seed)
            assert (lo, hi) == (approx(min(values), abs=1e-12), approx(max(values), abs=1e-12))
            assert mean == approx(sum(values) / 3)
        _, lo, hi = bootstrap_ci(values, level=0.9)
        assert min(values) + 1e-9 < lo < hi < max(values) - 1e-9


def test_bootstrap_ci_edge_cases():
    assert bootstrap_ci([0.4])[0] == 0.4 and all(math.isnan(x) for x in bootstrap_ci([0.4])[1:])
    assert all(math.isnan(x) for x in bootstrap_ci([0.4, math.nan, 0.5]))
    assert all(math.isnan(x) for x in bootstrap_ci([]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bootstrap_ci([0.1, 0.1, 0.1]) == (0.1, 0.1, 0.1)


def test_separated_ranks_and_labels():
    # A [0.5,0.7], B [0.45,0.6], C [0.1,0.3]: A.low 0.5 ≤ B.high 0.6 → A, B tie at 1; both lows > C.high 0.3 → C 3.
    ranks = separated_ranks([0.5, 0.45, 0.1], [0.7, 0.6, 0.3], [0.6, 0.52, 0.2])
    assert ranks == [1, 1, 3] and rank_labels(ranks) == ["=1", "=1", "3"]
    # Chain A [0.6,0.8], B [0.5,0.65], C [0.4,0.55]: B 1 (0.6 ≤ 0.65); C 2 (A: 0.6 > 0.55; B: 0.5 ≤ 0.55).
    ranks = separated_ranks([0.6, 0.5, 0.4], [0.8, 0.65, 0.55], [0.7, 0.57, 0.47])
    assert ranks == [1, 1, 2] and rank_labels(ranks) == ["=1", "=1", "2"]
    # D: one seed, mean 0.8 → [0.8, 0.8], above A's high 0.7 → A 2, D 1; E: no mean → None, "-".
    ranks = separated_ranks([0.5, math.nan, math.nan], [0.7, math.nan, math.nan], [0.6, 0.8, math.nan])
    assert ranks == [2, 1, None] and rank_labels(ranks) == ["2", "1", "-"]
    with pytest.raises(ValueError):
        separated_ranks([0.1], [0.2, 0.3], [0.15])


def test_optimal_gain_fraction():
    # (0.5 − 0.2)/(0.8 − 0.2) = 0.3/0.6 = 0.5; (0.1 − 0.2)/0.6 = −1/6.
    assert optimal_gain_fraction(0.5, 0.2, 0.8) == approx(0.5)
    assert optimal_gain_fraction(0.1, 0.2, 0.8) == approx(-1 / 6)
    for args in ((0.5, 0.2, 0.2), (0.5, 0.3, 0.2), (math.nan, 0.2, 0.8), (0.5, 0.2, math.nan)):
        assert math.isnan(optimal_gain_fraction(*args))


def test_frontier_reward_at():
    pts = [
        FrontierPoint(0.5, 0.5, 4.0, 10.0, False),
        FrontierPoint(1.0, 0.2, 1.0, 100.0, True),
        FrontierPoint(4.0, 0.1, 0.25, 500.0, True),
    ]
    # budget 2 between kl 1 and 4: 0.2 + 0.3·log(2/1)/log(4/1) = 0.35; the kl-4 point is untrusted.
    assert optimum_at(pts, 2.0) == (approx(0.35), False)
    # budget 0.5 between kl 0.25 and 1: 0.1 + 0.1·log(0.5/0.25)/log(1/0.25) = 0.1 + 0.1·0.5 = 0.15, both trusted.
    assert optimum_at(pts, 0.5) == (approx(0.15), True)
    assert optimum_at(pts, 1.0) == (0.2, True)
    for budget in (8.0, 0.1):
        r, trusted = optimum_at(pts, budget)
        assert math.isnan(r) and trusted is False


def test_reward_within_a_budget_stays_at_the_best_point_while_the_grid_reaches_further():
    from pobench.reports.frontier import reach_within, reward_within

    # (8, 0.45) is dominated by (4, 0.5): the envelope ends at KL 4, but the grid went as far as KL 8
    points = [(1.0, 0.2), (4.0, 0.5), (8.0, 0.45)]
    assert reward_within(points, 2.0) == pytest.approx(0.35)  # 0.2 + 0.3·log(2)/log(4), on the envelope
    assert reward_within(points, 6.0) == 0.5 and reach_within(points, 6.0) == "ok"  # at KL ≤ 6 the best is 0.5
    assert math.isnan(reward_within(points, 10.0)) and reach_within(points, 10.0) == "not reached"
    assert math.isnan(reward_within(points, 0.5)) and reach_within(points, 0.5) == "below grid"
    assert reach_within([], 1.0) == "no points"
