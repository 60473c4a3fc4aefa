"""Extra cells after a sweep's grid: per (algorithm, seed), knob values that bracket the budgets the grid missed.

The headline reads each seed's envelope at KL budgets; a seed whose grid stops short of a budget ("not
reached") or starts above it ("below grid") has no reading there, and which budgets are read then depends on
the machine. ``proposals`` fits log KL against log knob through the two points at that end of the grid and
proposes the knob value aimed past the budget (budget × 1.5, or budget / 1.5), at most a step of ×/÷10 from the
nearest point. Where a cell past the grid's end degenerated or failed, the line would aim into that region:
the proposal then splits the way to it instead (``bisection``: halfway in log knob between the furthest run that
still ends and the nearest degenerate cell), since a run that degenerates at a larger step may pass the budget at
a step between. Budgets the algorithm cannot reach (its KL saturates, or it degenerates within ×1.2 of a run that
ends: ``reach_reason``) get none. ``Placement`` hands those cells to the sweep as each group's cells finish, round
after round, at most ``extra_cells`` per (algorithm, task, model, seed) and the same number for every algorithm:
each point near a budget is one more draw the envelope takes the best of (``reading_bias``), so equal effort keeps
that bias equal.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import typing
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pobench.algorithms import ALGORITHMS
from pobench.harness.grid import Cell, SweepConfig, algo_grid, resolve_cells
from pobench.reports.frontier import KL_FLOOR, reward_within
from pobench.reports.headline import budgets_of
from pobench.reports.reach import (
    RUNAWAY_TRUNCATION,
    Point,
    diagnose,
    grid_direction,
    is_runaway,
    kl_knob_of,
    reach_reason,
    record_point,
)
from pobench.reports.trajectory import usable_points

__all__ = ["RUNAWAY_TRUNCATION", "Placement", "proposals", "reach_reason", "reading_bias"]

MARGIN = 1.5  # aim at budget × 1.5 ("not reached") or budget / 1.5 ("below grid"), so the new point brackets it
MAX_STEP = 10.0  # a proposal lies within ×/÷10 of the nearest existing knob value
MIN_BISECTION = 1.2  # knob values closer than this ratio are not split again


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
            if sign > 0 and (middle := bisection(points, log_knob)) is not None:
                value = _distinct(middle, existing + [v for v, _, _ in out], 0, lo, hi, integer)
                if value is not None:  # it serves every budget above this one too: its KL is unknown
                    out.append((value, budget, math.inf))
                    continue
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


def bisection(points: Sequence[Point], log_knob: bool = True) -> float | None:
    """The knob value halfway (in log for a log knob) between the run that goes furthest without degenerating and
    the nearest cell past it that degenerated or failed; None where there is no such pair, or the two lie within
    ×MIN_BISECTION. A run that degenerates at a larger step (DPO's learning rate 1e-3 on tiny, jumping from 0.9
    nats to text that never ends between two checkpoints) may still pass a budget at a step between the two,
    where fitting a line beyond the grid's end would aim into the degenerate region."""
    good = [p for p in points if p[3] and math.isfinite(p[1]) and not is_runaway(p) and math.isfinite(p[0])]
    bad = [p for p in points if is_runaway(p) and math.isfinite(p[0])]
    if not good or not bad or (log_knob and any(p[0] <= 0 for p in good + bad)):
        return None
    end = max(good, key=lambda p: p[1])
    trend = grid_direction(good)  # 0 with one good point: the degenerate cell is taken to lie on the far side
    beyond = [p for p in bad if p[0] != end[0] and (not trend or trend * (p[0] - end[0]) > 0)]
    if not beyond:
        return None
    far = min(beyond, key=lambda p: abs(_to_x(p[0], log_knob) - _to_x(end[0], log_knob)))[0]
    # the good point nearest the degenerate one, on the way from the end to it
    lo, hi = sorted((end[0], far))
    near = min((p[0] for p in good if lo <= p[0] <= hi), key=lambda v: abs(_to_x(v, log_knob) - _to_x(far, log_knob)))
    if log_knob:
        return None if max(near, far) / min(near, far) < MIN_BISECTION else math.sqrt(near * far)
    return None if near == far else (near + far) / 2


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


@dataclasses.dataclass
class _Group:
    """One (algorithm, task, model, seed, other settings) of the grid: its points and the cells still out."""

    cell: Cell
    points: list[Point] = dataclasses.field(default_factory=list)
    pending: set[str] = dataclasses.field(default_factory=set)  # spec hashes of its cells not yet recorded
    placed: int = 0
    analytic: bool = False
    stopped: bool = False  # a cell of it was interrupted: nothing more is proposed for it
    reached: float = 0.0  # the largest KL its cells passed along training (0 without trajectories)


class Placement:
    """The extra cells of a sweep, proposed per group as soon as that group's cells are all recorded.

    ``after(record)`` is told every record of the sweep (run or already there) and returns the extra cells that
    record completes a round for: at most ``config.extra_cells`` per (algorithm, task, model, seed and other
    settings), proposed from that group's records (``proposals``), resolved like the grid's cells (bad values are
    reported). A group's round r is proposed once its grid and rounds < r are recorded; since a proposal reads
    only its own group's points, the cells are those of running the rounds one after the other for the whole
    grid, but no core waits for another group's round to end.

    Resume: the proposals are a function of the records, so the same command proposes the same cells again and
    the sweep skips those already recorded; they count toward the allowance either way. Algorithms without a KL
    knob, or with one value of it in the grid, get none; nor does one whose KL is analytic (best-of-n: the bound
    of n, so its grid reads the same budgets on every machine).
    """

    def __init__(
        self,
        config: SweepConfig,
        resolved: Sequence[tuple[Cell, Any, Any]],
        budgets: Sequence[float] | None = None,
        note: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
    ) -> None:
        self.config, self.budgets, self.note = config, budgets, note
        self.groups: dict[tuple, _Group] = {}
        self.owner: dict[str, tuple] = {}  # spec hash -> its group
        if config.extra_cells <= 0:
            return
        for cell, spec, _ in resolved:
            knob = kl_knob_of(cell.algo, cell.model)
            if not knob or knob not in algo_grid(config, cell.algo, cell.model):
                continue
            rest = tuple((k, v) for k, v in cell.overrides if k != knob)
            key = (cell.algo, cell.task, cell.model, cell.seed, rest)
            self.groups.setdefault(key, _Group(cell)).pending.add(spec.hash())
            self.owner[spec.hash()] = key

    def after(self, record) -> list[tuple[Cell, Any, Any]]:
        """The extra cells ``record`` completes a round for (none for most records)."""
        key = self.owner.pop(record.spec_hash, None)
        if key is None:
            return []
        group = self.groups[key]
        group.pending.discard(record.spec_hash)
        if record.status == "interrupted":
            group.stopped = True
            return []
        knob = kl_knob_of(group.cell.algo, group.cell.model)
        group.points.append(record_point(record, knob))
        group.reached = max(group.reached, trajectory_reach(record))
        # a KL known in advance (best-of-n's analytic bound of n) reads the same budgets on every machine
        group.analytic = bool(record.metrics.get("eval/kl_is_bound"))
        if group.pending or group.stopped:
            return []
        cells, labels = self._propose(group, knob)
        if not cells:
            return []
        self.note(f"placing {len(cells)} extra cell{'s' if len(cells) > 1 else ''}: {', '.join(labels)}")
        extra = resolve_cells(self.config, cells)
        for _, spec, _ in extra:
            group.placed += 1
            group.pending.add(spec.hash())
            self.owner[spec.hash()] = key
        return extra

    def _propose(self, group: _Group, knob: str) -> tuple[list[Cell], list[str]]:
        left = self.config.extra_cells - group.placed
        if left <= 0 or group.analytic or len({p[0] for p in group.points}) < 2:
            return [], []
        cell = group.cell
        bounds, integer = knob_bounds(cell.algo, knob)
        cells, labels = [], []
        budgets = self.budgets if self.budgets is not None else budgets_of(cell.model)  # the model's own, if any
        budgets = [b for b in budgets if b > group.reached]  # a run passed it on its way: read along training
        for value, budget in proposals(group.points, budgets, bounds, True, integer)[:left]:
            text = str(int(value)) if integer else f"{value:g}"
            cells.append(placed_cell(cell, knob, text))
            labels.append(
                f"{cell.algo} seed {cell.seed} {knob}={text} (for {budget:g} nat{'' if budget == 1 else 's'})"
            )
        return cells, labels


def trajectory_reach(record) -> float:
    """The largest KL a cell passed along training before any checkpoint degenerated (the cell rule), so every budget
    up to it is read along that run (it starts at the reference, KL 0); 0 for a cell scored at the end alone."""
    return max((float(point.get("kl", 0.0)) for point in usable_points(record.trajectory)), default=0.0)


def placed_cell(cell: Cell, knob: str, value: str) -> Cell:
    """``cell`` with its KL knob at ``value``: an extra cell, whose knob's source says it was placed."""
    overrides = tuple(sorted((*((k, v) for k, v in cell.overrides if k != knob), (knob, value))))
    sources = tuple(sorted({**dict(cell.sources), knob: "extra cell (placed after the grid)"}.items()))
    return Cell(cell.algo, cell.task, cell.model, cell.seed, overrides, cell.varying | {knob}, sources)
