"""Sampling from a policy and scoring completions under a model: the two halves of evaluation.

Sampling uses the policy's own distribution (temperature 1, no top-k, no top-p), since any other
setting biases the KL estimate. Scoring recomputes log-probs with a plain forward pass, so the
numbers a KL is built from never depend on what the sampler did internally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from bench.core.logprobs import gather_token_logprobs


@dataclass
class Samples:
    prompt_ids: list[list[int]]  # one per sample (prompts repeated k times)
    response_ids: list[list[int]]  # sampled tokens, EOS included when it was sampled
    truncated: list[bool]  # no EOS within max_new_tokens
    texts: list[str]  # decoded responses, special tokens removed


@torch.no_grad()
def sample(
    model, tokenizer, prompts: Sequence[str], k: int, max_new_tokens: int, seed: int, batch_size: int
) -> Samples:
    """``k`` samples per prompt, in prompt-major order: [p0 s0, p0 s1, ..., p1 s0, ...]."""
    config = sampling_config(max_new_tokens, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.bos_token_id)
    device = next(model.parameters()).device
    encoded = tokenizer(list(prompts), add_special_tokens=True)["input_ids"]
    prompt_ids = [ids for ids in encoded for _ in range(k)]
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    responses: list[list[int]] = []
    truncated: list[bool] = []
    try:
        for start in range(0, len(prompt_ids), batch_size):
            chunk = prompt_ids[start : start + batch_size]
            input_ids, attention = pad_left(chunk, tokenizer.pad_token_id, device)  # (B, P)
            out = model.generate(input_ids=input_ids, attention_mask=attention, generation_config=config)
            for row in out[:, input_ids.shape[1] :].tolist():  # (B, ≤max_new_tokens)
                response, hit_eos = cut_at_eos(row, tokenizer.eos_token_id)
                responses.append(response)
                truncated.append(not hit_eos)
    finally:
        torch.random.set_rng_state(generator_state)
    texts = tokenizer.batch_decode(responses, skip_special_tokens=True)
    return Samples(prompt_ids, responses, truncated, texts)


def sampling_config(max_new_tokens: int, pad_token_id, eos_token_id, bos_token_id):
    """Plain ancestral sampling at temperature 1: every setting that could warp the distribution is set to
    its neutral value here, so nothing is filled in from a model's own generation_config (bench.core.models
    clears that too, for the samplers of TRL's trainers)."""
    from transformers import GenerationConfig

    return GenerationConfig(
        do_sample=True,
        num_beams=1,
        temperature=1.0,
        top_k=0,
        top_p=1.0,
        min_p=0.0,
        typical_p=1.0,
        epsilon_cutoff=0.0,
        eta_cutoff=0.0,
        repetition_penalty=1.0,
        encoder_repetition_penalty=1.0,
        no_repeat_ngram_size=0,
        min_length=0,
        max_new_tokens=max_new_tokens,
        pad_token_id=pad_token_id,
        eos_token_id=eos_token_id,
        bos_token_id=bos_token_id,
    )


def cut_at_eos(row: list[int], eos_id: int) -> tuple[list[int], bool]:
    """Tokens up to and including the first EOS (what was sampled); padding after it dropped."""
    if eos_id in row:
        return row[: row.index(eos_id) + 1], True
    return row, False


@torch.no_grad()
def score(
    model, prompt_ids: list[list[int]], response_ids: list[list[int]], pad_id: int, batch_size: int
) -> list[torch.Tensor]:
    """Per-token log-probs of each response given its prompt, one 1-D float64 tensor per sample."""
    device = next(model.parameters()).device
    out: list[torch.Tensor] = []
    for start in range(0, len(prompt_ids), batch_size):
        prompts = prompt_ids[start : start + batch_size]
        responses = response_ids[start : start + batch_size]
        input_ids, attention = pad_right([p + r for p, r in zip(prompts, responses)], pad_id, device)  # (B, T)
        logits = model(input_ids=input_ids, attention_mask=attention).logits  # (B, T, V)
        token_logps = gather_token_logprobs(logits[:, :-1], input_ids[:, 1:])  # (B, T-1): log p(x_t | x_<t)
        for i, (p, r) in enumerate(zip(prompts, responses)):
            out.append(token_logps[i, len(p) - 1 : len(p) - 1 + len(r)].double().cpu())
    return out


def pad_left(seqs: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Left padding, for generation: every prompt ends at the last column."""
    return _pad(seqs, pad_id, device, left=True)


def pad_right(seqs: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Right padding, for training and scoring: positions count from the first column."""
    return _pad(seqs, pad_id, device, left=False)


def _pad(seqs: list[list[int]], pad_id: int, device, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)  # (B, T)
    for i, s in enumerate(seqs):
        cols = slice(width - len(s), width) if left else slice(0, len(s))
        ids[i, cols] = torch.tensor(s, dtype=torch.long)
        mask[i, cols] = 1
    return ids.to(device), mask.to(device)
