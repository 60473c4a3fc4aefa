"""Extra cells after a sweep's grid: per (algorithm, seed), knob values that bracket the budgets the grid missed.

The headline reads each seed's envelope at KL budgets; a seed whose grid stops short of a budget ("not
reached") or starts above it ("below grid") has no reading there, and which budgets are read then depends on
the machine. ``proposals`` fits log KL against log knob through the two points at that end of the grid and
proposes the knob value aimed past the budget (budget × 1.5, or budget / 1.5), at most a step of ×/÷10 from the
nearest point; budgets the algorithm cannot reach (it degenerates on the way, or its KL saturates:
``reach_reason``) get none. ``placement_rounds`` runs those cells after the grid, round after round, at most
``extra_cells`` per (algorithm, task, model, seed) and the same number for every algorithm: each point near a
budget is one more draw the envelope takes the best of (``reading_bias``), so equal effort keeps that bias equal.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import typing
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from algorithms import ALGORITHMS
from bench.harness.grid import Cell, SweepConfig, algo_grid, resolve_cells
from bench.harness.sweep import SweepOutcome
from bench.reports.frontier import KL_FLOOR, reward_within
from bench.reports.headline import BUDGETS
from bench.reports.reach import DEGENERATE_TRUNCATION, Point, diagnose, reach_reason, record_point

__all__ = ["DEGENERATE_TRUNCATION", "placement_rounds", "proposals", "reach_reason", "reading_bias"]

MARGIN = 1.5  # aim at budget × 1.5 ("not reached") or budget / 1.5 ("below grid"), so the new point brackets it
MAX_STEP = 10.0  # a proposal lies within ×/÷10 of the nearest existing knob value


def proposals(
    points: Sequence[Point],
    budgets: Sequence[float],
    knob_bounds: tuple[float, float] = (0.0, math.inf),
    log_knob: bool = True,
    integer: bool = False,
) -> list[tuple[float, float]]:
    """(knob value, the budget it is for), largest unread budget above the grid first, then the smallest below it.

    ``points`` are one (algorithm, seed)'s cells as (knob value, kl, truncation_rate, ok). A budget is skipped when
    it is read, when ``reach_reason`` says the algorithm cannot reach it, or when no fit is possible (one point,
    equal knob or KL at the end). One proposal serves every budget its predicted KL passes; none repeats a point.
    """
    lo, hi = knob_bounds
    existing = [p[0] for p in points if math.isfinite(p[0]) and (p[0] > 0 or not log_knob)]
    states = {b: diagnose(points, b) for b in budgets}
    up = sorted((b for b in budgets if states[b].kind == "not reached"), reverse=True)
    down = sorted(b for b in budgets if states[b].kind == "below grid")
    out: list[tuple[float, float, float]] = []  # (value, budget, predicted kl)
    for group, sign in ((up, 1), (down, -1)):
        for budget in group:
            target = budget * MARGIN if sign > 0 else budget / MARGIN
            if any(sign * (math.log(kl) - math.log(target)) >= 0 for v, b, kl in out if (b in up) == (sign > 0)):
                continue  # an earlier proposal on this side already aims past this budget
            state = states[budget]
            if state.blocked or not state.direction:
                continue
            fit = _fit(state.end, state.other, log_knob)
            if fit is None:
                continue
            x_end, y_end, slope = fit
            x = x_end + (math.log(target) - y_end) / slope
            value = _clamp(_from_x(x, log_knob), existing, lo, hi, log_knob)
            value = _distinct(value, existing + [v for v, _, _ in out], state.direction, lo, hi, integer)
            if value is None:
                continue
            predicted = math.exp(y_end + slope * (_to_x(value, log_knob) - x_end))
            out.append((value, budget, predicted))
    return [(v, b) for v, b, _ in out]


def _to_x(value: float, log_knob: bool) -> float:
    return math.log(value) if log_knob else value


def _from_x(x: float, log_knob: bool) -> float:
    return math.exp(min(x, 700.0)) if log_knob else x


def _fit(end: Point, other: Point, log_knob: bool) -> tuple[float, float, float] | None:
    """(x, log kl) of the end point and the slope d log kl / dx through the two points; None if undefined."""
    if log_knob and (end[0] <= 0 or other[0] <= 0):
        return None
    x0, x1 = _to_x(end[0], log_knob), _to_x(other[0], log_knob)
    y0, y1 = math.log(max(end[1], KL_FLOOR)), math.log(max(other[1], KL_FLOOR))
    if x0 == x1 or y0 == y1:
        return None
    return x0, y0, (y0 - y1) / (x0 - x1)


def _clamp(value: float, existing: Sequence[float], lo: float, hi: float, log_knob: bool) -> float:
    positive = [v for v in existing if v > 0]
    if positive and (log_knob or value > 0):
        near = min(positive, key=lambda v: abs(math.log(v) - math.log(value)) if value > 0 else v)
        value = min(max(value, near / MAX_STEP), near * MAX_STEP)
    return min(max(value, lo), hi)


def _distinct(
    value: float, taken: Sequence[float], direction: int, lo: float, hi: float, integer: bool
) -> float | None:
    """The value rounded (an integer, or 3 significant digits), or None when it would repeat a point; an integer
    that repeats one steps on in ``direction`` while it stays within bounds."""
    same = lambda v: any(math.isclose(v, t, rel_tol=1e-9, abs_tol=1e-12) for t in taken)  # noqa: E731
    if not integer:
        value = float(f"{value:.3g}")
        return None if same(value) or not lo <= value <= hi else value
    value = float(round(value))
    while same(value) or value < lo:
        value += direction or 1
        if not lo <= value <= hi:
            return None
    return value if value <= hi else None


def reading_bias(
    noise_sd: float,
    points_near_budget: int,
    budget: float = 1.0,
    spread: float = 1.5,
    trials: int = 4000,
    seed: int = 0,
    curve: Callable[[np.ndarray], np.ndarray] | None = None,
) -> float:
    """Mean (reading − true reward) at ``budget`` when ``points_near_budget`` points, log-evenly spaced over
    KL ∈ [budget/spread, budget·spread] (one point: at the budget), each carry N(0, noise_sd) noise on a known
    smooth curve (default 0.3·log(1 + KL)), and the reading is ``reward_within`` (the envelope keeps the best).
    One point reads without bias; each added near the budget is one more draw to take the maximum of."""
    curve = curve or (lambda kl: 0.3 * np.log1p(kl))
    n = int(points_near_budget)
    kls = np.array([budget]) if n == 1 else budget * np.geomspace(1 / spread, spread, n)
    truth = float(curve(np.array([budget]))[0])
    rng = np.random.default_rng(seed)
    rewards = curve(kls)[None, :] + rng.normal(0.0, noise_sd, size=(trials, n))
    readings = [reward_within(list(zip(kls.tolist(), row.tolist())), budget) for row in rewards]
    return float(np.mean(readings) - truth)


# -- the rounds after a sweep's grid -----------------------------------------------------------------


def knob_bounds(algo: str, knob: str) -> tuple[tuple[float, float], bool]:
    """The knob's (low, high) from its declared bounds (``gt`` read as a bound never reached in log steps) and
    whether it is an integer."""
    cls = ALGORITHMS.get(algo).hparams
    f = next(f for f in dataclasses.fields(cls) if f.name == knob)
    bounds = f.metadata.get("bounds", {})
    lo = bounds.get("ge", bounds.get("gt", 0.0))
    lo = math.nextafter(lo, math.inf) if "gt" in bounds else lo
    hi = bounds.get("le", bounds.get("lt", math.inf))
    hi = math.nextafter(hi, -math.inf) if "lt" in bounds else hi
    return (lo, hi), typing.get_type_hints(cls)[knob] is int


def placement_rounds(
    config: SweepConfig,
    resolved: Sequence[tuple[Cell, Any, Any]],
    outcome: SweepOutcome,
    run: Callable[[list[tuple[Cell, Any, Any]]], SweepOutcome],
    budgets: Sequence[float] = BUDGETS,
    note: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
) -> SweepOutcome:
    """After the grid (``resolved``, run as ``outcome``): up to ``config.extra_cells`` extra cells per (algorithm,
    task, model, seed and other settings), proposed from the records, resolved like the grid's cells (bad values
    are reported) and run with ``run`` (the sweep's own ``run_sweep`` call), round after round until none is
    proposed or the allowance is spent. The outcome of the grid and every round together.

    Resume: round r's proposals are a function of the grid's records and those of rounds < r only, so the same
    command proposes the same cells again and ``run`` skips those already recorded; they count toward the
    allowance either way. Algorithms without a KL knob, or with one value of it in the grid, get none; nor does one
    whose KL is analytic (best-of-n: the bound of n, so its grid reads the same budgets on every machine).
    """
    total = SweepOutcome(list(outcome.ran), list(outcome.skipped), outcome.interrupted, outcome.wall_s)
    if config.extra_cells <= 0 or outcome.interrupted:
        return total
    by_hash = {r.spec_hash: r for r in outcome.records}
    groups: dict[tuple, dict] = {}
    for cell, spec, _ in resolved:
        knob = ALGORITHMS.get(cell.algo).kl_knob
        if not knob or knob not in algo_grid(config, cell.algo, cell.model):
            continue
        rest = tuple((k, v) for k, v in cell.overrides if k != knob)
        group = groups.setdefault((cell.algo, cell.task, cell.model, cell.seed, rest), {"cell": cell, "points": []})
        record = by_hash.get(spec.hash())
        if record is not None and record.status != "interrupted":
            group["points"].append(record_point(record, knob))
            # a KL known in advance (best-of-n's analytic bound of n) reads the same budgets on every machine
            group["analytic"] = bool(record.metrics.get("eval/kl_is_bound"))
    placed = dict.fromkeys(groups, 0)
    while True:
        todo, labels = [], []
        for key, group in groups.items():
            left = config.extra_cells - placed[key]
            cell = group["cell"]
            knob = ALGORITHMS.get(cell.algo).kl_knob
            if left <= 0 or group.get("analytic") or len({p[0] for p in group["points"]}) < 2:
                continue
            bounds, integer = knob_bounds(cell.algo, knob)
            for value, budget in proposals(group["points"], budgets, bounds, True, integer)[:left]:
                text = str(int(value)) if integer else f"{value:g}"
                overrides = tuple(sorted((*((k, v) for k, v in cell.overrides if k != knob), (knob, text))))
                todo.append((key, Cell(cell.algo, cell.task, cell.model, cell.seed, overrides, cell.varying | {knob})))
                labels.append(
                    f"{cell.algo} seed {cell.seed} {knob}={text} (for {budget:g} nat{'' if budget == 1 else 's'})"
                )
        if not todo:
            return total
        note(f"placing {len(todo)} extra cell{'s' if len(todo) > 1 else ''}: {', '.join(labels)}")
        extra = resolve_cells(config, [c for _, c in todo])
        result = run(extra)
        total.ran += result.ran
        total.skipped += result.skipped
        total.wall_s += result.wall_s
        hashes = {r.spec_hash: r for r in result.records}
        for (key, _), (cell, spec, _) in zip(todo, extra):
            placed[key] += 1
            record = hashes.get(spec.hash())
            if record is not None and record.status != "interrupted":
                groups[key]["points"].append(record_point(record, ALGORITHMS.get(cell.algo).kl_knob))
        if result.interrupted:
            total.interrupted = True
            return total
