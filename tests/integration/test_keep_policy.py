"""What a cell keeps beyond its numbers: its trained policy on request, where each setting came from, and what its
adapter reported (PPO's final KL coefficient)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import torch
from pobench.cli import main
from pobench.harness.pipeline import run_cell
from pobench.harness.spec import resolve_spec
from transformers import AutoModelForCausalLM, AutoTokenizer


def test_a_cell_keeps_its_trained_policy_on_request(bench_dirs, tmp_path):
    spec, source = resolve_spec("dpo", "sentiment", "tiny", 0, {"train_examples": "16"})
    record, path = run_cell(replace(spec, keep_policy=True), source, tmp_path, bench_dirs["cache"], device="cpu",
                            log=lambda _: None)  # fmt: skip
    folder = Path(record.artifacts["policy"])
    assert folder == tmp_path / "policies" / path.stem and not folder.with_name(folder.name + ".partial").exists()
    policy = AutoModelForCausalLM.from_pretrained(folder)
    reference = AutoModelForCausalLM.from_pretrained(
        bench_dirs["cache"] / "reference" / record.artifacts["reference"]["key"]
    )
    tokens = AutoTokenizer.from_pretrained(folder)("the movie was", return_tensors="pt").input_ids
    with torch.no_grad():
        trained, before = policy(tokens).logits, reference(tokens).logits
    assert trained.shape == before.shape and not torch.allclose(trained, before)  # the trained one, not SFT's
    saved = json.loads(path.read_text())
    assert saved["artifacts"]["policy"] == str(folder)
    assert saved["settings_source"]["train_examples"] == "--set" and saved["settings_source"]["beta"] == "default"

    again, _ = run_cell(spec, source, tmp_path / "plain", bench_dirs["cache"], device="cpu", log=lambda _: None)
    assert "policy" not in again.artifacts and not (tmp_path / "plain" / "policies").exists()


def test_what_ppo_reports_reaches_the_record_and_show(bench_dirs, tmp_path, capsys):
    smoke = {"updates": "2", "rollout_prompts": "4", "minibatch_size": "4", "reward": "gold", "critic_init": "sft",
             "target_kl": "1.0"}  # fmt: skip
    spec, source = resolve_spec("ppo", "sentiment", "tiny", 0, smoke)
    record, path = run_cell(spec, source, tmp_path, bench_dirs["cache"], device="cpu", log=lambda _: None)
    assert record.train_extra["critic_init"] == "sft"
    assert isinstance(record.train_extra["final_kl_coef"], float) and record.train_extra["final_kl_coef"] > 0
    assert json.loads(path.read_text())["train_extra"] == record.train_extra
    assert main(["show", "--record", str(path)]) == 0
    assert f"final_kl_coef: {json.dumps(record.train_extra['final_kl_coef'])}" in capsys.readouterr().out
