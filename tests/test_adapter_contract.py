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
from bench.spec import resolve_spec
from tests.test_end_to_end import METRICS

PINNED = Path(__file__).parent / "pinned" / "curves.json"
SMALL_BUDGET = {"train_examples": "64", "eval_prompts": "16", "eval_samples": "2"}  # 8 steps at batch 8
PINNED_METRIC = "train/loss"


@pytest.fixture(scope="module")
def smoke_runs(bench_dirs, tmp_path_factory):
    """Each adapter run twice with the same seed, sharing the default cells' cache."""
    runs = {}
    for name, adapter in ALGORITHMS.items():
        spec, source = resolve_spec(name, "sentiment", "tiny", 0, {**SMALL_BUDGET, **adapter.smoke})
        runs[name] = [
            run_cell(
                spec,
                source,
                tmp_path_factory.mktemp(f"{name}-{i}"),
                bench_dirs["cache"],
                device="cpu",
                log=lambda _: None,
            )[0]
            for i in range(2)
        ]
    return runs


@pytest.mark.parametrize("algo", ALGORITHMS.names())
def test_adapter_trains_generates_and_records(algo, smoke_runs, default_cells):
    record = smoke_runs[algo][0]
    assert record.status == "ok", record.error
    assert set(METRICS) <= set(record.metrics) and all(math.isfinite(v) for v in record.metrics.values())
    assert record.samples and any(s["completion"].strip() for s in record.samples)  # the policy generates
    assert record.comparability_key and record.artifacts["data"]["fingerprint"]
    if ALGORITHMS.get(algo).trains:
        assert record.curve and record.metrics["perf/train_steps"] > 0 and record.metrics["perf/train_tokens"] > 0


@pytest.mark.parametrize("algo", ALGORITHMS.names())
def test_same_seed_gives_identical_metrics(algo, smoke_runs):
    first, second = smoke_runs[algo]
    quality = [{k: v for k, v in r.metrics.items() if k.startswith("eval/")} for r in (first, second)]
    assert quality[0] == quality[1]
    assert [row.get(PINNED_METRIC) for row in first.curve] == [row.get(PINNED_METRIC) for row in second.curve]


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
