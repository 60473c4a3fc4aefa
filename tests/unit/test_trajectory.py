"""The frontier along training: checkpoint steps, scoring that leaves training alone, the reading rule along a
trajectory, and the rule's bias measured where the answer is known (numbers worked by hand in each docstring)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from pobench.core.trajectory import checkpoint_steps, preserved_rng
from pobench.reports.trajectory import crossing, reach_of, reading_bias, seed_reading, trajectory_reading

CURVE = [(0.0, 0.1), (0.1, 0.2), (1.0, 0.5), (4.0, 0.4)]


def test_checkpoint_steps_are_log_spaced_and_end_at_the_last():
    """round(128/2^(i/2)), i = 7..0: 128/11.31 = 11.3, 128/8 = 16, 22.6, 32, 45.3, 64, 90.5, 128 → 11, 16, 23, 32, 45,
    64, 91, 128; 60: 5.3, 7.5, 10.6, 15, 21.2, 30, 42.4, 60 → 5, 8, 11, 15, 21, 30, 42, 60; for 3 steps the rounded
    values collide (3, 2.1, 1.5, 1.06, 0.75 → 3, 2, 2, 1, 1 and at least 1) and fewer remain."""
    assert checkpoint_steps(128, 8) == (11, 16, 23, 32, 45, 64, 91, 128)
    assert checkpoint_steps(60, 8) == (5, 8, 11, 15, 21, 30, 42, 60)
    assert checkpoint_steps(3, 8) == (1, 2, 3)
    assert checkpoint_steps(128, 1) == (128,) and checkpoint_steps(128, 0) == (128,)
    assert checkpoint_steps(128, 2) == (91, 128)
    assert checkpoint_steps(0, 8) == ()


def test_preserved_rng_puts_every_random_state_back():
    """Draws after the block are those that would have come without it, however much the block drew."""
    torch.manual_seed(3), random.seed(3), np.random.seed(3)
    expected = (torch.rand(2).tolist(), random.random(), np.random.rand())
    torch.manual_seed(3), random.seed(3), np.random.seed(3)
    with preserved_rng():
        torch.rand(100), random.random(), np.random.rand(7)
    assert (torch.rand(2).tolist(), random.random(), np.random.rand()) == expected


def test_crossing_interpolates_in_log_kl_after_the_last_point_within_the_budget():
    """Budget 0.25: the last point within it is (0.1, 0.2), the next (1.0, 0.5): t = ln(0.25/0.1)/ln(1.0/0.1) =
    0.916291/2.302585 = 0.397940, gold 0.2 + 0.3·0.397940 = 0.319382. Budget 1 sits on a checkpoint: 0.5. Budget 2
    between (1, 0.5) and (4, 0.4): t = ln 2/ln 4 = 0.5 → 0.45. A budget at or below the KL floor (1e-3) reads the
    start, KL 0 floored."""
    assert crossing(CURVE, 0.25) == pytest.approx(0.319382, abs=1e-6)
    assert crossing(CURVE, 1.0) == 0.5
    assert crossing(CURVE, 2.0) == pytest.approx(0.45)
    assert crossing(CURVE, 0.0005) == 0.1
    assert math.isnan(crossing(CURVE, 5.0))  # never reached
    assert math.isnan(crossing([(2.0, 0.3), (3.0, 0.4)], 1.0))  # starts past the budget: nothing within it


def test_a_jump_is_read_along_the_jump_and_an_overshoot_where_the_run_settled():
    """From (0.05, 0.12) to (30, −0.2) in one checkpoint: budget 1 at t = ln(1/0.05)/ln(30/0.05) = 2.995732/6.396930 =
    0.468310 → 0.12 − 0.32·0.468310 = −0.029859. KL going 0 → 2 → 0.5 → 3 (an overshoot, back under, then past):
    the last point within 1 nat is (0.5, 0.35), then (3, 0.2): t = ln 2/ln 6 = 0.693147/1.791759 = 0.386853 →
    0.35 − 0.15·0.386853 = 0.291972, not the first crossing on the way to the overshoot (0.281761). Ending back
    under the budget after an overshoot, the run reads its end."""
    assert crossing([(0.0, 0.1), (0.05, 0.12), (30.0, -0.2)], 1.0) == pytest.approx(-0.029859, abs=1e-6)
    assert crossing([(0.0, 0.1), (2.0, 0.3), (0.5, 0.35), (3.0, 0.2)], 1.0) == pytest.approx(0.291972, abs=1e-6)
    assert trajectory_reading([(0.0, 0.1), (2.0, 0.3), (0.5, 0.35)], 1.0) == (0.35, True)


def test_a_trajectory_that_stops_short_reads_its_end_without_reaching():
    assert trajectory_reading(CURVE, 5.0) == (0.4, False)
    assert trajectory_reading(CURVE, 1.0) == (0.5, True)
    assert math.isnan(trajectory_reading([], 1.0)[0])


def test_a_seed_reads_the_best_of_its_trajectories_where_one_reaches_the_budget():
    """A ends at (0.5, 0.3) short of 1 nat; B crosses 1 between (0, 0.1) and (2, 0.26): t = 0.908807 → 0.245409.
    At 1 nat the seed reads max(0.3, 0.2454) = 0.3 (A's end is a policy within the budget); at 4 nats neither
    reaches: unread, 'not reached'. A alone never reaches 1 nat: unread."""
    a, b = [(0.0, 0.1), (0.5, 0.3)], [(0.0, 0.1), (2.0, 0.26)]
    assert crossing(b, 1.0) == pytest.approx(0.245409, abs=1e-6)
    assert seed_reading([a, b], 1.0) == 0.3
    assert math.isnan(seed_reading([a, b], 4.0)) and reach_of([a, b], 4.0) == "not reached"
    assert math.isnan(seed_reading([a], 1.0)) and reach_of([a], 1.0) == "not reached"
    assert reach_of([[(2.0, 0.3)]], 1.0) == "below grid" and reach_of([[]], 1.0) == "no points"
    assert reach_of([a, b], 1.0) == "ok"


def test_reading_bias_is_zero_without_noise_and_unbiased_along_one_trajectory():
    """No noise: every replication reads the truth. One trajectory with exact KL: the reading is a fixed mixture
    (1 − t)·g0 + t·g1 of two noisy golds, so its mean is the truth: within 3.5 standard errors of 0 at each of the
    three budgets (a 95% interval would miss 0 on one budget in seven by chance alone)."""
    curves = [[(0.0, 0.1), (0.1, 0.2), (1.0, 0.5), (4.0, 0.4)]]
    exact = reading_bias(curves, (0.25, 1.0, 2.0), reward_sd=0.0, replications=20)
    assert [b.mean for b in exact] == [0.0, 0.0, 0.0] and exact[0].truth == pytest.approx(0.319382, abs=1e-6)
    for b in reading_bias(curves, (0.25, 1.0, 2.0), reward_sd=0.02, replications=2000, seed=1):
        se = (b.high - b.low) / (2 * 1.96)
        assert abs(b.mean) < 3.5 * se and b.replications == 2000


def test_reading_bias_measures_the_maximum_of_two_noisy_trajectories():
    """Two identical trajectories cross 1 nat at a checkpoint whose true gold is 0.5: the seed reads the larger of
    two independent N(0.5, 0.02²) readings, E[max] − 0.5 = 0.02/√π = 0.011284. With the noise all shared (common
    random numbers at its extreme) both read the same value and the bias is 0."""
    curve = [(0.0, 0.1), (1.0, 0.5), (4.0, 0.4)]
    [independent] = reading_bias([curve, curve], (1.0,), reward_sd=0.02, replications=8000, seed=2)
    assert independent.low < 0.02 / math.sqrt(math.pi) < independent.high
    [shared] = reading_bias([curve, curve], (1.0,), reward_sd=0.02, shared=1.0, replications=8000, seed=2)
    assert shared.low < 0 < shared.high and abs(shared.mean) < 0.002


def test_reading_bias_refuses_bad_noise():
    with pytest.raises(ValueError, match="shared must be in"):
        reading_bias([CURVE], (1.0,), reward_sd=0.02, shared=1.5)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        reading_bias([CURVE], (1.0,), reward_sd=-0.02)


def test_pobench_noise_measures_the_bias_with_the_folders_own_noise():
    """Two runs of one seed cross 1 nat exactly at a checkpoint of true gold 0.5, every checkpoint's gold se 0.02 (KL
    se 0): the simulated bias at 1 nat is E[max of two N(0, 0.02²)] = 0.02/√π = 0.0113 (within the interval); with a
    gold se of 0 it is exactly 0."""
    from pobench.reports.headline import build_headline
    from pobench.reports.noise import bias_rows

    from tests.helpers import knob_record

    def headline(se):
        sft = knob_record("sft", 0, {"eval/reward": 0.1, "eval/kl": 0.0})
        cells = []
        for beta in (0.1, 0.3):
            cell = knob_record("dpo", 0, {"eval/reward": 0.4, "eval/kl": 4.0}, beta=beta)
            cell.trajectory = [{"step": s, "kl": k, "reward": r, "reward_se": se, "kl_se": 0.0}
                               for s, k, r in ((10, 1.0, 0.5), (20, 4.0, 0.4))]  # fmt: skip
            cells.append(cell)
        return build_headline([sft, *cells], budgets=(1.0,))

    [dpo, everyone] = bias_rows(headline(0.02), replications=4000)
    assert dpo[:3] == ["1", "dpo", "1"] and everyone[1] == "all"
    low, high = (float(x) for x in dpo[3].split("(")[1].rstrip(")").split(","))
    assert low < 0.02 / math.sqrt(math.pi) < high
    assert bias_rows(headline(0.0), replications=10)[0][3] == "+0.0000 (+0.0000, +0.0000)"
