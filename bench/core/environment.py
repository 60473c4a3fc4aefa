"""The process and its machine: package versions, device, git commit (what a record says about where it was
made), the processes of a run, and how loud the libraries are."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import warnings
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
    root = Path(__file__).resolve().parents[2]  # the checkout: bench/core/environment.py
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


def world_size() -> int:
    """Processes in this run (``accelerate launch --num_processes N``); 1 for a plain run."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def main_process_first():
    """Under several processes: the main one runs the block first, then the others (which reuse its cache)."""
    if world_size() == 1:
        return contextlib.nullcontext()
    from accelerate import PartialState

    return PartialState().main_process_first()


def quiet_libraries(verbose: bool) -> None:
    """Keep pobench's own progress readable: library warnings and bars only with --verbose."""
    import transformers

    if verbose:
        return
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # TRL's own bars (reference precompute); pobench's bar opts back in
    warnings.filterwarnings("ignore")
    import datasets  # start-up time: only a command that runs work needs it

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
