"""PPO for language models (Schulman et al., 2017; Ziegler et al., 2019): pobench's own, since TRL 1.x has none.

Four models: the actor (the policy, from SFT, trained), the critic (the SFT body with a scalar value head,
trained, a separate model), the reward (a frozen reward model trained on the preference pairs, or the
task's gold reward when ``reward=gold``) and the reference (frozen SFT). Each update:

1. the actor samples one response per prompt for ``rollout_prompts`` train prompts (temperature 1);
2. old log-probs, reference log-probs, values and the final score are computed without gradients;
3. per-token rewards −β·(log π_old − log π_ref), the score added at the last token; GAE advantages
   (whitened) and returns;
4. the batch is reused for ``ppo_epochs`` passes in minibatches: clipped surrogate + vf_coef · clipped
   value loss (− entropy_coef · entropy), one optimizer step per minibatch;
5. with ``target_kl`` > 0, β follows Ziegler et al.'s adaptive controller.

Every position is laid out as in a causal LM's shifted logits: column j of the (B, L−1) tensors is the
state after tokens 0..j and the action token j+1, so one mask (response tokens) serves every tensor.
The maths is in bench/contracts/ppo_math.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from pobench.algorithms import register
from pobench.contracts import meanings
from pobench.contracts.adapter import Adapter, TrainContext, TrainResult
from pobench.contracts.ppo_math import (
    adaptive_kl_coef,
    approx_kl,
    clipped_surrogate_loss,
    clipped_value_loss,
    entropy_from_logits,
    gae,
    kl_shaped_rewards,
    masked_mean,
    masked_whiten,
)
from pobench.core.generation import pad_right, sample
from pobench.core.logprobs import gather_token_logprobs
from pobench.core.optim import adamw
from pobench.core.params import SettingsError, param
from pobench.core.settings import DataSettings
from pobench.kit.exact_eval import Target, regularized_optimum
from pobench.kit.online import oracle_key
from pobench.kit.reward_model import (
    RewardModelSettings,
    cell_reward_model,
    cell_reward_scorer,
    normalization,
    rm_epochs_param,
    rm_learning_rate_param,
    settings_of,
)
from torch import nn

FRONTIER_GRID = ("0.1", "0.003")  # two runs read along training: tune_grids.choose_runs (seeds 100, 101)
# the knob values `pobench dev tune-grids` tries: six, as for every algorithm
TUNING_CANDIDATES = ("0.003", "0.01", "0.03", "0.1", "0.3", "1")
DIAGNOSTICS = ("policy_loss", "value_loss", "clip_frac", "approx_kl", "entropy")


@dataclass(frozen=True)
class PPOParams:
    learning_rate: float = param(
        3e-4, "actor (policy) peak learning rate, annealed linearly to 0", gt=0, meaning=meanings.POLICY_LEARNING_RATE
    )
    critic_learning_rate: float = param(1e-3, "critic (value model) peak learning rate, annealed likewise", gt=0)
    updates: int = param(
        60, "PPO iterations: each samples a fresh batch, then optimizes on it", gt=0, meaning=meanings.UPDATES
    )
    rollout_prompts: int = param(
        32, "train prompts per update, one sampled response each", gt=0, meaning=meanings.ROLLOUT_PROMPTS
    )
    ppo_epochs: int = param(2, "passes over each sampled batch", gt=0)
    minibatch_size: int = param(16, "responses per optimizer step within a pass (at most rollout_prompts)", gt=0)
    clip_eps: float = param(0.2, "ε: the policy ratio is clipped to [1−ε, 1+ε]", gt=0)
    value_clip: float = param(0.2, "ε_v: how far a value may move from its old value before its loss is clipped", gt=0)
    gamma: float = param(1.0, "γ: discount per token", ge=0, le=1)
    lam: float = param(0.95, "λ: GAE's bias/variance trade-off", ge=0, le=1)
    kl_coef: float = param(0.05, "β: per-token KL penalty coefficient (initial value when target_kl > 0)", ge=0)
    target_kl: float = param(0.0, "target sequence KL for the adaptive β controller; 0 keeps β fixed", ge=0)
    kl_horizon: int = param(10_000, "adaptive controller horizon in samples (Ziegler et al.: 10,000)", gt=0)
    vf_coef: float = param(0.1, "weight of the value loss in the total loss", ge=0)
    entropy_coef: float = param(0.0, "weight of the entropy bonus (0: none)", ge=0)
    max_grad_norm: float = param(1.0, "gradient norm clip, per model", gt=0)
    reward: str = param(
        "model",
        "score source: the trained reward model, or the task's gold reward",
        ("model", "gold"),
        meaning=meanings.REWARD_SOURCE,
    )
    critic_init: str = param(
        "reward_model",
        "the critic's start: the reward model (body and head, its score normalized as PPO's rewards are; the seed "
        "notes, InstructGPT, DeepSpeed-Chat), or the SFT body with a zero head",
        ("reward_model", "sft"),
        legacy="sft",  # PPO's critic before it could start from the reward model
    )
    # defaults shared with every adapter that uses the reward model, so they all reuse one artifact
    rm_learning_rate: float = rm_learning_rate_param("reward=model or critic_init=reward_model")
    rm_epochs: int = rm_epochs_param("reward=model or critic_init=reward_model")

    def validate(self) -> None:
        """The one limit that relates two fields (each field's own bounds are declared on it)."""
        if self.minibatch_size > self.rollout_prompts:
            raise SettingsError(
                f"minibatch_size={self.minibatch_size}: must be in [1, rollout_prompts] "
                f"(rollout_prompts={self.rollout_prompts})"
            )


class Critic(nn.Module):
    """V(state) at every position: a transformer body with a scalar head. ``Critic(lm)``: the SFT model's body with
    a zero head (V starts at 0); ``Critic.from_reward_model``: the reward model's body and head."""

    def __init__(self, lm: nn.Module) -> None:
        super().__init__()
        self.body = lm.base_model
        self.head = nn.Linear(lm.config.hidden_size, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @classmethod
    def from_reward_model(cls, folder, device: str) -> Critic:
        """The reward model saved in ``folder``, its score made V: head = score / std, bias = −mean / std, so the
        head reads the normalized score PPO is rewarded with (at a response's last token, exactly that reward)."""

        from transformers import AutoModelForSequenceClassification

        rm = AutoModelForSequenceClassification.from_pretrained(str(folder))
        mean, std = normalization(folder)
        critic = cls(rm)
        with torch.no_grad():
            critic.head.weight.copy_(rm.score.weight / std)
            critic.head.bias.fill_(-mean / std)
        return critic.to(device)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.body(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, L, H)
        return self.head(hidden).squeeze(-1)[:, :-1]  # (B, L−1): the value of the state before each action


def token_logprobs(model, input_ids: torch.Tensor, attention: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log π(x_{j+1} | x_≤j) and the logits behind it: (B, L) → (B, L−1), (B, L−1, V)."""
    logits = model(input_ids=input_ids, attention_mask=attention).logits[:, :-1]  # (B, L−1, V)
    return gather_token_logprobs(logits, input_ids[:, 1:]), logits


@dataclass
class PPOModels:
    """What one PPO run trains and scores with."""

    actor: nn.Module
    critic: Critic
    reference: nn.Module
    tokenizer: Any
    score_fn: Callable  # score(prompts, completions, truncated) -> list[float]
    optimizer: torch.optim.Optimizer


@dataclass
class Rollout:
    """One update's batch, scored without gradients: (N, L) ids and attention, (N, L−1) per-token tensors, (N,)
    scores and sequence KL estimates."""

    input_ids: torch.Tensor
    attention: torch.Tensor
    mask: torch.Tensor
    old_logprobs: torch.Tensor
    old_values: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor
    scores: torch.Tensor
    kl: torch.Tensor
    size: int  # sequences sampled


def collect_rollout(models: PPOModels, ctx: TrainContext, prompts: list[str], seed: int, beta: float) -> Rollout:
    """Sample one response per prompt, score everything without gradients, then KL-shaped rewards, GAE and
    whitened advantages."""
    hp: PPOParams = ctx.params
    tokenizer = models.tokenizer
    drawn = sample(models.actor, tokenizer, prompts, 1, ctx.task.max_new_tokens, seed, hp.rollout_prompts)
    seqs = [p + r for p, r in zip(drawn.prompt_ids, drawn.response_ids)]
    input_ids, attention = pad_right(seqs, tokenizer.pad_token_id, ctx.device)  # (N, L)
    mask = torch.zeros(input_ids.shape[0], input_ids.shape[1] - 1, device=ctx.device)  # (N, L−1)
    for i, (p, r) in enumerate(zip(drawn.prompt_ids, drawn.response_ids)):
        mask[i, len(p) - 1 : len(p) - 1 + len(r)] = 1.0
    with torch.no_grad():
        old_logprobs, _ = token_logprobs(models.actor, input_ids, attention)  # (N, L−1)
        ref_logprobs, _ = token_logprobs(models.reference, input_ids, attention)  # (N, L−1)
        old_values = models.critic(input_ids, attention)  # (N, L−1)
    scores = torch.tensor(models.score_fn(prompts, drawn.texts, drawn.truncated), device=ctx.device)  # (N,)
    kl = ((old_logprobs - ref_logprobs) * mask).sum(dim=1)  # (N,): sequence KL estimate
    rewards = kl_shaped_rewards(old_logprobs, ref_logprobs, scores, mask, beta)  # (N, L−1)
    advantages, returns = gae(rewards, old_values, mask, hp.gamma, hp.lam)  # (N, L−1) each
    advantages = masked_whiten(advantages, mask)
    return Rollout(input_ids, attention, mask, old_logprobs, old_values, advantages, returns, scores, kl, len(seqs))


def ppo_epoch(
    models: PPOModels,
    hp: PPOParams,
    rollout: Rollout,
    shuffle: torch.Generator,
    device: str,
    stats: dict[str, list[float]],
    grad_norms: list[float],
) -> int:
    """One pass over the batch in shuffled minibatches, one optimizer step each; appends each step's diagnostics to
    ``stats`` and the actor's gradient norm to ``grad_norms``, and returns the tokens trained on."""
    actor, critic, optimizer = models.actor, models.critic, models.optimizer
    tokens = 0
    order = torch.randperm(rollout.input_ids.shape[0], generator=shuffle)
    for start in range(0, len(order), hp.minibatch_size):
        idx = order[start : start + hp.minibatch_size].to(device)
        ids, att, m = rollout.input_ids[idx], rollout.attention[idx], rollout.mask[idx]
        old_logprobs = rollout.old_logprobs[idx]
        logprobs, logits = token_logprobs(actor, ids, att)  # (b, L−1), (b, L−1, V)
        values = critic(ids, att)  # (b, L−1)
        policy_loss, clip_frac = clipped_surrogate_loss(logprobs, old_logprobs, rollout.advantages[idx], m, hp.clip_eps)
        value_loss = clipped_value_loss(values, rollout.old_values[idx], rollout.returns[idx], m, hp.value_clip)
        entropy = masked_mean(entropy_from_logits(logits if hp.entropy_coef else logits.detach()), m)
        loss = policy_loss + hp.vf_coef * value_loss - hp.entropy_coef * entropy
        optimizer.zero_grad()
        loss.backward()
        grad_norms.append(float(nn.utils.clip_grad_norm_(actor.parameters(), hp.max_grad_norm)))
        nn.utils.clip_grad_norm_(critic.parameters(), hp.max_grad_norm)
        optimizer.step()
        tokens += int(att.sum())
        kl_step = approx_kl(logprobs.detach(), old_logprobs, m)
        for name, value in zip(DIAGNOSTICS, (policy_loss, value_loss, clip_frac, kl_step, entropy)):
            stats[name].append(float(value))
    return tokens


def log_update(
    ctx: TrainContext,
    update: int,
    every: int,
    rollout: Rollout,
    stats: dict[str, list[float]],
    grad_norms: list[float],
    beta: float,
    optimizer: torch.optim.Optimizer,
) -> None:
    """One update's curve row (the diagnostics' means over its minibatches), and a log line every ``every``."""
    hp: PPOParams = ctx.params
    scores, kl = rollout.scores, rollout.kl
    means = {f"train/{name}": sum(v) / len(v) for name, v in stats.items()}
    ctx.curve.log(
        update,
        {
            **means,
            "train/loss": means["train/policy_loss"] + hp.vf_coef * means["train/value_loss"],
            "train/score": float(scores.mean()),
            "train/kl": float(kl.mean()),
            "train/kl_penalty": float(beta * kl.mean()),
            "train/kl_coef": beta,
            "train/length": float(rollout.mask.sum(dim=1).mean()),
            "train/learning_rate": optimizer.param_groups[0]["lr"],  # the actor's, this update
            "train/grad_norm": sum(grad_norms) / len(grad_norms),
        },
    )
    if update % every == 0 or update == hp.updates:
        ctx.log(
            f"  update {update}/{hp.updates} score {scores.mean():+.3f} kl {kl.mean():.2f} "
            f"β {beta:.4f} loss {ctx.curve.last['train/loss']:.4f}"
        )


@register("ppo")
class PPO(Adapter):
    description = "Proximal Policy Optimization with a critic and a per-token KL penalty (pobench's own)"
    data = "prompts"
    needs_reference = True
    hparams = PPOParams
    kl_knob = "kl_coef"
    frontier_grid = FRONTIER_GRID
    tuning_candidates = TUNING_CANDIDATES
    # gold reward, so the check needs no reward model; the critic then starts from SFT (docs/presets.md)
    validation = {
        "reward": "gold",
        "critic_init": "sft",
        "kl_coef": "0.3",
        "updates": "300",
        "rollout_prompts": "64",
        "learning_rate": "1e-3",
    }
    # a smoke run: two small updates on the gold reward, no reward model (that path has its own tests)
    smoke = {
        "updates": "2",
        "rollout_prompts": "8",
        "minibatch_size": "4",
        "ppo_epochs": "1",
        "reward": "gold",
        "critic_init": "sft",
    }

    def train(self, ctx: TrainContext) -> TrainResult:
        hp: PPOParams = ctx.params
        torch.manual_seed(ctx.seed)
        rng = random.Random(ctx.seed)
        models, proxy, extra = self._setup_models(ctx)
        prompts = ctx.task.train_prompts()
        rng.shuffle(prompts)
        shuffle = torch.Generator().manual_seed(ctx.seed)
        beta, train_tokens, cursor = hp.kl_coef, 0, 0
        every = max(1, hp.updates // 10)

        for update in range(1, hp.updates + 1):
            for group in models.optimizer.param_groups:  # linear annealing, as in CleanRL
                group["lr"] = group["base_lr"] * (1.0 - (update - 1) / hp.updates)
            batch_prompts = [prompts[(cursor + i) % len(prompts)] for i in range(hp.rollout_prompts)]
            cursor += hp.rollout_prompts
            rollout = collect_rollout(models, ctx, batch_prompts, rng.randrange(2**31), beta)
            stats: dict[str, list[float]] = {name: [] for name in DIAGNOSTICS}
            grad_norms: list[float] = []  # the actor's, before clipping (what TRL logs as grad_norm)
            for _ in range(hp.ppo_epochs):
                train_tokens += ppo_epoch(models, hp, rollout, shuffle, ctx.device, stats, grad_norms)
            log_update(ctx, update, every, rollout, stats, grad_norms, beta, models.optimizer)
            ctx.checkpoint(update, hp.updates, models.actor)
            if hp.target_kl > 0:  # adapt β to the KL this batch showed
                beta = adaptive_kl_coef(beta, float(rollout.kl.mean()), hp.target_kl, rollout.size, hp.kl_horizon)

        models.actor.eval()
        return TrainResult(
            policy=models.actor,
            train_tokens=train_tokens,
            train_samples=hp.updates * hp.rollout_prompts,
            steps=hp.updates,
            extra={**extra, "final_kl_coef": beta},
            proxy_scorer=proxy,  # the reward model, if any: eval/proxy_reward beside the gold reward
        )

    def _setup_models(self, ctx: TrainContext) -> tuple[PPOModels, object, dict]:
        """The actor, critic, reference, scorer and optimizer (in this order: the torch RNG draws follow it), the
        proxy scorer and the run's extra record fields."""
        hp: PPOParams = ctx.params
        tokenizer = ctx.load_tokenizer()
        actor, reference = ctx.load_policy(), ctx.load_reference()
        score_fn, proxy, extra = self._scorer(ctx)
        if hp.critic_init == "reward_model":
            artifact = cell_reward_model(ctx, self.reward_model_settings(hp))
            critic = Critic.from_reward_model(artifact.path, ctx.device)
        else:
            critic = Critic(ctx.load_policy()).to(ctx.device)
        extra["critic_init"] = hp.critic_init
        actor.eval(), critic.eval()  # dropout off: ρ must compare π and π_old as one function of the weights
        optimizer = adamw(
            [
                {"params": actor.parameters(), "lr": hp.learning_rate, "base_lr": hp.learning_rate},
                {"params": critic.parameters(), "lr": hp.critic_learning_rate, "base_lr": hp.critic_learning_rate},
            ],
            ctx.device,
        )
        return PPOModels(actor, critic, reference, tokenizer, score_fn, optimizer), proxy, extra

    def exact_target(self, params: PPOParams, data: DataSettings) -> Target | None:
        """π*_β on the gold reward with a fixed β; on the reward model's scores, or with β adapting, none here."""
        if params.reward != "gold" or params.target_kl > 0:
            return None
        return regularized_optimum(params.kl_coef)

    def comparability_extra(self, params: PPOParams) -> dict:
        return oracle_key(params.reward)

    def trains_on_gold(self, params: PPOParams) -> bool:
        return params.reward == "gold"

    def reward_model_settings(self, params: PPOParams) -> RewardModelSettings | None:
        """A reward model to score with (reward=model) or to start the critic from (critic_init=reward_model)."""
        if params.reward != "model" and params.critic_init != "reward_model":
            return None
        return settings_of(params)

    def _scorer(self, ctx: TrainContext):
        """score(prompts, completions, truncated): the gold reward (an oracle), or the cached reward model (which
        reads the text only); with the reward model, also that model as the proxy scorer."""
        if ctx.params.reward == "gold":
            return ctx.task.gold, None, {"reward": "gold"}

        scorer, artifact = cell_reward_scorer(ctx, self.reward_model_settings(ctx.params))
        return (
            lambda prompts, texts, _: scorer(prompts, texts),
            scorer,
            {"reward": "model", "reward_model": artifact.info},
        )
