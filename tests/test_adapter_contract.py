"""The contract every registered adapter meets, for free: a new adapter is picked up by these tests.

On the tiny task within a small budget it trains, yields a policy that generates, produces a
complete record, and gives identical metrics for the same seed on CPU. Its short training curve
is pinned (tests/pinned/curves.json), so a silent change of behaviour fails a test; after an
intended change, re-pin with `POBENCH_REPIN=1 pytest tests/test_adapter_contract.py`.
"""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path

import pytest

from algorithms import ALGORITHMS
from bench.environment import package_versions
from bench.pipeline import run_cell
from bench.record import RunRecord
from bench.spec import resolve_spec
from tests.test_end_to_end import METRICS

PINNED = Path(__file__).parent / "pinned" / "curves.json"
SMALL_BUDGET = {"train_examples": "64", "eval_prompts": "16", "eval_samples": "2"}  # 8 steps at batch 8
PINNED_METRIC = "train/loss"


def smoke_runs_of(name: str, cache: Path, make_dir) -> list[RunRecord]:
    """The adapter run twice with the same seed on a small budget (plus its own ``smoke`` settings)."""
    spec, source = resolve_spec(name, "sentiment", "tiny", 0, {**SMALL_BUDGET, **ALGORITHMS.get(name).smoke})
    return [
        run_cell(spec, source, make_dir(f"{name}-{i}"), cache, device="cpu", log=lambda _: None)[0] for i in range(2)
    ]


def assert_meets_contract(name: str, runs: list[RunRecord]) -> None:
    record = runs[0]
    assert record.status == "ok", record.error
    assert set(METRICS) <= set(record.metrics) and all(math.isfinite(v) for v in record.metrics.values())
    assert record.samples and any(s["completion"].strip() for s in record.samples)  # the policy generates
    assert record.comparability_key and record.artifacts["data"]["fingerprint"]
    if ALGORITHMS.get(name).trains:
        assert record.curve and record.metrics["perf/train_steps"] > 0 and record.metrics["perf/train_tokens"] > 0
    adapter = ALGORITHMS.get(name)()
    if adapter.reward_model_settings(adapter.hparams(**record.hparams)) is not None:  # built in prepare, recorded
        assert 0.0 <= record.artifacts["reward_model"]["heldout_accuracy"] <= 1.0
    # the same seed gives identical metrics and the same curve
    quality = [{k: v for k, v in r.metrics.items() if k.startswith("eval/")} for r in runs]
    assert quality[0] == quality[1]
    assert [row.get(PINNED_METRIC) for row in runs[0].curve] == [row.get(PINNED_METRIC) for row in runs[1].curve]


@pytest.fixture(scope="module")
def smoke_runs(bench_dirs, tmp_path_factory, default_cells):
    """Every registered adapter's smoke runs, sharing the default cells' cache (SFT model, data)."""
    return {name: smoke_runs_of(name, bench_dirs["cache"], tmp_path_factory.mktemp) for name in ALGORITHMS.names()}


@pytest.mark.parametrize("algo", ALGORITHMS.names())
def test_adapter_meets_the_contract(algo, smoke_runs):
    assert_meets_contract(algo, smoke_runs[algo])


def _environment() -> dict:
    versions = package_versions()
    return {
        "torch": versions["torch"],
        "transformers": versions["transformers"],
        "trl": versions["trl"],
        "machine": platform.machine(),
        "python": platform.python_version(),
    }


@pytest.mark.parametrize("algo", ALGORITHMS.names())
def test_short_training_curve_matches_the_pinned_one(algo, smoke_runs):
    if not ALGORITHMS.get(algo).__module__.startswith("algorithms."):
        pytest.skip(f"{algo!r} comes from a plugin: pinned curves cover pobench's own adapters")
    curve = [row[PINNED_METRIC] for row in smoke_runs[algo][0].curve if PINNED_METRIC in row]
    pinned = json.loads(PINNED.read_text()) if PINNED.exists() else {"environment": {}, "curves": {}}
    if os.environ.get("POBENCH_REPIN") == "1":
        pinned["environment"] = _environment()
        pinned["curves"][algo] = curve
        PINNED.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n")
    assert algo in pinned["curves"], f"no pinned curve for {algo!r}: run with POBENCH_REPIN=1 once and commit it"
    expected = pinned["curves"][algo]
    note = f"pinned under {pinned['environment']}, running under {_environment()}"
    assert len(curve) == len(expected), note
    for step, (got, want) in enumerate(zip(curve, expected, strict=True), start=1):
        assert got == pytest.approx(want, rel=1e-3, abs=1e-5), f"step {step}: {got} != {want} ({note})"
