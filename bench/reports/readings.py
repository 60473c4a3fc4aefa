"""Every per-seed reading of the headline in long form (``readings.csv``): one row per table, algorithm, seed and KL
budget, so rliable, pandas or pingouin read them directly.

Columns: task, model, key (the comparability key), algorithm, seed, budget (nats), rule ("trajectory": read along
training; "end points": the envelope of the cells' end points), kl_read (the KL of the point read: the budget where
a run crosses it or the envelope is interpolated there, else the KL of the point that stands for it), gold (the
reading; empty where unread), proxy (the calibrated proxy at that point, where the cells have one), flops (training
FLOPs of the cell read, up to the point read), cells (the algorithm's cells on that seed), end_gold (the
end-of-training reading, for what early stopping buys) and why (why a seed is unread).
"""

from __future__ import annotations

import math

import pandas as pd
from pobench.core.record import RunRecord
from pobench.reports.frontier import reach_within, reward_within, upper_envelope
from pobench.reports.headline import Headline
from pobench.reports.trajectory import Reading, best_trajectory, reach_of

COLUMNS = (
    "task",
    "model",
    "key",
    "algorithm",
    "seed",
    "budget",
    "rule",
    "kl_read",
    "gold",
    "proxy",
    "flops",
    "cells",
    "end_gold",
    "why",
)


def headline_readings(headline: Headline, task: str, model: str, key: str) -> list[dict]:
    """The rows of one headline (one comparability key), algorithms in the headline's order, then seeds, budgets."""
    rows = []
    for algo in headline.rows["algo"] if len(headline.rows) else []:
        seeds = headline.seed_points[algo]
        for seed in sorted(seeds):
            cells = headline.trajectories.get(algo, {}).get(seed)
            for k in headline.budgets:
                row = {"task": task, "model": model, "key": key, "algorithm": algo, "seed": seed, "budget": k}
                row |= {"cells": _cell_count(headline, algo, seed), "end_gold": reward_within(seeds[seed], k)}
                if cells is not None:
                    row |= _along_training(cells, k, headline.sft_proxy_by_seed.get(seed), seed in headline.sft_by_seed)
                else:
                    row |= _end_points(seeds[seed], k)
                rows.append(row)
    return rows


def _cell_count(headline: Headline, algo: str, seed: int) -> int:
    return headline.cells_by_seed.get(algo, {}).get(seed, 0)


def _along_training(cells: list[tuple[RunRecord, list]], k: float, sft_proxy: float | None, has_start: bool) -> dict:
    best = best_trajectory([curve for _, curve in cells], k)
    if best is None:
        why = reach_of([curve for _, curve in cells], k)
        return {"rule": "trajectory", "kl_read": math.nan, "gold": math.nan, "proxy": math.nan, "flops": math.nan,
                "why": f"{why} along training"}  # fmt: skip
    index, reading = best
    record = cells[index][0]
    return {
        "rule": "trajectory",
        "kl_read": reading.kl,
        "gold": reading.gold,
        "proxy": _interpolated(record, reading, has_start, "proxy_reward", _or_nan(sft_proxy)),
        "flops": _interpolated(record, reading, has_start, "flops", 0.0),
        "why": "",
    }


def _interpolated(record: RunRecord, reading: Reading, has_start: bool, key: str, at_start: float) -> float:
    """``key`` of the record's trajectory at the reading's position (linear between its two neighbours, as the gold
    is); ``flops`` is the training FLOPs up to a point's step (the cell's total × step / steps)."""
    points = record.trajectory or [{"step": record.metrics.get("perf/train_steps", math.nan), **_end(record)}]
    steps, total = record.metrics.get("perf/train_steps", math.nan), record.metrics.get("perf/train_flops", math.nan)

    def value(i: int) -> float:
        if has_start and i == 0:
            return at_start
        point = points[i - 1 if has_start else i]
        if key == "flops":
            return total * point["step"] / steps if steps else math.nan
        return float(point.get(key, math.nan))

    low = math.floor(reading.position)
    t = reading.position - low
    return value(low) if t == 0 else value(low) + (value(low + 1) - value(low)) * t


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _end(record: RunRecord) -> dict:
    m = record.metrics
    return {
        "kl": m.get("eval/kl"),
        "reward": m.get("eval/reward"),
        "proxy_reward": m.get("eval/proxy_reward", math.nan),
    }


def _end_points(points: list[tuple[float, float]], k: float) -> dict:
    """A seed read from its cells' end points: kl_read is the budget where the envelope is interpolated there, the
    envelope's last point's KL where that point stands for it (reward_within); no proxy or FLOPs at an interpolation."""
    gold = reward_within(points, k)
    envelope = upper_envelope(points)
    past = math.isfinite(gold) and envelope and envelope[-1][0] < k
    return {
        "rule": "end points",
        "kl_read": (envelope[-1][0] if past else k) if math.isfinite(gold) else math.nan,
        "gold": gold,
        "proxy": math.nan,
        "flops": math.nan,
        "why": "" if math.isfinite(gold) else reach_within(points, k),
    }


def readings_frame(boards) -> pd.DataFrame:
    """Every board's per-seed readings (``pobench.reports.leaderboard.Board``s with a headline), COLUMNS in order."""
    rows = [
        row
        for board in boards
        if board.headline is not None
        for row in headline_readings(board.headline, board.task, board.model, board.key)
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def readings_csv(boards) -> str:
    return readings_frame(boards).to_csv(index=False, float_format="%.6g")
