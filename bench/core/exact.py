"""Exact quantities on an enumerable task: pure functions of per-response arrays for one prompt.

A prompt's responses are the leaves of its generation tree (bench/core/enumeration.py); each array here has one
entry per leaf: log-probabilities under a policy or the reference, gold rewards, labeler scores, token counts.
Everything is float64 numpy, and checked against sums worked by hand in tests/unit/test_exact.py.

Targets (what an algorithm converges to in the population limit, for a reference π_ref and scores s):

- KL-regularized reward maximization (PPO, RLOO with the reward in their objective and a KL penalty β in the
  reward): π*_β ∝ π_ref·exp(s/β);
- DPO on Bradley–Terry labels with temperature T (P(y ≻ y') = σ((s − s')/T)): π_ref·exp(s/(T·β)), since the
  implicit reward β·log(π/π_ref) fits the labeler's log-odds s/T;
- IPO (Azar et al., 2023, Prop. 4 / Eq. 17) on pairs drawn from μ: g(y) = P(y ≻ μ)/τ + c, with g = log(π/π_ref),
  or g = log(π/π_ref)/|y| when the log-ratios are averaged per token as TRL does; c then normalizes π.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, logsumexp

# scipy.optimize (brentq, for the two root-finds below) is imported where it is used: it costs ~0.8 s, and every
# adapter module imports this one through its target, so at module top it would slow every pobench command.


def normalize_log(logits: np.ndarray) -> np.ndarray:
    """log of softmax(logits) over the responses."""
    logits = np.asarray(logits, dtype=float)
    return logits - logsumexp(logits)


def expected(log_p: np.ndarray, values: np.ndarray) -> float:
    """E_p[values] = Σ p·values."""
    return float(np.dot(np.exp(log_p), values))


def kl(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """KL(p‖q) = Σ p·(log p − log q); responses with p = 0 add 0."""
    p = np.exp(log_p)
    live = p > 0
    return float(np.dot(p[live], log_p[live] - log_q[live]))


def tv(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """Total variation ½·Σ |p − q|."""
    return 0.5 * float(np.abs(np.exp(log_p) - np.exp(log_q)).sum())


def tilt(ref_log_p: np.ndarray, scores: np.ndarray, scale: float) -> np.ndarray:
    """log π with π ∝ π_ref·exp(scores/scale): the KL-regularized optimum, and DPO's target with scale T·β."""
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    return normalize_log(ref_log_p + np.asarray(scores, dtype=float) / scale)


def win_probability(ref_log_p: np.ndarray, scores: np.ndarray, temperature: float) -> np.ndarray:
    """P(y ≻ μ) = Σ_y' μ(y')·σ((s_y − s_y')/T) for every response y, μ = exp(ref_log_p) (pairs drawn from it).

    Summed over the distinct scores, not the responses: many responses share a score (every floored one)."""
    scores = np.asarray(scores, dtype=float)
    values, inverse = np.unique(scores, return_inverse=True)
    mass = np.bincount(inverse, weights=np.exp(ref_log_p), minlength=values.size)  # μ(score = v)
    per_value = expit((values[:, None] - values[None, :]) / temperature) @ mass
    return per_value[inverse]


def ipo_target(
    ref_log_p: np.ndarray, scores: np.ndarray, temperature: float, tau: float, lengths: np.ndarray | None = None
) -> np.ndarray:
    """log π of IPO's population optimum on pairs drawn from π_ref and labelled by Bradley–Terry(T).

    ``lengths`` None: log(π/π_ref) = P(y ≻ μ)/τ + c (the paper). Given token counts: the log-ratio averaged per
    token is what is fitted (TRL), so log(π/π_ref) = |y|·(P(y ≻ μ)/τ + c), with c the root of Σ π = 1."""
    g = win_probability(ref_log_p, scores, temperature) / tau
    if lengths is None:
        return normalize_log(ref_log_p + g)
    from scipy.optimize import brentq

    lengths = np.asarray(lengths, dtype=float)

    def log_mass(c: float) -> float:
        return float(logsumexp(ref_log_p + lengths * (g + c)))

    lo, hi = -float(g.max()) - 1.0, -float(g.min()) + 1.0  # log_mass(lo) < 0 < log_mass(hi): lengths ≥ 1
    c = brentq(log_mass, lo, hi, xtol=1e-14)
    return normalize_log(ref_log_p + lengths * (g + c))


def best_of_n_log_probs(ref_log_p: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """log π of best-of-n: draw n responses from π_ref, keep the highest score (ties split evenly).

    P(keep a response with score v) = [F(v)^n − F(v⁻)^n] shared in proportion to π_ref among responses
    scoring v, F the score's distribution function under π_ref."""
    scores = np.asarray(scores, dtype=float)
    p = np.exp(ref_log_p)
    values, inverse = np.unique(scores, return_inverse=True)
    mass = np.bincount(inverse, weights=p, minlength=values.size)
    cdf = np.cumsum(mass)
    below = cdf - mass
    share = (np.clip(cdf, 0, 1) ** n - np.clip(below, 0, 1) ** n) / np.where(mass > 0, mass, 1.0)
    with np.errstate(divide="ignore"):
        return np.log(p * share[inverse])


def matched_beta(kl_of_beta, kl_target: float, lo: float = 1e-4, hi: float = 1e4) -> float:
    """The β at which the frontier's KL equals ``kl_target`` (KL falls as β grows); inf when the target is ~0,
    ``lo`` when it lies past the frontier's reach at β = ``lo``."""
    from scipy.optimize import brentq

    if kl_target <= 1e-12:
        return math.inf
    if kl_of_beta(lo) <= kl_target:
        return lo
    if kl_of_beta(hi) >= kl_target:
        return hi
    return math.exp(brentq(lambda lb: kl_of_beta(math.exp(lb)) - kl_target, math.log(lo), math.log(hi), xtol=1e-10))
