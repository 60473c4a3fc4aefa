"""The settings every cell shares, whatever its algorithm: SFT, data, budget and evaluation.

All of them are part of the comparability key: two records rank together only when these match.
Field names are unique across the four classes (and adapters may not reuse them), so ``--set``
and wandb configs can use flat keys.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from pobench.core.params import param


@dataclass(frozen=True)
class SFTSettings:
    """How the reference (SFT) model is made from the base model on the task's corpus."""

    sft_steps: int = param(
        600, "optimizer steps of supervised fine-tuning on the task corpus (0: use the base model as is)", ge=0
    )
    sft_batch_size: int = param(32, "sequences per SFT step", gt=0)
    sft_lr: float = param(3e-3, "peak SFT learning rate (linear warm-up 5%, then linear decay)", gt=0)
    sft_seed: int = param(0, "seed of the SFT corpus and of SFT training")


@dataclass(frozen=True)
class DataSettings:
    """How preference pairs are made: sampled on-policy from the SFT model, labelled by a labeler."""

    data_seed: int = param(
        0, "base seed of the preference data; a cell draws its completions and labels with (data_seed, cell seed)"
    )
    data_pairs: int = param(1024, "preference pairs to make (train prompts are cycled)", gt=0)
    labeler: str = param("bradley-terry", "who picks the winner of a pair", choices=("bradley-terry",))
    labeler_temperature: float = param(
        0.1, "Bradley-Terry temperature T: P(a beats b) = sigmoid((gold_a - gold_b) / T); larger is noisier", gt=0
    )


@dataclass(frozen=True)
class Budget:
    """The training budget, identical for every offline algorithm so that their results compare."""

    train_examples: int = param(0, "training examples (pairs, or prompts) used per epoch; 0 means all", ge=0)
    epochs: int = param(1, "passes over the training examples", gt=0)
    batch_size: int = param(8, "examples per optimizer step", gt=0)
    lr_schedule: str = param("linear", "learning-rate schedule after warm-up", choices=("linear", "cosine", "constant"))
    warmup_ratio: float = param(0.1, "fraction of steps with linear learning-rate warm-up", ge=0, lt=1)
    max_length: int = param(64, "maximum prompt + completion tokens in training", gt=0)
    dtype: str = param(
        "auto",
        "training precision: auto (bf16 mixed precision on CUDA, fp32 on CPU), float32, bfloat16 or float16 (CUDA)",
        choices=("auto", "float32", "bfloat16", "float16"),
        legacy="auto",
    )
    lora_r: int = param(
        0, "LoRA rank through peft (0: train every weight); for models too large to train fully", ge=0, legacy=0
    )
    lora_alpha: int = param(0, "LoRA scale alpha (0: 2 × lora_r)", ge=0, legacy=0)
    lora_dropout: float = param(0.0, "dropout on the LoRA branch", ge=0, lt=1, legacy=0.0)
    train_seed: int = param(
        -1,
        "seed of training alone (batch order, new heads, the trainer's own sampling) when >= 0, the data and eval "
        "draws still following the cell seed; -1: the cell seed (pobench noise varies it to split the variance)",
        ge=-1,
        legacy=-1,  # training followed the cell seed before it could be set apart
    )

    def training_seed(self, cell_seed: int) -> int:
        """The seed training runs with: ``train_seed`` where set, else the cell's."""
        return cell_seed if self.train_seed < 0 else self.train_seed


@dataclass(frozen=True)
class EvalSettings:
    """How every policy is measured (docs/methodology.md, "Metrics"): temperature 1, no top-k/top-p."""

    eval_prompts: int = param(128, "held-out prompts to evaluate on (0: all the task has)", ge=0)
    eval_samples: int = param(4, "samples per prompt from the policy (and from the reference, for win rate)", gt=0)
    eval_batch_size: int = param(128, "sequences per generation / scoring batch", gt=0)
    eval_noise: str = param(
        "common",
        "the policy's sampling noise: common (Gumbel-max with noise keyed by seed, prompt and sample, the same for "
        "every policy of a seed: paired comparisons on matched draws) or independent (torch's sampler)",
        choices=("common", "independent"),
    )
    eval_checkpoints: int = param(
        8,
        "points along training at which the policy is scored, the last step and each 1/√2 of the one after it "
        "(8: from 1/11 of training on); the frontier along training: a run passes through every KL budget it "
        "crosses. 0 or 1: the end only",
        ge=0,
        legacy=0,  # cells were scored at the end of training alone before trajectories
    )
    checkpoint_samples: int = param(
        1,
        "samples per prompt at the checkpoints before the last (0: eval_samples): the first of the end's draws, "
        "under common random numbers; on tiny a checkpoint costs 0.41 s at 1 sample, 0.80 s at 2 (1 thread), and "
        "one sample on each of the 128 prompts is the cheapest spread of a draw (docs/frontier-along-training.md)",
        ge=0,
        legacy=0,
    )


COMMON_SETTINGS: dict[str, type] = {
    "sft": SFTSettings,
    "data": DataSettings,
    "budget": Budget,
    "eval": EvalSettings,
}


def common_keys() -> dict[str, str]:
    """Flat key → the settings group it belongs to."""
    return {f.name: group for group, cls in COMMON_SETTINGS.items() for f in fields(cls)}
