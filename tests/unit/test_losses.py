"""Each preference loss (bench/contracts/losses.py) against hand-worked numbers (the arithmetic is in each docstring).

σ(1) = 1 / (1 + e⁻¹) = 0.7310585786..., so −log σ(1) = log(1 + e⁻¹) = 0.3132616875... and −log σ(0) = ln 2.
"""

import math

import pytest
import torch
from pobench.contracts.losses import (
    cpo_loss,
    dpo_loss,
    ipo_loss,
    kto_loss,
    kto_reference_point,
    log1mexp,
    orpo_loss,
    sequence_logps,
    simpo_loss,
    token_mean_nll,
)
from torch.testing import assert_close

NEG_LOG_SIG_1 = math.log1p(math.exp(-1.0))  # 0.31326168751822286
SIG_1 = 1 / (1 + math.exp(-1.0))  # 0.7310585786300049


def t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def close(got: torch.Tensor, want: float, rtol: float = 1e-12) -> None:
    assert_close(got, torch.tensor(want, dtype=got.dtype), rtol=rtol, atol=0.0)


def test_sequence_logps_sum_and_average():
    """rows (−1, −2, [−9]) and (−3, [−9], [−9]), brackets masked: sums −3 and −3; averages −3/2 and −3/1."""
    lp = torch.tensor([[-1.0, -2.0, -9.0], [-3.0, -9.0, -9.0]], dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert_close(sequence_logps(lp, mask), t(-3.0, -3.0))
    assert_close(sequence_logps(lp, mask, average=True), t(-1.5, -3.0))


def test_token_mean_nll_averages_over_the_tokens_of_the_whole_batch():
    """Same rows: 3 unmasked tokens, −(−1 − 2 − 3)/3 = 2. (A mean of per-row means would be (1.5 + 3)/2 = 2.25.)"""
    lp = torch.tensor([[-1.0, -2.0, -9.0], [-3.0, -9.0, -9.0]], dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    close(token_mean_nll(lp, mask), 2.0)
    with pytest.raises(ValueError, match="selects no token"):
        token_mean_nll(lp, torch.zeros_like(mask))


def test_dpo_by_hand():
    """β = 0.5. pair 1: chosen −3 vs ref −4 → +1; rejected −5 vs ref −4 → −1; Δ = 2; β·Δ = 1 → −log σ(1) = 0.313262.
    pair 2: both log-ratios 0 → Δ = 0 → −log σ(0) = ln 2 = 0.693147. mean (0.313262 + 0.693147)/2 = 0.503204."""
    got = dpo_loss(t(-3.0, -2.0), t(-5.0, -3.0), t(-4.0, -2.0), t(-4.0, -3.0), beta=0.5)
    close(got, (NEG_LOG_SIG_1 + math.log(2)) / 2)


def test_ipo_averages_log_ratios_per_completion_token():
    """β = 0.25 → target 1/(2β) = 2.
    pair 1: chosen log-ratio 6 over 3 tokens → 2; rejected −2 over 2 tokens → −1; Δ = 3 → (3 − 2)² = 1.
    pair 2: chosen log-ratio 0 over 0 tokens (count clamped to 1) → 0; rejected 4 over 4 → 1; Δ = −1 → (−1 − 2)² = 9.
    mean (1 + 9)/2 = 5. On sums instead, pair 1 would give Δ = 8 → 36: the averaging is what is tested."""
    got = ipo_loss(
        chosen_logps=t(-1.0, -5.0),
        rejected_logps=t(-6.0, -1.0),
        ref_chosen_logps=t(-7.0, -5.0),
        ref_rejected_logps=t(-4.0, -5.0),
        chosen_lengths=t(3.0, 0.0),
        rejected_lengths=t(2.0, 4.0),
        beta=0.25,
    )
    close(got, 5.0)


def test_kto_reference_point_is_a_clamped_mean():
    """log-ratios 1, 0.5 → mean 0.75; log-ratios −1, −2 → mean −1.5, clamped to 0; it carries no gradient."""
    kl = t(-1.0, -1.0).requires_grad_()
    z = kto_reference_point(kl, t(-2.0, -1.5))
    close(z, 0.75)
    assert not z.requires_grad
    close(kto_reference_point(t(-3.0, -4.0), t(-2.0, -2.0)), 0.0)


def test_kto_by_hand():
    """β = 0.5, z_ref = 1, λ_D = 2, λ_U = 1; labels (undesirable, desirable, undesirable), log-ratios r = (−1, 3, 1).
    desirable r = 3:    2·(1 − σ(0.5·(3 − 1)))  = 2·(1 − σ(1)) = 2·0.268941 = 0.537883
    undesirable r = −1: 1·(1 − σ(0.5·(1 + 1)))  = 1 − σ(1) = 0.268941
    undesirable r = 1:  1·(1 − σ(0.5·(1 − 1)))  = 1 − σ(0) = 0.5
    mean over the 3 examples (not over Σλ = 4): (0.537883 + 0.268941 + 0.5)/3 = 0.435608."""
    got = kto_loss(
        logps=t(-2.0, 0.0, -1.0),
        ref_logps=t(-1.0, -3.0, -2.0),
        desirable=torch.tensor([False, True, False]),
        z_ref=torch.tensor(1.0, dtype=torch.float64),
        beta=0.5,
        desirable_weight=2.0,
        undesirable_weight=1.0,
    )
    close(got, (2 * (1 - SIG_1) + (1 - SIG_1) + 0.5) / 3)


def test_cpo_by_hand():
    """β = 0.5, α = 2. pair 1: chosen −2, rejected −4 → β·2 = 1 → 0.313262; pair 2: −3 vs −3 → ln 2.
    mean 0.503204; plus α·NLL = 2·0.25 = 0.5 → 1.003204."""
    got = cpo_loss(
        t(-2.0, -3.0), t(-4.0, -3.0), chosen_nll=torch.tensor(0.25, dtype=torch.float64), beta=0.5, alpha=2.0
    )
    close(got, (NEG_LOG_SIG_1 + math.log(2)) / 2 + 0.5)


def test_simpo_by_hand():
    """β = 2, γ = 1, on average token log-probs. pair 1: −1 vs −1.5 → 2·0.5 − 1 = 0 → ln 2.
    pair 2: −1 vs −2 → 2·1 − 1 = 1 → 0.313262. mean 0.503204."""
    close(simpo_loss(t(-1.0, -1.0), t(-1.5, -2.0), beta=2.0, gamma=1.0), (math.log(2) + NEG_LOG_SIG_1) / 2)


def test_log1mexp_by_hand():
    """log(1 − eˣ): x = ln ¼ → ln ¾; x = −ln 2 (the branch point) → ln ½; x = ln 0.999 → ln 0.001 (no cancellation);
    x = −50 → log1p(−e⁻⁵⁰) ≈ −e⁻⁵⁰ = −1.9287e−22 (not rounded to 0)."""
    got = log1mexp(t(math.log(0.25), -math.log(2), math.log(0.999), -50.0))
    want = t(math.log(0.75), math.log(0.5), math.log(0.001), -math.exp(-50.0))
    assert_close(got, want, rtol=1e-9, atol=0.0)


def test_orpo_by_hand():
    """λ = 0.1, NLL = 2. odds(p) = p/(1 − p).
    pair 1: p_w = ½ (odds 1), p_l = ¼ (odds ⅓) → log odds ratio = ln 3 → log σ(ln 3) = ln(3/4) = −0.287682.
    pair 2: p_w = ¼, p_l = ½ → −ln 3 → log σ(−ln 3) = ln(1/4) = −1.386294.
    mean −0.836988 → L = 2 − 0.1·(−0.836988) = 2.083699. (The odds are computed in float32, as TRL does.)"""
    got = orpo_loss(
        t(math.log(0.5), math.log(0.25)),
        t(math.log(0.25), math.log(0.5)),
        nll=torch.tensor(2.0, dtype=torch.float64),
        lam=0.1,
    )
    close(got, 2.0 - 0.1 * (math.log(0.75) + math.log(0.25)) / 2, rtol=1e-6)


def test_bad_values_are_named():
    with pytest.raises(ValueError, match=r"beta=0\.0"):
        dpo_loss(t(-1.0), t(-2.0), t(-1.0), t(-2.0), beta=0.0)
    with pytest.raises(ValueError, match=r"beta=-1"):
        simpo_loss(t(-1.0), t(-2.0), beta=-1.0, gamma=0.5)
    with pytest.raises(ValueError, match=r"undesirable_weight=-1"):
        kto_loss(t(-1.0), t(-1.0), torch.tensor([True]), 0.0, beta=0.1, undesirable_weight=-1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        kto_loss(t(-1.0, -2.0), t(-1.0), torch.tensor([True]), 0.0, beta=0.1)
    with pytest.raises(ValueError, match=r"lam=-0\.1"):
        orpo_loss(t(-1.0), t(-2.0), nll=t(1.0)[0], lam=-0.1)
