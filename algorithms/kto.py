"""KTO (Ethayarajh et al., 2024) over TRL's KTOTrainer, on the unpaired view of the preference pairs.

desirable y: λ_D·(1 − σ(β·(r − z_ref))), undesirable y: λ_U·(1 − σ(β·(z_ref − r))), r = log π(y|x) − log π_ref(y|x)
summed over completion tokens, z_ref a batch estimate of KL(π‖π_ref) (pobench.contracts.losses.kto_loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import implicit, meanings
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.kit.trl_support import TRLAdapter, TRLParams, preference_trainer

FRONTIER_GRID = ("3", "1")  # β: tune_grids.choose_runs (seeds 100, 101); tiny runs over the rate (TINY preset)
# the knob values `pobench dev tune-grids` tries: six, as for every algorithm
TUNING_CANDIDATES = ("0.01", "0.03", "0.1", "0.3", "1", "3")


@dataclass(frozen=True)
class KTOParams(TRLParams):
    beta: float = param(
        0.1,
        "β: how fast the value saturates in the log-ratio, i.e. risk aversion (paper default 0.1)",
        gt=0,
        meaning=meanings.KL_STRENGTH,
    )
    desirable_weight: float = param(1.0, "λ_D: weight of the desirable examples' losses (paper default 1)", gt=0)
    undesirable_weight: float = param(1.0, "λ_U: weight of the undesirable examples' losses (paper default 1)", gt=0)
    labels: str = param(
        "pairs",
        "where the good/bad labels come from: pairs (each pair split, its chosen good, its rejected bad: two rows a "
        "pair) or alone (one completion a pair, labelled on its own by the same rater: as many labels as pairs)",
        choices=("pairs", "alone"),
        legacy="pairs",
    )
    desirable_kept: float = param(
        1.0,
        "fraction of the desirable rows kept (labels=alone; the paper drops up to 90%: then raise desirable_weight "
        "so that λ_D·n_D / λ_U·n_U stays in [1, 4/3])",
        gt=0,
        le=1,
        legacy=1.0,
    )


@register("kto")
class KTO(TRLAdapter):
    description = "Kahneman-Tversky Optimization on unpaired desirable/undesirable examples (TRL KTOTrainer)"
    data = "unpaired"
    needs_reference = True
    hparams = KTOParams
    kl_knob = "beta"
    frontier_grid = FRONTIER_GRID
    tuning_candidates = TUNING_CANDIDATES

    def setting_conflict(self, params, task) -> str:
        if params.desirable_kept < 1 and params.labels != "alone":
            return (f"--set desirable_kept={params.desirable_kept:g} drops desirable rows of completions labelled "
                    "alone: give --set labels=alone with it (the view of pairs keeps both rows of a pair)")  # fmt: skip
        if params.labels == "alone" and task.preference_rows() is not None:
            return (f"--set labels=alone labels sampled completions, and {task.name} gives its preference rows: "
                    "use labels=pairs, or a task whose pairs pobench samples")  # fmt: skip
        return ""

    def implicit_reward(self, params, policy_logp: float, reference_logp: float, length: int) -> float:
        return implicit.reference_ratio(params.beta, policy_logp, reference_logp)

    def build_trainer(self, ctx: TrainContext):
        """The configured TRL trainer, untrained (tests compare its loss with pobench.contracts.losses.kto_loss)."""
        from trl import KTOConfig, KTOTrainer

        p = ctx.params
        return preference_trainer(
            KTOTrainer,
            KTOConfig,
            ctx,
            reference=True,
            unpaired=True,
            beta=p.beta,
            desirable_weight=p.desirable_weight,
            undesirable_weight=p.undesirable_weight,
            loss_type="kto",
        )
