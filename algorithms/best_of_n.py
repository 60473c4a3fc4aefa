"""Best-of-n baseline: draw n samples from the SFT model, keep the one the reward model scores highest.

No training; the reward model (the one PPO uses, trained on the task's pairs) is the only learned
part. Its KL to the reference is reported as the analytic bound log n − (n−1)/n (Stiennon et al.,
2020; Beirami et al., 2024 show it is an upper bound), flagged by eval/kl_is_bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms import register
from algorithms.base import Adapter, TrainContext, TrainResult
from bench.core.exact import best_of_n_log_probs
from bench.core.generation import Samples, sample
from bench.core.params import param
from bench.kit.reward_model import cell_reward_scorer, rm_epochs_param, rm_learning_rate_param, settings_of


def best_of_n_kl_bound(n: int) -> float:
    """log n − (n − 1)/n: the KL(π_bon‖π_ref) bound for best-of-n sampling."""
    return math.log(n) - (n - 1) / n


@dataclass(frozen=True)
class BestOfNParams:
    n: int = param(4, "samples drawn from the SFT model per completion; the reward model keeps one", ge=1)
    rm_learning_rate: float = rm_learning_rate_param("the reward model that picks")
    rm_epochs: int = rm_epochs_param("the reward model that picks")


@register("best-of-n")
class BestOfN(Adapter):
    description = "baseline: n SFT samples, the reward model's favourite kept (KL reported as a bound)"
    data = "paired"  # the reward model is trained on the pairs
    trains = False
    hparams = BestOfNParams
    kl_knob = "n"
    frontier_grid = ("2", "4", "8", "16")
    smoke = {"n": "2"}

    def reward_model_settings(self, params: BestOfNParams):
        return settings_of(params)

    def train(self, ctx: TrainContext) -> TrainResult:
        n = ctx.params.n
        scorer, artifact = cell_reward_scorer(ctx, self.reward_model_settings(ctx.params))
        reference, tokenizer = ctx.load_reference(), ctx.load_tokenizer()

        def sampler(prompts: list[str], k: int, max_new_tokens: int, seed: int, batch_size: int) -> Samples:
            drawn = sample(reference, tokenizer, prompts, k * n, max_new_tokens, seed, batch_size)
            scores = scorer([p for p in prompts for _ in range(k * n)], drawn.texts)
            keep = [max(range(i, i + n), key=scores.__getitem__) for i in range(0, len(scores), n)]
            return Samples(
                prompt_ids=[drawn.prompt_ids[j] for j in keep],
                response_ids=[drawn.response_ids[j] for j in keep],
                truncated=[drawn.truncated[j] for j in keep],
                texts=[drawn.texts[j] for j in keep],
            )

        return TrainResult(
            policy=reference,
            sampler=sampler,
            kl_bound=best_of_n_kl_bound(n),
            proxy_scorer=scorer,
            extra={"reward_model": artifact.info},
            exact_log_probs=lambda tree: best_of_n_log_probs(
                tree.ref_log_p, np.array(scorer([tree.leaves.prompt] * len(tree.leaves.texts), tree.leaves.texts)), n
            ),
        )
