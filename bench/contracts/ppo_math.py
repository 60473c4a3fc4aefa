"""The arithmetic of PPO for language models (docs/algorithms.md; algorithms/ppo.py describes the loop).

Pure functions, tensors in and tensors out, no models and no state, so each one can be checked
against numbers worked by hand (tests/unit/test_ppo_math.py). Shapes: B sequences by T token positions;
``mask`` (B, T) is 1 on response tokens and 0 elsewhere (prompt, padding). A row's response is one
contiguous run of ones, and rows differ in where it starts and how long it is.
"""

from __future__ import annotations

import torch


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` over positions where ``mask`` is 1. values, mask (B, T) → scalar."""
    total = mask.sum()
    if total <= 0:
        raise ValueError(f"masked_mean: the mask selects no position (mask sum {float(total)}); nothing to average")
    return (values * mask).sum() / total


def masked_whiten(values: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """(x − mean) / sqrt(var + eps) over the masked positions; 0 at unmasked ones. (B, T) → (B, T).

    The variance is the population variance (divide by the count, not count − 1), so whitened values
    have exactly mean 0 and variance 1 (up to eps) over the mask. Used to give advantages a fixed
    scale, whatever the reward's scale.
    """
    mean = masked_mean(values, mask)
    var = masked_mean((values - mean) ** 2, mask)
    return (values - mean) * torch.rsqrt(var + eps) * mask


def last_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Column of each row's last response token. mask (B, T) → (B,) long. Every row needs one."""
    empty = (mask.sum(dim=1) <= 0).nonzero().flatten().tolist()
    if empty:
        raise ValueError(f"rows {empty} have no response token (their mask is all zero)")
    columns = torch.arange(mask.shape[1], device=mask.device)  # (T,)
    return (columns * (mask > 0)).argmax(dim=1)  # (B,): the largest masked column


def kl_shaped_rewards(
    logprobs_old: torch.Tensor, ref_logprobs: torch.Tensor, scores: torch.Tensor, mask: torch.Tensor, beta: float
) -> torch.Tensor:
    """Per-token reward r_t = −β·(log π_old − log π_ref)_t, plus the sequence's score at its last token.

    logprobs_old, ref_logprobs, mask (B, T); scores (B,) → rewards (B, T), 0 outside the mask. The KL
    penalty keeps the policy near the reference token by token; the score arrives once, at the end,
    because the reward model judges the whole response.
    """
    rewards = -beta * (logprobs_old - ref_logprobs) * mask  # (B, T)
    last = last_token_index(mask)  # (B,)
    rows = torch.arange(rewards.shape[0], device=rewards.device)
    rewards[rows, last] += scores.to(rewards.dtype)
    return rewards


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalized advantage estimation (Schulman et al., 2016) over each row's response tokens.

    δ_t = r_t + γ·V_{t+1} − V_t and A_t = δ_t + γλ·A_{t+1}, with V and A after the last response token
    taken as 0 (the episode ends there); returns R_t = A_t + V_t, the critic's regression target.
    rewards, values, mask (B, T) → advantages (B, T), returns (B, T), both 0 outside the mask.
    """
    mask = mask.to(values.dtype)
    values = values * mask  # (B, T): padding never leaks a value into a neighbour's δ
    advantages = torch.zeros_like(values)  # (B, T)
    next_value = torch.zeros_like(values[:, 0])  # (B,)
    next_advantage = torch.zeros_like(values[:, 0])  # (B,)
    for t in reversed(range(values.shape[1])):
        delta = rewards[:, t] * mask[:, t] + gamma * next_value - values[:, t]  # (B,)
        advantages[:, t] = (delta + gamma * lam * next_advantage) * mask[:, t]
        next_value, next_advantage = values[:, t], advantages[:, t]
    return advantages, (advantages + values) * mask


def clipped_surrogate_loss(
    logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor, clip_eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's actor loss: masked mean of −min(ρ·A, clip(ρ, 1−ε, 1+ε)·A), ρ = exp(log π − log π_old).

    All inputs (B, T) → (loss, clip_fraction), both scalars. clip_fraction is the share of response
    tokens whose ratio lies outside [1−ε, 1+ε] (CleanRL's definition), a health signal: near 0 the
    policy barely moves, near 1 every step is being clipped.
    """
    ratio = torch.exp(logprobs - old_logprobs)  # (B, T)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    loss = masked_mean(-torch.minimum(unclipped, clipped), mask)
    clip_fraction = masked_mean(((ratio - 1.0).abs() > clip_eps).to(logprobs.dtype), mask)
    return loss, clip_fraction


def clipped_value_loss(
    values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor, clip_v: float
) -> torch.Tensor:
    """The critic's loss: ½·masked mean of max((V − R)², (clip(V, V_old − ε_v, V_old + ε_v) − R)²).

    All inputs (B, T) → scalar. Taking the larger error means a step that moves V far from V_old
    earns no credit for it, the critic's counterpart of the actor's clipped ratio.
    """
    clipped = old_values + torch.clamp(values - old_values, -clip_v, clip_v)  # (B, T)
    worst = torch.maximum((values - returns) ** 2, (clipped - returns) ** 2)
    return 0.5 * masked_mean(worst, mask)


def approx_kl(logprobs: torch.Tensor, old_logprobs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """KL(π_old ‖ π) per token by the k3 estimator: masked mean of (ρ − 1) − log ρ, ρ = π / π_old.

    (B, T) → scalar. On tokens sampled from π_old it is unbiased and never negative (Schulman's
    "Approximating KL divergence"; CleanRL's approx_kl). How far one update moved the policy.
    """
    log_ratio = logprobs - old_logprobs  # (B, T)
    return masked_mean(torch.expm1(log_ratio) - log_ratio, mask)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the categorical distribution at each position: logits (B, T, V) → (B, T), in nats."""
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    logp = torch.log_softmax(logits, dim=-1)  # (B, T, V)
    return -(logp.exp() * logp).sum(dim=-1)


def adaptive_kl_coef(beta: float, current_kl: float, target_kl: float, n_steps: int, horizon: int) -> float:
    """Ziegler et al. (2019)'s adaptive KL controller, one update: the new β.

    error = clip(KL / KL_target − 1, −0.2, 0.2); β ← β·(1 + error·n_steps / horizon). KL above the
    target raises β (a stronger pull to the reference), below it lowers β; n_steps is how many
    samples the update saw, so β moves at the same speed per sample whatever the batch size.
    """
    if target_kl <= 0:
        raise ValueError(f"target_kl={target_kl}: must be > 0 for the adaptive controller (0 means a fixed β)")
    if horizon <= 0:
        raise ValueError(f"horizon={horizon}: must be > 0")
    error = min(max(current_kl / target_kl - 1.0, -0.2), 0.2)
    return beta * (1.0 + error * n_steps / horizon)
