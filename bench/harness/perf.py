"""`pobench dev perf`: an adapter's training throughput against raw TRL, side by side, in one invocation.

For each adapter: pobench's trainer (``adapter.build_trainer``, with everything pobench adds: the
reference log-probs precomputed and cached, no reference model during training, the cell's
precision) and the same TRL trainer class with TRL's defaults and a live reference model, on the
same random-init model, the same synthetic pairs, batch and lengths. Printed per side: median step
time after warm-up, tokens/s (non-padding prompt + completion tokens through the policy), MFU on
CUDA (FLOPs per token: 8N with a live reference forward, 6N without, over the card's bf16 peak),
peak CUDA memory, and eval generation tokens/s (pobench's sampler against plain ``generate``).
Nothing is downloaded: the model is built from a config and the tokenizer is trained here.
"""

from __future__ import annotations

import copy
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import TrainContext
from pobench.core.cache import ArtifactCache
from pobench.core.curve import Curve
from pobench.core.environment import device_name
from pobench.core.generation import sample
from pobench.core.models import TinyLlama, load_model, load_tokenizer
from pobench.core.params import SettingsError
from pobench.core.settings import Budget
from pobench.core.tokenizer import train_bpe_tokenizer
from pobench.kit.preference import PAIRS, UNPAIRED, read_jsonl, unpaired_view, write_jsonl
from pobench.kit.trl_support import TRLAdapter, paired_dataset, paired_dataset_tokens, unpaired_dataset
from pobench.reports.report import format_table

# bf16 dense peak FLOP/s by device name fragment (for MFU); unknown devices print no MFU
PEAKS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "A10G": 125e12}


# shapes to build from a config, no download: name → transformers config kwargs
def _tiny_shape() -> dict:
    """The registered ``tiny`` model's dimensions (bench/core/models.py), so the two never drift apart."""
    t = TinyLlama()
    return dict(model_type="llama", hidden_size=t.hidden_size, intermediate_size=t.intermediate_size,
                num_hidden_layers=t.num_layers, num_attention_heads=t.num_heads, num_key_value_heads=t.num_heads,
                vocab_size=t.vocab_size, tie_word_embeddings=True)  # fmt: skip


SHAPES = {
    "tiny": _tiny_shape(),
    "qwen2-0.5b": dict(model_type="qwen2", hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                       num_attention_heads=14, num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
}  # fmt: skip
WORDS = "the a good bad film plot cast story music scene was is very quite rather not at all and but so".split()


@dataclass
class Side:
    label: str
    step_s: float
    tokens_per_s: float
    mfu: float | None
    peak_mem_gb: float | None
    gen_tokens_per_s: float


def build_model_folder(shape: str, folder: Path, seq_len: int) -> int:
    """A random-init model of ``shape`` and a BPE tokenizer trained on the synthetic words; its parameter count."""

    from transformers import AutoConfig, AutoModelForCausalLM

    if shape not in SHAPES:
        raise SettingsError(f"--model {shape!r}: perf builds models from a shape ({', '.join(SHAPES)})")
    rng = random.Random(0)
    train_bpe_tokenizer([" ".join(rng.choice(WORDS) for _ in range(50)) for _ in range(200)], 300, folder)
    tokenizer = load_tokenizer(folder)
    kwargs = dict(SHAPES[shape])
    config = AutoConfig.for_model(
        kwargs.pop("model_type"), **kwargs, max_position_embeddings=max(512, 2 * seq_len),
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


def write_pairs(folder: Path, n: int, words: int) -> None:
    """Synthetic pairs of ``words`` words per prompt and per completion."""
    rng = random.Random(1)
    text = lambda: " ".join(rng.choice(WORDS) for _ in range(words))  # noqa: E731
    pairs = [{"prompt": text(), "chosen": " " + text(), "rejected": " " + text()} for _ in range(n)]
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / PAIRS, pairs)
    write_jsonl(folder / UNPAIRED, unpaired_view(pairs))


def step_timer():
    from transformers.trainer_callback import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []
            self._start = 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            _sync()
            self._start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            _sync()
            self.times.append(time.perf_counter() - self._start)

    return StepTimer()


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def measure(trainer, params: int, live_reference: bool, warmup: int, device: str, label: str, gen) -> Side:
    from transformers.trainer_callback import PrinterCallback

    timer = step_timer()
    trainer.add_callback(timer)
    trainer.remove_callback(PrinterCallback)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    steps = timer.times[warmup:] or timer.times
    step_s = statistics.median(steps)
    counted = getattr(trainer, "_total_train_tokens", 0) or paired_dataset_tokens(trainer)  # CPO/ORPO keep no count
    tokens = counted / max(1, len(timer.times))
    tokens_per_s = tokens / step_s
    peak = next((v for k, v in PEAKS.items() if k in device_name(device)), None)
    flops = (8 if live_reference else 6) * params * tokens_per_s
    return Side(
        label=label,
        step_s=step_s,
        tokens_per_s=tokens_per_s,
        mfu=flops / peak if peak and device.startswith("cuda") else None,
        peak_mem_gb=torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None,
        gen_tokens_per_s=gen(trainer.model),
    )


def run(algos: list[str], shape: str, batch_size: int, seq_len: int, steps: int, warmup: int, device: str) -> list:
    for algo in algos:  # every name checked before any work
        if not issubclass(ALGORITHMS.get(algo), TRLAdapter):
            raise SettingsError(f"perf compares TRL-backed adapters with raw TRL; {algo!r} is not one")
    root = Path(tempfile.mkdtemp(prefix="pobench-perf-"))
    params = build_model_folder(shape, root / "model", seq_len)
    write_pairs(root / "data", batch_size * steps, words=max(1, seq_len // 2 - 4))  # room for BOS, EOS, merges
    tokenizer = load_tokenizer(root / "model")
    prompts = [r["prompt"] for r in read_jsonl(root / "data" / PAIRS)]

    def gen(model) -> float:  # eval generation: the evaluator's sampler, one batch of prompts
        start = time.perf_counter()
        drawn = sample(model.eval(), tokenizer, prompts[:batch_size], 1, seq_len // 2, seed=0, batch_size=batch_size)
        return sum(len(r) for r in drawn.response_ids) / (time.perf_counter() - start)

    rows = []
    for algo in algos:
        cls = ALGORITHMS.get(algo)
        adapter = cls()
        ctx = TrainContext(
            params=cls.hparams(), budget=Budget(batch_size=batch_size, max_length=seq_len), task=None,
            reference_dir=root / "model", data_dir=root / "data", work_dir=root / f"work-{algo}", device=device,
            seed=0, curve=Curve(), cache=ArtifactCache(root / "cache", log=lambda _: None), log=lambda _: None,
        )  # fmt: skip
        ours = adapter.build_trainer(ctx)
        rows.append(measure(ours, params, False, warmup, device, f"{algo} pobench", gen))
        data = unpaired_dataset(ctx) if cls.data == "unpaired" else paired_dataset(ctx)
        raw = raw_trainer(ours, load_model(root / "model", device=device), data, tokenizer)
        live = getattr(raw, "ref_model", None) is not None
        rows.append(measure(raw, params, live, warmup, device, f"{algo} raw TRL", gen))
    return rows


def raw_trainer(ours, model, dataset, tokenizer):
    """The same TRL trainer class, arguments and algorithm fields as pobench's, as TRL runs them by default:
    a live reference model where the loss has one (no precomputed log-probs)."""
    trl_class = getattr(type(ours), "trl_class", type(ours))  # pobench's caching subclass → TRL's own class
    args = copy.copy(ours.args)
    kwargs = {}
    if getattr(args, "precompute_ref_log_probs", False):
        args.precompute_ref_log_probs = False
        kwargs["ref_model"] = copy.deepcopy(model).eval()
    return trl_class(model=model, args=args, train_dataset=dataset, processing_class=tokenizer, **kwargs)


def print_table(rows: list[Side]) -> None:
    body, base = [], {}
    for side in rows:
        algo = side.label.split()[0]
        if side.label.endswith("raw TRL"):
            base[algo] = side.tokens_per_s
    for side in rows:
        algo = side.label.split()[0]
        ratio = side.tokens_per_s / base[algo] if base.get(algo) else float("nan")
        body.append([
            side.label, f"{side.step_s * 1000:.1f}", f"{side.tokens_per_s:,.0f}",
            f"{side.mfu:.1%}" if side.mfu is not None else "-",
            f"{side.peak_mem_gb:.1f}" if side.peak_mem_gb is not None else "-",
            f"{side.gen_tokens_per_s:,.0f}", f"{ratio:.2f}",
        ])  # fmt: skip
    print(format_table(body, ("trainer", "step ms", "train tok/s", "MFU", "peak GB", "gen tok/s", "× raw TRL")))
