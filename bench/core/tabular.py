"""A tabular causal LM: next-token logits that are a free table, one row per prefix of an enumerable task's tree.

On a closed-vocabulary task (``exact``) every response is a path in a small tree, and a policy is one next-token
distribution per internal node (prefix). ``TabularLM`` stores exactly that: ``logits[row(prefix)]``, a free
parameter per (prefix, token), so it can represent every policy over the responses, and gradient descent on
any adapter's loss moves each node's distribution on its own. Its capacity is no longer part of the question of
whether an adapter reaches its target. It is a ``transformers`` model like any other (``save_pretrained``,
``from_pretrained`` through the Auto classes, ``generate``), so the adapters' real trainers run it unchanged.

``tabulate(model, ...)`` builds one from a neural model: every prefix's row is that model's next-token
log-probabilities, so the table starts as an exact copy of its conditional distributions (float32 of the
float64 log-softmax). A prefix is the token ids the model sees up to a position (prompt tokens included); one
outside the table (the prompt's own positions, past the tree's depth, padding) gets zero logits, a uniform
distribution no loss reads, with no gradient.

The table is laid out as a transformer's last two steps, so that code written for those runs on it: the body's
hidden state at a position is the one-hot vector of its prefix's row (``hidden_size`` = the number of rows, zero
for a prefix outside the table) and the LM head is ``Linear(rows, V)`` whose weight is the table, transposed.
TRL's fused log-prob kernel multiplies hidden states by the head's weight, and PPO's critic puts a
``Linear(hidden_size, 1)`` on the body: on this model, a free value per prefix.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
from pobench.core.enumeration import next_token_log_probs, other_tokens
from torch import nn

MODEL_TYPE = "pobench-tabular"
UNKNOWN = -1  # the row of a prefix outside the table


def prefix_codes(input_ids: torch.Tensor, attention_mask: torch.Tensor, vocab_size: int, max_prefix: int):
    """(B, T) → (B, T): the code of the prefix ending at each position, the real tokens (mask 1) up to and including
    it, written in base V+1 (token + 1 per digit, so no two prefixes share one); UNKNOWN where the position is
    masked or the prefix is longer than ``max_prefix``."""
    base = vocab_size + 1
    code = torch.zeros(input_ids.shape[0], dtype=torch.long, device=input_ids.device)
    length = torch.zeros_like(code)
    out = []
    for t in range(input_ids.shape[1]):
        real = attention_mask[:, t].bool()
        code = torch.where(real, code * base + input_ids[:, t] + 1, code)
        length = length + real.long()
        too_long = length > max_prefix
        code = torch.where(too_long, torch.zeros_like(code), code)  # never overflows: it is UNKNOWN from here on
        out.append(torch.where(real & ~too_long, code, torch.full_like(code, UNKNOWN)))
    return torch.stack(out, dim=1)


def code_of(tokens: Sequence[int], vocab_size: int) -> int:
    """``prefix_codes`` of one unpadded prefix, by hand."""
    code = 0
    for token in tokens:
        code = code * (vocab_size + 1) + int(token) + 1
    return code


def rows_of(codes: torch.Tensor, table_codes: torch.Tensor) -> torch.Tensor:
    """The row of each code in the sorted ``table_codes``, UNKNOWN where it is not there."""
    index = torch.searchsorted(table_codes, codes).clamp(max=max(len(table_codes) - 1, 0))
    found = (table_codes[index] == codes) & (codes != UNKNOWN)
    return torch.where(found, index, torch.full_like(index, UNKNOWN))


def lookup(table: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """(B, T) rows → (B, T, D): the table's rows, zeros (no gradient) where a row is UNKNOWN."""
    picked = table[rows.clamp(min=0)]
    return torch.where((rows >= 0)[..., None], picked, torch.zeros((), dtype=table.dtype, device=table.device))


@functools.cache
def model_classes() -> tuple[type, type]:
    """(TabularConfig, TabularLM), defined and registered with transformers' Auto classes on first use, so that
    importing this module (every command does, through pobench.core.models) loads no transformers model code."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config_cls = _config_class()
    model_cls = _model_class(config_cls, _body_class())
    AutoConfig.register(MODEL_TYPE, config_cls)
    AutoModelForCausalLM.register(config_cls, model_cls)
    return config_cls, model_cls


def _config_class() -> type:
    from transformers import PretrainedConfig

    class TabularConfig(PretrainedConfig):
        model_type = MODEL_TYPE
        auto_map: ClassVar[dict] = {}  # TRL and transformers read it (no remote code here)

        def __init__(self, vocab_size: int = 2, num_rows: int = 0, max_prefix: int = 8, **kw):
            kw.pop("hidden_size", None)  # always the number of rows
            super().__init__(**kw)
            self.vocab_size, self.num_rows, self.max_prefix = vocab_size, num_rows, max_prefix
            self.hidden_size = num_rows  # a one-hot row per position

    return TabularConfig


def _body_class() -> type:
    from transformers import PretrainedConfig
    from transformers.modeling_outputs import BaseModelOutput

    class TabularBody(nn.Module):
        """The prefix table's index (sorted codes); its hidden state is each position's one-hot row: ``base_model``."""

        def __init__(self, config: PretrainedConfig) -> None:  # a TabularConfig
            super().__init__()
            self.config = config
            self.register_buffer("codes", torch.zeros(config.num_rows, dtype=torch.long))

        def rows(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
            """(B, T) row of each position's prefix, UNKNOWN where it has none."""
            mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
            return rows_of(prefix_codes(input_ids, mask, self.config.vocab_size, self.config.max_prefix), self.codes)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **_) -> BaseModelOutput:
            rows = self.rows(input_ids, attention_mask)
            hidden = nn.functional.one_hot(rows.clamp(min=0), self.config.num_rows).float()
            return BaseModelOutput(last_hidden_state=hidden * (rows >= 0)[..., None])

    return TabularBody


def _model_class(config_cls: type, body_cls: type) -> type:
    from transformers import GenerationMixin, PretrainedConfig, PreTrainedModel
    from transformers.modeling_outputs import CausalLMOutput

    class TabularLM(PreTrainedModel, GenerationMixin):
        config_class = config_cls
        base_model_prefix = "body"
        main_input_name = "input_ids"

        def __init__(self, config: PretrainedConfig) -> None:  # a TabularConfig
            super().__init__(config)
            self.body = body_cls(config)
            self.lm_head = nn.Linear(config.num_rows, config.vocab_size, bias=False)  # weight: the table, (V, rows)
            self.post_init()

        def _init_weights(self, module) -> None:  # every weight comes from tabulate() or the saved file
            pass

        def forward(self, input_ids, attention_mask=None, labels=None, **_) -> CausalLMOutput:
            # the head applied to one-hot rows, as a lookup: the same numbers, without the (B, T, rows) product
            logits = lookup(self.lm_head.weight.T, self.body.rows(input_ids, attention_mask))
            loss = None
            if labels is not None:
                flat = logits[:, :-1].reshape(-1, logits.shape[-1])
                loss = nn.functional.cross_entropy(flat, labels[:, 1:].reshape(-1), ignore_index=-100)
            return CausalLMOutput(loss=loss, logits=logits)

        @classmethod
        def _supports_default_dynamic_cache(cls) -> bool:  # no key-value cache: generate makes none
            return False

        def prepare_inputs_for_generation(self, input_ids, attention_mask=None, **_):
            """The whole sequence at every step: a row is looked up from the full prefix, so there is no cache."""
            return {"input_ids": input_ids, "attention_mask": attention_mask}

        def get_input_embeddings(self):
            return None

        def get_output_embeddings(self) -> nn.Linear:
            return self.lm_head

    return TabularLM


def tree_prefixes(tokenizer, prompts: Sequence[str], max_new_tokens: int) -> list[tuple[int, ...]]:
    """Every internal node of every prompt's tree: the prompt's tokens, then 0..max_new_tokens−1 non-EOS tokens."""
    others = other_tokens(tokenizer)
    out = []
    for prompt in prompts:
        ids = tuple(tokenizer(prompt, add_special_tokens=True)["input_ids"])
        for depth in range(max_new_tokens):
            out += [ids + p for p in itertools.product(others, repeat=depth)]
    return sorted(set(out))


@torch.no_grad()
def tabulate(model, tokenizer, prompts: Sequence[str], max_new_tokens: int, batch_size: int = 1024):
    """A TabularLM whose rows are ``model``'s next-token log-probabilities at every prefix of the prompts' trees."""
    vocab = int(model.config.vocab_size)
    prefixes = tree_prefixes(tokenizer, prompts, max_new_tokens)
    by_code = sorted((code_of(p, vocab), p) for p in prefixes)
    logps = _by_length(model, [p for _, p in by_code], batch_size)
    config_cls, model_cls = model_classes()
    config = config_cls(
        vocab_size=vocab,
        num_rows=len(by_code),
        max_prefix=max(len(p) for p in prefixes),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    table = model_cls(config)
    table.body.codes.copy_(torch.tensor([c for c, _ in by_code], dtype=torch.long))
    table.lm_head.weight.copy_(torch.from_numpy(logps).float().T)
    return table


def _by_length(model, prefixes: Sequence[tuple[int, ...]], batch_size: int) -> np.ndarray:
    """``next_token_log_probs`` of every prefix, in order, batched by length (no padding, as the enumeration)."""
    device = next(model.parameters()).device
    out = np.zeros((len(prefixes), int(model.config.vocab_size)))
    for width in sorted({len(p) for p in prefixes}):
        index = [i for i, p in enumerate(prefixes) if len(p) == width]
        for start in range(0, len(index), batch_size):
            chunk = index[start : start + batch_size]
            out[chunk] = next_token_log_probs(model, [prefixes[i] for i in chunk], device)
    return out
