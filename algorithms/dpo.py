"""DPO (Rafailov et al., 2023) over TRL's DPOTrainer with loss_type "sigmoid".

loss = −log σ(β·[(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))]),
log-probs summed over completion tokens (pobench.contracts.losses.dpo_loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import implicit, meanings
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.core.settings import DataSettings
from pobench.kit.exact_eval import Target, dpo_optimum
from pobench.kit.trl_support import TRLAdapter, TRLParams, preference_trainer

FRONTIER_GRID = ("0.1", "0.03")  # β: tune_grids.choose_runs (seeds 100, 101); tiny runs over the rate (TINY preset)
# the knob values `pobench dev tune-grids` tries: six, as for every algorithm
TUNING_CANDIDATES = ("0.01", "0.03", "0.1", "0.3", "1", "3")


@dataclass(frozen=True)
class DPOParams(TRLParams):
    beta: float = param(
        0.1,
        "β: strength of the implicit KL penalty toward the reference (paper default 0.1)",
        gt=0,
        meaning=meanings.KL_STRENGTH,
    )


@register("dpo")
class DPO(TRLAdapter):
    description = "Direct Preference Optimization, sigmoid loss (TRL DPOTrainer)"
    data = "paired"
    needs_reference = True
    hparams = DPOParams
    kl_knob = "beta"
    frontier_grid = FRONTIER_GRID
    tuning_candidates = TUNING_CANDIDATES
    validation = {"beta": "3", "learning_rate": "2e-3"}  # T·β = 0.3: a target 0.32 in TV from the reference

    def exact_target(self, params: DPOParams, data: DataSettings) -> Target:
        return dpo_optimum(params.beta, data.labeler_temperature)

    def implicit_reward(self, params, policy_logp: float, reference_logp: float, length: int) -> float:
        return implicit.reference_ratio(params.beta, policy_logp, reference_logp)

    def build_trainer(self, ctx: TrainContext):
        """The configured TRL trainer, untrained (tests compare its loss with pobench.contracts.losses.dpo_loss)."""
        from trl import DPOConfig, DPOTrainer

        return preference_trainer(
            DPOTrainer, DPOConfig, ctx, reference=True, beta=ctx.params.beta, loss_type=["sigmoid"]
        )
