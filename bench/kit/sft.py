"""Supervised fine-tuning of the base model on the task corpus: this makes the reference model."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from pobench.contracts.task import SFTExample
from pobench.core.generation import pad_right
from pobench.core.optim import adamw
from pobench.core.settings import SFTSettings


def tokenize_examples(tokenizer, examples: Sequence[SFTExample], max_length: int) -> list[list[int]]:
    """prompt + completion + EOS, as the tokenizer encodes the joined text (BOS included if it adds one)."""
    texts = [e.prompt + e.completion for e in examples]
    ids = tokenizer(texts, add_special_tokens=True)["input_ids"]
    return [seq[: max_length - 1] + [tokenizer.eos_token_id] for seq in ids]


def sft_train(
    model,
    tokenizer,
    examples: Sequence[SFTExample],
    settings: SFTSettings,
    max_length: int,
    log: Callable[[str], None] = print,
) -> dict:
    """Next-token cross-entropy on whole sequences (padding masked); returns loss figures."""
    torch.manual_seed(settings.sft_seed)
    device = next(model.parameters()).device
    seqs = tokenize_examples(tokenizer, examples, max_length)
    optimizer = adamw(model.parameters(), device, lr=settings.sft_lr, weight_decay=0.0)
    warmup = max(1, settings.sft_steps // 20)

    def lr_factor(step: int) -> float:
        return min((step + 1) / warmup, max(0.0, (settings.sft_steps - step) / max(1, settings.sft_steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    model.train()
    losses: list[float] = []
    bs = settings.sft_batch_size
    for step in range(settings.sft_steps):
        batch = [seqs[(step * bs + i) % len(seqs)] for i in range(bs)]
        input_ids, attention = pad_right(batch, tokenizer.pad_token_id, device)  # (B, T)
        labels = input_ids.masked_fill(attention == 0, -100)
        loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
        if not math.isfinite(loss.item()):
            raise FloatingPointError(f"SFT loss became {loss.item()} at step {step}")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if (step + 1) % max(1, settings.sft_steps // 5) == 0:
            log(f"  sft step {step + 1}/{settings.sft_steps} loss {sum(losses[-20:]) / len(losses[-20:]):.3f}")
    model.eval()
    tail = losses[-max(1, len(losses) // 10) :] if losses else [float("nan")]
    return {"sft_final_loss": round(sum(tail) / len(tail), 4), "sft_steps": settings.sft_steps}
