"""RLOO (Ahmadian et al., 2024) over TRL's RLOOTrainer: REINFORCE with a leave-one-out baseline.

For each prompt, num_generations completions are sampled; a completion's advantage is its reward
minus the mean reward of the other completions of the same prompt; no critic. β is the KL
coefficient toward the reference (TRL's default 0.05). Reward: the task's gold reward by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from algorithms import register
from algorithms.base import Adapter, TrainContext, TrainResult
from bench.online import OnlineParams, build_online_trainer, train_online


@dataclass(frozen=True)
class RLOOParams(OnlineParams):
    pass


@register("rloo")
class RLOO(Adapter):
    description = "REINFORCE Leave-One-Out, online (TRL RLOOTrainer), task reward"
    data = "prompts"
    hparams = RLOOParams
    smoke = {"updates": "2", "rollout_prompts": "2"}

    def build_trainer(self, ctx: TrainContext):
        from trl import RLOOConfig, RLOOTrainer

        return build_online_trainer(RLOOTrainer, RLOOConfig, ctx)

    def train(self, ctx: TrainContext) -> TrainResult:
        return train_online(self.build_trainer(ctx), ctx)
