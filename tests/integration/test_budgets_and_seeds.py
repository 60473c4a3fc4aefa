"""What makes cells comparable, checked through the real pipeline on the tiny task: the offline adapters take the
same optimizer steps under one budget, a seed is a different run (its own data and, for KTO too, its own order),
and a completion cut at the length limit scores the task's floor."""

from __future__ import annotations

import pobench.algorithms  # noqa: F401  (registers the adapters before pobench.kit.trl_support, which they import, is loaded)
import pytest
from pobench.core.record import RunRecord
from pobench.harness.pipeline import run_cell
from pobench.harness.spec import resolve_spec

OFFLINE = ("dpo", "ipo", "kto", "cpo", "orpo", "simpo")
PAIRS, BATCH = 64, 8
# data_pairs above PAIRS: a sampled pair whose two completions are equal is dropped, and PAIRS must remain
BUDGET = {
    "train_examples": str(PAIRS),
    "batch_size": str(BATCH),
    "data_pairs": "96",
    "eval_prompts": "8",
    "eval_samples": "2",
}


@pytest.fixture(scope="module")
def records(bench_dirs, tmp_path_factory) -> dict[tuple[str, int], RunRecord]:
    """Every offline adapter at seed 0, and KTO at seed 1, under one small budget (one shared cache)."""
    out = tmp_path_factory.mktemp("budgets")

    def run(algo: str, seed: int) -> RunRecord:
        spec, source = resolve_spec(algo, "sentiment", "tiny", seed, BUDGET)
        return run_cell(spec, source, out, bench_dirs["cache"], device="cpu", log=lambda _: None)[0]

    cells = {(algo, 0): run(algo, 0) for algo in OFFLINE}
    cells[("kto", 1)] = run("kto", 1)
    return cells


def train_samples(record: RunRecord) -> int:
    """TrainResult.train_samples, as the record keeps it (a rate times the train time)."""
    return round(record.metrics["perf/train_samples_per_s"] * record.metrics["perf/train_time_s"])


def test_the_offline_adapters_take_the_same_optimizer_steps(records):
    for (algo, _), record in records.items():
        assert record.status == "ok", (algo, record.error)
        assert record.artifacts["data"]["pairs"] >= PAIRS, record.artifacts["data"]
    steps = {algo: records[(algo, 0)].metrics["perf/train_steps"] for algo in OFFLINE}
    assert steps == dict.fromkeys(OFFLINE, PAIRS / BATCH)
    # and the same judgements: a pair counts once, KTO's two unpaired rows of a pair included
    samples = {algo: train_samples(records[(algo, 0)]) for algo in OFFLINE}
    assert samples == dict.fromkeys(OFFLINE, PAIRS)


def test_kto_seeds_are_different_runs(records):
    curves = [[row["train/loss"] for row in records[("kto", seed)].curve if "train/loss" in row] for seed in (0, 1)]
    assert len(curves[0]) == len(curves[1]) == PAIRS // BATCH
    assert curves[0] != curves[1]


def test_each_seed_has_its_own_preference_data_in_one_comparability_key(records):
    seed0, seed1 = records[("kto", 0)], records[("kto", 1)]
    assert seed0.artifacts["data"]["fingerprint"] != seed1.artifacts["data"]["fingerprint"]
    assert seed0.artifacts["data"]["key"] != seed1.artifacts["data"]["key"]
    assert seed0.artifacts["reference"]["key"] == seed1.artifacts["reference"]["key"]  # one SFT model
    # every adapter and both seeds rank in one table
    assert len({record.comparability_key for record in records.values()}) == 1
