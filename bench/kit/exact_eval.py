"""Exact evaluation on an enumerable task: a policy's expected gold reward and KL summed over every response, its
distance to its adapter's theoretical target, and to the optimal policy at the same KL.

Recorded beside the sampled estimates as ``exact/*`` metrics (docs/ground-truth.md). All averages are over
the eval prompts, like the sampled metrics.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pobench.contracts.task import Task
from pobench.core import exact
from pobench.core.enumeration import Leaves, leaf_log_probs, leaves


@dataclass
class PromptTree:
    """One prompt's responses, the reference's exact log-probabilities, and their gold and labeler scores."""

    leaves: Leaves
    ref_log_p: np.ndarray
    gold: np.ndarray
    labeler: np.ndarray  # what the preference labeler compares (the gold reward unless the task says otherwise)


@dataclass(frozen=True)
class Target:
    """What an adapter converges to on this task in the population limit (infinite data, converged training).

    ``formula`` names it (docs/ground-truth.md, ``pobench validate``); ``log_probs`` computes it for one prompt.
    ``nearby``:
    (factor, target) for the same formula with the adapter's KL knob times factor, so a policy that misses its
    target can be told which one it reached instead (``exact/closest_factor``)."""

    formula: str
    log_probs: Callable[[PromptTree], np.ndarray]
    nearby: tuple[tuple[float, Target], ...] = ()


def reference_trees(reference, tokenizer, task: Task, prompts: list[str]) -> list[PromptTree]:
    trees = []
    for prompt in prompts:
        leaf = leaves(tokenizer, prompt, task.max_new_tokens)
        repeated = [prompt] * len(leaf.texts)
        trees.append(
            PromptTree(
                leaves=leaf,
                ref_log_p=leaf_log_probs(reference, tokenizer, prompt, task.max_new_tokens),
                gold=np.array(task.gold(repeated, leaf.texts, leaf.truncated), dtype=float),
                labeler=np.array(task.labeler(repeated, leaf.texts, leaf.truncated), dtype=float),
            )
        )
    return trees


def policy_log_probs(policy, tokenizer, task: Task, trees: list[PromptTree]) -> list[np.ndarray]:
    return [leaf_log_probs(policy, tokenizer, t.leaves.prompt, task.max_new_tokens) for t in trees]


def exact_metrics(trees: list[PromptTree], log_ps: list[np.ndarray], target: Target | None) -> dict[str, float]:
    """``exact/*`` metrics of the policy whose per-prompt leaf log-probabilities are ``log_ps``."""

    def mean(fn, arrays) -> float:  # fn(tree, array) averaged over the prompts
        return float(np.mean([fn(t, a) for t, a in zip(trees, arrays)]))

    reward = mean(lambda t, lp: exact.expected(lp, t.gold), log_ps)
    kl = mean(lambda t, lp: exact.kl(lp, t.ref_log_p), log_ps)
    beta = exact.matched_beta(lambda b: frontier_kl(trees, b), kl)
    optimum = [t.ref_log_p if math.isinf(beta) else exact.tilt(t.ref_log_p, t.gold, beta) for t in trees]
    frontier_reward = mean(lambda t, lp: exact.expected(lp, t.gold), optimum)
    metrics = {
        "exact/reward": reward,
        "exact/kl": kl,
        "exact/truncation_rate": mean(lambda t, lp: float(np.exp(lp[t.leaves.truncated]).sum()), log_ps),
        "exact/reference_reward": mean(lambda t, lp: exact.expected(lp, t.gold), [t.ref_log_p for t in trees]),
        "exact/frontier_reward": frontier_reward,
        "exact/regret": frontier_reward - reward,
        "exact/tv_frontier": float(np.mean([exact.tv(lp, o) for lp, o in zip(log_ps, optimum)])),
    }
    if math.isfinite(beta):  # KL 0 (the reference itself) has no finite β
        metrics["exact/frontier_beta"] = beta
    if target is not None:
        goal = [target.log_probs(t) for t in trees]
        metrics |= {
            "exact/tv_target": float(np.mean([exact.tv(lp, g) for lp, g in zip(log_ps, goal)])),
            "exact/kl_to_target": float(np.mean([exact.kl(lp, g) for lp, g in zip(log_ps, goal)])),
            "exact/target_reward": mean(lambda t, g: exact.expected(g, t.gold), goal),
            "exact/target_kl": mean(lambda t, g: exact.kl(g, t.ref_log_p), goal),
            "exact/reference_tv_target": float(np.mean([exact.tv(t.ref_log_p, g) for t, g in zip(trees, goal)])),
        }
        metrics |= closest_target(trees, log_ps, target.nearby)
    return metrics


def closest_target(trees: list[PromptTree], log_ps: list[np.ndarray], nearby) -> dict[str, float]:
    """The factor of the nearby target the policy is closest to in TV (averaged over prompts), and that TV."""
    if not nearby:
        return {}
    tvs = [
        (float(np.mean([exact.tv(lp, other.log_probs(t)) for t, lp in zip(trees, log_ps)])), factor)
        for factor, other in nearby
    ]
    tv, factor = min(tvs)
    return {"exact/closest_factor": factor, "exact/tv_closest": tv}


def frontier_kl(trees: list[PromptTree], beta: float) -> float:
    """KL(π*_β‖π_ref) averaged over prompts, π*_β ∝ π_ref·exp(gold/β)."""
    return float(np.mean([exact.kl(exact.tilt(t.ref_log_p, t.gold, beta), t.ref_log_p) for t in trees]))


# Targets an adapter may declare (Adapter.exact_target): built from its hyperparameters and the data settings.


def regularized_optimum(beta: float) -> Target:
    """π*_β ∝ π_ref·exp(r/β), r the gold reward: PPO and RLOO trained on the gold reward with KL penalty β."""
    return Target(f"π_ref·exp(r/β), β={beta:g}", lambda t: exact.tilt(t.ref_log_p, t.gold, beta))


def dpo_optimum(beta: float, temperature: float) -> Target:
    """π_ref·exp(s/(T·β)), s the labeler's score: DPO on Bradley–Terry(T) pairs."""
    return Target(
        f"π_ref·exp(s/(T·β)), T·β={temperature * beta:g}",
        lambda t: exact.tilt(t.ref_log_p, t.labeler, temperature * beta),
    )


def ipo_optimum(tau: float, temperature: float, per_token: bool) -> Target:
    """IPO's population optimum on pairs from π_ref labelled by Bradley–Terry(T) (pobench.core.exact.ipo_target)."""
    name = "|y|·" if per_token else ""
    return Target(
        f"π_ref·exp({name}(P(y≻π_ref)/τ + c)), τ={tau:g}, T={temperature:g}",
        lambda t: exact.ipo_target(t.ref_log_p, t.labeler, temperature, tau, t.leaves.lengths if per_token else None),
    )


def reference_itself() -> Target:
    """The SFT baseline is the reference: distance 0, a check of the enumeration itself."""
    return Target("π_ref", lambda t: t.ref_log_p)
