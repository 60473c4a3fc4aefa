"""pobench-hinge: a DPO-style variant in its own package, registered through the entry-point group.

SLiC-HF's hinge loss (Zhao et al., 2023) on DPO's log-ratio margin:
loss = max(0, 1 − β·[(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))]).
"""

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts import meanings
from pobench.contracts.adapter import TrainContext
from pobench.core.params import param
from pobench.kit.trl_support import TRLAdapter, TRLParams, preference_trainer


@dataclass(frozen=True)
class HingeParams(TRLParams):  # the learning rate every TRL-backed adapter has, one setting with theirs
    # β on DPO's log-ratio margin, as DPO's: one `--set beta` sets both in a sweep
    beta: float = param(
        0.1, "β: the margin is reached when β times the log-ratio gap reaches 1", meaning=meanings.KL_STRENGTH
    )


@register("hinge-dpo")
class HingeDPO(TRLAdapter):
    description = "DPO-style hinge loss (SLiC-HF), from the example plugin package pobench-hinge"
    data = "paired"
    hparams = HingeParams

    def build_trainer(self, ctx: TrainContext):
        from trl import DPOConfig, DPOTrainer

        return preference_trainer(DPOTrainer, DPOConfig, ctx, reference=True, beta=ctx.params.beta, loss_type=["hinge"])
