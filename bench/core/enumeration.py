"""Every response a model can give, with its exact probability: the generation tree of a small vocabulary.

A response is what the sampler (bench/core/generation.py) returns: tokens up to and including the first EOS, or
``max_new_tokens`` tokens without one (cut, truncated). With V tokens of which one is EOS, a prompt has
Σ_{d<L} (V−1)^d EOS-ended leaves and (V−1)^L cut ones. One forward pass per internal node (batched by depth,
all of a depth the same length, so no padding) gives the next-token distribution; a leaf's log-probability is
the sum along its path. Worth it only for a closed-vocabulary task (``Task.vocabulary``); ``tree_size`` says
when a tree is too large, and the evaluator then skips the exact metrics.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

MAX_LEAVES = 200_000  # per prompt; the exact task has 22,621


@dataclass
class Leaves:
    """One prompt's responses, in a fixed order, with what the exact metrics need."""

    prompt: str
    tokens: list[tuple[int, ...]]
    texts: list[str]  # decoded, special tokens removed (as the sampler decodes)
    truncated: np.ndarray  # bool: cut at max_new_tokens without EOS
    lengths: np.ndarray  # tokens, EOS included (what a trainer counts)


def tree_size(vocab_size: int, max_new_tokens: int) -> int:
    """Leaves per prompt: EOS after 0..L−1 other tokens, or L other tokens."""
    other = vocab_size - 1
    return sum(other**d for d in range(max_new_tokens)) + other**max_new_tokens


def enumerable(model, tokenizer, max_new_tokens: int) -> bool:
    """Small enough to sum over, and the model's outputs are exactly the tokenizer's tokens."""
    same = getattr(model.config, "vocab_size", None) == len(tokenizer)
    return same and tree_size(len(tokenizer), max_new_tokens) <= MAX_LEAVES


def leaves(tokenizer, prompt: str, max_new_tokens: int) -> Leaves:
    """The tree's leaves for ``prompt``, EOS-ended ones depth by depth, then the cut ones."""
    eos, others = tokenizer.eos_token_id, other_tokens(tokenizer)
    tokens: list[tuple[int, ...]] = []
    for depth in range(max_new_tokens):
        tokens += [(*prefix, eos) for prefix in itertools.product(others, repeat=depth)]
    cut_from = len(tokens)
    tokens += list(itertools.product(others, repeat=max_new_tokens))
    texts = tokenizer.batch_decode([list(t) for t in tokens], skip_special_tokens=True)
    truncated = np.arange(len(tokens)) >= cut_from
    return Leaves(prompt, tokens, texts, truncated, np.array([len(t) for t in tokens]))


@torch.no_grad()
def leaf_log_probs(model, tokenizer, prompt: str, max_new_tokens: int, batch_size: int = 1024) -> np.ndarray:
    """log π(leaf | prompt) for every leaf of ``leaves(tokenizer, prompt, max_new_tokens)``, in that order."""
    eos, others = tokenizer.eos_token_id, other_tokens(tokenizer)
    device = next(model.parameters()).device
    prompt_ids = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    path = np.zeros(1)  # log-prob of each prefix of the current depth, in itertools.product order
    eos_ended, last = [], None
    for depth in range(max_new_tokens):
        prefixes = list(itertools.product(others, repeat=depth))
        nxt = np.concatenate(
            [
                next_token_log_probs(model, [prompt_ids + list(p) for p in prefixes[i : i + batch_size]], device)
                for i in range(0, len(prefixes), batch_size)
            ]
        )  # (prefixes, V)
        eos_ended.append(path + nxt[:, eos])
        last = path[:, None] + nxt[:, others]  # (prefixes, V−1): extend every prefix by every other token
        path = last.reshape(-1)
    return np.concatenate([*eos_ended, last.reshape(-1)])


def next_token_log_probs(model, sequences: Sequence[Sequence[int]], device) -> np.ndarray:
    ids = torch.tensor(sequences, dtype=torch.long, device=device)  # (B, T): one depth, one length, no padding
    logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[:, -1]  # (B, V)
    return torch.log_softmax(logits.double(), dim=-1).cpu().numpy()


def other_tokens(tokenizer) -> list[int]:
    """Every token id but EOS: what extends a prefix of the tree."""
    return [i for i in range(len(tokenizer)) if i != tokenizer.eos_token_id]
