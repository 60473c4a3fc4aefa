"""Each TRL-backed adapter trains with the loss pobench says it does.

For every adapter: build its trainer exactly as it trains (``adapter.build_trainer``), take one batch from
the trainer's own data loader, and let TRL compute the loss. Then recompute that loss with the function in
bench/contracts/losses.py from log-probs this test computes itself (a plain forward of fresh copies of the policy
and reference, token log-probs gathered and masked to the completion as each trainer masks them). Agreement
shows the adapter set TRL's loss type, β (and γ, λ, weights), summing or averaging over tokens and the
batch mean as intended. Non-default hyperparameters are used, so an adapter that dropped one would fail; a
power check shows a wrong β would be caught.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import TrainContext
from pobench.contracts.losses import (
    cpo_loss,
    dpo_loss,
    ipo_loss,
    kto_loss,
    kto_reference_point,
    orpo_loss,
    sequence_logps,
    simpo_loss,
    token_mean_nll,
)
from pobench.core.cache import ArtifactCache
from pobench.core.curve import Curve
from pobench.core.logprobs import gather_token_logprobs
from pobench.core.models import TinyLlama, load_model
from pobench.core.settings import Budget
from pobench.core.tokenizer import train_bpe_tokenizer
from pobench.tasks import TASKS
from torch.testing import assert_close

from tests.helpers import write_hand_pairs

# Non-default values (and not TRL's defaults), so an adapter that ignored one would be caught.
PARAMS = {
    "dpo": {"beta": 0.3},
    "ipo": {"beta": 0.3},
    "kto": {"beta": 0.3, "desirable_weight": 1.5, "undesirable_weight": 0.7},
    "cpo": {"beta": 0.3, "cpo_alpha": 0.6},
    "simpo": {"beta": 1.7, "simpo_gamma": 0.6},
    "orpo": {"beta": 0.3},
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """A tiny reference model, a policy with perturbed weights (policy ≠ reference), and hand-written data."""
    root = tmp_path_factory.mktemp("parity")
    texts = [e.prompt + e.completion for e in TASKS.get("sentiment")().sft_examples(2000, seed=0)]
    train_bpe_tokenizer(texts, 300, root / "tok")
    TinyLlama(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2).build_base(
        root / "tok", root / "reference", 0
    )
    policy = load_model(root / "reference")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=generator))
    policy.save_pretrained(root / "policy")
    write_hand_pairs(root / "data")
    return {"reference": root / "reference", "policy": root / "policy", "data": root / "data"}


def make_context(algo: str, folders: dict[str, Path], tmp_path: Path) -> TrainContext:
    ctx = TrainContext(
        params=ALGORITHMS.get(algo).hparams(**PARAMS[algo]),
        budget=Budget(batch_size=4, max_length=64),
        task=TASKS.get("sentiment")(),
        reference_dir=folders["reference"],
        data_dir=folders["data"],
        work_dir=tmp_path / "work",
        device="cpu",
        seed=0,
        curve=Curve(),
        cache=ArtifactCache(tmp_path / "cache"),
        log=lambda _: None,
    )
    ctx.load_policy = lambda: load_model(folders["policy"])  # the trainable copy starts away from the reference
    return ctx


def token_logps(model, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """log π(x_t | x_<t) for t ≥ 1, by a plain forward: (B, T) ids → (B, T − 1)."""
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    return gather_token_logprobs(logits[:, :-1], input_ids[:, 1:])


def labelled_logps(model, batch: dict, side: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Token log-probs and completion mask of CPO/ORPO's ``{side}_labels`` (−100 on prompt and padding)."""
    ids, labels = batch[f"{side}_input_ids"], batch[f"{side}_labels"]
    lp = gather_token_logprobs(_logits(model, ids, batch[f"{side}_attention_mask"])[:, :-1], labels[:, 1:].clamp(min=0))
    return lp, labels[:, 1:] != -100


def _logits(model, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits


def ours_dpo_family(batch: dict, models: dict, params, kind: str) -> torch.Tensor:
    """DPOTrainer's batch is [chosen; rejected]; log-probs summed over ``completion_mask[:, 1:]``."""
    mask = batch["completion_mask"][:, 1:]
    policy = sequence_logps(token_logps(models["policy"], batch["input_ids"], batch["attention_mask"]), mask)
    ref = sequence_logps(token_logps(models["reference"], batch["input_ids"], batch["attention_mask"]), mask)
    chosen, rejected = policy.chunk(2)
    ref_chosen, ref_rejected = ref.chunk(2)
    if kind == "dpo":
        return dpo_loss(chosen, rejected, ref_chosen, ref_rejected, params.beta)
    chosen_len, rejected_len = batch["completion_mask"].sum(1).float().chunk(2)
    return ipo_loss(chosen, rejected, ref_chosen, ref_rejected, chosen_len, rejected_len, params.beta)


def ours_kto(batch: dict, models: dict, params) -> torch.Tensor:
    """KTOTrainer: summed completion log-probs; z_ref from the batch's mismatched ``KL_*`` sequences."""

    def seq(model, prefix: str) -> torch.Tensor:
        lp = token_logps(model, batch[f"{prefix}input_ids"], batch[f"{prefix}attention_mask"])
        return sequence_logps(lp, batch[f"{prefix}completion_mask"][:, 1:])

    z_ref = kto_reference_point(seq(models["policy"], "KL_"), seq(models["reference"], "KL_"))
    return kto_loss(
        seq(models["policy"], ""),
        seq(models["reference"], ""),
        torch.as_tensor(batch["label"]).bool(),
        z_ref,
        params.beta,
        params.desirable_weight,
        params.undesirable_weight,
    )


def ours_cpo_family(batch: dict, models: dict, params, kind: str) -> torch.Tensor:
    """CPOTrainer/ORPOTrainer: log-probs over ``labels != −100`` (the completion), summed or averaged."""
    chosen_lp, chosen_mask = labelled_logps(models["policy"], batch, "chosen")
    rejected_lp, rejected_mask = labelled_logps(models["policy"], batch, "rejected")
    average = kind != "cpo"
    chosen = sequence_logps(chosen_lp, chosen_mask, average=average)
    rejected = sequence_logps(rejected_lp, rejected_mask, average=average)
    if kind == "cpo":
        return cpo_loss(chosen, rejected, token_mean_nll(chosen_lp, chosen_mask), params.beta, params.cpo_alpha)
    if kind == "simpo":
        return simpo_loss(chosen, rejected, params.beta, params.simpo_gamma)
    # ORPO's NLL: every non-padding token of the chosen sequence, prompt included
    ids, attention = batch["chosen_input_ids"], batch["chosen_attention_mask"]
    nll = token_mean_nll(token_logps(models["policy"], ids, attention), attention[:, 1:])
    return orpo_loss(chosen, rejected, nll, params.beta)


OURS: dict[str, Callable] = {
    "dpo": lambda b, m, p: ours_dpo_family(b, m, p, "dpo"),
    "ipo": lambda b, m, p: ours_dpo_family(b, m, p, "ipo"),
    "kto": ours_kto,
    "cpo": lambda b, m, p: ours_cpo_family(b, m, p, "cpo"),
    "simpo": lambda b, m, p: ours_cpo_family(b, m, p, "simpo"),
    "orpo": lambda b, m, p: ours_cpo_family(b, m, p, "orpo"),
}


@pytest.mark.parametrize("algo", sorted(OURS))
def test_trl_loss_matches_pobench_loss(algo, folders, tmp_path):
    ctx = make_context(algo, folders, tmp_path)
    trainer = ALGORITHMS.get(algo)().build_trainer(ctx)
    batch = next(iter(trainer.get_train_dataloader()))
    with torch.no_grad():
        trl_loss = trainer.compute_loss(trainer.model, batch).detach()
    models = {"policy": load_model(folders["policy"]).eval(), "reference": load_model(folders["reference"]).eval()}
    ours = OURS[algo](batch, models, ctx.params)
    assert_close(ours.to(trl_loss.dtype), trl_loss, rtol=1e-4, atol=1e-6)

    # Power: the same recomputation at another β lands outside the tolerance, so agreement is informative.
    wrong = OURS[algo](batch, models, dataclasses.replace(ctx.params, beta=2 * ctx.params.beta))
    assert not torch.allclose(wrong.to(trl_loss.dtype), trl_loss, rtol=1e-3, atol=1e-5), (algo, wrong, trl_loss)


@pytest.mark.parametrize("algo", ["cpo", "orpo"])
def test_reference_free_trainers_count_the_tokens_of_their_batches(algo, folders, tmp_path):
    """TRL's CPO/ORPO trainers do not count tokens; paired_dataset_tokens must equal what their batches hold."""
    from pobench.kit.trl_support import paired_dataset_tokens

    trainer = ALGORITHMS.get(algo)().build_trainer(make_context(algo, folders, tmp_path))
    in_batches = sum(
        int(batch["chosen_attention_mask"].sum() + batch["rejected_attention_mask"].sum())
        for batch in trainer.get_train_dataloader()
    )
    assert in_batches > 0 and paired_dataset_tokens(trainer) == in_batches


@pytest.mark.parametrize("algo", ["dpo", "kto"])
def test_a_precomputed_reference_is_not_held_during_training(algo, folders, tmp_path):
    """With the reference's log-probs precomputed, nothing keeps the reference model alive: not the trainer, not
    accelerate's list of prepared models (which kept it resident through DPO's training before)."""
    import gc
    import weakref

    ctx = make_context(algo, folders, tmp_path)
    loaded = []
    load = ctx.load_reference
    ctx.load_reference = lambda: loaded.append(load()) or loaded[-1]
    trainer = ALGORITHMS.get(algo)().build_trainer(ctx)
    assert len(loaded) == 1
    reference = weakref.ref(loaded.pop())
    gc.collect()
    assert trainer.ref_model is None and reference() is None
