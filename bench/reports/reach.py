"""Why one seed's grid has or lacks a reading at a KL budget, and which cells were placed beyond the frontier grid.

A grid cell is a point (knob value, KL, truncation rate, ok). The reading at budget k exists ("ok") as
``reach_within`` in bench/reports/frontier.py says: some point has KL ≥ k and some has KL ≤ k. Otherwise the
reason tells "the grid did not go there" (more cells would read it) from "the algorithm cannot go there":
it degenerates on the way (truncated text, or a failed or diverged cell at or past the end point) or its KL
saturates (the two end points' KL differ by < 5% though the knob differs ≥ 2×). Pure functions; the harness's
placement (bench/harness/placement.py) proposes knob values from the same diagnosis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pobench.algorithms import ALGORITHMS
from pobench.core.models import preset_of
from pobench.core.record import RunRecord
from pobench.reports.frontier import KL_FLOOR, reach_within

# A grid point with more than this share of its samples cut at the length limit has started to run away: placement
# goes no further in that direction. (A cell is degenerate, and counts as a failure, at 95%: core/record.py.)
RUNAWAY_TRUNCATION = 0.05
SATURATION_KL = 1.05  # end points whose KL ratio is below this ...
SATURATION_KNOB = 2.0  # ... though their knob ratio is at least this: KL no longer follows the knob

Point = tuple[float, float, float, bool]  # (knob value, kl, truncation_rate, ok)


@dataclass(frozen=True)
class EndState:
    """The diagnosis at one budget: ``kind`` is reach_within's answer; for "not reached" / "below grid", ``end``
    is the ok point nearest the budget (largest / smallest KL), ``other`` the next one, ``direction`` the sign of
    the knob step that moves KL towards the budget (0: unknown), ``blocked`` the reason it cannot be reached."""

    kind: str
    end: Point | None = None
    other: Point | None = None
    direction: int = 0
    blocked: str = ""


def is_runaway(p: Point) -> bool:
    """A point that did not end ok, or that has started to run away (RUNAWAY_TRUNCATION)."""
    return not p[3] or (math.isfinite(p[2]) and p[2] > RUNAWAY_TRUNCATION)


def diagnose(points: Sequence[Point], budget: float) -> EndState:
    usable = [p for p in points if p[3] and math.isfinite(p[1])]
    if not usable:
        return EndState("no points")
    kind = reach_within([(p[1], 0.0) for p in usable], budget)
    if kind == "ok":
        return EndState("ok")
    up = kind == "not reached"  # the budget lies above the grid's KL: move towards more KL
    ordered = sorted(usable, key=lambda p: max(p[1], KL_FLOOR), reverse=up)
    end, other = ordered[0], (ordered[1] if len(ordered) > 1 else None)
    direction = 0
    if other is not None and all(math.isfinite(v) for v in (end[0], other[0])) and end[0] != other[0]:
        rising = max(end[1], KL_FLOOR) != max(other[1], KL_FLOOR)
        # KL grows from `other` to `end` (up) or falls (below grid): step the knob on the way from other to end
        direction = (1 if end[0] > other[0] else -1) if rising else 0
    blocked = ""
    if end[3] and is_runaway(end):
        blocked = f"degenerates (truncation {end[2]:.0%} at KL {end[1]:.3g})"
    elif direction:
        beyond = [p for p in points if is_runaway(p) and math.isfinite(p[0]) and direction * (p[0] - end[0]) > 0]
        if beyond:
            p = min(beyond, key=lambda q: abs(q[0] - end[0]))
            blocked = (
                f"degenerates (truncation {p[2]:.0%} at KL {p[1]:.3g})"
                if p[3]
                else f"degenerates (a cell failed at knob {p[0]:g}, past KL {end[1]:.3g})"
            )
    if not blocked and other is not None and end[0] > 0 and other[0] > 0:
        kl_ratio = max(end[1], KL_FLOOR) / max(other[1], KL_FLOOR)
        knob_ratio = max(end[0], other[0]) / min(end[0], other[0])
        flat = max(kl_ratio, 1 / kl_ratio) < SATURATION_KL and knob_ratio >= SATURATION_KNOB
        # the end turns back: across the whole grid the knob moves KL one way, between the two end points the other
        # (DPO's smallest β reaching no further than the next: more of the knob no longer buys KL)
        trend = grid_direction(usable)
        turned = bool(direction and trend and direction != trend * (1 if up else -1))
        if flat or turned:
            blocked = f"saturates (KL {'≤' if up else '≥'} {end[1]:.3g})"
    return EndState(kind, end, other, direction, blocked)


def grid_direction(usable: Sequence[Point]) -> int:
    """The sign of the knob step that raises KL across the grid: from the lowest-KL point's knob to the highest's
    (0 when they are equal or unknown)."""
    ordered = sorted(usable, key=lambda p: max(p[1], KL_FLOOR))
    low, high = ordered[0][0], ordered[-1][0]
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        return 0
    return 1 if high > low else -1


def reach_reason(points: Sequence[Point], budget: float) -> str:
    """ "ok", "grid did not reach (max KL Y)", "below grid (min KL Y)", "degenerates (truncation X% at KL Y)",
    "saturates (KL ≤ Y)" or "no points": whether one seed's points read ``budget`` and, if not, whether more
    cells could (the grid's two reasons) or could not (degenerates, saturates)."""
    state = diagnose(points, budget)
    if state.kind in ("ok", "no points"):
        return state.kind
    if state.blocked:
        return state.blocked
    if state.kind == "not reached":
        return f"grid did not reach (max KL {state.end[1]:.3g})"
    return f"below grid (min KL {state.end[1]:.3g})"


def record_point(record: RunRecord, knob: str | None) -> Point:
    """A record as a placement point; a cell that did not finish is (knob, nan, nan, False)."""
    value = record.hparams.get(knob, math.nan) if knob else math.nan
    value = float(value) if isinstance(value, (int, float)) else math.nan
    if record.status != "ok":
        return value, math.nan, math.nan, False
    m = record.metrics
    return value, float(m["eval/kl"]), float(m.get("eval/truncation_rate", 0.0)), True


def kl_knob_of(algo: str, model: str) -> str | None:
    """The setting ``algo``'s frontier runs over on ``model`` (its preset's, else the adapter's ``kl_knob``); None
    for an algorithm that is not registered."""
    return preset_of(model).kl_knob(algo, ALGORITHMS.get(algo)) if algo in ALGORITHMS else None


def is_placed(record: RunRecord) -> bool:
    """Whether the record's KL knob value lies outside its algorithm's frontier grid on its model (a placed cell).
    False for an algorithm without a knob or grid."""
    if record.algo not in ALGORITHMS:
        return False
    cls, preset = ALGORITHMS.get(record.algo), preset_of(record.model)
    grid, knob = preset.frontier_grid(record.algo, cls), preset.kl_knob(record.algo, cls)
    value = record.hparams.get(knob) if knob else None
    if not grid or not isinstance(value, (int, float)):
        return False
    return not any(math.isclose(float(value), float(v), rel_tol=1e-9) for v in grid)


def seed_points(records: Sequence[RunRecord]) -> dict[int, list[Point]]:
    """One algorithm's records as points per seed, as the headline reads them: interrupted cells left out, and
    a point without a finite gold reward has no KL either (the envelope drops it)."""
    out: dict[int, list[Point]] = {}
    for r in records:
        if r.status == "interrupted":
            continue
        knob, kl, trunc, ok = record_point(r, kl_knob_of(r.algo, r.model))
        if ok and not math.isfinite(float(r.metrics.get("eval/reward", math.nan))):
            kl = math.nan
        out.setdefault(r.seed, []).append((knob, kl, trunc, ok))
    return out
