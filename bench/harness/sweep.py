"""Run a sweep's cells in order: skip what is finished, isolate failures, then write the leaderboard.

Resume is by record: a cell's record path is a function of its resolved spec (``record_path``),
records are written atomically, so after a crash at any point a record either exists whole or
not at all. An ``ok`` record is never rerun; a ``failed`` or ``diverged`` one only with
``retry_failed``; an ``interrupted`` one (Ctrl-C) always is.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pobench.core.environment import pick_device
from pobench.core.progress import SweepProgress, record_outcome
from pobench.core.record import RunRecord, read_record, record_path
from pobench.harness.pipeline import CellFailed, run_cell
from pobench.harness.prepare import key_versions
from pobench.harness.ray_executor import run_on_ray


class SweepLocked(RuntimeError):
    """Another sweep is writing to the same results folder."""


class VersionSplit(RuntimeError):
    """The cells still to run would get other comparability keys than the records of the same task and model in
    the folder: the library versions that enter the keys differ."""


@dataclass
class SweepOutcome:
    ran: list[RunRecord] = field(default_factory=list)
    skipped: list[RunRecord] = field(default_factory=list)
    interrupted: bool = False
    wall_s: float = 0.0

    @property
    def records(self) -> list[RunRecord]:
        return self.skipped + self.ran

    @property
    def failures(self) -> list[RunRecord]:
        """Cells that did not finish (a degenerate cell finished: it is a result, flagged on the leaderboard)."""
        return [r for r in self.records if r.status not in FINISHED]


@contextlib.contextmanager
def results_lock(out_dir: Path) -> Iterator[None]:
    """One sweep per results folder at a time. The OS drops the lock when the process dies, kill -9 included."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise SweepLocked(
                f"{out_dir} is in use by another sweep (pid {holder}); wait for it, or give --out another folder"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def existing_record(path: Path, note=print) -> RunRecord | None:
    """The record at ``path`` if it is whole. One that does not parse is moved aside (kept, not lost)."""
    if not path.exists():
        return None
    try:
        return read_record(path)
    except (ValueError, TypeError) as exc:
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        path.rename(aside)
        note(f"warning: {path} could not be read ({exc}); moved to {aside.name} and the cell will run again")
        return None


FINISHED = ("ok", "degenerate")


def should_skip(record: RunRecord | None, retry_failed: bool) -> bool:
    if record is None or record.status == "interrupted":
        return False
    if record.status in FINISHED:  # a degenerate cell would degenerate again: the same seed, the same floats
        return True
    return not retry_failed  # failed / diverged


def run_sweep(
    resolved: Sequence[tuple[Any, Any, Any]],
    out_dir: Path,
    cache_dir: Path | None = None,
    device: str | None = None,
    retry_failed: bool = False,
    progress_mode: str = "auto",
    stream=None,
    tracker=None,
    executor: str = "local",
    address: str | None = None,
    cpus_per_cell: int = 1,
    follow_up: FollowUp | None = None,
) -> SweepOutcome:
    """Run every (cell, spec, source) whose record is not already there. Ctrl-C stops after recording the
    interrupted cell; the outcome says so and what ran. ``executor="ray"``: cells as Ray tasks
    (bench/harness/ray_executor.py); the resume checks, records and outcome are the same.

    ``follow_up(record)`` is told every record, skipped or run, and returns more cells to run (the placement's
    extra cells); they are checked for a record like the others and run before the cells still queued."""
    out_dir = Path(out_dir)
    outcome = SweepOutcome()
    start = time.monotonic()
    with results_lock(out_dir):
        queue = Queue(out_dir, retry_failed, follow_up or (lambda record: []), outcome, stream)
        queue.add(resolved)
        pending = {(spec.task, spec.model) for _, spec, _ in queue.todo}
        if (split := version_split(outcome.skipped, pending, key_versions())) is not None:
            raise VersionSplit(f"{out_dir} {split}")
        progress = SweepProgress([(c.algo, c.label) for c, _, _ in queue.todo], progress_mode, stream)
        queue.progress = progress
        if outcome.skipped:
            failed = sum(r.status != "ok" for r in outcome.skipped)
            progress.note(
                f"resuming: {len(outcome.skipped)} of {len(resolved)} cells already have a record"
                + (f" ({failed} failed; --retry-failed runs them again)" if failed else "")
            )
        try:
            if executor == "ray":
                outcome.interrupted = run_on_ray(
                    queue, out_dir, cache_dir, device or pick_device(), address, cpus_per_cell, progress, tracker
                )
            else:
                _run_local(queue, progress, out_dir, cache_dir, device, tracker)
        finally:
            progress.close()
    outcome.wall_s = time.monotonic() - start
    return outcome


def version_split(records: Sequence[RunRecord], pending: set[tuple[str, str]], versions: dict[str, str]) -> str | None:
    """Why cells still to run, of the (task, model) pairs in ``pending``, would never be compared with ``records``
    of the same pairs made with other ``versions`` of the libraries that enter every comparability key; None if
    none were. Resuming a sweep on a machine whose pip picked a newer transformers split a reference in two."""
    differ: dict[str, set[str]] = collections.defaultdict(set)
    pairs = set()
    for record in records:
        if (record.task, record.model) not in pending:
            continue
        packages = (record.environment or {}).get("packages", {})
        for name, version in versions.items():
            if packages.get(name, version) != version:
                differ[name].add(packages[name])
                pairs.add(f"{record.task} × {record.model}")
    if not differ:
        return None
    theirs = ", ".join(f"{name} {' and '.join(sorted(seen))}" for name, seen in sorted(differ.items()))
    ours = ", ".join(f"{name} {versions[name]}" for name in sorted(differ))
    if all(len(seen) == 1 for seen in differ.values()):
        install = " ".join(f"{name}=={seen.pop()}" for name, seen in sorted(differ.items()))
        fix = f"Install the records' versions to resume (pip install {install}), or give another --out"
    else:
        fix = "Its records are already split between versions: give another --out"
    return (
        f"holds records of {', '.join(sorted(pairs))} made with {theirs}; this process has {ours}. These versions "
        f"enter the SFT model's cache key and so every comparability key, so the cells still to run would never be "
        f"compared with those records. {fix}"
    )


FollowUp = Callable[[RunRecord], Sequence[tuple[Any, Any, Any]]]


class Queue:
    """The cells still to run, in order: follow-up cells go first. Every record, skipped or run, is handed to
    ``follow_up``; what it returns is checked for a record like the sweep's own cells."""

    def __init__(self, out_dir: Path, retry_failed: bool, follow_up: FollowUp, outcome: SweepOutcome, stream) -> None:
        self.out_dir, self.retry_failed, self.follow_up = out_dir, retry_failed, follow_up
        self.outcome, self.stream = outcome, stream
        self.todo: collections.deque = collections.deque()
        self.progress: SweepProgress | None = None

    def add(self, cells: Sequence[tuple[Any, Any, Any]], first: bool = False) -> None:
        fresh = []
        for cell, spec, source in cells:
            path = record_path(self.out_dir, spec.flat(), spec.hash())
            previous = existing_record(path, note=lambda text: print(text, file=self.stream))
            if should_skip(previous, self.retry_failed):
                self.outcome.skipped.append(previous)
                self.add(self.follow_up(previous), first=True)
            else:
                fresh.append((cell, spec, source))
        if self.progress is not None:
            self.progress.extend([(c.algo, c.label) for c, _, _ in fresh])
        if first:
            self.todo.extendleft(reversed(fresh))
        else:
            self.todo.extend(fresh)

    def done(self, record: RunRecord) -> None:
        """A cell ran: its follow-ups join the front of the queue."""
        self.outcome.ran.append(record)
        self.add(self.follow_up(record), first=True)

    def pop(self):
        return self.todo.popleft() if self.todo else None


def _run_local(queue: Queue, progress: SweepProgress, out_dir, cache_dir, device, tracker) -> None:
    while (item := queue.pop()) is not None:
        cell, spec, source = item
        progress.start_cell((cell.algo, cell.label))
        try:
            record, _ = run_cell(
                spec, source, out_dir, cache_dir, device, log=progress.message, on_stage=progress.stage, tracker=tracker
            )
        except CellFailed as failed:
            record = failed.record
        except KeyboardInterrupt:
            queue.outcome.interrupted = True
            return
        progress.end_cell((cell.algo, cell.label), *record_outcome(record))
        queue.done(record)


def stage_totals(records: Sequence[RunRecord]) -> dict[str, float]:
    """Seconds per stage summed over records: where a sweep's time went."""
    totals: dict[str, float] = {}
    for r in records:
        for stage in ("prepare_s", "train_s", "eval_s", "total_s"):
            totals[stage] = totals.get(stage, 0.0) + float(r.timings.get(stage, 0.0))
    return totals
