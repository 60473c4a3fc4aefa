"""Log-probabilities of given tokens under logits: the one place this is computed."""

from __future__ import annotations

import torch


def gather_token_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """log softmax(logits)[label] at each position. logits (B, T, V), labels (B, T) → (B, T).

    Computed in float32 at least, so bf16 logits do not lose the small differences a KL is made of.
    """
    logits = logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits
    return torch.log_softmax(logits, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
