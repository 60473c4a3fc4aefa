"""Every sampler draws from the policy's own distribution, whatever the model's generation_config says.

``generate`` fills each setting its caller leaves unset from the model's own generation config; a model
that ships repetition_penalty, min_p or top_k (many instruct models do) would otherwise sample from a
distribution other than the one the KL is computed for. The check compares the scores ``generate`` samples
from with the raw logits of the same step: they must be equal.
"""

from __future__ import annotations

import pytest
import torch
from pobench.core.generation import sampling_config
from pobench.core.models import load_model
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

HOSTILE = {"repetition_penalty": 1.5, "top_k": 3, "min_p": 0.3, "temperature": 0.5, "no_repeat_ngram_size": 1}


def tmp_folder():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="pobench-hostile-"))


def hostile_model_folder(folder):
    config = LlamaConfig(
        vocab_size=40, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, bos_token_id=1, eos_token_id=2, pad_token_id=0,
    )  # fmt: skip
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # peaked next-token distributions, so that top_k and min_p cut something
        model.lm_head.weight.mul_(50.0)
    model.generation_config = GenerationConfig(
        do_sample=True, bos_token_id=1, eos_token_id=2, pad_token_id=0, **HOSTILE
    )
    model.save_pretrained(folder)
    return folder


def sampled_vs_raw(model, config) -> tuple[torch.Tensor, torch.Tensor]:
    """The scores ``generate`` sampled from and the raw logits at each step, stacked: (steps, B, V) each."""
    torch.manual_seed(0)
    ids = torch.tensor([[1, 5, 7, 5, 9], [1, 3, 3, 8, 4]])
    out = model.generate(
        input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config,
        return_dict_in_generate=True, output_scores=True, output_logits=True,
    )  # fmt: skip
    return torch.stack(out.scores), torch.stack(out.logits)


def neutral() -> GenerationConfig:
    return sampling_config(6, pad_token_id=0, eos_token_id=2, bos_token_id=1)


def partial() -> GenerationConfig:
    """Sampling settings as a caller that sets only the usual four gives them (pobench did, before)."""
    return GenerationConfig(do_sample=True, temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=6, pad_token_id=0)


def test_a_partial_config_takes_the_models_own_settings():
    """The check can fail: settings a caller leaves unset come from the model's generation_config."""
    model = LlamaForCausalLM.from_pretrained(hostile_model_folder(tmp_folder())).eval()
    assert model.generation_config.repetition_penalty == 1.5
    scores, logits = sampled_vs_raw(model, partial())
    assert not torch.equal(scores, logits)


def test_pobench_sampling_config_leaves_nothing_to_fill_in():
    model = LlamaForCausalLM.from_pretrained(hostile_model_folder(tmp_folder())).eval()
    scores, logits = sampled_vs_raw(model, neutral())
    assert torch.equal(scores, logits)


def test_a_model_loaded_by_pobench_has_no_sampling_settings_of_its_own():
    model = load_model(hostile_model_folder(tmp_folder())).eval()
    defaults = GenerationConfig()
    for key in HOSTILE:
        assert getattr(model.generation_config, key) == getattr(defaults, key)
    assert (model.generation_config.eos_token_id, model.generation_config.pad_token_id) == (2, 0)
    scores, logits = sampled_vs_raw(model, partial())
    assert torch.equal(scores, logits)


@pytest.mark.parametrize("config_cls", ["GRPOConfig", "RLOOConfig"])
def test_trl_online_trainers_sample_from_the_policy_too(config_cls):
    """GRPO and RLOO build their GenerationConfig from their args, leaving min_p unset (None) at its default:
    with a model pobench loaded, nothing fills it in."""
    import dataclasses

    import trl

    args = {f.name: f.default for f in dataclasses.fields(getattr(trl, config_cls))}
    assert args["min_p"] is None  # the setting a model's own generation_config would fill in
    trl_like = GenerationConfig(
        max_new_tokens=6, do_sample=True, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        temperature=1.0, top_p=args["top_p"], top_k=args["top_k"], min_p=args["min_p"],
        repetition_penalty=args["repetition_penalty"],
    )  # fmt: skip
    raw = LlamaForCausalLM.from_pretrained(hostile_model_folder(tmp_folder())).eval()
    assert not torch.equal(*sampled_vs_raw(raw, trl_like))
    model = load_model(hostile_model_folder(tmp_folder())).eval()
    assert torch.equal(*sampled_vs_raw(model, trl_like))


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_sampling_config_sets_no_warping_value(key):
    config = sampling_config(8, pad_token_id=0, eos_token_id=2, bos_token_id=1)
    assert getattr(config, key) in (None, 0, 1.0)
    assert config.do_sample and config.temperature == 1.0 and config.num_beams == 1
