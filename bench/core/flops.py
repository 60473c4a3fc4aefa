"""Compute in FLOPs: an analytic count for a decoder-only transformer, and a counter that applies it to every
model call made inside a block of code (``count_flops``), with no help from the code that makes the calls.

**Convention.** A multiply-add is 2 FLOPs, and only matrix products count: norms, softmax, activations, rotary
embeddings, the loss and the embedding lookup are free. This is what ``torch.utils.flop_counter.FlopCounterMode``
counts (mm, bmm, addmm and the fused attention kernels), and the integration test holds the two within 15%.

**Weights a token is multiplied by** (``matmul_params``), with d_h = ``head_dim`` (else hidden / heads):

    per layer   attention  q, o: 2 · hidden · heads · d_h      k, v: 2 · hidden · kv_heads · d_h  (GQA: kv < heads)
                MLP        3 · hidden · intermediate  gated (gate, up, down: Llama's family), else 2 · (up, down)
    head        hidden · head_outputs: vocab_size for a causal LM, num_labels for a classifier, 0 for a bare body
    N = N_body + head, N_body = n_layers · per-layer   (tied embeddings: the lookup is free, the head multiplies)

**A forward** of B sequences of T new tokens each, after a key-value cache of P positions (``forward_flops``):

    forward = 2 · N_body · B·T  +  2 · hidden · head_outputs · B·T_head  +  4 · n_layers · heads · d_h · B·T·(P+T)

The first term is Kaplan et al. (2020)'s C_forward ≈ 2N per token. T_head is the positions the head is applied
to (T; generate keeps only the last one, ``logits_to_keep=1``). The last term is attention's scores Q·Kᵀ and its
weighted sum A·V, each 2 · heads · d_h FLOPs per (query, key) pair, over the whole T × (P+T) matrix: sdpa and
eager attention compute the causal mask's upper half too (then mask it), and FlopCounterMode counts the full
matrix. So a full forward over T tokens with no cache attends T positions per token, and one new token after a
cache of P attends P + 1.

**A backward** (``backward_flops``) is 2 × forward when every weight trains (Kaplan et al.: 2N forward + 4N
backward = 6N per token): each product Y = X·W needs dX = dY·Wᵀ and dW = Xᵀ·dY, each as costly as the forward.
Attention's products have no weights, and both operands need their gradients: 2 × its forward. A frozen weight
needs no dW, so with a fraction f of the parameters training (by count; LoRA: f ≈ 0.01) the weights' part is
(1 + f) × forward: LoRA's backward ≈ 1 × forward (the adapters' own small products are not counted). A training
call costs forward + backward = 3 × forward at f = 1 (``training_flops``).

**Worked numbers: ``tiny``** (pobench.core.models.TinyLlama: a Llama, gated MLP, tied embeddings, no GQA): hidden
128, 4 layers, 4 heads (kv 4), intermediate 352, vocab V = the task tokenizer's size (at most 2048; 1,541 on
sentiment; 2048 below). Per layer 4 · 128² + 3 · 128 · 352 = 65,536 + 135,168 = 200,704; 4 layers = 802,816; head
128 · 2048 = 262,144; N = 1,064,960. A token of a 64-token sequence: forward 2N + 4 · 4 · 128 · 64 = 2,129,920 +
131,072 = 2,260,992 FLOPs; training 3 × that = 6,782,976.

**The runtime counter.** ``count_flops()`` installs two global module hooks (torch's
``register_module_forward_pre_hook`` / ``register_module_forward_hook``, removed on exit, also on an exception), so
it sees the model copies TRL's trainers make too. Only the outermost ``transformers.PreTrainedModel`` call is
counted (a ``LlamaForCausalLM`` calls a ``LlamaModel``, also a PreTrainedModel: a depth counter skips it). From the
call it reads B × T (``input_ids`` or ``inputs_embeds``: the tensor's shape, so padding costs FLOPs as it does on
the machine), P (the cache's length after the call minus T, else a 2-D attention mask's extra columns), the head
(the outer class: ``*ForSequenceClassification`` → num_labels; a model with output embeddings → vocab_size; a bare
body, e.g. PPO's critic calling the SFT model's ``base_model`` → none: the critic's own Linear(hidden, 1) value
head is too small to count) and T_head (the output's logits, or TRL's fused head's ``label_mask``). Each call is:

- ``generation``: a key-value cache was passed in (generate's prefill, with an empty cache, and every step);
  forward only;
- ``trainable``: grad enabled and some parameter of the model requires grad: forward + backward as above;
- ``frozen``: otherwise (no grad, or a model none of whose weights train: a token-id input needs no gradient,
  so nothing runs backward through it): forward only.

The count is of model FLOPs, the convention of MFU: work an implementation repeats is left out, such as
gradient checkpointing's recomputed forward (off in pobench's TRL settings) and the logits TRL's chunked log-prob
head recomputes in its backward (a training call through it costs the machine 4 × the head's forward, 3 × here).
Not seen at all: calls of ``model.forward`` itself (not through ``model(...)``). A PreTrainedModel whose config is
not a transformer's (pobench's ``tabular`` table, a lookup) or whose call has no readable input is counted in
``uncounted_calls``, at 0 FLOPs.

FlopCounterMode, the check, has blind spots of its own: on CPU it does not count sdpa's fused kernel
(``_scaled_dot_product_flash_attention_for_cpu``, so it misses attention's products) nor in-place ``addmm_`` (so
it misses the backward of TRL's chunked head but sees its recomputation); it reads a few percent under this count
there (tests/integration/test_flops_counter.py prints the ratios).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

# model_type of configs whose MLP is 2 matrices (up, down); every other is taken as gated (3: gate, up, down),
# the layout of Llama, Mistral, Qwen, Gemma, Phi-3, OLMo, SmolLM.
PLAIN_MLP_TYPES = frozenset(
    {"gpt2", "gpt_neox", "gptj", "gpt_bigcode", "phi", "starcoder2", "opt", "falcon", "bloom", "codegen", "mpt"}
)
CLASSIFIER_SUFFIXES = ("ForSequenceClassification", "ForTokenClassification")
KINDS = ("trainable", "frozen", "generation")


# --- the analytic count (pure functions of a transformers config) ---


def text_config(config):
    """The language model's config (a multimodal config's text part; any other config itself)."""
    getter = getattr(config, "get_text_config", None)
    return getter() if callable(getter) else config


def is_transformer(config) -> bool:
    """Whether the config describes a decoder-only transformer this module can count."""
    config = text_config(config)
    return all(getattr(config, name, None) for name in ("hidden_size", "num_hidden_layers", "num_attention_heads"))


def head_dim(config) -> int:
    """d_h: the config's ``head_dim``, else hidden_size / num_attention_heads."""
    config = text_config(config)
    return int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)


def attention_width(config) -> int:
    """heads · d_h: the width of the queries (and of attention's output before o_proj)."""
    return int(text_config(config).num_attention_heads) * head_dim(config)


def kv_width(config) -> int:
    """kv_heads · d_h: the width of the keys and of the values (GQA: fewer heads than the queries)."""
    config = text_config(config)
    kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    return int(kv_heads) * head_dim(config)


def mlp_matrices(config) -> int:
    """3 for a gated MLP (gate, up, down), 2 for a plain one (up, down): by ``model_type`` (PLAIN_MLP_TYPES)."""
    return 2 if getattr(text_config(config), "model_type", "") in PLAIN_MLP_TYPES else 3


def layer_params(config) -> int:
    """Weights one layer multiplies a token by: 2·hidden·(heads·d_h) + 2·hidden·(kv·d_h) + mlp·hidden·intermediate."""
    config = text_config(config)
    hidden = int(config.hidden_size)
    intermediate = int(getattr(config, "intermediate_size", None) or 4 * hidden)
    attention = 2 * hidden * attention_width(config) + 2 * hidden * kv_width(config)
    return attention + mlp_matrices(config) * hidden * intermediate


def matmul_params(config, head_outputs: int = 0) -> int:
    """N = n_layers · layer_params + hidden · head_outputs (vocab_size, num_labels or 0). The lookup is free."""
    config = text_config(config)
    return int(config.num_hidden_layers) * layer_params(config) + int(config.hidden_size) * head_outputs


def attention_flops(config, batch: int, new_tokens: int, context: int = 0) -> int:
    """Q·Kᵀ and A·V over the full T × (P+T) matrix: 4 · n_layers · heads·d_h · B · T · (P + T)."""
    layers = int(text_config(config).num_hidden_layers)
    return 4 * layers * attention_width(config) * batch * new_tokens * (context + new_tokens)


def weight_flops(config, batch: int, new_tokens: int, head_outputs: int = 0, head_tokens: int | None = None) -> int:
    """The products with weights in one forward: 2 · N_body · B·T + 2 · hidden · head_outputs · B·T_head."""
    head_tokens = new_tokens if head_tokens is None else head_tokens
    body = 2 * matmul_params(config, 0) * batch * new_tokens
    return body + 2 * int(text_config(config).hidden_size) * head_outputs * batch * head_tokens


def forward_flops(
    config, batch: int, new_tokens: int, context: int = 0, head_outputs: int = 0, head_tokens: int | None = None
) -> int:
    """One forward of ``batch`` sequences of ``new_tokens`` after a cache of ``context`` positions (module
    docstring): weight products + attention. ``head_tokens``: positions per sequence the head is applied to
    (default all new tokens)."""
    weights = weight_flops(config, batch, new_tokens, head_outputs, head_tokens)
    return weights + attention_flops(config, batch, new_tokens, context)


def backward_flops(
    config,
    batch: int,
    new_tokens: int,
    context: int = 0,
    head_outputs: int = 0,
    head_tokens: int | None = None,
    trainable_fraction: float = 1.0,
) -> int:
    """(1 + f) × the weight products (dX always, dW for the fraction f that trains) + 2 × attention; at f = 1,
    exactly 2 × forward_flops."""
    weights = weight_flops(config, batch, new_tokens, head_outputs, head_tokens)
    return round((1.0 + trainable_fraction) * weights) + 2 * attention_flops(config, batch, new_tokens, context)


def training_flops(
    config,
    batch: int,
    new_tokens: int,
    context: int = 0,
    head_outputs: int = 0,
    head_tokens: int | None = None,
    trainable_fraction: float = 1.0,
) -> int:
    """forward + backward: 3 × forward_flops when every weight trains (Kaplan et al.'s 6N per token)."""
    shape = (config, batch, new_tokens, context, head_outputs, head_tokens)
    return forward_flops(*shape) + backward_flops(*shape, trainable_fraction=trainable_fraction)


# --- what one model call was ---


@dataclass(frozen=True)
class CallShape:
    """B sequences of T new tokens after a cache of P positions; the head applied at T_head of them."""

    batch: int
    new_tokens: int
    context: int = 0
    head_tokens: int | None = None  # None: every new token
    cached: bool = False  # a key-value cache was passed in: a generation step


def input_dims(args: tuple, kwargs: dict) -> tuple[int, int] | None:
    """(B, T) of ``input_ids`` (keyword or first positional) or of ``inputs_embeds`` (B, T, H); None if neither."""
    ids = kwargs.get("input_ids")
    if ids is None and args and torch.is_tensor(args[0]):
        ids = args[0]
    if ids is not None:
        dims = tuple(ids.shape)
    else:
        embeds = kwargs.get("inputs_embeds")
        if embeds is None:
            return None
        dims = tuple(embeds.shape[:-1])
    return (1, dims[0]) if len(dims) == 1 else (math.prod(dims[:-1]), dims[-1])


def passed_cache(kwargs: dict):
    """The key-value cache given to the call (transformers 5: ``cache``; earlier: ``past_key_values``), or None."""
    cache = kwargs.get("cache")
    return kwargs.get("past_key_values") if cache is None else cache


def context_length(cache, attention_mask, new_tokens: int) -> int:
    """P: the cache's length after the call less the T it added, else a 2-D mask's columns beyond T, else 0."""
    if cache is not None and callable(getattr(cache, "get_seq_length", None)):
        return max(int(cache.get_seq_length()) - new_tokens, 0)
    if torch.is_tensor(attention_mask) and attention_mask.dim() == 2:
        return max(int(attention_mask.shape[-1]) - new_tokens, 0)
    return 0


def head_tokens_of(output) -> int | None:
    """T_head from the output: a causal LM's (B, T_head, V) logits, or TRL's fused head's (B, T−1) label mask
    (scored at every position off CUDA; on Triton devices TRL scores only the labelled ones, fewer than this)."""
    logits = getattr(output, "logits", None)
    if torch.is_tensor(logits) and logits.dim() == 3:
        return int(logits.shape[-2])
    mask = getattr(output, "label_mask", None)
    if torch.is_tensor(mask) and mask.dim() == 2:
        return int(mask.shape[-1])
    return None  # a classifier's pooled (B, labels) logits: its score head ran at every position


def call_shape(args: tuple, kwargs: dict, output) -> CallShape | None:
    """The shape of one call from its inputs and output; None when it has no readable input."""
    dims = input_dims(args, kwargs)
    if dims is None:
        return None
    cache = passed_cache(kwargs)
    context = context_length(cache, kwargs.get("attention_mask"), dims[1])
    return CallShape(dims[0], dims[1], context, head_tokens_of(output), cached=cache is not None)


def head_outputs_of(model) -> int:
    """The outer class's head: num_labels for ``*ForSequenceClassification``, vocab_size for a model with output
    embeddings (a causal LM), 0 for a bare body."""
    if type(model).__name__.endswith(CLASSIFIER_SUFFIXES):
        return int(model.config.num_labels)
    if model.get_output_embeddings() is not None:
        return int(text_config(model.config).vocab_size)
    return 0


def trainable_fraction(model) -> float:
    """f: the fraction of the model's parameters (by count) that require grad; 1 for full fine-tuning."""
    total = trained = 0
    for p in model.parameters():
        total += p.numel()
        trained += p.numel() if p.requires_grad else 0
    return trained / total if total else 0.0


def call_flops(model, args: tuple, kwargs: dict, output) -> tuple[str, int] | None:
    """(kind, FLOPs) of one outermost PreTrainedModel call (module docstring); None if it cannot be counted."""
    shape = call_shape(args, kwargs, output)
    if shape is None or not is_transformer(model.config):
        return None
    count = (model.config, shape.batch, shape.new_tokens, shape.context, head_outputs_of(model), shape.head_tokens)
    if shape.cached:
        return "generation", forward_flops(*count)
    fraction = trainable_fraction(model) if torch.is_grad_enabled() else 0.0
    if fraction == 0.0:
        return "frozen", forward_flops(*count)
    return "trainable", training_flops(*count, trainable_fraction=fraction)


# --- the runtime counter ---


@dataclass(eq=False)  # a running tally is found by identity (OPEN), never by its counts
class FlopTally:
    """FLOPs of the model calls made inside ``count_flops()``, by kind (module docstring)."""

    trainable: int = 0  # forward + backward of calls that train
    frozen: int = 0  # forward only: no grad, or no weight trains (references, reward models, scoring)
    generation: int = 0  # forward only: calls with a key-value cache (generate's prefill and steps)
    calls: int = 0  # outermost PreTrainedModel calls seen, counted or not
    uncounted_calls: int = 0  # of those, calls counted at 0 (no readable input, or not a transformer)

    @property
    def total(self) -> int:
        return self.trainable + self.frozen + self.generation

    def add(self, counted: tuple[str, int] | None) -> None:
        """One call: ``(kind, flops)`` from ``call_flops``, or None for a call that could not be counted."""
        self.calls += 1
        if counted is None:
            self.uncounted_calls += 1
            return
        kind, flops = counted
        setattr(self, kind, getattr(self, kind) + flops)

    def breakdown(self) -> dict[str, int]:
        return {kind: getattr(self, kind) for kind in KINDS}

    def as_metrics(self, prefix: str) -> dict[str, float]:
        """``perf/{prefix}_flops`` (the total) and ``perf/{prefix}_flops_{kind}`` for each kind."""
        out = {f"perf/{prefix}_flops": float(self.total)}
        out |= {f"perf/{prefix}_flops_{kind}": float(getattr(self, kind)) for kind in KINDS}
        return out


OPEN: list[FlopTally] = []  # the tallies of the count_flops blocks running now, outermost first


def counting() -> bool:
    """Whether a ``count_flops`` block is running."""
    return bool(OPEN)


def charge(breakdown: dict[str, int]) -> None:
    """Add FLOPs spent elsewhere (``FlopTally.breakdown()`` of a cached artifact's build, reused now instead of
    computed again) to every running tally, so a cell counts the same whether it built shared work or reused it."""
    for tally in OPEN:
        for kind in KINDS:
            setattr(tally, kind, getattr(tally, kind) + int(breakdown.get(kind, 0)))


@contextmanager
def count_flops() -> Iterator[FlopTally]:
    """Count the FLOPs of every outermost ``transformers.PreTrainedModel`` call made inside the block.

    Two global module hooks, removed on exit (also when the block raises). They fire for every submodule call
    and return at once for anything that is not a PreTrainedModel; a depth counter keeps a PreTrainedModel
    called inside another (the causal LM's body) from being counted twice. A call that raises is not counted."""
    from transformers import PreTrainedModel

    tally = FlopTally()
    depth = [0]

    def before(module, args):
        if isinstance(module, PreTrainedModel):
            depth[0] += 1

    def after(module, args, *rest):  # rest: (kwargs, output); (output,) when the forward raised (torch)
        if not isinstance(module, PreTrainedModel) or depth[0] == 0:  # 0: entered before the hooks were
            return
        depth[0] -= 1
        if depth[0] == 0 and len(rest) == 2:
            tally.add(safe_call_flops(module, args, *rest))

    handles = [
        register_module_forward_pre_hook(before),
        register_module_forward_hook(after, with_kwargs=True, always_call=True),
    ]
    OPEN.append(tally)
    try:
        yield tally
    finally:
        OPEN[:] = [t for t in OPEN if t is not tally]
        for handle in handles:
            handle.remove()


def safe_call_flops(model, args: tuple, kwargs: dict, output) -> tuple[str, int] | None:
    """``call_flops``, with a model that is not shaped as expected counted as uncounted instead of failing the
    training it is measuring."""
    try:
        return call_flops(model, args, kwargs, output)
    except (AttributeError, TypeError, ValueError):
        return None
