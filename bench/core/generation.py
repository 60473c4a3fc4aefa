"""Sampling from a policy and scoring completions under a model: the two halves of evaluation.

Sampling uses the policy's own distribution (temperature 1, no top-k, no top-p), since any other
setting biases the KL estimate. Scoring recomputes log-probs with a plain forward pass, so the
numbers a KL is built from never depend on what the sampler did internally.

Common random numbers (``common_noise=True``): token t of sample j for prompt p is
argmax_v(logit_v + G_v) with Gumbel noise G = −log(−log U) drawn from a generator keyed by
(seed, p, j) alone, its t-th block of V uniforms at step t. The Gumbel-max trick makes that an exact
draw from softmax(logits); two policies evaluated with the same seed then meet the same noise at
every position, so where their next-token distributions are close they pick the same tokens and the
difference of their rewards is measured on matched draws.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from pobench.core.logprobs import gather_token_logprobs


@dataclass
class Samples:
    prompt_ids: list[list[int]]  # one per sample (prompts repeated k times)
    response_ids: list[list[int]]  # sampled tokens, EOS included when it was sampled
    truncated: list[bool]  # no EOS within max_new_tokens
    texts: list[str]  # decoded responses, special tokens removed


@torch.no_grad()
def sample(
    model,
    tokenizer,
    prompts: Sequence[str],
    k: int,
    max_new_tokens: int,
    seed: int,
    batch_size: int,
    common_noise: bool = False,
) -> Samples:
    """``k`` samples per prompt, in prompt-major order: [p0 s0, p0 s1, ..., p1 s0, ...].

    ``common_noise``: Gumbel-max with noise keyed by (seed, prompt index, sample index) (module docstring);
    otherwise ancestral sampling from torch's generator seeded with ``seed``."""
    config = sampling_config(max_new_tokens, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.bos_token_id)
    if common_noise:  # the argmax of logits + Gumbel noise: a sample, drawn by the processor's noise
        config.do_sample, config.top_k, config.min_p = False, None, None  # warpers do not apply to an argmax
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
            extra = {}
            if common_noise:
                keys = [(seed, i // k, i % k) for i in range(start, start + len(chunk))]
                extra["logits_processor"] = gumbel_processor(keys)
            out = model.generate(input_ids=input_ids, attention_mask=attention, generation_config=config, **extra)
            for row in out[:, input_ids.shape[1] :].tolist():  # (B, ≤max_new_tokens)
                response, hit_eos = cut_at_eos(row, tokenizer.eos_token_id)
                responses.append(response)
                truncated.append(not hit_eos)
    finally:
        torch.random.set_rng_state(generator_state)
    texts = tokenizer.batch_decode(responses, skip_special_tokens=True)
    return Samples(prompt_ids, responses, truncated, texts)


def noise_generator(key: tuple[int, ...]) -> torch.Generator:
    """A CPU generator seeded by ``key`` alone (sha256 of its text), so a draw's noise never depends on which
    batch, process or machine made it."""
    digest = hashlib.sha256("/".join(map(str, key)).encode()).hexdigest()
    return torch.Generator().manual_seed(int(digest[:15], 16))


def gumbel_noise(generator: torch.Generator, vocab_size: int) -> torch.Tensor:
    """V standard Gumbel draws −log(−log U), U uniform on (0, 1) (float64; U clamped away from 0 and 1)."""
    u = torch.rand(vocab_size, generator=generator, dtype=torch.float64).clamp(1e-300, 1.0 - 1e-16)
    return -torch.log(-torch.log(u))


def gumbel_processor(keys: Sequence[tuple[int, ...]]):
    """A logits processor for greedy ``generate`` that adds each row's next block of keyed Gumbel noise to its
    scores: the greedy pick is then an exact sample from softmax(scores) (the Gumbel-max trick)."""
    from transformers import LogitsProcessor, LogitsProcessorList

    generators = [noise_generator(key) for key in keys]

    class GumbelNoise(LogitsProcessor):
        def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:  # scores (B, V)
            noise = torch.stack([gumbel_noise(g, scores.shape[-1]) for g in generators])  # (B, V)
            return (scores.double() + noise.to(scores.device)).to(scores.dtype)

    return LogitsProcessorList([GumbelNoise()])


def sampling_config(max_new_tokens: int, pad_token_id, eos_token_id, bos_token_id):
    """Plain ancestral sampling at temperature 1: every setting that could warp the distribution is set to
    its neutral value here, so nothing is filled in from a model's own generation_config (pobench.core.models
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
    return [lp for lp, _ in _response_logits(model, prompt_ids, response_ids, pad_id, batch_size, keep_logits=False)]


@torch.no_grad()
def score_pair(
    policy, reference, prompt_ids: list[list[int]], response_ids: list[list[int]], pad_id: int, batch_size: int
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """Per sample: the response's token log-probs under ``policy`` and under ``reference``, and at each response
    position the exact next-token KL Σ_v π(v|y<t)·[log π(v|y<t) − log π_ref(v|y<t)] over the whole vocabulary
    (float64, one 1-D tensor per sample). Summed along a sequence drawn from π, the last is an unbiased estimate
    of the sequence KL(π‖π_ref) (the chain rule: it is the conditional expectation, given y<t, of each position's
    log-ratio), never negative, and of lower variance than the sampled log-ratio."""
    policy_out = _response_logits(policy, prompt_ids, response_ids, pad_id, batch_size, keep_logits=True)
    ref_out = _response_logits(reference, prompt_ids, response_ids, pad_id, batch_size, keep_logits=True)
    policy_logps, ref_logps, token_kls = [], [], []
    for (p_lp, p_logits), (r_lp, r_logits) in zip(policy_out, ref_out, strict=True):
        log_p, log_q = torch.log_softmax(p_logits, -1), torch.log_softmax(r_logits, -1)  # (len(r), V) float64
        token_kls.append((log_p.exp() * (log_p - log_q)).sum(-1).clamp_min(0.0))
        policy_logps.append(p_lp)
        ref_logps.append(r_lp)
    return policy_logps, ref_logps, token_kls


def _response_logits(model, prompt_ids, response_ids, pad_id: int, batch_size: int, keep_logits: bool):
    """Per sample (token log-probs of its response, float64; and with ``keep_logits`` the logits (len(r), V) at
    the positions that predict the response, float64, else None), in batches of right-padded sequences."""
    device = next(model.parameters()).device
    for start in range(0, len(prompt_ids), batch_size):
        prompts = prompt_ids[start : start + batch_size]
        responses = response_ids[start : start + batch_size]
        input_ids, attention = pad_right([p + r for p, r in zip(prompts, responses)], pad_id, device)  # (B, T)
        logits = model(input_ids=input_ids, attention_mask=attention).logits  # (B, T, V)
        token_logps = gather_token_logprobs(logits[:, :-1], input_ids[:, 1:])  # (B, T-1): log p(x_t | x_<t)
        for i, (p, r) in enumerate(zip(prompts, responses)):
            where = slice(len(p) - 1, len(p) - 1 + len(r))
            kept = logits[i, where].double().cpu() if keep_logits else None
            yield token_logps[i, where].double().cpu(), kept


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
