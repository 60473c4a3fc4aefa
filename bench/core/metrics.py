"""Pure functions behind every evaluation metric (docs/methodology.md, "Metrics"). Tested on hand-worked numbers.

Samples come prompt-major: k samples per prompt, prompts in order. Standard errors treat the
prompt as the unit (the mean of its k samples), since samples of one prompt are correlated; with
k = 1 this is the usual standard error of the mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pobench.core.inference import mean_se


def per_prompt_means(values: Sequence[float], k: int) -> list[float]:
    """Average each consecutive group of ``k`` samples (one group per prompt)."""
    if k <= 0 or len(values) % k:
        raise ValueError(f"{len(values)} values do not split into groups of k={k}")
    return [sum(values[i : i + k]) / k for i in range(0, len(values), k)]


def clustered_mean_se(values: Sequence[float], k: int) -> tuple[float, float]:
    """Mean over all samples, standard error over prompts (clusters of k samples)."""
    return mean_se(per_prompt_means(values, k))


def fixed_prompt_se(values: Sequence[float], k: int) -> float:
    """The standard error of the mean from sampling alone, the prompts held fixed: √(Σ_p s²_p / k) / P, with s²_p
    the variance of prompt p's k samples (n − 1 in the denominator). Every cell is evaluated on the same prompts, so
    their difficulty is a fixed effect of a comparison, not noise; ``clustered_mean_se`` also counts the spread
    between prompts (the error if the prompts were drawn anew). NaN for k = 1 (no within-prompt variance)."""
    if k < 2:
        return float("nan")
    means = per_prompt_means(values, k)
    within = [sum((v - m) ** 2 for v in values[i * k : (i + 1) * k]) / (k - 1) for i, m in enumerate(means)]
    return (sum(within) / k) ** 0.5 / len(means)


def sequence_kl(policy_logps: Sequence[torch.Tensor], ref_logps: Sequence[torch.Tensor]) -> list[float]:
    """Per sample Σ_t [log π(y_t|x,y_<t) − log π_ref(y_t|x,y_<t)] over its response tokens.

    With y drawn from π, the mean of these is an unbiased estimate of KL(π‖π_ref) per sequence.
    """
    return [float((p - r).sum()) for p, r in zip(policy_logps, ref_logps, strict=True)]


def kl_metrics(policy_logps: Sequence[torch.Tensor], ref_logps: Sequence[torch.Tensor], k: int) -> dict[str, float]:
    """Sequence-level KL (mean, SE over prompts) and per-token KL (total log-ratio / total tokens), from the
    sampled log-ratios."""
    return _sequence_kl_metrics(sequence_kl(policy_logps, ref_logps), sum(len(p) for p in policy_logps), k)


def expected_kl_metrics(token_kls: Sequence[torch.Tensor], k: int) -> dict[str, float]:
    """The same three numbers from each sample's exact next-token KLs (pobench.core.generation.score_pair): per
    sample Σ_t KL(π(·|y<t) ‖ π_ref(·|y<t)), the conditional expectation of the sampled log-ratio given the
    sampled prefix at every position (Rao-Blackwellized), so unbiased for KL(π‖π_ref), never negative, and of no
    more variance."""
    return _sequence_kl_metrics([float(t.sum()) for t in token_kls], sum(len(t) for t in token_kls), k)


def _sequence_kl_metrics(seq: Sequence[float], tokens: int, k: int) -> dict[str, float]:
    kl, kl_se = clustered_mean_se(seq, k)
    return {"kl": kl, "kl_se": kl_se, "kl_per_token": sum(seq) / tokens if tokens else 0.0}


def win_rate(policy_gold: Sequence[float], ref_gold: Sequence[float], k: int) -> tuple[float, float]:
    """P(policy sample beats reference sample on the same prompt), ties half; mean and SE over prompts.

    Within a prompt every policy sample meets every reference sample (k × k comparisons).
    """
    if len(policy_gold) != len(ref_gold):
        raise ValueError(f"{len(policy_gold)} policy samples but {len(ref_gold)} reference samples")
    per_prompt = []
    for i in range(0, len(policy_gold), k):
        mine, theirs = policy_gold[i : i + k], ref_gold[i : i + k]
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in mine for b in theirs)
        per_prompt.append(wins / (len(mine) * len(theirs)))
    return mean_se(per_prompt)


def analytic_kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> float:
    """Exact KL(p‖q) between two categorical distributions given by logits (last dimension)."""
    p_logp, q_logp = torch.log_softmax(p_logits.double(), -1), torch.log_softmax(q_logits.double(), -1)
    return float((p_logp.exp() * (p_logp - q_logp)).sum(-1).sum())


def least_squares_line(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """Ordinary least squares of ``y`` on ``x``: (intercept a, slope b, R²) of y ≈ a + b·x, with
    b = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², a = ȳ − b·x̄ and R² = 1 − Σ(y − a − b·x)² / Σ(y − ȳ)². A constant x gives
    b = 0 (the line is the mean of y); a constant y gives R² = 1 when it is fitted exactly."""
    if len(x) != len(y) or not x:
        raise ValueError(f"least squares needs equal, non-empty lists: {len(x)} x, {len(y)} y")
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    slope = sxy / sxx if sxx > 0 else 0.0
    intercept = my - slope * mx
    syy = sum((b - my) ** 2 for b in y)
    residual = sum((b - intercept - slope * a) ** 2 for a, b in zip(x, y))
    r2 = 1.0 - residual / syy if syy > 0 else 1.0
    return intercept, slope, r2


def pair_accuracy(chosen: Sequence[float], rejected: Sequence[float]) -> tuple[float, float]:
    """Share of pairs whose ``chosen`` score is above the ``rejected`` one, a tie counting half, with its standard
    error over pairs (√(s²/n) of the per-pair 1, ½, 0)."""
    if len(chosen) != len(rejected) or not chosen:
        raise ValueError(f"pair accuracy needs equal, non-empty lists: {len(chosen)} chosen, {len(rejected)} rejected")
    return mean_se([1.0 if c > r else 0.5 if c == r else 0.0 for c, r in zip(chosen, rejected)])
