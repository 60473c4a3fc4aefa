"""How pobench.harness.tune_grids picks a frontier grid from the tuning seeds' results, on numbers worked by hand."""

from __future__ import annotations

import math

from pobench.core.record import RunRecord
from pobench.harness.tune_grids import Candidate, candidates_from_records, choose_grid


def test_grid_keeps_the_extremes_and_the_candidates_nearest_even_steps_in_log_kl():
    kls = {"3": 0.05, "1": 0.1, "0.3": 0.5, "0.1": 1.0, "0.03": 5.0, "0.01": 50.0}
    candidates = [Candidate(v, kl, 0.1, 0.0, True) for v, kl in kls.items()]
    # log KL from log 0.05 = −3.00 to log 50 = 3.91; targets at 1/3 and 2/3: −0.69 (KL 0.5) and 1.61 (KL 5.0)
    assert choose_grid(candidates) == ["3", "0.3", "0.03", "0.01"]


def test_unusable_candidates_are_left_out():
    candidates = [
        Candidate("a", 0.1, 0.1, 0.0, True),
        Candidate("b", 1.0, 0.2, 0.0, True),
        Candidate("c", 60.0, -0.99, 0.99, True),  # degenerated: 99% of its samples never end
        Candidate("d", math.nan, math.nan, math.nan, False),  # a tuning seed failed
    ]
    assert choose_grid(candidates) == ["a", "b"]  # fewer than four usable: all of them, by KL


def record(seed, beta, kl, truncation, status="ok") -> RunRecord:
    metrics = {"eval/kl": kl, "eval/reward": 0.1, "eval/truncation_rate": truncation} if status == "ok" else {}
    return RunRecord(
        spec={}, spec_hash="", algo="dpo", hparams={"beta": beta}, task="t", task_version="1", model="m",
        seed=seed, status=status, metrics=metrics,
    )  # fmt: skip


def test_candidates_average_kl_and_take_the_worst_seed_truncation():
    records = [record(100, 0.3, 1.0, 0.0), record(101, 0.3, 59.0, 0.99), record(100, 1.0, 0.1, 0.0)]
    records.append(record(101, 1.0, math.nan, math.nan, status="diverged"))
    by_value = {c.value: c for c in candidates_from_records(records, "dpo", "beta")}
    assert by_value["0.3"].kl == 30.0 and by_value["0.3"].truncation == 0.99 and not by_value["0.3"].usable
    assert not by_value["1.0"].all_ok and not by_value["1.0"].usable
