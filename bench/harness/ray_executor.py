"""``pobench sweep --executor ray``: every cell a Ray task, on this machine or on a cluster.

The driver does what the local executor does first (resume checks, the lock, the grid), then:
one Ray task per distinct shared-work group prepares the SFT model, data and reference samples
into the cache, and one Ray task per cell runs it (``run_cell``) and writes its record, as the local
executor would. On a multi-node cluster the results folder and the cache must be shared storage
(the same path on every node), and pobench must be installed on every node.

With wandb on, each cell's worker logs the cell's run as a local cell would (offline runs land in
the results folder's ``wandb/``, shared storage on a cluster anyway; online runs need the
worker to be logged in); the driver logs the sweep's leaderboard run.

A cell asks for ``cpus_per_cell`` CPUs (torch uses that many threads) and one GPU on CUDA. A worker
that dies (killed, out of memory) is retried once by Ray; if the retry dies too, the driver writes
the cell's record as ``failed`` with the error, so the sweep lists it and ``--retry-failed`` reruns it.
"""

from __future__ import annotations

import collections
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from pobench.algorithms import ALGORITHMS
from pobench.core.atomic import StorageError
from pobench.core.cache import ArtifactCache
from pobench.core.params import SettingsError
from pobench.core.progress import SweepProgress, record_outcome
from pobench.core.record import RunRecord, write_record
from pobench.harness.pipeline import CellFailed, new_record, run_cell
from pobench.harness.prepare import prepare
from pobench.harness.tracking import Tracker


def init_keeping_sigterm(ray, **options) -> None:
    """``ray.init(**options)``, quiet, without its SIGTERM handler: ``ray.init`` installs one that calls
    ``sys.exit(15)``, which would replace the command's (SIGTERM ends a sweep as Ctrl-C does, exit 130) and
    outlive the sweep."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main_thread else None
    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **options)
    if main_thread:
        signal.signal(signal.SIGTERM, previous)


def _cell_task(
    spec, source, out_dir: str, cache_dir: str | None, device: str, threads: int, wandb: dict | None = None
) -> dict:
    """Run one cell in a worker: its record (as JSON) and the folders of the wandb runs it logged."""
    torch.set_num_threads(threads)
    tracker = Tracker(**wandb) if wandb else None
    try:
        record, _ = run_cell(
            spec, source, Path(out_dir), Path(cache_dir) if cache_dir else None, device, lambda _: None, tracker=tracker
        )
    except CellFailed as failed:
        record = failed.record
    return {"record": record.to_json(), "run_dirs": tracker.run_dirs if tracker else []}


def _prepare_task(spec, source, cache_dir: str, device: str, threads: int) -> None:
    torch.set_num_threads(threads)
    task = spec.task_object(source.chat_tokenizer())
    cache = ArtifactCache(cache_dir, log=lambda _: None)
    prepare(spec, task=task, source=source, cache=cache, device=device, log=print)


def run_on_ray(
    queue,
    out_dir: Path,
    cache_dir: Path | None,
    device: str,
    address: str | None,
    cpus_per_cell: int,
    progress: SweepProgress,
    tracker: Tracker | None = None,
) -> bool:
    """Run the cells of ``queue`` (bench/harness/sweep.py's ``Queue``) and hand it each record; True if
    interrupted. ``progress`` is told each cell submitted and ended. ``tracker``: the sweep's wandb settings, which
    each cell's worker logs its run with; the folders of those runs are added to its ``run_dirs``.

    The driver keeps as many cells in flight as the cluster has slots and submits the next from the queue as
    one ends, so the cells a record makes (the placement's) run before those still queued."""
    try:
        import ray
    except ImportError:
        raise SettingsError("--executor ray needs Ray: pip install 'pobench[ray]' (or pip install ray)") from None

    started_here = not ray.is_initialized()
    if started_here:
        init_keeping_sigterm(ray, address=address)
    gpus = 1 if device.startswith("cuda") else 0
    cache = str(cache_dir or Path(out_dir) / "cache")
    options = dict(num_cpus=cpus_per_cell, num_gpus=gpus)
    cell_task = ray.remote(max_retries=1)(_cell_task).options(**options)
    prepare_task = ray.remote(max_retries=1)(_prepare_task).options(**options)
    pending: dict = {}
    try:
        prepare_groups(list(queue.todo), prepare_task, cache, device, cpus_per_cell, progress.note)
        queue.todo = collections.deque(submission_order(list(queue.todo)))
        slots = max(1, int(ray.cluster_resources().get("GPU" if gpus else "CPU", 1) // max(gpus, cpus_per_cell)))
        wandb = tracker.worker_settings() if tracker is not None and tracker.enabled else None

        def launch(spec, source):
            return cell_task.remote(
                spec, source, str(out_dir), str(cache_dir) if cache_dir else None, device, cpus_per_cell, wandb
            )

        def collect(ref, spec) -> RunRecord:
            return cell_record(ref, spec, Path(out_dir), device, tracker)

        run_cells(queue, pending, slots, launch, collect, progress)
        return False
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        return True
    finally:
        if started_here:
            ray.shutdown()


TICK_S = 1.0  # how often the bar's elapsed time and time left are redrawn while no cell ends


def ray_wait(refs: list, timeout: float) -> list:
    """Those of ``refs`` done within ``timeout`` seconds: one at most, none if none was."""
    import ray

    ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
    return ready


def run_cells(queue, pending: dict, slots: int, launch, collect, progress: SweepProgress, wait=ray_wait) -> None:
    """Keep ``slots`` cells in flight and hand the queue each record as its cell ends, until the queue and
    ``pending`` are empty. ``launch(spec, source)`` submits a cell, ``pending`` maps each in flight to its (cell,
    spec), ``collect(ref, spec)`` is the record of the cell ``ref`` ran, ``wait(refs, timeout)`` those of ``refs``
    done (ray.wait; a test's fakes stand in for all three). ``progress`` is told each cell submitted and ended."""
    progress.slots = slots

    def submit() -> None:
        while len(pending) < slots and (item := queue.pop()) is not None:
            cell, spec, source = item
            pending[launch(spec, source)] = (cell, spec)
            progress.start_cell((cell.algo, cell.label))

    submit()
    while pending:
        ready = wait(list(pending), TICK_S)
        if not ready:
            progress.refresh()
            continue
        for ref in ready:
            cell, spec = pending.pop(ref)
            record = collect(ref, spec)
            progress.end_cell((cell.algo, cell.label), *record_outcome(record))
            queue.done(record)
        submit()


def cell_record(ref, spec, out_dir: Path, device: str, tracker) -> RunRecord:
    """The record of the cell ``ref`` ran, with its wandb run folders added to ``tracker``'s; where the worker died
    twice, a ``failed`` record with the error, written here."""
    import ray

    try:
        result = ray.get(ref)
        record = RunRecord.from_json(result["record"])
        if tracker is not None:
            tracker.run_dirs += result["run_dirs"]
    except StorageError:  # the record could not be written, nor will the next one be: stop the sweep
        raise
    except Exception as exc:  # noqa: BLE001 - the worker died twice: record it, go on
        record = new_record(spec, device, error=f"ray: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        write_record(out_dir, record)
    return record


def prepare_groups(todo: Sequence[tuple[Any, Any, Any]], prepare_task, cache: str, device: str, threads: int, note):
    """One Ray task per shared-work group (task, model, settings, seed) builds its SFT model, data and reference
    samples into the cache before the cells: the first group alone (it builds what all groups share, the
    tokenizer and SFT model, which two tasks at once would both build), then the others side by side. Every
    artifact is built with the cells' thread count, so the floats are those a local sweep at that count makes."""
    import ray

    groups = {}
    for _, spec, source in todo:
        groups.setdefault((spec.task, spec.model, spec.sft, spec.data, spec.eval, spec.seed), (spec, source))
    note(f"ray: preparing shared work for {len(groups)} group(s), then {len(todo)} cells")
    prepared = list(groups.values())  # empty when every cell already has a record
    for wave in (prepared[:1], prepared[1:]):  # a wave is submitted once the one before it has finished
        for ref in [prepare_task.remote(spec, source, cache, device, threads) for spec, source in wave]:
            try:
                ray.get(ref)
            except Exception:  # noqa: BLE001 - the cells meet the same error and record it themselves
                pass


def submission_order(todo: Sequence[tuple[Any, Any, Any]]) -> list[tuple[Any, Any, Any]]:
    """Online cells (sampling while training, several times longer) first, so they do not leave one worker busy
    at the end while the others idle. Within each algorithm the seeds take turns, so the cells that start together
    build different seeds' shared work (PPO's reward model, best-of-n's pool of draws, DPO's reference log-probs)
    instead of one waiting for the other's."""
    first: dict[str, int] = {}  # where each algorithm's first cell stands: the algorithms keep their order
    turn: dict[Any, int] = {}
    keyed = []
    for index, item in enumerate(todo):
        spec = item[1]
        offline = ALGORITHMS.get(spec.algo).data != "prompts"
        key = (spec.algo, spec.seed)
        keyed.append(((offline, first.setdefault(spec.algo, index), turn.get(key, 0), index), item))
        turn[key] = turn.get(key, 0) + 1
    return [item for _, item in sorted(keyed, key=lambda pair: pair[0])]
