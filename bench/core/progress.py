"""A sweep's progress: cell n of m, the current stage, elapsed time and an ETA.

Three modes: a progress bar on a terminal; plain lines (every log line of every cell) when stderr
is not a terminal; and ``quiet``, one line per cell and stage (and per shared artifact built), for log files.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from tqdm import tqdm


def eta_seconds(
    finished: dict[str, list[float]], remaining: Sequence[str], current: str | None = None, current_elapsed: float = 0.0
) -> float | None:
    """Seconds left: each remaining cell costs the mean of finished cells of its algorithm, or of all
    finished cells when its algorithm has not finished one yet; the current cell's elapsed time is
    subtracted from its estimate (never below zero). None until some cell has finished.

    Per-algorithm means matter because cells differ by 10× (a PPO cell against a DPO cell).
    """
    every = [t for times in finished.values() for t in times]
    if not every:
        return None
    overall = sum(every) / len(every)

    def cost(algo: str) -> float:
        times = finished.get(algo)
        return sum(times) / len(times) if times else overall

    left = sum(cost(a) for a in remaining)
    if current is not None:
        left += max(0.0, cost(current) - current_elapsed)
    return left


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class SweepProgress:
    def __init__(self, cells: Sequence[tuple[str, str]], mode: str = "auto", stream: TextIO | None = None) -> None:
        """``cells``: (algorithm, label) of every cell that will run; ``extend`` adds those that join later."""
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "lines"
        self.mode = mode
        self.cells = list(cells)
        self.waiting = list(self.cells)  # not started yet: what the ETA is made of
        self.current: tuple[str, str] | None = None
        self.finished: dict[str, list[float]] = {}
        self.index = -1
        self.stage_name = ""
        self.started = time.monotonic()
        self.cell_started = self.started
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
    def extend(self, cells: Sequence[tuple[str, str]]) -> None:
        """Cells that join the sweep while it runs (the placement's extra cells)."""
        self.cells += cells
        self.waiting += cells
        if self.bar is not None:
            self.bar.total = len(self.cells)
            self.bar.refresh()

    def start_cell(self, cell: tuple[str, str] | None = None) -> None:
        """``cell``: the (algorithm, label) starting, by default the first not started."""
        self.current = cell or self.waiting[0]
        self.waiting.remove(self.current)
        self.index += 1
        self.cell_started = time.monotonic()
        self.stage_name = "start"
        if self.mode != "bar":
            self._line(f"cell {self.index + 1}/{len(self.cells)}: {self.current[1]}  ({self._times()})")
        self._refresh("")

    def stage(self, name: str) -> None:
        self.stage_name = name
        if self.mode == "quiet":
            self._line(f"  {name}")
        self._refresh("")

    def message(self, text: str) -> None:
        """A log line from inside a cell: printed in lines mode, shown in the bar otherwise; in quiet mode
        only shared work being built (minutes, the first time) is printed."""
        if self.mode == "lines" or (self.mode == "quiet" and text.startswith(("cache: building", "cache: built"))):
            self._line(text)
        self._refresh(text.strip())

    def end_cell(self, status: str, summary: str) -> None:
        algo = self.current[0]
        seconds = time.monotonic() - self.cell_started
        self.finished.setdefault(algo, []).append(seconds)
        self._line(f"cell {self.index + 1}/{len(self.cells)} {status} in {format_duration(seconds)}: {summary}")
        if self.bar is not None:
            self.bar.update(1)

    def note(self, text: str) -> None:
        """A line for every mode (skipped cells, warnings)."""
        self._line(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    # -- output ------------------------------------------------------------------------------------
    def eta(self) -> float | None:
        remaining = [algo for algo, _ in self.waiting]
        current = self.current[0] if self.current is not None else None
        return eta_seconds(self.finished, remaining, current, time.monotonic() - self.cell_started)

    def _times(self) -> str:
        return f"elapsed {format_duration(time.monotonic() - self.started)}, ETA {format_duration(self.eta())}"

    def _refresh(self, text: str) -> None:
        if self.bar is None or self.index < 0:
            return
        label = self.current[1]
        detail = f" · {text[:40]}" if text else ""
        self.bar.set_description_str(
            f"cell {self.index + 1}/{len(self.cells)} · {label} · {self.stage_name}{detail} · {self._times()}"
        )

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)
