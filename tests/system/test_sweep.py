"""Sweeps: failures isolated, resume after kill -9 and Ctrl-C, atomic records, one sweep per folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from pobench.core.record import RunRecord, read_records

from tests.helpers import ROOT


def test_sweep_killed_mid_cell_resumes_without_redoing_finished_cells(bench_dirs, default_cells, tmp_path):
    out = tmp_path / "results"
    command = [
        sys.executable, "-m", "pobench.cli", "sweep", "--algos", "sft,dpo,cpo", "--seeds", "0", "--no-frontier",
        "--set", "train_examples=512", "--set", "eval_prompts=16", "--set", "eval_samples=2",
        "--out", str(out), "--cache", str(bench_dirs["cache"]), "--quiet",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = []
    for line in proc.stderr:  # kill -9 as soon as the second cell (DPO, 64 steps) starts training
        seen.append(line)
        if any(s.startswith("cell 2/3") for s in seen) and line.strip() == "train":
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
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
