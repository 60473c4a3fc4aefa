"""The SFT baseline: the reference model itself, evaluated like every trained policy (its KL is 0)."""

from __future__ import annotations

from algorithms import register
from algorithms.base import Adapter, TrainContext, TrainResult


@register("sft")
class SFT(Adapter):
    description = "baseline: the SFT (reference) model, untrained further"
    data = "none"
    trains = False
    needs_reference = True

    def train(self, ctx: TrainContext) -> TrainResult:
        return TrainResult(policy=ctx.load_reference())
