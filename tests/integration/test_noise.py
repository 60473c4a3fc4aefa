"""`pobench noise` end to end on a small budget: the two groups run (and resume), the split is printed, and a bad
argument stops before any work."""

from __future__ import annotations

from pobench.cli import main

from tests.helpers import SMALL_BUDGET

# few pairs: seed 1 samples its own data and trains its own reward model
SETS = [arg for k, v in {**SMALL_BUDGET, "data_pairs": "96"}.items() for arg in ("--set", f"{k}={v}")]


def test_noise_runs_both_groups_and_splits_the_variance(bench_dirs, default_cells, tmp_path, capsys):
    out = tmp_path / "noise"
    args = ["noise", "--out", str(out), "--algos", "dpo", "--seeds", "0-1", "--train-seeds", "5,6", "--quiet", *SETS]
    assert main([*args, "--cache", str(bench_dirs["cache"])]) == 0
    text = capsys.readouterr().out
    assert "Variance of one reading: dpo" in text
    for component in ("eval sampling", "train order", "data draw", "total (over seeds)"):
        assert component in text
    assert "2 cell seeds" in text and "2 training seeds" in text
    records = sorted((out / "records").glob("*.json"))
    assert len(records) == 4  # seeds 0 and 1; cell seed 0 with train seeds 5 and 6
    # the same command resumes: nothing new runs, the same split is printed
    assert main([*args, "--cache", str(bench_dirs["cache"])]) == 0
    assert sorted((out / "records").glob("*.json")) == records
    assert "Variance of one reading: dpo" in capsys.readouterr().out


def test_noise_refuses_bad_arguments_before_any_work(tmp_path, capsys):
    out = tmp_path / "noise"
    assert main(["noise", "--out", str(out), "--algos", "dpo", "--seeds", "3"]) == 2
    assert "--seeds '3': give at least two different seeds" in capsys.readouterr().err
    assert main(["noise", "--out", str(out), "--algos", "dpoo", "--seeds", "0,1"]) == 2
    assert "dpoo" in capsys.readouterr().err
    assert main(["noise", "--out", str(out), "--delta", "0"]) == 2
    assert not (out / "records").exists()
