"""SimPO (Meng et al., 2024) over TRL's CPOTrainer with loss_type "simpo" and no NLL term (cpo_alpha = 0).

loss = −log σ(β·(avg log π(y_w|x) − avg log π(y_l|x)) − γ), log-probs averaged over completion tokens,
no reference model (pobench.contracts.losses.simpo_loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import implicit
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.kit.trl_support import TRLAdapter, TRLParams, preference_trainer

KNOB = "learning_rate"  # no reference model: the knob that moves it from the SFT model
FRONTIER_GRID = ("1e-3", "3e-3")  # two runs read along training: tune_grids.choose_runs (seeds 100, 101)
# the knob values `pobench dev tune-grids` tries: six, as for every algorithm
TUNING_CANDIDATES = ("1e-5", "3e-5", "1e-4", "3e-4", "1e-3", "3e-3")


@dataclass(frozen=True)
class SimPOParams(TRLParams):
    beta: float = param(2.0, "β: scale of the length-normalized reward β·avg log π (paper: 2.0 to 2.5)", gt=0)
    simpo_gamma: float = param(1.0, "γ: target reward margin (paper, Llama-3-Base: β = 2, γ = 1, i.e. γ/β = 0.5)", ge=0)


@register("simpo")
class SimPO(TRLAdapter):
    description = "Simple Preference Optimization: length-normalized, reference-free, with margin (TRL CPOTrainer)"
    data = "paired"
    needs_reference = False
    trainer_counts_tokens = False  # TRL's CPO/ORPO trainers keep no count
    hparams = SimPOParams
    kl_knob = KNOB
    frontier_grid = FRONTIER_GRID
    tuning_candidates = TUNING_CANDIDATES
    knob_note = "no reference model: its learning rate is what moves it away from the SFT model"

    def implicit_reward(self, params, policy_logp: float, reference_logp: float, length: int) -> float:
        return implicit.length_normalized(params.beta, policy_logp, length)

    def build_trainer(self, ctx: TrainContext):
        """The configured TRL trainer, untrained (tests compare its loss with pobench.contracts.losses.simpo_loss)."""
        from trl.experimental.cpo import CPOConfig, CPOTrainer

        p = ctx.params
        return preference_trainer(
            CPOTrainer,
            CPOConfig,
            ctx,
            reference=False,
            beta=p.beta,
            simpo_gamma=p.simpo_gamma,
            cpo_alpha=0.0,
            loss_type="simpo",
        )
