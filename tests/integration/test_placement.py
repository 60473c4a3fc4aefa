"""Extra cells after a sweep's grid, on tiny: proposed from the grid's records, run by the same sweep, counted
in the headline, and proposed again (and skipped) when the same command resumes."""

from __future__ import annotations

import re

from pobench.core.record import read_records

from tests.helpers import sweep


def test_a_placement_round_runs_after_the_grid_and_resumes(capsys, bench_dirs, default_cells, tmp_path):
    out = tmp_path / "results"
    args = ("dpo", "--set", "dpo.beta=3,0.2", "--extra-cells", "1")
    assert sweep(out, bench_dirs["cache"], *args) == 0
    err = capsys.readouterr().err
    placing = [line for line in err.splitlines() if line.startswith("placing")]
    # on 64 training pairs both grid points stay far below every budget: one cell, aimed past 4 nats, serves all
    assert len(placing) == 1 and re.fullmatch(r"placing 1 extra cell: dpo seed 0 beta=\S+ \(for 4 nats\)", placing[0])
    beta = float(re.search(r"beta=(\S+)", placing[0]).group(1))
    assert beta == 0.02  # the fit asks for a smaller β than 0.2 / 10: clamped to one step of ×/÷10
    records = read_records(out)
    assert sorted(r.hparams["beta"] for r in records) == [0.02, 0.2, 3.0] and all(r.status == "ok" for r in records)
    assert "ran 3, skipped 0" in err
    board = (out / "leaderboard.md").read_text()
    # the headline counts cells off dpo's frontier grid on tiny (3, 0.1, 0.01, 0.03): 0.02, and this grid's own 0.2
    assert "3/3 ok, 2 placed" in board

    # the same command: the grid's records give the same proposal, whose record is there: nothing runs
    assert sweep(out, bench_dirs["cache"], *args) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("placing")] == placing
    assert "ran 0, skipped 3" in err

    # no extra cells: the grid only
    assert sweep(tmp_path / "none", bench_dirs["cache"], "dpo", "--set", "dpo.beta=3,0.2", "--extra-cells", "0") == 0
    assert "placing" not in capsys.readouterr().err and len(read_records(tmp_path / "none")) == 2
