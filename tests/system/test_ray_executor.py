"""--executor ray on a local Ray cluster started here: the same records as the local executor, and a
worker killed mid-cell is retried without losing finished cells."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest

from bench.cli import main
from bench.core.record import read_records

# --no-frontier: one cell per algorithm (a sweep runs each over its frontier grid unless told otherwise)
ONE_CELL = ["--no-frontier", "--set", "eval_prompts=16", "--set", "eval_samples=2"]
SMALL = ["--set", "train_examples=64", *ONE_CELL]


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
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
