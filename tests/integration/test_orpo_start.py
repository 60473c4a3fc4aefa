"""ORPO's start=base: the policy starts from the model SFT starts from; the reference (the KL's) stays the SFT model,
and SFT's FLOPs are counted where it is built, for the claim that ORPO folds SFT in."""

from pathlib import Path

import torch
from pobench.contracts.adapter import TrainContext
from pobench.core.cache import ArtifactCache
from pobench.core.models import TinyLlama, load_model
from pobench.core.settings import Budget, SFTSettings
from pobench.harness.prepare import prepare_reference
from pobench.tasks import TASKS


def test_the_base_is_the_untrained_start_of_sft_and_sft_counts_its_flops(tmp_path):
    task, cache, quiet = TASKS.get("sentiment")(), ArtifactCache(tmp_path, log=lambda _: None), lambda _: None
    sft = SFTSettings(sft_steps=2, sft_batch_size=2)
    reference = prepare_reference(task, TinyLlama(), sft, cache, "cpu", quiet)
    base = prepare_reference(task, TinyLlama(), sft, cache, "cpu", quiet, base=True)
    assert base.key.startswith("base-") and base.key != reference.key
    assert "sft_flops" not in base.extra and reference.extra["sft_flops"] > 0
    # two SFT steps moved the weights away from the base, which is the SFT seed's initialization itself
    untrained = prepare_reference(task, TinyLlama(), SFTSettings(sft_steps=0, sft_batch_size=2), cache, "cpu", quiet)
    weights = [dict(load_model(a.path).named_parameters()) for a in (base, reference, untrained)]
    name = next(iter(weights[0]))
    assert torch.equal(weights[0][name], weights[2][name]) and not torch.equal(weights[0][name], weights[1][name])
    ctx = TrainContext(None, Budget(), task, reference.path, Path("."), tmp_path, "cpu", 0, None, cache)
    assert ctx.load_policy().state_dict()[name].equal(weights[1][name])  # by default the policy starts at SFT
    ctx.policy_dir = base.path
    assert ctx.load_policy().state_dict()[name].equal(weights[0][name])
    assert ctx.load_reference().state_dict()[name].equal(weights[1][name])  # the reference does not move
