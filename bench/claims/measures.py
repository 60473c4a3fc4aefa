"""What claims measure, from records: paired readings at matched KL (the headline's), per-seed cost ratios, and
growth along training. Each returns numbers and intervals; the rules (rules.py) turn them into verdicts."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from pobench.core.inference import PairedComparison, holm, min_detectable_difference, paired_comparison, t_interval
from pobench.core.record import RunRecord
from pobench.reports.headline import Headline, algorithm_readings

POWER = 0.8
# the statuses of a cell that trained to the end: a degenerate one spent its compute and held its memory all the same,
# and its runaway is a result (never dropped)
TRAINED = ("ok", "degenerate")


def matched_kl(headline: Headline, a: str, b: str) -> dict[float, PairedComparison | None]:
    """Budget → the paired comparison a − b of the headline's readings, its p Holm-adjusted over the budgets
    compared. None at a budget where either is not read on every one of its seeds (as the headline ranks only
    those: a seed that never reaches the budget is a result, not a gap to compare around) or the two share fewer
    than two seeds."""
    found: dict[float, PairedComparison | None] = {}
    for k in headline.budgets:
        read = {x: algorithm_readings(headline, x, k) for x in (a, b)}
        if any(len(read[x]) < len(headline.seed_points[x]) for x in (a, b)):
            found[k] = None
            continue
        c = paired_comparison(a, read[a], b, read[b])
        found[k] = c if c.n >= 2 else None
    live = [k for k, c in found.items() if c is not None]
    for k, q in zip(live, holm([found[k].p for k in live])):
        found[k] = replace(found[k], p_holm=q)
    return found


def detectable(c: PairedComparison | None, alpha: float = 0.05) -> float:
    """The true difference a paired t-test over the pair's seeds detects with POWER, given its sd (NaN if none)."""
    return math.nan if c is None else min_detectable_difference(c.sd, c.n, alpha, POWER)


def comparison_text(c: PairedComparison | None, holm: bool = True) -> str:
    """``+0.012 (−0.004, +0.028), Holm p 0.21, 28 seeds`` (``p`` alone where no correction was made); ``not read
    on every seed``."""
    if c is None:
        return "not read on every seed"
    value = c.p_holm if holm else c.p
    p = "<0.001" if value < 0.001 else f"{value:.3f}"
    return f"{c.mean:+.3f} ({c.low:+.3f}, {c.high:+.3f}), {'Holm p' if holm else 'p'} {p}, {c.n} seeds"


def per_seed_mean(
    records: list[RunRecord], algo: str, metric: str, statuses: tuple[str, ...] = ("ok",)
) -> dict[int, float]:
    """seed → the mean of ``metric`` over one algorithm's cells of that seed with one of ``statuses``."""
    values: dict[int, list[float]] = {}
    for r in records:
        if r.algo == algo and r.status in statuses and math.isfinite(r.metrics.get(metric, math.nan)):
            values.setdefault(r.seed, []).append(float(r.metrics[metric]))
    return {s: float(np.mean(v)) for s, v in values.items()}


def ratio(a: dict[int, float], b: dict[int, float]) -> tuple[float, float, float, int]:
    """The ratio a / b over the seeds both have, as a geometric mean of the per-seed ratios with its 95%
    Student-t interval on the log scale: (ratio, low, high, seeds)."""
    logs = [math.log(a[s] / b[s]) for s in sorted(a) if s in b and a[s] > 0 and b[s] > 0]
    mean, low, high = t_interval(logs)
    return math.exp(mean), math.exp(low), math.exp(high), len(logs)


def ratio_text(name: str, a: dict[int, float], b: dict[int, float]) -> tuple[str, tuple[float, float, float, int]]:
    """``ratio(a, b)`` and its text: "cpo/dpo 0.76 (0.75, 0.77), 28 seeds"."""
    r = ratio(a, b)
    return f"{name} {r[0]:.2f} ({r[1]:.2f}, {r[2]:.2f}), {r[3]} seeds", r


def late_growth(trajectory: list[dict[str, float]]) -> float:
    """How much a cell's KL still grows over the second half of its training: log(KL at the end / KL at the
    checkpoint halfway through its steps); NaN without two finite positive points."""
    points = [(p["step"], p["kl"]) for p in trajectory if math.isfinite(p.get("kl", math.nan)) and p["kl"] > 0]
    if len(points) < 2:
        return math.nan
    end_step, end_kl = points[-1]
    half = min(points, key=lambda p: abs(p[0] - end_step / 2))
    return math.nan if half[0] == end_step else math.log(end_kl / half[1])


def growth_by_seed(records: list[RunRecord], algo: str) -> dict[int, float]:
    """seed → the mean late KL growth of one algorithm's cells scored along training (ok or degenerate: a run
    that runs away is the growth the claim is about)."""
    values: dict[int, list[float]] = {}
    for r in records:
        if r.algo == algo and r.status in TRAINED and r.trajectory:
            g = late_growth(r.trajectory)
            if math.isfinite(g):
                values.setdefault(r.seed, []).append(g)
    return {s: float(np.mean(v)) for s, v in values.items()}


def value_at_kl(points: list[tuple[float, float]], k: float) -> float:
    """A quantity (length) of a grid of cells at KL = ``k``: linear in log KL between the two cells whose KL
    brackets ``k``, ordered by KL; NaN outside the grid's KL range (never extrapolated). Unlike the gold reading it
    follows the grid, not the gold envelope: on a length trap the best-gold cell within a budget is a short one."""
    pts = sorted((kl, v) for kl, v in points if kl > 0 and math.isfinite(kl) and math.isfinite(v))
    if not pts or not pts[0][0] <= k <= pts[-1][0]:
        return math.nan
    for (k0, v0), (k1, v1) in zip(pts, pts[1:]):
        if k0 <= k <= k1:
            t = 0.0 if k1 == k0 else (math.log(k) - math.log(k0)) / (math.log(k1) - math.log(k0))
            return v0 + (v1 - v0) * t
    return pts[0][1]  # one cell, at k exactly


def metric_at_kl(records: list[RunRecord], algo: str, metric: str, k: float) -> dict[int, float]:
    """seed → ``metric`` of one algorithm's ok cells read at KL ``k`` along its grid (value_at_kl); seeds whose
    grid does not span ``k`` are left out."""
    seeds: dict[int, list[tuple[float, float]]] = {}
    for r in records:
        if r.algo == algo and r.status == "ok":
            seeds.setdefault(r.seed, []).append((r.metrics["eval/kl"], r.metrics.get(metric, math.nan)))
    values = {s: value_at_kl(pts, k) for s, pts in seeds.items()}
    return {s: v for s, v in values.items() if math.isfinite(v)}
