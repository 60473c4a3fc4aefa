"""Extra-cell placement on synthetic KL curves: one proposal brackets each unread budget, a cell that degenerated
past the grid's end is bisected towards, budgets the algorithm cannot reach (it saturates, or degenerates within
×1.2 of a run that ends) get a reason and no proposal, steps are clamped, integer
knobs stay integers, and a reading that is the best of several noisy points is biased upward."""

from __future__ import annotations

import math

import pytest
from pobench.harness.grid import SweepConfig, resolve_grid
from pobench.harness.placement import RUNAWAY_TRUNCATION, Placement, proposals, reach_reason, reading_bias
from pobench.reports.reach import is_placed

from tests.helpers import record

BUDGETS = (0.25, 1.0, 4.0)


def propose(points, budgets, knob_bounds=(0.0, math.inf), integer=False):
    """The knob values of ``proposals``, without the budgets they are for."""
    return [value for value, _ in proposals(points, budgets, knob_bounds, integer=integer)]


def points_of(curve, knobs, truncation=0.0):
    return [(k, curve(k), truncation, True) for k in knobs]


def reads_every_budget(points):
    return all(reach_reason(points, b) == "ok" for b in BUDGETS)


@pytest.mark.parametrize(("c", "a"), [(0.5, 1.0), (0.2, 2.0), (2.0, 0.5)])
@pytest.mark.parametrize("knobs", [(1.0, 0.5), (3.0, 1.0, 0.5), (0.3, 0.1)])
def test_one_proposal_brackets_each_budget_on_a_power_law_in_beta(c, a, knobs):
    curve = lambda beta: c * beta**-a  # noqa: E731  (KL falls as β grows, as for DPO and IPO)
    points = points_of(curve, knobs)
    values = propose(points, BUDGETS, (0.0, math.inf))
    assert len(values) == len(set(values)) and not set(values) & set(knobs)
    after = points + points_of(curve, values)
    unclamped = all(min(abs(math.log(v / k)) for k in knobs) < math.log(10) for v in values)
    if unclamped:
        assert reads_every_budget(after), (values, [reach_reason(after, b) for b in BUDGETS])
    else:  # a step clamped to ×/÷10 gets closer; later rounds get there
        for _ in range(3):
            after += points_of(curve, propose(after, BUDGETS, (0.0, math.inf)))
        assert reads_every_budget(after)
    assert propose(after, BUDGETS) == [] or not reads_every_budget(after)


def test_a_knob_that_raises_kl_is_clamped_to_ten_times_the_nearest_point_and_one_cell_serves_two_budgets():
    curve = lambda lr: 1e4 * lr  # noqa: E731  (KL grows with the learning rate, as for CPO and ORPO)
    points = points_of(curve, (1e-5, 3e-5))  # KL 0.1 and 0.3: 1 and 4 not reached
    assert [reach_reason(points, b) for b in BUDGETS] == [
        "ok",
        "grid did not reach (max KL 0.3)",
        "grid did not reach (max KL 0.3)",
    ]
    # aimed at 4 × 1.5 = 6 nats (lr 6e-4), clamped to 10 × 3e-5; its predicted KL 3 passes budget 1 too
    assert proposals(points, BUDGETS, (0.0, math.inf)) == [(pytest.approx(3e-4), 4.0)]
    assert propose(points, BUDGETS, (0.0, 2e-4)) == [pytest.approx(2e-4)]  # and to the knob's bounds


def test_below_grid_is_aimed_under_the_budget():
    curve = lambda beta: 0.5 / beta  # noqa: E731
    points = points_of(curve, (1.0, 0.1))  # KL 0.5 and 5: budget 0.25 below the grid
    assert reach_reason(points, 0.25) == "below grid (min KL 0.5)"
    (value,) = propose(points, BUDGETS)
    assert curve(value) == pytest.approx(0.25 / 1.5, rel=0.01)
    assert reach_reason([*points, *points_of(curve, [value])], 0.25) == "ok"


def test_saturating_kl_is_named_and_gets_no_proposal():
    curve = lambda beta: min(1 / beta, 2.0)  # noqa: E731  (0.03 goes no further than 0.01, as DPO on tiny)
    points = points_of(curve, (3.0, 1.0, 0.3, 0.1))
    assert reach_reason(points, 4.0) == "saturates (KL ≤ 2)"
    assert proposals(points, BUDGETS) == [(6.0, 0.25)]  # only the budget below the grid
    # a knob ratio under 2× is not evidence of saturation: extrapolate (clamped)
    close = [(0.5, 1.99, 0.0, True), (0.4, 2.0, 0.0, True)]
    assert reach_reason(close, 4.0) == "grid did not reach (max KL 2)" and propose(close, [4.0]) == [0.04]


def test_an_end_that_turns_back_against_the_grid_saturates():
    """Across the grid smaller β gives more KL (3 → 0.12, 0.1 → 0.9), but between the two highest-KL points the
    smaller β (0.01) reads less KL than 0.03: extrapolating that end would step β the wrong way (up), so the
    budget past it is named as saturated and gets no proposal (as DPO's β 0.01 and 0.03 on tiny)."""
    points = [(3.0, 0.12, 0.0, True), (0.1, 0.58, 0.0, True), (0.03, 0.92, 0.0, True), (0.01, 0.88, 0.0, True)]
    assert reach_reason(points, 4.0) == "saturates (KL ≤ 0.92)"
    assert reach_reason(points, 1.0) == "saturates (KL ≤ 0.92)"
    assert proposals(points, [1.0, 4.0]) == []


def test_past_the_grids_end_a_degenerating_cell_is_bisected_not_extrapolated():
    curve = lambda beta: 0.1 / beta  # noqa: E731
    truncated = [*points_of(curve, (3.0, 1.0)), (0.3, curve(0.3), 0.4, True)]
    assert reach_reason(truncated, 1.0) == "degenerates (truncation 40% at KL 0.333)"
    # halfway in log between β 1 (the furthest run that still ends) and 0.3 (40% cut): √(1 × 0.3) = 0.548
    assert propose(truncated, BUDGETS) == [0.548]
    failed = [*points_of(curve, (3.0, 1.0, 0.3)), (0.1, math.nan, math.nan, False)]
    assert reach_reason(failed, 4.0) == "degenerates (a cell failed at knob 0.1, past KL 0.333)"
    assert propose(failed, BUDGETS) == [0.173]  # √(0.3 × 0.1)
    # the next round splits the nearer half: β 0.173 degenerated too, so between 0.3 and 0.173, √0.0519 = 0.228
    assert propose([*failed, (0.173, math.nan, math.nan, False)], BUDGETS) == [0.228]
    # two values within ×1.2 are not split again: the budget stays unread, and the reason says why
    close = [*points_of(curve, (3.0, 0.33)), (0.3, math.nan, math.nan, False)]
    assert propose(close, BUDGETS) == [] and reach_reason(close, 1.0).startswith("degenerates")
    # DPO on tiny, seed 2: learning rate 3e-4 ends at 0.91 nats, 1e-3 jumps from 0.87 to text that never ends; one
    # good point gives no line to fit, and the degenerate cell says which side is too far: √(3e-4 × 1e-3)
    dpo = [(3e-4, 0.91, 0.0, True), (1e-3, math.nan, math.nan, False)]
    assert proposals(dpo, BUDGETS) == [(5.48e-4, 4.0)]
    # a failed cell on the other side of the grid blocks nothing
    other_side = [*points_of(curve, (1.0, 0.3)), (10.0, math.nan, math.nan, False)]
    assert reach_reason(other_side, 4.0) == "grid did not reach (max KL 0.333)" and propose(other_side, [4.0])
    # a little truncation is not degeneration
    assert propose(points_of(curve, (1.0, 0.3), truncation=RUNAWAY_TRUNCATION), [4.0])


def test_reasons_without_points_and_when_read():
    assert reach_reason([], 1.0) == "no points" and propose([], BUDGETS) == []
    assert reach_reason([(0.1, math.nan, math.nan, False)], 1.0) == "no points"
    one = [(0.1, 0.5, 0.0, True)]
    assert reach_reason(one, 0.5) == "ok" and reach_reason(one, 1.0) == "grid did not reach (max KL 0.5)"
    assert propose(one, BUDGETS) == []  # one point: no fit


def test_integer_knob_rounds_and_never_repeats_a_point():
    bound = lambda n: math.log(n) - (n - 1) / n  # noqa: E731  (best-of-n's KL)
    points = points_of(bound, (2, 4, 8, 16))  # KL up to 1.84: budget 4 not reached
    (value,) = propose(points, BUDGETS, (1, math.inf), integer=True)
    assert value == int(value) and 16 < value <= 160
    # a steep curve whose proposal rounds onto the end point steps on to the next integer
    steep = [(4, 0.01, 0.0, True), (5, 3.9, 0.0, True)]
    assert propose(steep, BUDGETS, (1, math.inf), integer=True) == [6]
    assert propose(steep, BUDGETS, (1, 5), integer=True) == []  # nowhere left within the bounds


def test_no_value_that_is_already_a_point():
    curve = lambda beta: 0.1 / beta  # noqa: E731
    points = points_of(curve, (1.0, 0.3))
    (value,) = propose(points, [4.0])
    # failed there: the next proposal splits the way to it, √(0.3 × value), and repeats no point
    (middle,) = propose([*points, (value, math.nan, math.nan, False)], [4.0])
    assert middle == float(f"{math.sqrt(0.3 * value):.3g}") and middle not in (1.0, 0.3, value)
    assert propose([(0.3, 0.333, 0.0, True), (0.3, math.nan, math.nan, False)], [4.0]) == []  # the same value


def test_reading_bias_grows_with_the_points_near_the_budget():
    one = reading_bias(0.05, 1)
    assert abs(one) < 3 * 0.05 / math.sqrt(4000)  # one point at the budget reads without bias
    biases = [reading_bias(0.05, n) for n in (1, 2, 4, 8)]
    assert biases == sorted(biases) and biases[-1] > 0.02
    assert reading_bias(0.0, 8) == pytest.approx(reading_bias(0.0, 8, seed=1))  # no noise: the curve's own error


def test_placed_cells_are_those_off_the_frontier_grid():
    assert not is_placed(record("dpo", 0, 0.1, 1.0, hparams={"learning_rate": 3e-4}))  # dpo's grid on tiny has 3e-4
    assert is_placed(record("dpo", 0, 0.1, 1.0, hparams={"learning_rate": 5e-4}))
    assert not is_placed(record("ppo", 0, 0.1, 1.0, hparams={"kl_coef": 0.1}))
    assert is_placed(record("ppo", 0, 0.1, 1.0, hparams={"kl_coef": 0.05}))
    assert not is_placed(record("sft", 0, 0.1, 0.0))


# -- Placement: a group's round is proposed as soon as that group's cells are recorded ------------------------


def placement_sweep(extra_cells=2):
    config = SweepConfig(algos=["ppo"], seeds=[0, 1], extra_cells=extra_cells)
    config.add_values("ppo.kl_coef", ["3", "0.3"], "--set")
    resolved = resolve_grid(config)
    notes = []
    return Placement(config, resolved, BUDGETS, note=notes.append), resolved, notes


def recorded(spec, kl, status="ok"):
    """The record of ``spec``'s cell with KL ``kl`` (KL = 0.3/kl_coef: far below every budget at kl_coef ≥ 0.3)."""
    out = record(spec.algo, spec.seed, 0.1, kl, status=status, hparams={"kl_coef": spec.hparams.kl_coef})
    out.spec_hash = spec.hash()
    return out


def test_a_group_is_placed_once_its_own_cells_are_recorded_and_round_after_round():
    placement, resolved, notes = placement_sweep()
    seed0 = [spec for cell, spec, _ in resolved if cell.seed == 0]
    seed1 = [spec for cell, spec, _ in resolved if cell.seed == 1]
    assert placement.after(recorded(seed0[0], 0.3 / seed0[0].hparams.kl_coef)) == []  # seed 0 still has a cell out
    assert placement.after(recorded(seed1[0], 0.3 / seed1[0].hparams.kl_coef)) == []
    first = placement.after(recorded(seed0[1], 0.3 / seed0[1].hparams.kl_coef))  # seed 0 complete; seed 1 is not
    # 1 nat is read at kl_coef 0.3; 4 nats: aimed at 6 along KL = 0.3/kl_coef, kl_coef = 0.05
    assert [(c.seed, dict(c.overrides)["kl_coef"]) for c, _, _ in first] == [(0, "0.05")]
    points = [(3.0, 0.1, 0.0, True), (0.3, 1.0, 0.0, True)]
    assert (
        float(dict(first[0][0].overrides)["kl_coef"])
        == proposals(points, BUDGETS, (math.nextafter(0, 1), math.inf))[0][0]
    )
    assert notes == ["placing 1 extra cell: ppo seed 0 kl_coef=0.05 (for 4 nats)"]
    # round 2 of seed 0 fits through (0.3, 1) and (0.05, 2): kl_coef 0.0029 for KL 6, clamped to 0.05 / 10
    second = placement.after(recorded(first[0][1], 2.0))
    assert [(c.seed, dict(c.overrides)["kl_coef"]) for c, _, _ in second] == [(0, "0.005")]
    assert placement.after(recorded(second[0][1], 2.5)) == []
    assert placement.after(recorded(seed0[0], 1.0)) == []  # a record it does not wait for: ignored


def test_an_interrupted_cell_stops_its_group_and_no_extra_cells_means_none():
    placement, resolved, _ = placement_sweep()
    specs = [spec for cell, spec, _ in resolved if cell.seed == 0]
    assert placement.after(recorded(specs[0], 0.1, status="interrupted")) == []
    assert placement.after(recorded(specs[1], 1.0)) == []
    placement, resolved, _ = placement_sweep(extra_cells=0)
    assert all(placement.after(recorded(spec, 0.01)) == [] for _, spec, _ in resolved)


def test_a_budget_a_run_passed_along_training_gets_no_extra_cell():
    """The same group as above, but kl_coef 0.3's run is scored along training and passed 5 nats on its way before
    settling at 1: every budget is read along that run, so nothing is placed; with its run stopping at 2 nats, 4 nats
    still gets the extra cell, and a checkpoint cut at the length limit (≥ 95%) does not count as passed."""
    for path, expected in (([0.5, 5.0, 1.0], []), ([0.5, 2.0, 1.0], ["0.05"]), ([0.5, 2.0, 5.0], ["0.05"])):
        placement, resolved, _ = placement_sweep()
        seed0 = [spec for cell, spec, _ in resolved if cell.seed == 0]
        assert placement.after(recorded(seed0[0], 0.1)) == []
        last = recorded(seed0[1], 1.0)
        cut = [0.0, 0.0, 1.0 if path[-1] == 5.0 else 0.0]  # the last case: its 5-nat point is degenerate
        last.trajectory = [
            {"step": s, "kl": k, "reward": 0.1, "truncation_rate": c} for s, k, c in zip((1, 2, 3), path, cut)
        ]
        assert [dict(c.overrides)["kl_coef"] for c, _, _ in placement.after(last)] == expected, path
