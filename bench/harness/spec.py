"""A cell's spec: (algorithm, task, model, seed, settings), resolved and validated before any work.

Resolution turns names and ``--set`` strings into typed settings, or fails with one line naming
the bad value and what is accepted. The resolved spec is hashed: the hash names the record.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import Adapter
from pobench.core.hashing import content_hash
from pobench.core.models import ModelSource, resolve_model
from pobench.core.params import SettingsError, build_settings, legacy_values, ordered_fields
from pobench.core.settings import COMMON_SETTINGS, Budget, DataSettings, EvalSettings, SFTSettings, common_keys
from pobench.tasks import Task, make_task

SPEC_VERSION = 1


@dataclass(frozen=True)
class CellSpec:
    algo: str
    task: str
    task_version: str
    model: str
    seed: int
    hparams: Any  # the adapter's hyperparameter dataclass instance
    sft: SFTSettings
    data: DataSettings
    budget: Budget
    eval: EvalSettings
    # The task as resolution built it (files read and validated, datasets loaded), so a cell builds it once.
    # Not part of the spec's identity: ``task`` and ``task_version`` are.
    built_task: Task | None = field(default=None, compare=False, repr=False)
    # where each setting's value came from (SOURCES), by flat key; not part of the identity either
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # save the trained policy under OUT/policies/ (pobench run/sweep --keep-policy): what the cell keeps, not what
    # it computes, so not part of the identity
    keep_policy: bool = field(default=False, compare=False, repr=False)

    def task_object(self, chat_tokenizer=None) -> Task:
        """The built task; a spec made by hand without one builds it here."""
        return self.built_task if self.built_task is not None else make_task(self.task, chat_tokenizer)

    def flat(self) -> dict[str, Any]:
        """Flat keys (algo, task, model, seed, beta, ...): the shape wandb configs and tables want."""
        out: dict[str, Any] = {
            "algo": self.algo,
            "task": self.task,
            "task_version": self.task_version,
            "model": self.model,
            "seed": self.seed,
        }
        out.update(asdict(self.hparams))
        for group in COMMON_SETTINGS:
            out.update(asdict(getattr(self, group)))
        return out

    def hash(self) -> str:
        return spec_hash_of(self.flat())

    def shared_settings(self) -> dict[str, Any]:
        """What must match for two cells to be compared (all but algorithm, hyperparameters, seed)."""
        return {
            "task": self.task,
            "task_version": self.task_version,
            "model": self.model,
            **{
                group: without_legacy(asdict(getattr(self, group)), COMMON_SETTINGS[group]) for group in COMMON_SETTINGS
            },
        }


def without_legacy(values: dict[str, Any], *classes: type) -> dict[str, Any]:
    """``values`` without the settings at the ``legacy`` value their field in ``classes`` declares (settings added
    after records existed: bench/core/params.py ``param``)."""
    legacy = {k: v for cls in classes for k, v in legacy_values(cls).items()}
    return {k: v for k, v in values.items() if not (k in legacy and v == legacy[k])}


def identity_of(flat: dict[str, Any]) -> dict[str, Any]:
    """A cell's flat spec (``CellSpec.flat``, or a record's ``spec``) as it names the cell."""
    return without_legacy(flat, ALGORITHMS.get(flat["algo"]).hparams, *COMMON_SETTINGS.values())


def spec_hash_of(flat: dict[str, Any]) -> str:
    """The hash a record is named by, from a flat spec: a record's own ``spec`` gives its ``spec_hash``."""
    return content_hash({"spec_version": SPEC_VERSION, **identity_of(flat)})


# Where a setting's value can come from, lowest first; each later one wins over those before it.
SOURCES = (
    "default",  # the field's own default
    "model preset",  # the model's preset: shared settings, a learning rate per family or algorithm, its own
    "validation recipe",  # pobench validate's settings (bench/harness/validate.py), beneath the user's
    "frontier grid",  # a sweep's values of an algorithm's KL knob (the adapter's, or the model preset's)
    "sweep grid",  # a sweep's --set / YAML set: values (bare keys or ALGO.KEY)
    "extra cell",  # a knob value a sweep placed after its grid (bench/harness/placement.py)
    "--set",  # pobench run's --set
)


def resolve_spec(
    algo: str, task: str, model: str, seed: Any, overrides: dict[str, str], sources: dict[str, str] | None = None
) -> tuple[CellSpec, ModelSource]:
    """Validate everything a cell needs; raises RegistryError or SettingsError with a one-line message.
    ``sources``: where each of ``overrides`` came from (SOURCES, with detail); "--set" for any not named. The model
    preset's values lie beneath ``overrides``, and every other setting is at its default."""
    adapter_cls = ALGORITHMS.get(algo)
    source = resolve_model(model)
    source.check_available()
    task_obj = make_task(task, source.chat_tokenizer())
    seed = parse_seed(seed)
    preset = source.preset.sourced(algo, adapter_cls, model)
    origin = {k: where for k, (_, where) in preset.items()} | {k: (sources or {}).get(k, "--set") for k in overrides}
    overrides = {**{k: value for k, (value, _) in preset.items()}, **overrides}  # the user's values win
    hparam_names = {f.name for f in fields(adapter_cls.hparams)}
    common = common_keys()
    unknown = [k for k in overrides if k not in hparam_names and k not in common]
    if unknown:
        raise SettingsError(unknown_setting_message(unknown[0], algo, adapter_cls.hparams))
    groups = {
        group: build_settings(cls, {k: v for k, v in overrides.items() if common.get(k) == group}, "--set")
        for group, cls in COMMON_SETTINGS.items()
    }
    own = {k: v for k, v in overrides.items() if k in hparam_names}
    hparams = build_settings(adapter_cls.hparams, own, "--set", owner=algo)
    check_task_fits(task_obj, algo, adapter_cls(), hparams, groups["budget"])
    spec = CellSpec(
        algo=algo,
        task=task,
        task_version=task_obj.version,
        model=model,
        seed=seed,
        hparams=hparams,
        **groups,
        built_task=task_obj,
    )
    keys = [k for k in spec.flat() if k not in IDENTITY_KEYS]
    return replace(spec, sources={k: origin.get(k, "default") for k in keys}), source


IDENTITY_KEYS = ("algo", "task", "task_version", "model", "seed")  # a cell's names, not settings


def check_task_fits(task: Task, algo: str, adapter: Adapter, hparams, budget: Budget) -> None:
    """Data and reward the algorithm needs that a task made from a file may lack; LoRA where it is supported."""
    needs_pairs = adapter.data == "paired" or adapter.reward_model_settings(hparams) is not None
    if task.kind == "unpaired" and needs_pairs:
        raise SettingsError(
            f"algorithm {algo!r} needs pairs (to train on, or for its reward model), and {task.name} has unpaired "
            "rows (prompt, completion, label): use kto or sft, or give a file of prompt, chosen, rejected"
        )
    if budget.lora_r > 0 and adapter.trains and not adapter.supports_lora:
        raise SettingsError(f"--set lora_r={budget.lora_r}: algorithm {algo!r} does not train through peft (LoRA); "
                            "use it with full fine-tuning (lora_r=0)")  # fmt: skip
    conflict = adapter.setting_conflict(hparams, task)
    if conflict:
        raise SettingsError(f"algorithm {algo!r}: {conflict}")
    if adapter.trains_on_gold(hparams) and not task.has_gold:
        raise SettingsError(
            f"{task.name} has no gold reward for reward=gold: add one as file:PATH@module:function, "
            "or use --set reward=model"
        )


def unknown_setting_message(key: str, algo: str, hparams_cls: type) -> str:
    own = [f.name for f in ordered_fields(hparams_cls)]
    shared = sorted(common_keys())
    close = difflib.get_close_matches(key, own + shared, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    own_text = ", ".join(own) if own else "none"
    return (
        f"--set {key}: algorithm {algo!r} has no setting {key!r}{hint} "
        f"({algo} settings: {own_text}; shared settings: {', '.join(shared)})"
    )


def parse_seeds(text: str) -> list[int]:
    """Comma-separated seeds and ranges, in order, each once: "0,1,2", "0-19", "0-4,10"."""
    seeds: list[int] = []
    for part in (v.strip() for v in str(text).split(",") if v.strip()):
        low, dash, high = part.partition("-")
        if dash and low.strip() and parse_seed(high) < parse_seed(low):
            raise SettingsError(f"seeds {part!r}: a range goes up, e.g. 0-3")
        seeds += list(range(parse_seed(low), parse_seed(high) + 1)) if dash and low.strip() else [parse_seed(part)]
    if not seeds:
        raise SettingsError(f"seeds {text!r}: give at least one seed, e.g. 0,1,2 or 0-3")
    return list(dict.fromkeys(seeds))


def parse_seed(seed: Any) -> int:
    if isinstance(seed, int) and not isinstance(seed, bool):
        value = seed
    else:
        try:
            value = int(str(seed).strip())
        except ValueError:
            raise SettingsError(f"seed {seed!r}: must be a non-negative integer, e.g. 0") from None
    if value < 0:
        raise SettingsError(f"seed {seed!r}: must be a non-negative integer, e.g. 0")
    return value
