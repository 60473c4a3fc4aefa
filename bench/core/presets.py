"""Model presets: the settings that suit a model, applied beneath the user's ``--set``.

Every default in pobench's settings classes was chosen for ``tiny`` (~1M parameters trained from
scratch: learning rates near 1e-3, 600 SFT steps at 3e-3). A pretrained model of real size needs
learning rates a hundred to a thousand times smaller and a short SFT that keeps what it knows. A
preset says so per model: shared settings, a learning rate per algorithm family, an algorithm's own
settings, and frontier grids where tiny's do not fit. The user's ``--set`` always wins, and a value
a preset gives enters the spec (and its hash) like any other setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from pobench.core.settings import common_keys


def family(adapter_cls: type) -> str:
    """``online`` for adapters that train on their own samples (PPO, GRPO, RLOO), ``offline`` for the rest
    that train, ``baseline`` for those that do not (sft, best-of-n)."""
    if not adapter_cls.trains:
        return "baseline"
    return "online" if adapter_cls.data == "prompts" else "offline"


@dataclass(frozen=True)
class Preset:
    """What a model wants beneath the defaults. Values are strings, parsed like ``--set`` values."""

    # shared settings (sft_*, batch_size, eval_*...), and adapter settings for every algorithm that has them
    settings: Mapping[str, str] = field(default_factory=dict)
    learning_rates: Mapping[str, str] = field(default_factory=dict)  # family or algorithm name → learning_rate
    algo_settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # algorithm → its own settings
    frontier_grids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # algorithm → its knob's grid
    # algorithm → the setting that moves its KL on this model where that is not the adapter's ``kl_knob`` (its
    # frontier grid and tuning candidates are then of this setting, and must be given here)
    kl_knobs: Mapping[str, str] = field(default_factory=dict)
    # the KL budgets (nats per sequence) the headline reads for this model; empty: pobench's own, placed for tiny
    budgets: tuple[float, ...] = ()
    # algorithm → the values of its knob ``pobench dev tune-grids --model`` tries for this model; an algorithm not
    # named: its adapter's ``tuning_candidates``
    tuning_candidates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        for algo in self.kl_knobs:
            if algo not in self.frontier_grids:
                knob = self.kl_knobs[algo]
                raise ValueError(f"preset: {algo}'s KL knob is {knob!r} here, but no frontier grid of it")

    def kl_knob(self, algo: str, adapter_cls: type) -> str | None:
        """The setting whose frontier grid this model's sweeps run for ``algo``: the preset's, else the adapter's."""
        return self.kl_knobs.get(algo, adapter_cls.kl_knob)

    def overrides(self, algo: str, adapter_cls: type) -> dict[str, str]:
        """The values this preset gives one algorithm's cell: the settings it has, nothing else."""
        return {k: value for k, (value, _) in self.sourced(algo, adapter_cls).items()}

    def sourced(self, algo: str, adapter_cls: type, model: str = "") -> dict[str, tuple[str, str]]:
        """``overrides`` with where in the preset (of model ``model``) each value comes from."""
        own = {f.name for f in fields(adapter_cls.hparams)}
        where = f"model preset {model}".rstrip()
        out = {k: (v, where) for k, v in self.settings.items() if k in own or k in common_keys()}
        named = algo if algo in self.learning_rates else family(adapter_cls)
        if named in self.learning_rates and "learning_rate" in own:
            out["learning_rate"] = (self.learning_rates[named], f"{where}, learning rate of {named}")
        out.update({k: (v, f"{where}, {algo}'s settings") for k, v in self.algo_settings.get(algo, {}).items()})
        return out

    def frontier_grid(self, algo: str, adapter_cls: type) -> tuple[str, ...]:
        return tuple(self.frontier_grids.get(algo, adapter_cls.frontier_grid))

    def lines(self) -> list[str]:
        """What ``pobench list models`` prints under the model."""
        if not (
            self.settings
            or self.learning_rates
            or self.algo_settings
            or self.frontier_grids
            or self.kl_knobs
            or self.budgets
            or self.tuning_candidates
        ):
            return ["preset: none (the settings' defaults were chosen for this model)"]
        out = []
        if self.settings:
            out.append("preset: " + ", ".join(f"{k}={v}" for k, v in self.settings.items()))
        if self.learning_rates:
            out.append("learning_rate: " + ", ".join(f"{k} {v}" for k, v in self.learning_rates.items()))
        out += [f"{algo}: " + ", ".join(f"{k}={v}" for k, v in s.items()) for algo, s in self.algo_settings.items()]
        if self.kl_knobs:
            out.append("KL knobs: " + ", ".join(f"{a} {k}" for a, k in self.kl_knobs.items()))
        if self.frontier_grids:
            out.append("frontier grids: " + "; ".join(f"{a} {', '.join(g)}" for a, g in self.frontier_grids.items()))
        if self.budgets:
            out.append("KL budgets: " + ", ".join(f"{b:g}" for b in self.budgets))
        if self.tuning_candidates:
            shown = "; ".join(f"{a} {', '.join(v)}" for a, v in self.tuning_candidates.items())
            out.append(f"tune-grids candidates: {shown}")
        if self.note:
            out.append(f"note: {self.note}")
        return out


NO_PRESET = Preset()

# scoring at the end of training alone (the settings' legacy values: records made so keep their names)
END_ONLY = {"eval_checkpoints": "0", "checkpoint_samples": "0"}

# Fine-tuning settings a pretrained model of any size wants instead of tiny's: a short SFT at a fine-tuning rate
# (the task's format is learnt without wiping out what the model knows), and learning rates of the order the
# papers use (DPO: 5e-7 to 1e-6 over thousands of steps at batch 64). The reward model and PPO's critic are
# pretrained bodies too: 1e-5, one epoch.
PRETRAINED_SETTINGS = {
    "sft_steps": "60",
    "sft_batch_size": "16",
    "sft_lr": "5e-5",
    "rm_learning_rate": "1e-5",
    "rm_epochs": "1",
    "critic_learning_rate": "1e-5",
    "dtype": "auto",  # bf16 mixed precision on CUDA, fp32 on CPU
    "lora_r": "0",  # full fine-tuning: LoRA (lora_r=16) is for models that do not fit
}

# Any pretrained causal LM given as a hub id or a folder.
PRETRAINED = Preset(
    settings=PRETRAINED_SETTINGS,
    learning_rates={"offline": "1e-6", "online": "1e-6"},
    note="defaults for any pretrained model at a full budget (raise data_pairs/updates to thousands of steps)",
)

OFFLINE = ("dpo", "ipo", "kto", "cpo", "orpo", "simpo")
TRAINED = (*OFFLINE, "ppo")  # the default benchmark's algorithms that train

# SmolLM2-135M on a CPU: budgets a 2-core machine runs in minutes, so rates higher than a full budget's, every
# algorithm over its learning rate, scored at the end only. The measurements behind each value: docs/presets.md.
SMOLLM2 = Preset(
    settings={
        **PRETRAINED_SETTINGS,
        "data_pairs": "128",
        "eval_prompts": "32",
        "updates": "16",
        # a reward model that 115 pairs can train (pobench dev tune-rm)
        "rm_learning_rate": "3e-4",
        "rm_epochs": "4",
        # a checkpoint costs minutes on a CPU, and the committed SmolLM2 records were made so
        **END_ONLY,
    },
    learning_rates={"offline": "3e-5", "online": "1e-5"},
    algo_settings={"ppo": {"rollout_prompts": "16", "minibatch_size": "8"}},
    # at 16 Adam steps the step size, not β, sets how far a policy moves
    kl_knobs={algo: "learning_rate" for algo in TRAINED},
    # every usable candidate of `pobench dev tune-grids --model smollm2-135m --seeds 100` (results/tuning-smollm2)
    frontier_grids={
        **{algo: ("1e-5", "3e-5", "1e-4", "3e-4") for algo in ("ipo", "kto", "cpo", "orpo")},
        **{algo: ("1e-5", "3e-5", "1e-4") for algo in ("dpo", "simpo")},
        "ppo": ("3e-6", "1e-5", "3e-5", "1e-4"),
    },
    # tiny's budgets: the grids span them on the tuning seed, and the two headlines stay side by side
    budgets=(0.25, 1.0, 4.0),
    # four each, ×3 apart: what a 2-core CPU tunes in about an hour on one seed
    tuning_candidates={
        **{algo: ("1e-5", "3e-5", "1e-4", "3e-4") for algo in OFFLINE},
        "ppo": ("3e-6", "1e-5", "3e-5", "1e-4"),
    },
    note="sized for a CPU (minutes per cell on 2 cores); on a GPU raise data_pairs and updates, lower the rates",
)


# tiny, the default benchmark's model: two runs per algorithm, scored along training; DPO, IPO and KTO run over the
# learning rate here (their adapters keep β as their knob, which pobench validate scans). Why: docs/presets.md.
TINY_RATES = ("1e-4", "2e-4", "3e-4", "6e-4", "1e-3", "2e-3")
TINY = Preset(
    kl_knobs={algo: "learning_rate" for algo in ("dpo", "ipo", "kto")},
    frontier_grids={"dpo": ("3e-4", "1e-3"), "ipo": ("3e-4", "6e-4"), "kto": ("1e-3", "2e-3")},
    tuning_candidates={algo: TINY_RATES for algo in ("dpo", "ipo", "kto")},
    note="the default benchmark's model: two runs per algorithm, scored along training",
)


# The tabular model (bench/core/tabular.py) on the enumerable task: a free logit per (prefix, token), which Adam moves
# by about the learning rate per step, so rates near 0.1, and more pairs than tiny's check. Why: docs/presets.md.
TABULAR = Preset(
    settings={"data_pairs": "65536", "critic_learning_rate": "0.1", **END_ONLY},  # validate reads the end
    learning_rates={"offline": "0.1", "online": "0.1", "ppo": "0.01"},
    note="for pobench validate --model tabular on task exact (a free table per prefix: rates near 0.1)",
)
