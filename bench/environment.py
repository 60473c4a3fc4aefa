"""What a record says about where it was made: package versions, device, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

PACKAGES = ("pobench", "torch", "transformers", "trl", "datasets", "tokenizers", "accelerate", "vaderSentiment")


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def pick_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{cpu_model()} ({torch.get_num_threads()} threads)"


def cpu_model() -> str:
    """The processor's model name ("AMD EPYC 7B13"): floats differ between CPU models, so records name it."""
    try:
        lines = Path("/proc/cpuinfo").read_text().split("\n\n")[0].splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    info = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    name = info.get("model name") or info.get("hardware") or platform.processor() or platform.machine()
    detail = ", ".join(f"{k} {info[k]}" for k in ("cpu family", "model", "stepping") if info.get(k))
    return f"{name} ({detail})" if detail else name


def git_commit() -> str:
    """The commit of the pobench checkout (with '+dirty' for uncommitted changes), or 'unknown'."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(device: str) -> dict:
    return {
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "device_name": device_name(device),
        "cpu_model": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "git_commit": git_commit(),
    }


def peak_memory_mb(device: str) -> float:
    """CUDA max allocated since the last reset, else this process's peak resident set size."""
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
