"""One cell, four stages: prepare (cached), train, evaluate, record (docs/methodology.md, "What a cell does")."""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import Adapter, TrainContext, TrainResult
from pobench.contracts.task import Task
from pobench.core.atomic import RECURRING, StorageError, storage_error
from pobench.core.cache import ArtifactCache
from pobench.core.curve import Curve, DivergedError
from pobench.core.environment import (
    environment,
    is_main_process,
    main_process_first,
    pick_device,
    world_size,
)
from pobench.core.flops import FlopTally, count_flops
from pobench.core.memory import StagePeak, process_peak_mb, stage_peak
from pobench.core.models import ModelSource
from pobench.core.record import RunRecord, comparability_key, judged, record_path, write_record
from pobench.harness.checkpoints import CheckpointScorer
from pobench.harness.evaluate import evaluate, scanned_target
from pobench.harness.prepare import Prepared, prepare, prepare_proxy
from pobench.harness.spec import CellSpec
from pobench.harness.tracking import Tracker
from pobench.kit.reward_model import prepare_reward_model


class CellFailed(RuntimeError):
    """The cell did not finish; its record (status failed/diverged/interrupted) is written."""

    def __init__(self, record: RunRecord, path: Path) -> None:
        super().__init__(f"{record.status}: {record.error}")
        self.record, self.path = record, path


def run_cell(
    spec: CellSpec,
    source: ModelSource,
    out_dir: Path,
    cache_dir: Path | None = None,
    device: str | None = None,
    log: Callable[[str], None] = print,
    on_stage: Callable[[str], None] = lambda stage: None,
    tracker: Tracker | None = None,
) -> tuple[RunRecord, Path | None]:
    """Run one cell and write its record. Raises CellFailed (after writing the record) if it fails.

    Under several processes (``torchrun``/``accelerate launch``, DDP) every process trains; the main one
    evaluates and writes the record, the others return ``(record, None)`` after training.

    ``on_stage`` is told each stage as it starts (prepare, train, evaluate): the sweep's progress bar.
    ``tracker`` (wandb) gets a run for the cell, its curve live and its final record; it never raises.
    """
    import transformers.trainer_utils  # noqa: F401 - train_stage's set_seed: imported before the clock starts

    out_dir = Path(out_dir)
    device = device or pick_device()
    cache = ArtifactCache(cache_dir or out_dir / "cache", log=log)
    record = new_record(spec, device)
    tracker = tracker or Tracker("disabled", out_dir, group="")
    tracker.start_cell(spec.flat())
    curve = Curve(sinks=[tracker.log_curve])
    work_dir = Path(tempfile.mkdtemp(prefix=f"pobench-{spec.algo}-"))
    cell = Cell(spec, source, cache, device, log, tracker, record, curve, work_dir)
    failure: BaseException | None = None
    start = time.perf_counter()
    try:
        on_stage(cell.stage)
        adapter, task, prepared = prepare_stage(cell)
        cell.timings["prepare_s"] = time.perf_counter() - start
        cell.stage = "train"
        on_stage(cell.stage)
        ctx, result = train_stage(cell, adapter, task, prepared)
        if not is_main_process():  # DDP: every process trained; the main one evaluates and records
            shutil.rmtree(work_dir, ignore_errors=True)
            return record, None
        keep_what_training_gave(cell, out_dir, ctx, result)
        cell.stage = "evaluate"
        on_stage(cell.stage)
        evaluate_stage(cell, adapter, task, prepared, ctx, result)
        record.status = "ok"
        judged(record)  # finished, but degenerate where its text no longer ends
    except BaseException as exc:  # every way a cell can end is recorded, then passed on
        failure = exc
        record_failure(cell, exc)
    shutil.rmtree(work_dir, ignore_errors=True)
    path = record_stage(cell, out_dir, start)  # a StorageError here (the record cannot be written) stops the caller
    if isinstance(failure, KeyboardInterrupt):
        raise failure
    if (stop := stopping_fault(failure, out_dir)) is not None:  # a full disk, a read-only cache: every cell would fail
        raise stop
    if failure is not None:
        raise CellFailed(record, path) from failure
    return record, path


@dataclass
class Cell:
    """A running cell: what its stages share, and the record and timings they fill in."""

    spec: CellSpec
    source: ModelSource
    cache: ArtifactCache
    device: str
    log: Callable[[str], None]
    tracker: Tracker
    record: RunRecord
    curve: Curve
    work_dir: Path
    timings: dict[str, float] = field(default_factory=dict)
    compute: dict[str, FlopTally] = field(
        default_factory=dict
    )  # stage -> FLOPs of its model calls (pobench.core.flops)
    stage: str = "prepare"  # the stage running, named in the record's error if it fails
    checkpoints: CheckpointScorer | None = None  # scores the policy along training (train_stage sets it)
    memory: StagePeak = field(default_factory=StagePeak)  # what training added at its peak (train_stage sets it)


def prepare_stage(cell: Cell) -> tuple[Adapter, Task, Prepared]:
    """The adapter, the task and the shared work (reference, preference data, reference samples, and the reward
    model where the adapter has one), built or reused; sets the record's artifacts and comparability key."""
    spec, record = cell.spec, cell.record
    cell.log(f"[{spec.algo} | {spec.task} | {spec.model} | seed {spec.seed}] prepare")
    adapter = ALGORITHMS.get(spec.algo)()  # inside run_cell's try: an adapter that fails to build is recorded
    task = spec.task_object(cell.source.chat_tokenizer())
    # The preference data is prepared for every cell, baselines included: its fingerprint is part of
    # the comparability key, so the SFT row ranks beside the algorithms trained on that data.
    with main_process_first():  # one process builds shared work; under DDP the others then reuse it
        prepared = prepare(spec, task=task, source=cell.source, cache=cell.cache, device=cell.device, log=cell.log)
        prepared = with_proxy(cell, task, prepared)
    record.artifacts = prepared.info()
    record.comparability_key = comparability_key(
        {**spec.shared_settings(), **adapter.comparability_extra(spec.hparams)},
        prepared.data_identity,
        prepared.reference.key,
    )
    cell.tracker.set_config({"comparability_key": record.comparability_key})
    rm_settings = adapter.reward_model_settings(spec.hparams)
    if rm_settings is not None and world_size() > 1:
        raise RuntimeError("adapters with a reward model do not run on several processes yet; run them in one")
    if rm_settings is not None:  # shared work too: never counted as this cell's train time
        reward_model = prepare_reward_model(
            cell.cache, prepared.reference.path, prepared.data.path, rm_settings, cell.device, cell.log
        )
        record.artifacts["reward_model"] = reward_model.info
    return adapter, task, prepared


def with_proxy(cell: Cell, task: Task, prepared: Prepared) -> Prepared:
    """``prepared`` with the seed's proxy reward model and its calibration (pobench.kit.proxy), which judge every
    cell; none under several processes, where only the main one evaluates."""
    if world_size() > 1:
        return replace(prepared, proxy_skipped="several processes: the proxy is not built under DDP")
    return prepare_proxy(cell.spec, task, prepared, cell.cache, cell.device, cell.log)


def implicit_reward_of(adapter: Adapter, params) -> Callable[[float, float, int], float] | None:
    """The adapter's implicit reward with its settings bound, or None if the adapter defines none."""
    if type(adapter).implicit_reward is Adapter.implicit_reward:
        return None
    return lambda policy_logp, reference_logp, length: adapter.implicit_reward(
        params, policy_logp, reference_logp, length
    )


def train_stage(cell: Cell, adapter: Adapter, task: Task, prepared: Prepared) -> tuple[TrainContext, TrainResult]:
    """Seed, then train; times it as ``train_s``, less the shared work the adapter built (counted as prepare)."""
    from transformers.trainer_utils import set_seed

    spec, device = cell.spec, cell.device
    cell.log(f"[{spec.algo}] train")
    train_seed = spec.budget.training_seed(spec.seed)  # the cell seed unless train_seed splits them
    set_seed(train_seed)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    ctx = TrainContext(
        params=spec.hparams,
        budget=spec.budget,
        task=task,
        reference_dir=prepared.reference.path,
        policy_dir=prepared.base.path if prepared.base else None,
        data_dir=prepared.data.path,
        work_dir=cell.work_dir,
        device=device,
        seed=train_seed,
        curve=cell.curve,
        cache=cell.cache,
        log=cell.log,
    )
    judges = lambda: (ctx.load_reference(), ctx.load_tokenizer(), prepared.proxy(device))  # noqa: E731
    cell.checkpoints = ctx.checkpoint = CheckpointScorer(spec, task, judges, cell.log)
    t0 = time.perf_counter()
    with count_flops() as compute, stage_peak(device) as memory:
        ctx.steps_begin = memory.steps_begin
        result = adapter.train(ctx)
    cell.compute["train"], cell.memory = compute, memory
    # shared work an adapter built through the cache (reference log-probs) belongs to prepare; scoring checkpoints
    # belongs to evaluation
    cell.timings["train_s"] = time.perf_counter() - t0 - ctx.shared_s - cell.checkpoints.seconds
    if cell.checkpoints.points:
        cell.timings["checkpoint_s"] = cell.checkpoints.seconds
    cell.timings["prepare_s"] += ctx.shared_s
    return ctx, result


def evaluate_stage(
    cell: Cell, adapter: Adapter, task: Task, prepared: Prepared, ctx: TrainContext, result: TrainResult
) -> None:
    """Evaluate the trained policy and put its metrics, samples and reference rewards in the record."""
    spec, record, timings = cell.spec, cell.record, cell.timings
    cell.log(f"[{spec.algo}] evaluate")
    t0, shared_before = time.perf_counter(), ctx.shared_s
    with count_flops() as compute:
        evaluation = evaluate(
            result,
            ctx.load_reference(),
            ctx.load_tokenizer(),
            task,
            spec.eval,
            spec.seed,
            prepared.ref_gold(),
            target=scanned_target(adapter, spec.hparams, spec.data),
            proxy=prepared.proxy(cell.device),
            implicit=implicit_reward_of(adapter, spec.hparams),
        )
    # shared work a sampler built through the cache (best-of-n's pool of draws) belongs to prepare too
    eval_shared_s = ctx.shared_s - shared_before
    timings["eval_s"] = time.perf_counter() - t0 - eval_shared_s
    timings["prepare_s"] += eval_shared_s
    train_s = timings["train_s"]
    record.metrics = {
        **evaluation.metrics,
        "perf/eval_time_s": evaluation.metrics["perf/eval_time_s"] - eval_shared_s,
        "perf/train_time_s": train_s,
        "perf/train_tokens_per_s": result.train_tokens / train_s if train_s > 0 else 0.0,
        "perf/train_samples_per_s": result.train_samples / train_s if train_s > 0 else 0.0,
        "perf/train_tokens": float(result.train_tokens),
        "perf/train_steps": float(result.steps),
        "perf/peak_mem_mb": process_peak_mb(cell.device),  # CUDA: since train began; CPU: the process's peak
        **cell.memory.as_metrics(),
        **cell.compute["train"].as_metrics("train"),
        **compute.as_metrics("eval"),
    }
    if adapter.trains and cell.checkpoints is not None and cell.checkpoints.active:
        record.metrics["perf/checkpoint_time_s"] = cell.checkpoints.seconds
        record.metrics |= cell.checkpoints.flops.as_metrics("checkpoint")
        record.trajectory = cell.checkpoints.trajectory(result.steps, evaluation.metrics)
    record.samples = evaluation.samples
    record.reference_rewards = evaluation.reference_rewards


def keep_what_training_gave(cell: Cell, out_dir: Path, ctx: TrainContext, result: TrainResult) -> None:
    """What the adapter reported goes into the record; the trained policy is saved where the spec asks to keep it."""
    cell.record.train_extra = json_safe(result.extra)
    if cell.spec.keep_policy:
        cell.record.artifacts["policy"] = save_policy(result, ctx, policy_dir(out_dir, cell.record))


def policy_dir(out_dir: Path, record: RunRecord) -> Path:
    """Where a kept policy goes: OUT/policies/ under its record's name."""
    return Path(out_dir) / "policies" / record_path(out_dir, record.spec, record.spec_hash).stem


def save_policy(result: TrainResult, ctx: TrainContext, folder: Path) -> str:
    """The trained policy and its tokenizer saved (save_pretrained) into ``folder``, whole or not at all: written
    beside it, then renamed. Returns the folder, or why nothing was saved (a policy that samples itself)."""
    if not hasattr(result.policy, "save_pretrained"):
        return "not saved: this adapter's policy samples itself (no single model to save)"
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    result.policy.save_pretrained(partial)
    ctx.load_tokenizer().save_pretrained(partial)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    ctx.log(f"policy saved to {folder}")
    return str(folder)


def json_safe(value):
    """``value`` as JSON can hold it (what an adapter reports in TrainResult.extra): dicts, lists, numbers, text;
    tensors and numpy numbers as numbers; anything else as its text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return str(value)


def record_failure(cell: Cell, exc: BaseException) -> None:
    """Put how the cell ended in its record: status, the error and where (called while ``exc`` is handled)."""
    record = cell.record
    record.status = status_of(exc)
    record.error = f"{cell.stage}: {type(exc).__name__}: {exc}"
    record.traceback = traceback.format_exc(limit=9)  # run_cell, the stage, then 7 frames of the failing code
    if cell.curve.rows:  # the last training metrics seen, with the step they were seen at
        record.metrics = {("train/step" if k == "step" else k): float(v) for k, v in cell.curve.last.items()}
    if cell.checkpoints is not None and cell.checkpoints.points:  # a run that diverged passed these points first
        record.trajectory = list(cell.checkpoints.points)


def record_stage(cell: Cell, out_dir: Path, start: float) -> Path:
    """Complete the record (curve, timings), write it, then hand it to the tracker; the record's path."""
    record = cell.record
    record.curve = cell.curve.rows
    cell.timings["total_s"] = time.perf_counter() - start
    record.timings = {k: round(v, 3) for k, v in cell.timings.items()}
    path = write_record(out_dir, record)
    cell.tracker.finish_cell(record)  # after the record is safe on disk
    return path


def stopping_fault(exc: BaseException | None, where: Path) -> StorageError | None:
    """``exc`` as a StorageError where it is a fault of the disk or a folder that every later cell would meet too
    (its record says where it happened); None for any other outcome."""
    if isinstance(exc, StorageError):
        return exc if exc.recurring else None
    if isinstance(exc, OSError) and exc.errno in RECURRING:
        return storage_error(exc.filename or where, "write", exc)
    return None


def new_record(spec: CellSpec, device: str, status: str = "failed", error: str | None = None) -> RunRecord:
    """A cell's record before it has results (status ``failed`` until the cell ends otherwise)."""
    return RunRecord(
        spec=spec.flat(),
        settings_source=dict(spec.sources),
        spec_hash=spec.hash(),
        algo=spec.algo,
        hparams=asdict(spec.hparams),
        task=spec.task,
        task_version=spec.task_version,
        model=spec.model,
        seed=spec.seed,
        status=status,
        error=error,
        environment=environment(device),
        created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )


def status_of(exc: BaseException) -> str:
    if isinstance(exc, DivergedError):
        return "diverged"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return "failed"
