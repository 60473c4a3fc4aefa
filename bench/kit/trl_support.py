"""Shared plumbing for adapters over TRL trainers: the cell's budget as TRL arguments, the curve."""

from __future__ import annotations

import dataclasses
import inspect
import json
import random
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from pobench.contracts import meanings
from pobench.contracts.adapter import Adapter, TrainContext, TrainResult
from pobench.contracts.defaults import DEFAULT_LR
from pobench.core.environment import world_size
from pobench.core.hashing import content_hash
from pobench.core.params import param
from pobench.core.settings import Budget
from pobench.kit.preference import ALONE, PAIRS, UNPAIRED, read_jsonl

# TRL's log keys that are bookkeeping rather than curve
_SKIP = {"epoch", "total_flos", "train_loss", "train_runtime", "train_samples_per_second", "train_steps_per_second"}


def runtime_args(output_dir, device: str, seed: int, dtype: str = "auto") -> dict[str, Any]:
    """What pobench fixes for every transformers/TRL trainer: seeds, no checkpoints or reporting, and the
    precision (``dtype``: auto is bf16 mixed precision on CUDA and fp32 on CPU)."""
    on_cuda = device.startswith("cuda")
    return dict(
        output_dir=str(output_dir),
        seed=seed,
        data_seed=seed,
        report_to="none",
        save_strategy="no",
        bf16=dtype == "bfloat16" or (dtype == "auto" and on_cuda),
        fp16=dtype == "float16",
        gradient_checkpointing=False,
        use_cpu=not on_cuda,
        disable_tqdm=True,
        dataloader_num_workers=0,
        # transformers' default (True) logs the mean of earlier losses in place of a NaN/inf one, which hides
        # divergence from the curve's check: a NaN loss must reach the curve to stop the cell at that step
        logging_nan_inf_filter=False,
    )


def budget_fields(budget: Budget, processes: int) -> dict[str, tuple[str, Any]]:
    """The shared budget as a TRL config takes it: budget setting → (the config's field, its value). The budget's
    other settings reach training elsewhere: train_examples (the dataset), dtype (runtime_args), lora_* (peft),
    train_seed (the context's seed)."""
    if budget.batch_size % processes:
        raise ValueError(f"batch_size={budget.batch_size} does not split over {processes} processes")
    return {
        "batch_size": ("per_device_train_batch_size", budget.batch_size // processes),  # the budget's batch is global
        "epochs": ("num_train_epochs", budget.epochs),
        "lr_schedule": ("lr_scheduler_type", budget.lr_schedule),
        "warmup_ratio": ("warmup_steps", budget.warmup_ratio),  # a float below 1 is a ratio of the total steps
        "max_length": ("max_length", budget.max_length),
    }


def trl_args(config_cls: type, ctx: TrainContext, unmapped: Mapping[str, str] | None = None, **algorithm_kwargs: Any):
    """Map the cell's shared budget (the same for every offline adapter) onto a TRL config, every field explicitly.

    ``algorithm_kwargs`` add the algorithm's own fields and may set a budget field's config field themselves (online
    adapters set their batch and step counts). A budget setting whose field the config lacks must be named in
    ``unmapped`` with where it goes instead (online trainers: the task's max_new_tokens bounds a completion, not
    max_length); any other is a ValueError naming it, never dropped in silence.
    """
    accepted = {f.name for f in dataclasses.fields(config_cls)}
    values: dict[str, Any] = {}
    for setting, (name, value) in budget_fields(ctx.budget, world_size()).items():
        if name in algorithm_kwargs or setting in (unmapped or {}):
            continue
        if name not in accepted:
            raise ValueError(
                f"{config_cls.__name__} has no field {name!r} for the budget's {setting}: map it, or name it in "
                "trl_args(unmapped=...) with where it goes instead"
            )
        values[name] = value
    values |= dict(
        learning_rate=ctx.params.learning_rate,
        logging_steps=1,
        **runtime_args(ctx.work_dir, ctx.device, ctx.seed, ctx.budget.dtype),
    )
    return config_cls(**{**values, **algorithm_kwargs})


def paired_dataset(ctx: TrainContext):
    from datasets import Dataset

    rows = _take(read_jsonl(ctx.data_dir / PAIRS), ctx.budget.train_examples)
    return Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows])


def unpaired_dataset(ctx: TrainContext):
    from datasets import Dataset

    if labels_alone(ctx):
        return Dataset.from_list(alone_rows(ctx))
    rows = _take(read_jsonl(ctx.data_dir / UNPAIRED), 2 * ctx.budget.train_examples)
    # TRL's KTOTrainer estimates its KL reference point from "mismatched" pairs made by pairing each row
    # with its neighbour's completion, before shuffling. The file keeps each pair's two rows together (same
    # prompt); reorder to c0, r1, c2, r3, ... then r0, c1, r2, c3, ...: labels still alternate, and no two
    # neighbours share a prompt.
    # KTOTrainer reads rows in file order (its KL pairing needs a sequential sampler, not the seeded shuffle the
    # other trainers use), so the seed shuffles the pairs here, or every seed of a data set would be one run.
    rows = _interleave_pairs(_shuffle_pairs(rows, ctx.seed))
    return Dataset.from_list([{k: r[k] for k in ("prompt", "completion", "label")} for r in rows])


def curve_callback(ctx: TrainContext):
    """A TrainerCallback that copies TRL's logs into the cell's curve under ``train/...`` names."""
    from transformers.trainer_callback import TrainerCallback

    class CurveCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            metrics = {f"train/{k}": v for k, v in (logs or {}).items() if k not in _SKIP}
            if not metrics:
                return
            ctx.curve.log(state.global_step, metrics)
            every = max(1, state.max_steps // 10)
            if state.global_step % every == 0 and "train/loss" in metrics:
                ctx.log(f"  step {state.global_step}/{state.max_steps} loss {metrics['train/loss']:.4f}")

    return CurveCallback()


def checkpoint_callback(ctx: TrainContext):
    """A TrainerCallback that hands the policy to ``ctx.checkpoint`` after every optimizer step (the frontier along
    training: the pipeline scores the steps it chose)."""
    from transformers.trainer_callback import TrainerCallback

    class CheckpointCallback(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            ctx.checkpoint(state.global_step, state.max_steps, model)

    return CheckpointCallback()


def train_with(trainer, examples: int, tokens: int | None = None) -> TrainResult:
    """Run a TRL trainer and report what went through it.

    ``tokens``: non-padding tokens through the policy, for trainers that do not count them themselves
    (TRL's DPO and KTO trainers do; its experimental CPO and ORPO trainers do not: see ``paired_dataset_tokens``).
    """
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # the curve keeps the logs; no dict per step on stdout
    trainer.train()
    state = trainer.state
    if tokens is None:
        tokens = int(getattr(trainer, "_total_train_tokens", 0))  # TRL counts non-padding tokens per batch
    model = trainer.model
    if hasattr(model, "merge_and_unload"):  # LoRA: fold the adapter in; the evaluator sees a plain model
        model = model.merge_and_unload()
    model.eval()
    return TrainResult(
        policy=model,
        train_tokens=tokens,
        train_samples=examples * int(trainer.args.num_train_epochs),
        steps=state.global_step,
    )


def paired_dataset_tokens(trainer) -> int:
    """Prompt + completion tokens of both sides of every tokenized pair, times the epochs: what CPO and ORPO's
    trainers (which tokenize each pair into ``chosen_input_ids``/``rejected_input_ids``) put through the policy."""
    dataset = trainer.train_dataset
    per_epoch = sum(len(ids) for ids in dataset["chosen_input_ids"]) + sum(
        len(ids) for ids in dataset["rejected_input_ids"]
    )
    return per_epoch * int(trainer.args.num_train_epochs)


def rows_from_pairs(ctx: TrainContext) -> bool:
    """Whether the cell's unpaired rows are the unpaired view of its pairs (two rows a pair), not a file of
    unpaired rows (whose pairs file is empty) nor completions labelled alone (one row a pair)."""
    return (ctx.data_dir / PAIRS).stat().st_size > 0 and not labels_alone(ctx)


def labels_alone(ctx: TrainContext) -> bool:
    """Whether the cell trains on completions labelled alone (KTO's ``labels=alone``)."""
    return getattr(getattr(ctx, "params", None), "labels", "pairs") == "alone"


def alone_rows(ctx: TrainContext) -> list[dict]:
    """The completions labelled alone (``alone.jsonl``: one a pair, so as many labels as the pairs a paired adapter
    reads), the first ``train_examples`` of them; of their desirable rows only the first ``desirable_kept``
    fraction (rounded, at least one), as the KTO paper drops desirable data; in an order drawn by the seed (KTO
    reads its rows in order)."""
    path = ctx.data_dir / ALONE
    if not path.is_file():
        raise ValueError(f"labels=alone: the preference data in {ctx.data_dir} has no {ALONE} (completions labelled "
                         "alone are made where pobench samples the pairs itself)")  # fmt: skip
    rows = _take(read_jsonl(path), ctx.budget.train_examples)
    good = [r for r in rows if r["label"]]
    keep = max(1, round(ctx.params.desirable_kept * len(good))) if good else 0
    kept = {id(r) for r in good[:keep]}
    rows = [r for r in rows if not r["label"] or id(r) in kept]
    random.Random(ctx.seed).shuffle(rows)
    return [{k: r[k] for k in ("prompt", "completion", "label")} for r in rows]


def _pairs_of(rows: list[dict]) -> list[list[dict]]:
    """Rows [c0, r0, c1, r1, ...] → [[c0, r0], [c1, r1], ...]."""
    return [rows[i : i + 2] for i in range(0, len(rows), 2)]


def _shuffle_pairs(rows: list[dict], seed: int) -> list[dict]:
    """Rows [c0, r0, c1, r1, ...] with the pairs (each pair's two rows, kept together) in an order drawn by ``seed``."""
    pairs = _pairs_of(rows)
    random.Random(seed).shuffle(pairs)
    return [row for pair in pairs for row in pair]


def _interleave_pairs(rows: list[dict]) -> list[dict]:
    """Rows [c0, r0, c1, r1, ...] (pair i's chosen and rejected) → [c0, r1, c2, r3, ..., r0, c1, r2, c3, ...]."""
    pairs = _pairs_of(rows)
    first = [pair[i % 2] for i, pair in enumerate(pairs)]
    second = [pair[1 - i % 2] for i, pair in enumerate(pairs)]
    return first + second


def _take(rows: list[dict], n: int) -> list[dict]:
    return rows[:n] if n > 0 else rows


def preference_trainer(
    trainer_cls: type, config_cls: type, ctx: TrainContext, reference: bool, unpaired: bool = False, **config: Any
):
    """A TRL preference trainer on the cell's data and budget: ``config`` holds the algorithm's own fields,
    ``unpaired`` asks for the unpaired view of the pairs (KTO).

    ``reference``: the loss needs the frozen SFT model's log-probs. They are computed once per (reference,
    tokenized data) by TRL's own precompute and kept in the artifact cache (``precomputed_reference``), so
    the trainer holds no reference model and the cells of a sweep that share data share the forward passes.
    Reference-free trainers (TRL's experimental CPO/ORPO) are told to keep their columns, as they ask.
    """

    kwargs: dict[str, Any] = {"peft_config": lora_config(ctx.budget)}
    if reference and kwargs["peft_config"] is None:  # with LoRA, TRL's reference is the model with the adapter off
        kwargs["ref_model"] = ctx.load_reference()
    # DDP: TRL's precompute shares a datasets cache file between processes, which in-memory datasets do not
    # have, so under several processes the reference stays live
    precompute = reference and world_size() == 1
    if unpaired and rows_from_pairs(ctx):  # the unpaired view of pairs: two rows per pair
        # the same judgements in the same optimizer steps as the paired adapters: a step takes both rows of
        # batch_size pairs (the budget's batch is global, split over processes like trl_args does)
        config = {"per_device_train_batch_size": 2 * ctx.budget.batch_size // world_size(), **config}
    if precompute:
        trainer_cls = precomputed_reference(trainer_cls, ctx)
        config = {"precompute_ref_log_probs": True, **config}
    elif not reference:
        config = {"remove_unused_columns": False, **config}
    trainer = trainer_cls(
        model=ctx.load_policy(),
        args=trl_args(config_cls, ctx, **config),
        train_dataset=unpaired_dataset(ctx) if unpaired else paired_dataset(ctx),
        processing_class=ctx.load_tokenizer(),
        callbacks=[curve_callback(ctx), checkpoint_callback(ctx)],
        **kwargs,
    )
    if precompute:  # the loss reads the precomputed columns: free the reference for training
        release_reference(trainer)
    return trainer


def release_reference(trainer) -> None:
    """Drop every hold on the trainer's reference model: its attribute, and accelerate's list of prepared models
    (``prepare_model`` keeps one there; without this the reference stayed resident through training: +463 to
    +567 MB of DPO's train stage on smollm2-135m, results/memory-smollm2)."""
    reference, trainer.ref_model = trainer.ref_model, None
    models = getattr(trainer.accelerator, "_models", None)
    if reference is not None and isinstance(models, list):
        models[:] = [m for m in models if m is not reference]


REF_LOGPS = "ref_logps.json"
# The one place pobench reaches into TRL's internals: TRL (``precompute_ref_log_probs=True``) computes the reference
# log-probs of the tokenized train set in this method before training, and caches them only for a dataset backed by
# files (which would sit outside pobench's checked cache). TRL has no public hook for a cache of our own, so the
# method is overridden; ``check_reference_seam`` fails with a clear message if a TRL upgrade changes it.
REFERENCE_SEAM = "_precompute_ref_logps"
REFERENCE_SEAM_PARAMETERS = ("self", "dataset", "name", "batch_size")


def check_reference_seam(trainer_cls: type) -> None:
    """``trainer_cls`` still has the method, with the parameters, that ``precomputed_reference`` overrides; a
    RuntimeError naming the TRL version and what changed otherwise."""
    import trl

    method = getattr(trainer_cls, REFERENCE_SEAM, None)
    found = tuple(inspect.signature(method).parameters) if callable(method) else None
    if found != REFERENCE_SEAM_PARAMETERS:
        raise RuntimeError(
            f"TRL {trl.__version__}: {trainer_cls.__name__}.{REFERENCE_SEAM} is {found or 'gone'}, pobench overrides "
            f"it as {REFERENCE_SEAM_PARAMETERS} to cache the reference log-probs (bench/kit/trl_support.py "
            "precomputed_reference): pin trl to the range pyproject.toml gives, or update the seam"
        )


def precomputed_reference(trainer_cls: type, ctx: TrainContext) -> type:
    """``trainer_cls`` with TRL's reference precompute routed through the cell's artifact cache (REFERENCE_SEAM).

    TRL (``precompute_ref_log_probs=True``) computes the reference log-probs of the tokenized train set
    before training starts, with the reference model it is given. The first cell runs that
    and stores the new columns; later cells with the same reference and the same tokenized rows read them.
    The time it takes is shared work: it is added to ``ctx.shared_s`` and reported under prepare, not train.
    """
    check_reference_seam(trainer_cls)

    class CachedReferenceLogps(trainer_cls):
        def _precompute_ref_logps(self, dataset, name, batch_size):

            import trl

            inputs = {
                "reference": ctx.reference_dir.name,
                "trainer": trainer_cls.__name__,
                "split": name,
                "rows": content_hash(dataset.to_dict()),
                "device": ctx.device.split(":")[0],
                "bf16": bool(self.args.bf16),
                "trl": trl.__version__,
            }

            def build(folder):
                full = super(CachedReferenceLogps, self)._precompute_ref_logps(dataset, name, batch_size)
                new = [c for c in full.column_names if c not in dataset.column_names]
                (folder / REF_LOGPS).write_text(json.dumps({c: list(full[c]) for c in new}))
                return {"rows": len(full), "columns": new}

            start = time.perf_counter()
            what = f"reference log-probs of {len(dataset)} {name} rows for {trainer_cls.__name__}"
            artifact = ctx.cache.get_or_build("ref_logps", inputs, build, what)
            ctx.shared_s += time.perf_counter() - start
            for column, values in json.loads((artifact.path / REF_LOGPS).read_text()).items():
                dataset = dataset.add_column(column, values)
            return dataset

    CachedReferenceLogps.__name__ = CachedReferenceLogps.__qualname__ = trainer_cls.__name__
    CachedReferenceLogps.trl_class = trainer_cls  # what `pobench dev perf` runs as raw TRL
    return CachedReferenceLogps


def lora_config(budget):
    """A peft LoraConfig for ``budget.lora_r`` > 0 (every linear layer of the model), else None."""
    if budget.lora_r <= 0:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=budget.lora_r,
        lora_alpha=budget.lora_alpha or 2 * budget.lora_r,
        lora_dropout=budget.lora_dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )


@dataclasses.dataclass(frozen=True)
class TRLParams:
    """The hyperparameters every TRL-backed adapter has; an adapter's own dataclass adds its loss's."""

    learning_rate: float = param(DEFAULT_LR, "peak learning rate", gt=0, meaning=meanings.POLICY_LEARNING_RATE)


class TRLAdapter(Adapter):
    """An adapter whose training is one TRL trainer: subclasses implement ``build_trainer(ctx)``, which the
    parity tests call too, so they check exactly the trainer the adapter trains with."""

    trainer_counts_tokens: ClassVar[bool] = True  # False where the TRL trainer keeps no token count (CPO, ORPO)
    supports_lora: ClassVar[bool] = True

    def build_trainer(self, ctx: TrainContext):
        raise NotImplementedError

    def train(self, ctx: TrainContext) -> TrainResult:
        trainer = self.build_trainer(ctx)
        tokens = None if self.trainer_counts_tokens else paired_dataset_tokens(trainer)
        rows = len(trainer.train_dataset)
        # a pair counts once: the unpaired view of pairs (KTO) has two rows per pair, a file of unpaired rows one
        pairs = self.data == "unpaired" and rows_from_pairs(ctx)
        ctx.steps_begin()  # the trainer is built: a reference's passes are done and it is freed
        return train_with(trainer, examples=rows // 2 if pairs else rows, tokens=tokens)
