"""The evaluator: one function measures every policy, the SFT baseline included."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pobench.contracts.adapter import TrainResult
from pobench.contracts.task import Task
from pobench.core.enumeration import enumerable
from pobench.core.generation import sample, score_pair
from pobench.core.metrics import (
    clustered_mean_se,
    expected_kl_metrics,
    fixed_prompt_se,
    kl_metrics,
    mean_se,
    sequence_kl,
    win_rate,
)
from pobench.core.settings import EvalSettings
from pobench.kit.exact_eval import Target, exact_metrics, policy_log_probs, reference_trees
from pobench.kit.proxy import ImplicitReward, Proxy, implicit_accuracy

REFERENCE_SAMPLE_SEED = 1_000_003  # the reference's own eval samples (for win rate), fixed for all cells
FRONTIER_SAMPLE_SEED = 2_000_003  # + the cell seed: the reference samples behind the optimal frontier
KEPT_SAMPLES = 32  # sample completions kept in the record
# the target scan: the adapter's KL knob × 1/8 … 8 in steps of 2^(1/4), the factors a wrong β or T would show
TARGET_SCAN = tuple(2.0 ** (k / 4) for k in range(-12, 13))


def scanned_target(adapter, params, data) -> Target | None:
    """``adapter.exact_target(params, data)`` with the targets of its KL knob × each TARGET_SCAN factor beside it
    (``Target.nearby``), where the knob is a float that enters the target (a learning rate does not)."""
    target = adapter.exact_target(params, data)
    knob = adapter.kl_knob
    value = getattr(params, knob, None) if knob else None
    if target is None or not isinstance(value, float):
        return target
    nearby = [(f, adapter.exact_target(replace(params, **{knob: value * f}), data)) for f in TARGET_SCAN]
    nearby = [(f, t) for f, t in nearby if t is not None]
    if all(t.formula == target.formula for _, t in nearby):  # the knob does not enter the target: nothing to scan
        return target
    return replace(target, nearby=tuple(nearby))


@dataclass
class Evaluation:
    metrics: dict[str, float]
    samples: list[dict[str, Any]]
    reference_rewards: list[list[float]] = field(default_factory=list)  # per eval prompt, when asked for


def reference_rewards(reference, tokenizer, task: Task, prompts: list[str], k: int, seed: int, batch_size: int):
    """Gold rewards of ``k`` samples per prompt from the reference (a cut completion floored as everywhere),
    one list per prompt: what the optimal frontier and oracle best-of-n are estimated from."""
    drawn = sample(reference, tokenizer, prompts, k, task.max_new_tokens, FRONTIER_SAMPLE_SEED + seed, batch_size)
    gold = task.gold(_repeat(prompts, k), drawn.texts, drawn.truncated)
    return [[round(g, 6) for g in gold[i : i + k]] for i in range(0, len(gold), k)]


def eval_prompts(task: Task, settings: EvalSettings) -> list[str]:
    prompts = task.eval_prompts()
    if not prompts:
        raise ValueError(f"task {task.name!r} has no eval prompts")
    return prompts[: settings.eval_prompts] if settings.eval_prompts else prompts


def reference_gold(reference, tokenizer, task: Task, settings: EvalSettings) -> list[float]:
    """Gold rewards of the reference's own samples on the eval prompts: the opponent in win rate."""
    prompts = eval_prompts(task, settings)
    drawn = sample(
        reference,
        tokenizer,
        prompts,
        settings.eval_samples,
        task.max_new_tokens,
        seed=REFERENCE_SAMPLE_SEED,
        batch_size=settings.eval_batch_size,
    )
    return task.gold(_repeat(prompts, settings.eval_samples), drawn.texts, drawn.truncated)


def evaluate(
    result: TrainResult,
    reference,
    tokenizer,
    task: Task,
    settings: EvalSettings,
    seed: int,
    ref_gold: Sequence[float],
    target: Target | None = None,
    proxy: Proxy | None = None,
    implicit: ImplicitReward | None = None,
) -> Evaluation:
    """Sample k completions per eval prompt from the trained policy (temperature 1, no top-k/top-p), then
    gold reward, KL(π‖π_ref) from those same samples, length, truncation and win rate.

    With ``eval_noise=common`` the samples are drawn with Gumbel noise keyed by (seed, prompt, sample), the same
    for every policy of a seed (bench/core/generation.py), so two policies' readings are paired draw by draw.
    ``eval/kl`` sums the exact next-token KL over the vocabulary at every sampled position (unbiased, never
    negative, lower variance); ``eval/kl_sampled`` is the plain sampled log-ratio Σ_t log π/π_ref, beside it.

    A policy without tractable log-probs (best-of-n) brings its own sampler and an analytic KL bound,
    reported as ``eval/kl`` with ``eval/kl_is_bound`` = 1.

    ``proxy``, the seed's reward model calibrated into gold units (pobench.kit.proxy), scores the samples:
    ``eval/proxy_score`` (its normalized score), ``eval/proxy_reward`` (in gold units) and ``eval/proxy_gap``
    (proxy − gold). ``implicit``, the adapter's implicit reward, gives ``eval/implicit_accuracy`` on the proxy's
    held-out pairs, for a policy with log-probs.

    Where every response can be enumerated (a closed-vocabulary task on a model built for it), the exact values
    are added as ``exact/*``: expected gold reward, KL, distance to the optimum at that KL and to ``target``, the
    adapter's theoretical target (bench/kit/exact_eval.py).
    """
    start = time.perf_counter()
    prompts = eval_prompts(task, settings)
    k, bs = settings.eval_samples, settings.eval_batch_size
    drawn = _draw(result, tokenizer, task, prompts, settings, seed)
    gen_s = time.perf_counter() - start
    repeated = _repeat(prompts, k)
    gold = task.gold(repeated, drawn.texts, drawn.truncated)
    lengths = [_content_length(r, tokenizer.eos_token_id) for r in drawn.response_ids]
    kl, sample_kl = _kl_readings(result, reference, drawn, tokenizer.pad_token_id, k, bs)
    metrics = _sample_metrics(result, drawn, gold, ref_gold, lengths, kl, k, gen_s)
    proxy_metrics, proxy_scores = _proxy_readings(
        result, reference, tokenizer, repeated, drawn, gold, settings, (proxy, implicit)
    )
    metrics |= proxy_metrics
    if enumerable(reference, tokenizer, task.max_new_tokens):
        metrics |= _exact(result, reference, tokenizer, task, prompts, target)
    frontier = []
    if result.reference_samples:
        frontier = reference_rewards(reference, tokenizer, task, prompts, result.reference_samples, seed, bs)
    metrics["perf/eval_time_s"] = time.perf_counter() - start
    kept = [
        {"prompt": p, "completion": c, "gold": g, "length": n, "kl": kl_i, "proxy_score": s}
        for p, c, g, n, kl_i, s in zip(repeated, drawn.texts, gold, lengths, sample_kl, proxy_scores)
    ][:KEPT_SAMPLES]
    return Evaluation(metrics, kept, frontier)


# what a point of the frontier along training keeps: the record's metric name → the point's key
TRAJECTORY_METRICS = {
    "eval/reward": "reward",
    "eval/reward_se": "reward_se",
    "eval/kl": "kl",
    "eval/kl_se": "kl_se",
    "eval/proxy_reward": "proxy_reward",
    "eval/proxy_reward_se": "proxy_reward_se",
    "eval/length": "length",
    "eval/truncation_rate": "truncation_rate",
}


def trajectory_point(step: int, metrics: dict[str, float]) -> dict[str, float]:
    """One point of the frontier along training: the optimizer step and the TRAJECTORY_METRICS found in ``metrics``
    (an evaluation's, at a checkpoint or at the end of training)."""
    return {"step": step, **{key: float(metrics[name]) for name, key in TRAJECTORY_METRICS.items() if name in metrics}}


def score_checkpoint(
    policy, reference, tokenizer, task: Task, settings: EvalSettings, seed: int, proxy: Proxy | None = None
) -> dict[str, float]:
    """The TRAJECTORY_METRICS of ``policy`` part-way through training, measured as ``evaluate`` measures the end:
    the same prompts, samples and common random numbers (so successive points of a trajectory differ by the policy,
    not by the draw), gold reward, the summed next-token KL, length, truncation and the calibrated proxy. Win rate,
    exact values and the implicit reward's accuracy are the end's alone. With ``checkpoint_samples`` set, that many
    samples per prompt (at most the end's ``eval_samples``): the first of the end's draws (the noise is keyed by
    prompt and sample)."""
    if settings.checkpoint_samples:
        settings = replace(settings, eval_samples=min(settings.checkpoint_samples, settings.eval_samples))
    result = TrainResult(policy=policy)
    prompts = eval_prompts(task, settings)
    k, bs = settings.eval_samples, settings.eval_batch_size
    drawn = _draw(result, tokenizer, task, prompts, settings, seed)
    repeated = _repeat(prompts, k)
    gold = task.gold(repeated, drawn.texts, drawn.truncated)
    lengths = [_content_length(r, tokenizer.eos_token_id) for r in drawn.response_ids]
    kl, _ = _kl_readings(result, reference, drawn, tokenizer.pad_token_id, k, bs)
    metrics = _quality_metrics(drawn, gold, lengths, kl, k)
    if proxy is not None:
        metrics |= proxy.metrics(repeated, drawn.texts, gold, k)[0]
    return {name: value for name, value in metrics.items() if name in TRAJECTORY_METRICS}


def _proxy_readings(
    result: TrainResult, reference, tokenizer, repeated, drawn, gold: list[float], settings: EvalSettings, judges
) -> tuple[dict, list]:
    """The proxy's metrics on the samples (``repeated``: each one's prompt), each sample's proxy score (None
    without a proxy), and the implicit reward's accuracy on the proxy's held-out pairs; ``judges``: the seed's
    proxy and the adapter's implicit reward, either None."""
    (proxy, implicit), k, batch_size = judges, settings.eval_samples, settings.eval_batch_size
    if proxy is None:
        if result.proxy_scorer is None:
            return {}, [None] * len(gold)
        # no seed proxy (several processes): the adapter's own reward model, as before
        return {"eval/proxy_score": mean_se(result.proxy_scorer(repeated, drawn.texts))[0]}, [None] * len(gold)
    metrics, scores = proxy.metrics(repeated, drawn.texts, gold, k)
    if implicit is not None and result.kl_bound is None:
        pad = tokenizer.pad_token_id
        metrics |= implicit_accuracy(implicit, result.policy, reference, proxy.pairs, pad, batch_size)
    return metrics, scores


def _draw(result: TrainResult, tokenizer, task: Task, prompts: list[str], settings: EvalSettings, seed: int):
    """The policy's ``eval_samples`` completions per prompt: from its own sampler, if it brings one."""
    k, bs = settings.eval_samples, settings.eval_batch_size
    if result.sampler is not None:
        return result.sampler(prompts, k, task.max_new_tokens, seed, bs)
    common = settings.eval_noise == "common"
    return sample(result.policy, tokenizer, prompts, k, task.max_new_tokens, seed, bs, common_noise=common)


def _kl_readings(result: TrainResult, reference, drawn, pad: int, k: int, batch_size: int) -> tuple[dict, list]:
    """KL(π‖π_ref) on the samples (``kl``, ``kl_se``, ``kl_per_token``, and the sampled log-ratio beside them) and
    each kept sample's own; for a policy without log-probs, its analytic bound, and no per-sample values."""
    if result.kl_bound is None:
        policy_logps, ref_logps, token_kls = score_pair(
            result.policy, reference, drawn.prompt_ids, drawn.response_ids, pad, batch_size
        )
        kl = expected_kl_metrics(token_kls, k)
        sampled = kl_metrics(policy_logps, ref_logps, k)
        kl |= {"kl_sampled": sampled["kl"], "kl_sampled_se": sampled["kl_se"]}
        return kl, sequence_kl(policy_logps[:KEPT_SAMPLES], ref_logps[:KEPT_SAMPLES])
    samples, tokens = len(drawn.response_ids), sum(len(r) for r in drawn.response_ids)
    kl = {"kl": result.kl_bound, "kl_se": 0.0, "kl_per_token": result.kl_bound * samples / max(1, tokens)}
    return kl, [None] * KEPT_SAMPLES  # no per-sample log-probs for such a policy


def _sample_metrics(
    result: TrainResult,
    drawn,
    gold: list[float],
    ref_gold: Sequence[float],
    lengths: list[int],
    kl: dict,
    k: int,
    gen_s: float,
) -> dict[str, float]:
    """The metrics read off the samples: reward, KL, length, truncation (_quality_metrics), win rate, generation
    speed."""
    if any(math.isnan(g) for g in [*gold, *ref_gold]):  # a task without a gold reward: nothing to compare
        wins, wins_se = math.nan, math.nan
    else:
        wins, wins_se = win_rate(gold, ref_gold, k)
    generated = sum(len(r) for r in drawn.response_ids)
    metrics = {
        **_quality_metrics(drawn, gold, lengths, kl, k),
        "eval/kl_per_token": kl["kl_per_token"],
        "eval/kl_is_bound": float(result.kl_bound is not None),
        "eval/win_rate": wins,
        "eval/win_rate_se": wins_se,
        "eval/samples": float(len(gold)),
        "perf/gen_tokens_per_s": generated / gen_s if gen_s > 0 else 0.0,
    }
    if "kl_sampled" in kl:  # a policy with log-probs: the plain estimate beside the summed next-token KL
        metrics |= {"eval/kl_sampled": kl["kl_sampled"], "eval/kl_sampled_se": kl["kl_sampled_se"]}
    if k > 1:  # the error from sampling alone needs two samples of a prompt
        metrics["eval/reward_sampling_se"] = fixed_prompt_se(gold, k)
    return metrics


def _quality_metrics(drawn, gold: list[float], lengths: list[int], kl: dict, k: int) -> dict[str, float]:
    """Gold reward, KL, length and truncation of the samples, each with what goes with it: what a checkpoint along
    training and the end of training are both measured by (score_checkpoint, _sample_metrics)."""
    reward, reward_se = clustered_mean_se(gold, k)
    return {
        "eval/reward": reward,
        "eval/reward_se": reward_se,
        "eval/kl": kl["kl"],
        "eval/kl_se": kl["kl_se"],
        "eval/length": mean_se(lengths)[0],
        "eval/truncation_rate": sum(drawn.truncated) / len(drawn.truncated),
    }


def _exact(result: TrainResult, reference, tokenizer, task: Task, prompts: list[str], target: Target | None) -> dict:
    trees = reference_trees(reference, tokenizer, task, prompts)
    if result.sampler is None:
        log_ps = policy_log_probs(result.policy, tokenizer, task, trees)
    elif result.exact_log_probs is not None:
        log_ps = [result.exact_log_probs(tree) for tree in trees]
    else:  # a sampler without an exact distribution: nothing exact to say about it
        return {}
    return exact_metrics(trees, log_ps, target)


def _repeat(prompts: Sequence[str], k: int) -> list[str]:
    return [p for p in prompts for _ in range(k)]


def _content_length(response: list[int], eos_id: int) -> int:
    """Response length in tokens, not counting the closing EOS."""
    return len(response) - (1 if response and response[-1] == eos_id else 0)
