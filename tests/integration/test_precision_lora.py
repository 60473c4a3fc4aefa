"""Training precision (--dtype) and LoRA through peft (--set lora_r=N); settings added later keep old names."""

from __future__ import annotations

import pytest
from pobench.cli import main
from pobench.core.params import SettingsError
from pobench.core.record import read_records
from pobench.harness.spec import resolve_spec

SMALL = ["--set", "train_examples=64", "--set", "eval_prompts=16", "--set", "eval_samples=2"]


def test_lora_trains_through_peft_and_is_refused_where_unsupported(capsys, bench_dirs, default_cells, tmp_path):
    out = tmp_path / "results"
    args = ["sweep", "--algos", "dpo,kto", "--seeds", "0", "--no-frontier", "--set", "lora_r=4", *SMALL, "--quiet"]
    assert main([*args, "--dtype", "bfloat16", "--out", str(out), "--cache", str(bench_dirs["cache"])]) == 0
    records = read_records(out)
    assert len(records) == 2 and all(r.status == "ok" for r in records)
    for r in records:
        assert (r.spec["lora_r"], r.spec["dtype"]) == (4, "bfloat16")
        assert 0.0 < r.metrics["eval/kl"] and r.metrics["perf/train_steps"] > 0  # the merged adapter moved the policy
    with pytest.raises(SettingsError, match="'ppo' does not train through peft"):
        resolve_spec("ppo", "sentiment", "tiny", 0, {"lora_r": "4"})
    with pytest.raises(SettingsError, match="lora_dropout=1.0: must be in"):
        resolve_spec("dpo", "sentiment", "tiny", 0, {"lora_dropout": "1.0"})
