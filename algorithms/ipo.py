"""IPO (Azar et al., 2023) over TRL's DPOTrainer with loss_type "ipo".

loss = (Δ − 1/(2β))², Δ the difference of the chosen and rejected log-ratios π/π_ref, each averaged over its
completion tokens as TRL 1.16 does (pobench.contracts.losses.ipo_loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import implicit, meanings
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.core.settings import DataSettings
from pobench.kit.exact_eval import Target, ipo_optimum
from pobench.kit.trl_support import TRLAdapter, TRLParams, preference_trainer

FRONTIER_GRID = ("1", "0.1")  # β: tune_grids.choose_runs (seeds 100, 101); tiny runs over the rate (TINY preset)
# the knob values `pobench dev tune-grids` tries: six, as for every algorithm
TUNING_CANDIDATES = ("0.1", "0.3", "1", "3", "10", "30")


@dataclass(frozen=True)
class IPOParams(TRLParams):
    beta: float = param(
        0.1,
        "β (the paper's τ): regularization toward the reference; the target per-token log-ratio margin is 1/(2β)",
        gt=0,
        meaning=meanings.KL_STRENGTH,
    )


@register("ipo")
class IPO(TRLAdapter):
    description = "Identity Preference Optimization, squared loss on per-token log-ratios (TRL DPOTrainer)"
    data = "paired"
    needs_reference = True
    hparams = IPOParams
    kl_knob = "beta"
    frontier_grid = FRONTIER_GRID
    tuning_candidates = TUNING_CANDIDATES
    validation = {"beta": "1", "learning_rate": "2e-3"}
    knob_note = (
        "TRL averages IPO's log-ratios per token, so β asks for a margin of 1/(2β) nats per token "
        "(β = 0.1: 5 nats per token), not per sequence as in the paper"
    )

    def exact_target(self, params: IPOParams, data: DataSettings) -> Target:
        return ipo_optimum(params.beta, data.labeler_temperature, per_token=True)  # TRL averages per token

    def implicit_reward(self, params, policy_logp: float, reference_logp: float, length: int) -> float:
        return implicit.reference_ratio(params.beta, policy_logp, reference_logp)

    def build_trainer(self, ctx: TrainContext):
        """The configured TRL trainer, untrained (tests compare its loss with pobench.contracts.losses.ipo_loss)."""
        from trl import DPOConfig, DPOTrainer

        return preference_trainer(DPOTrainer, DPOConfig, ctx, reference=True, beta=ctx.params.beta, loss_type=["ipo"])
