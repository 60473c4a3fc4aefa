"""A sweep's progress: cells done of all, elapsed time and time left, one cell at a time or several in flight.

Three modes: a progress bar on a terminal; plain lines (every log line of every cell) when stderr
is not a terminal; and ``quiet``, one line per cell and stage (and per shared artifact built), for log files.
The local executor runs one cell at a time and shows its stage; the Ray executor runs ``slots`` at once
(bench/harness/ray_executor.py), and the bar then shows how many are running. Either way each finished cell
gets one line: its label (with its knob values), its status and time, its gold reward and KL or its error.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from tqdm import tqdm

if TYPE_CHECKING:
    from pobench.core.record import RunRecord

CellId = tuple[str, str]  # (algorithm, label): what progress knows of a cell


def eta_seconds(
    finished: dict[str, list[float]],
    remaining: Sequence[str],
    running: Sequence[tuple[str, float]] = (),
    slots: int = 1,
) -> float | None:
    """Seconds left: each remaining cell (its algorithm) costs the mean of finished cells of its algorithm, or of
    all finished cells when its algorithm has not finished one yet; a running cell (its algorithm, seconds so far)
    costs its estimate less its elapsed time (never below zero). The sum is shared by ``slots`` cells at a time,
    but never ends before the longest single cost: a cell is not split across slots. None until a cell finished.

    Per-algorithm means matter because cells differ by 10× (a PPO cell against a DPO cell).
    """
    every = [t for times in finished.values() for t in times]
    if not every:
        return None
    overall = sum(every) / len(every)

    def cost(algo: str) -> float:
        times = finished.get(algo)
        return sum(times) / len(times) if times else overall

    costs = [cost(a) for a in remaining] + [max(0.0, cost(a) - elapsed) for a, elapsed in running]
    return max(sum(costs) / max(1, slots), max(costs, default=0.0))


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def record_outcome(record: RunRecord) -> tuple[str, str, float | None]:
    """What ``SweepProgress.end_cell`` is told of a cell's record: its status (upper case unless ``ok``, so a
    failure stands out), its gold reward and KL and/or its error, and its own time (None where not recorded)."""
    parts = []
    if {"eval/reward", "eval/kl"} <= record.metrics.keys():
        parts.append(f"gold reward {record.metrics['eval/reward']:+.3f}, KL {record.metrics['eval/kl']:.2f}")
    if record.error:
        parts.append(record.error)
    status = record.status if record.status == "ok" else record.status.upper()
    return status, "; ".join(parts), record.timings.get("total_s")


class SweepProgress:
    """``start_cell`` and ``end_cell`` name the cell, so several may be in flight; ``slots`` (1, the local executor;
    set by the Ray executor to the cells it runs at once) shares the time left between them."""

    def __init__(self, cells: Sequence[CellId], mode: str = "auto", stream: TextIO | None = None) -> None:
        """``cells``: (algorithm, label) of every cell that will run; ``extend`` adds those that join later."""
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "lines"
        self.mode = mode
        self.slots = 1
        self.cells = list(cells)
        self.waiting = list(self.cells)  # not started yet: what the time left is made of
        self.running: list[tuple[CellId, float]] = []  # in flight, with when each started
        self.finished: dict[str, list[float]] = {}
        self.started_count = 0
        self.done = 0
        self.stage_name = ""
        self.detail = ""
        self.started = time.monotonic()
        self.bar = None
        if mode == "bar" and self.cells:
            size = shutil.get_terminal_size(
                (100, 24)
            )  # a terminal that reports 0×0 gets 100×24 (tqdm hides bars at 0 rows)
            self.bar = tqdm(
                total=len(self.cells),
                file=self.stream,
                bar_format="{bar:12} {desc}",
                disable=False,  # explicit: TQDM_DISABLE (set to quiet the libraries' bars) must not hide this one
                ncols=size.columns,
                nrows=size.lines,
            )

    # -- events ------------------------------------------------------------------------------------
    def extend(self, cells: Sequence[CellId]) -> None:
        """Cells that join the sweep while it runs (the placement's extra cells)."""
        self.cells += cells
        self.waiting += cells
        if self.bar is not None:
            self.bar.total = len(self.cells)
            self.refresh()

    def start_cell(self, cell: CellId | None = None) -> None:
        """``cell`` (algorithm, label) starts (or is submitted), by default the first not started."""
        cell = cell or self.waiting[0]
        self.waiting.remove(cell)
        self.running.append((cell, time.monotonic()))
        self.started_count += 1
        self.stage_name, self.detail = "start", ""
        if self.mode != "bar":
            if self.slots == 1:
                self._line(f"cell {self.started_count}/{len(self.cells)}: {cell[1]}  ({self._times()})")
            else:  # numbered when they end: cells do not end in the order they start
                self._line(f"started: {cell[1]}  ({len(self.running)} running)")
        self.refresh()

    def stage(self, name: str) -> None:
        self.stage_name, self.detail = name, ""
        if self.mode == "quiet":
            self._line(f"  {name}")
        self.refresh()

    def message(self, text: str) -> None:
        """A log line from inside a cell: printed in lines mode, shown in the bar otherwise; in quiet mode
        only shared work being built (minutes, the first time) is printed."""
        if self.mode == "lines" or (self.mode == "quiet" and text.startswith(("cache: building", "cache: built"))):
            self._line(text)
        self.detail = text.strip()
        self.refresh()

    def end_cell(self, cell: CellId, status: str, summary: str, seconds: float | None = None) -> None:
        """``cell`` ended: ``summary`` its result or error; ``seconds`` its own time, by default the time since it
        started. Prints ``cell k/N status in T: label: summary · elapsed …, time left …`` (k: cells done)."""
        index = next(i for i, (c, _) in enumerate(self.running) if c == cell)
        _, began = self.running.pop(index)
        wall = time.monotonic() - began
        # the time left is reckoned in wall time, as the running cells' elapsed time is: under Ray that includes
        # a worker's start-up (seconds), which the record's own time leaves out
        self.finished.setdefault(cell[0], []).append(wall)
        seconds = wall if seconds is None else seconds
        self.done += 1
        result = f"{cell[1]}: {summary}" if summary else cell[1]
        self._line(
            f"cell {self.done}/{len(self.cells)} {status} in {format_duration(seconds)}: {result} · {self._times()}"
        )
        if self.bar is not None:
            self.bar.update(1)
            self.refresh()

    def note(self, text: str) -> None:
        """A line for every mode (skipped cells, warnings)."""
        self._line(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    # -- output ------------------------------------------------------------------------------------
    def eta(self) -> float | None:
        now = time.monotonic()
        running = [(cell[0], now - began) for cell, began in self.running]
        return eta_seconds(self.finished, [algo for algo, _ in self.waiting], running, self.slots)

    def _times(self) -> str:
        return f"elapsed {format_duration(time.monotonic() - self.started)}, time left {format_duration(self.eta())}"

    def refresh(self) -> None:
        """Redraw the bar (elapsed and time left move on between events: the Ray executor calls this each second)."""
        if self.bar is None or self.started_count == 0:
            return
        if self.slots == 1 and len(self.running) == 1:  # one cell at a time: which, and its stage
            detail = f" · {self.detail[:40]}" if self.detail else ""
            where = f"cell {self.started_count}/{len(self.cells)} · {self.running[0][0][1]} · {self.stage_name}{detail}"
        else:
            where = f"{self.done}/{len(self.cells)} cells done · {len(self.running)} running"
        self.bar.set_description_str(f"{where} · {self._times()}")

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)
