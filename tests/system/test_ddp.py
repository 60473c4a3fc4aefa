"""One cell on two processes (DDP over gloo, on CPU) through torchrun, as TRL's trainers support."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

# processes of their own (Ray workers, torchrun, a killed sweep): one at a time, on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("processes")


def test_one_cell_on_two_processes(bench_dirs, default_cells, tmp_path):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or "torchrun"
    out = tmp_path / "results"
    command = [
        torchrun, "--nproc_per_node", "2", "-m", "pobench.cli", "run", "dpo",
        "--set", "train_examples=64", "--set", "eval_prompts=16", "--set", "eval_samples=2",
        "--out", str(out), "--cache", str(bench_dirs["cache"]),
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("| dpo ") == 1  # the main process reports; the other only trains
    (path,) = (out / "records").glob("*.json")
    record = json.loads(path.read_text())
    assert record["status"] == "ok"
    # the budget's batch (8) is global: 4 per process, so the same 8 optimizer steps as in one process
    assert record["metrics"]["perf/train_steps"] == 8.0 and record["metrics"]["eval/kl"] > 0
