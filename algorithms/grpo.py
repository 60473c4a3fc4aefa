"""GRPO (Shao et al., 2024) over TRL's GRPOTrainer: group-relative advantages, no critic.

For each prompt, num_generations completions are sampled; a completion's advantage is its reward
minus its group's mean, over the group's standard deviation; the clipped surrogate is applied per
token, averaged per sequence (loss_type "grpo", as in the paper), with a KL penalty β toward the
reference. Reward: the cached reward model by default, or the task's gold reward (an oracle).
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import meanings
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.kit.online import OnlineAdapter, OnlineParams, build_online_trainer


@dataclass(frozen=True)
class GRPOParams(OnlineParams):
    beta: float = param(
        0.04, "KL coefficient toward the reference (the GRPO paper's 0.04)", meaning=meanings.ONLINE_KL_COEF
    )


@register("grpo")
class GRPO(OnlineAdapter):
    description = "Group Relative Policy Optimization, online (TRL GRPOTrainer), rewarded by the reward model"
    hparams = GRPOParams
    validation = {"reward": "gold", "beta": "0.3", "updates": "600"}

    def build_trainer(self, ctx: TrainContext):
        from trl import GRPOConfig, GRPOTrainer

        settings = self.reward_model_settings(ctx.params)
        return build_online_trainer(GRPOTrainer, GRPOConfig, ctx, settings, loss_type="grpo")
