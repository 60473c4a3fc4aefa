"""The reward each offline method's loss implies for one response: pure functions of its summed log-probs.

Each loss compares two responses through a score of one response; that score is the method's implicit reward, and
how often it orders a held-out pair as the gold reward does says whether the method learned the preference at all
(``eval/implicit_accuracy``). With ``log π = Σ_t log π(y_t | x, y_<t)`` over the response's tokens (EOS included):

- DPO, IPO, KTO: ``β·(log π − log π_ref)`` (Rafailov et al. 2023, eq. 5, up to a term in x alone);
- CPO: ``β·log π`` (Xu et al. 2024: DPO's reward with a uniform reference);
- SimPO: ``β·log π / |y|`` (Meng et al. 2024; the margin γ is the same for every response);
- ORPO: the log odds ``log p − log(1 − p)`` of ``p = exp(log π / |y|)`` (Hong et al. 2024), the quantity its
  odds-ratio term compares.
"""

from __future__ import annotations

import math


def reference_ratio(beta: float, policy_logp: float, reference_logp: float) -> float:
    """DPO, IPO and KTO: β·(log π(y|x) − log π_ref(y|x))."""
    return beta * (policy_logp - reference_logp)


def likelihood(beta: float, policy_logp: float) -> float:
    """CPO: β·log π(y|x)."""
    return beta * policy_logp


def length_normalized(beta: float, policy_logp: float, length: int) -> float:
    """SimPO: β·log π(y|x) / |y|."""
    if length < 1:
        raise ValueError(f"a response of {length} tokens has no length-normalized reward")
    return beta * policy_logp / length


def log_odds(policy_logp: float, length: int) -> float:
    """ORPO: log(p / (1 − p)) with p = exp(log π(y|x) / |y|), the geometric mean token probability; +inf at p = 1."""
    if length < 1:
        raise ValueError(f"a response of {length} tokens has no odds")
    mean = policy_logp / length
    if mean >= 0.0:
        return math.inf
    return mean - math.log(-math.expm1(mean))
