"""The analytic FLOP count (pobench.core.flops.count_flops) against torch's FlopCounterMode on ``tiny``, built as
pobench builds it (prepare_reference, without SFT: random weights cost the same FLOPs).

Each case runs under both counters at once and must agree within 15%. With sdpa attention (what pobench loads)
FlopCounterMode on CPU misses attention's products (``_scaled_dot_product_flash_attention_for_cpu`` has no
formula), so it reads a few percent low; with eager attention it counts every product this count does, and
the two agree to within 1%. Under TRL's DPO the counter also misses the in-place ``addmm_`` of TRL's chunked
log-prob head's backward (and sees its recomputation), so it reads ~7% low; PPO ~3%. Run with ``-s`` to see the ratios.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
import torch
from pobench.algorithms import ALGORITHMS
from pobench.algorithms.ppo import PPOParams
from pobench.contracts.adapter import TrainContext
from pobench.core.cache import ArtifactCache
from pobench.core.curve import Curve
from pobench.core.flops import FlopTally, count_flops
from pobench.core.generation import pad_right, sample
from pobench.core.models import TinyLlama, load_model, load_tokenizer
from pobench.core.settings import Budget, SFTSettings
from pobench.harness.prepare import prepare_reference
from pobench.tasks import TASKS
from torch.utils.flop_counter import FlopCounterMode

from tests.helpers import write_hand_pairs

TOLERANCE = 0.15  # analytic / counted within 1 ± this
EAGER_TOLERANCE = 0.01  # with eager attention the counter sees every product: agreement is near exact


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict:
    """``tiny`` on the sentiment task as pobench prepares it (its BPE tokenizer, the base model), without SFT."""
    root = tmp_path_factory.mktemp("flops")
    task = TASKS.get("sentiment")()
    cache = ArtifactCache(root / "cache", log=lambda _: None)
    reference = prepare_reference(task, TinyLlama(), SFTSettings(sft_steps=0), cache, "cpu", log=lambda _: None)
    return {"root": root, "task": task, "folder": reference.path, "tokenizer": load_tokenizer(reference.path)}


def loaded(tiny: dict, attention: str):
    model = load_model(tiny["folder"])
    model.set_attn_implementation(attention)
    return model


def measured(run) -> tuple[FlopTally, int]:
    """Run under both counters: (this module's tally, FlopCounterMode's total)."""
    with FlopCounterMode(display=False) as counter, count_flops() as tally:
        run()
    return tally, counter.get_total_flops()


def check(case: str, tally: FlopTally, counted: int, tolerance: float = TOLERANCE) -> float:
    ratio = tally.total / counted
    print(f"\n  {case}: analytic {tally.total:,} / FlopCounterMode {counted:,} = {ratio:.4f}  ({tally})")
    assert abs(ratio - 1) < tolerance, (case, ratio)
    return ratio


def padded_batch(tiny: dict, n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    tokenizer = tiny["tokenizer"]
    texts = [e.prompt + e.completion for e in tiny["task"].sft_examples(n, seed=0)]
    ids, mask = pad_right([tokenizer(t)["input_ids"] for t in texts], tokenizer.pad_token_id, "cpu")  # (B, T)
    assert (mask == 0).any()  # padded: its positions cost FLOPs in both counts
    return ids, mask


def bound(attention: str) -> float:
    return EAGER_TOLERANCE if attention == "eager" else TOLERANCE


def context(params, budget: Budget, tiny: dict, tmp_path: Path, data_dir: Path) -> TrainContext:
    """A quiet adapter context on ``tiny``'s folder, seed 0, on the CPU."""
    return TrainContext(
        params=params,
        budget=budget,
        task=tiny["task"],
        reference_dir=Path(tiny["folder"]),
        data_dir=data_dir,
        work_dir=tmp_path / "work",
        device="cpu",
        seed=0,
        curve=Curve(),
        cache=ArtifactCache(tmp_path / "cache", log=lambda _: None),
        log=lambda _: None,
    )


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_a_training_step(tiny, attention):
    model, (ids, mask) = loaded(tiny, attention), padded_batch(tiny)

    def step():
        model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss.backward()

    tally, counted = measured(step)
    assert tally.trainable == tally.total > 0 and tally.calls == 1
    check(f"training step, {attention}", tally, counted, bound(attention))


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_frozen_forwards_of_the_policy_and_the_reward_model(tiny, attention):
    from transformers import AutoModelForSequenceClassification

    ids, mask = padded_batch(tiny)
    reward_model = AutoModelForSequenceClassification.from_pretrained(str(tiny["folder"]), num_labels=1)
    reward_model.set_attn_implementation(attention)
    for name, model in (("causal LM", loaded(tiny, attention)), ("reward model", reward_model)):
        with torch.no_grad():
            tally, counted = measured(lambda m=model: m(input_ids=ids, attention_mask=mask))
        assert tally.frozen == tally.total > 0 and tally.calls == 1
        check(f"frozen forward, {name}, {attention}", tally, counted, bound(attention))


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_generation_with_the_cache(tiny, attention):
    model, tokenizer = loaded(tiny, attention), tiny["tokenizer"]
    prompts = tiny["task"].eval_prompts()[:4]
    drawn = []
    tally, counted = measured(lambda: drawn.append(sample(model, tokenizer, prompts, 2, 16, 0, 8)))
    steps = max(len(r) for r in drawn[0].response_ids)
    assert tally.generation == tally.total > 0 and tally.calls == steps  # the prefill, then one call per token after
    check(f"generation (4 prompts x 2, {steps} tokens), {attention}", tally, counted, bound(attention))


def test_a_dpo_run_through_trl(tiny, tmp_path):
    """Two steps of the DPO adapter's TRL trainer (batch 4 of 8 pairs), its reference log-probs precomputed."""
    params = ALGORITHMS.get("dpo").hparams()
    ctx = context(params, Budget(batch_size=4, max_length=64), tiny, tmp_path, write_hand_pairs(tmp_path / "data"))
    start = time.perf_counter()
    results = []
    tally, counted = measured(lambda: results.append(ALGORITHMS.get("dpo")().train(ctx)))
    assert results[0].steps == 2
    assert tally.trainable > 0 and tally.frozen > 0 and tally.generation == 0  # policy steps; the reference's pass
    check(f"DPO through TRL, 2 steps ({time.perf_counter() - start:.1f}s)", tally, counted)


def test_a_ppo_update(tiny, tmp_path):
    """One PPO update on the gold reward: the actor samples (generation), the actor, reference and critic score
    without gradients (frozen; the critic calls the SFT model's bare body, no LM head), then actor and critic train.
    The critic's Linear(hidden, 1) value head is outside the count (about 0.01% of the critic's FLOPs)."""
    params = dataclasses.replace(
        PPOParams(), updates=1, rollout_prompts=8, ppo_epochs=1, minibatch_size=8, reward="gold", critic_init="sft"
    )
    (tmp_path / "data").mkdir()
    ctx = context(params, Budget(), tiny, tmp_path, tmp_path / "data")
    start = time.perf_counter()
    tally, counted = measured(lambda: ALGORITHMS.get("ppo")().train(ctx))
    assert tally.trainable > 0 and tally.frozen > 0 and tally.generation > 0
    check(f"PPO, 1 update of 8 rollouts ({time.perf_counter() - start:.1f}s)", tally, counted)
