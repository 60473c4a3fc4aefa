"""CPO (Xu et al., 2024) over TRL's CPOTrainer with loss_type "sigmoid": DPO without a reference, plus NLL.

loss = −log σ(β·(log π(y_w|x) − log π(y_l|x))) + α·NLL(y_w), log-probs summed over completion tokens,
NLL averaged over the chosen completions' tokens (pobench.contracts.losses.cpo_loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import implicit
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.kit.trl_support import TRLAdapter, TRLParams, preference_trainer

KNOB = "learning_rate"  # no reference model: the knob that moves it from the SFT model
FRONTIER_GRID = ("1e-3", "1e-2")  # two runs read along training: tune_grids.choose_runs (seeds 100, 101)
# the knob values `pobench dev tune-grids` tries: six, as for every algorithm
TUNING_CANDIDATES = ("1e-4", "3e-4", "1e-3", "3e-3", "1e-2", "3e-2")


@dataclass(frozen=True)
class CPOParams(TRLParams):
    beta: float = param(0.1, "β: scale of the policy's log-likelihood margin in the sigmoid (paper default 0.1)", gt=0)
    cpo_alpha: float = param(
        1.0, "α: weight of the NLL (behaviour-cloning) term on the chosen completions (paper 1)", ge=0
    )


@register("cpo")
class CPO(TRLAdapter):
    description = "Contrastive Preference Optimization: reference-free sigmoid loss + NLL (TRL CPOTrainer)"
    data = "paired"
    needs_reference = False
    trainer_counts_tokens = False  # TRL's CPO/ORPO trainers keep no count
    hparams = CPOParams
    kl_knob = KNOB
    frontier_grid = FRONTIER_GRID
    tuning_candidates = TUNING_CANDIDATES
    knob_note = "no reference model: its learning rate is what moves it away from the SFT model"

    def implicit_reward(self, params, policy_logp: float, reference_logp: float, length: int) -> float:
        return implicit.likelihood(params.beta, policy_logp)

    def build_trainer(self, ctx: TrainContext):
        """The configured TRL trainer, untrained (tests compare its loss with pobench.contracts.losses.cpo_loss)."""
        from trl.experimental.cpo import CPOConfig, CPOTrainer

        p = ctx.params
        return preference_trainer(
            CPOTrainer, CPOConfig, ctx, reference=False, beta=p.beta, cpo_alpha=p.cpo_alpha, loss_type="sigmoid"
        )
