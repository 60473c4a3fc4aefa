"""DPO (Rafailov et al., 2023) over TRL's DPOTrainer with loss_type "sigmoid".

loss = −log σ(β·[(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))]),
log-probs summed over completion tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from algorithms import register
from algorithms.base import Adapter, TrainContext, TrainResult
from algorithms.defaults import DEFAULT_LR
from bench.params import param


@dataclass(frozen=True)
class DPOParams:
    beta: float = param(0.1, "β: strength of the implicit KL penalty toward the reference (paper default 0.1)")
    learning_rate: float = param(DEFAULT_LR, "peak learning rate")


@register("dpo")
class DPO(Adapter):
    description = "Direct Preference Optimization, sigmoid loss (TRL DPOTrainer)"
    data = "paired"
    needs_reference = True
    hparams = DPOParams

    def train(self, ctx: TrainContext) -> TrainResult:
        from trl import DPOConfig, DPOTrainer

        from bench.trl_support import curve_callback, paired_dataset, train_with, trl_args

        dataset = paired_dataset(ctx)
        trainer = DPOTrainer(
            model=ctx.load_policy(),
            ref_model=ctx.load_reference(),
            args=trl_args(DPOConfig, ctx, beta=ctx.params.beta, loss_type=["sigmoid"]),
            train_dataset=dataset,
            processing_class=ctx.load_tokenizer(),
            callbacks=[curve_callback(ctx)],
        )
        return train_with(trainer, examples=len(dataset))
