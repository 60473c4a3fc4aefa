"""The proxy: the seed's reward model scoring every cell's samples, in gold units, to see reward hacking.

Every cell of a seed is judged by the same reward model: the one PPO and best-of-n optimize at their defaults and the
model's preset (``proxy_settings``), trained on that seed's preference pairs (pobench.kit.reward_model). Its scores
are put in gold units by a line fitted on the reference policy's own samples on the eval prompts (least squares of
gold on the score, ``least_squares_line``): at KL 0 the calibrated proxy and gold agree on average, and how far they
part as a policy moves away from the reference is what optimizing the proxy bought that gold did not (Gao et al.
2023).

The same reference samples give held-out pairs for the offline methods: two samples of one eval prompt, ordered by
gold (ties left out). Eval prompts are never train prompts, so no method trained on them; how often a method's
implicit reward (pobench.contracts.implicit) orders them as gold does is ``eval/implicit_accuracy``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pobench.contracts.task import Task
from pobench.core.generation import Samples, sample, score
from pobench.core.metrics import clustered_mean_se, least_squares_line, pair_accuracy
from pobench.kit.reward_model import RewardModelSettings, Scorer, load_reward_scorer


def proxy_settings(preset_settings: Mapping[str, str]) -> RewardModelSettings:
    """The reward model settings PPO and best-of-n get from a model preset's shared settings (``rm_learning_rate``,
    ``rm_epochs``; the defaults where it gives none): the proxy is the reward model they optimize."""
    default = RewardModelSettings()
    return RewardModelSettings(
        learning_rate=float(preset_settings.get("rm_learning_rate", default.learning_rate)),
        epochs=int(preset_settings.get("rm_epochs", default.epochs)),
    )


CALIBRATION, HELDOUT_PAIRS = "calibration.json", "heldout_pairs.json"
ImplicitReward = Callable[[float, float, int], float]  # (policy log π, reference log π_ref, length) -> reward


def gold_pairs(drawn: Samples, gold: Sequence[float], k: int) -> list[dict]:
    """Samples 2j and 2j + 1 of each prompt's ``k`` as a pair, the higher gold reward chosen; equal gold left out.
    Token ids are kept, so a policy scores exactly the sampled responses."""
    pairs = []
    for start in range(0, len(gold), k):
        for a in range(start, start + k - 1, 2):
            b = a + 1
            if gold[a] == gold[b]:
                continue
            win, lose = (a, b) if gold[a] > gold[b] else (b, a)
            pairs.append(
                {
                    "prompt_ids": drawn.prompt_ids[a],
                    "chosen_ids": drawn.response_ids[win],
                    "rejected_ids": drawn.response_ids[lose],
                    "gold_chosen": gold[win],
                    "gold_rejected": gold[lose],
                }
            )
    return pairs


def build_calibration(
    reference, tokenizer, scorer: Scorer, task: Task, prompts: list[str], k: int, seed: int, batch_size: int
) -> tuple[dict, list[dict]]:
    """The calibration line fitted on ``k`` reference samples per eval prompt (drawn with ``seed``), and the
    held-out pairs those samples make, with the reference's summed log-probs of both responses (the same for every
    cell of the seed, so each cell scores the pairs with its own policy only)."""
    drawn = sample(reference, tokenizer, prompts, k, task.max_new_tokens, seed=seed, batch_size=batch_size)
    repeated = [p for p in prompts for _ in range(k)]
    gold = task.gold(repeated, drawn.texts, drawn.truncated)
    scores = scorer(repeated, drawn.texts)
    intercept, slope, r2 = least_squares_line(scores, gold)
    line = {"intercept": intercept, "slope": slope, "r2": r2, "samples": len(gold)}
    pairs = gold_pairs(drawn, gold, k)
    reference_lp = pair_log_probs(reference, pairs, tokenizer.pad_token_id, batch_size)
    for i, pair in enumerate(pairs):
        pair["reference_chosen_logp"], pair["reference_rejected_logp"] = reference_lp[i], reference_lp[len(pairs) + i]
    return line, pairs


def pair_log_probs(model, pairs: list[dict], pad_id: int, batch_size: int) -> list[float]:
    """``model``'s summed log-probs of every pair's chosen response, then of every rejected one (token ids as
    sampled), in batches of ``batch_size``: the same batches wherever it is called, so the same floats."""
    prompts = [p["prompt_ids"] for p in pairs] * 2
    responses = [p["chosen_ids"] for p in pairs] + [p["rejected_ids"] for p in pairs]
    return [float(t.sum()) for t in score(model, prompts, responses, pad_id, batch_size)] if pairs else []


def write_calibration(folder: Path, line: dict, pairs: list[dict]) -> dict:
    (folder / CALIBRATION).write_text(json.dumps(line))
    (folder / HELDOUT_PAIRS).write_text(json.dumps(pairs))
    return {**line, "heldout_pairs": len(pairs)}


@dataclass
class Proxy:
    """A seed's reward model as a scorer, with its calibration into gold units and the held-out pairs."""

    scorer: Scorer
    intercept: float
    slope: float
    r2: float
    samples: int  # reference samples the line was fitted on
    pairs: list[dict]
    model_info: dict  # the reward model artifact's metadata: its held-out accuracies

    def calibrated(self, scores: Sequence[float]) -> list[float]:
        return [self.intercept + self.slope * s for s in scores]

    def metrics(self, prompts: Sequence[str], texts: Sequence[str], gold: Sequence[float], k: int) -> dict:
        """Score, calibrated proxy reward and its gap to gold on one cell's samples (prompt-major, ``k`` per
        prompt; standard errors over prompts), and what the proxy is: its line and held-out accuracies."""
        scores = self.scorer(prompts, texts)
        proxy = self.calibrated(scores)
        score_mean, score_se = clustered_mean_se(scores, k)
        reward, reward_se = clustered_mean_se(proxy, k)
        gap, gap_se = clustered_mean_se([p - g for p, g in zip(proxy, gold, strict=True)], k)
        accuracies = {
            f"proxy/{name}": self.model_info[name]
            for name in ("heldout_accuracy", "heldout_gold_accuracy")
            if math.isfinite(self.model_info.get(name, math.nan))  # none where every held-out pair ties in gold
        }
        return {
            "eval/proxy_score": score_mean,
            "eval/proxy_score_se": score_se,
            "eval/proxy_reward": reward,
            "eval/proxy_reward_se": reward_se,
            "eval/proxy_gap": gap,
            "eval/proxy_gap_se": gap_se,
            "proxy/intercept": self.intercept,
            "proxy/slope": self.slope,
            "proxy/r2": self.r2,
            "proxy/calibration_samples": float(self.samples),
            **accuracies,
        }, scores


def load_proxy(model_dir: Path, calibration_dir: Path, model_info: dict, device: str = "cpu") -> Proxy:
    """The proxy of a reward-model artifact and its calibration artifact."""
    line = json.loads((Path(calibration_dir) / CALIBRATION).read_text())
    pairs = json.loads((Path(calibration_dir) / HELDOUT_PAIRS).read_text())
    scorer = load_reward_scorer(model_dir, device)
    return Proxy(scorer, line["intercept"], line["slope"], line["r2"], line["samples"], pairs, model_info)


def implicit_accuracy(
    reward_of: ImplicitReward, policy, reference, pairs: list[dict], pad_id: int, batch_size: int
) -> dict[str, float]:
    """How often ``reward_of`` (an adapter's implicit reward, from summed log-probs) ranks the chosen response of a
    held-out pair above the rejected one (ties half), with its standard error over pairs. The reference's log-probs
    come from the pairs where the calibration kept them (``build_calibration``), else from ``reference``."""
    if not pairs:
        return {}
    responses = [p["chosen_ids"] for p in pairs] + [p["rejected_ids"] for p in pairs]
    policy_lp = pair_log_probs(policy, pairs, pad_id, batch_size)
    if all("reference_chosen_logp" in p for p in pairs):  # kept by the calibration: the reference is fixed
        reference_lp = [p["reference_chosen_logp"] for p in pairs] + [p["reference_rejected_logp"] for p in pairs]
    else:
        reference_lp = pair_log_probs(reference, pairs, pad_id, batch_size)
    rewards = [reward_of(p, r, len(y)) for p, r, y in zip(policy_lp, reference_lp, responses, strict=True)]
    accuracy, se = pair_accuracy(rewards[: len(pairs)], rewards[len(pairs) :])
    return {"eval/implicit_accuracy": accuracy, "eval/implicit_accuracy_se": se, "eval/implicit_pairs": len(pairs)}
