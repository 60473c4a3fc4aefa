"""Shared plumbing for adapters over TRL trainers: the cell's budget as TRL arguments, the curve."""

from __future__ import annotations

from typing import Any

from algorithms.base import TrainContext, TrainResult
from bench.preference import PAIRS, UNPAIRED, read_jsonl

# TRL's log keys that are bookkeeping rather than curve
_SKIP = {"epoch", "total_flos", "train_loss", "train_runtime", "train_samples_per_second", "train_steps_per_second"}


def trl_args(config_cls: type, ctx: TrainContext, **algorithm_kwargs: Any):
    """Map the cell's shared budget (the same for every offline adapter) onto a TRL config."""
    budget = ctx.budget
    on_cuda = ctx.device.startswith("cuda")
    return config_cls(
        output_dir=str(ctx.work_dir),
        per_device_train_batch_size=budget.batch_size,
        num_train_epochs=budget.epochs,
        learning_rate=ctx.params.learning_rate,
        lr_scheduler_type=budget.lr_schedule,
        warmup_steps=budget.warmup_ratio,  # a float below 1 is a ratio of the total steps
        max_length=budget.max_length,
        logging_steps=1,
        seed=ctx.seed,
        data_seed=ctx.seed,
        report_to="none",
        save_strategy="no",
        bf16=on_cuda,
        gradient_checkpointing=False,
        use_cpu=not on_cuda,
        disable_tqdm=True,
        dataloader_num_workers=0,
        **algorithm_kwargs,
    )


def paired_dataset(ctx: TrainContext):
    from datasets import Dataset

    rows = _take(read_jsonl(ctx.data_dir / PAIRS), ctx.budget.train_examples)
    return Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows])


def unpaired_dataset(ctx: TrainContext):
    from datasets import Dataset

    rows = _take(read_jsonl(ctx.data_dir / UNPAIRED), 2 * ctx.budget.train_examples)
    return Dataset.from_list([{k: r[k] for k in ("prompt", "completion", "label")} for r in rows])


def curve_callback(ctx: TrainContext):
    """A TrainerCallback that copies TRL's logs into the cell's curve under ``train/...`` names."""
    from transformers import TrainerCallback

    class CurveCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            metrics = {f"train/{k}": v for k, v in (logs or {}).items() if k not in _SKIP}
            if not metrics:
                return
            ctx.curve.log(state.global_step, metrics)
            every = max(1, state.max_steps // 10)
            if state.global_step % every == 0 and "train/loss" in metrics:
                ctx.log(f"  step {state.global_step}/{state.max_steps} loss {metrics['train/loss']:.4f}")

    return CurveCallback()


def train_with(trainer, examples: int) -> TrainResult:
    """Run a TRL trainer and report what went through it."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # the curve keeps the logs; no dict per step on stdout
    trainer.train()
    state = trainer.state
    tokens = int(getattr(trainer, "_total_train_tokens", 0))  # TRL counts non-padding tokens per batch
    model = trainer.model
    model.eval()
    return TrainResult(
        policy=model,
        train_tokens=tokens,
        train_samples=examples * int(trainer.args.num_train_epochs),
        steps=state.global_step,
    )


def _take(rows: list[dict], n: int) -> list[dict]:
    return rows[:n] if n > 0 else rows
