"""Sweeps: failures isolated, resume after kill -9 and Ctrl-C, atomic records, one sweep per folder."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from algorithms import ALGORITHMS
from algorithms.dpo import DPO
from bench.cli import main
from bench.core.record import RunRecord, read_records
from bench.harness.sweep import SweepLocked, existing_record, results_lock
from tests.test_end_to_end import _Raises

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--set", "train_examples=64", "--set", "eval_prompts=16", "--set", "eval_samples=2"]


class _NaNDPO(DPO):
    """DPO whose loss turns NaN at step 3 of 8: divergence must be caught while training, not after."""

    def build_trainer(self, ctx):
        trainer = super().build_trainer(ctx)
        compute_loss = trainer.compute_loss

        def nan_after_two(*args, **kwargs):
            loss = compute_loss(*args, **kwargs)
            return loss * float("nan") if trainer.state.global_step >= 2 else loss

        trainer.compute_loss = nan_after_two
        return trainer


class _InterruptedOnce(DPO):
    """Ctrl-C during its first training, fine afterwards."""

    calls = 0

    def train(self, ctx):
        type(self).calls += 1
        if type(self).calls == 1:
            raise KeyboardInterrupt
        return super().train(ctx)


def sweep(out: Path, cache: Path, algos: str, *extra: str) -> int:
    return main(
        [
            "sweep",
            "--algos",
            algos,
            "--seeds",
            "0",
            "--no-frontier",
            *SMALL,
            "--out",
            str(out),
            "--cache",
            str(cache),
            "--quiet",
            *extra,
        ]
    )


def by_algo(out: Path) -> dict[str, RunRecord]:
    return {r.algo: r for r in read_records(out)}


def test_failures_are_isolated_listed_and_retried_on_request(monkeypatch, capsys, bench_dirs, default_cells, tmp_path):
    monkeypatch.setitem(ALGORITHMS._entries, "raises", _Raises)
    monkeypatch.setitem(ALGORITHMS._entries, "nan-dpo", _NaNDPO)
    out = tmp_path / "results"
    assert sweep(out, bench_dirs["cache"], "raises,nan-dpo,sft") == 1
    err = capsys.readouterr().err
    assert "2 cell(s) did not finish" in err
    assert "raises seed 0 [failed]: train: RuntimeError: adapter exploded" in err
    assert "nan-dpo seed 0 [diverged]: train: DivergedError: training loss became nan at step 3" in err
    records = by_algo(out)
    assert records["sft"].status == "ok"  # the cell after both failures still ran
    nan = records["nan-dpo"]
    assert nan.metrics["train/step"] == 3 and math.isnan(nan.metrics["train/loss"])
    assert [row["step"] for row in nan.curve] == [1, 2, 3]  # stopped at the first NaN, 5 steps early
    board = (out / "leaderboard.md").read_text()
    assert "1 failed" in board and "1 diverged" in board and "| 1    | sft" in board

    # Rerun: finished and failed cells are skipped, the failures are still listed and the exit code says so
    assert sweep(out, bench_dirs["cache"], "raises,nan-dpo,sft") == 1
    err = capsys.readouterr().err
    assert "resuming: 3 of 3 cells already have a record (2 failed; --retry-failed runs them again)" in err
    assert "ran 0, skipped 3" in err
    sft_written = (out / "records").glob("sft-*.json").__next__().stat().st_mtime_ns
    assert sweep(out, bench_dirs["cache"], "raises,nan-dpo,sft", "--retry-failed") == 1
    err = capsys.readouterr().err
    assert "ran 2, skipped 1" in err
    assert next((out / "records").glob("sft-*.json")).stat().st_mtime_ns == sft_written


def test_ctrl_c_records_the_cell_as_interrupted_and_the_rerun_redoes_it(
    monkeypatch, capsys, bench_dirs, default_cells, tmp_path
):
    monkeypatch.setitem(ALGORITHMS._entries, "flaky", _InterruptedOnce)
    out = tmp_path / "results"
    assert sweep(out, bench_dirs["cache"], "sft,flaky,cpo") == 130
    assert "interrupted; run the same command again to resume" in capsys.readouterr().err
    records = by_algo(out)
    assert records["sft"].status == "ok" and records["flaky"].status == "interrupted" and "cpo" not in records
    assert sweep(out, bench_dirs["cache"], "sft,flaky,cpo") == 0
    assert "ran 2, skipped 1" in capsys.readouterr().err
    assert {a: r.status for a, r in by_algo(out).items()} == {"sft": "ok", "flaky": "ok", "cpo": "ok"}


def test_sweep_killed_mid_cell_resumes_without_redoing_finished_cells(bench_dirs, default_cells, tmp_path):
    out = tmp_path / "results"
    command = [
        sys.executable, "-m", "bench.cli", "sweep", "--algos", "sft,dpo,cpo", "--seeds", "0", "--no-frontier",
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


def test_unreadable_record_is_moved_aside_not_lost(tmp_path):
    path = tmp_path / "records" / "dpo-x.json"
    path.parent.mkdir()
    path.write_text("{ not json")
    notes = []
    assert existing_record(path, note=notes.append) is None
    aside = list(path.parent.glob("dpo-x.json.unreadable-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{ not json" and not path.exists()
    assert "moved to" in notes[0]


def test_one_sweep_per_results_folder(tmp_path):
    with results_lock(tmp_path):
        with pytest.raises(SweepLocked, match=f"in use by another sweep \\(pid {os.getpid()}\\)"):
            with results_lock(tmp_path):
                pass
    with results_lock(tmp_path):  # released on exit
        pass


def test_bad_grid_exits_2_and_writes_nothing(capsys, tmp_path):
    out = tmp_path / "results"
    assert main(["sweep", "--algos", "dpo,nope", "--set", "dpo.beta=x", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s); nothing was run" in err and "unknown algorithm 'nope'" in err and "'x'" in err
    assert not out.exists()
