"""--executor ray on a local Ray cluster started here: the same records as the local executor, the same wandb
runs, and a worker killed mid-cell is retried without losing finished cells."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest
from pobench.cli import main
from pobench.core.record import read_records
from pobench.harness.ray_executor import init_keeping_sigterm

from tests.helpers import assert_run_matches_record, sweep_runs

# processes of their own (Ray workers, torchrun, a killed sweep): one at a time, on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("processes")

# --no-frontier: one cell per algorithm (a sweep runs each over its frontier grid unless told otherwise)
ONE_CELL = ["--no-frontier", "--set", "eval_prompts=16", "--set", "eval_samples=2"]
SMALL = ["--set", "train_examples=64", *ONE_CELL]


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    init_keeping_sigterm(ray, num_cpus=2)  # ray.init's own handler (sys.exit) would outlive it in pytest's process
    yield ray
    ray.shutdown()


def sweep(out, cache, algos, *extra):
    args = ["sweep", "--algos", algos, "--seeds", "0", *SMALL, "--out", str(out), "--cache", str(cache), "--quiet"]
    return main([*args, *extra])


def test_ray_executor_gives_the_local_executor_records(local_ray, bench_dirs, default_cells, tmp_path, capsys):
    """Bit-equal eval metrics are claimed for the same machine and the same torch thread count: a Ray cell runs
    with --cpus-per-cell threads, so the local sweep runs with as many (1). Another thread count (or CPU) sums
    in another order, and metrics then differ in their last digits (CPO's eval/kl did in the 8th)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as --cpus-per-cell 1 gives each Ray cell
    try:
        assert sweep(tmp_path / "local", bench_dirs["cache"], "sft,dpo,cpo") == 0
    finally:
        torch.set_num_threads(threads)
    assert sweep(tmp_path / "ray", bench_dirs["cache"], "sft,dpo,cpo", "--executor", "ray", "--cpus-per-cell", "1") == 0
    assert "ray: preparing shared work for 1 group(s), then 3 cells" in capsys.readouterr().err
    local = {r.spec_hash: r for r in read_records(tmp_path / "local")}
    on_ray = {r.spec_hash: r for r in read_records(tmp_path / "ray")}
    assert set(local) == set(on_ray) and len(local) == 3
    for key, record in local.items():
        evaluated = {k: v for k, v in record.metrics.items() if k.startswith("eval/")}
        assert evaluated == {k: v for k, v in on_ray[key].metrics.items() if k.startswith("eval/")}, record.algo
    # resume works the same: nothing left to run
    assert sweep(tmp_path / "ray", bench_dirs["cache"], "sft,dpo,cpo", "--executor", "ray") == 0
    assert "ran 0, skipped 3" in capsys.readouterr().err


def test_a_worker_killed_mid_cell_is_retried(local_ray, bench_dirs, default_cells, tmp_path, capsys):
    killed = []

    def kill_first_dpo_worker():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            found = subprocess.run(["pgrep", "-f", "ray::_cell_task"], capture_output=True, text=True).stdout.split()
            if found:
                time.sleep(1.0)  # well inside the cell
                subprocess.run(["kill", f"-{int(signal.SIGKILL)}", found[0]])
                killed.append(found[0])
            time.sleep(0.1)

    watcher = threading.Thread(target=kill_first_dpo_worker, daemon=True)
    watcher.start()
    out = tmp_path / "results"
    args = ["--set", "train_examples=512", "--executor", "ray", "--cpus-per-cell", "2"]
    assert main(["sweep", "--algos", "dpo", "--seeds", "0", *ONE_CELL,
                 "--out", str(out), "--cache", str(bench_dirs["cache"]), "--quiet", *args]) == 0  # fmt: skip
    watcher.join(timeout=5)
    assert killed, "no cell worker was seen to kill"
    records = read_records(out)
    assert len(records) == 1 and records[0].status == "ok"  # Ray ran the cell again after the kill


def test_ray_cells_log_the_wandb_runs_local_cells_log(local_ray, bench_dirs, default_cells, tmp_path, capsys):
    out = tmp_path / "results"
    ray_args = ["--executor", "ray", "--cpus-per-cell", "1", "--wandb", "offline", "--name", "on-ray"]
    assert sweep(out, bench_dirs["cache"], "sft,dpo", *ray_args) == 0
    assert f"wandb: 3 offline run(s) in {out / 'wandb'}" in capsys.readouterr().err
    records, runs = sweep_runs(out)
    assert set(runs) == {"sft-sentiment-tiny-seed0", "dpo-sentiment-tiny-seed0", "on-ray-leaderboard"}
    for algo, record in records.items():
        run = runs[f"{algo}-sentiment-tiny-seed0"]
        assert (run.group, run.job_type, run.exit_code) == ("on-ray", algo, 0)
        assert_run_matches_record(run, record)
        logged = [(row["train/global_step"], row["train/loss"]) for row in run.history if "train/loss" in row]
        assert logged == [(row["step"], row["train/loss"]) for row in record.curve if "train/loss" in row]
    assert len([row for row in runs["dpo-sentiment-tiny-seed0"].history if "train/loss" in row]) > 0
