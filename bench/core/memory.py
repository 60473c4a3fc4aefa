"""Memory: what one stage of a cell adds at its peak, and the process's peak.

On CUDA the allocator counts its own bytes. On a Linux CPU the stage's figure is the resident set's high-water mark,
reset when the stage starts (writing 5 to /proc/self/clear_refs, Linux ≥ 4.0), less the resident set then: the
models, optimizer state, activations and data the stage held at once, on top of what the process already held
(libraries, the interpreter, caches). The resident set cannot tell memory in use from memory the C allocator keeps
after a free: memory freed inside the stage and not handed back makes the figure read high (a suite-long process
read 384 MB for a stage holding 256 MiB at once), and memory kept from before the stage and reused makes it read low;
``malloc_trim`` at the stage's start narrows the second. Elsewhere than CUDA and Linux it is not measured.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import re
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

STATUS, CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")
_lifetime_kib = 0  # the process's resident peak before the last reset of its high-water mark


def status_kib(text: str, field: str) -> int:
    """A ``/proc/self/status`` field in KiB (``VmRSS``, ``VmHWM``)."""
    match = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.MULTILINE)
    if match is None:
        raise ValueError(f"/proc/self/status has no {field} line")
    return int(match.group(1))


@dataclass
class StagePeak:
    """Filled in when the stage ends; None where it was not measured."""

    added_mb: float | None = None  # the stage's peak less what the process held when it started
    peak_mb: float | None = None  # the process's peak over the stage (CUDA: allocated bytes)
    steps_added_mb: float | None = None  # the same from ``steps_begin`` on (setup, e.g. a reference's passes, apart)
    _read: Callable[[], float] | None = field(default=None, repr=False)  # the peak since the last reset, in MiB
    _reset: Callable[[], None] | None = field(default=None, repr=False)
    _start_mb: float = field(default=0.0, repr=False)
    _setup_peak_mb: float | None = field(default=None, repr=False)

    def steps_begin(self) -> None:
        """The optimizer steps begin: keep the peak so far, and measure the steps' own from here."""
        if self._read is not None:
            self._setup_peak_mb = self._read()
            self._reset()

    def _finish(self) -> None:
        last = self._read()
        self.peak_mb = max(last, self._setup_peak_mb or 0.0)
        self.added_mb = max(0.0, self.peak_mb - self._start_mb)
        if self._setup_peak_mb is not None:
            self.steps_added_mb = max(0.0, last - self._start_mb)

    def as_metrics(self) -> dict[str, float]:
        """The train stage's figures under their record names; none where not measured."""
        if self.added_mb is None:
            return {}
        out = {"perf/train_mem_mb": self.added_mb, "perf/train_peak_mem_mb": self.peak_mb}
        if self.steps_added_mb is not None:
            out["perf/train_steps_mem_mb"] = self.steps_added_mb
        return out


def reset_resident_peak() -> bool:
    """Reset this process's resident high-water mark, keeping its lifetime peak for ``process_peak_mb``; False
    where the kernel does not let us (not Linux, or /proc read-only)."""
    global _lifetime_kib
    _lifetime_kib = max(_lifetime_kib, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    try:
        CLEAR_REFS.write_text("5")
        status_kib(STATUS.read_text(), "VmHWM")
    except (OSError, ValueError):
        return False
    return True


def release_free_memory() -> None:
    """Hand the memory freed objects left in the C allocator back to the system (glibc's malloc_trim), so that the
    stage's own allocations show in the resident set rather than reusing what an earlier cell left; a no-op
    elsewhere."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _resident_mb(field_name: str) -> float:
    return status_kib(STATUS.read_text(), field_name) / 1024


@contextlib.contextmanager
def stage_peak(device: str):
    """Measure the memory the enclosed stage adds at its peak (``StagePeak``)."""
    out = StagePeak()
    if device.startswith("cuda"):
        out._read = lambda: torch.cuda.max_memory_allocated() / 2**20
        out._reset = torch.cuda.reset_peak_memory_stats
        out._reset()
        out._start_mb = torch.cuda.memory_allocated() / 2**20
    else:
        release_free_memory()
        if not reset_resident_peak():
            yield out
            return
        out._read = lambda: _resident_mb("VmHWM")
        out._reset = reset_resident_peak
        out._start_mb = _resident_mb("VmRSS")
    yield out
    out._finish()


def process_peak_mb(device: str) -> float:
    """CUDA max allocated since the last reset, else this process's peak resident set size over its life."""
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return max(_lifetime_kib, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024  # Linux reports KiB
