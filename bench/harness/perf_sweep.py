"""Benchmark: a sweep against the same cells run one by one, each `pobench run` in a fresh process.

    pobench dev perf-sweep [--seeds 0-2] [--algos a,b] [--baseline cold,warm] [--out DIR]

Prints the sweep's wall time split by stage, then for each baseline the sum of the one-by-one wall
times and the ratio sweep / baseline. Baselines:

- ``cold``: every cell in a fresh process with its own empty cache: nothing is shared, each cell
  builds its tokenizer, SFT model, preference data (and reward model, reference log-probs).
- ``warm``: fresh processes sharing one cache folder: shared work is reused through the disk, and
  what is left is per-process start-up and loading.

The sweep also starts from an empty cache, so its time includes building the shared work once.
Run nothing else heavy on the machine meanwhile: on 2 cores a second process halves both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pobench.algorithms import ALGORITHMS
from pobench.core.params import SettingsError
from pobench.core.record import read_records
from pobench.harness.grid import DEFAULT_ALGOS
from pobench.harness.spec import parse_seed
from pobench.harness.sweep import stage_totals

BASELINES = ("cold", "warm")


def timed(command: list[str], label: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: a cell failed, which is a result, not a broken benchmark
        sys.exit(f"{label} exited {done.returncode}:\n{done.stderr[-3000:]}")
    print(f"  {label}: {seconds:.1f}s", flush=True)
    return seconds


def stage_split(out: Path) -> dict[str, float]:
    return stage_totals(read_records(out))


def perf_sweep(algos: Sequence[str], seeds: Sequence[str], baselines: Sequence[str], folder: Path) -> int:
    """Time a sweep of one cell per algorithm and seed against the same cells run one by one for each of
    ``baselines`` (cold, warm), in ``folder`` (emptied first), print the times and write them to folder/perf.json.
    A bad algorithm, seed or baseline is a SettingsError (or RegistryError) before anything is emptied or run."""
    for kind in baselines:
        if kind not in BASELINES:
            raise SettingsError(f"--baseline {kind!r}: use {' and/or '.join(BASELINES)}, e.g. --baseline cold,warm")
    if not algos:
        raise SettingsError(f"--algos: name at least one algorithm, e.g. --algos {DEFAULT_ALGOS[0]}")
    for algo in algos:
        ALGORITHMS.get(algo)  # an unknown name: RegistryError, with the registered ones
    if not seeds:
        raise SettingsError("--seeds: give at least one seed, e.g. --seeds 0,1,2")
    for seed in seeds:
        parse_seed(seed)
    root = Path(folder)
    shutil.rmtree(root, ignore_errors=True)
    algos_text, seeds_text = ",".join(algos), ",".join(seeds)
    cli = [sys.executable, "-m", "pobench.cli"]

    print(f"sweep: {len(algos)} algorithms × seeds {seeds_text}, empty cache", flush=True)
    sweep_out = root / "sweep"
    # one cell per algorithm and seed at its defaults, as the one-by-one baseline runs them
    sweep_s = timed([*cli, "sweep", "--algos", algos_text, "--seeds", seeds_text, "--no-frontier",
                     "--out", str(sweep_out), "--quiet"], "sweep")  # fmt: skip
    stages = stage_split(sweep_out)
    result = {"cells": len(algos) * len(seeds), "sweep_s": sweep_s, "sweep_stages_s": stages, "baselines": {}}

    for kind in baselines:
        print(f"one by one ({kind}): `pobench run` per cell in a fresh process", flush=True)
        total = 0.0
        for seed in seeds:
            for algo in algos:
                cell_dir = root / kind / (f"{algo}-{seed}" if kind == "cold" else "shared")
                command = [*cli, "run", algo, "--seed", seed, "--out", str(cell_dir)]
                total += timed(command, f"{algo} seed {seed}")
        result["baselines"][kind] = {"sum_s": total, "ratio": sweep_s / total}

    print()
    print(f"cells: {result['cells']}  ({algos_text}; seeds {seeds_text})")
    print(f"sweep wall: {sweep_s:.1f}s")
    other = sweep_s - stages.get("total_s", 0.0)
    print(
        "  by stage (summed over cells): "
        + ", ".join(f"{k[:-2]} {stages.get(k, 0.0):.1f}s" for k in ("prepare_s", "train_s", "eval_s"))
        + f"; outside cells (start-up, resume checks, leaderboard, plots) {other:.1f}s"
    )
    for kind, figures in result["baselines"].items():
        print(f"one by one, {kind}: {figures['sum_s']:.1f}s  →  ratio sweep / one-by-one = {figures['ratio']:.2f}")
    (root / "perf.json").write_text(json.dumps(result, indent=2))
    return 0
