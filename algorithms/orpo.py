"""ORPO (Hong et al., 2024) over TRL's ORPOTrainer: NLL plus an odds-ratio preference term, no reference.

loss = NLL − λ·log σ(log odds(y_w) − log odds(y_l)), odds from the average token log-prob; TRL's NLL covers the
chosen sequence's prompt and completion tokens (pobench.contracts.losses.orpo_loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import implicit
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.kit.trl_support import TRLAdapter, TRLParams, preference_trainer

KNOB = "learning_rate"  # no reference model: the knob that moves it from the SFT model
FRONTIER_GRID = ("3e-3", "1e-2")  # two runs read along training: tune_grids.choose_runs (seeds 100, 101)
# the knob values `pobench dev tune-grids` tries: six, as for every algorithm
TUNING_CANDIDATES = ("1e-4", "3e-4", "1e-3", "3e-3", "1e-2", "3e-2")


@dataclass(frozen=True)
class ORPOParams(TRLParams):
    beta: float = param(0.1, "λ: weight of the odds-ratio term against the NLL term (paper default 0.1)", gt=0)
    start: str = param(
        "sft",
        "the model the policy starts from: sft (the reference, as every method) or base (the model SFT starts from: "
        "pretrained weights, or tiny's random initialization), for ORPO's claim that it folds SFT in",
        choices=("sft", "base"),
        legacy="sft",
    )


@register("orpo")
class ORPO(TRLAdapter):
    description = "Odds Ratio Preference Optimization: NLL + odds-ratio term, reference-free (TRL ORPOTrainer)"
    data = "paired"
    needs_reference = False
    trainer_counts_tokens = False  # TRL's CPO/ORPO trainers keep no count
    hparams = ORPOParams
    kl_knob = KNOB
    frontier_grid = FRONTIER_GRID
    tuning_candidates = TUNING_CANDIDATES
    knob_note = "no reference model: its learning rate is what moves it away from the SFT model"

    def implicit_reward(self, params, policy_logp: float, reference_logp: float, length: int) -> float:
        return implicit.log_odds(policy_logp, length)

    def build_trainer(self, ctx: TrainContext):
        """The configured TRL trainer, untrained (tests compare its loss with pobench.contracts.losses.orpo_loss)."""
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer

        return preference_trainer(ORPOTrainer, ORPOConfig, ctx, reference=False, beta=ctx.params.beta)
