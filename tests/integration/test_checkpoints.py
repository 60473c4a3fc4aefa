"""The frontier along training on the tiny model: a checkpoint's scores are the evaluator's own on that policy, and
scoring checkpoints leaves training exactly as it was."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import TrainResult
from pobench.core.models import load_model, load_tokenizer
from pobench.core.trajectory import checkpoint_steps
from pobench.harness import checkpoints as checkpoints_module
from pobench.harness.evaluate import TRAJECTORY_METRICS, evaluate, reference_gold, trajectory_point
from pobench.harness.pipeline import run_cell
from pobench.harness.prepare import prepare, prepare_proxy
from pobench.harness.spec import resolve_spec

from tests.helpers import SMALL_BUDGET

CHECKPOINTS = {**SMALL_BUDGET, "eval_checkpoints": "4"}  # 8 optimizer steps: scored at 3, 4, 6 and the end, 8


def test_a_cell_keeps_its_trajectory_and_a_baseline_none(default_cells, bench_dirs, tmp_path):
    """By default a cell is scored at 8 points of its 128 steps, the last being the final evaluation itself; scored
    at the end alone (eval_checkpoints=0) it ends with the same metrics; a baseline, which does not train, has
    nothing along the way."""
    record = default_cells["dpo"][0]
    steps = [p["step"] for p in record.trajectory]
    assert steps == list(checkpoint_steps(128, 8)) and set(TRAJECTORY_METRICS.values()) <= set(record.trajectory[0])
    assert trajectory_point(128, record.metrics) == record.trajectory[-1]  # the end is the final evaluation
    assert record.timings["checkpoint_s"] > 0 and record.metrics["perf/checkpoint_flops"] > 0
    spec, source = resolve_spec("dpo", "sentiment", "tiny", 0, {"eval_checkpoints": "0"})
    alone, _ = run_cell(spec, source, tmp_path, bench_dirs["cache"], device="cpu", log=lambda _: None)
    scored = {k: v for k, v in record.metrics.items() if k.startswith("eval/")}
    assert {k: v for k, v in alone.metrics.items() if k.startswith("eval/")} == scored  # training as it was
    assert not alone.trajectory and not default_cells["sft"][0].trajectory


@pytest.mark.parametrize("checkpoint_samples", ["0", "1"])
def test_checkpoint_scores_equal_a_separate_evaluation_of_that_policy(
    checkpoint_samples, bench_dirs, tmp_path, monkeypatch
):
    """Each checkpoint's weights are copied as it is scored; evaluate() on a model loaded with them afterwards gives
    the same numbers, with as many samples per prompt as the checkpoints took (all 2, or the first 1)."""
    policies: dict[int, object] = {}
    score = checkpoints_module.CheckpointScorer.__call__

    def keeping(self, step, total, policy):
        before = len(self.points)
        score(self, step, total, policy)
        if len(self.points) > before:
            policies[step] = {name: value.detach().clone() for name, value in policy.state_dict().items()}

    monkeypatch.setattr(checkpoints_module.CheckpointScorer, "__call__", keeping)
    spec, source = resolve_spec(
        "dpo", "sentiment", "tiny", 0, {**CHECKPOINTS, "checkpoint_samples": checkpoint_samples}
    )
    record, _ = run_cell(spec, source, tmp_path, bench_dirs["cache"], device="cpu", log=lambda _: None)
    assert [p["step"] for p in record.trajectory] == [3, 4, 6, 8] and sorted(policies) == [3, 4, 6]
    settings = replace(spec.eval, eval_samples=int(checkpoint_samples) or spec.eval.eval_samples)

    task = spec.task_object(source.chat_tokenizer())
    prepared = prepare(spec, task=task, source=source, cache=_cache(bench_dirs), device="cpu", log=lambda _: None)
    prepared = prepare_proxy(spec, task, prepared, _cache(bench_dirs), "cpu", lambda _: None)
    reference, tokenizer = load_model(prepared.reference.path).eval(), load_tokenizer(prepared.reference.path)
    for point in record.trajectory[:-1]:
        policy = load_model(prepared.reference.path)
        policy.load_state_dict(policies[point["step"]])
        separate = evaluate(
            TrainResult(policy=policy.eval()),
            reference,
            tokenizer,
            task,
            settings,
            spec.seed,
            reference_gold(reference, tokenizer, task, settings),
            proxy=prepared.proxy("cpu"),
        )
        assert trajectory_point(point["step"], separate.metrics) == pytest.approx(point, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("algo", ["dpo", "ppo"])
def test_scoring_checkpoints_leaves_training_as_it_was(algo, bench_dirs, tmp_path):
    """The same cell scored at the end alone and at checkpoints ends with the same curve and the same metrics."""
    smoke = ALGORITHMS.get(algo).smoke
    runs = []
    for count in ("0", "4"):
        spec, source = resolve_spec(algo, "sentiment", "tiny", 0, {**CHECKPOINTS, **smoke, "eval_checkpoints": count})
        out = tmp_path / count
        runs.append(run_cell(spec, source, out, bench_dirs["cache"], device="cpu", log=lambda _: None)[0])
    plain, scored = runs
    assert not plain.trajectory and len(scored.trajectory) >= 2
    assert plain.curve == scored.curve
    quality = [{k: v for k, v in r.metrics.items() if k.startswith("eval/")} for r in runs]
    assert quality[0] == quality[1]
    assert plain.metrics["perf/train_flops"] == scored.metrics["perf/train_flops"]  # scoring is not training


def _cache(bench_dirs):
    from pobench.core.cache import ArtifactCache

    return ArtifactCache(bench_dirs["cache"], log=lambda _: None)
