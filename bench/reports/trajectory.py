"""Reading the frontier along training: one algorithm's reward at a KL budget from the trajectories of one seed.

A cell scored at checkpoints (pobench.harness.checkpoints) is a trajectory: (KL, gold) points ordered by optimizer
step, starting where training starts (the reference: KL 0 and the SFT cell's gold on the same draws). It is a curve,
not a cloud, so it is read along itself, never maximised over its points: the maximum of many noisy points near a
budget is biased upward, and more so for a method with more points there.

- A trajectory's reading at budget k: the gold where it first reaches KL = k, linear in log(max(KL, KL_FLOOR))
  between the checkpoints on either side (the policy early stopping at k would keep); for a trajectory that never
  reaches k, its end (trained to the end within the budget).
- A seed's reading: the best of its trajectories' readings (the envelope over its knob values), defined where at
  least one trajectory reaches k (no extrapolation: a seed whose runs all stop short of k is unread there).

``reading_bias`` measures what this rule adds to the truth by simulation (tests/unit/test_trajectory.py, and
``pobench noise``, with a folder's measured noise).

Pure functions of plain numbers, checked against values worked by hand in tests/unit/test_trajectory.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pobench.reports.frontier import KL_FLOOR

Trajectory = Sequence[tuple[float, float]]  # (KL, gold) per checkpoint, in step order


def _finite(trajectory: Trajectory) -> list[tuple[float, float]]:
    return [(float(k), float(r)) for k, r in trajectory if math.isfinite(k) and math.isfinite(r)]


@dataclass(frozen=True)
class Reading:
    """What one trajectory reads at a budget: the gold, the KL of the point read (the budget at a crossing, the end's
    KL for a run that stops short of it), where along the points it lies (a fractional index: i − 1 + t between
    points i − 1 and i), and whether the trajectory reaches the budget."""

    gold: float
    kl: float
    position: float
    reaches: bool


def _crossing(points: list[tuple[float, float]], budget: float) -> Reading | None:
    """The first crossing of ``budget`` by finite ``points`` (module docstring), or None (never reached, or the first
    point already past it)."""
    b = max(budget, KL_FLOOR)
    for i, (kl, gold) in enumerate(points):
        if max(kl, KL_FLOOR) < b:
            continue
        if max(kl, KL_FLOOR) == b:
            return Reading(gold, kl, float(i), True)
        if i == 0:
            return None
        kl0, gold0 = points[i - 1]
        lo, hi = math.log(max(kl0, KL_FLOOR)), math.log(max(kl, KL_FLOOR))
        t = (math.log(b) - lo) / (hi - lo)
        return Reading(gold0 + (gold - gold0) * t, budget, i - 1 + t, True)
    return None


def crossing(trajectory: Trajectory, budget: float) -> float:
    """The gold where ``trajectory`` first reaches KL = ``budget``: between the last point below the budget and the
    first at or above it, linear in log(max(KL, KL_FLOOR)); that point's own gold where it sits at the budget (or
    below the floor). NaN where no point reaches the budget, or where the first point is already past it (nothing
    to interpolate from: a trajectory read without its start)."""
    if math.isnan(budget):
        raise ValueError("budget is NaN")
    found = _crossing(_finite(trajectory), budget)
    return math.nan if found is None else found.gold


def read_trajectory(trajectory: Trajectory, budget: float) -> Reading | None:
    """The crossing's Reading where the trajectory reaches the budget; else its end, a policy within the budget
    (``reaches`` False); None for a trajectory without points, or one whose first point is already past the budget.
    ``position`` indexes the trajectory's finite points."""
    if math.isnan(budget):
        raise ValueError("budget is NaN")
    points = _finite(trajectory)
    if not points:
        return None
    if any(max(k, KL_FLOOR) >= max(budget, KL_FLOOR) for k, _ in points):
        return _crossing(points, budget)
    return Reading(points[-1][1], points[-1][0], float(len(points) - 1), False)


def trajectory_reading(trajectory: Trajectory, budget: float) -> tuple[float, bool]:
    """(gold, reaches) of read_trajectory; (NaN, reaches) where it has no reading."""
    found = read_trajectory(trajectory, budget)
    if found is None:
        points = _finite(trajectory)
        return math.nan, bool(points) and any(max(k, KL_FLOOR) >= max(budget, KL_FLOOR) for k, _ in points)
    return found.gold, found.reaches


def best_trajectory(trajectories: Sequence[Trajectory], budget: float) -> tuple[int, Reading] | None:
    """(index, Reading) of the trajectory whose reading is best at ``budget``, where at least one trajectory reaches
    the budget with a reading; None otherwise (the seed is unread there)."""
    found = [(i, read_trajectory(t, budget)) for i, t in enumerate(trajectories)]
    found = [(i, r) for i, r in found if r is not None]
    if not any(r.reaches for _, r in found):
        return None
    return max(found, key=lambda item: item[1].gold)


def seed_reading(trajectories: Sequence[Trajectory], budget: float) -> float:
    """One seed's reading of an algorithm at ``budget``: the best trajectory reading over its trajectories, where at
    least one of them reaches the budget with a finite crossing; NaN otherwise."""
    best = best_trajectory(trajectories, budget)
    return math.nan if best is None else best[1].gold


def reach_of(trajectories: Sequence[Trajectory], budget: float) -> str:
    """Why seed_reading is or is not defined: "ok", "not reached" (every trajectory stops short of the budget),
    "below grid" (the only trajectories that reach it start past it) or "no points"."""
    if not any(_finite(t) for t in trajectories):
        return "no points"
    if math.isfinite(seed_reading(trajectories, budget)):
        return "ok"
    reached = any(max(k, KL_FLOOR) >= max(budget, KL_FLOOR) for t in trajectories for k, _ in _finite(t))
    return "below grid" if reached else "not reached"


@dataclass(frozen=True)
class Bias:
    """The reading rule's bias at one budget: mean(reading − truth) over the replications that read it."""

    budget: float
    mean: float
    low: float  # 95% interval of the mean (normal: mean ± 1.96·sd/√n)
    high: float
    replications: int  # replications with a reading (of those asked for)
    truth: float


def reading_bias(
    curves: Sequence[Sequence[tuple[float, float]]],
    budgets: Sequence[float],
    reward_sd: float,
    kl_cv: float = 0.0,
    shared: float = 0.0,
    replications: int = 400,
    seed: int = 0,
) -> list[Bias]:
    """The bias of seed_reading at each budget, by simulation where the truth is known.

    ``curves``: the true trajectories of one algorithm and seed, (KL, gold) at each checkpoint, the start first.
    The truth at a budget is seed_reading on the true curves; each replication adds to every checkpoint's gold
    normal noise of sd ``reward_sd`` (a fraction ``shared`` of its variance common to every point of the seed, as
    common random numbers make it) and multiplies its KL by (1 + ``kl_cv``·z), then reads. The start (step 0, the
    reference, read by the SFT cell on the same draws) has its KL exactly and one gold reading shared by every
    trajectory of the seed. Returns one Bias per budget the true curves read.
    """
    if not 0 <= shared <= 1:
        raise ValueError(f"shared must be in [0, 1], got {shared}")
    if reward_sd < 0 or kl_cv < 0:
        raise ValueError(f"noise must be >= 0, got reward_sd {reward_sd} and kl_cv {kl_cv}")
    rng = np.random.default_rng(seed)
    true = [np.asarray(c, dtype=float) for c in curves]
    out = []
    errors: dict[float, list[float]] = {k: [] for k in budgets}
    truths = {k: seed_reading(curves, k) for k in budgets}
    own_sd = reward_sd * math.sqrt(1 - shared)
    for _ in range(replications):
        common = rng.normal(0.0, reward_sd * math.sqrt(shared))
        start = common + rng.normal(0.0, own_sd)  # the SFT cell's reading: one start for every trajectory of the seed
        noisy = []
        for c in true:
            gold = c[:, 1] + common + rng.normal(0.0, own_sd, len(c))
            kl = c[:, 0] * (1 + kl_cv * rng.normal(0.0, 1.0, len(c)))
            gold[0], kl[0] = c[0, 1] + start, c[0, 0]  # the start is the reference itself: KL exact
            noisy.append(list(zip(np.maximum(kl, 0.0).tolist(), gold.tolist())))
        for k in budgets:
            value = seed_reading(noisy, k)
            if math.isfinite(value) and math.isfinite(truths[k]):
                errors[k].append(value - truths[k])
    for k in budgets:
        e = np.asarray(errors[k])
        if e.size < 2:
            continue
        mean, half = float(e.mean()), 1.96 * float(e.std(ddof=1)) / math.sqrt(e.size)
        out.append(Bias(k, mean, mean - half, mean + half, int(e.size), truths[k]))
    return out
