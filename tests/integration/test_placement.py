"""Extra cells after a sweep's grid, on tiny: proposed from the grid's records, run by the same sweep, counted
in the headline, and proposed again (and skipped) when the same command resumes."""

from __future__ import annotations

import re

from pobench.core.record import read_records

from tests.helpers import sweep


def test_a_placement_round_runs_after_the_grid_and_resumes(capsys, bench_dirs, default_cells, tmp_path):
    out = tmp_path / "results"
    args = ("dpo", "--set", "dpo.learning_rate=1e-5,1e-4", "--extra-cells", "1")  # tiny's knob of DPO
    assert sweep(out, bench_dirs["cache"], *args) == 0
    err = capsys.readouterr().err
    placing = [line for line in err.splitlines() if line.startswith("placing")]
    # on 64 training pairs both grid points stay far below every budget: one cell, aimed past 4 nats, serves all
    pattern = r"placing 1 extra cell: dpo seed 0 learning_rate=\S+ \(for 4 nats\)"
    assert len(placing) == 1 and re.fullmatch(pattern, placing[0])
    rate = float(re.search(r"learning_rate=(\S+)", placing[0]).group(1))
    assert rate == 1e-3  # the fit asks for a larger rate than 1e-4 × 10: clamped to one step of ×/÷10
    records = read_records(out)
    rates = sorted(r.hparams["learning_rate"] for r in records)
    assert rates == [1e-5, 1e-4, 1e-3] and all(r.status == "ok" for r in records)
    assert "ran 3, skipped 0" in err
    board = (out / "leaderboard.md").read_text()
    # the headline counts cells off dpo's frontier grid on tiny (rates 3e-4, 1e-3): this grid's own 1e-5 and 1e-4
    assert "3/3 ok, 2 placed" in board

    # the same command: the grid's records give the same proposal, whose record is there: nothing runs
    assert sweep(out, bench_dirs["cache"], *args) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("placing")] == placing
    assert "ran 0, skipped 3" in err

    # no extra cells: the grid only
    grid_only = ("dpo", "--set", "dpo.learning_rate=1e-5,1e-4", "--extra-cells", "0")
    assert sweep(tmp_path / "none", bench_dirs["cache"], *grid_only) == 0
    assert "placing" not in capsys.readouterr().err and len(read_records(tmp_path / "none")) == 2
