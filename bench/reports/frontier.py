"""Compare preference-optimization methods at matched KL budgets: the optimal KL-regularized frontier, best-of-n,
each method's per-seed reward-vs-KL envelope read at a budget, ranks where marginal intervals separate, rank
labels, and the percentile bootstrap the intervals over seeds used to be (Student-t now, bench/core/inference.py).

Pure functions of plain numbers (numpy + scipy), checked against values worked by hand in tests/unit/test_frontier.py.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pobench.algorithms.best_of_n import best_of_n_kl_bound
from scipy.special import logsumexp

# KL estimates at or below this (they can be slightly negative) are treated as this for log interpolation
KL_FLOOR = 1e-3


@dataclass(frozen=True)
class FrontierPoint:
    beta: float
    reward: float  # E_{π*_β}[r], averaged over prompts
    kl: float  # KL(π*_β‖π_ref) per sequence, averaged over prompts
    ess: float  # median over prompts of the effective sample size (inf for exact)
    trusted: bool  # estimate trustworthy at this β (ess >= min_ess); always True for exact


def _check_betas(betas: Sequence[float]) -> list[float]:
    out = [float(b) for b in betas]
    for b in out:
        if not (b > 0 and math.isfinite(b)):
            raise ValueError(f"every beta must be a finite number > 0, got {b}")
    return out


def _finite_array(values: Sequence[float], what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what} must be a non-empty list of numbers")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains a NaN or infinite reward")
    return arr


def optimal_frontier_from_samples(
    rewards: Sequence[Sequence[float]], betas: Sequence[float], min_ess: float = 16.0
) -> list[FrontierPoint]:
    """Self-normalized importance-sampling estimate of π*_β ∝ π_ref·exp(r/β) from K samples of π_ref per prompt.

    ``rewards[p]`` holds the gold rewards of the K samples drawn from π_ref(·|x_p). Per prompt the weights are
    w_i = softmax(r/β)_i, R* = Σ w_i r_i, KL* = R*/β − log((1/K)·Σ_j exp(r_j/β)) = Σ w_i log(K·w_i), ESS = 1/Σ w_i².
    KL* ≤ log K always (the weights live on K samples), so small β saturates; ``trusted`` flags ess >= min_ess.
    """
    if len(rewards) == 0:
        raise ValueError("no prompts: rewards is empty")
    per_prompt = [_finite_array(r, f"rewards of prompt {p}") for p, r in enumerate(rewards)]
    points = []
    for beta in _check_betas(betas):
        rs, kls, esss = [], [], []
        for r in per_prompt:
            s = r / beta
            log_w = s - logsumexp(s)  # max-subtracted: no overflow for tiny β
            w = np.exp(log_w)
            rs.append(float(np.dot(w, r)))
            kls.append(float(np.dot(w, log_w)) + math.log(r.size))  # Σ w log(K w): no R*/β − log-mean cancellation
            esss.append(float(1.0 / np.dot(w, w)))
        ess = float(np.median(esss))
        points.append(FrontierPoint(beta, float(np.mean(rs)), float(np.mean(kls)), ess, bool(ess >= min_ess)))
    return points


def optimal_frontier_exact(
    probs: Sequence[Sequence[float]], rewards: Sequence[Sequence[float]], betas: Sequence[float]
) -> list[FrontierPoint]:
    """The frontier by exact enumeration: ``probs[p]`` is π_ref over prompt p's responses, ``rewards[p]`` their rewards.

    π* ∝ probs·exp(r/β); reward = Σ π* r, kl = Σ π* log(π*/probs) (responses with π* = 0 add 0), averaged over prompts.
    """
    if len(probs) == 0 or len(probs) != len(rewards):
        raise ValueError(
            f"need one probs row per rewards row and at least one prompt, got {len(probs)} and {len(rewards)}"
        )
    rows = []
    for p, (pr, r) in enumerate(zip(probs, rewards)):
        pr, r = np.asarray(pr, dtype=float), _finite_array(r, f"rewards of prompt {p}")
        if pr.shape != r.shape:
            raise ValueError(f"prompt {p}: {pr.size} probabilities for {r.size} rewards")
        if np.any(pr < 0) or abs(pr.sum() - 1.0) > 1e-6:
            raise ValueError(f"prompt {p}: probs must be non-negative and sum to 1 (sum is {pr.sum()})")
        rows.append((pr, r))
    points = []
    for beta in _check_betas(betas):
        rs, kls = [], []
        for pr, r in rows:
            live = pr > 0
            logits = np.log(pr[live]) + r[live] / beta
            log_pi = logits - logsumexp(logits)
            pi = np.exp(log_pi)
            rs.append(float(np.dot(pi, r[live])))
            kls.append(float(np.dot(pi, log_pi - np.log(pr[live]))))
        points.append(FrontierPoint(beta, float(np.mean(rs)), float(np.mean(kls)), math.inf, True))
    return points


def expected_max_of_n(rewards: Sequence[float], n: int) -> float:
    """Unbiased U-statistic estimate of E[max of n i.i.d. draws] from K ≥ n samples.

    With r_(1) ≤ … ≤ r_(K): Σ_{i=n}^{K} r_(i)·C(i−1, n−1)/C(K, n), the weights as exact integer ratios.
    """
    r = sorted(_finite_array(rewards, "rewards").tolist())
    k = len(r)
    if not 1 <= n <= k:
        raise ValueError(f"n must be between 1 and the number of samples {k}, got {n}")
    total = math.comb(k, n)
    return math.fsum(r[i - 1] * (math.comb(i - 1, n - 1) / total) for i in range(n, k + 1))


def best_of_n_curve(rewards: Sequence[Sequence[float]], ns: Sequence[int]) -> list[tuple[int, float, float]]:
    """(n, KL bound, mean over prompts of expected_max_of_n) for each n."""
    if len(rewards) == 0:
        raise ValueError("no prompts: rewards is empty")
    return [(n, best_of_n_kl_bound(n), float(np.mean([expected_max_of_n(r, n) for r in rewards]))) for n in ns]


def upper_envelope(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The Pareto points (low kl, high reward) of (kl, reward) pairs, by kl ascending; non-finite points dropped."""
    finite = [(float(k), float(r)) for k, r in points if math.isfinite(k) and math.isfinite(r)]
    out: list[tuple[float, float]] = []
    for k, r in sorted(finite, key=lambda p: (p[0], -p[1])):
        if not out or r > out[-1][1]:  # a point with no more reward than one at smaller-or-equal kl is dominated
            out.append((k, r))
    return out


def on_envelope(rewards: Sequence[float], kls: Sequence[float]) -> list[bool]:
    """Which (reward, KL) points lie on the upper envelope: no other point has at least as much reward at at most as
    much KL, one of them strictly (the Pareto front). Points that tie exactly are all on it (the envelope itself keeps
    one of them); a point with a non-finite value never is."""
    kept = set(upper_envelope(list(zip(kls, rewards))))
    return [math.isfinite(k) and math.isfinite(r) and (float(k), float(r)) in kept for r, k in zip(rewards, kls)]


def bracket(kls: Sequence[float], budget: float) -> tuple[int, int, float] | None:
    """Neighbours (i0, i1, t) of the floored budget among floored, strictly increasing kls; None outside."""
    if math.isnan(budget):
        raise ValueError("budget is NaN")
    b = max(budget, KL_FLOOR)
    if not kls or b < kls[0] or b > kls[-1]:
        return None
    i = bisect_left(kls, b)
    if kls[i] == b:
        return i, i, 0.0
    return i - 1, i, math.log(b / kls[i - 1]) / math.log(kls[i] / kls[i - 1])


def _floored(envelope: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    # kls at or below the floor collapse onto it; the best reward there is the one that counts
    return upper_envelope([(max(k, KL_FLOOR), r) for k, r in envelope])


def envelope_at(envelope: Sequence[tuple[float, float]], budget: float) -> float:
    """The envelope's reward at KL = budget, linear in log(max(kl, KL_FLOOR)); NaN outside its kl range (no
    extrapolation) or for an empty envelope."""
    env = _floored(envelope)
    br = bracket([k for k, _ in env], budget)
    if br is None:
        return math.nan
    i0, i1, t = br
    return env[i0][1] if i0 == i1 else env[i0][1] + (env[i1][1] - env[i0][1]) * t


def envelope_reach(envelope: Sequence[tuple[float, float]], budget: float) -> str:
    """Why ``envelope_at`` is or is not defined: "ok", "not reached", "below grid" or "no points"."""
    env = _floored(envelope)
    if not env:
        return "no points"
    if math.isnan(budget):
        raise ValueError("budget is NaN")
    b = max(budget, KL_FLOOR)
    return "not reached" if b > env[-1][0] else "below grid" if b < env[0][0] else "ok"


def reward_within(points: Sequence[tuple[float, float]], budget: float) -> float:
    """The best gold reward a method's grid attains at KL ≤ ``budget``: its envelope read at the budget; past the
    envelope's last point, that point's reward, provided some grid point reaches the budget (the method went that
    far and did no better there). NaN when no point reaches the budget or the envelope starts above it."""
    envelope = upper_envelope(points)
    value = envelope_at(envelope, budget)
    if math.isnan(value) and reach_within(points, budget) == "ok":
        return envelope[-1][1]
    return value


def reach_within(points: Sequence[tuple[float, float]], budget: float) -> str:
    """Whether ``reward_within`` has a value: "ok", "not reached" (no grid point has KL ≥ budget), "below grid"
    (every point has KL > budget) or "no points"."""
    envelope = upper_envelope(points)
    if not envelope:
        return "no points"
    why = envelope_reach(envelope, budget)
    furthest = max(max(k, KL_FLOOR) for k, r in points if math.isfinite(k) and math.isfinite(r))
    return "ok" if why == "not reached" and furthest >= max(budget, KL_FLOOR) else why


def optimal_gain_fraction(r_algo: float, r_sft: float, r_star: float) -> float:
    """(r_algo − r_sft)/(r_star − r_sft): the share of the optimal gain over SFT; NaN if undefined."""
    if any(math.isnan(x) for x in (r_algo, r_sft, r_star)) or r_star <= r_sft:
        return math.nan
    return (r_algo - r_sft) / (r_star - r_sft)


def optimum_at(points: Sequence[FrontierPoint], budget: float) -> tuple[float, bool]:
    """The optimal frontier's reward at KL = budget, linear in log(max(kl, KL_FLOOR)) between the bracketing
    points; trusted if both are. (nan, False) outside the frontier's KL range."""
    pts = sorted((p for p in points if math.isfinite(p.kl) and math.isfinite(p.reward)), key=lambda p: p.kl)
    merged: list[tuple[float, FrontierPoint]] = []
    for p in pts:
        k = max(p.kl, KL_FLOOR)
        if merged and merged[-1][0] == k:  # collapsed onto the floor (or equal kl): keep the better reward
            if p.reward > merged[-1][1].reward:
                merged[-1] = (k, p)
        else:
            merged.append((k, p))
    br = bracket([k for k, _ in merged], budget)
    if br is None:
        return math.nan, False
    i0, i1, t = br
    a, b = merged[i0][1], merged[i1][1]
    reward = a.reward if i0 == i1 else a.reward + (b.reward - a.reward) * t
    return reward, a.trusted and b.trusted
