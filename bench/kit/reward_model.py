"""A reward model trained on the task's preference pairs, built once and shared by every cell.

TRL's ``RewardTrainer`` fits a scalar head on the SFT model's body (``AutoModelForSequenceClassification``
with one label) by the Bradley–Terry loss −log σ(r(chosen) − r(rejected)). The last ``heldout_fraction``
of the pairs is kept out of training to measure it: its pairwise accuracy against the labeler's
choice and against the gold reward goes into the artifact's metadata, so a record can say how good
the proxy was that PPO optimized.

Scores are normalized to mean 0 and standard deviation 1 over the training pairs' completions (samples
of the SFT policy), as Ziegler et al. (2019) do, so that one KL coefficient means the same whatever
scale the reward model happened to learn.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from pobench.contracts import meanings
from pobench.core.cache import Artifact, ArtifactCache
from pobench.core.generation import pad_right
from pobench.core.models import ModelError, load_tokenizer
from pobench.core.params import check_bounds, param
from pobench.kit.preference import PAIRS, read_jsonl
from pobench.kit.trl_support import runtime_args

NORMALIZATION = "normalization.json"
Scorer = Callable[[Sequence[str], Sequence[str]], list[float]]


@dataclass(frozen=True)
class RewardModelSettings:
    """How the reward model is trained: part of its cache key."""

    learning_rate: float = param(1e-3, "reward model learning rate", gt=0)
    epochs: int = param(4, "epochs over the training pairs", gt=0)
    batch_size: int = param(16, "pairs per step", gt=0)
    heldout_fraction: float = param(0.1, "share of the pairs kept out of training to measure the model", gt=0, lt=1)
    seed: int = param(0, "seed of the head and the batch order")

    def validate(self) -> None:
        check_bounds(RewardModelSettings, self, "reward model")


def rm_learning_rate_param(when: str, later: bool = False):
    """The reward model's learning rate as an adapter setting (its default: every adapter shares one model).
    ``later``: the adapter gained the setting after its first records (at the default it leaves their names)."""
    default = RewardModelSettings.learning_rate
    legacy = {"legacy": default} if later else {}
    return param(default, f"reward model learning rate ({when})", gt=0, meaning=meanings.RM_LEARNING_RATE, **legacy)


def rm_epochs_param(when: str, later: bool = False):
    default = RewardModelSettings.epochs
    legacy = {"legacy": default} if later else {}
    return param(default, f"reward model epochs over the pairs ({when})", gt=0, meaning=meanings.RM_EPOCHS, **legacy)


def settings_of(params) -> RewardModelSettings:
    """The reward model settings an adapter's ``rm_learning_rate`` and ``rm_epochs`` give."""
    return RewardModelSettings(learning_rate=params.rm_learning_rate, epochs=params.rm_epochs)


def prepare_reward_model(
    cache: ArtifactCache,
    reference_dir: Path,
    data_dir: Path,
    settings: RewardModelSettings,
    device: str = "cpu",
    log: Callable[[str], None] = print,
) -> Artifact:
    """The reward model for (reference, data, settings): trained on first use, then reused from the cache."""
    import trl

    settings.validate()
    inputs = {
        "reference": reference_dir.name,  # the folder name is the artifact's key
        "data": data_dir.name,
        "settings": asdict(settings),
        "trl": trl.__version__,
    }

    def build(folder: Path) -> dict:
        return train_reward_model(reference_dir, data_dir, settings, folder, device, log)

    return cache.get_or_build("reward-model", inputs, build, "reward model")


def train_reward_model(
    reference_dir: Path, data_dir: Path, settings: RewardModelSettings, folder: Path, device: str, log: Callable
) -> dict:
    """Fit the reward model on all but the held-out pairs, save it to ``folder``; return its metadata."""
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification
    from transformers.trainer_callback import PrinterCallback
    from trl import RewardConfig, RewardTrainer

    rows = read_jsonl(data_dir / PAIRS)
    n_heldout = max(1, round(len(rows) * settings.heldout_fraction))
    if len(rows) - n_heldout < 1:
        raise ValueError(f"{data_dir / PAIRS}: {len(rows)} pairs are too few to hold out {n_heldout}")
    train_rows, heldout = rows[:-n_heldout], rows[-n_heldout:]
    tokenizer = load_tokenizer(reference_dir)
    torch.manual_seed(settings.seed)  # the new head's initialization
    try:
        model = AutoModelForSequenceClassification.from_pretrained(str(reference_dir), num_labels=1)
    except ValueError as exc:  # transformers: no sequence-classification class for this config (the tabular model)
        raise ModelError(
            f"the reference model in {reference_dir} cannot carry a reward model ({str(exc).splitlines()[0]}); "
            "adapters that train one (best-of-n, and ppo/rloo/grpo with reward=model) need a transformer such as tiny"
        ) from exc
    model.config.pad_token_id = tokenizer.pad_token_id  # the head reads the last non-padding token
    args = RewardConfig(
        per_device_train_batch_size=settings.batch_size,
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        lr_scheduler_type="linear",
        warmup_steps=0.1,  # a ratio of the total steps
        logging_steps=10,
        **runtime_args(folder / "trainer", device, settings.seed),
    )
    dataset = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in train_rows])
    trainer = RewardTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    shutil.rmtree(folder / "trainer", ignore_errors=True)
    model = trainer.model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    raw = RewardScorer(model, tokenizer, mean=0.0, std=1.0)
    completions = [c for r in train_rows for c in (r["chosen"], r["rejected"])]  # samples of the SFT policy
    sft_scores = raw([r["prompt"] for r in train_rows for _ in range(2)], completions)
    mean = sum(sft_scores) / len(sft_scores)
    std = (sum((s - mean) ** 2 for s in sft_scores) / len(sft_scores)) ** 0.5 or 1.0
    (folder / NORMALIZATION).write_text(json.dumps({"mean": mean, "std": std}))
    accuracy = pairwise_accuracy(raw, heldout)
    log(
        f"  reward model: held-out accuracy {accuracy['heldout_accuracy']:.3f} (labels), "
        f"{accuracy['heldout_gold_accuracy']:.3f} (gold) on {n_heldout} pairs"
    )
    return {"train_pairs": len(train_rows), "score_mean": mean, "score_std": std, **accuracy}


def pairwise_accuracy(scorer: Scorer, pairs: list[dict]) -> dict:
    """Share of pairs the scorer ranks as the labeler did, and as the gold reward does (gold ties skipped, and pairs
    without gold scores: a preference file's rows carry none)."""
    chosen = scorer([p["prompt"] for p in pairs], [p["chosen"] for p in pairs])
    rejected = scorer([p["prompt"] for p in pairs], [p["rejected"] for p in pairs])
    graded = [
        (p, c, r) for p, c, r in zip(pairs, chosen, rejected) if p.get("gold_chosen", 0) != p.get("gold_rejected", 0)
    ]
    by_gold = [(c > r) == (p["gold_chosen"] > p["gold_rejected"]) for p, c, r in graded]
    labeler = [p["gold_chosen"] > p["gold_rejected"] for p, _, _ in graded]
    return {
        "heldout_pairs": len(pairs),
        "heldout_accuracy": sum(c > r for c, r in zip(chosen, rejected)) / len(pairs),
        "heldout_gold_accuracy": sum(by_gold) / len(by_gold) if by_gold else float("nan"),
        "heldout_labeler_gold_accuracy": sum(labeler) / len(labeler) if labeler else float("nan"),
    }


class RewardScorer:
    """``scorer(prompts, completions) -> list[float]``: normalized reward-model scores, batched, no grad.

    Each text is scored as the trainer saw it: prompt + completion + EOS, tokenized with special tokens.
    """

    def __init__(self, model, tokenizer, mean: float, std: float, batch_size: int = 128) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.mean, self.std, self.batch_size = mean, std, batch_size

    @torch.no_grad()
    def __call__(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions")
        eos = self.tokenizer.eos_token
        texts = [p + c + ("" if c.endswith(eos) else eos) for p, c in zip(prompts, completions)]
        device = next(self.model.parameters()).device
        out: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            ids = self.tokenizer(texts[start : start + self.batch_size])["input_ids"]
            input_ids, attention = pad_right(ids, self.tokenizer.pad_token_id, device)  # (B, T)
            logits = self.model(input_ids=input_ids, attention_mask=attention).logits  # (B, 1)
            out.extend(((logits[:, 0].float() - self.mean) / self.std).tolist())
        return out


def cell_reward_model(ctx, settings: RewardModelSettings) -> Artifact:
    """A cell's reward model artifact (``ctx`` a TrainContext). The pipeline has already built it in the prepare
    stage from the adapter's reward_model_settings, so this is a cache hit."""
    return prepare_reward_model(ctx.cache, ctx.reference_dir, ctx.data_dir, settings, ctx.device, ctx.log)


def cell_reward_scorer(ctx, settings: RewardModelSettings) -> tuple[RewardScorer, Artifact]:
    """The scorer of a cell's reward model, with its artifact (see ``cell_reward_model``)."""
    artifact = cell_reward_model(ctx, settings)
    return load_reward_scorer(artifact.path, ctx.device), artifact


def normalization(folder: Path) -> tuple[float, float]:
    """(mean, std) of the raw scores over the training completions: score_normalized = (raw − mean) / std."""
    norm = json.loads((Path(folder) / NORMALIZATION).read_text())
    return norm["mean"], norm["std"]


def load_reward_scorer(folder: Path, device: str = "cpu", batch_size: int = 128) -> RewardScorer:
    """The frozen reward model saved in ``folder`` (a "reward-model" artifact) as a normalized scorer."""

    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(folder)).to(device)
    model.eval().requires_grad_(False)
    return RewardScorer(model, load_tokenizer(folder), *normalization(folder), batch_size)
