"""The analytic FLOP count (bench/core/flops.py) against numbers worked by hand, and the runtime counter's rules
(the outermost PreTrainedModel counted once, the kinds, the cache, the head) on tiny random transformers models."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from pobench.core.cache import ArtifactCache
from pobench.core.flops import (
    FlopTally,
    attention_flops,
    backward_flops,
    charge,
    count_flops,
    counting,
    forward_flops,
    is_transformer,
    layer_params,
    matmul_params,
    training_flops,
)
from torch import nn
from torch.nn.modules import module as torch_module

# A made-up config: hidden 8, 2 layers, 2 query heads of d_h = 4, 1 key-value head (GQA), intermediate 12, vocab 10.
SMALL = dict(hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=12, vocab_size=10)


def small(**changes) -> SimpleNamespace:
    return SimpleNamespace(**{**SMALL, "num_key_value_heads": 1, "model_type": "llama", **changes})


def test_layer_params_by_hand():
    # q, o: 2·8·(2·4) = 128; k, v: 2·8·(1·4) = 64; gated MLP: 3·8·12 = 288 → 480
    assert layer_params(small()) == 480
    # no num_key_value_heads: as many as the query heads, k, v: 2·8·8 = 128 → 128 + 128 + 288 = 544
    assert layer_params(SimpleNamespace(**SMALL)) == 544
    # a plain MLP (up, down): 2·8·12 = 192 → 128 + 64 + 192 = 384
    assert layer_params(small(model_type="gpt_neox")) == 384
    # head_dim given: q, o: 2·8·(2·8) = 256; k, v: 2·8·(1·8) = 128 → 256 + 128 + 288 = 672
    assert layer_params(small(head_dim=8)) == 672


def test_matmul_params_by_hand():
    # 2 layers · 480 = 960, plus the head: hidden 8 · outputs
    assert matmul_params(small(), head_outputs=10) == 960 + 80
    assert matmul_params(small(), head_outputs=1) == 960 + 8
    assert matmul_params(small()) == 960


def test_forward_by_hand():
    cfg = small()
    # B = 3 sequences of T = 5, no cache: weights 2·960·15 + 2·8·10·15 = 28,800 + 2,400 = 31,200;
    # attention 4·2 layers·(2·4)·3·5·5 = 4,800 → 36,000
    assert attention_flops(cfg, 3, 5) == 4_800
    assert forward_flops(cfg, 3, 5, 0, head_outputs=10) == 36_000
    # one new token after a cache of 6: weights 2·960·3 + 2·80·3 = 5,760 + 480 = 6,240; attention 4·2·8·3·1·7 = 1,344
    assert forward_flops(cfg, 3, 1, context=6, head_outputs=10) == 7_584
    # generate's prefill: the head at the last position only: 28,800 + 2·80·3·1 + 4,800 = 34,080
    assert forward_flops(cfg, 3, 5, 0, head_outputs=10, head_tokens=1) == 34_080


def test_training_is_three_forwards_and_lora_about_two():
    cfg = small()
    assert backward_flops(cfg, 3, 5, 0, 10) == 72_000
    assert training_flops(cfg, 3, 5, 0, 10) == 108_000 == 3 * forward_flops(cfg, 3, 5, 0, 10)
    # half the weights frozen: (1 + 0.5)·31,200 + 2·4,800 = 46,800 + 9,600 = 56,400
    assert backward_flops(cfg, 3, 5, 0, 10, trainable_fraction=0.5) == 56_400
    assert training_flops(cfg, 3, 5, 0, 10, trainable_fraction=0.5) == 36_000 + 56_400


def test_tiny_numbers_of_the_module_docstring():
    from transformers import LlamaConfig

    cfg = LlamaConfig(
        vocab_size=2048, hidden_size=128, intermediate_size=352, num_hidden_layers=4, num_attention_heads=4
    )
    assert layer_params(cfg) == 200_704
    assert matmul_params(cfg, 2048) == 1_064_960
    assert forward_flops(cfg, 1, 64, 0, 2048) == 64 * 2_260_992
    assert training_flops(cfg, 1, 64, 0, 2048) == 64 * 6_782_976


def test_only_transformer_configs_are_counted():
    assert is_transformer(small())
    assert not is_transformer(SimpleNamespace(hidden_size=3, vocab_size=5))  # the tabular table's shape


# --- the runtime counter, on a random Llama: hidden 16, 2 layers, 4 heads of d_h 4, 2 kv heads, vocab 64 ---
# per layer: q, o 2·16·16 = 512; k, v 2·16·8 = 256; MLP 3·16·24 = 1,152 → 1,920; 2 layers 3,840; head 16·64 = 1,024.
# (B, T) = (2, 7): weights 2·3,840·14 + 2·1,024·14 = 107,520 + 28,672; attention 4·2·16·2·7·7 = 12,544
LM_FORWARD = 107_520 + 28_672 + 12_544  # 148,736
BODY_FORWARD = 107_520 + 12_544  # 120,064: no head
V = 64


@pytest.fixture(scope="module")
def config():
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=V,
        hidden_size=16,
        intermediate_size=24,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=32,
        tie_word_embeddings=True,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )


@pytest.fixture
def lm(config):
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(config).eval()


def ids(batch: int = 2, length: int = 7) -> torch.Tensor:
    return torch.randint(3, V, (batch, length), generator=torch.Generator().manual_seed(0))


def test_the_outer_model_is_counted_once(lm):
    assert forward_flops(lm.config, 2, 7, 0, V) == LM_FORWARD
    with torch.no_grad(), count_flops() as tally:
        lm(input_ids=ids())
    # LlamaForCausalLM calls LlamaModel, also a PreTrainedModel: counted too, it would add 120,064 and a call
    assert (tally.frozen, tally.calls, tally.trainable, tally.generation) == (LM_FORWARD, 1, 0, 0)


def test_padding_costs_as_much_as_tokens(lm):
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[0, 3:] = 0
    with torch.no_grad(), count_flops() as tally:
        lm(input_ids=ids(), attention_mask=mask)
    assert tally.frozen == LM_FORWARD


def test_a_training_call_is_three_forwards(lm):
    with count_flops() as tally:
        x = ids()
        lm(input_ids=x, labels=x).loss.backward()
    assert (tally.trainable, tally.frozen) == (3 * LM_FORWARD, 0)


def test_a_model_with_few_trainable_weights_counts_its_fraction(lm):
    lm.requires_grad_(False)
    lm.model.norm.requires_grad_(True)
    # parameters: embedding 64·16 = 1,024; per layer q 256 + k 128 + v 128 + o 256 + MLP 1,152 + 2 norms 32 = 1,952;
    # 2 layers 3,904; final norm 16 → 4,944 (the tied head is the embedding); the norm's 16 train
    assert sum(p.numel() for p in lm.parameters()) == 4_944
    with count_flops() as tally:
        lm(input_ids=ids()).logits.sum().backward()
    weights = 107_520 + 28_672
    assert tally.trainable == LM_FORWARD + round((1 + 16 / 4_944) * weights) + 2 * 12_544


def test_a_frozen_model_under_grad_is_forward_only(lm):
    lm.requires_grad_(False)
    with count_flops() as tally:
        lm(input_ids=ids())
    assert (tally.frozen, tally.trainable) == (LM_FORWARD, 0)


def test_heads_come_from_the_outer_class(lm, config):
    from transformers import LlamaForSequenceClassification

    classifier = LlamaForSequenceClassification(config.__class__(**{**config.to_dict(), "num_labels": 1})).eval()

    class Critic(nn.Module):  # as PPO's: the LM's body and a scalar head
        def __init__(self) -> None:
            super().__init__()
            self.body, self.head = lm.base_model, nn.Linear(16, 1)

        def forward(self, x):
            return self.head(self.body(input_ids=x).last_hidden_state)

    with torch.no_grad(), count_flops() as bodies:
        lm.model(input_ids=ids())
        Critic()(ids())
    with torch.no_grad(), count_flops() as scores:
        classifier(input_ids=ids())
    assert (bodies.frozen, bodies.calls) == (2 * BODY_FORWARD, 2)
    assert scores.frozen == BODY_FORWARD + 2 * 16 * 1 * 14  # the score head (16 → 1) at every position: 120,512


def test_generation_counts_the_cache(lm):
    prompts = ids(2, 4)
    mask = torch.ones(2, 4, dtype=torch.long)
    mask[1, 0] = 0  # left padding still costs its positions
    with count_flops() as tally:
        lm.generate(input_ids=prompts, attention_mask=mask, do_sample=False, max_new_tokens=3, min_new_tokens=3)
    # prefill (2, 4), the head at the last position: 2·3,840·8 + 2·1,024·2 + 4·2·16·2·4·4 = 61,440 + 4,096 + 4,096;
    # then one token after 4 cached: 2·3,840·2 + 2·1,024·2 + 4·2·16·2·1·5 = 15,360 + 4,096 + 1,280; after 5: + 1,536
    assert tally.generation == 69_632 + 20_736 + 20_992
    assert (tally.calls, tally.frozen, tally.trainable) == (3, 0, 0)


def test_a_call_that_raises_is_not_counted_and_the_hooks_go(lm):
    hooks = (len(torch_module._global_forward_pre_hooks), len(torch_module._global_forward_hooks))
    with pytest.raises(RuntimeError, match="stop"), torch.no_grad(), count_flops() as tally:
        with pytest.raises(IndexError):
            lm(input_ids=torch.tensor([[V + 5]]))  # out of the vocabulary: the embedding raises mid-forward
        lm(input_ids=ids())  # the depth went back to 0: this call is the outer one again
        raise RuntimeError("stop")
    assert (tally.frozen, tally.calls) == (LM_FORWARD, 1)
    assert (len(torch_module._global_forward_pre_hooks), len(torch_module._global_forward_hooks)) == hooks
    with torch.no_grad():
        lm(input_ids=ids())
    assert tally.calls == 1


def test_a_model_that_is_not_a_transformer_is_uncounted():
    from pobench.core.tabular import model_classes

    config_cls, model_cls = model_classes()
    table = model_cls(config_cls(vocab_size=5, num_rows=3, max_prefix=2))
    with torch.no_grad(), count_flops() as tally:
        table(input_ids=torch.tensor([[1, 2]]))
    assert (tally.calls, tally.uncounted_calls, tally.total) == (1, 1, 0)


def test_metrics():
    tally = FlopTally(trainable=6, frozen=2, generation=1, calls=3)
    assert tally.total == 9
    assert tally.as_metrics("eval") == {
        "perf/eval_flops": 9.0,
        "perf/eval_flops_trainable": 6.0,
        "perf/eval_flops_frozen": 2.0,
        "perf/eval_flops_generation": 1.0,
    }


def test_nested_counts_each_see_the_inner_calls_and_close_in_any_state(lm):
    # at the inner block's end both tallies hold the same counts: each must still close as itself
    with torch.no_grad(), count_flops() as outer:
        with count_flops() as inner:
            lm(ids())
        assert inner.frozen == outer.frozen > 0
        charge({"frozen": 5, "generation": 7})  # a reused artifact's FLOPs, after the inner block closed
    assert outer.frozen == inner.frozen + 5 and outer.generation == 7 and inner.generation == 0
    assert not counting()


def test_a_cached_build_inside_a_count_charges_its_reuse(tmp_path, lm):
    cache = ArtifactCache(tmp_path, log=lambda _: None)

    def build(folder):
        with torch.no_grad():
            lm(ids())

    with count_flops() as first:
        cache.get_or_build("work", {"x": 1}, build, "work")
    with count_flops() as second:
        cache.get_or_build("work", {"x": 1}, build, "work")  # reused: nothing runs, its FLOPs are charged
    assert second.frozen == first.frozen > 0 and second.calls == 0
    cache.get_or_build("work", {"x": 2}, build, "work")  # built outside a count: nothing to charge later
    with count_flops() as third:
        cache.get_or_build("work", {"x": 2}, build, "work")
    assert third.total == 0
