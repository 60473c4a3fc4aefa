"""The adapter interface: what an algorithm declares and what it is given to train with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pobench.contracts.task import Task
from pobench.core.cache import ArtifactCache
from pobench.core.curve import Curve
from pobench.core.models import load_model, load_tokenizer
from pobench.core.settings import Budget, DataSettings


@dataclass
class TrainContext:
    """Everything an adapter may use. Shared work (SFT model, data) is already built and cached."""

    params: Any  # the adapter's hyperparameter dataclass, resolved
    budget: Budget
    task: Task
    reference_dir: Path  # the SFT (reference) model and its tokenizer, as saved by save_pretrained
    data_dir: Path  # preference data: pairs.jsonl and unpaired.jsonl (bench/kit/preference.py)
    work_dir: Path  # scratch space for trainer output; removed after the cell
    device: str
    seed: int
    curve: Curve  # log training metrics here; it raises on a non-finite loss
    cache: ArtifactCache  # for shared work an adapter adds (e.g. a reward model), keyed like the rest
    log: Callable[[str], None] = print
    shared_s: float = 0.0  # seconds of shared work (cached artifacts) built in train or a sampler: counted as prepare
    # The frontier along training: an adapter calls checkpoint(step, total_steps, policy) after each optimizer step
    # (TRL-backed ones through checkpoint_callback); the pipeline scores the policy at the steps it chose
    # (pobench.core.trajectory) and leaves it, and every random state, as it found them. By default: nothing.
    checkpoint: Callable[[int, int, Any], None] = lambda step, total, policy: None
    # An adapter calls steps_begin() when its optimizer steps begin, after its setup (a reference's forward passes):
    # the pipeline then records the memory the steps add apart from the whole stage's (pobench.core.memory)
    steps_begin: Callable[[], None] = lambda: None
    policy_dir: Path | None = None  # where the policy starts when not at the reference (the pre-SFT model)

    def load_policy(self):
        """A fresh trainable copy of the model the policy starts from: the reference, or ``policy_dir``."""
        return load_model(self.policy_dir or self.reference_dir, device=self.device)

    def load_reference(self):
        """The frozen reference model."""
        model = load_model(self.reference_dir, device=self.device)
        model.eval().requires_grad_(False)
        return model

    def load_tokenizer(self):
        return load_tokenizer(self.reference_dir)


@dataclass
class TrainResult:
    policy: Any  # a causal LM (nn.Module) that the evaluator can sample from and score with
    train_tokens: int = 0  # non-padding tokens through the policy during training
    train_samples: int = 0  # training examples processed (pairs count once)
    steps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # A policy that is not a plain LM (best-of-n) samples itself: sampler(prompts, k, max_new_tokens,
    # seed, batch_size) -> pobench.core.generation.Samples, and reports an analytic KL bound instead.
    sampler: Callable[..., Any] | None = None
    kl_bound: float | None = None
    # The adapter's reward model, scorer(prompts, completions) -> scores: gives eval/proxy_reward.
    proxy_scorer: Callable[[Any, Any], list[float]] | None = None
    # Extra samples per eval prompt from the reference whose gold rewards the record keeps (the SFT baseline:
    # they estimate the optimal frontier)
    reference_samples: int = 0
    # A policy that samples itself, on an enumerable task: its exact log-probability of every response of one
    # prompt, given that prompt's pobench.kit.exact_eval.PromptTree (best-of-n), so it gets exact metrics too.
    exact_log_probs: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class NoParams:
    """An adapter without hyperparameters."""


class Adapter:
    """Subclass, set the class attributes, implement ``train``; register with ``@register("name")``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    supports_lora: ClassVar[bool] = False  # trains through peft when lora_r > 0 (TRL-backed adapters do)
    data: ClassVar[str] = "paired"  # "paired", "unpaired" (KTO), "prompts" (online), "none" (baselines)
    needs_reference: ClassVar[bool] = True
    trains: ClassVar[bool] = True  # False for baselines that only use the SFT model (sft, best-of-n)
    hparams: ClassVar[type] = NoParams
    # --set overrides for a smoke run of a few steps (the contract test and pinned curves use them)
    # on top of a small shared budget; an adapter with its own budget (PPO's updates) sets it here.
    smoke: ClassVar[dict[str, str]] = {}
    # The setting that trades gold reward for KL to the reference, and the values the frontier benchmark sweeps
    # (the same number for every algorithm; chosen by `pobench dev tune-grids` on tuning seeds that are
    # never reported). ``knob_note`` says what the knob means where it differs from the paper.
    kl_knob: ClassVar[str | None] = None
    frontier_grid: ClassVar[tuple[str, ...]] = ()
    # the values of the knob `pobench dev tune-grids` tries, the same number for every algorithm (a model preset
    # may give its own, on the scale its knobs act on)
    tuning_candidates: ClassVar[tuple[str, ...]] = ()
    knob_note: ClassVar[str] = ""
    # `pobench validate`: --set overrides for the check on the enumerable task (on top of
    # pobench.harness.validate.SHARED),
    # and the largest total-variation distance to the adapter's exact_target that passes
    validation: ClassVar[dict[str, str]] = {}
    # (between the residual of correct adapters and a factor-2 error in β on tabular: docs/presets.md)
    validation_tolerance: ClassVar[float] = 0.08

    def comparability_extra(self, params: Any) -> dict[str, Any]:
        """What puts this cell in a table of its own beyond the shared settings: an online adapter trained on
        the gold reward it is judged by (an oracle) does not rank beside methods that learn from preferences."""
        return {}

    def train(self, ctx: TrainContext) -> TrainResult:
        raise NotImplementedError

    def exact_target(self, params: Any, data: DataSettings):
        """The policy this adapter converges to in the population limit, as a pobench.kit.exact_eval.Target, or None
        where the literature gives none. On an enumerable task the evaluator records the distance to it, and
        ``pobench validate`` checks it."""
        return None

    def setting_conflict(self, params: Any, task: Any) -> str:
        """Why these settings cannot train on ``task`` (one line naming the settings and what to give instead), or ""
        where they can: for settings whose meaning depends on one another or on the task."""
        return ""

    def trains_on_gold(self, params: Any) -> bool:
        """Whether this cell is trained on the task's gold reward (an oracle), which a task without one lacks."""
        return False

    def implicit_reward(self, params: Any, policy_logp: float, reference_logp: float, length: int) -> float | None:
        """The reward this adapter's loss implies for one response of ``length`` tokens, from its summed log-probs
        under the trained policy and the reference (pobench.contracts.implicit), or None where the method defines
        none. The evaluator records how often it orders held-out pairs as the gold reward does."""
        return None

    def reward_model_settings(self, params: Any) -> Any | None:
        """The pobench.kit.reward_model.RewardModelSettings this cell's reward model is trained with, or None
        if it uses none. The pipeline builds (or reuses) that reward model in the prepare stage, so its
        training never counts as the cell's train time; the adapter then finds it in the cache."""
        return None
