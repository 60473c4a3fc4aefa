"""Sweeps: failures isolated, resume after kill -9, Ctrl-C and SIGTERM, atomic records, one sweep per folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from pobench.core.record import RunRecord, read_records

from tests.helpers import ROOT

# processes of their own (Ray workers, torchrun, a killed sweep): one at a time, on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("processes")


def three_cell_sweep(bench_dirs, out) -> tuple[list[str], dict[str, str]]:
    """A sweep of sft, DPO (64 steps) and CPO on tiny, seed 0, and its environment."""
    command = [
        sys.executable, "-m", "pobench.cli", "sweep", "--algos", "sft,dpo,cpo", "--seeds", "0", "--no-frontier",
        "--set", "train_examples=512", "--set", "eval_prompts=16", "--set", "eval_samples=2",
        "--out", str(out), "--cache", str(bench_dirs["cache"]), "--quiet",
    ]  # fmt: skip
    return command, {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def signalled_in_second_cell(command, env, signum: int) -> tuple[subprocess.Popen, str]:
    """Run ``command`` and send ``signum`` as soon as its second cell (DPO) starts training; the process, ended,
    and what it wrote to stderr."""
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if any(s.startswith("cell 2/3") for s in seen) and line.strip() == "train":
            proc.send_signal(signum)
            break
    seen.extend(proc.stderr)
    proc.wait(timeout=60)
    return proc, "".join(seen)


def test_sweep_killed_mid_cell_resumes_without_redoing_finished_cells(bench_dirs, default_cells, tmp_path):
    out = tmp_path / "results"
    command, env = three_cell_sweep(bench_dirs, out)
    proc, seen = signalled_in_second_cell(command, env, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL, seen
    finished = read_records(out)
    assert [r.algo for r in finished] == ["sft"]  # the DPO cell was killed before its record
    first = {p.name: p.read_bytes() for p in (out / "records").glob("*.json")}
    # what a crash in the middle of a write leaves behind: a temporary file, never read as a record
    (out / "records" / ".tmp-dpo-half-written.json").write_text('{"spec": {"algo": "dp')

    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "resuming: 1 of 3 cells already have a record" in rerun.stderr and "ran 2, skipped 1" in rerun.stderr
    records = {r.algo: r for r in read_records(out)}
    assert set(records) == {"sft", "dpo", "cpo"} and all(r.status == "ok" for r in records.values())
    assert all((out / "records" / name).read_bytes() == data for name, data in first.items())  # untouched
    for path in (out / "records").glob("*.json"):
        if not path.name.startswith(".tmp-"):
            RunRecord.from_json(json.loads(path.read_text()))  # every record parses
    assert "dpo" in (out / "leaderboard.md").read_text() and (out / "leaderboard.html").stat().st_size > 1000


def test_sigterm_records_the_running_cell_as_interrupted_and_says_how_to_resume(bench_dirs, default_cells, tmp_path):
    """kill PID (a job scheduler's stop, or the way to stop a sweep a script started in the background, where SIGINT
    is ignored) ends the sweep as Ctrl-C does, rather than killing it on the spot."""
    out = tmp_path / "results"
    command, env = three_cell_sweep(bench_dirs, out)
    proc, seen = signalled_in_second_cell(command, env, signal.SIGTERM)
    assert proc.returncode == 130, seen
    assert "pobench: sweep interrupted; run the same command again to resume" in seen and "Traceback" not in seen
    records = {r.algo: r for r in read_records(out)}
    assert records["sft"].status == "ok" and "cpo" not in records
    assert records["dpo"].status == "interrupted" and records["dpo"].error == "train: KeyboardInterrupt: SIGTERM"
