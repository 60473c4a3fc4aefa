"""PPO's arithmetic (bench/contracts/ppo_math.py) against numbers worked by hand in each docstring."""

import math

import pytest
import torch
from pobench.contracts.ppo_math import (
    adaptive_kl_coef,
    approx_kl,
    clipped_surrogate_loss,
    clipped_value_loss,
    entropy_from_logits,
    gae,
    kl_shaped_rewards,
    last_token_index,
    masked_mean,
    masked_whiten,
)
from torch.testing import assert_close

F64 = torch.float64


def t(*rows):
    return torch.tensor(rows, dtype=F64)


def test_masked_mean_and_empty_mask():
    """(1 + 3) / 2 = 2: the 100 under a 0 in the mask counts for nothing."""
    assert masked_mean(t([1.0, 3.0, 100.0]), t([1, 1, 0])).item() == 2.0
    with pytest.raises(ValueError, match="selects no position"):
        masked_mean(t([1.0]), t([0]))


def test_masked_whiten_by_hand():
    """(1, 2, 3 | pad 100): mean 2; population variance (1 + 0 + 1) / 3 = 2/3; std = 0.816497;
    whitened (−1/0.816497, 0, 1/0.816497) = (−1.224745, 0, 1.224745); the padding gives 0."""
    got = masked_whiten(t([1.0, 2.0, 3.0, 100.0]), t([1, 1, 1, 0]), eps=0.0)
    assert_close(got, t([-math.sqrt(1.5), 0.0, math.sqrt(1.5), 0.0]))


def test_last_token_index_and_rows_without_response():
    """Masks (1,1,0,0) → column 1; (0,1,1,1) → column 3 (a response after a prompt)."""
    assert last_token_index(t([1, 1, 0, 0], [0, 1, 1, 1])).tolist() == [1, 3]
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        last_token_index(t([1, 0], [0, 0]))


def test_kl_shaped_rewards_by_hand():
    """β = 0.1.
    row 0 (3 tokens): log π_old − log π_ref = (−1 + 1.5, −2 + 1, −0.5 + 0.5) = (0.5, −1, 0)
        → r = (−0.05, +0.1, 0) and the score 2.0 at the last token → (−0.05, 0.1, 2.0)
    row 1 (2 tokens, then padding holding junk 7 and −9): ratio (0.2, 0) → (−0.02, 0), score −1 at
        column 1 → (−0.02, −1.0, 0): the padding column gets neither penalty nor score."""
    old = t([-1.0, -2.0, -0.5], [-0.2, -0.3, 7.0])
    ref = t([-1.5, -1.0, -0.5], [-0.4, -0.3, -9.0])
    mask = t([1, 1, 1], [1, 1, 0])
    got = kl_shaped_rewards(old, ref, t(2.0, -1.0), mask, beta=0.1)
    assert_close(got, t([-0.05, 0.1, 2.0], [-0.02, -1.0, 0.0]))


def test_gae_three_tokens_gamma_1_lambda_half():
    """γ = 1, λ = 0.5, r = (0, 0, 1), V = (0.5, 0.4, 0.8); V after the last token is 0.
    t=2: δ = 1 + 1·0 − 0.8 = 0.2;     A = 0.2
    t=1: δ = 0 + 1·0.8 − 0.4 = 0.4;   A = 0.4 + 0.5·0.2 = 0.5
    t=0: δ = 0 + 1·0.4 − 0.5 = −0.1;  A = −0.1 + 0.5·0.5 = 0.15
    returns = A + V = (0.65, 0.9, 1.0)."""
    adv, ret = gae(t([0.0, 0.0, 1.0]), t([0.5, 0.4, 0.8]), t([1, 1, 1]), gamma=1.0, lam=0.5)
    assert_close(adv, t([0.15, 0.5, 0.2]))
    assert_close(ret, t([0.65, 0.9, 1.0]))


def test_gae_discounting_gamma_half_lambda_1():
    """γ = 0.5, λ = 1, same r and V.
    t=2: δ = 1 − 0.8 = 0.2;               A = 0.2
    t=1: δ = 0 + 0.5·0.8 − 0.4 = 0;        A = 0 + 0.5·0.2 = 0.1
    t=0: δ = 0 + 0.5·0.4 − 0.5 = −0.3;     A = −0.3 + 0.5·0.1 = −0.25."""
    adv, _ = gae(t([0.0, 0.0, 1.0]), t([0.5, 0.4, 0.8]), t([1, 1, 1]), gamma=0.5, lam=1.0)
    assert_close(adv, t([-0.25, 0.1, 0.2]))


def test_gae_padding_and_offsets_change_nothing():
    """Row 0 is the 3-token case above placed after a prompt column (mask 0,1,1,1) whose junk value 5
    and reward 3 must not matter: A = (0, 0.15, 0.5, 0.2). Row 1 is a 2-token response, then padding
    with junk value 9 and reward 4: γ = 1, λ = 0.5, r = (0.2, −0.5), V = (0.1, 0.3):
    t=1: δ = −0.5 + 0 − 0.3 = −0.8, A = −0.8;  t=0: δ = 0.2 + 0.3 − 0.1 = 0.4, A = 0.4 + 0.5·(−0.8) = 0
    → A = (0, −0.8, 0, 0), returns (0.1, −0.5, 0, 0). The junk 9 after the response is not V_{t+1}."""
    rewards = t([3.0, 0.0, 0.0, 1.0], [0.2, -0.5, 4.0, 4.0])
    values = t([5.0, 0.5, 0.4, 0.8], [0.1, 0.3, 9.0, 9.0])
    mask = t([0, 1, 1, 1], [1, 1, 0, 0])
    adv, ret = gae(rewards, values, mask, gamma=1.0, lam=0.5)
    assert_close(adv, t([0.0, 0.15, 0.5, 0.2], [0.0, -0.8, 0.0, 0.0]))
    assert_close(ret, t([0.0, 0.65, 0.9, 1.0], [0.1, -0.5, 0.0, 0.0]))


def test_surrogate_unclipped_equals_plain_policy_gradient_loss():
    """ε = 0.2, ratios 1.1 and 0.9 (inside [0.8, 1.2]), A = (2, −1):
    −min(ρA, clip(ρ)A) = −ρA = (−2.2, +0.9); mean = −0.65; no token is clipped."""
    old = t([-1.0, -2.0])
    new = old + torch.log(t([1.1, 0.9]))
    loss, frac = clipped_surrogate_loss(new, old, t([2.0, -1.0]), t([1, 1]), clip_eps=0.2)
    assert_close(loss, torch.tensor(-0.65, dtype=F64))
    assert frac.item() == 0.0


def test_surrogate_clipped_by_hand_and_clipped_tokens_get_no_gradient():
    """ε = 0.2; per token (ρ, A) → −min(ρA, clip(ρ, 0.8, 1.2)·A):
    (1.1,  2) → −min(2.2, 2.2)  = −2.2   ratio inside: not clipped
    (1.5,  1) → −min(1.5, 1.2)  = −1.2   clipped: the gain is capped
    (0.5, −1) → −min(−0.5, −0.8) = +0.8  clipped: the pessimistic bound
    (0.5,  1) → −min(0.5, 0.8)  = −0.5   ratio outside but the min takes the unclipped term
    plus a padding token (ρ = 9, A = 100) that must count for nothing.
    loss = (−2.2 − 1.2 + 0.8 − 0.5) / 4 = −0.775; clip fraction (|ρ − 1| > 0.2) = 3/4.
    d loss / d log π = −ρA/4 where the unclipped term is taken, 0 where the clipped one is:
    (−0.55, 0, 0, −0.125, 0)."""
    old = t([-1.0, -1.0, -1.0, -1.0, -1.0])
    new = (old + torch.log(t([1.1, 1.5, 0.5, 0.5, 9.0]))).requires_grad_(True)
    adv = t([2.0, 1.0, -1.0, 1.0, 100.0])
    loss, frac = clipped_surrogate_loss(new, old, adv, t([1, 1, 1, 1, 0]), clip_eps=0.2)
    assert_close(loss, torch.tensor(-0.775, dtype=F64))
    assert_close(frac, torch.tensor(0.75, dtype=F64))
    loss.backward()
    assert_close(new.grad, t([-0.55, 0.0, 0.0, -0.125, 0.0]))


def test_clipped_value_loss_by_hand():
    """ε_v = 0.2, per token (V, V_old, R):
    (1.0, 0.5, 1.2): (V−R)² = 0.04; clip(V) = 0.7 → (0.7−1.2)² = 0.25; max 0.25
    (0.6, 0.5, 0.0): V inside [0.3, 0.7] → both 0.36; max 0.36
    (0.0, 0.5, 0.0): (V−R)² = 0; clip(V) = 0.3 → 0.09; max 0.09
    padding (50, 0, −50) counts for nothing. loss = ½·(0.25 + 0.36 + 0.09)/3 = 0.7/6 = 0.116667."""
    values, old = t([1.0, 0.6, 0.0, 50.0]), t([0.5, 0.5, 0.5, 0.0])
    returns, mask = t([1.2, 0.0, 0.0, -50.0]), t([1, 1, 1, 0])
    assert_close(clipped_value_loss(values, old, returns, mask, clip_v=0.2), torch.tensor(0.7 / 6, dtype=F64))


def test_approx_kl_k3_by_hand():
    """log ρ = (0, ln 2): k3 = (ρ − 1) − log ρ = 0 and 1 − ln 2 = 0.306853; mean 0.153426.
    Identical log-probs give exactly 0."""
    old = t([-1.0, -2.0, -3.0])
    new = old + t([0.0, math.log(2.0), 5.0])
    assert_close(approx_kl(new, old, t([1, 1, 0])), torch.tensor((1 - math.log(2)) / 2, dtype=F64))
    assert approx_kl(old, old, t([1, 1, 1])).item() == 0.0


def test_entropy_by_hand():
    """p = (½, ½): ln 2 = 0.693147; p = (¼, ¾): −(¼ ln ¼ + ¾ ln ¾) = 0.562335."""
    logits = torch.log(t([0.5, 0.5], [0.25, 0.75])).unsqueeze(0)  # (1, 2, 2)
    expected = t([math.log(2), -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))])  # (1, 2)
    assert_close(entropy_from_logits(logits), expected)


def test_adaptive_kl_controller_by_hand():
    """β = 0.1, target 6, 64 samples, horizon 10,000 (so n/horizon = 0.0064):
    KL 9   → error 9/6 − 1 = 0.5, clipped to 0.2 → β = 0.1·(1 + 0.2·0.0064) = 0.100128
    KL 5.4 → error −0.1 (inside the clip)      → β = 0.1·(1 − 0.1·0.0064) = 0.099936
    KL 6   → error 0                            → β unchanged."""
    assert adaptive_kl_coef(0.1, 9.0, 6.0, 64, 10_000) == pytest.approx(0.100128, abs=1e-12)
    assert adaptive_kl_coef(0.1, 5.4, 6.0, 64, 10_000) == pytest.approx(0.099936, abs=1e-12)
    assert adaptive_kl_coef(0.1, 6.0, 6.0, 64, 10_000) == pytest.approx(0.1, abs=1e-15)
    with pytest.raises(ValueError, match="target_kl=0"):
        adaptive_kl_coef(0.1, 1.0, 0.0, 64, 10_000)
