"""readings.csv: every per-seed reading of the headline in long form, with the point it was read at."""

from __future__ import annotations

import io
import math

import pandas as pd
from pobench.reports.leaderboard import build_boards
from pobench.reports.readings import COLUMNS, readings_csv, readings_frame
from pytest import approx

from tests.helpers import knob_record


def _cell(seed, points, beta):
    """A DPO cell of 20 steps and 1000 training FLOPs, scored at steps 10 and 20: (KL, gold, proxy) per point."""
    kl, reward, _ = points[-1]
    cell = knob_record("dpo", seed, {"eval/reward": reward, "eval/kl": kl}, beta=beta)
    cell.metrics |= {"perf/train_steps": 20.0, "perf/train_flops": 1000.0}
    cell.trajectory = [{"step": 10 * (i + 1), "kl": k, "reward": r, "proxy_reward": p} for i, (k, r, p) in
                       enumerate(points)]  # fmt: skip
    return cell


def _records():
    sft = [knob_record("sft", s, {"eval/reward": 0.1, "eval/kl": 0.0, "eval/proxy_reward": 0.12}) for s in (0, 1)]
    return [
        *sft,
        _cell(0, [(0.2, 0.15, 0.1), (0.8, 0.35, 0.3)], 1.0),
        _cell(1, [(0.5, 0.3, 0.2), (4.0, 0.1, 0.5)], 0.1),
    ]


def test_readings_are_exported_in_long_form_with_the_point_read():
    """Seed 1 at 1 nat: the crossing lies between the step-10 point (0.5 nats) and the step-20 point (4 nats) at
    t = ln 2/ln 8 = 1/3: gold 0.3 − 0.2/3 = 0.233333, proxy 0.2 + 0.3/3 = 0.3, FLOPs 500 + 500/3 = 666.667 (1000 ×
    step/20), read at KL 1. Seed 0 at 1 nat: its one run stops at 0.8 nats: unread, 'not reached along training'.
    At 0.25 nats seed 0 crosses between (0.2, 0.15) and (0.8, 0.35): t = ln 1.25/ln 4 = 0.160964, gold 0.182193."""
    frame = readings_frame(build_boards(_records()))
    assert tuple(frame.columns) == COLUMNS and len(frame) == 2 * 3  # 2 seeds × 3 budgets of the default table
    row = frame[(frame.seed == 1) & (frame.budget == 1.0)].iloc[0]
    assert row["rule"] == "trajectory" and row["kl_read"] == 1.0 and row["cells"] == 1
    assert (row["gold"], row["proxy"], row["flops"]) == (approx(0.233333, abs=1e-6), approx(0.3), approx(666.6667))
    unread = frame[(frame.seed == 0) & (frame.budget == 1.0)].iloc[0]
    assert math.isnan(unread["gold"]) and unread["why"] == "not reached along training"
    low = frame[(frame.seed == 0) & (frame.budget == 0.25)].iloc[0]
    assert low["gold"] == approx(0.182193, abs=1e-6) and low["end_gold"] != low["end_gold"]  # end point above 0.25
    parsed = pd.read_csv(io.StringIO(readings_csv(build_boards(_records()))))
    assert list(parsed.columns) == list(COLUMNS) and len(parsed) == 6


def test_end_point_readings_say_their_rule():
    """Without trajectories a seed is read from its cells' end points: at 0.25 nats the envelope (0.1, 0.2),
    (0.5, 0.3) is interpolated at t = ln 2.5/ln 5 = 0.569323: 0.256932, read at KL 0.25."""
    sft = [knob_record("sft", 0, {"eval/reward": 0.1, "eval/kl": 0.0})]
    cells = [
        knob_record("dpo", 0, {"eval/reward": r, "eval/kl": k}, beta=b) for k, r, b in ((0.1, 0.2, 1), (0.5, 0.3, 0.1))
    ]
    frame = readings_frame(build_boards([*sft, *cells]))
    row = frame[frame.budget == 0.25].iloc[0]
    assert row["rule"] == "end points" and row["kl_read"] == 0.25 and row["gold"] == approx(0.256932, abs=1e-6)
