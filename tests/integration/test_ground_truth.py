"""The enumerable task end to end: the sampled estimates against the exact values, the leaderboard's frontier
estimator against the exact frontier, exact metrics in records, and ``pobench validate``."""

from __future__ import annotations

import numpy as np
import pytest
from pobench.core.settings import SFTSettings

FAST = {"sft_steps": "100", "data_pairs": "64", "eval_samples": "8"}


@pytest.fixture(scope="module")
def exact_reference(tmp_path_factory):
    """The exact task's SFT model (100 steps) and its exact trees."""
    from pobench.core.cache import ArtifactCache
    from pobench.core.models import TinyLlama, load_model, load_tokenizer
    from pobench.harness.prepare import prepare_reference
    from pobench.kit.exact_eval import reference_trees
    from pobench.tasks import make_task

    task = make_task("exact")
    cache = ArtifactCache(tmp_path_factory.mktemp("exact-cache"), log=lambda _: None)
    art = prepare_reference(task, TinyLlama(), SFTSettings(sft_steps=100), cache, "cpu", lambda _: None)
    model, tokenizer = load_model(art.path).eval(), load_tokenizer(art.path)
    return task, model, tokenizer, reference_trees(model, tokenizer, task, task.eval_prompts()), art


def perturbed(model, scale: float, seed: int):
    """A copy of ``model`` with noise on its (tied) embeddings: a policy some way from the reference."""
    import copy

    import torch

    policy = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        weight = policy.get_output_embeddings().weight
        weight.add_(scale * torch.randn(weight.shape, generator=generator))
    return policy


def test_sampled_estimates_cover_the_exact_values_at_the_nominal_rate(exact_reference):
    """Over 40 sampling seeds, the evaluator's reward and KL estimates lie within 1.96 standard errors of the exact
    values about 95% of the time (at least 34 of 40; a biased estimator or an understated error fails)."""
    from pobench.core.generation import sample, score
    from pobench.core.metrics import clustered_mean_se, kl_metrics
    from pobench.kit.exact_eval import exact_metrics, policy_log_probs

    task, reference, tok, trees, _ = exact_reference
    policy = perturbed(reference, 0.1, seed=1)  # KL about 0.4, 9% cut: far from the reference, not degenerate
    truth = exact_metrics(trees, policy_log_probs(policy, tok, task, trees), None)
    assert truth["exact/kl"] > 0.2  # far enough from the reference for the KL estimate to matter
    prompts, k = task.eval_prompts(), 16
    covered = {"reward": 0, "kl": 0}
    for seed in range(40):
        drawn = sample(policy, tok, prompts, k, task.max_new_tokens, seed=seed, batch_size=64)
        gold = task.gold([p for p in prompts for _ in range(k)], drawn.texts, drawn.truncated)
        reward, reward_se = clustered_mean_se(gold, k)
        kl = kl_metrics(
            score(policy, drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 64),
            score(reference, drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 64),
            k,
        )
        covered["reward"] += abs(reward - truth["exact/reward"]) <= 1.96 * reward_se
        covered["kl"] += abs(kl["kl"] - truth["exact/kl"]) <= 1.96 * kl["kl_se"]
    assert covered["reward"] >= 34 and covered["kl"] >= 34, covered


def test_frontier_estimator_lands_on_the_exact_frontier(exact_reference):
    """The leaderboard's self-normalized estimate from K = 192 reference samples per prompt (what three seeds of the
    sft baseline pool) agrees with the exact frontier wherever it calls itself trusted."""
    from pobench.reports.frontier import optimal_frontier_exact, optimal_frontier_from_samples

    _, _, _, trees, _ = exact_reference
    rng = np.random.default_rng(0)
    probs = [np.exp(t.ref_log_p) / np.exp(t.ref_log_p).sum() for t in trees]
    drawn = [t.gold[rng.choice(len(p), size=192, p=p)] for t, p in zip(trees, probs)]
    betas = [0.05, 0.1, 0.3, 1.0]
    truth = optimal_frontier_exact(probs, [t.gold for t in trees], betas)
    estimate = optimal_frontier_from_samples(drawn, betas)
    trusted = [(e, t) for e, t in zip(estimate, truth) if e.trusted]
    assert len(trusted) >= 3
    for e, t in trusted:
        assert e.reward == pytest.approx(t.reward, abs=0.04) and e.kl == pytest.approx(t.kl, abs=0.25 + 0.2 * t.kl)


def test_records_of_the_exact_task_carry_exact_metrics(tmp_path):
    from pobench.harness.pipeline import run_cell
    from pobench.harness.spec import resolve_spec

    cache = tmp_path / "cache"
    records = {}
    for algo, extra in (("sft", {}), ("dpo", {"beta": "3"})):
        spec, source = resolve_spec(algo, "exact", "tiny", 0, {**FAST, **extra})
        records[algo], _ = run_cell(spec, source, tmp_path / "out", cache, device="cpu", log=lambda _: None)
    sft, dpo = records["sft"].metrics, records["dpo"].metrics
    # the SFT baseline is the reference: every distance is 0, its reward is the reference's
    assert sft["exact/kl"] == 0.0 and sft["exact/tv_target"] == 0.0 and sft["exact/regret"] == 0.0
    assert sft["exact/reward"] == sft["exact/reference_reward"]
    assert dpo["exact/kl"] > 0 and 0 < dpo["exact/tv_target"] < 1 and dpo["exact/target_kl"] > 0
    assert dpo["exact/regret"] >= -1e-9  # nothing beats the optimum at its own KL
    assert abs(dpo["eval/kl"] - dpo["exact/kl"]) <= 4 * dpo["eval/kl_se"] + 1e-6


def test_validate_sft_passes_and_names_its_target(tmp_path, capsys):
    from pobench.cli import main

    sets = [arg for k, v in FAST.items() for arg in ("--set", f"{k}={v}")]
    code = main(["validate", "--algos", "sft", "--seeds", "0,1", "--out", str(tmp_path), *sets])
    table = capsys.readouterr().out
    assert code == 0, table
    header, _, row = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()]
    cells = dict(zip(header, row))
    assert row[:5] == ["sft", "π_ref", "0.000", "0.000", "0.000"]
    assert (cells["closest target"], cells["KL exact"]) == ("-", "0.000")  # sft has no knob to scan
    assert (cells["seeds"], cells["check"]) == ("2", "pass")


def test_common_noise_and_expected_kl_are_unbiased_with_less_variance(exact_reference):
    """Against exact enumeration, over 30 evaluation seeds: the Gumbel-max sampler with common noise and the
    summed next-token KL are unbiased (their mean over seeds within 3 standard errors of the exact value, and
    each seed's interval covering it at about the nominal rate), and they remove noise: the summed next-token KL
    varies less than the sampled log-ratio on the same samples, and the reward difference between two nearby
    policies varies less with common noise than with independent draws."""
    from pobench.core.generation import sample, score_pair
    from pobench.core.metrics import clustered_mean_se, expected_kl_metrics, kl_metrics
    from pobench.kit.exact_eval import exact_metrics, policy_log_probs

    task, reference, tok, trees, _ = exact_reference
    a = perturbed(reference, 0.1, seed=1)
    b = perturbed(a, 0.03, seed=2)  # a neighbour of a: what two offline methods at one budget look like
    truth = {n: exact_metrics(trees, policy_log_probs(p, tok, task, trees), None) for n, p in (("a", a), ("b", b))}
    prompts, k, seeds = task.eval_prompts(), 8, 30
    repeated = [p for p in prompts for _ in range(k)]

    def reading(policy, seed, common):
        drawn = sample(policy, tok, prompts, k, task.max_new_tokens, seed, 64, common_noise=common)
        reward, reward_se = clustered_mean_se(task.gold(repeated, drawn.texts, drawn.truncated), k)
        pad = tok.pad_token_id
        p_lp, r_lp, token_kls = score_pair(policy, reference, drawn.prompt_ids, drawn.response_ids, pad, 64)
        return reward, reward_se, expected_kl_metrics(token_kls, k), kl_metrics(p_lp, r_lp, k)

    common = [(reading(a, s, True), reading(b, s, True)) for s in range(seeds)]
    independent_b = [reading(b, s + 1000, False)[0] for s in range(seeds)]
    rewards_a = np.array([ra[0] for ra, _ in common])
    expected_kl = np.array([ra[2]["kl"] for ra, _ in common])
    sampled_kl = np.array([ra[3]["kl"] for ra, _ in common])

    def unbiased(values, exact_value):
        return abs(values.mean() - exact_value) <= 3 * values.std(ddof=1) / np.sqrt(len(values))

    assert unbiased(rewards_a, truth["a"]["exact/reward"]), (rewards_a.mean(), truth["a"]["exact/reward"])
    assert unbiased(expected_kl, truth["a"]["exact/kl"]), (expected_kl.mean(), truth["a"]["exact/kl"])
    assert unbiased(sampled_kl, truth["a"]["exact/kl"]), (sampled_kl.mean(), truth["a"]["exact/kl"])
    covered = sum(abs(ra[2]["kl"] - truth["a"]["exact/kl"]) <= 1.96 * ra[2]["kl_se"] for ra, _ in common)
    assert covered >= 24, covered  # 95% nominal: 28.5 of 30 expected; 24 is 4.5 binomial se below
    assert expected_kl.var(ddof=1) < 0.5 * sampled_kl.var(ddof=1), (expected_kl.var(), sampled_kl.var())

    exact_diff = truth["a"]["exact/reward"] - truth["b"]["exact/reward"]
    paired = np.array([ra[0] - rb[0] for ra, rb in common])
    unpaired = rewards_a - np.array(independent_b)
    assert unbiased(paired, exact_diff), (paired.mean(), exact_diff)
    assert paired.var(ddof=1) < 0.5 * unpaired.var(ddof=1), (paired.var(), unpaired.var())
