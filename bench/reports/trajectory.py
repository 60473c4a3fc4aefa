"""Reading the frontier along training: one algorithm's reward at a KL budget from the trajectories of one seed.

A cell scored at checkpoints (pobench.harness.checkpoints) is a trajectory: (KL, gold) points ordered by optimizer
step, starting where training starts (the reference: KL 0 and the SFT cell's gold on the same draws). It is a curve,
not a cloud, so it is read along itself, never maximised over its points: the maximum of many noisy points near a
budget is biased upward, and more so for a method with more points there.

- A trajectory's reading at budget k: the latest policy within the budget. After its last checkpoint at KL ≤ k the
  run either ends (its end is read) or goes past k, and the gold is read where it crosses k, linear in
  log(max(KL, KL_FLOOR)) between those two checkpoints. The choice is made on KL alone, never on gold, so it adds no
  bias of its own (what a user with a KL budget does: keep the last checkpoint under it); a run whose KL overshoots
  early and settles is read where it settled, not at the overshoot.
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
from pobench.core.record import DEGENERATE_TRUNCATION
from pobench.reports.frontier import KL_FLOOR

Trajectory = Sequence[tuple[float, float]]  # (KL, gold) per checkpoint, in step order
TRAJECTORY_STATUSES = ("ok", "degenerate", "diverged")  # a run that degenerated or diverged passed its budgets first


def usable_points(points: Sequence[dict]) -> list[dict]:
    """A record's trajectory up to its first checkpoint that is degenerate by the cell rule (at least
    DEGENERATE_TRUNCATION of its samples cut at the length limit): what is read along that run, and how far it went."""
    kept = []
    for point in points:
        if point.get("truncation_rate", 0.0) >= DEGENERATE_TRUNCATION:
            break
        kept.append(point)
    return kept


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


def _latest_within(points: list[tuple[float, float]], budget: float) -> Reading | None:
    """The latest policy of finite ``points`` within ``budget`` (module docstring), or None where no point is within
    it (a trajectory read without its start, whose first point is already past the budget)."""
    b = max(budget, KL_FLOOR)
    within = [i for i, (kl, _) in enumerate(points) if max(kl, KL_FLOOR) <= b]
    if not within:
        return None
    j = within[-1]
    reaches = any(max(kl, KL_FLOOR) >= b for kl, _ in points)
    kl0, gold0 = points[j]
    if j == len(points) - 1 or max(kl0, KL_FLOOR) == b:
        return Reading(gold0, kl0, float(j), reaches)
    kl1, gold1 = points[j + 1]  # past the budget: the run crosses it between j and j + 1
    lo, hi = math.log(max(kl0, KL_FLOOR)), math.log(max(kl1, KL_FLOOR))
    t = (math.log(b) - lo) / (hi - lo)
    return Reading(gold0 + (gold1 - gold0) * t, budget, j + t, True)


def crossing(trajectory: Trajectory, budget: float) -> float:
    """The gold where ``trajectory`` last crosses KL = ``budget`` on its way up: between its last point within the
    budget and the next, linear in log(max(KL, KL_FLOOR)); that point's own gold where it sits at the budget. NaN
    where the trajectory never reaches the budget, or no point is within it."""
    found = read_trajectory(trajectory, budget)
    return found.gold if found is not None and found.reaches else math.nan


def read_trajectory(trajectory: Trajectory, budget: float) -> Reading | None:
    """The latest policy within the budget: the last crossing's Reading where the run goes past the budget after its
    last point within it; its end where it ends within the budget (``reaches``: whether any point reaches the
    budget). None for a trajectory without points, or one with no point within the budget. ``position`` indexes
    the trajectory's finite points."""
    if math.isnan(budget):
        raise ValueError("budget is NaN")
    points = _finite(trajectory)
    return _latest_within(points, budget) if points else None


def trajectory_reading(trajectory: Trajectory, budget: float) -> tuple[float, bool]:
    """(gold, reaches) of read_trajectory; (NaN, False) where it has no reading."""
    found = read_trajectory(trajectory, budget)
    return (math.nan, False) if found is None else (found.gold, found.reaches)


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
