"""A model's preset may move an algorithm's frontier onto another setting (on smollm2-135m, the learning rate):
the grid, the tuning, the placed cells and the reach diagnosis then all read that setting."""

from __future__ import annotations

import pytest
from pobench.core.presets import SMOLLM2, TINY, Preset
from pobench.harness.grid import SweepConfig, frontier_of, resolve_grid
from pobench.reports.reach import is_placed, seed_points

from tests.helpers import record


def test_a_preset_cannot_move_a_knob_without_giving_its_grid():
    with pytest.raises(ValueError, match=r"dpo's KL knob is 'learning_rate' here, but no frontier grid of it"):
        Preset(kl_knobs={"dpo": "learning_rate"})


def test_tiny_runs_the_dpo_family_over_the_rate_and_smollm2_runs_every_frontier_over_the_learning_rate():
    for algo in ("dpo", "ipo", "kto"):  # over β their runs stop short of the budgets on some seeds
        assert frontier_of(algo, "tiny") == ("learning_rate", TINY.frontier_grids[algo]), algo
    assert frontier_of("ppo", "tiny")[0] == "kl_coef" and frontier_of("cpo", "tiny")[0] == "learning_rate"
    assert frontier_of("dpo", "tabular")[0] == "beta"  # validate's β scan: the adapter's own knob
    for algo in ("dpo", "ipo", "kto", "cpo", "orpo", "simpo", "ppo"):
        knob, grid = frontier_of(algo, "smollm2-135m")
        assert knob == "learning_rate" and grid == SMOLLM2.frontier_grids[algo], algo
    assert frontier_of("best-of-n", "smollm2-135m")[0] == "n"  # an algorithm the preset does not name keeps its own


def test_a_smollm2_sweep_varies_the_learning_rate_and_leaves_beta_at_its_default():
    config = SweepConfig(algos=["dpo", "ppo"], models=["smollm2-135m"], seeds=[0], extra_cells=0)
    specs = [spec for _, spec, _ in resolve_grid(config)]
    dpo = [s.hparams for s in specs if s.algo == "dpo"]
    assert sorted(h.learning_rate for h in dpo) == sorted(float(v) for v in SMOLLM2.frontier_grids["dpo"])
    assert {h.beta for h in dpo} == {0.1}
    assert {s.hparams.kl_coef for s in specs if s.algo == "ppo"} == {0.05}


def test_reach_reads_the_models_knob():
    grid = SMOLLM2.frontier_grids["dpo"]
    on_grid = record("dpo", 0, 0.2, 0.5, hparams={"learning_rate": float(grid[0]), "beta": 0.3})
    placed = record("dpo", 0, 0.3, 2.0, hparams={"learning_rate": 7e-4, "beta": 0.1})
    for r in (on_grid, placed):
        r.model = "smollm2-135m"
    assert not is_placed(on_grid) and is_placed(placed)  # by the learning rate; β 0.3 is off the adapter's grid
    assert [p[0] for p in seed_points([on_grid, placed])[0]] == [float(grid[0]), 7e-4]
    on_tiny = record("dpo", 0, 0.2, 0.5, hparams={"learning_rate": 5e-4, "beta": 0.1})
    assert is_placed(on_tiny) and seed_points([on_tiny])[0][0][0] == 5e-4  # tiny: the rate too
    on_tabular = record("dpo", 0, 0.2, 0.5, hparams={"learning_rate": 3e-4, "beta": 0.7})
    on_tabular.model = "tabular"
    assert is_placed(on_tabular) and seed_points([on_tabular])[0][0][0] == 0.7  # tabular: β
