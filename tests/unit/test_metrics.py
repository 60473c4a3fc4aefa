"""Every evaluation metric against numbers worked by hand (the arithmetic is in each docstring)."""

import math

import pytest
import torch
from pobench.core.labeling import bradley_terry_labels, bradley_terry_prob
from pobench.core.metrics import (
    analytic_kl,
    clustered_mean_se,
    kl_metrics,
    mean_se,
    per_prompt_means,
    sequence_kl,
    win_rate,
)
from torch.testing import assert_close


def test_mean_se_by_hand():
    """values 1, 2, 3, 6: mean 3; deviations -2, -1, 0, 3 → squares 4+1+0+9 = 14;
    sample variance 14/3; se = sqrt(14/3 / 4) = sqrt(7/6) = 1.080123..."""
    mean, se = mean_se([1.0, 2.0, 3.0, 6.0])
    assert mean == 3.0
    assert se == pytest.approx(math.sqrt(7 / 6), abs=1e-12)
    assert mean_se([5.0]) == (5.0, 0.0)


def test_clustered_se_uses_prompt_means():
    """k=2: samples (1, 3 | 2, 2 | 0, 6) → prompt means 2, 2, 3; mean 7/3;
    deviations -1/3, -1/3, 2/3 → squares 1/9+1/9+4/9 = 2/3; variance 1/3; se = sqrt(1/9) = 1/3."""
    assert per_prompt_means([1, 3, 2, 2, 0, 6], 2) == [2, 2, 3]
    mean, se = clustered_mean_se([1, 3, 2, 2, 0, 6], 2)
    assert mean == pytest.approx(7 / 3)
    assert se == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        per_prompt_means([1, 2, 3], 2)


def test_sequence_and_token_kl_by_hand():
    """sample 1: log π = (-1, -2), log π_ref = (-1.5, -2.5) → Σ = 0.5 + 0.5 = 1.0
    sample 2: log π = (-0.2,),   log π_ref = (-0.1,)       → Σ = -0.1
    k = 1: kl = (1.0 - 0.1) / 2 = 0.45; se over 2 prompts = |1.0 - (-0.1)| / 2 = 0.55
    per token: total 0.9 over 3 tokens = 0.3."""
    policy = [torch.tensor([-1.0, -2.0], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64)]
    ref = [torch.tensor([-1.5, -2.5], dtype=torch.float64), torch.tensor([-0.1], dtype=torch.float64)]
    assert sequence_kl(policy, ref) == pytest.approx([1.0, -0.1])
    got = kl_metrics(policy, ref, k=1)
    assert got["kl"] == pytest.approx(0.45)
    assert got["kl_se"] == pytest.approx(0.55)
    assert got["kl_per_token"] == pytest.approx(0.3)


def test_kl_of_identical_log_probs_is_exactly_zero():
    lp = [torch.tensor([-0.7, -1.3], dtype=torch.float64)]
    assert kl_metrics(lp, lp, k=1) == {"kl": 0.0, "kl_se": 0.0, "kl_per_token": 0.0}


def test_win_rate_by_hand():
    """k=2. prompt 1: policy (0.5, 0.1) vs ref (0.1, 0.0): pairs 0.5>0.1 ✓, 0.5>0.0 ✓, 0.1=0.1 ½, 0.1>0.0 ✓
    → 3.5/4 = 0.875. prompt 2: policy (-1, 0) vs ref (0, 1): 0, 0, ½, 0 → 0.125.
    mean 0.5; se = |0.875 - 0.125| / 2 = 0.375."""
    rate, se = win_rate([0.5, 0.1, -1.0, 0.0], [0.1, 0.0, 0.0, 1.0], k=2)
    assert rate == pytest.approx(0.5)
    assert se == pytest.approx(0.375)
    # the same samples on both sides: ½ (tie) + 0 + 1 + ½ (tie) over 4 pairs = 0.5
    assert win_rate([0.2, 0.3], [0.2, 0.3], k=2) == (0.5, 0.0)


def test_analytic_kl_by_hand():
    """p = (1/2, 1/2), q = (1/4, 3/4): KL = ½ ln 2 + ½ ln(2/3) = ½ ln(4/3) = 0.143841..."""
    p_logits = torch.log(torch.tensor([0.5, 0.5], dtype=torch.float64))
    q_logits = torch.log(torch.tensor([0.25, 0.75], dtype=torch.float64))
    assert analytic_kl(p_logits, q_logits) == pytest.approx(0.5 * math.log(4 / 3), abs=1e-12)


def test_bradley_terry_by_hand():
    """gold 0.6 vs 0.4 at T = 0.1: σ(2) = 1 / (1 + e^-2) = 0.880797...; symmetric; equal gold → ½."""
    assert bradley_terry_prob(0.6, 0.4, 0.1) == pytest.approx(1 / (1 + math.exp(-2)))
    assert bradley_terry_prob(0.4, 0.6, 0.1) == pytest.approx(1 - 1 / (1 + math.exp(-2)))
    assert bradley_terry_prob(0.3, 0.3, 0.5) == 0.5
    assert bradley_terry_prob(-1.0, 1.0, 1e-4) == 0.0  # no overflow at extreme differences
    labels = bradley_terry_labels([0.9] * 1000, [-0.9] * 1000, 0.1, seed=0)
    assert labels == bradley_terry_labels([0.9] * 1000, [-0.9] * 1000, 0.1, seed=0)
    assert all(labels)  # σ(18) ≈ 1 - 1.5e-8: a thousand draws all prefer the higher gold


def test_bradley_terry_noise_matches_its_probability():
    """At T = 0.2 and a gold gap of 0.2, P(a wins) = σ(1) = 0.731; 4000 draws land within 4 SE."""
    labels = bradley_terry_labels([0.2] * 4000, [0.0] * 4000, 0.2, seed=1)
    p = 1 / (1 + math.exp(-1))
    assert abs(sum(labels) / 4000 - p) < 4 * math.sqrt(p * (1 - p) / 4000)


def test_gather_token_logprobs_matches_log_softmax_by_hand():
    """logits (0, ln 3) → probs (1/4, 3/4): log-prob of token 1 is ln 0.75."""
    from pobench.core.logprobs import gather_token_logprobs

    logits = torch.tensor([[[0.0, math.log(3.0)]]])
    assert_close(gather_token_logprobs(logits, torch.tensor([[1]])), torch.tensor([[math.log(0.75)]]))


def test_expected_kl_metrics_by_hand():
    """Per sample Σ_t KL_t: 0.1+0.2 = 0.3, 0.3, 0.0+0.4 = 0.4, 0.2; prompts (k = 2): means 0.3 and 0.3, so
    mean 0.3 with SE 0; per token: 1.2 over 6 tokens = 0.2."""
    import torch
    from pobench.core.metrics import expected_kl_metrics

    kls = [torch.tensor(v, dtype=torch.float64) for v in ([0.1, 0.2], [0.3], [0.0, 0.4], [0.2])]
    out = expected_kl_metrics(kls, k=2)
    assert out["kl"] == pytest.approx(0.3) and out["kl_se"] == pytest.approx(0.0, abs=1e-12)
    assert out["kl_per_token"] == pytest.approx(0.2)


def test_fixed_prompt_se_by_hand():
    """Prompt 1: 0, 1 (mean 0.5, s² 0.5); prompt 2: 2, 2 (s² 0): √((0.5 + 0) / 2) / 2 = 0.25. The clustered se over
    prompts also counts their spread (means 0.5 and 2: sd 1.0607, se 0.75)."""
    from pobench.core.metrics import fixed_prompt_se

    assert fixed_prompt_se([0.0, 1.0, 2.0, 2.0], k=2) == pytest.approx(0.25)
    assert clustered_mean_se([0.0, 1.0, 2.0, 2.0], k=2)[1] == pytest.approx(0.75)
    assert math.isnan(fixed_prompt_se([0.0, 1.0], k=1))
