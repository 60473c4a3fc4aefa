"""The enumerable task end to end: the sampled estimates against the exact values, the leaderboard's frontier
estimator against the exact frontier, exact metrics in records, and ``pobench validate``."""

from __future__ import annotations

import math


def test_validate_rejects_unknown_algorithm_and_setting(tmp_path, capsys):
    from pobench.cli import main

    assert main(["validate", "--algos", "dpoo", "--out", str(tmp_path)]) == 2
    assert "unknown algorithm 'dpoo'" in capsys.readouterr().err
    assert main(["validate", "--algos", "dpo", "--set", "betta=1", "--out", str(tmp_path)]) == 2
    assert "betta" in capsys.readouterr().err
    # a bad second algorithm stops the first before it runs; so does an empty seed list
    assert main(["validate", "--algos", "sft,dpoo", "--out", str(tmp_path)]) == 2
    assert "unknown algorithm 'dpoo'" in capsys.readouterr().err
    assert main(["validate", "--algos", "sft", "--seeds", ",", "--out", str(tmp_path)]) == 2
    assert "--seeds" in capsys.readouterr().err
    assert not (tmp_path / "records").exists()  # nothing ran, nothing written


def test_a_target_distance_needs_a_target():
    from pobench.harness.validate import Check

    class Rec:
        status, metrics = "ok", {"exact/kl": 0.1, "eval/kl": 0.1, "eval/kl_se": 0.01, "exact/reward": 0.5,
                                 "eval/reward": 0.5, "eval/reward_se": 0.01, "exact/regret": 0.0}  # fmt: skip

    check = Check("kto", "none known", None, [Rec()])
    assert check.passed is None and check.row()["TV to target"] == "-" and check.row()["check"] == "no target"
    assert check.estimates_ok
    failed = Check("dpo", "x", 0.05, [type("F", (), {"status": "failed", "metrics": {}})()])
    assert failed.passed is False and failed.row()["check"].startswith("FAIL")
    assert math.isnan(Check("dpo", "x", 0.05).mean("exact/kl"))


def test_a_kl_bound_is_checked_as_a_bound():
    """best-of-n reports KL as the bound log n − (n−1)/n: the exact KL must lie at or below it."""
    from pobench.harness.validate import Check

    def rec(exact_kl: float):
        metrics = {"exact/kl": exact_kl, "eval/kl": 0.636, "eval/kl_se": 0.0, "eval/kl_is_bound": 1.0,
                   "exact/reward": 0.7, "eval/reward": 0.7, "eval/reward_se": 0.01}  # fmt: skip
        return type("R", (), {"status": "ok", "metrics": metrics})()

    assert Check("best-of-n", "none", None, [rec(0.624)]).estimates_ok
    assert not Check("best-of-n", "none", None, [rec(0.7)]).estimates_ok
