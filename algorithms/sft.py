"""The SFT baseline: the reference model itself, evaluated like every trained policy (its KL is 0).

It also draws ``frontier_samples`` more samples per eval prompt from the reference and records their gold
rewards: the leaderboard pools them over seeds to estimate the optimal reward-vs-KL frontier
(π*_β ∝ π_ref·exp(r/β)) and oracle best-of-n, the limits every method is measured against.
"""

from __future__ import annotations

from dataclasses import dataclass

from pobench.algorithms import register
from pobench.contracts.adapter import Adapter, TrainContext, TrainResult
from pobench.core.params import param
from pobench.core.settings import DataSettings
from pobench.kit.exact_eval import Target, reference_itself


@dataclass(frozen=True)
class SFTParams:
    frontier_samples: int = param(
        64, "reference samples per eval prompt whose gold rewards estimate the optimal frontier (0: none)", ge=0
    )


@register("sft")
class SFT(Adapter):
    description = "baseline: the SFT (reference) model, untrained further; samples for the optimal frontier"
    data = "none"
    trains = False
    needs_reference = True
    hparams = SFTParams
    smoke = {"frontier_samples": "4"}

    def exact_target(self, params: SFTParams, data: DataSettings) -> Target:
        return reference_itself()

    def train(self, ctx: TrainContext) -> TrainResult:
        return TrainResult(policy=ctx.load_reference(), reference_samples=ctx.params.frontier_samples)
