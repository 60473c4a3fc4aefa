"""Sweeps: failures isolated, resume after kill -9 and Ctrl-C, atomic records, one sweep per folder."""

from __future__ import annotations

import math
from pathlib import Path

from pobench.algorithms import ALGORITHMS
from pobench.algorithms.dpo import DPO
from pobench.core.record import RunRecord, read_records

from tests.helpers import RaisingAdapter, sweep


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


def by_algo(out: Path) -> dict[str, RunRecord]:
    return {r.algo: r for r in read_records(out)}


def test_failures_are_isolated_listed_and_retried_on_request(monkeypatch, capsys, bench_dirs, default_cells, tmp_path):
    monkeypatch.setitem(ALGORITHMS._entries, "raises", RaisingAdapter)
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
    # one seed: nothing is ranked (an interval needs two), and the failed and diverged cells are counted
    assert "1 failed" in board and "1 diverged" in board and "| -    | sft" in board

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
