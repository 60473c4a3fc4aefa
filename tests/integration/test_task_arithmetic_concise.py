"""The arithmetic and concise tasks: gold rewards and labelers worked by hand, splits, corpora; and both
tasks end to end on tiny (SFT baseline and DPO) through a sweep."""

from __future__ import annotations

import math

import pytest
from pobench.cli import main
from pobench.core.record import read_records
from pobench.tasks import TASKS


def arithmetic():
    return TASKS.get("arithmetic")()


def concise():
    return TASKS.get("concise")()


@pytest.mark.parametrize("name", ["arithmetic", "concise"])
def test_new_task_runs_end_to_end_on_tiny(capsys, tmp_path, name):
    out = tmp_path / "results"
    small = ["sft_steps=50", "data_pairs=64", "eval_prompts=8", "eval_samples=2"]
    args = [
        "sweep",
        "--algos",
        "sft,dpo",
        "--tasks",
        name,
        "--seeds",
        "0",
        "--no-frontier",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main([*args, *[x for s in small for x in ("--set", s)]]) == 0
    records = {r.algo: r for r in read_records(out)}
    assert set(records) == {"sft", "dpo"} and all(r.status == "ok" for r in records.values())
    assert records["sft"].comparability_key == records["dpo"].comparability_key
    assert records["sft"].metrics["eval/kl"] == 0.0 and records["dpo"].metrics["eval/kl"] > 0.0
    assert all(math.isfinite(v) for r in records.values() for v in r.metrics.values())
    assert f"### {name} v2 · tiny" in capsys.readouterr().out
