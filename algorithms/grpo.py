"""GRPO (Shao et al., 2024) over TRL's GRPOTrainer: group-relative advantages, no critic.

For each prompt, num_generations completions are sampled; a completion's advantage is its reward
minus its group's mean, over the group's standard deviation; the clipped surrogate is applied per
token, averaged per sequence (loss_type "grpo", as in the paper), with a KL penalty β toward the
reference. Reward: the task's gold reward by default, or the cached reward model.
"""

from __future__ import annotations

from dataclasses import dataclass

from algorithms import register
from algorithms.base import Adapter, TrainContext, TrainResult
from bench.online import OnlineParams, build_online_trainer, train_online
from bench.params import param


@dataclass(frozen=True)
class GRPOParams(OnlineParams):
    beta: float = param(0.04, "KL coefficient toward the reference (the GRPO paper's 0.04)")


@register("grpo")
class GRPO(Adapter):
    description = "Group Relative Policy Optimization, online (TRL GRPOTrainer), task reward"
    data = "prompts"
    hparams = GRPOParams
    smoke = {"updates": "2", "rollout_prompts": "2"}

    def build_trainer(self, ctx: TrainContext):
        from trl import GRPOConfig, GRPOTrainer

        return build_online_trainer(GRPOTrainer, GRPOConfig, ctx, loss_type="grpo")

    def train(self, ctx: TrainContext) -> TrainResult:
        return train_online(self.build_trainer(ctx), ctx)
