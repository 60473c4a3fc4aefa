"""RLOO (Ahmadian et al., 2024) over TRL's RLOOTrainer: REINFORCE with a leave-one-out baseline.

For each prompt, num_generations completions are sampled; a completion's advantage is its reward
minus the mean reward of the other completions of the same prompt; no critic. β is the KL
coefficient toward the reference (TRL's default 0.05). Reward: the cached reward model by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts.adapter import TrainContext
from pobench.core.settings import DataSettings
from pobench.kit.exact_eval import Target, regularized_optimum
from pobench.kit.online import OnlineAdapter, OnlineParams, build_online_trainer


@dataclass(frozen=True)
class RLOOParams(OnlineParams):
    pass


@register("rloo")
class RLOO(OnlineAdapter):
    description = "REINFORCE Leave-One-Out, online (TRL RLOOTrainer), rewarded by the reward model"
    hparams = RLOOParams
    validation = {"reward": "gold", "beta": "0.3", "updates": "600"}

    def exact_target(self, params: RLOOParams, data: DataSettings) -> Target | None:
        """TRL's RLOO subtracts β·Σ_t (log π − log π_ref) from the reward: π*_β, when the reward is the gold one."""
        return regularized_optimum(params.beta) if params.reward == "gold" else None

    def build_trainer(self, ctx: TrainContext):
        from trl import RLOOConfig, RLOOTrainer

        return build_online_trainer(RLOOTrainer, RLOOConfig, ctx, self.reward_model_settings(ctx.params))
