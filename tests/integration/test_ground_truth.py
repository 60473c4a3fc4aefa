"""The enumerable task end to end: the sampled estimates against the exact values, the leaderboard's frontier
estimator against the exact frontier, exact metrics in records, and ``pobench validate``."""

from __future__ import annotations

import numpy as np
import pytest

from bench.core.settings import SFTSettings

FAST = {"sft_steps": "100", "data_pairs": "64", "eval_samples": "8"}


@pytest.fixture(scope="module")
def exact_reference(tmp_path_factory):
    """The exact task's SFT model (100 steps) and its exact trees."""
    from bench.core.cache import ArtifactCache
    from bench.core.models import TinyLlama, load_model, load_tokenizer
    from bench.harness.prepare import prepare_reference
    from bench.kit.exact_eval import reference_trees
    from tasks import make_task

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
    from bench.core.generation import sample, score
    from bench.core.metrics import clustered_mean_se, kl_metrics
    from bench.kit.exact_eval import exact_metrics, policy_log_probs

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
    from bench.reports.frontier import optimal_frontier_exact, optimal_frontier_from_samples

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
    from bench.harness.pipeline import run_cell
    from bench.harness.spec import resolve_spec

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
    from bench.cli import main

    sets = [arg for k, v in FAST.items() for arg in ("--set", f"{k}={v}")]
    code = main(["validate", "sft", "--seeds", "0,1", "--out", str(tmp_path), *sets])
    table = capsys.readouterr().out
    assert code == 0, table
    header, _, row = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()]
    cells = dict(zip(header, row))
    assert row[:6] == ["sft", "π_ref", "0.000", "0.000", "0.000", "0.000"]
    assert (cells["seeds"], cells["check"]) == ("2", "pass")
