"""The offline preference losses as pure functions of log-probabilities, computed as TRL 1.16 computes them.

**A test oracle, not the implementation**: no adapter calls these; the TRL-backed adapters' losses are computed
inside TRL's trainers. These functions state what each loss should be, so that tests can check them against
hand-worked numbers (tests/unit/test_losses.py) and TRL's loss on the same batch against them
(tests/integration/test_trl_parity.py).

Each function takes per-sequence (or per-token) log-probabilities and returns the scalar loss of a
batch. They hold no trainer state, so they can be checked against numbers worked by hand
and against the loss TRL's trainers compute on the same batch: together these show that each adapter
configured TRL as intended.

Conventions. ``*_logps`` are log-probabilities of a completion given its prompt, summed over its
tokens (``sequence_logps``); ``*_avg_logps`` are the same divided by the number of completion
tokens. Chosen and rejected tensors of a pair line up by index. A batch's loss is the mean of the
per-pair losses unless a docstring says otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:  # torch is imported inside the functions: every module of algorithms/ is imported by the CLI
    import torch


def sequence_logps(token_logps: torch.Tensor, mask: torch.Tensor, average: bool = False) -> torch.Tensor:
    """Σ_t mask_t · log π(y_t | x, y_<t) per row, or that sum over Σ_t mask_t when ``average``.

    token_logps, mask (B, T) → (B,). The average of a row without tokens is undefined (nan), as in TRL's CPO/ORPO.
    """
    _same_shape(token_logps=token_logps, mask=mask)
    mask = mask.to(token_logps.dtype)
    total = (token_logps * mask).sum(-1)
    return total / mask.sum(-1) if average else total


def token_mean_nll(token_logps: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """−Σ_{b,t} mask·log π / Σ_{b,t} mask: the negative log-likelihood averaged over every unmasked token of the batch.

    This is ``nn.CrossEntropyLoss()`` (mean reduction, ignored labels dropped), which TRL's CPO and ORPO trainers use
    for their NLL term: one mean over all tokens of the batch, so long completions weigh more than short ones.
    """
    _same_shape(token_logps=token_logps, mask=mask)
    mask = mask.to(token_logps.dtype)
    count = mask.sum()
    if count <= 0:
        raise ValueError(f"token_mean_nll: the mask selects no token (mask sum {count.item()})")
    return -(token_logps * mask).sum() / count


def dpo_loss(
    chosen_logps: torch.Tensor,
    rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float,
) -> torch.Tensor:
    """DPO (Rafailov et al., 2023, Eq. 7), TRL DPOTrainer loss_type "sigmoid":

    L = mean_pairs −log σ(β·[(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))]),

    log-probs summed over completion tokens.
    """
    _check_beta(beta)
    delta = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * delta).mean()


def ipo_loss(
    chosen_logps: torch.Tensor,
    rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    chosen_lengths: torch.Tensor,
    rejected_lengths: torch.Tensor,
    beta: float,
) -> torch.Tensor:
    """IPO (Azar et al., 2023, Eq. 17) as TRL 1.16's DPOTrainer computes loss_type "ipo":

    Δ = (log π(y_w|x) − log π_ref(y_w|x)) / |y_w| − (log π(y_l|x) − log π_ref(y_l|x)) / |y_l|,
    L = mean_pairs (Δ − 1/(2β))²,

    with log-ratios summed over completion tokens and then divided by the completion's token count (at least 1):
    TRL averages per token so that β means the same whatever the lengths (a choice its authors confirmed).
    """
    _check_beta(beta)
    chosen = (chosen_logps - ref_chosen_logps) / chosen_lengths.clamp(min=1.0)
    rejected = (rejected_logps - ref_rejected_logps) / rejected_lengths.clamp(min=1.0)
    return ((chosen - rejected - 1 / (2 * beta)) ** 2).mean()


def kto_reference_point(kl_logps: torch.Tensor, ref_kl_logps: torch.Tensor) -> torch.Tensor:
    """KTO's z_ref (Ethayarajh et al., 2024, §4.1): max(0, mean_i [log π(y'_i|x_i) − log π_ref(y'_i|x_i)]),

    over mismatched pairs (x_i, y'_i) made by giving each prompt of the batch another example's completion. It is an
    estimate of KL(π‖π_ref) and, as in TRL, carries no gradient.
    """
    _same_shape(kl_logps=kl_logps, ref_kl_logps=ref_kl_logps)
    return (kl_logps - ref_kl_logps).mean().detach().clamp(min=0)


def kto_loss(
    logps: torch.Tensor,
    ref_logps: torch.Tensor,
    desirable: torch.Tensor,
    z_ref: torch.Tensor | float,
    beta: float,
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
) -> torch.Tensor:
    """KTO (Ethayarajh et al., 2024, Eq. 8) as TRL 1.16's KTOTrainer computes it, with r = log π(y|x) − log π_ref(y|x):

    desirable y:   λ_D · (1 − σ(β·(r − z_ref))),
    undesirable y: λ_U · (1 − σ(β·(z_ref − r))),
    L = nanmean over all examples of the batch of the weighted losses.

    The mean divides by the number of examples, not by Σ λ (TRL concatenates the weighted losses and takes nanmean).
    ``desirable`` is a boolean tensor of the examples' labels.
    """
    _check_beta(beta)
    _same_shape(logps=logps, ref_logps=ref_logps, desirable=desirable)
    for name, weight in (("desirable_weight", desirable_weight), ("undesirable_weight", undesirable_weight)):
        if weight < 0:
            raise ValueError(f"kto_loss: {name}={weight} must be >= 0")
    desirable = desirable.bool()
    logratio = logps - ref_logps
    chosen = desirable_weight * (1 - torch.sigmoid(beta * (logratio[desirable] - z_ref)))
    rejected = undesirable_weight * (1 - torch.sigmoid(beta * (z_ref - logratio[~desirable])))
    return torch.cat((chosen, rejected)).nanmean()


def cpo_loss(
    chosen_logps: torch.Tensor, rejected_logps: torch.Tensor, chosen_nll: torch.Tensor, beta: float, alpha: float
) -> torch.Tensor:
    """CPO (Xu et al., 2024, Eq. 3 plus the behaviour-cloning term), TRL CPOTrainer loss_type "sigmoid":

    L = mean_pairs −log σ(β·(log π(y_w|x) − log π(y_l|x))) + α · NLL(y_w),

    log-probs summed over completion tokens, no reference model; NLL(y_w) is ``token_mean_nll`` over the chosen
    completions' tokens (the prompt is not scored).
    """
    _check_beta(beta)
    return -F.logsigmoid(beta * (chosen_logps - rejected_logps)).mean() + alpha * chosen_nll


def simpo_loss(
    chosen_avg_logps: torch.Tensor, rejected_avg_logps: torch.Tensor, beta: float, gamma: float
) -> torch.Tensor:
    """SimPO (Meng et al., 2024, Eq. 6), TRL CPOTrainer loss_type "simpo" with cpo_alpha = 0:

    L = mean_pairs −log σ(β/|y_w| · log π(y_w|x) − β/|y_l| · log π(y_l|x) − γ),

    i.e. on log-probs averaged over completion tokens, with target margin γ, no reference and no NLL term.
    (TRL writes it β·(Δ − γ/β), the same quantity.)
    """
    _check_beta(beta)
    return -F.logsigmoid(beta * (chosen_avg_logps - rejected_avg_logps) - gamma).mean()


def log1mexp(x: torch.Tensor) -> torch.Tensor:
    """log(1 − eˣ) for x < 0, stably: log1p(−eˣ) below −ln 2, log(−expm1(x)) above (Mächler, 2012)."""
    return torch.where(x < -0.6931471805599453, torch.log1p(-torch.exp(x)), torch.log(-torch.expm1(x)))


def orpo_loss(
    chosen_avg_logps: torch.Tensor, rejected_avg_logps: torch.Tensor, nll: torch.Tensor, lam: float
) -> torch.Tensor:
    """ORPO (Hong et al., 2024, Eqs. 4–7) as TRL 1.16's ORPOTrainer computes it, with p = exp(average token log-prob):

    log odds = (log p_w − log p_l) − (log(1 − p_w) − log(1 − p_l)),
    L = NLL − λ · mean_pairs log σ(log odds).

    ``nll`` is the supervised term; TRL computes it as ``token_mean_nll`` over every non-padding token of the chosen
    sequences, prompt included (the paper scores the response only). λ is TRL's ``beta``.
    """
    if lam < 0:
        raise ValueError(f"orpo_loss: lam={lam} must be >= 0")
    chosen, rejected = chosen_avg_logps.float(), rejected_avg_logps.float()
    log_odds = (chosen - rejected) - (log1mexp(chosen) - log1mexp(rejected))
    return nll - lam * F.logsigmoid(log_odds).mean()


def _check_beta(beta: float) -> None:
    if not beta > 0:
        raise ValueError(f"beta={beta} must be > 0")


def _same_shape(**tensors: torch.Tensor) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"shapes differ: {shapes}")
