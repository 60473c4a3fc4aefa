"""Best-of-n baseline: draw n samples from the SFT model, keep the one the reward model scores highest.

No training; the reward model (the one PPO uses, trained on the task's pairs) is the only learned
part. Its KL to the reference is reported as the analytic bound log n − (n−1)/n (Stiennon et al.,
2020; Beirami et al., 2024 show it is an upper bound), flagged by eval/kl_is_bound.

The cells of one seed share their draws: a nested best-of-n, as Gao et al. (2023) measure theirs. Each of
the k completions per prompt is a slot that owns POOL consecutive draws from the reference, and the cell for
n keeps the best (by reward-model score) of its slot's FIRST n. The first n of i.i.d. draws are n i.i.d.
draws, so each cell estimates exactly what it did with draws of its own: its reading has the same
distribution (the cell n = POOL is even the same numbers, its own draws being the pool). Only the joint
distribution of the cells changes: they are correlated, and per slot the kept score never falls as n grows.
The pool and its scores are built once, in the artifact cache, so after the first cell of the frontier grid
the others neither sample nor score; that work is shared, counted as prepare (``ctx.shared_s``). A cell
with n > POOL draws a pool of its own n per slot.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
from pobench.algorithms import register
from pobench.contracts.adapter import Adapter, TrainContext, TrainResult
from pobench.core.cache import Artifact
from pobench.core.exact import best_of_n_log_probs
from pobench.core.generation import Samples, sample
from pobench.core.hashing import content_hash
from pobench.core.params import param
from pobench.kit.reward_model import cell_reward_scorer, rm_epochs_param, rm_learning_rate_param, settings_of

POOL = 16  # draws per slot that every cell picks from: the largest n of BestOfN.frontier_grid
COMMON_NOISE = False  # the pool is drawn by torch's generator seeded with the cell seed, as best-of-n always drew
DRAWS, SCORES = "draws.json", "scores.json"


def best_of_n_kl_bound(n: int) -> float:
    """log n − (n − 1)/n: the KL(π_bon‖π_ref) bound for best-of-n sampling (exact for continuous rewards)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return math.log(n) - (n - 1) / n


def pool_size(n: int) -> int:
    """Draws per slot for the cell n: the shared POOL, or n itself where that is larger."""
    return max(n, POOL)


def kept_indices(scores: Sequence[float], pool: int, n: int) -> list[int]:
    """Per slot, the index of the highest-scored of its first ``n`` draws (ties: the earlier draw).

    ``scores`` holds whole slots: slot s owns draws s·pool … s·pool + pool − 1."""
    if not 1 <= n <= pool or len(scores) % pool:
        raise ValueError(f"best of the first {n} of {len(scores)} draws in slots of {pool}")
    return [max(range(start, start + n), key=scores.__getitem__) for start in range(0, len(scores), pool)]


def subset(samples: Samples, indices: Sequence[int]) -> Samples:
    """The samples at ``indices``, in that order."""
    return Samples(**{f.name: [getattr(samples, f.name)[i] for i in indices] for f in fields(Samples)})


@dataclass(frozen=True)
class SharedPool:
    """The reference's draws for the eval prompts and their reward-model scores, kept in the artifact cache so
    that every cell of a seed picks from the same ones (module docstring)."""

    ctx: TrainContext
    reference: Any
    tokenizer: Any
    scorer: Callable[[Sequence[str], Sequence[str]], list[float]]
    reward_model: Artifact  # the scorer's: its key is part of the scores' key

    def sampler(self, n: int) -> Callable[..., Samples]:
        """The cell n's sampler(prompts, k, max_new_tokens, seed, batch_size): per slot, the best of its first n."""
        pool = pool_size(n)

        def best_of_first_n(prompts: list[str], k: int, max_new_tokens: int, seed: int, batch_size: int) -> Samples:
            drawn, scores = self.draws_and_scores(prompts, k, pool, max_new_tokens, seed, batch_size)
            return subset(drawn, kept_indices(scores, pool, n))

        return best_of_first_n

    def draws_and_scores(
        self, prompts: list[str], k: int, pool: int, max_new_tokens: int, seed: int, batch_size: int
    ) -> tuple[Samples, list[float]]:
        """k·pool draws per prompt (prompt-major, slot by slot) and their scores, read from the cache or built there.

        Built in evaluate, after train; the time is shared work all the same, added to ``ctx.shared_s``."""
        start = time.perf_counter()
        draws = self._draws(prompts, k, pool, max_new_tokens, seed, batch_size)
        drawn = Samples(**json.loads((draws.path / DRAWS).read_text()))
        scores = self._scores(draws, prompts, drawn)
        self.ctx.shared_s += time.perf_counter() - start
        return drawn, scores

    def _draws(
        self, prompts: list[str], k: int, pool: int, max_new_tokens: int, seed: int, batch_size: int
    ) -> Artifact:
        inputs = {
            "reference": self.ctx.reference_dir.name,  # the folder name is the reference artifact's key
            "prompts": content_hash(list(prompts)),
            "slots": k,
            "pool": pool,
            "max_new_tokens": max_new_tokens,
            "seed": seed,
            # torch's generator is one stream that the batches consume in turn: another split, other draws
            "batch_size": batch_size,
            "common_noise": COMMON_NOISE,
            "device": self.ctx.device.split(":")[0],
            "dtype": str(next(self.reference.parameters()).dtype),
        }

        def build(folder) -> dict:
            drawn = sample(
                self.reference,
                self.tokenizer,
                prompts,
                k * pool,
                max_new_tokens,
                seed,
                batch_size,
                common_noise=COMMON_NOISE,
            )
            (folder / DRAWS).write_text(json.dumps(asdict(drawn)))
            return {"samples": len(drawn.texts)}

        what = f"best-of-n pool ({len(prompts)} prompts × {k} slots × {pool} draws)"
        return self.ctx.cache.get_or_build("bon-pool", inputs, build, what)

    def _scores(self, draws: Artifact, prompts: list[str], drawn: Samples) -> list[float]:
        inputs = {"pool": draws.key, "reward_model": self.reward_model.key, "device": self.ctx.device.split(":")[0]}
        per_prompt = len(drawn.texts) // len(prompts)

        def build(folder) -> dict:
            scores = self.scorer([p for p in prompts for _ in range(per_prompt)], drawn.texts)
            (folder / SCORES).write_text(json.dumps(scores))
            return {"samples": len(scores)}

        artifact = self.ctx.cache.get_or_build("bon-scores", inputs, build, "reward-model scores of the best-of-n pool")
        return json.loads((artifact.path / SCORES).read_text())


@dataclass(frozen=True)
class BestOfNParams:
    n: int = param(4, "samples drawn from the SFT model per completion; the reward model keeps one", ge=1)
    rm_learning_rate: float = rm_learning_rate_param("the reward model that picks", later=True)
    rm_epochs: int = rm_epochs_param("the reward model that picks", later=True)


@register("best-of-n")
class BestOfN(Adapter):
    description = "baseline: n SFT samples, the reward model's favourite kept (KL reported as a bound)"
    data = "paired"  # the reward model is trained on the pairs
    trains = False
    hparams = BestOfNParams
    kl_knob = "n"
    frontier_grid = ("2", "4", "8", "16")  # its largest is POOL: the grid shares one pool of draws
    smoke = {"n": "2"}

    def reward_model_settings(self, params: BestOfNParams):
        return settings_of(params)

    def train(self, ctx: TrainContext) -> TrainResult:
        n = ctx.params.n
        scorer, artifact = cell_reward_scorer(ctx, self.reward_model_settings(ctx.params))
        reference, tokenizer = ctx.load_reference(), ctx.load_tokenizer()
        return TrainResult(
            policy=reference,
            sampler=SharedPool(ctx, reference, tokenizer, scorer, artifact).sampler(n),
            kl_bound=best_of_n_kl_bound(n),
            proxy_scorer=scorer,
            extra={"reward_model": artifact.info},
            exact_log_probs=lambda tree: best_of_n_log_probs(
                tree.ref_log_p, np.array(scorer([tree.leaves.prompt] * len(tree.leaves.texts), tree.leaves.texts)), n
            ),
        )
