"""Shared pieces of the online adapters over TRL (GRPO, RLOO): prompts, reward function, budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from pobench.contracts import meanings
from pobench.contracts.adapter import Adapter, TrainContext, TrainResult
from pobench.contracts.defaults import ONLINE_LR
from pobench.core.params import param
from pobench.kit.reward_model import cell_reward_scorer, rm_epochs_param, rm_learning_rate_param, settings_of
from pobench.kit.trl_support import (
    TRLParams,
    checkpoint_callback,
    curve_callback,
    lora_config,
    train_with,
    trl_args,
)


@dataclass(frozen=True)
class OnlineParams(TRLParams):
    """Hyperparameters every online adapter over TRL has; an adapter subclasses to change defaults."""

    beta: float = param(0.05, "KL coefficient toward the reference", gt=0, meaning=meanings.ONLINE_KL_COEF)
    num_generations: int = param(4, "completions sampled per prompt (a group needs two)", ge=2)
    rollout_prompts: int = param(8, "prompts per update", ge=1, meaning=meanings.ROLLOUT_PROMPTS)
    updates: int = param(60, "optimizer steps, one generation batch each", ge=1, meaning=meanings.UPDATES)
    reward: str = param(
        "model",
        "what the policy is trained on: the reward model learned from the preference pairs, as every other method "
        "learns from them, or the gold reward it is judged by (an oracle, ranked in a table of its own)",
        choices=("model", "gold"),
        meaning=meanings.REWARD_SOURCE,
    )
    # TRLParams's, at the online default
    learning_rate: float = param(ONLINE_LR, "peak learning rate", gt=0, meaning=meanings.POLICY_LEARNING_RATE)
    rm_learning_rate: float = rm_learning_rate_param("reward=model", later=True)
    rm_epochs: int = rm_epochs_param("reward=model", later=True)


def prompt_dataset(ctx: TrainContext, prompts_needed: int):
    """The task's train prompts, cycled to ``prompts_needed`` rows, in a fixed order (the trainer shuffles)."""
    from datasets import Dataset

    prompts = ctx.task.train_prompts()
    if not prompts:
        raise ValueError(f"task {ctx.task.name!r} has no train prompts for online training")
    return Dataset.from_list([{"prompt": prompts[i % len(prompts)]} for i in range(prompts_needed)])


def reward_function(ctx: TrainContext, reward_model_settings) -> Callable[..., list[float]]:
    """TRL reward function: the task's gold reward, or (given its settings) the cell's cached reward model."""
    if reward_model_settings is None:
        eos, limit = ctx.load_tokenizer().eos_token_id, ctx.task.max_new_tokens

        def scorer(prompts, completions, completion_ids):  # the gold reward, a never-ending completion floored
            truncated = [len(ids) >= limit and eos not in ids for ids in completion_ids]
            return ctx.task.gold(prompts, completions, truncated)

        kind = "gold"
    else:
        model_scorer, kind = cell_reward_scorer(ctx, reward_model_settings)[0], "model"

        def scorer(prompts, completions, completion_ids):
            return model_scorer(prompts, completions)

    def task_reward(prompts, completions, completion_ids=None, **_) -> list[float]:
        ids = completion_ids if completion_ids is not None else [[] for _ in completions]
        return scorer(list(prompts), list(completions), [list(i) for i in ids])

    task_reward.__name__ = f"{ctx.task.name}_{kind}_reward"
    return task_reward


def online_args(
    config_cls: type, ctx: TrainContext, rollout_prompts: int, num_generations: int, updates: int, **algorithm_kwargs
):
    """A TRL online config: each of ``updates`` steps samples ``num_generations`` completions for each of
    ``rollout_prompts`` prompts, at temperature 1 with no top-k/top-p, up to the task's max_new_tokens."""
    return trl_args(
        config_cls,
        ctx,
        unmapped={"max_length": "an online completion is bounded by the task's max_new_tokens (max_completion_length)"},
        per_device_train_batch_size=rollout_prompts * num_generations,
        num_generations=num_generations,
        max_steps=updates,
        max_completion_length=ctx.task.max_new_tokens,
        temperature=1.0,
        top_p=1.0,
        top_k=0,
        **algorithm_kwargs,
    )


def build_online_trainer(
    trainer_cls: type, config_cls: type, ctx: TrainContext, reward_model_settings, **algorithm_kwargs
):
    """The TRL online trainer for ``ctx`` (its params an OnlineParams), on the task's prompts, rewarded by
    the gold reward or, given ``reward_model_settings``, by the reward model the pipeline prepared."""
    p = ctx.params
    args = online_args(
        config_cls, ctx, p.rollout_prompts, p.num_generations, p.updates, beta=p.beta, **algorithm_kwargs
    )
    return trainer_cls(
        model=ctx.load_policy(),
        reward_funcs=reward_function(ctx, reward_model_settings),
        args=args,
        train_dataset=prompt_dataset(ctx, p.rollout_prompts * p.updates),
        processing_class=ctx.load_tokenizer(),
        callbacks=[curve_callback(ctx), checkpoint_callback(ctx)],
        peft_config=lora_config(ctx.budget),
    )


def oracle_key(reward: str) -> dict:
    """An online adapter trained on the gold reward (an oracle) ranks only beside other oracles."""
    return {"trained_on": "gold reward (oracle)"} if reward == "gold" else {}


class OnlineAdapter(Adapter):
    """An online adapter over a TRL trainer (GRPO, RLOO): subclasses set ``hparams`` (an OnlineParams)
    and implement ``build_trainer(ctx)`` with build_online_trainer."""

    data = "prompts"
    supports_lora = True
    kl_knob = "beta"
    smoke: ClassVar[dict[str, str]] = {"updates": "2", "rollout_prompts": "2"}

    def build_trainer(self, ctx: TrainContext):
        raise NotImplementedError

    def trains_on_gold(self, params: OnlineParams) -> bool:
        return params.reward == "gold"

    def reward_model_settings(self, params: OnlineParams):
        return settings_of(params) if params.reward == "model" else None

    def comparability_extra(self, params: OnlineParams) -> dict:
        return oracle_key(params.reward)

    def train(self, ctx: TrainContext) -> TrainResult:
        p = ctx.params
        result = train_with(self.build_trainer(ctx), examples=p.rollout_prompts * p.num_generations * p.updates)
        if not result.train_tokens:  # TRL's online trainers log a running count of prompt + completion tokens
            result.train_tokens = int(max((row.get("train/num_tokens", 0) for row in ctx.curve.rows), default=0))
        return result
