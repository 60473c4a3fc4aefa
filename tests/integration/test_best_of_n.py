"""Best-of-n's shared pool, through the real sampler and the artifact cache, on an untrained tiny Llama.

The cells of one seed draw and score one pool (the later ones reuse it), the larger n keeps a score at least
as high in every slot, and a cell with n ≥ POOL keeps exactly what best-of-n kept before the pool: the best
of n fresh draws per slot. The reward model is a stand-in (a hash of the text): the selection is under test,
not the model.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pobench.algorithms.best_of_n as best_of_n
import pytest
import torch
from pobench.algorithms.best_of_n import POOL, SharedPool
from pobench.contracts.adapter import TrainContext
from pobench.core.cache import Artifact, ArtifactCache
from pobench.core.curve import Curve
from pobench.core.generation import sample
from pobench.core.models import TinyLlama, load_model, load_tokenizer
from pobench.core.settings import Budget
from pobench.core.tokenizer import train_bpe_tokenizer
from pobench.tasks import TASKS

PROMPTS = ["the film was", "i thought the acting", "the plot felt"]
K, MAX_NEW_TOKENS, SEED, BATCH = 2, 4, 0, 32
STAND_IN = Artifact("reward-model", "reward-model-crc32", Path("."), {}, reused=True)  # the stand-in's artifact


def crc_scores(prompts, completions) -> list[float]:
    """A stand-in reward model: deterministic, and rarely tied."""
    return [zlib.crc32((p + c).encode()) / 2**32 for p, c in zip(prompts, completions, strict=True)]


def slot_prompts() -> list[str]:
    return [p for p in PROMPTS for _ in range(K)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bon")
    texts = [e.prompt + e.completion for e in TASKS.get("sentiment")().sft_examples(500, seed=0)]
    train_bpe_tokenizer(texts, 300, folder / "tok")
    TinyLlama(hidden_size=16, intermediate_size=32, num_layers=1, num_heads=2).build_base(
        folder / "tok", folder / "reference", 0
    )
    return folder / "reference"


@pytest.fixture
def draws(monkeypatch) -> list[int]:
    """Samples per prompt of every draw best-of-n makes from the reference."""
    made: list[int] = []

    def counted(model, tokenizer, prompts, k, *args, **kwargs):
        made.append(k)
        return sample(model, tokenizer, prompts, k, *args, **kwargs)

    monkeypatch.setattr(best_of_n, "sample", counted)
    return made


def cell(reference: Path, cache: Path, n: int, logs: list[str]) -> tuple[TrainContext, list[str]]:
    """One cell's context (its own, on the shared cache folder) and the texts its sampler keeps."""
    ctx = TrainContext(
        params=None, budget=Budget(), task=TASKS.get("sentiment")(), reference_dir=reference, data_dir=cache,
        work_dir=cache, device="cpu", seed=SEED, curve=Curve(), cache=ArtifactCache(cache, log=logs.append),
        log=logs.append,
    )  # fmt: skip
    pool = SharedPool(ctx, ctx.load_reference(), ctx.load_tokenizer(), crc_scores, STAND_IN)
    kept = pool.sampler(n)(PROMPTS, K, MAX_NEW_TOKENS, SEED, BATCH)
    assert len(kept.texts) == len(PROMPTS) * K
    return ctx, kept.texts


def test_two_cells_of_a_seed_share_one_pool_and_the_larger_n_keeps_no_lower_score(reference, tmp_path, draws):
    logs: list[str] = []
    first, texts_2 = cell(reference, tmp_path / "cache", 2, logs)
    second, texts_4 = cell(reference, tmp_path / "cache", 4, logs)
    assert draws == [K * POOL]  # the n = 4 cell drew nothing: it picked from the n = 2 cell's pool
    assert [len(list((tmp_path / "cache" / kind).iterdir())) for kind in ("bon-pool", "bon-scores")] == [1, 1]
    assert sum("cache: reusing best-of-n pool" in line for line in logs) == 1
    assert first.shared_s > 0 and second.shared_s > 0  # counted as prepare, not as either cell's evaluate
    scores_2, scores_4 = crc_scores(slot_prompts(), texts_2), crc_scores(slot_prompts(), texts_4)
    assert all(b >= a for a, b in zip(scores_2, scores_4, strict=True))
    assert scores_4 != scores_2  # with 12 slots, some slot's best of four is not among its first two

    # each kept draw is its slot's best of the slot's first n draws of the pool, which are the reference's draws
    pool = sample(load_model(reference), load_tokenizer(reference), PROMPTS, K * POOL, MAX_NEW_TOKENS, SEED, BATCH)
    pool_scores = crc_scores([p for p in PROMPTS for _ in range(K * POOL)], pool.texts)
    for n, kept in [(2, scores_2), (4, scores_4)]:
        assert kept == [max(pool_scores[s : s + n]) for s in range(0, len(pool_scores), POOL)]


@pytest.mark.parametrize("n", [POOL, POOL + 4])
def test_a_cell_with_n_at_least_the_pool_keeps_the_best_of_n_fresh_draws_as_before(reference, tmp_path, draws, n):
    """n = POOL reads the shared pool, n > POOL draws its own pool of n per slot: either way the draws are those of
    ``sample(prompts, k·n)``, and the cell keeps the best of each n consecutive ones, as best-of-n always did."""
    _, texts = cell(reference, tmp_path / "cache", n, [])
    assert draws == [K * n]
    torch.manual_seed(1)  # the sampler seeds torch itself: what ran before cannot change the draws
    fresh = sample(load_model(reference), load_tokenizer(reference), PROMPTS, K * n, MAX_NEW_TOKENS, SEED, BATCH)
    scores = crc_scores([p for p in PROMPTS for _ in range(K * n)], fresh.texts)
    keep = [max(range(i, i + n), key=scores.__getitem__) for i in range(0, len(scores), n)]
    assert texts == [fresh.texts[j] for j in keep]
